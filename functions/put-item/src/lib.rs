//! The consumer: writes the batch of orders Lambda hands it to DynamoDB, idempotently.
//!
//! Unlike the original (which ignored its batch and re-read the stream one record per call), it
//! decodes the records it was given, writes them with `BatchWriteItem` in concurrent chunks of 25,
//! and reports every record it could not decode or write as a batch item failure, so Lambda
//! retries from there and finally hands it to the on-failure destination: nothing is lost silently.
//!
//! One bad record never takes valid orders with it: an item DynamoDB would refuse is set aside
//! before any call ([`orders::item::check`]), and a call DynamoDB refuses for its items anyway is
//! split until only the items at fault fail. [`process`] is that write path with each failure's
//! reason, for callers (the CLI re-driving records) that need more than Lambda's answer.

mod batch;
mod failure;
mod write;

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};
use serde::Serialize;

pub use batch::{Decoded, decode};
pub use failure::{FailureKind, RecordFailure};
pub use write::{MAX_ITEMS_PER_CALL, WriteSettings};

/// What the handler needs: a DynamoDB client, its table and how hard to retry. Built once in `main`.
pub struct Consumer {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub table_name: String,
    pub settings: WriteSettings,
}

/// What became of a batch of records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Processed {
    /// Records handed in.
    pub records: usize,
    /// Items written (or overwritten with the same order: writes are idempotent).
    pub written: usize,
    /// Records not written because a later record in the batch carries the same order.
    pub superseded: usize,
    /// Every record not written, in the order the records came, with why.
    pub failures: Vec<RecordFailure>,
}

impl Processed {
    /// The answer Lambda expects: the sequence number of every failed record.
    pub fn response(&self) -> KinesisEventResponse {
        let mut response = KinesisEventResponse::default();
        response.batch_item_failures = self
            .failures
            .iter()
            .map(|failed| {
                let mut failure = KinesisBatchItemFailure::default();
                failure.item_identifier = Some(failed.sequence_number.clone());
                failure
            })
            .collect();
        response
    }
}

/// Writes `records` through the consumer's own write path (decode, check, `BatchWriteItem` with
/// retries and splitting) and says what became of each. Writing a record twice is harmless: the
/// item key is the order's, so a re-drive overwrites rather than duplicates.
pub async fn process(consumer: &Consumer, records: &[KinesisEventRecord]) -> Processed {
    let decoded = batch::decode(records, now_ms());
    let mut failures = failures_before_writing(&decoded);
    let attempted = decoded.writes.len();
    let unwritten = write::write_all(consumer, decoded.writes).await;
    let written = attempted - unwritten.len();
    failures.extend(unwritten);
    in_record_order(&mut failures, records);
    Processed {
        records: records.len(),
        written,
        superseded: decoded.superseded,
        failures,
    }
}

/// Why `record` cannot be written, if that is known without calling DynamoDB: it is not an
/// order, or its item is one DynamoDB refuses. `None` means nothing stands in its way but the
/// table itself.
pub fn diagnose(record: &KinesisEventRecord) -> Option<RecordFailure> {
    let decoded = batch::decode(std::slice::from_ref(record), now_ms());
    failures_before_writing(&decoded).into_iter().next()
}

/// Handles one batch: one line per failed record (sequence number, kind, reason) and one line
/// describing the invocation.
pub async fn handle(consumer: &Consumer, event: KinesisEvent) -> KinesisEventResponse {
    let started = Instant::now();
    let processed = process(consumer, &event.records).await;
    for failure in &processed.failures {
        tracing::warn!(
            sequence_number = %failure.sequence_number,
            kind = %failure.kind,
            reason = %failure.reason,
            "record not written"
        );
    }
    tracing::info!(
        records = processed.records,
        written = processed.written,
        superseded = processed.superseded,
        failed = processed.failures.len(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "invocation"
    );
    processed.response()
}

fn failures_before_writing(decoded: &Decoded) -> Vec<RecordFailure> {
    let not_orders = decoded
        .undecodable
        .iter()
        .map(|failed| (failed, FailureKind::NotAnOrder));
    let unstorable = decoded
        .unstorable
        .iter()
        .map(|failed| (failed, FailureKind::Unstorable));
    not_orders
        .chain(unstorable)
        .map(|((sequence_number, reason), kind)| RecordFailure {
            sequence_number: sequence_number.clone(),
            kind,
            reason: reason.clone(),
        })
        .collect()
}

fn in_record_order(failures: &mut [RecordFailure], records: &[KinesisEventRecord]) {
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        position
            .entry(record.kinesis.sequence_number.as_str())
            .or_insert(index);
    }
    failures.sort_by_key(|failure| position.get(failure.sequence_number.as_str()).copied());
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}
