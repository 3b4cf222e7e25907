//! Writes items with `BatchWriteItem`: chunks of 25, a few chunks at a time, unprocessed items
//! retried with capped exponential backoff and full jitter.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures::StreamExt;
use orders::item::key_of;

use crate::Consumer;
use crate::batch::Write;

/// DynamoDB's limit of items per `BatchWriteItem` call.
pub const MAX_ITEMS_PER_CALL: usize = 25;

/// How hard to try before giving a record back to Lambda as failed.
#[derive(Debug, Clone)]
pub struct WriteSettings {
    /// Chunks written at once. Bounded so one large batch can't exhaust the table's burst capacity.
    pub max_in_flight: usize,
    /// Calls per chunk, the first included (the SDK's own retries come on top, per call).
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

/// Writes everything and returns the sequence numbers of the records that could not be written.
pub(crate) async fn write_all(consumer: &Consumer, writes: Vec<Write>) -> Vec<String> {
    let chunks: Vec<Vec<Write>> = writes
        .chunks(MAX_ITEMS_PER_CALL)
        .map(<[Write]>::to_vec)
        .collect();
    futures::stream::iter(chunks)
        .map(|chunk| write_chunk(consumer, chunk))
        .buffer_unordered(consumer.settings.max_in_flight.max(1))
        .collect::<Vec<Vec<String>>>()
        .await
        .concat()
}

async fn write_chunk(consumer: &Consumer, mut pending: Vec<Write>) -> Vec<String> {
    let settings = &consumer.settings;
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
                    return Vec::new();
                }
                tracing::debug!(
                    attempt,
                    unprocessed = pending.len(),
                    "retrying unprocessed items"
                );
            }
            Err(err) => {
                let retryable = is_retryable(&err);
                tracing::warn!(attempt, retryable, error = %DisplayErrorContext(&err), "BatchWriteItem failed");
                if !retryable {
                    break;
                }
            }
        }
    }
    pending
        .into_iter()
        .map(|write| write.sequence_number)
        .collect()
}

/// One `BatchWriteItem` call; returns the keys DynamoDB left unprocessed.
async fn call(
    consumer: &Consumer,
    writes: &[Write],
) -> Result<HashSet<(String, String)>, SdkError<BatchWriteItemError>> {
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

/// Throttling, server and transport errors are worth another try; a malformed request or a
/// missing table is not, and goes back to Lambda at once.
fn is_retryable(err: &SdkError<BatchWriteItemError>) -> bool {
    match err {
        SdkError::ServiceError(service) => {
            let err = service.err();
            err.is_provisioned_throughput_exceeded_exception()
                || err.is_request_limit_exceeded()
                || err.is_internal_server_error()
                || err.meta().code() == Some("ThrottlingException")
        }
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    }
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
