//! Reads a given-up range back from the stream: from its first sequence number
//! (`AT_SEQUENCE_NUMBER`) to its last, while the stream still holds it. What it no longer holds
//! (past its retention) is counted as gone.
//!
//! With ParallelizationFactor 1, the template's default, a batch is every record of its shard
//! between its first and last sequence number, so the range is the batch. With more
//! (`--parallelization`), a range also holds other lanes' records (other partition keys);
//! those are found in the table and only counted, as records written before or after a failed
//! one are.

use std::cmp::Ordering;

use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::types::{Record, ShardIteratorType};

use super::error::CallFailed;
use crate::model::failure_message::{KinesisBatchInfo, compare_sequence};

/// GetRecords calls for one range at most (each returns up to 10,000 records or 10 MB).
const MAX_READS: usize = 100;

/// A range, read back.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub(crate) records: Vec<Record>,
    /// Records of the range the stream no longer holds (from the message's batch size).
    pub(crate) gone: u64,
    /// Why, when some are gone.
    pub(crate) gone_because: Option<String>,
}

/// The stream name in a stream ARN (`arn:…:stream/NAME`).
pub(crate) fn stream_name(stream_arn: &str) -> &str {
    stream_arn
        .rsplit_once('/')
        .map_or(stream_arn, |(_, name)| name)
}

/// Reads `batch`'s records; never fails for records that are gone, only for calls that fail.
pub(crate) async fn range(
    kinesis: &aws_sdk_kinesis::Client,
    batch: &KinesisBatchInfo,
) -> Result<Fetched, CallFailed> {
    let stream = stream_name(&batch.stream_arn);
    let iterator = kinesis
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(&batch.shard_id)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(&batch.start_sequence_number)
        .send()
        .await;
    let mut iterator = match iterator {
        Ok(output) => output.shard_iterator,
        // The stream, the shard or that position no longer exists.
        Err(err)
            if matches!(
                err.code(),
                Some("ResourceNotFoundException" | "InvalidArgumentException")
            ) =>
        {
            return Ok(all_gone(batch, &describe(&err)));
        }
        Err(err) => {
            return Err(CallFailed {
                call: "GetShardIterator",
                target: format!("{stream} {}", batch.shard_id),
                detail: describe(&err),
            });
        }
    };
    let mut records = Vec::new();
    let mut reads = 0;
    while let Some(current) = iterator.take() {
        reads += 1;
        let output = kinesis
            .get_records()
            .shard_iterator(current)
            .limit(10_000)
            .send()
            .await
            .map_err(|err| CallFailed {
                call: "GetRecords",
                target: format!("{stream} {}", batch.shard_id),
                detail: describe(&err),
            })?;
        let (inside, past_end) = within(output.records(), &batch.end_sequence_number);
        records.extend(inside);
        let caught_up = output.records().is_empty() && output.millis_behind_latest() == Some(0);
        if past_end || caught_up || reads >= MAX_READS {
            break;
        }
        iterator = output.next_shard_iterator().map(str::to_owned);
    }
    Ok(with_gone(batch, records))
}

/// The records up to `end` included, and whether the read went past it.
fn within(read: &[Record], end: &str) -> (Vec<Record>, bool) {
    let inside: Vec<Record> = read
        .iter()
        .take_while(|r| compare_sequence(r.sequence_number(), end) != Ordering::Greater)
        .cloned()
        .collect();
    let past_end = inside.len() < read.len();
    (inside, past_end)
}

/// Counts what is missing: records before the first one found (trimmed by retention) or fewer
/// records than the batch had.
fn with_gone(batch: &KinesisBatchInfo, records: Vec<Record>) -> Fetched {
    let starts_late = records.first().is_none_or(|first| {
        compare_sequence(first.sequence_number(), &batch.start_sequence_number) == Ordering::Greater
    });
    let gone = batch.batch_size.saturating_sub(records.len() as u64);
    let gone_because = (gone > 0).then(|| {
        if starts_late {
            "the stream no longer holds them (past its retention)".to_owned()
        } else {
            "the stream holds fewer records in this range than the batch had".to_owned()
        }
    });
    Fetched {
        records,
        gone,
        gone_because,
    }
}

fn all_gone(batch: &KinesisBatchInfo, why: &str) -> Fetched {
    Fetched {
        records: Vec::new(),
        gone: batch.batch_size,
        gone_because: Some(format!("the stream no longer holds them ({why})")),
    }
}

fn describe<E: ProvideErrorMetadata>(err: &E) -> String {
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => "no answer from Kinesis".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::Blob;

    fn record(sequence: &str) -> Record {
        Record::builder()
            .sequence_number(sequence)
            .partition_key("k")
            .data(Blob::new(vec![]))
            .build()
            .unwrap()
    }

    fn batch(start: &str, end: &str, size: u64) -> KinesisBatchInfo {
        KinesisBatchInfo {
            shard_id: "shardId-000000000000".into(),
            start_sequence_number: start.into(),
            end_sequence_number: end.into(),
            approximate_arrival_of_first_record: None,
            approximate_arrival_of_last_record: None,
            batch_size: size,
            stream_arn: "arn:aws:kinesis:ap-southeast-2:123456789012:stream/demo-orders".into(),
        }
    }

    #[test]
    fn reading_stops_at_the_end_of_the_range() {
        let read = [record("8"), record("9"), record("10"), record("11")];
        let (inside, past_end) = within(&read, "10");
        assert_eq!(inside.len(), 3);
        assert!(past_end);
        let (inside, past_end) = within(&read[..2], "10");
        assert_eq!(inside.len(), 2);
        assert!(!past_end);
    }

    #[test]
    fn what_the_stream_no_longer_holds_is_counted_as_gone() {
        let whole = with_gone(
            &batch("8", "10", 3),
            vec![record("8"), record("9"), record("10")],
        );
        assert_eq!((whole.gone, whole.gone_because), (0, None));
        let trimmed = with_gone(&batch("8", "10", 3), vec![record("10")]);
        assert_eq!(trimmed.gone, 2);
        assert!(trimmed.gone_because.unwrap().contains("retention"));
        let nothing = with_gone(&batch("8", "10", 3), vec![]);
        assert_eq!(nothing.gone, 3);
    }

    #[test]
    fn the_stream_name_comes_from_the_arn() {
        assert_eq!(stream_name(&batch("1", "1", 1).stream_arn), "demo-orders");
    }
}
