//! The message a Kinesis event source mapping sends to its on-failure destination, in Lambda's
//! own shape: the local runner writes it, `demo failures` reads it (from Lambda or the runner),
//! so it lives below both.
//!
//! It carries positions, not records: the records must be read back from the stream while it
//! still holds them. Field names are Lambda's (`KinesisBatchInfo` is capitalised, the rest camel
//! case), so one type reads what AWS sends and writes what the runner sends.

use serde::{Deserialize, Serialize};

/// Why Lambda gave a batch up.
pub(crate) const RETRY_ATTEMPTS_EXHAUSTED: &str = "RetryAttemptsExhausted";
/// The records were older than the mapping's MaximumRecordAgeInSeconds.
pub(crate) const RECORD_AGE_EXCEEDED: &str = "RecordAgeExceeded";

/// One on-failure message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FailureMessage {
    #[serde(rename = "requestContext")]
    pub(crate) request_context: RequestContext,
    #[serde(rename = "responseContext", default)]
    pub(crate) response_context: Option<ResponseContext>,
    #[serde(default)]
    pub(crate) version: Option<String>,
    /// When Lambda gave up (RFC 3339).
    #[serde(default)]
    pub(crate) timestamp: Option<String>,
    #[serde(rename = "KinesisBatchInfo")]
    pub(crate) batch: KinesisBatchInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestContext {
    #[serde(default)]
    pub(crate) request_id: Option<String>,
    pub(crate) function_arn: String,
    /// `RetryAttemptsExhausted`, `RecordAgeExceeded`, …
    pub(crate) condition: String,
    #[serde(default)]
    pub(crate) approximate_invoke_count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResponseContext {
    #[serde(default)]
    pub(crate) status_code: Option<u16>,
    #[serde(default)]
    pub(crate) executed_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) function_error: Option<String>,
}

/// The range of one shard that was given up, first and last sequence number included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KinesisBatchInfo {
    pub(crate) shard_id: String,
    pub(crate) start_sequence_number: String,
    pub(crate) end_sequence_number: String,
    #[serde(default)]
    pub(crate) approximate_arrival_of_first_record: Option<String>,
    #[serde(default)]
    pub(crate) approximate_arrival_of_last_record: Option<String>,
    pub(crate) batch_size: u64,
    pub(crate) stream_arn: String,
}

impl FailureMessage {
    /// The function's name, from the end of its ARN (`…:function:NAME`, maybe `:QUALIFIER`).
    pub(crate) fn function_name(&self) -> &str {
        let arn = &self.request_context.function_arn;
        match arn.split_once(":function:") {
            Some((_, rest)) => rest.split(':').next().unwrap_or(rest),
            None => arn,
        }
    }
}

/// Orders Kinesis sequence numbers, which are decimal strings too long for any integer type.
pub(crate) fn compare_sequence(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    /// The example of AWS's "Retain discarded batch records for a Kinesis Data Streams event
    /// source" page, as Lambda sends it to an SQS destination.
    const FROM_AWS: &str = r#"{
        "requestContext": {
            "requestId": "c9b8fa9f-5a7f-xmpl-af9c-0c604cde93a5",
            "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:myfunction",
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 1
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled"
        },
        "version": "1.0",
        "timestamp": "2019-11-14T00:38:06.021Z",
        "KinesisBatchInfo": {
            "shardId": "shardId-000000000001",
            "startSequenceNumber": "49601189658422359378836298521827638475320189012309704722",
            "endSequenceNumber": "49601189658422359378836298522902373528957594348623495186",
            "approximateArrivalOfFirstRecord": "2019-11-14T00:38:04.835Z",
            "approximateArrivalOfLastRecord": "2019-11-14T00:38:05.580Z",
            "batchSize": 500,
            "streamArn": "arn:aws:kinesis:us-east-2:123456789012:stream/mystream"
        }
    }"#;

    #[test]
    fn reads_the_message_lambda_sends_and_writes_it_back_alike() {
        let message: FailureMessage = serde_json::from_str(FROM_AWS).unwrap();
        assert_eq!(message.function_name(), "myfunction");
        assert_eq!(message.request_context.condition, RETRY_ATTEMPTS_EXHAUSTED);
        assert_eq!(message.batch.shard_id, "shardId-000000000001");
        assert_eq!(message.batch.batch_size, 500);
        let again: serde_json::Value = serde_json::to_value(&message).unwrap();
        let original: serde_json::Value = serde_json::from_str(FROM_AWS).unwrap();
        assert_eq!(again, original, "field names are Lambda's");
    }

    #[test]
    fn a_qualified_arn_still_names_the_function() {
        let mut message: FailureMessage = serde_json::from_str(FROM_AWS).unwrap();
        message.request_context.function_arn =
            "arn:aws:lambda:us-east-2:123456789012:function:demo-put-item-1:$LATEST".into();
        assert_eq!(message.function_name(), "demo-put-item-1");
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert_eq!(compare_sequence("9", "10"), Ordering::Less);
        assert_eq!(compare_sequence("0010", "10"), Ordering::Equal);
        assert_eq!(
            compare_sequence(
                "49601189658422359378836298522902373528957594348623495186",
                "49601189658422359378836298521827638475320189012309704722"
            ),
            Ordering::Greater
        );
    }
}
