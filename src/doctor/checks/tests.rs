//! The checks the emulator cannot be made to fail, on AWS's answers replayed at the HTTP layer:
//! an Insights layer Lambda will not give, too little concurrency, a full shard quota, a stack
//! stuck in DELETE_FAILED. Each fails with its fix; a fresh account's answers pass.

use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::aws::replay::{self, interceptor};
use crate::doctor::Status;

const STACK_ID: &str =
    "arn:aws:cloudformation:us-east-1:123456789012:stack/demo/5e1d4a80-cb8e-11ef-9c3a-0a1b2c3d4e5f";

/// Clients for AWS itself (no endpoint) whose Lambda, Kinesis and CloudFormation answer from
/// `rules` (a call no rule takes gets the mock's 418).
fn replaying(region: &str, lambda: &[&Rule], kinesis: &[&Rule], cfn: &[&Rule]) -> Clients {
    let sdk = replay::sdk_config(region);
    let cloudformation = aws_sdk_cloudformation::Client::from_conf(
        aws_sdk_cloudformation::config::Builder::from(&sdk)
            .interceptor(interceptor(cfn))
            .build(),
    );
    Clients {
        lambda: replay::lambda(region, lambda),
        kinesis: replay::kinesis(region, kinesis),
        cloudformation,
        ..Clients::new(&sdk)
    }
}

fn stack_with(status: &str, parameters: &[(&str, &str)]) -> DeployedState {
    DeployedState {
        stack_id: STACK_ID.into(),
        status: status.into(),
        parameters: parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..DeployedState::default()
    }
}

fn assert_fails(check: &Check, name: &str, fix_parts: &[&str]) {
    assert_eq!(
        (check.check, check.status),
        (name, Status::Fail),
        "{check:?}"
    );
    let fix = check.fix.as_deref().unwrap_or_default();
    for part in fix_parts {
        assert!(fix.contains(part), "{part:?} not in {fix}");
    }
}

/// AccessDenied for the layer version, as Lambda words it for another account's version that is
/// not shared (HTTP 403, REST-JSON).
fn layer_not_shared() -> Rule {
    mock!(aws_sdk_lambda::Client::get_layer_version_by_arn).then_http_response(|| {
        replay::rest_json(
            403,
            Some("AccessDeniedException"),
            r#"{"Type":"User","Message":"User: arn:aws:iam::123456789012:user/dev is not authorized to perform: lambda:GetLayerVersion on resource: arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:23 because no resource-based policy allows the lambda:GetLayerVersion action"}"#,
        )
    })
}

#[tokio::test]
async fn a_layer_lambda_will_not_give_fails_with_the_ways_out() {
    let denied = layer_not_shared();
    let clients = replaying("us-east-1", &[&denied], &[], &[]);
    let found = layer(&clients, Some(Arch::Arm64)).await;
    assert_fails(
        &found,
        "insights layer",
        &["--insights-layer-arn ARN", "--no-insights", "--arch x86_64"],
    );
    assert_eq!(
        found.detail,
        "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:23"
    );
    // Where no candidate answers, an explicit arm64 has no layer at all.
    let clients = replaying("ca-west-1", &[&denied], &[], &[]);
    let refused = layer(&clients, Some(Arch::Arm64)).await;
    assert_fails(&refused, "insights layer", &["--arch x86_64", "ca-west-1"]);
    // Without --arch, x86_64: a note, not a failure; its layer is then asked about too.
    let answered = mock!(aws_sdk_lambda::Client::get_layer_version_by_arn)
        .match_requests(|input| input.arn().is_some_and(|arn| !arn.contains("Arm64")))
        .then_http_response(|| replay::rest_json(200, None, r#"{"Version":21}"#));
    let clients = replaying("ca-west-1", &[&answered, &denied], &[], &[]);
    let fallback = layer(&clients, None).await;
    assert_eq!(fallback.status, Status::Note, "{fallback:?}");
    assert!(fallback.detail.contains("(x86_64)"), "{fallback:?}");
}

/// GetAccountSettings as Lambda answers it for a new account: 10 concurrent executions.
fn new_account() -> Rule {
    mock!(aws_sdk_lambda::Client::get_account_settings).then_http_response(|| {
        replay::rest_json(
            200,
            None,
            r#"{"AccountLimit":{"TotalCodeSize":80530636800,"CodeSizeUnzipped":262144000,"CodeSizeZipped":52428800,"ConcurrentExecutions":10,"UnreservedConcurrentExecutions":10},"AccountUsage":{"TotalCodeSize":0,"FunctionCount":0}}"#,
        )
    })
}

#[tokio::test]
async fn concurrency_the_account_lacks_fails_with_the_shards_that_fit() {
    let settings = new_account();
    let clients = replaying("us-east-1", &[&settings], &[], &[]);
    let deployed = stack_with("UPDATE_COMPLETE", &[("ShardCount", "5")]);
    let desired = deployed_or_default(Some(&deployed));
    let short = concurrency(&clients, Some(&deployed), &desired).await;
    assert_fails(
        &short,
        "concurrency",
        &["need 11", "`--shards 4`", "Service Quotas"],
    );
    let fits = concurrency(&clients, None, &deployed_or_default(None)).await;
    assert_eq!(fits.status, Status::Pass, "{fits:?}");
    assert!(fits.detail.contains("needs 3") && fits.detail.contains("10 unreserved"));
}

#[tokio::test]
async fn a_full_shard_quota_fails_and_an_unreadable_one_is_a_note() {
    let full = mock!(aws_sdk_kinesis::Client::describe_limits).then_http_response(|| {
        replay::answer(
            200,
            "application/x-amz-json-1.1",
            r#"{"ShardLimit":200,"OpenShardCount":200,"OnDemandStreamCount":0,"OnDemandStreamCountLimit":50}"#,
        )
    });
    let clients = replaying("us-east-1", &[], &[&full], &[]);
    let none_left = shards(&clients, None, &deployed_or_default(None)).await;
    assert_fails(
        &none_left,
        "shards",
        &["0 of its 200 left", "Service Quotas"],
    );
    let unreadable = clients_without_kinesis();
    let unknown = shards(&unreadable, None, &deployed_or_default(None)).await;
    assert_eq!(unknown.status, Status::Note, "{unknown:?}");
}

fn clients_without_kinesis() -> Clients {
    let denied = mock!(aws_sdk_kinesis::Client::describe_limits).then_http_response(|| {
        replay::answer(
            400,
            "application/x-amz-json-1.1",
            r#"{"__type":"AccessDeniedException","message":"not authorized to perform: kinesis:DescribeLimits"}"#,
        )
    });
    replaying("us-east-1", &[], &[&denied], &[])
}

/// DescribeStackEvents (awsQuery XML) of a stack whose delete failed on its stream.
fn delete_failed_events() -> Rule {
    mock!(aws_sdk_cloudformation::Client::describe_stack_events).then_http_response(|| {
        let event = |id: &str, logical: &str, kind: &str, status: &str, reason: &str| {
            format!(
                "<member><StackId>{STACK_ID}</StackId><EventId>{id}</EventId><StackName>demo</StackName>\
                 <LogicalResourceId>{logical}</LogicalResourceId><ResourceType>{kind}</ResourceType>\
                 <Timestamp>2026-12-03T08:00:0{id}.000Z</Timestamp><ResourceStatus>{status}</ResourceStatus>\
                 <ResourceStatusReason>{reason}</ResourceStatusReason></member>"
            )
        };
        let events = [
            event("3", "demo", "AWS::CloudFormation::Stack", "DELETE_FAILED", "The following resource(s) failed to delete: [Stream]."),
            event("2", "Stream", "AWS::Kinesis::Stream", "DELETE_FAILED", "Access denied for operation DeleteStream"),
            event("1", "demo", "AWS::CloudFormation::Stack", "DELETE_IN_PROGRESS", "User Initiated"),
        ]
        .concat();
        replay::answer(
            200,
            "text/xml",
            format!(
                "<DescribeStackEventsResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
                 <DescribeStackEventsResult><StackEvents>{events}</StackEvents></DescribeStackEventsResult>\
                 <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></DescribeStackEventsResponse>",
                replay::REQUEST_ID
            ),
        )
    })
}

#[tokio::test]
async fn a_stack_stuck_in_delete_failed_fails_naming_the_resource_and_the_way_out() {
    let events = delete_failed_events();
    let clients = replaying("us-east-1", &[], &[], &[&events]);
    let names = StackNames::new("demo", "us-east-1");
    let stuck = stack_with("DELETE_FAILED", &[]);
    let found = stack_state(&clients, &names, Some(&stuck)).await;
    assert_fails(
        &found,
        "stack",
        &["--retain-resources Stream", "`demo down`"],
    );
    assert!(
        found.detail.contains("DELETE_FAILED") && found.detail.contains("DeleteStream"),
        "{found:?}"
    );
    let fine = stack_state(&clients, &names, Some(&stack_with("UPDATE_COMPLETE", &[]))).await;
    assert_eq!(fine.status, Status::Pass);
}
