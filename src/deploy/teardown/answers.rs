//! What a service's answer says about one resource asked after by name: "it does not exist"
//! (each service's documented not-found codes, or the wording another emulator uses), or
//! something else, which teardown reports and goes on past.
//!
//! The codes, from each API reference (and the SDK models, which map them):
//! - API Gateway `NotFoundException` (404), e.g. DeleteRestApi.
//! - CloudWatch `ResourceNotFound` (404): GetDashboard and DeleteDashboards (the SDK's
//!   `DashboardNotFoundError`), DeleteAlarms; but `ResourceNotFoundException` (404) from
//!   ListTagsForResource.
//! - DynamoDB, Kinesis, Lambda and CloudWatch Logs `ResourceNotFoundException`.
//! - IAM `NoSuchEntity` (404).
//! - SQS `AWS.SimpleQueueService.NonExistentQueue` (its awsQuery code, which the JSON protocol
//!   still sends in `x-amzn-query-error`) or `QueueDoesNotExist` (the JSON protocol's type).
//!
//! A second emulator answers GetDashboard for a missing dashboard with `InvalidParameterValue`
//! "Dashboard <name> does not exist": an invalid-parameter answer that names the resource asked
//! for and says it does not exist means the same.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use crate::deploy::DeployError;

/// A service teardown asks "does it still exist?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    ApiGateway,
    CloudWatch,
    DynamoDb,
    Iam,
    Kinesis,
    Lambda,
    Logs,
    Sqs,
}

impl Service {
    /// The error codes its API reference gives for a resource that does not exist.
    fn missing_codes(self) -> &'static [&'static str] {
        match self {
            Service::ApiGateway => &["NotFoundException"],
            Service::CloudWatch => &["ResourceNotFound", "ResourceNotFoundException"],
            Service::DynamoDb | Service::Kinesis | Service::Lambda | Service::Logs => {
                &["ResourceNotFoundException"]
            }
            Service::Iam => &["NoSuchEntity"],
            Service::Sqs => &[
                "AWS.SimpleQueueService.NonExistentQueue",
                "QueueDoesNotExist",
            ],
        }
    }
}

/// Whether an error answer about the resource `name` says that it does not exist.
fn says_missing(service: Service, code: Option<&str>, message: Option<&str>, name: &str) -> bool {
    if code.is_some_and(|code| service.missing_codes().contains(&code)) {
        return true;
    }
    let invalid_parameter = matches!(
        code,
        Some("InvalidParameterValue" | "InvalidParameterValueException")
    );
    invalid_parameter
        && message
            .is_some_and(|m| !name.is_empty() && m.contains(name) && m.contains("does not exist"))
}

/// The answer to a "does `name` exist?" call: `Some` when it does, `None` when the service says
/// it does not, else an error on `action`.
pub(crate) fn present<T, E>(
    answer: Result<T, SdkError<E, HttpResponse>>,
    service: Service,
    name: &str,
    action: impl FnOnce() -> String,
) -> Result<Option<T>, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(output) => Ok(Some(output)),
        Err(err) if says_missing(service, err.code(), err.message(), name) => Ok(None),
        Err(err) => Err(DeployError::aws(action(), err)),
    }
}

/// A delete's answer: done, or already gone (the service says `name` does not exist), else an
/// error on `action`.
pub(crate) fn gone<T, E>(
    answer: Result<T, SdkError<E, HttpResponse>>,
    service: Service,
    name: &str,
    action: impl FnOnce() -> String,
) -> Result<(), DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    present(answer, service, name, action).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_services_documented_not_found_code_means_missing() {
        let cases = [
            (Service::ApiGateway, "NotFoundException"),
            (Service::CloudWatch, "ResourceNotFound"),
            (Service::DynamoDb, "ResourceNotFoundException"),
            (Service::Iam, "NoSuchEntity"),
            (Service::Kinesis, "ResourceNotFoundException"),
            (Service::Lambda, "ResourceNotFoundException"),
            (Service::Logs, "ResourceNotFoundException"),
            (Service::Sqs, "AWS.SimpleQueueService.NonExistentQueue"),
            (Service::Sqs, "QueueDoesNotExist"),
        ];
        for (service, code) in cases {
            assert!(
                says_missing(service, Some(code), None, "x"),
                "{service:?} {code}"
            );
        }
        // Another service's not-found code is not this one's.
        assert!(!says_missing(
            Service::Iam,
            Some("NotFoundException"),
            None,
            "x"
        ));
        assert!(!says_missing(
            Service::Lambda,
            Some("NoSuchEntity"),
            None,
            "x"
        ));
    }

    #[test]
    fn an_invalid_parameter_that_says_the_named_resource_does_not_exist_means_missing() {
        let other_emulator = Some("Dashboard demo-batching does not exist");
        for code in ["InvalidParameterValue", "InvalidParameterValueException"] {
            assert!(says_missing(
                Service::CloudWatch,
                Some(code),
                other_emulator,
                "demo-batching"
            ));
        }
        // About something else, or not saying it is missing: an answer to report, not a verdict.
        let role = Some("The role arn:aws:iam::123456789012:role/x does not exist");
        assert!(!says_missing(
            Service::Lambda,
            Some("InvalidParameterValueException"),
            role,
            "demo-put-record"
        ));
        let bad = Some("The value demo-batching is not valid");
        assert!(!says_missing(
            Service::CloudWatch,
            Some("InvalidParameterValue"),
            bad,
            "demo-batching"
        ));
        let internal = Some("Dashboard demo-batching does not exist");
        assert!(!says_missing(
            Service::CloudWatch,
            Some("InternalFailure"),
            internal,
            "demo-batching"
        ));
        assert!(!says_missing(
            Service::CloudWatch,
            None,
            None,
            "demo-batching"
        ));
    }
}
