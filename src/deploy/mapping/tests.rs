//! Waiting for a mapping's new values over Lambda's replayed answers (REST-JSON, as
//! GetEventSourceMapping sends them): a mapping Lambda disabled fails at once with what it means
//! and the fix; one the user had disabled gets its values and a note.

use std::time::{Duration, Instant};

use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::aws::replay;

pub(crate) const UUID: &str = "f89f8514-cdd9-4602-9e1f-01a5b77d449b";
const FUNCTION: &str = "demo-put-item-2";

/// Consumer 2's mapping as `tune` found it: 10 / 2 s, in `state`.
pub(crate) fn consumer_2(state: &str) -> Mapping {
    Mapping {
        consumer: Consumer::Two,
        function: FUNCTION.into(),
        uuid: UUID.into(),
        batch_size: Some(10),
        window_seconds: Some(2),
        parallelization: Some(1),
        state: state.into(),
        state_reason: Some("User action".into()),
        last_result: Some("OK".into()),
        last_modified: None,
        function_arn: format!("arn:aws:lambda:ap-southeast-2:123456789012:function:{FUNCTION}"),
        failure: FailureHandling::default(),
    }
}

/// The mapping as Lambda's GetEventSourceMapping (and UpdateEventSourceMapping) answer it.
pub(crate) fn configuration(batch: (i32, i32), state: &str, reason: &str, result: &str) -> String {
    let body = serde_json::json!({
        "UUID": UUID,
        "BatchSize": batch.0,
        "MaximumBatchingWindowInSeconds": batch.1,
        "ParallelizationFactor": 1,
        "EventSourceArn": "arn:aws:kinesis:ap-southeast-2:123456789012:stream/demo-orders",
        "FunctionArn": format!("arn:aws:lambda:ap-southeast-2:123456789012:function:{FUNCTION}"),
        "LastModified": 1_764_172_800.0,
        "LastProcessingResult": result,
        "State": state,
        "StateTransitionReason": reason,
        "StartingPosition": "LATEST",
        "DestinationConfig": {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": -1,
        "BisectBatchOnFunctionError": true,
        "MaximumRetryAttempts": -1,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
    });
    body.to_string()
}

/// Clients whose Lambda answers GetEventSourceMapping with `state`, `reason` and `result` at
/// `batch`, and UpdateEventSourceMapping with 202 Updating; returns the update's rule to count.
pub(crate) fn lambda_reporting(
    batch: (i32, i32),
    state: &str,
    reason: &str,
    result: &str,
) -> (Clients, Rule) {
    let got = configuration(batch, state, reason, result);
    let get = mock!(aws_sdk_lambda::Client::get_event_source_mapping)
        .then_http_response(move || replay::answer(200, "application/json", got.clone()));
    let updating = configuration(batch, "Updating", reason, result);
    let update = mock!(aws_sdk_lambda::Client::update_event_source_mapping)
        .then_http_response(move || replay::answer(202, "application/json", updating.clone()));
    let sdk = replay::sdk_config("ap-southeast-2");
    let clients = Clients {
        lambda: replay::lambda("ap-southeast-2", &[&get, &update]),
        ..Clients::new(&sdk)
    };
    (clients, update)
}

const TUNED: Batching = Batching {
    batch_size: 50,
    window_seconds: 5,
    parallelization: 1,
};

#[tokio::test]
async fn a_mapping_lambda_disabled_fails_at_once_naming_it_the_reason_and_the_fix() {
    let (clients, _) = lambda_reporting(
        (50, 5),
        "Disabled",
        "Lambda initiated",
        "PROBLEM: Function call failed",
    );
    let started = Instant::now();
    let err = wait_for_effect(&clients, &consumer_2("Enabled"), TUNED, started)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "not after waiting out a limit"
    );
    assert!(!err.is_environment(), "exit 1");
    let text = err.to_string();
    for said in [
        "the mapping of demo-put-item-2 (consumer 2) is Disabled",
        "Lambda's reason: \"Lambda initiated\"",
        "last processing: \"PROBLEM: Function call failed\"",
        "no records flow to consumer 2",
        "fix: correct what Lambda reports",
        &format!("update-event-source-mapping --uuid {UUID} --enabled"),
    ] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
}

#[tokio::test]
async fn a_mapping_disabled_before_the_old_values_came_back_fails_at_once_too() {
    // Disabled by Lambda, and the update not (yet) shown: no reason to wait for it.
    let (clients, _) = lambda_reporting(
        (10, 2),
        "Disabled",
        "Lambda initiated",
        "PROBLEM: Function call failed",
    );
    let started = Instant::now();
    let err = wait_for_effect(&clients, &consumer_2("Enabled"), TUNED, started).await;
    assert!(
        matches!(err, Err(DeployError::MappingsStopped(_))),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_mapping_the_user_had_disabled_takes_the_values_with_a_note() {
    let (clients, _) = lambda_reporting(
        (50, 5),
        "Disabled",
        "USER_INITIATED",
        "No records processed",
    );
    let health = wait_for_effect(&clients, &consumer_2("Disabled"), TUNED, Instant::now())
        .await
        .unwrap();
    let Health::Paused(note) = health else {
        panic!("a note, not an error: {health:?}")
    };
    assert!(
        note.contains("is Disabled by a user (\"USER_INITIATED\")"),
        "{note}"
    );
    assert!(
        note.contains("no records flow to consumer 2 until it is enabled again"),
        "{note}"
    );
}

#[tokio::test]
async fn a_mapping_enabled_before_and_disabled_after_is_not_the_users_choice() {
    // As the second emulator left it after `up` changed its batch size.
    let (clients, _) = lambda_reporting(
        (50, 5),
        "Disabled",
        "USER_INITIATED",
        "No records processed",
    );
    let err = wait_for_effect(&clients, &consumer_2("Enabled"), TUNED, Instant::now()).await;
    let Err(DeployError::MappingsStopped(stopped)) = err else {
        panic!("stopped: {err:?}")
    };
    assert!(
        stopped[0]
            .to_string()
            .contains("though it was Enabled before this run")
    );
}
