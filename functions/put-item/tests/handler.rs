//! Handler tests on real-shaped Kinesis events, with DynamoDB answered at the SDK's HTTP layer.

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_dynamodb::operation::batch_write_item::{BatchWriteItemError, BatchWriteItemOutput};
use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use base64::Engine;
use put_item::{Consumer, WriteSettings, handle};
use serde_json::{Value, json};

const POISONED: &str = include_str!("fixtures/kinesis-batch-with-poison.json");
const POISON_SEQUENCE: &str = "49590338271490256608559692540925702759324208523137515618";
const TABLE: &str = "orders-1";

fn consumer(mode: RuleMode, rules: &[&Rule]) -> Consumer {
    Consumer {
        dynamodb: mock_client!(aws_sdk_dynamodb, mode, rules),
        table_name: TABLE.into(),
        settings: WriteSettings {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            ..WriteSettings::default()
        },
    }
}

/// A Kinesis event shaped like the fixture, carrying `orders` as records with sequence numbers 1, 2, …
fn event_of(orderids: &[String]) -> KinesisEvent {
    let template: Value = serde_json::from_str(POISONED).unwrap();
    let records: Vec<Value> = orderids
        .iter()
        .enumerate()
        .map(|(i, orderid)| {
            let order = json!({"orderid": orderid, "accountid": "a0", "orderdate": "t", "vendorid": "v1",
                "city": "Darwin", "details": {"coffeetype": "Latte", "coffeesize": "Large", "unitprice": 4.5, "quantity": 2}});
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
