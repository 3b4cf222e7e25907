//! Removes one straggler the sweep has proven to be the stack's (see `ownership`).

use super::Leftover;
use crate::aws::Clients;
use crate::deploy::DeployError;

/// Removes one leftover.
pub async fn remove(clients: &Clients, leftover: &Leftover) -> Result<(), DeployError> {
    let failed = |err| DeployError::Incomplete(format!("could not remove {leftover}: {err}"));
    match leftover {
        Leftover::RestApi(id) => clients
            .apigateway
            .delete_rest_api()
            .rest_api_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Function(name) => {
            let mappings = clients
                .lambda
                .list_event_source_mappings()
                .function_name(name)
                .send()
                .await
                .map_err(|e| failed(display(e)))?;
            for mapping in mappings.event_source_mappings() {
                if let Some(uuid) = mapping.uuid() {
                    clients
                        .lambda
                        .delete_event_source_mapping()
                        .uuid(uuid)
                        .send()
                        .await
                        .map_err(|e| failed(display(e)))?;
                }
            }
            clients
                .lambda
                .delete_function()
                .function_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| failed(display(e)))
        }
        Leftover::Stream(name) => clients
            .kinesis
            .delete_stream()
            .stream_name(name)
            .enforce_consumer_deletion(true)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Table(name) => clients
            .dynamodb
            .delete_table()
            .table_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Queue(url) => clients
            .sqs
            .delete_queue()
            .queue_url(url)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::LogGroup(name) => clients
            .logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Dashboard(name) => clients
            .cloudwatch
            .delete_dashboards()
            .dashboard_names(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Alarm(name) => clients
            .cloudwatch
            .delete_alarms()
            .alarm_names(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Role(name) => remove_role(clients, name).await.map_err(failed),
    }
}

async fn remove_role(clients: &Clients, role: &str) -> Result<(), String> {
    let iam = &clients.iam;
    let inline = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(display)?;
    for policy in inline.policy_names() {
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(display)?;
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(display)?;
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(display)?;
        }
    }
    iam.delete_role()
        .role_name(role)
        .send()
        .await
        .map(drop)
        .map_err(display)
}

fn display<E: std::error::Error + 'static>(err: E) -> String {
    aws_sdk_iam::error::DisplayErrorContext(err).to_string()
}
