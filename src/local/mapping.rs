//! One event source mapping, run locally: poll each shard, gather records until the batch is
//! full or the batching window has passed (as Lambda's poller does), then invoke the consumer
//! (its own process, through `host`) with the batch and treat what it reports as failed as the
//! mapping would (`failure.rs`: retries, bisection, record age, the on-failure destination); a
//! function error (a crash, a timeout) fails the whole batch, as on Lambda.
//!
//! With a ParallelizationFactor N above 1, as on Lambda, a shard's records are spread over N
//! lanes by a hash of their partition key; each lane batches on its own and hands its batches
//! over one after the other, and the lanes run at once: up to N batches in flight per shard,
//! one partition key's records always in one lane, in order.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kinesis::operation::get_records::GetRecordsOutput;
use aws_sdk_kinesis::types::{Record, ShardIteratorType};
use tokio::sync::watch;

use super::error::MappingError;
use super::event::{Source, kinesis_event};
use super::failure::{self, Attempt, Destination, FailurePolicy, GivenUpBy, Next};
use super::host::{FunctionHost, Outcome};
use super::recorder::{LocalMetric, Recorder};
use crate::model::failure_message::{RECORD_AGE_EXCEEDED, RETRY_ATTEMPTS_EXHAUSTED};

/// How often Lambda polls a shard that is caught up: about once a second (at once while it is
/// behind). The runner does the same, and `demo sweep`'s model assumes it.
pub(crate) const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// What the pollers are told: keep going, finish (the batching windows still apply), or finish
/// now (hand over what was gathered at once, as `serve` does on Ctrl-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Running,
    Drain,
    Now,
}

/// Everything one mapping's pollers share.
pub(crate) struct LocalMapping {
    pub(crate) function: String,
    pub(crate) function_arn: String,
    pub(crate) uuid: String,
    pub(crate) batch_size: usize,
    pub(crate) window: Duration,
    /// Batches in flight per shard at once: the mapping's ParallelizationFactor.
    pub(crate) lanes: usize,
    pub(crate) stream: String,
    pub(crate) source: Source,
    pub(crate) kinesis: aws_sdk_kinesis::Client,
    /// The consumer's processes.
    pub(crate) host: Arc<FunctionHost>,
    pub(crate) recorder: Recorder,
    pub(crate) policy: FailurePolicy,
    /// None: given-up records are dropped, as Lambda drops them without a destination.
    pub(crate) destination: Option<Destination>,
    /// One line per batch handed over (`serve`); `load` shows progress instead.
    pub(crate) log_batches: bool,
}

/// What one shard's poller did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShardTally {
    pub(crate) invocations: u64,
    pub(crate) records: u64,
    pub(crate) given_up: u64,
}

/// Records gathered but not yet handed to the function, and since when.
#[derive(Default)]
struct Batcher {
    records: Vec<Record>,
    since: Option<Instant>,
}

impl Batcher {
    /// Adds what the poll that began at `polled` read. The window counts from that poll, so
    /// a window of W seconds is found passed by the poll ⌈W⌉ seconds later, not one more.
    fn add(&mut self, records: &[Record], polled: Instant) {
        if self.since.is_none() && !records.is_empty() {
            self.since = Some(polled);
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

/// Which of `lanes` lanes a partition key's records go to. Lambda hashes the key too; which
/// hash does not matter, only that one key always lands in the same lane.
fn lane_of(partition_key: &str, lanes: usize) -> usize {
    let mut hasher = DefaultHasher::new();
    partition_key.hash(&mut hasher);
    (hasher.finish() % lanes.max(1) as u64) as usize
}

/// A shard's records split over its lanes, each lane's in the shard's order.
fn by_lane(records: &[Record], lanes: usize) -> Vec<Vec<Record>> {
    let mut split = vec![Vec::new(); lanes.max(1)];
    for record in records {
        split[lane_of(record.partition_key(), lanes)].push(record.clone());
    }
    split
}

/// Which shard and lane a batch comes from (a lane is named only when there are several).
#[derive(Debug, Clone, Copy)]
struct Lane<'a> {
    shard_id: &'a str,
    index: usize,
    count: usize,
}

impl std::fmt::Display for Lane<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.count {
            1 => f.write_str(self.shard_id),
            n => write!(f, "{} (lane {} of {n})", self.shard_id, self.index + 1),
        }
    }
}

/// Where a poller starts: the shard's tip now, so only records put from here on are handled
/// (Lambda's mappings have handled the older ones, or will on AWS).
pub(crate) async fn latest_iterator(
    mapping: &LocalMapping,
    shard_id: &str,
) -> Result<Option<String>, MappingError> {
    Ok(mapping
        .kinesis
        .get_shard_iterator()
        .stream_name(&mapping.stream)
        .shard_id(shard_id)
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .map_err(|err| MappingError::Read {
            call: "GetShardIterator",
            shard_id: shard_id.to_owned(),
            detail: err.to_string(),
        })?
        .shard_iterator)
}

/// Polls one shard from `iterator` until told to stop and everything read has been handled.
pub(crate) async fn run_shard(
    mapping: Arc<LocalMapping>,
    shard_id: String,
    mut iterator: Option<String>,
    mut stop: watch::Receiver<Stop>,
) -> Result<ShardTally, MappingError> {
    let mut lanes: Vec<Batcher> = (0..mapping.lanes.max(1))
        .map(|_| Batcher::default())
        .collect();
    let mut tally = ShardTally::default();
    while let Some(current) = iterator.take() {
        let polled = Instant::now();
        let output = poll(&mapping, &shard_id, current).await?;
        iterator = output.next_shard_iterator().map(str::to_owned);
        let read = output.records();
        tally.records += read.len() as u64;
        for (batcher, records) in lanes.iter_mut().zip(by_lane(read, mapping.lanes)) {
            batcher.add(&records, polled);
        }
        let told = *stop.borrow();
        let window = if told == Stop::Now {
            Duration::ZERO
        } else {
            mapping.window
        };
        hand_over(&mapping, &shard_id, &mut lanes, window, &mut tally).await?;
        let behind = output.millis_behind_latest().unwrap_or(0) > 0;
        let caught_up = read.is_empty() && !behind;
        let gathered = lanes.iter().any(|lane| !lane.records.is_empty());
        if told != Stop::Running && caught_up && !gathered {
            break;
        }
        // Once a second while caught up, as Lambda; stopping, only an empty read waits, so
        // the end is not drawn out.
        let wait = if told == Stop::Running {
            !behind
        } else {
            read.is_empty()
        };
        if wait {
            let rest = POLL_INTERVAL.saturating_sub(polled.elapsed());
            let _ = tokio::time::timeout(rest, stop.changed()).await;
        }
    }
    // A closed shard (after a reshard) ends the loop: what was gathered still goes out.
    hand_over(&mapping, &shard_id, &mut lanes, Duration::ZERO, &mut tally).await?;
    Ok(tally)
}

/// One GetRecords from `iterator`, counted as Lambda counts its polled events.
async fn poll(
    mapping: &LocalMapping,
    shard_id: &str,
    iterator: String,
) -> Result<GetRecordsOutput, MappingError> {
    let output = mapping
        .kinesis
        .get_records()
        .shard_iterator(iterator)
        .limit(10_000)
        .send()
        .await
        .map_err(|err| MappingError::Read {
            call: "GetRecords",
            shard_id: shard_id.to_owned(),
            detail: err.to_string(),
        })?;
    let read = output.records().len();
    if read > 0 {
        let uuid = &mapping.uuid;
        (mapping.recorder).record(LocalMetric::PolledEventCount, uuid, read as f64);
    }
    Ok(output)
}

/// Invokes the handler with every batch that is due after `window`: each lane's one after the
/// other, the lanes at once.
async fn hand_over(
    mapping: &LocalMapping,
    shard_id: &str,
    lanes: &mut [Batcher],
    window: Duration,
    tally: &mut ShardTally,
) -> Result<(), MappingError> {
    let count = lanes.len();
    let each = lanes.iter_mut().enumerate().map(|(index, batcher)| {
        let lane = Lane {
            shard_id,
            index,
            count,
        };
        hand_over_lane(mapping, lane, batcher, window)
    });
    for handled in futures::future::try_join_all(each).await? {
        tally.invocations += handled.invocations;
        tally.given_up += handled.given_up;
    }
    Ok(())
}

/// One lane's due batches, in order: a batch goes only once the one before it is done.
async fn hand_over_lane(
    mapping: &LocalMapping,
    lane: Lane<'_>,
    batcher: &mut Batcher,
    window: Duration,
) -> Result<Handled, MappingError> {
    let mut total = Handled::default();
    while let Some(batch) = batcher.due(mapping.batch_size, window) {
        trace_batch(mapping, lane, &batch);
        let handled = handle_batch(mapping, lane, batch).await?;
        total.invocations += handled.invocations;
        total.given_up += handled.given_up;
    }
    Ok(total)
}

/// What went into a batch, for `-v` (or `RUST_LOG=demo::local::mapping=debug`): its lane, its
/// sequence numbers and partition keys, so how records were spread and ordered can be checked.
fn trace_batch(mapping: &LocalMapping, lane: Lane<'_>, batch: &[Record]) {
    let mut keys: Vec<&str> = Vec::new();
    for record in batch {
        if !keys.contains(&record.partition_key()) {
            keys.push(record.partition_key());
        }
    }
    tracing::debug!(
        function = %mapping.function,
        shard = %lane.shard_id,
        lane = lane.index + 1,
        records = batch.len(),
        first = %batch.first().map_or("", Record::sequence_number),
        last = %batch.last().map_or("", Record::sequence_number),
        keys = %keys.join(","),
        "batch handed over"
    );
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
    lane: Lane<'_>,
    batch: Vec<Record>,
) -> Result<Handled, MappingError> {
    let shard_id = lane.shard_id;
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
        let Some(first_failed) = invoke(mapping, lane, &attempt.records).await? else {
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

/// One invocation of the consumer; the position of the first record it reports as failed
/// (the first of the batch when the function failed as a whole).
async fn invoke(
    mapping: &LocalMapping,
    lane: Lane<'_>,
    batch: &[Record],
) -> Result<Option<usize>, MappingError> {
    let last_record_age = batch
        .last()
        .and_then(|r| failure::age(r, SystemTime::now()))
        .unwrap_or_default();
    let event = kinesis_event(&mapping.source, lane.shard_id, batch);
    let event = serde_json::to_value(&event).map_err(MappingError::Event)?;
    let invocation = mapping
        .host
        .invoke(event)
        .await
        .map_err(MappingError::Host)?;
    mapping.recorder.record(
        LocalMetric::IteratorAge,
        &mapping.function,
        millis(last_record_age),
    );
    let first_failed = first_failed(&invocation.outcome, batch);
    if mapping.log_batches {
        let what = match (&invocation.outcome, first_failed) {
            (Outcome::Error(error), _) => format!("function error {}", error.error_type),
            (_, Some(at)) => format!("{} failed", batch.len() - at),
            (_, None) => "0 failed".to_owned(),
        };
        tracing::info!(
            "{} ← {} record(s) from {lane}: {what}, {:.0} ms",
            mapping.function,
            batch.len(),
            invocation.report.duration_ms
        );
    }
    Ok(first_failed)
}

/// Where Lambda checkpoints with ReportBatchItemFailures: before the lowest sequence number
/// reported. Null, `{}`, or no or an empty `batchItemFailures` is success; a function error, an
/// answer of another shape, or an identifier that is empty or names no record of the batch fails
/// the whole batch (AWS: "Configuring partial batch response with Kinesis").
fn first_failed(outcome: &Outcome, batch: &[Record]) -> Option<usize> {
    let response = match outcome {
        Outcome::Response(response) => response,
        Outcome::Error(_) => return Some(0),
    };
    let failures = match response {
        serde_json::Value::Null => return None,
        serde_json::Value::Object(fields) => match fields.get("batchItemFailures") {
            None | Some(serde_json::Value::Null) => return None,
            Some(serde_json::Value::Array(failures)) => failures,
            Some(_) => return Some(0),
        },
        _ => return Some(0),
    };
    let mut first: Option<usize> = None;
    for failure in failures {
        let position = failure["itemIdentifier"]
            .as_str()
            .and_then(|id| batch.iter().position(|r| r.sequence_number() == id));
        let Some(position) = position else {
            return Some(0);
        };
        first = Some(first.map_or(position, |f| f.min(position)));
    }
    first
}

/// Gives `records` up: Lambda's on-failure message to the destination, or dropped without one.
async fn give_up(
    mapping: &LocalMapping,
    shard_id: &str,
    records: &[Record],
    condition: &str,
    retries: u32,
) -> Result<u64, MappingError> {
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
        batcher.add(&records(25), Instant::now());
        let window = Duration::from_secs(60);
        assert_eq!(batcher.due(10, window).map(|b| b.len()), Some(10));
        assert_eq!(batcher.due(10, window).map(|b| b.len()), Some(10));
        assert!(
            batcher.due(10, window).is_none(),
            "5 records wait for the window"
        );
        assert_eq!(batcher.records.len(), 5);
    }

    /// `n` records, the i-th keyed `key-(i mod keys)`.
    fn keyed(n: usize, keys: usize) -> Vec<Record> {
        (0..n)
            .map(|i| {
                Record::builder()
                    .sequence_number(i.to_string())
                    .partition_key(format!("key-{}", i % keys))
                    .data(Blob::new(vec![]))
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn one_keys_records_stay_in_one_lane_in_order() {
        let records = keyed(200, 20);
        let lanes = by_lane(&records, 3);
        assert_eq!(lanes.len(), 3);
        assert_eq!(lanes.iter().map(Vec::len).sum::<usize>(), 200);
        assert!(
            lanes.iter().all(|lane| !lane.is_empty()),
            "20 keys use every lane"
        );
        for (index, lane) in lanes.iter().enumerate() {
            let sequence: Vec<usize> = lane
                .iter()
                .map(|r| r.sequence_number().parse().unwrap())
                .collect();
            assert!(
                sequence.is_sorted(),
                "lane {index} out of order: {sequence:?}"
            );
            for record in lane {
                assert_eq!(lane_of(record.partition_key(), 3), index);
            }
        }
        let single = by_lane(&records, 1);
        assert_eq!(single, [records]);
    }

    #[test]
    fn a_lane_is_named_only_when_there_are_several() {
        let lane = |index, count| Lane {
            shard_id: "shardId-000000000000",
            index,
            count,
        };
        assert_eq!(lane(0, 1).to_string(), "shardId-000000000000");
        assert_eq!(lane(1, 2).to_string(), "shardId-000000000000 (lane 2 of 2)");
    }

    #[test]
    fn a_function_error_fails_the_whole_batch_and_a_report_from_its_first_failure() {
        use crate::local::host::platform::FunctionError;
        let batch = records(5);
        let crashed = Outcome::Error(FunctionError {
            error_type: "Runtime.ExitError".into(),
            error_message: "signal: killed".into(),
        });
        assert_eq!(first_failed(&crashed, &batch), Some(0));
        let reported = Outcome::Response(serde_json::json!(
            {"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}
        ));
        assert_eq!(first_failed(&reported, &batch), Some(2));
        for success in [
            serde_json::json!({"batchItemFailures": []}),
            serde_json::json!({"batchItemFailures": null}),
            serde_json::json!({}),
            serde_json::Value::Null,
        ] {
            assert_eq!(
                first_failed(&Outcome::Response(success.clone()), &batch),
                None,
                "{success}"
            );
        }
        for failure in [
            serde_json::json!("done"),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": null}]}),
            serde_json::json!({"batchItemFailures": [{"itemIdentifier": "4"}, {"itemIdentifier": "99"}]}),
        ] {
            assert_eq!(
                first_failed(&Outcome::Response(failure.clone()), &batch),
                Some(0),
                "{failure}"
            );
        }
    }

    #[test]
    fn a_passed_window_flushes_a_partial_batch() {
        let mut batcher = Batcher::default();
        batcher.add(&records(3), Instant::now());
        assert_eq!(batcher.due(100, Duration::ZERO).map(|b| b.len()), Some(3));
        assert!(batcher.due(100, Duration::ZERO).is_none());
        assert!(batcher.since.is_none());
    }
}
