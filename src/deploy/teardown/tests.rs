//! Teardown's search and sweep over replayed AWS answers (`answers`): a missing resource in
//! another emulator's words is missing, an unexpected answer about one resource is reported
//! while the others are still found and removed, and credentials trouble stops at once.

mod answers;

use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::aws::replay::{self, interceptor};
use answers::*;

const REGION: &str = "ap-southeast-2";
const STACK_ID: &str = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/demo/5e1d4a80-cb8e-11ef-9c3a-0a1b2c3d4e5f";

fn names() -> StackNames {
    StackNames::new("demo", REGION)
}

fn owner() -> Owner {
    Owner {
        stack_ids: [STACK_ID.to_owned()].into(),
        recorded: Default::default(),
    }
}

/// Each service's rules; the first that matches a call answers it.
#[derive(Default)]
struct Answers {
    apigateway: Vec<Rule>,
    cloudwatch: Vec<Rule>,
    dynamodb: Vec<Rule>,
    iam: Vec<Rule>,
    kinesis: Vec<Rule>,
    lambda: Vec<Rule>,
    logs: Vec<Rule>,
    sqs: Vec<Rule>,
}

macro_rules! replaying {
    ($krate:ident, $sdk:expr, $rules:expr) => {{
        let rules: Vec<&Rule> = $rules.iter().collect();
        $krate::Client::from_conf(
            $krate::config::Builder::from($sdk)
                .interceptor(interceptor(&rules))
                .build(),
        )
    }};
}

impl Answers {
    /// Nothing of the stack is left: every check answered as AWS answers it then.
    fn nothing_left() -> Answers {
        let not_found = |what: &str| format!("{what} not found");
        Answers {
            apigateway: vec![
                mock!(aws_sdk_apigateway::Client::get_rest_apis)
                    .then_http_response(|| rest_json(200, r#"{"item":[]}"#.into())),
            ],
            lambda: vec![
                mock!(aws_sdk_lambda::Client::get_function).then_http_response(move || {
                    rest_json_error(404, "ResourceNotFoundException", &not_found("Function"))
                }),
            ],
            kinesis: vec![
                mock!(aws_sdk_kinesis::Client::list_tags_for_stream).then_http_response(|| {
                    let message = "Stream demo-orders under account 123456789012 not found.";
                    aws_json_error("1.1", 400, "ResourceNotFoundException", message)
                }),
            ],
            dynamodb: vec![
                mock!(aws_sdk_dynamodb::Client::list_tables)
                    .then_http_response(|| aws_json("1.0", 200, r#"{"TableNames":[]}"#.into())),
            ],
            // SQS answers a prefix nothing matches with no QueueUrls at all.
            sqs: vec![
                mock!(aws_sdk_sqs::Client::list_queues)
                    .then_http_response(|| aws_json("1.0", 200, "{}".into())),
            ],
            logs: vec![
                mock!(aws_sdk_cloudwatchlogs::Client::describe_log_groups)
                    .then_http_response(|| aws_json("1.1", 200, r#"{"logGroups":[]}"#.into())),
            ],
            cloudwatch: vec![
                mock!(aws_sdk_cloudwatch::Client::get_dashboard).then_http_response(|| {
                    let message = "Dashboard demo-batching does not exist";
                    cloudwatch_error(404, "ResourceNotFound", message)
                }),
                mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_http_response(no_alarms),
            ],
            iam: vec![
                mock!(aws_sdk_iam::Client::list_role_tags).then_http_response(|| {
                    iam_error(
                        404,
                        "NoSuchEntity",
                        "The role with name demo-put-record cannot be found.",
                    )
                }),
            ],
        }
    }

    fn clients(&self) -> Clients {
        let sdk = replay::sdk_config(REGION);
        Clients {
            apigateway: replaying!(aws_sdk_apigateway, &sdk, self.apigateway),
            cloudwatch: replaying!(aws_sdk_cloudwatch, &sdk, self.cloudwatch),
            dynamodb: replaying!(aws_sdk_dynamodb, &sdk, self.dynamodb),
            iam: replaying!(aws_sdk_iam, &sdk, self.iam),
            kinesis: replaying!(aws_sdk_kinesis, &sdk, self.kinesis),
            lambda: replaying!(aws_sdk_lambda, &sdk, self.lambda),
            logs: replaying!(aws_sdk_cloudwatchlogs, &sdk, self.logs),
            sqs: replaying!(aws_sdk_sqs, &sdk, self.sqs),
            ..Clients::new(&sdk)
        }
    }
}

/// `rule` answers before the service's other rules.
fn first(rules: &mut Vec<Rule>, rule: &Rule) {
    rules.insert(0, rule.clone());
}

#[tokio::test]
async fn with_nothing_left_every_check_is_made_and_nothing_is_found() {
    let findings = find(&Answers::nothing_left().clients(), &names())
        .await
        .unwrap();
    assert_eq!(findings, Findings::default());
}

#[tokio::test]
async fn a_dashboard_missing_in_another_emulators_words_is_missing() {
    let mut answers = Answers::nothing_left();
    // That emulator's answer: 400 InvalidParameterValue where AWS answers 404 ResourceNotFound.
    let dashboard = mock!(aws_sdk_cloudwatch::Client::get_dashboard).then_http_response(|| {
        cloudwatch_error(
            400,
            "InvalidParameterValue",
            "Dashboard demo-batching does not exist",
        )
    });
    first(&mut answers.cloudwatch, &dashboard);
    let findings = find(&answers.clients(), &names()).await.unwrap();
    assert_eq!(findings, Findings::default());
    assert_eq!(dashboard.num_calls(), 1);
}

#[tokio::test]
async fn an_invalid_parameter_about_something_else_is_reported_not_taken_for_missing() {
    let mut answers = Answers::nothing_left();
    let dashboard = mock!(aws_sdk_cloudwatch::Client::get_dashboard).then_http_response(|| {
        cloudwatch_error(
            400,
            "InvalidParameterValue",
            "The value for DashboardName is not valid",
        )
    });
    first(&mut answers.cloudwatch, &dashboard);
    let findings = find(&answers.clients(), &names()).await.unwrap();
    assert_eq!(
        findings.unchecked,
        [Unsettled {
            action: "look for dashboard demo-batching".into(),
            answer: "InvalidParameterValue: The value for DashboardName is not valid".into(),
        }]
    );
}

/// The stream answers 500 InternalFailure; function put-item-2 and role put-item-1 are left and
/// tagged with the stack's id; the role's delete fails with IAM's 500.
fn one_check_fails_and_two_leftovers_are_ours() -> (Answers, Rule, Rule) {
    let mut answers = Answers::nothing_left();
    let stream = mock!(aws_sdk_kinesis::Client::list_tags_for_stream).then_http_response(|| {
        aws_json_error("1.1", 500, "InternalFailure", "Internal service failure.")
    });
    first(&mut answers.kinesis, &stream);
    let function = mock!(aws_sdk_lambda::Client::get_function)
        .match_requests(|input| input.function_name() == Some("demo-put-item-2"))
        .then_http_response(|| rest_json(200, function_with_tags()));
    first(&mut answers.lambda, &function);
    let deleted = mock!(aws_sdk_lambda::Client::delete_function)
        .then_http_response(|| rest_json(204, String::new()));
    answers.lambda.push(deleted.clone());
    answers.lambda.push(
        mock!(aws_sdk_lambda::Client::list_event_source_mappings)
            .then_http_response(|| rest_json(200, r#"{"EventSourceMappings":[]}"#.into())),
    );
    let role = mock!(aws_sdk_iam::Client::list_role_tags)
        .match_requests(|input| input.role_name() == Some("demo-put-item-1-ap-southeast-2"))
        .then_http_response(|| role_tags(&[(ownership::CFN_STACK_ID_TAG, STACK_ID)]));
    first(&mut answers.iam, &role);
    let role_deleted = mock!(aws_sdk_iam::Client::delete_role).then_http_response(|| {
        iam_error(500, "ServiceFailure", "The request processing has failed.")
    });
    answers.iam.extend([
        mock!(aws_sdk_iam::Client::list_role_policies)
            .then_http_response(|| no_role_policies("ListRolePolicies")),
        mock!(aws_sdk_iam::Client::list_attached_role_policies)
            .then_http_response(|| no_role_policies("ListAttachedRolePolicies")),
        role_deleted.clone(),
    ]);
    (answers, deleted, role_deleted)
}

fn function_with_tags() -> String {
    let arn = "arn:aws:lambda:ap-southeast-2:123456789012:function:demo-put-item-2";
    serde_json::json!({
        "Configuration": {
            "FunctionName": "demo-put-item-2",
            "FunctionArn": arn,
            "Runtime": "provided.al2023",
            "State": "Active",
        },
        "Code": {"RepositoryType": "S3"},
        "Tags": {"aws:cloudformation:stack-id": STACK_ID},
    })
    .to_string()
}

#[tokio::test]
async fn an_unexpected_answer_about_one_leftover_does_not_stop_the_others() {
    let (answers, deleted, role_deleted) = one_check_fails_and_two_leftovers_are_ours();
    let swept = sweep(&answers.clients(), &names(), &owner()).await.unwrap();
    assert_eq!(
        swept.removed,
        [Leftover::Function("demo-put-item-2".into())]
    );
    assert_eq!(deleted.num_calls(), 1, "the function is deleted once");
    assert_eq!(
        swept.unchecked,
        [Unsettled {
            action: "look for stream demo-orders".into(),
            answer: "InternalFailure: Internal service failure.".into(),
        }]
    );
    let role = Leftover::Role("demo-put-item-1-ap-southeast-2".into());
    let [(failed, unsettled)] = swept.failed.as_slice() else {
        panic!("one removal fails: {:?}", swept.failed)
    };
    assert_eq!(failed, &role);
    assert_eq!(
        unsettled.to_string(),
        "could not remove role demo-put-item-1-ap-southeast-2 (DeleteRole): ServiceFailure: The \
         request processing has failed."
    );
    // The SDK retried the 500s as it retries AWS's, and then gave up on that one only.
    assert!(role_deleted.num_calls() > 1);
}

#[tokio::test]
async fn a_delete_answered_with_not_found_is_done() {
    let mut answers = Answers::nothing_left();
    answers.logs.push(
        mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group).then_http_response(|| {
            let message = "The specified log group does not exist.";
            aws_json_error("1.1", 400, "ResourceNotFoundException", message)
        }),
    );
    let group = Leftover::LogGroup("/aws/lambda/demo-put-item-1".into());
    remove(&answers.clients(), &group).await.unwrap();
    let internal =
        mock!(aws_sdk_cloudwatchlogs::Client::delete_log_group).then_http_response(|| {
            aws_json_error("1.1", 500, "ServiceUnavailableException", "Try again.")
        });
    first(&mut answers.logs, &internal);
    let err = remove(&answers.clients(), &group).await.unwrap_err();
    assert_eq!(
        Unsettled::from_error(err).unwrap().action,
        "remove log group /aws/lambda/demo-put-item-1 (DeleteLogGroup)"
    );
}

/// An earlier instance's table and queue, named by CloudFormation, are found by their names'
/// pattern and judged by their tags; a longer stack name sharing the prefix is not asked about.
#[tokio::test]
async fn tables_and_queues_are_found_by_the_names_cloudformation_gives_them() {
    let mut answers = Answers::nothing_left();
    let listed = mock!(aws_sdk_dynamodb::Client::list_tables).then_http_response(|| {
        let names = r#"{"TableNames":["demo-OrderTable1-1X2Y3Z4W5V6U","demo-OrderTable1-x-OrderTable1-AB12","other"]}"#;
        aws_json("1.0", 200, names.into())
    });
    first(&mut answers.dynamodb, &listed);
    let described = mock!(aws_sdk_dynamodb::Client::describe_table)
        .match_requests(|input| input.table_name() == Some("demo-OrderTable1-1X2Y3Z4W5V6U"))
        .then_http_response(|| {
            let table = r#"{"Table":{"TableName":"demo-OrderTable1-1X2Y3Z4W5V6U","TableArn":"arn:aws:dynamodb:ap-southeast-2:123456789012:table/demo-OrderTable1-1X2Y3Z4W5V6U"}}"#;
            aws_json("1.0", 200, table.into())
        });
    let tags = mock!(aws_sdk_dynamodb::Client::list_tags_of_resource).then_http_response(|| {
        let tags = serde_json::json!({"Tags": [{"Key": "demo:stack-id", "Value": STACK_ID}]});
        aws_json("1.0", 200, tags.to_string())
    });
    answers.dynamodb.extend([described.clone(), tags]);
    let url = "https://sqs.ap-southeast-2.amazonaws.com/123456789012/demo-OnFailureDestination-5751DAJ2F2IM";
    let queues = mock!(aws_sdk_sqs::Client::list_queues)
        .match_requests(|input| input.queue_name_prefix() == Some("demo-OnFailureDestination-"))
        .then_http_response(move || {
            aws_json(
                "1.0",
                200,
                serde_json::json!({ "QueueUrls": [url] }).to_string(),
            )
        });
    first(&mut answers.sqs, &queues);
    answers.sqs.push(
        mock!(aws_sdk_sqs::Client::list_queue_tags)
            .then_http_response(|| aws_json("1.0", 200, r#"{"Tags":{"owner":"someone"}}"#.into())),
    );
    let survey = survey(&answers.clients(), &names(), &owner())
        .await
        .unwrap();
    assert_eq!(
        survey
            .ours
            .iter()
            .map(|(l, _)| l.clone())
            .collect::<Vec<_>>(),
        [Leftover::Table("demo-OrderTable1-1X2Y3Z4W5V6U".into())]
    );
    assert_eq!(
        described.num_calls(),
        1,
        "only the table of this stack's pattern"
    );
    assert_eq!(
        survey.left_alone(),
        [format!(
            "queue {url} (no tag of this stack: not ours: left alone)"
        )]
    );
}

/// Listed, then deleted before its tags were read: gone, not a check that failed.
#[tokio::test]
async fn a_queue_gone_between_the_list_and_its_tags_is_gone() {
    let mut answers = Answers::nothing_left();
    let queues = mock!(aws_sdk_sqs::Client::list_queues).then_http_response(|| {
        let url =
            "https://sqs.ap-southeast-2.amazonaws.com/123456789012/demo-OnFailureDestination-AB12";
        aws_json(
            "1.0",
            200,
            serde_json::json!({ "QueueUrls": [url] }).to_string(),
        )
    });
    first(&mut answers.sqs, &queues);
    answers
        .sqs
        .push(mock!(aws_sdk_sqs::Client::list_queue_tags).then_http_response(sqs_no_such_queue));
    let findings = find(&answers.clients(), &names()).await.unwrap();
    assert_eq!(findings, Findings::default());
}

#[tokio::test]
async fn expired_credentials_stop_the_search_at_once() {
    let mut answers = Answers::nothing_left();
    let expired = mock!(aws_sdk_apigateway::Client::get_rest_apis).then_http_response(|| {
        let message = "The security token included in the request is expired";
        rest_json_error(403, "ExpiredTokenException", message)
    });
    first(&mut answers.apigateway, &expired);
    let functions = answers.lambda[0].clone();
    let err = find(&answers.clients(), &names()).await.unwrap_err();
    assert!(err.is_environment(), "{err}");
    assert!(err.to_string().contains("session has expired"), "{err}");
    assert_eq!(functions.num_calls(), 0, "nothing else was asked");
}
