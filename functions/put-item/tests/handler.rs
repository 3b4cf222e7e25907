//! Handler tests on real-shaped Kinesis events, with DynamoDB answered at the SDK's HTTP layer.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::operation::batch_write_item::{
    BatchWriteItemError, BatchWriteItemInput, BatchWriteItemOutput,
};
use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_smithy_mocks::{MockResponse, Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use base64::Engine;
use put_item::{Consumer, FailureKind, RecordFailure, WriteSettings, handle, process};
use serde_json::{Value, json};

const POISONED: &str = include_str!("fixtures/kinesis-batch-with-poison.json");
const POISON_SEQUENCE: &str = "49590338271490256608559692540925702759324208523137515618";
const TABLE: &str = "orders-1";

/// A consumer whose DynamoDB answers come from `rules`. The SDK's own retries are off, so every
/// call counted is one the consumer chose to make.
fn consumer(mode: RuleMode, rules: &[&Rule]) -> Consumer {
    Consumer {
        dynamodb: mock_client!(aws_sdk_dynamodb, mode, rules, |config| config
            .retry_config(RetryConfig::disabled())),
        table_name: TABLE.into(),
        settings: WriteSettings {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            ..WriteSettings::default()
        },
    }
}

/// An order as the producer puts it on the stream.
fn order(orderid: &str) -> Value {
    json!({"orderid": orderid, "accountid": "a0", "orderdate": "t", "vendorid": "v1",
        "city": "Darwin", "details": {"coffeetype": "Latte", "coffeesize": "Large", "unitprice": 4.5, "quantity": 2}})
}

/// A Kinesis event shaped like the fixture, carrying `orders` as records with sequence numbers 1, 2, …
fn event_of(orderids: &[String]) -> KinesisEvent {
    event_of_orders(orderids.iter().map(|orderid| order(orderid)).collect())
}

fn event_of_orders(orders: Vec<Value>) -> KinesisEvent {
    let template: Value = serde_json::from_str(POISONED).unwrap();
    let records: Vec<Value> = orders
        .into_iter()
        .enumerate()
        .map(|(i, order)| {
            let mut record = template["Records"][0].clone();
            record["kinesis"]["sequenceNumber"] = json!((i + 1).to_string());
            record["kinesis"]["data"] =
                json!(base64::engine::general_purpose::STANDARD.encode(order.to_string()));
            record
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}

fn ids(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("order-{i}")).collect()
}

fn written_ok() -> BatchWriteItemOutput {
    BatchWriteItemOutput::builder().build()
}

/// An answer leaving the item with this orderid unprocessed.
fn leaving_unprocessed(orderid: &str) -> BatchWriteItemOutput {
    let item = HashMap::from([
        ("accountid".to_owned(), AttributeValue::S("a0".into())),
        ("orderid".to_owned(), AttributeValue::S(orderid.into())),
    ]);
    let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
    BatchWriteItemOutput::builder()
        .unprocessed_items(
            TABLE,
            vec![WriteRequest::builder().put_request(put).build()],
        )
        .build()
}

fn failed_sequence_numbers(
    response: &aws_lambda_events::event::streams::KinesisEventResponse,
) -> Vec<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_deref().unwrap())
        .collect()
}

#[tokio::test]
async fn poison_record_is_reported_and_the_others_are_written() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(|input| {
            let requests = &input.request_items().unwrap()[TABLE];
            requests.len() == 2
                && requests.iter().all(|r| {
                    let item = &r.put_request().unwrap().item;
                    item.contains_key("sequencenumber") && item.contains_key("arrivedat")
                })
        })
        .then_output(written_ok);
    let event: KinesisEvent = serde_json::from_str(POISONED).unwrap();
    let response = handle(&consumer(RuleMode::MatchAny, &[&rule]), event).await;
    assert_eq!(failed_sequence_numbers(&response), vec![POISON_SEQUENCE]);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn batches_are_written_in_chunks_of_25() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(|input| input.request_items().unwrap()[TABLE].len() <= 25)
        .then_output(written_ok);
    let response = handle(&consumer(RuleMode::MatchAny, &[&rule]), event_of(&ids(60))).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(rule.num_calls(), 3, "60 items take 25 + 25 + 10");
}

#[tokio::test]
async fn unprocessed_items_are_retried_until_written() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(|| leaving_unprocessed("order-1"))
        .output(|| leaving_unprocessed("order-1"))
        .output(written_ok)
        .build();
    let response = handle(&consumer(RuleMode::Sequential, &[&rule]), event_of(&ids(3))).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn items_never_processed_are_reported_after_bounded_retries() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .output(|| leaving_unprocessed("order-2"))
        .repeatedly()
        .build();
    let response = handle(&consumer(RuleMode::Sequential, &[&rule]), event_of(&ids(3))).await;
    assert_eq!(failed_sequence_numbers(&response), vec!["3"]);
    assert_eq!(
        rule.num_calls(),
        WriteSettings::default().max_attempts as usize
    );
}

#[tokio::test]
async fn a_missing_table_fails_the_batch_at_once() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item).then_error(|| {
        BatchWriteItemError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("Requested resource not found")
                .build(),
        )
    });
    let response = handle(&consumer(RuleMode::MatchAny, &[&rule]), event_of(&ids(3))).await;
    let mut failed = failed_sequence_numbers(&response);
    failed.sort();
    assert_eq!(failed, vec!["1", "2", "3"]);
    assert_eq!(rule.num_calls(), 1, "not retried");
}

#[tokio::test]
async fn a_retried_order_in_the_same_batch_is_written_once() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(|input| {
            let requests = &input.request_items().unwrap()[TABLE];
            let sequence =
                |r: &WriteRequest| r.put_request().unwrap().item["sequencenumber"].clone();
            // DynamoDB refuses duplicate keys in one call: the later record must be the one sent.
            requests.len() == 2
                && requests
                    .iter()
                    .any(|r| sequence(r) == AttributeValue::S("3".into()))
        })
        .then_output(written_ok);
    let orderids = vec!["same".to_owned(), "other".to_owned(), "same".to_owned()];
    let response = handle(&consumer(RuleMode::MatchAny, &[&rule]), event_of(&orderids)).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    assert_eq!(rule.num_calls(), 1);
}

/// DynamoDB's answer to a refused call, exactly as its HTTP API sends it (awsJson1_0).
fn dynamodb_error(status: u16, error_type: &str, message: &str) -> HttpResponse {
    let body = json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{error_type}"), "message": message});
    let mut response = HttpResponse::new(
        StatusCode::try_from(status).unwrap(),
        SdkBody::from(body.to_string()),
    );
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    response
}

const OVERFLOW: &str = "One or more parameter values were invalid: Number overflow. Attempting to store a number with magnitude larger than supported range";

fn orderids_in(input: &BatchWriteItemInput) -> Vec<String> {
    input.request_items().unwrap()[TABLE]
        .iter()
        .map(|r| {
            r.put_request().unwrap().item["orderid"]
                .as_s()
                .unwrap()
                .clone()
        })
        .collect()
}

/// A table that refuses, with ValidationException, every call carrying `refused`, and records
/// the size of each call and the orders it wrote.
struct RefusingTable {
    rule: Rule,
    call_sizes: Arc<Mutex<Vec<usize>>>,
    written: Arc<Mutex<BTreeSet<String>>>,
}

fn refusing_table(refused: &'static str) -> RefusingTable {
    let call_sizes = Arc::new(Mutex::new(Vec::new()));
    let written = Arc::new(Mutex::new(BTreeSet::new()));
    let (sizes, stored) = (call_sizes.clone(), written.clone());
    let rule =
        mock!(aws_sdk_dynamodb::Client::batch_write_item).then_compute_response(move |input| {
            let orderids = orderids_in(input);
            sizes.lock().unwrap().push(orderids.len());
            if orderids.iter().any(|id| id == refused) {
                // As on AWS, one bad item fails the whole call and nothing of it is written.
                return MockResponse::Http(dynamodb_error(400, "ValidationException", OVERFLOW));
            }
            stored.lock().unwrap().extend(orderids);
            MockResponse::Output(written_ok())
        });
    RefusingTable {
        rule,
        call_sizes,
        written,
    }
}

#[tokio::test]
async fn a_chunk_refused_for_one_item_is_split_until_only_that_item_fails() {
    let table = refusing_table("order-13");
    let consumer = consumer(RuleMode::MatchAny, &[&table.rule]);
    let event = event_of(&ids(25));
    let processed = process(&consumer, &event.records).await;

    assert_eq!(
        processed.failures,
        vec![RecordFailure {
            sequence_number: "14".into(),
            kind: FailureKind::Refused,
            reason: format!("ValidationException: {OVERFLOW}"),
        }]
    );
    assert_eq!(processed.written, 24);
    let expected: BTreeSet<String> = ids(25).into_iter().filter(|id| id != "order-13").collect();
    assert_eq!(*table.written.lock().unwrap(), expected);
    // 25 refused → 12 written + 13 refused → 6 refused + 7 written → 3 refused + 3 written →
    // 1 written + 2 refused → 1 refused (the culprit) + 1 written.
    assert_eq!(
        *table.call_sizes.lock().unwrap(),
        vec![25, 12, 13, 6, 3, 1, 2, 1, 1, 3, 7]
    );
}

#[tokio::test]
async fn splitting_stays_within_two_calls_per_item_when_every_item_is_refused() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .then_http_response(|| dynamodb_error(400, "ValidationException", OVERFLOW));
    let consumer = consumer(RuleMode::MatchAny, &[&rule]);
    let processed = process(&consumer, &event_of(&ids(25)).records).await;
    assert_eq!(processed.failures.len(), 25);
    assert!(
        processed
            .failures
            .iter()
            .all(|f| f.kind == FailureKind::Refused)
    );
    assert_eq!(rule.num_calls(), 2 * 25 - 1);
}

#[tokio::test]
async fn throttled_and_failing_calls_are_still_retried_with_backoff() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .http_response(|| {
            dynamodb_error(
                400,
                "ProvisionedThroughputExceededException",
                "The level of configured provisioned throughput for the table was exceeded.",
            )
        })
        .http_response(|| dynamodb_error(500, "InternalServerError", "Internal server error"))
        .output(written_ok)
        .build();
    let consumer = consumer(RuleMode::Sequential, &[&rule]);
    let processed = process(&consumer, &event_of(&ids(25)).records).await;
    assert!(processed.failures.is_empty(), "{processed:?}");
    assert_eq!(processed.written, 25);
    assert_eq!(rule.num_calls(), 3, "the same chunk, not halves");
}

#[tokio::test]
async fn throttling_that_never_ends_fails_the_records_as_unavailable() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .sequence()
        .http_response(|| {
            dynamodb_error(
                400,
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            )
        })
        .repeatedly()
        .build();
    let consumer = consumer(RuleMode::Sequential, &[&rule]);
    let processed = process(&consumer, &event_of(&ids(3)).records).await;
    assert_eq!(processed.failures.len(), 3);
    let failure = &processed.failures[0];
    assert_eq!(failure.kind, FailureKind::Unavailable);
    assert!(failure.kind.is_retryable());
    assert_eq!(
        failure.reason,
        "ThrottlingException: Rate of requests exceeds the allowed throughput. (gave up after 8 calls)"
    );
    assert_eq!(
        rule.num_calls(),
        WriteSettings::default().max_attempts as usize
    );
}

#[tokio::test]
async fn a_missing_table_or_denied_access_fails_the_whole_batch_without_splitting() {
    for (error_type, message) in [
        ("ResourceNotFoundException", "Requested resource not found"),
        (
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/put-item is not authorized to perform: dynamodb:BatchWriteItem",
        ),
    ] {
        let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
            .then_http_response(move || dynamodb_error(400, error_type, message));
        let consumer = consumer(RuleMode::MatchAny, &[&rule]);
        let processed = process(&consumer, &event_of(&ids(25)).records).await;
        assert_eq!(processed.failures.len(), 25, "{error_type}");
        assert_eq!(processed.written, 0);
        for failure in &processed.failures {
            assert_eq!(failure.kind, FailureKind::Unavailable, "{error_type}");
            assert_eq!(failure.reason, format!("{error_type}: {message}"));
        }
        assert_eq!(
            rule.num_calls(),
            1,
            "{error_type}: neither retried nor split"
        );
    }
}

#[tokio::test]
async fn a_record_whose_item_dynamodb_would_refuse_is_reported_without_a_call() {
    let rule = mock!(aws_sdk_dynamodb::Client::batch_write_item)
        .match_requests(|input| orderids_in(input) == ["order-0", "order-2"])
        .then_output(written_ok);
    let mut poison = order("order-1");
    poison["details"]["unitprice"] = json!(1e200);
    let event = event_of_orders(vec![order("order-0"), poison.clone(), order("order-2")]);
    let consumer = consumer(RuleMode::MatchAny, &[&rule]);
    let processed = process(&consumer, &event.records).await;
    assert_eq!(processed.failures.len(), 1, "{processed:?}");
    let failure = &processed.failures[0];
    assert_eq!(failure.sequence_number, "2");
    assert_eq!(failure.kind, FailureKind::Unstorable);
    assert!(
        failure.reason.starts_with(
            "attribute unitprice must be at most 9.9999999999999999999999999999999999999E+125"
        ),
        "{}",
        failure.reason
    );
    assert_eq!(rule.num_calls(), 1, "one call, for the two good orders");

    let alone = event_of_orders(vec![poison]);
    let processed = process(&consumer, &alone.records).await;
    assert_eq!(processed.failures[0].kind, FailureKind::Unstorable);
    assert_eq!(rule.num_calls(), 1, "no call for the poison alone");
    assert_eq!(
        put_item::diagnose(&alone.records[0]),
        Some(processed.failures[0].clone())
    );
    assert_eq!(put_item::diagnose(&event.records[0]), None);
}

#[tokio::test]
async fn failures_come_back_in_record_order_whatever_their_kind() {
    let table = refusing_table("order-3");
    let mut unstorable = order("order-1");
    unstorable["details"]["unitprice"] = json!(5e-324);
    let event = event_of_orders(vec![
        order("order-0"),
        unstorable,
        order("order-2"),
        order("order-3"),
    ]);
    let mut records = event.records.clone();
    records[0].kinesis.data.0 = b"not an order".to_vec();
    let processed = process(&consumer(RuleMode::MatchAny, &[&table.rule]), &records).await;
    let kinds: Vec<(&str, FailureKind)> = processed
        .failures
        .iter()
        .map(|f| (f.sequence_number.as_str(), f.kind))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("1", FailureKind::NotAnOrder),
            ("2", FailureKind::Unstorable),
            ("4", FailureKind::Refused)
        ]
    );
    assert_eq!(processed.written, 1);
    assert_eq!(processed.records, 4);
}

/// Captures what the handlers log.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// Everything the handlers of this test binary log, in the JSON lines `main` sets up for Lambda.
/// One global subscriber, because a scoped one misses events whose callsite another test thread
/// registered first; each test finds its own lines by the ids it used.
fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let subscriber = orders::lambda_log::subscriber(logs.clone());
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in these tests");
        logs
    })
}

#[tokio::test]
async fn each_failed_record_is_one_short_log_line_with_code_and_message() {
    let logs = logs();
    let table = refusing_table("order-4");
    let mut event = event_of(&ids(8));
    for record in &mut event.records {
        record.kinesis.sequence_number = format!("logged-{}", record.kinesis.sequence_number);
    }
    let response = handle(&consumer(RuleMode::MatchAny, &[&table.rule]), event).await;
    assert_eq!(failed_sequence_numbers(&response), vec!["logged-5"]);

    let lines = logs.lines();
    let failed: Vec<Value> = lines
        .iter()
        .filter(|line| line.contains("logged-"))
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .collect();
    assert_eq!(failed.len(), 1, "one line per failed record: {failed:#?}");
    let fields = &failed[0]["fields"];
    assert_eq!(fields["message"], "record not written");
    assert_eq!(fields["sequence_number"], "logged-5");
    assert_eq!(fields["kind"], "refused");
    assert_eq!(
        fields["reason"],
        format!("ValidationException: {OVERFLOW}").as_str()
    );
    // Whatever any test here made the handler log: short lines, never the SDK's debug dump.
    for line in &lines {
        assert!(line.len() < 600, "a long log line: {line}");
        for dump in [
            "ServiceError",
            "raw:",
            "Response {",
            "headers",
            "ErrorMetadata",
        ] {
            assert!(!line.contains(dump), "SDK dump ({dump}) in: {line}");
        }
    }
}

#[test]
fn response_serialises_as_lambda_expects() {
    let mut response = aws_lambda_events::event::streams::KinesisEventResponse::default();
    let mut failure = aws_lambda_events::event::streams::KinesisBatchItemFailure::default();
    failure.item_identifier = Some("42".into());
    response.batch_item_failures.push(failure);
    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"batchItemFailures": [{"itemIdentifier": "42"}]})
    );
}
