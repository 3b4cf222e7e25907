//! One event source mapping, run locally: poll each shard, gather records until the batch is
//! full or the batching window has passed (as Lambda's poller does), then invoke the consumer's
//! own handler with the batch and retry what it reports as failed.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::types::{Record, ShardIteratorType};
use tokio::sync::watch;

use super::event::{Source, kinesis_event};
use super::recorder::{LocalMetric, Recorder};

/// How often an idle shard is polled (Lambda polls each shard about once a second).
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Retries of a batch's failed records before they are given up (the template's default).
const MAX_RETRIES: u32 = 3;

/// Everything one mapping's pollers share.
pub struct LocalMapping {
    pub function: String,
    pub uuid: String,
    pub batch_size: usize,
    pub window: Duration,
    pub stream: String,
    pub source: Source,
    pub kinesis: aws_sdk_kinesis::Client,
    pub consumer: put_item::Consumer,
    pub recorder: Recorder,
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

/// Polls one shard from `iterator` until `stop` is set and everything read has been handled.
pub async fn run_shard(
    mapping: Arc<LocalMapping>,
    shard_id: String,
    mut iterator: Option<String>,
    mut stop: watch::Receiver<bool>,
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
        hand_over(
            &mapping,
            &shard_id,
            &mut batcher,
            mapping.window,
            &mut tally,
        )
        .await;
        let caught_up = read.is_empty() && output.millis_behind_latest().unwrap_or(0) == 0;
        if *stop.borrow() && caught_up && batcher.records.is_empty() {
            break;
        }
        if read.is_empty() {
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
    .await;
    Ok(tally)
}

/// Invokes the handler with every batch that is due after `window`.
async fn hand_over(
    mapping: &LocalMapping,
    shard_id: &str,
    batcher: &mut Batcher,
    window: Duration,
    tally: &mut ShardTally,
) {
    while let Some(batch) = batcher.due(mapping.batch_size, window) {
        tally.invocations += 1;
        tally.given_up += invoke(mapping, shard_id, batch).await;
    }
}

/// Hands `batch` to the handler; failed records are retried from the first one reported, as
/// Lambda does with ReportBatchItemFailures. Returns how many records were given up.
async fn invoke(mapping: &LocalMapping, shard_id: &str, mut batch: Vec<Record>) -> u64 {
    for attempt in 0..=MAX_RETRIES {
        let last_record_age = batch
            .last()
            .and_then(|r| r.approximate_arrival_timestamp())
            .and_then(|t| SystemTime::try_from(*t).ok())
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .unwrap_or_default();
        let event = kinesis_event(&mapping.source, shard_id, &batch);
        let started = Instant::now();
        let response = put_item::handle(&mapping.consumer, event).await;
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
        let Some(first) = batch
            .iter()
            .position(|r| failed.contains(&r.sequence_number()))
        else {
            return 0;
        };
        batch.drain(..first);
        if attempt < MAX_RETRIES {
            tracing::warn!(function = %mapping.function, records = batch.len(), "retrying the failed part of a batch");
        }
    }
    tracing::error!(function = %mapping.function, records = batch.len(), "giving up on records after {MAX_RETRIES} retries");
    batch.len() as u64
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
