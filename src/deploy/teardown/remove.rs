//! Removes one straggler the sweep has proven to be the stack's (see `ownership`). A delete the
//! service answers with "it does not exist" is done: something else removed it first.

use super::Leftover;
use super::answers::{Service, gone, present};
use crate::aws::Clients;
use crate::deploy::DeployError;

/// Removes one leftover; the error names it, the call and the service's answer.
pub(crate) async fn remove(clients: &Clients, leftover: &Leftover) -> Result<(), DeployError> {
    let action = |call| removing(leftover, call);
    match leftover {
        Leftover::RestApi(id) => {
            let answer = (clients.apigateway.delete_rest_api().rest_api_id(id))
                .send()
                .await;
            gone(answer, Service::ApiGateway, id, action("DeleteRestApi"))
        }
        Leftover::Function(name) => remove_function(clients, leftover, name).await,
        Leftover::Stream(name) => {
            let delete = clients.kinesis.delete_stream().stream_name(name);
            let answer = delete.enforce_consumer_deletion(true).send().await;
            gone(answer, Service::Kinesis, name, action("DeleteStream"))
        }
        Leftover::Table(name) => {
            let answer = clients
                .dynamodb
                .delete_table()
                .table_name(name)
                .send()
                .await;
            gone(answer, Service::DynamoDb, name, action("DeleteTable"))
        }
        Leftover::Queue(url) => {
            let answer = clients.sqs.delete_queue().queue_url(url).send().await;
            let name = url.rsplit('/').next().unwrap_or(url);
            gone(answer, Service::Sqs, name, action("DeleteQueue"))
        }
        Leftover::LogGroup(name) => {
            let delete = clients.logs.delete_log_group().log_group_name(name);
            gone(
                delete.send().await,
                Service::Logs,
                name,
                action("DeleteLogGroup"),
            )
        }
        Leftover::Dashboard(name) => {
            let delete = clients.cloudwatch.delete_dashboards().dashboard_names(name);
            let answer = delete.send().await;
            gone(
                answer,
                Service::CloudWatch,
                name,
                action("DeleteDashboards"),
            )
        }
        Leftover::Alarm(name) => {
            let answer = clients
                .cloudwatch
                .delete_alarms()
                .alarm_names(name)
                .send()
                .await;
            gone(answer, Service::CloudWatch, name, action("DeleteAlarms"))
        }
        Leftover::Role(name) => remove_role(clients, leftover, name).await,
    }
}

/// Its event source mappings first (Lambda keeps a mapping whose function is gone), then it.
async fn remove_function(
    clients: &Clients,
    leftover: &Leftover,
    name: &str,
) -> Result<(), DeployError> {
    let lambda = &clients.lambda;
    let action = |call| removing(leftover, call);
    let answer = (lambda.list_event_source_mappings().function_name(name))
        .send()
        .await;
    let listed = present(
        answer,
        Service::Lambda,
        name,
        action("ListEventSourceMappings"),
    )?;
    let mappings = listed
        .and_then(|l| l.event_source_mappings)
        .unwrap_or_default();
    for uuid in mappings.iter().filter_map(|m| m.uuid()) {
        let answer = lambda.delete_event_source_mapping().uuid(uuid).send().await;
        gone(
            answer,
            Service::Lambda,
            uuid,
            action("DeleteEventSourceMapping"),
        )?;
    }
    let answer = lambda.delete_function().function_name(name).send().await;
    gone(answer, Service::Lambda, name, action("DeleteFunction"))
}

/// Its inline policies, its attached policies, then it (IAM refuses to delete a role that
/// still has either).
async fn remove_role(
    clients: &Clients,
    leftover: &Leftover,
    role: &str,
) -> Result<(), DeployError> {
    let iam = &clients.iam;
    let action = |call| removing(leftover, call);
    let answer = iam.list_role_policies().role_name(role).send().await;
    let inline = present(answer, Service::Iam, role, action("ListRolePolicies"))?;
    for policy in inline.iter().flat_map(|i| i.policy_names()) {
        let delete = iam.delete_role_policy().role_name(role).policy_name(policy);
        gone(
            delete.send().await,
            Service::Iam,
            policy,
            action("DeleteRolePolicy"),
        )?;
    }
    let answer = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await;
    let attached = present(
        answer,
        Service::Iam,
        role,
        action("ListAttachedRolePolicies"),
    )?;
    let arns = attached.iter().flat_map(|a| a.attached_policies());
    for arn in arns.filter_map(|policy| policy.policy_arn()) {
        let detach = iam.detach_role_policy().role_name(role).policy_arn(arn);
        gone(
            detach.send().await,
            Service::Iam,
            arn,
            action("DetachRolePolicy"),
        )?;
    }
    let answer = iam.delete_role().role_name(role).send().await;
    gone(answer, Service::Iam, role, action("DeleteRole"))
}

/// The action named in an error: the leftover and the call that failed.
fn removing<'a>(leftover: &'a Leftover, call: &'static str) -> impl FnOnce() -> String + 'a {
    move || format!("remove {leftover} ({call})")
}
