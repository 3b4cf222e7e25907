//! The on-failure queue, read without losing anything: every message is received (hidden from
//! other readers while `demo failures` works), then either deleted — only once all its records
//! are in the table — or made visible again at once. A run cut short loses nothing either: SQS
//! shows the messages again when the visibility timeout ends.

use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
};

use super::error::FailuresError;
use crate::aws::AwsError;

/// How long received messages stay hidden while this run reads the stream and the tables.
const WORKING_VISIBILITY_SECONDS: i32 = 300;
/// SQS's limit per receive and per batch call.
const PER_CALL: usize = 10;
/// A bound on one run: past it, the rest is left for the next run (and said).
pub(crate) const MAX_MESSAGES: usize = 10_000;

/// One received message.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) message_id: String,
    receipt_handle: String,
    pub(crate) body: String,
}

/// Every message in the queue (up to `MAX_MESSAGES`), hidden from other readers for a while.
pub(crate) async fn receive_all(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<Vec<Received>, AwsError> {
    let mut received: Vec<Received> = Vec::new();
    while received.len() < MAX_MESSAGES {
        let output = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(PER_CALL as i32)
            .visibility_timeout(WORKING_VISIBILITY_SECONDS)
            // A long poll asks every SQS server, so an empty answer means an empty queue.
            .wait_time_seconds(1)
            .send()
            .await
            .map_err(|err| {
                AwsError::from_sdk(format!("read the on-failure queue {queue_url}"), err)
            })?;
        let messages = output.messages();
        if messages.is_empty() {
            break;
        }
        received.extend(messages.iter().filter_map(|m| {
            Some(Received {
                message_id: m.message_id()?.to_owned(),
                receipt_handle: m.receipt_handle()?.to_owned(),
                body: m.body().unwrap_or_default().to_owned(),
            })
        }));
    }
    Ok(received)
}

/// Deletes messages whose records are all written.
pub(crate) async fn delete(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[&Received],
) -> Result<(), FailuresError> {
    for chunk in messages.chunks(PER_CALL) {
        let entries = entries(chunk, |id, receipt_handle| {
            DeleteMessageBatchRequestEntry::builder()
                .id(id)
                .receipt_handle(receipt_handle)
                .build()
        });
        let output = sqs
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| {
                AwsError::from_sdk("delete re-driven messages from the on-failure queue", err)
            })?;
        if let Some(failed) = output.failed().first() {
            return Err(FailuresError::NotDeleted {
                message: failed.message().unwrap_or_default().to_owned(),
                code: failed.code().to_owned(),
            });
        }
    }
    Ok(())
}

/// Makes the messages visible again at once, so the next reader sees them without waiting.
pub(crate) async fn release(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    messages: &[&Received],
) -> Result<(), AwsError> {
    for chunk in messages.chunks(PER_CALL) {
        let entries = entries(chunk, |id, receipt_handle| {
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id(id)
                .receipt_handle(receipt_handle)
                .visibility_timeout(0)
                .build()
        });
        sqs.change_message_visibility_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("return messages to the on-failure queue", err))?;
    }
    Ok(())
}

/// One batch entry per message, numbered within its call.
fn entries<T, E: std::fmt::Debug>(
    chunk: &[&Received],
    entry: impl Fn(String, &str) -> Result<T, E>,
) -> Vec<T> {
    let entry = |(i, m): (usize, &&Received)| {
        entry(i.to_string(), &m.receipt_handle).expect("id and receipt handle are set")
    };
    chunk.iter().enumerate().map(entry).collect()
}

/// How many messages wait in the queue (SQS's approximate count: visible plus in flight).
pub(crate) async fn waiting(sqs: &aws_sdk_sqs::Client, queue_url: &str) -> Result<u64, AwsError> {
    use aws_sdk_sqs::types::QueueAttributeName;
    let output = sqs
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(format!("count the messages in {queue_url}"), err))?;
    let attributes = output.attributes();
    let count = |name: QueueAttributeName| -> u64 {
        attributes
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(count(QueueAttributeName::ApproximateNumberOfMessages)
        + count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible))
}
