//! For unit tests: SDK clients that reach no network and answer from replayed HTTP responses
//! of AWS's shape (aws-smithy-mocks rules), so the SDK parses them as it parses AWS's own.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::config::{Credentials, SharedCredentialsProvider};
// Every SDK crate shares aws-smithy-types' body; Lambda's crate is one re-exporting it.
use aws_sdk_lambda::primitives::SdkBody;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client};

/// The request id every answer carries (in its header; awsQuery answers repeat it in the body).
pub(crate) const REQUEST_ID: &str = "3f1c2a9e-5b7d-4e61-9a0f-2c8d7e6b1a44";

/// A configuration whose calls reach no network (a call no rule takes gets the mock HTTP
/// client's 418), with test credentials and the SDK's retries without their seconds of backoff.
pub(crate) fn sdk_config(region: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
        .http_client(create_mock_http_client())
        .retry_config(RetryConfig::standard().with_initial_backoff(Duration::from_millis(1)))
        .build()
}

/// Answers each call with the first of `rules` that matches it.
pub(crate) fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    (rules.iter()).fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
        |interceptor, rule| interceptor.with_rule(rule),
    )
}

/// A Lambda client answering with `rules`.
pub(crate) fn lambda(region: &str, rules: &[&Rule]) -> aws_sdk_lambda::Client {
    let config = aws_sdk_lambda::config::Builder::from(&sdk_config(region))
        .interceptor(interceptor(rules))
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

/// An answer as AWS sends it: the status, the content type, a request id and the body.
pub(crate) fn answer(
    status: u16,
    content_type: &'static str,
    body: impl Into<String>,
) -> HttpResponse {
    let status = status.try_into().expect("an HTTP status code");
    let mut response = HttpResponse::new(status, SdkBody::from(body.into()));
    let headers = response.headers_mut();
    headers.insert("content-type", content_type);
    headers.insert("x-amzn-RequestId", REQUEST_ID);
    response
}

/// A REST-JSON answer (Lambda's): an error's type goes in the `x-amzn-errortype` header.
pub(crate) fn rest_json(
    status: u16,
    error_type: Option<&'static str>,
    body: &'static str,
) -> HttpResponse {
    let mut response = answer(status, "application/json", body);
    if let Some(error_type) = error_type {
        response
            .headers_mut()
            .insert("x-amzn-errortype", error_type);
    }
    response
}

/// A Kinesis client answering with `rules`.
pub(crate) fn kinesis(region: &str, rules: &[&Rule]) -> aws_sdk_kinesis::Client {
    let config = aws_sdk_kinesis::config::Builder::from(&sdk_config(region))
        .interceptor(interceptor(rules))
        .build();
    aws_sdk_kinesis::Client::from_conf(config)
}
