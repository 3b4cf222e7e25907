//! What Lambda does with a batch its function fails, done locally: retry from the first failed
//! record, bisect when the mapping says so (halving costs no retry), skip records older than the
//! mapping's maximum age, and after the last retry send Lambda's on-failure message to the
//! mapping's SQS destination — so `demo failures --local` finds them as it would on AWS.

use std::time::{Duration, SystemTime};

use aws_sdk_kinesis::primitives::DateTimeFormat;
use aws_sdk_kinesis::types::Record;

use super::error::MappingError;
use crate::deploy::mapping::FailureHandling;
use crate::model::failure_message::{
    FailureMessage, KinesisBatchInfo, RequestContext, ResponseContext,
};

/// Retries used when the mapping says -1 ("until the record expires"): a local run has no day
/// to wait, and a poison record would otherwise hold its shard until the run is stopped.
const UNBOUNDED_RETRIES: u32 = 10_000;

/// The mapping's failure settings, as the local runner applies them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FailurePolicy {
    pub(crate) max_retries: u32,
    pub(crate) bisect: bool,
    max_record_age: Option<Duration>,
}

impl From<&FailureHandling> for FailurePolicy {
    fn from(handling: &FailureHandling) -> Self {
        FailurePolicy {
            max_retries: match handling.max_retries {
                Some(n) if n >= 0 => n as u32,
                _ => UNBOUNDED_RETRIES,
            },
            bisect: handling.bisect,
            max_record_age: handling
                .max_record_age_seconds
                .filter(|&s| s >= 0)
                .map(|s| Duration::from_secs(s as u64)),
        }
    }
}

/// Records handed to the function together, and the retries they have used.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attempt {
    pub(crate) records: Vec<Record>,
    pub(crate) retries: u32,
}

/// What to do after the function failed `attempt` from position `first_failed` on.
#[derive(Debug, PartialEq)]
pub(crate) enum Next {
    /// Hand these over next, in this order.
    Retry(Vec<Attempt>),
    /// Out of retries: these records go to the destination.
    GiveUp(Vec<Record>),
}

impl FailurePolicy {
    /// Lambda's rule with ReportBatchItemFailures: what precedes the first failed record is
    /// done; the rest is split in two if bisecting (no retry used), else retried whole.
    pub(crate) fn after_failure(&self, attempt: Attempt, first_failed: usize) -> Next {
        let retries = attempt.retries;
        let mut rest = attempt.records;
        rest.drain(..first_failed.min(rest.len()));
        if self.bisect && rest.len() > 1 {
            let second = rest.split_off(rest.len() / 2);
            return Next::Retry(vec![
                Attempt {
                    records: rest,
                    retries,
                },
                Attempt {
                    records: second,
                    retries,
                },
            ]);
        }
        if retries >= self.max_retries {
            return Next::GiveUp(rest);
        }
        Next::Retry(vec![Attempt {
            records: rest,
            retries: retries + 1,
        }])
    }

    /// Splits off the leading records older than the maximum age (a shard's records arrive in
    /// order, so they lead): Lambda gives them up without invoking the function.
    pub(crate) fn split_expired(&self, records: &mut Vec<Record>, now: SystemTime) -> Vec<Record> {
        let Some(limit) = self.max_record_age else {
            return Vec::new();
        };
        let expired = records
            .iter()
            .take_while(|r| age(r, now).is_some_and(|a| a > limit))
            .count();
        records.drain(..expired).collect()
    }
}

/// How long ago `record` arrived on the stream.
pub(crate) fn age(record: &Record, now: SystemTime) -> Option<Duration> {
    let arrived = SystemTime::try_from(*record.approximate_arrival_timestamp()?).ok()?;
    now.duration_since(arrived).ok()
}

/// Where a mapping's given-up batches go: an SQS queue.
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) queue_url: String,
}

/// Who gave up, for the message.
pub(crate) struct GivenUpBy<'a> {
    pub(crate) function_arn: &'a str,
    pub(crate) stream_arn: &'a str,
    pub(crate) shard_id: &'a str,
}

/// Lambda's on-failure message for `records` (one shard's, in order; not empty).
pub(crate) fn message(
    by: &GivenUpBy,
    records: &[Record],
    condition: &str,
    invokes: u64,
) -> FailureMessage {
    let arrival = |r: Option<&Record>| {
        r.and_then(Record::approximate_arrival_timestamp)
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
    };
    let sequence = |r: Option<&Record>| {
        r.map(|r| r.sequence_number().to_owned())
            .unwrap_or_default()
    };
    FailureMessage {
        request_context: RequestContext {
            request_id: Some(uuid::Uuid::new_v4().to_string()),
            function_arn: by.function_arn.to_owned(),
            condition: condition.to_owned(),
            approximate_invoke_count: Some(invokes),
        },
        response_context: Some(ResponseContext {
            status_code: Some(200),
            executed_version: Some("$LATEST".into()),
            function_error: None,
        }),
        version: Some("1.0".into()),
        timestamp: aws_sdk_kinesis::primitives::DateTime::from(SystemTime::now())
            .fmt(DateTimeFormat::DateTime)
            .ok(),
        batch: KinesisBatchInfo {
            shard_id: by.shard_id.to_owned(),
            start_sequence_number: sequence(records.first()),
            end_sequence_number: sequence(records.last()),
            approximate_arrival_of_first_record: arrival(records.first()),
            approximate_arrival_of_last_record: arrival(records.last()),
            batch_size: records.len() as u64,
            stream_arn: by.stream_arn.to_owned(),
        },
    }
}

impl Destination {
    /// Sends the message; an error here means the records would be lost, so it stops the run.
    pub(crate) async fn send(&self, message: &FailureMessage) -> Result<(), MappingError> {
        let body = serde_json::to_string(message).expect("a failure message serialises");
        self.sqs
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| MappingError::NotSent {
                queue_url: self.queue_url.clone(),
                detail: aws_sdk_sqs::error::DisplayErrorContext(err).to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::failure_message::RETRY_ATTEMPTS_EXHAUSTED;
    use aws_sdk_kinesis::primitives::{Blob, DateTime};

    fn records(n: usize) -> Vec<Record> {
        (0..n)
            .map(|i| {
                Record::builder()
                    .sequence_number((100 + i).to_string())
                    .partition_key("k")
                    .data(Blob::new(vec![]))
                    .approximate_arrival_timestamp(DateTime::from_secs(1_000 + i as i64))
                    .build()
                    .unwrap()
            })
            .collect()
    }

    fn policy(max_retries: u32, bisect: bool) -> FailurePolicy {
        FailurePolicy {
            max_retries,
            bisect,
            max_record_age: None,
        }
    }

    fn sequences(records: &[Record]) -> Vec<&str> {
        records.iter().map(Record::sequence_number).collect()
    }

    #[test]
    fn without_bisect_the_rest_is_retried_until_the_retries_run_out() {
        let policy = policy(2, false);
        let first = Attempt {
            records: records(5),
            retries: 0,
        };
        let Next::Retry(next) = policy.after_failure(first, 3) else {
            panic!("retry expected")
        };
        assert_eq!(next.len(), 1);
        assert_eq!(sequences(&next[0].records), ["103", "104"]);
        assert_eq!(next[0].retries, 1);
        let last = Attempt {
            records: next[0].records.clone(),
            retries: 2,
        };
        assert_eq!(
            policy.after_failure(last, 0),
            Next::GiveUp(records(5).split_off(3))
        );
    }

    #[test]
    fn bisecting_halves_the_rest_without_using_a_retry() {
        let policy = policy(0, true);
        let attempt = Attempt {
            records: records(5),
            retries: 0,
        };
        let Next::Retry(halves) = policy.after_failure(attempt, 1) else {
            panic!("bisect expected")
        };
        assert_eq!(sequences(&halves[0].records), ["101", "102"]);
        assert_eq!(sequences(&halves[1].records), ["103", "104"]);
        assert!(halves.iter().all(|h| h.retries == 0));
        // One record left and no retries: given up alone.
        let single = Attempt {
            records: records(1),
            retries: 0,
        };
        assert_eq!(policy.after_failure(single, 0), Next::GiveUp(records(1)));
    }

    #[test]
    fn minus_one_means_many_retries_and_no_age_limit() {
        let handling = FailureHandling {
            max_retries: Some(-1),
            bisect: false,
            max_record_age_seconds: Some(-1),
            on_failure: None,
        };
        let policy = FailurePolicy::from(&handling);
        assert_eq!(policy.max_retries, UNBOUNDED_RETRIES);
        assert_eq!(policy.max_record_age, None);
    }

    #[test]
    fn records_past_the_maximum_age_are_split_off_in_front() {
        let policy = FailurePolicy {
            max_record_age: Some(Duration::from_secs(60)),
            ..policy(1, false)
        };
        let mut batch = records(5); // arrived at 1000 s … 1004 s
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_062);
        let expired = policy.split_expired(&mut batch, now);
        assert_eq!(sequences(&expired), ["100", "101"]);
        assert_eq!(sequences(&batch), ["102", "103", "104"]);
    }

    #[test]
    fn the_message_names_the_range_as_lambda_does() {
        let by = GivenUpBy {
            function_arn: "arn:aws:lambda:ap-southeast-2:123456789012:function:s-put-item-1",
            stream_arn: "arn:aws:kinesis:ap-southeast-2:123456789012:stream/s-orders",
            shard_id: "shardId-000000000000",
        };
        let message = message(&by, &records(3), RETRY_ATTEMPTS_EXHAUSTED, 11);
        assert_eq!(message.function_name(), "s-put-item-1");
        assert_eq!(message.batch.start_sequence_number, "100");
        assert_eq!(message.batch.end_sequence_number, "102");
        assert_eq!(message.batch.batch_size, 3);
        assert_eq!(
            message.batch.approximate_arrival_of_first_record.as_deref(),
            Some("1970-01-01T00:16:40Z")
        );
        assert_eq!(message.request_context.approximate_invoke_count, Some(11));
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["KinesisBatchInfo"]["shardId"], "shardId-000000000000");
        assert_eq!(
            json["requestContext"]["condition"],
            "RetryAttemptsExhausted"
        );
    }
}
