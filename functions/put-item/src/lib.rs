//! The consumer: writes the batch of orders Lambda hands it to DynamoDB, idempotently.
//!
//! Unlike the original (which ignored its batch and re-read the stream one record per call), it
//! decodes the records it was given, writes them with `BatchWriteItem` in concurrent chunks of 25,
//! and reports every record it could not decode or write as a batch item failure, so Lambda
//! retries from there and finally hands it to the on-failure destination: nothing is lost silently.

mod batch;
mod write;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_lambda_events::event::streams::{KinesisBatchItemFailure, KinesisEventResponse};

pub use batch::{Decoded, decode};
pub use write::WriteSettings;

/// What the handler needs: a DynamoDB client, its table and how hard to retry. Built once in `main`.
pub struct Consumer {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub table_name: String,
    pub settings: WriteSettings,
}

/// Handles one batch and logs one line describing it.
pub async fn handle(consumer: &Consumer, event: KinesisEvent) -> KinesisEventResponse {
    let started = Instant::now();
    let records = event.records.len();
    let decoded = batch::decode(&event.records, now_ms());
    for (sequence_number, reason) in &decoded.undecodable {
        tracing::warn!(%sequence_number, %reason, "record is not an order; reported as failed");
    }
    let unwritten = write::write_all(consumer, decoded.writes).await;
    let mut failed: Vec<String> = decoded
        .undecodable
        .into_iter()
        .map(|(seq, _)| seq)
        .collect();
    failed.extend(unwritten);
    tracing::info!(
        records,
        written = records - failed.len() - decoded.superseded,
        superseded = decoded.superseded,
        failed = failed.len(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "invocation"
    );
    failures(failed)
}

fn failures(sequence_numbers: Vec<String>) -> KinesisEventResponse {
    let mut response = KinesisEventResponse::default();
    response.batch_item_failures = sequence_numbers
        .into_iter()
        .map(|sequence_number| {
            let mut failure = KinesisBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            failure
        })
        .collect();
    response
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}
