//! Records the mappings gave up on: read the on-failure queue, fetch each given-up range back
//! from the stream, say what became of every record and why, and re-drive the ones that can
//! be written now through the consumer's own write path. A message leaves the queue only when
//! every record of its range is in the table.

mod classify;
mod error;
mod fetch;
mod queue;
mod redrive;

use std::collections::HashSet;

use futures::StreamExt;
use serde::Serialize;

pub(crate) use classify::{FailedRecord, RecordState};
pub(crate) use error::{CallFailed, FailuresError};
pub(crate) use queue::waiting;

use self::queue::Received;
use crate::aws::Clients;
use crate::deploy::resources::Deployed;
use crate::model::Consumer;
use crate::model::failure_message::FailureMessage;

/// Table look-ups at once while classifying a range.
const CHECKS_IN_FLIGHT: usize = 16;

/// One message of the queue: a range one consumer gave up on, and what became of its records.
#[derive(Debug, Serialize)]
pub(crate) struct FailedBatch {
    pub(crate) message_id: String,
    pub(crate) function: String,
    /// None if the function is not one of this stack's consumers.
    pub(crate) consumer: Option<Consumer>,
    pub(crate) condition: String,
    /// When Lambda gave up.
    pub(crate) given_up_at: Option<String>,
    pub(crate) stream_arn: String,
    pub(crate) shard_id: String,
    pub(crate) start_sequence_number: String,
    pub(crate) end_sequence_number: String,
    pub(crate) batch_size: u64,
    /// The records of the range not (yet) in the table, and those `--redrive` wrote.
    pub(crate) records: Vec<FailedRecord>,
    /// Records of the range that were in the table already.
    pub(crate) already_written: u64,
    /// Records the stream no longer holds: lost.
    pub(crate) gone: u64,
    pub(crate) gone_because: Option<String>,
    /// Every record of the range is in the table, so the message was deleted (`--redrive`).
    pub(crate) deleted: bool,
}

/// A message that is not Lambda's on-failure message: shown, never deleted.
#[derive(Debug, Serialize)]
pub(crate) struct Unreadable {
    pub(crate) message_id: String,
    pub(crate) reason: String,
    pub(crate) body: String,
}

/// Everything `demo failures` found (and did).
#[derive(Debug, Serialize)]
pub(crate) struct Failures {
    pub(crate) queue_url: String,
    pub(crate) redrive: bool,
    pub(crate) batches: Vec<FailedBatch>,
    pub(crate) unreadable: Vec<Unreadable>,
    /// The queue held more than one run reads; the rest waits for the next run.
    pub(crate) more_waiting: bool,
    /// Messages none could be received of, hidden by another reader (another `demo failures`
    /// still at work, or one cut short: SQS shows them again within 5 minutes).
    pub(crate) hidden: u64,
}

/// Reads the queue and the stream, classifies every record, and with `redrive` writes what
/// can be written and deletes the messages whose records are all in the table. Messages not
/// deleted are made visible again before this returns, whatever happened.
pub(crate) async fn collect(
    clients: &Clients,
    deployed: &Deployed,
    redrive: bool,
) -> Result<Failures, FailuresError> {
    let queue_url = deployed.queue.clone().ok_or(FailuresError::NoQueue)?;
    let received = queue::receive_all(&clients.sqs, &queue_url).await?;
    let hidden = if received.is_empty() {
        queue::waiting(&clients.sqs, &queue_url).await?
    } else {
        0
    };
    // Ctrl-C: the messages go back to the queue at once instead of hiding for minutes.
    let outcome = tokio::select! {
        outcome = examine(clients, deployed, &received, redrive) => outcome,
        _ = tokio::signal::ctrl_c() => Err(FailuresError::Interrupted),
    };
    // A message goes only when its whole range is in the table; any failure keeps them all.
    let resolved: HashSet<&str> = match &outcome {
        Ok((batches, _)) => batches
            .iter()
            .filter(|b| b.deleted)
            .map(|b| b.message_id.as_str())
            .collect(),
        Err(_) => HashSet::new(),
    };
    let (deleted, kept): (Vec<&Received>, Vec<&Received>) = received
        .iter()
        .partition(|m| resolved.contains(m.message_id.as_str()));
    queue::delete(&clients.sqs, &queue_url, &deleted).await?;
    queue::release(&clients.sqs, &queue_url, &kept).await?;
    let (batches, unreadable) = outcome?;
    Ok(Failures {
        queue_url,
        redrive,
        batches,
        unreadable,
        more_waiting: received.len() >= queue::MAX_MESSAGES,
        hidden,
    })
}

type Examined = (Vec<FailedBatch>, Vec<Unreadable>);

async fn examine(
    clients: &Clients,
    deployed: &Deployed,
    received: &[Received],
    redrive: bool,
) -> Result<Examined, FailuresError> {
    let mut batches = Vec::new();
    let mut unreadable = Vec::new();
    for message in received {
        match serde_json::from_str::<FailureMessage>(&message.body) {
            Ok(failure) => batches.push(batch(clients, deployed, message, failure).await?),
            Err(err) => unreadable.push(Unreadable {
                message_id: message.message_id.clone(),
                reason: format!("not a Lambda on-failure message for Kinesis ({err})"),
                body: message.body.chars().take(500).collect(),
            }),
        }
    }
    if redrive {
        redrive::run(clients, deployed, &mut batches).await;
        for batch in &mut batches {
            batch.deleted = batch.gone == 0 && batch.records.iter().all(|r| r.state.is_written());
        }
    }
    Ok((batches, unreadable))
}

async fn batch(
    clients: &Clients,
    deployed: &Deployed,
    message: &Received,
    failure: FailureMessage,
) -> Result<FailedBatch, FailuresError> {
    let function = failure.function_name().to_owned();
    let consumer = consumer_of(deployed, &function);
    let table = consumer
        .and_then(|c| deployed.tables.get(c.index()))
        .map(String::as_str);
    let info = &failure.batch;
    let fetched = fetch::range(&clients.kinesis, info)
        .await
        .map_err(|problem| FailuresError::ReadBack {
            function: function.clone(),
            problem,
        })?;
    let classified: Vec<Result<FailedRecord, CallFailed>> = futures::stream::iter(fetched.records)
        .map(|record| classify::classify(&clients.dynamodb, table, record))
        .buffered(CHECKS_IN_FLIGHT)
        .collect()
        .await;
    let mut records = Vec::new();
    let mut already_written = 0;
    for classified in classified {
        let classified = classified.map_err(FailuresError::Check)?;
        if classified.state == RecordState::Written {
            already_written += 1;
        } else {
            records.push(classified);
        }
    }
    Ok(FailedBatch {
        message_id: message.message_id.clone(),
        consumer,
        condition: failure.request_context.condition.clone(),
        given_up_at: failure.timestamp.clone(),
        stream_arn: info.stream_arn.clone(),
        shard_id: info.shard_id.clone(),
        start_sequence_number: info.start_sequence_number.clone(),
        end_sequence_number: info.end_sequence_number.clone(),
        batch_size: info.batch_size,
        records,
        already_written,
        gone: fetched.gone,
        gone_because: fetched.gone_because,
        deleted: false,
        function,
    })
}

/// Which consumer a function name is.
fn consumer_of(deployed: &Deployed, function: &str) -> Option<Consumer> {
    deployed
        .mappings
        .iter()
        .find(|m| m.function == function)
        .map(|m| m.consumer)
}
