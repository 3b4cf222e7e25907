//! The Kinesis client the producer puts with: every PutRecord, retries included, ends well inside
//! the function's 10 s Lambda timeout, so a hung Kinesis gives the designed 503 carrying the
//! `orderid` rather than a Lambda timeout (which API Gateway turns into a bare 502).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_kinesis::config::timeout::TimeoutConfig;

/// Longest a PutRecord may take, all attempts and backoff included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest one PutRecord attempt may take; leaves room for a retry inside the operation timeout.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long PutRecord may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole call, retries included.
    pub operation: Duration,
    /// One attempt.
    pub attempt: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            operation: OPERATION_TIMEOUT,
            attempt: ATTEMPT_TIMEOUT,
        }
    }
}

/// A Kinesis client for `config` with the producer's [`Timeouts::default`].
pub fn kinesis_client(config: &SdkConfig) -> aws_sdk_kinesis::Client {
    kinesis_client_with(config, Timeouts::default())
}

/// A Kinesis client for `config` whose calls end within `timeouts`; the other timeouts of
/// `config` (such as the connect timeout) are kept.
pub fn kinesis_client_with(config: &SdkConfig, timeouts: Timeouts) -> aws_sdk_kinesis::Client {
    with_timeouts(&aws_sdk_kinesis::Client::new(config), timeouts)
}

/// `client` with its calls bounded by `timeouts`, the client's other settings kept.
pub fn with_timeouts(
    client: &aws_sdk_kinesis::Client,
    timeouts: Timeouts,
) -> aws_sdk_kinesis::Client {
    let config = client.config();
    let timeout_config = config
        .timeout_config()
        .map_or_else(TimeoutConfig::builder, TimeoutConfig::to_builder)
        .operation_timeout(timeouts.operation)
        .operation_attempt_timeout(timeouts.attempt)
        .build();
    aws_sdk_kinesis::Client::from_conf(config.to_builder().timeout_config(timeout_config).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_twice_inside_the_lambda_timeout_and_keep_the_connect_timeout() {
        const LAMBDA_TIMEOUT: Duration = Duration::from_secs(10);
        assert!(OPERATION_TIMEOUT * 2 <= LAMBDA_TIMEOUT);
        assert!(ATTEMPT_TIMEOUT * 2 <= OPERATION_TIMEOUT, "room for a retry");
        let config = SdkConfig::builder()
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_millis(3100))
                    .build(),
            )
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let client = kinesis_client(&config);
        let timeouts = client.config().timeout_config().unwrap();
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(
            timeouts.connect_timeout(),
            Some(Duration::from_millis(3100))
        );
    }
}
