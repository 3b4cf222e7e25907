//! Writes items with `BatchWriteItem`: chunks of 25, a few chunks at a time, unprocessed items
//! and throttled calls retried with capped exponential backoff and full jitter, and a chunk
//! DynamoDB refuses because of its items split in halves until only the items at fault fail.

use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures::StreamExt;
use futures::future::{BoxFuture, FutureExt};
use orders::item::key_of;

use crate::Consumer;
use crate::batch::Write;
use orders::sdk_error::describe;

use crate::failure::{FailureKind, RecordFailure, Verdict, verdict};

/// DynamoDB's limit of items per `BatchWriteItem` call.
pub const MAX_ITEMS_PER_CALL: usize = 25;

/// How hard to try before giving a record back to Lambda as failed.
#[derive(Debug, Clone)]
pub struct WriteSettings {
    /// Chunks written at once. Bounded so one large batch can't exhaust the table's burst capacity.
    pub max_in_flight: usize,
    /// Calls per chunk (or per half of a split chunk), the first included, while DynamoDB
    /// throttles or leaves items unprocessed (the SDK's own retries come on top, per call).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for WriteSettings {
    fn default() -> Self {
        WriteSettings {
            max_in_flight: 4,
            max_attempts: 8,
            base_delay: Duration::from_millis(25),
            max_delay: Duration::from_secs(1),
        }
    }
}

/// Writes everything and returns the records that could not be written, with why.
pub(crate) async fn write_all(consumer: &Consumer, writes: Vec<Write>) -> Vec<RecordFailure> {
    let chunks: Vec<Vec<Write>> = writes
        .chunks(MAX_ITEMS_PER_CALL)
        .map(<[Write]>::to_vec)
        .collect();
    futures::stream::iter(chunks)
        .map(|chunk| write_chunk(consumer, chunk))
        .buffer_unordered(consumer.settings.max_in_flight.max(1))
        .collect::<Vec<Vec<RecordFailure>>>()
        .await
        .concat()
}

/// How one chunk's calls ended.
enum Outcome {
    /// Written, or given up on: these failed.
    Done(Vec<RecordFailure>),
    /// DynamoDB refused the call for something about these items.
    Refused { writes: Vec<Write>, reason: String },
}

/// Writes one chunk. When DynamoDB refuses it because of its items, the halves are written in
/// turn, recursively, so only the items at fault are reported; a chunk of n items takes at most
/// 2n − 1 refused calls (a full binary tree with n leaves).
fn write_chunk(consumer: &Consumer, writes: Vec<Write>) -> BoxFuture<'_, Vec<RecordFailure>> {
    async move {
        match write_with_retries(consumer, writes).await {
            Outcome::Done(failures) => failures,
            Outcome::Refused { writes, reason } if writes.len() == 1 => {
                failed(writes, FailureKind::Refused, &reason)
            }
            Outcome::Refused { mut writes, .. } => {
                let second = writes.split_off(writes.len() / 2);
                let mut failures = write_chunk(consumer, writes).await;
                failures.extend(write_chunk(consumer, second).await);
                failures
            }
        }
    }
    .boxed()
}

/// Calls until every item is written, DynamoDB refuses the call, or the attempts run out.
async fn write_with_retries(consumer: &Consumer, mut pending: Vec<Write>) -> Outcome {
    let settings = &consumer.settings;
    let mut last_reason = None;
    for attempt in 0..settings.max_attempts {
        if attempt > 0 {
            tokio::time::sleep(backoff(settings, attempt)).await;
        }
        match call(consumer, &pending).await {
            Ok(unprocessed) => {
                pending.retain(|write| {
                    key_of(&write.item).is_some_and(|key| unprocessed.contains(&key))
                });
                if pending.is_empty() {
                    return Outcome::Done(Vec::new());
                }
                tracing::debug!(
                    attempt,
                    unprocessed = pending.len(),
                    "retrying unprocessed items"
                );
                last_reason = None;
            }
            Err(err) => {
                let reason = describe(&err);
                match verdict(&err) {
                    Verdict::Retry => {
                        tracing::debug!(attempt, %reason, "BatchWriteItem failed; retrying");
                        last_reason = Some(reason);
                    }
                    Verdict::Split => {
                        return Outcome::Refused {
                            writes: pending,
                            reason,
                        };
                    }
                    Verdict::FailAll => {
                        return Outcome::Done(failed(pending, FailureKind::Unavailable, &reason));
                    }
                }
            }
        }
    }
    let reason = match last_reason {
        Some(reason) => format!("{reason} (gave up after {} calls)", settings.max_attempts),
        None => format!(
            "left unprocessed by DynamoDB (throttled) after {} calls",
            settings.max_attempts
        ),
    };
    Outcome::Done(failed(pending, FailureKind::Unavailable, &reason))
}

fn failed(writes: Vec<Write>, kind: FailureKind, reason: &str) -> Vec<RecordFailure> {
    writes
        .into_iter()
        .map(|write| RecordFailure {
            sequence_number: write.sequence_number,
            kind,
            reason: reason.to_owned(),
        })
        .collect()
}

/// One `BatchWriteItem` call; returns the keys DynamoDB left unprocessed.
async fn call(
    consumer: &Consumer,
    writes: &[Write],
) -> Result<std::collections::HashSet<String>, SdkError<BatchWriteItemError, HttpResponse>> {
    let requests = writes
        .iter()
        .map(|write| {
            let put = PutRequest::builder()
                .set_item(Some(write.item.clone()))
                .build()
                .expect("an item is set");
            WriteRequest::builder().put_request(put).build()
        })
        .collect();
    let output = consumer
        .dynamodb
        .batch_write_item()
        .request_items(&consumer.table_name, requests)
        .send()
        .await?;
    let unprocessed = output
        .unprocessed_items
        .unwrap_or_default()
        .remove(&consumer.table_name)
        .unwrap_or_default();
    Ok(unprocessed
        .iter()
        .filter_map(|request| key_of(&request.put_request.as_ref()?.item))
        .collect())
}

/// Capped exponential backoff with full jitter (uniform in 0..=cap).
fn backoff(settings: &WriteSettings, attempt: u32) -> Duration {
    let cap = settings
        .base_delay
        .saturating_mul(1u32 << attempt.min(16))
        .min(settings.max_delay);
    cap.mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let settings = WriteSettings::default();
        for attempt in 1..20 {
            let delay = backoff(&settings, attempt);
            assert!(delay <= settings.max_delay, "attempt {attempt}: {delay:?}");
            let cap = settings.base_delay * 2u32.pow(attempt.min(10));
            assert!(delay <= cap, "attempt {attempt}: {delay:?} over {cap:?}");
        }
    }
}
