//! Why a record was not written, and what a failed `BatchWriteItem` call means for its items.
//!
//! Everything here is pure: classifying an SDK error and describing it in one short line
//! (code and message, never the SDK's debug dump), so both are unit-tested on their own.

use std::fmt;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemError;
use serde::Serialize;

/// A record that was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordFailure {
    pub sequence_number: String,
    pub kind: FailureKind,
    /// One line: the rule broken, or DynamoDB's error code and message.
    pub reason: String,
}

/// The kinds of failure, by what can be done about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// The record's data is not an order; no retry will change that.
    NotAnOrder,
    /// The order is one DynamoDB cannot store (a number out of its range, an oversized item);
    /// found before any call.
    Unstorable,
    /// DynamoDB refused the item itself (e.g. `ValidationException`), found by writing it alone.
    Refused,
    /// The table could not take the write: throttled, unavailable, missing or not permitted.
    /// The record is fine and a later retry (once the cause is fixed) can write it.
    Unavailable,
}

impl FailureKind {
    /// True when writing the same record again can succeed.
    pub fn is_retryable(self) -> bool {
        self == FailureKind::Unavailable
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::NotAnOrder => "not-an-order",
            FailureKind::Unstorable => "unstorable",
            FailureKind::Refused => "refused",
            FailureKind::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RecordFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "record {} not written ({}): {}",
            self.sequence_number, self.kind, self.reason
        )
    }
}

/// What a failed `BatchWriteItem` call means for the items it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Throttling, a server fault or the network: the same call may succeed later.
    Retry,
    /// DynamoDB refused something about the items: write halves to find the one(s) at fault.
    Split,
    /// The table itself cannot be written (missing, access denied, bad request setup):
    /// every item fails, and splitting would only repeat the refusal.
    FailAll,
}

/// Service error codes that concern the items sent rather than the table or the caller.
const ITEM_LEVEL_CODES: [&str; 3] = [
    "ValidationException",
    "SerializationException",
    "ItemCollectionSizeLimitExceededException",
];

/// Service error codes worth the same call again.
const RETRYABLE_CODES: [&str; 7] = [
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "ReplicatedWriteConflictException",
];

/// The verdict on a service error with this code and HTTP status.
pub(crate) fn verdict_for(code: Option<&str>, status: Option<u16>) -> Verdict {
    match code {
        Some(code) if RETRYABLE_CODES.contains(&code) => Verdict::Retry,
        Some(code) if ITEM_LEVEL_CODES.contains(&code) => Verdict::Split,
        _ if status.is_some_and(|status| status >= 500) => Verdict::Retry,
        _ => Verdict::FailAll,
    }
}

/// The verdict on any SDK error: transport failures and timeouts are retried, a request that
/// could not even be built is not.
pub(crate) fn verdict(err: &SdkError<BatchWriteItemError, HttpResponse>) -> Verdict {
    match err {
        SdkError::ServiceError(service) => {
            verdict_for(service.err().code(), Some(service.raw().status().as_u16()))
        }
        SdkError::ConstructionFailure(_) => Verdict::FailAll,
        _ => Verdict::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_smithy_runtime_api::client::result::ConnectorError;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use orders::sdk_error::{MAX_DESCRIBED_CHARS, describe};

    fn service_error(
        code: &str,
        message: &str,
        status: u16,
    ) -> SdkError<BatchWriteItemError, HttpResponse> {
        let err = BatchWriteItemError::generic(
            ErrorMetadata::builder().code(code).message(message).build(),
        );
        let raw = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from("{}"));
        SdkError::service_error(err, raw)
    }

    #[test]
    fn item_level_refusals_split_throttling_retries_the_rest_fails_all() {
        for (code, status, expected) in [
            ("ValidationException", 400, Verdict::Split),
            ("SerializationException", 400, Verdict::Split),
            (
                "ItemCollectionSizeLimitExceededException",
                400,
                Verdict::Split,
            ),
            (
                "ProvisionedThroughputExceededException",
                400,
                Verdict::Retry,
            ),
            ("ThrottlingException", 400, Verdict::Retry),
            ("RequestLimitExceeded", 400, Verdict::Retry),
            ("InternalServerError", 500, Verdict::Retry),
            ("SomethingNew", 503, Verdict::Retry),
            ("ResourceNotFoundException", 400, Verdict::FailAll),
            ("AccessDeniedException", 400, Verdict::FailAll),
            ("UnrecognizedClientException", 400, Verdict::FailAll),
        ] {
            assert_eq!(
                verdict(&service_error(code, "m", status)),
                expected,
                "{code}"
            );
        }
        assert_eq!(verdict_for(None, None), Verdict::FailAll);
    }

    #[test]
    fn transport_failures_are_retried_and_unbuildable_requests_are_not() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let dispatch: SdkError<BatchWriteItemError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(io.into()));
        assert_eq!(verdict(&dispatch), Verdict::Retry);
        let timeout: SdkError<BatchWriteItemError, HttpResponse> = SdkError::timeout_error("slow");
        assert_eq!(verdict(&timeout), Verdict::Retry);
        let unbuilt: SdkError<BatchWriteItemError, HttpResponse> =
            SdkError::construction_failure("no region");
        assert_eq!(verdict(&unbuilt), Verdict::FailAll);
    }

    #[test]
    fn a_description_is_one_short_line_with_code_and_message() {
        let err = service_error(
            "ValidationException",
            "One or more parameter values were invalid: Number overflow.\nAttempting to store a number with magnitude larger than supported range",
            400,
        );
        assert_eq!(
            describe(&err),
            "ValidationException: One or more parameter values were invalid: Number overflow. \
             Attempting to store a number with magnitude larger than supported range"
        );
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let dispatch: SdkError<BatchWriteItemError, HttpResponse> =
            SdkError::dispatch_failure(ConnectorError::io(io.into()));
        let line = describe(&dispatch);
        assert!(line.starts_with("DispatchFailure: "), "{line}");
        assert!(line.contains("Connection refused"), "{line}");
        for dump in [
            "ServiceError {",
            "raw:",
            "DispatchFailure(",
            "ErrorMetadata",
            "\n",
        ] {
            assert!(
                !describe(&err).contains(dump) && !line.contains(dump),
                "{dump}"
            );
        }
        let long = service_error("ValidationException", &"m".repeat(5000), 400);
        assert!(describe(&long).chars().count() <= MAX_DESCRIBED_CHARS + 1);
    }

    #[test]
    fn a_failure_displays_as_one_line_naming_record_kind_and_reason() {
        let failure = RecordFailure {
            sequence_number: "4959".into(),
            kind: FailureKind::Refused,
            reason: "ValidationException: Number overflow".into(),
        };
        assert_eq!(
            failure.to_string(),
            "record 4959 not written (refused): ValidationException: Number overflow"
        );
        assert!(FailureKind::Unavailable.is_retryable());
        assert!(!FailureKind::Refused.is_retryable());
        assert_eq!(
            serde_json::to_value(&failure).unwrap()["kind"],
            serde_json::json!("refused")
        );
    }
}
