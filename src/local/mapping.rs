//! One event source mapping, run locally: poll each shard, gather records until the batch is
//! full or the batching window has passed (as Lambda's poller does), then invoke the consumer's
//! own handler with the batch and treat what it reports as failed as the mapping would
//! (`failure.rs`: retries, bisection, record age, the on-failure destination).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::types::{Record, ShardIteratorType};
use tokio::sync::watch;

use super::event::{Source, kinesis_event};
use super::failure::{self, Attempt, Destination, FailurePolicy, GivenUpBy, Next};
use super::recorder::{LocalMetric, Recorder};
use crate::failures::message::{RECORD_AGE_EXCEEDED, RETRY_ATTEMPTS_EXHAUSTED};

/// How often a shard read to its tip is polled (Lambda polls each shard about once a second).
const IDLE_POLL: Duration = Duration::from_millis(500);

/// What the pollers are told: keep going, finish (the batching windows still apply), or finish
/// now (hand over what was gathered at once, as `serve` does on Ctrl-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Running,
    Drain,
    Now,
}

/// Everything one mapping's pollers share.
pub struct LocalMapping {
    pub function: String,
    pub function_arn: String,
    pub uuid: String,
    pub batch_size: usize,
    pub window: Duration,
    pub stream: String,
    pub source: Source,
    pub kinesis: aws_sdk_kinesis::Client,
    pub consumer: put_item::Consumer,
    pub recorder: Recorder,
    pub policy: FailurePolicy,
    /// None: given-up records are dropped, as Lambda drops them without a destination.
    pub destination: Option<Destination>,
    /// One line per batch handed over (`serve`); `load` shows progress instead.
    pub log_batches: bool,
}

/// What one shard's poller did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ShardTally {
    pub invocations: u64,
    pub records: u64,
    pub given_up: u64,
}

/// Records gathered but not yet handed to the function, and since when.
#[derive(Default)]
struct Batcher {
    records: Vec<Record>,
    since: Option<Instant>,
}

impl Batcher {
    fn add(&mut self, records: &[Record]) {
        if self.since.is_none() && !records.is_empty() {
            self.since = Some(Instant::now());
        }
        self.records.extend_from_slice(records);
    }

    /// The next batch due: a full one, or whatever is there once the window has passed.
    fn due(&mut self, batch_size: usize, window: Duration) -> Option<Vec<Record>> {
        let full = self.records.len() >= batch_size;
        let waited = self.since.is_some_and(|since| since.elapsed() >= window);
        if !(full || waited) || self.records.is_empty() {
            return None;
        }
        let take = self.records.len().min(batch_size);
        let batch: Vec<Record> = self.records.drain(..take).collect();
        self.since = (!self.records.is_empty()).then(Instant::now);
        Some(batch)
    }
}

/// Where a poller starts: the shard's tip now, so only records put from here on are handled
/// (Lambda's mappings have handled the older ones, or will on AWS).
pub async fn latest_iterator(
    mapping: &LocalMapping,
    shard_id: &str,
) -> Result<Option<String>, String> {
    Ok(mapping
        .kinesis
        .get_shard_iterator()
        .stream_name(&mapping.stream)
        .shard_id(shard_id)
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .map_err(|err| format!("GetShardIterator on {shard_id}: {err}"))?
        .shard_iterator)
}

/// Polls one shard from `iterator` until told to stop and everything read has been handled.
pub async fn run_shard(
    mapping: Arc<LocalMapping>,
    shard_id: String,
    mut iterator: Option<String>,
    mut stop: watch::Receiver<Stop>,
) -> Result<ShardTally, String> {
    let mut batcher = Batcher::default();
    let mut tally = ShardTally::default();
    while let Some(current) = iterator.take() {
        let output = mapping
            .kinesis
            .get_records()
            .shard_iterator(current)
            .limit(10_000)
            .send()
            .await
            .map_err(|err| format!("GetRecords on {shard_id}: {err}"))?;
        iterator = output.next_shard_iterator().map(str::to_owned);
        let read = output.records();
        if !read.is_empty() {
            mapping.recorder.record(
                LocalMetric::PolledEventCount,
                &mapping.uuid,
                read.len() as f64,
            );
            tally.records += read.len() as u64;
        }
        batcher.add(read);
        let told = *stop.borrow();
        let window = if told == Stop::Now {
            Duration::ZERO
        } else {
            mapping.window
        };
        hand_over(&mapping, &shard_id, &mut batcher, window, &mut tally).await?;
        let caught_up = read.is_empty() && output.millis_behind_latest().unwrap_or(0) == 0;
        if told != Stop::Running && caught_up && batcher.records.is_empty() {
            break;
        }
        // Only a shard behind its tip is read again at once, as Lambda does: Kinesis allows five
        // GetRecords a second per shard, shared by every mapping, and moto's GetRecords walks the
        // whole shard, so polling after every record took time from the producer's PutRecords.
        if output.millis_behind_latest().unwrap_or(0) == 0 {
            let _ = tokio::time::timeout(IDLE_POLL, stop.changed()).await;
        }
    }
    // A closed shard (after a reshard) ends the loop: what was gathered still goes out.
    hand_over(
        &mapping,
        &shard_id,
        &mut batcher,
        Duration::ZERO,
        &mut tally,
    )
    .await?;
    Ok(tally)
}

/// Invokes the handler with every batch that is due after `window`.
async fn hand_over(
    mapping: &LocalMapping,
    shard_id: &str,
    batcher: &mut Batcher,
    window: Duration,
    tally: &mut ShardTally,
) -> Result<(), String> {
    while let Some(batch) = batcher.due(mapping.batch_size, window) {
        let handled = handle_batch(mapping, shard_id, batch).await?;
        tally.invocations += handled.invocations;
        tally.given_up += handled.given_up;
    }
    Ok(())
}

/// What became of one batch.
#[derive(Debug, Default)]
struct Handled {
    invocations: u64,
    given_up: u64,
}

/// Hands `batch` to the handler and, while it reports failures, does what the mapping does:
/// retry from the first failed record, bisecting if set, until the retries run out; records too
/// old are given up unread. Given-up records go to the destination. Records stay in order: an
/// earlier part of the batch is always finished before a later one is tried.
async fn handle_batch(
    mapping: &LocalMapping,
    shard_id: &str,
    batch: Vec<Record>,
) -> Result<Handled, String> {
    let mut handled = Handled::default();
    let mut pending = vec![Attempt {
        records: batch,
        retries: 0,
    }];
    while let Some(mut attempt) = pending.pop() {
        let expired = mapping
            .policy
            .split_expired(&mut attempt.records, SystemTime::now());
        if !expired.is_empty() {
            handled.given_up += give_up(
                mapping,
                shard_id,
                &expired,
                RECORD_AGE_EXCEEDED,
                attempt.retries,
            )
            .await?;
        }
        if attempt.records.is_empty() {
            continue;
        }
        handled.invocations += 1;
        let Some(first_failed) = invoke(mapping, shard_id, &attempt.records).await else {
            continue;
        };
        let retries = attempt.retries;
        match mapping.policy.after_failure(attempt, first_failed) {
            // Last in, first out: the earlier part goes first.
            Next::Retry(next) => pending.extend(next.into_iter().rev()),
            Next::GiveUp(records) => {
                handled.given_up += give_up(
                    mapping,
                    shard_id,
                    &records,
                    RETRY_ATTEMPTS_EXHAUSTED,
                    retries,
                )
                .await?;
            }
        }
    }
    Ok(handled)
}

/// One invocation of the handler; the position of the first record it reports as failed.
async fn invoke(mapping: &LocalMapping, shard_id: &str, batch: &[Record]) -> Option<usize> {
    let last_record_age = batch
        .last()
        .and_then(|r| failure::age(r, SystemTime::now()))
        .unwrap_or_default();
    let event = kinesis_event(&mapping.source, shard_id, batch);
    let started = Instant::now();
    let response = put_item::handle(&mapping.consumer, event).await;
    if mapping.log_batches {
        tracing::info!(
            "{} ← {} record(s) from {shard_id}: {} failed, {:.0} ms",
            mapping.function,
            batch.len(),
            response.batch_item_failures.len(),
            millis(started.elapsed())
        );
    }
    let recorder = &mapping.recorder;
    recorder.record(LocalMetric::Invocations, &mapping.function, 1.0);
    recorder.record(
        LocalMetric::Duration,
        &mapping.function,
        millis(started.elapsed()),
    );
    recorder.record(
        LocalMetric::IteratorAge,
        &mapping.function,
        millis(last_record_age),
    );
    let failed: Vec<&str> = response
        .batch_item_failures
        .iter()
        .filter_map(|f| f.item_identifier.as_deref())
        .collect();
    batch
        .iter()
        .position(|r| failed.contains(&r.sequence_number()))
}

/// Gives `records` up: Lambda's on-failure message to the destination, or dropped without one.
async fn give_up(
    mapping: &LocalMapping,
    shard_id: &str,
    records: &[Record],
    condition: &str,
    retries: u32,
) -> Result<u64, String> {
    let by = GivenUpBy {
        function_arn: &mapping.function_arn,
        stream_arn: &mapping.source.stream_arn,
        shard_id,
    };
    let message = failure::message(&by, records, condition, u64::from(retries) + 1);
    match &mapping.destination {
        Some(destination) => {
            destination.send(&message).await?;
            tracing::warn!(
                function = %mapping.function,
                records = records.len(),
                first = %message.batch.start_sequence_number,
                "{condition}: records sent to the on-failure queue (see `demo failures --local`)"
            );
        }
        None => tracing::error!(
            function = %mapping.function,
            records = records.len(),
            first = %message.batch.start_sequence_number,
            "{condition}: records dropped (the mapping has no on-failure destination)"
        ),
    }
    Ok(records.len() as u64)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::Blob;

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| {
                Record::builder()
                    .sequence_number(i.to_string())
                    .partition_key("k")
                    .data(Blob::new(vec![]))
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn a_full_batch_goes_at_once_and_the_rest_waits_for_the_window() {
        let mut batcher = Batcher::default();
        batcher.add(&records(25));
        let window = Duration::from_secs(60);
        assert_eq!(batcher.due(10, window).map(|b| b.len()), Some(10));
        assert_eq!(batcher.due(10, window).map(|b| b.len()), Some(10));
        assert!(
            batcher.due(10, window).is_none(),
            "5 records wait for the window"
        );
        assert_eq!(batcher.records.len(), 5);
    }

    #[test]
    fn a_passed_window_flushes_a_partial_batch() {
        let mut batcher = Batcher::default();
        batcher.add(&records(3));
        assert_eq!(batcher.due(100, Duration::ZERO).map(|b| b.len()), Some(3));
        assert!(batcher.due(100, Duration::ZERO).is_none());
        assert!(batcher.since.is_none());
    }
}
