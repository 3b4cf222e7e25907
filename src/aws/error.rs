//! Why a call to AWS (or the emulator) failed, in one sentence a person can act on: the
//! connection classifiers turn credentials, region and endpoint problems into guidance.

use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// Credentials, region or endpoint: nothing can work until the user fixes it.
    #[error("{guidance}\n  ({action}: {detail})")]
    Environment {
        action: String,
        detail: String,
        guidance: String,
    },

    /// One call failed; `detail` is the service's code and message (or the causes).
    #[error("could not {action}: {detail}")]
    Call { action: String, detail: String },
}

impl AwsError {
    /// An SDK error on `action`; connection and credential problems become one sentence of
    /// guidance. The full error is logged at `-v`.
    pub fn from_sdk<E>(action: impl Into<String>, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let action = action.into();
        let full = DisplayErrorContext(&err).to_string();
        tracing::debug!(%action, error = %full, "AWS call failed");
        match classify_connection(&full) {
            Some(problem) => AwsError::Environment {
                action,
                detail: brief(&err),
                guidance: problem.guidance(None),
            },
            None => AwsError::Call {
                action,
                detail: brief(&err),
            },
        }
    }

    /// Whether the user must fix their environment (exit 2) rather than retry (exit 1).
    pub fn is_environment(&self) -> bool {
        matches!(self, AwsError::Environment { .. })
    }
}

/// A problem reaching AWS (or the emulator) that no retry fixes: the user must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionProblem {
    /// No provider in the default chain found credentials.
    MissingCredentials,
    /// Credentials were found but AWS rejects them.
    InvalidCredentials,
    /// The session or SSO token expired.
    ExpiredToken,
    /// The endpoint's host name does not resolve: a mistyped region or endpoint URL.
    UnknownHost,
    /// Nothing listens at the endpoint.
    Unreachable,
}

/// Which connection problem an SDK error's `DisplayErrorContext` text describes, if any.
pub fn classify_connection(message: &str) -> Option<ConnectionProblem> {
    let lower = message.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    // Expiry first: an expired SSO token also surfaces as "failed to load credentials".
    if has("expiredtoken")
        || has("token has expired")
        || has("token included in the request is expired")
        || has("sso token has expired")
    {
        Some(ConnectionProblem::ExpiredToken)
    } else if has("no providers in chain provided credentials")
        || has("no credentials in the credential chain")
        || has("failed to load credentials")
        || has("credential provider was not enabled")
        || has("an error occurred while loading credentials")
    {
        Some(ConnectionProblem::MissingCredentials)
    } else if has("invalidclienttokenid")
        || has("unrecognizedclientexception")
        || has("signaturedoesnotmatch")
        || has("security token included in the request is invalid")
    {
        Some(ConnectionProblem::InvalidCredentials)
    } else if has("dns error")
        || has("failed to lookup address")
        || has("name or service not known")
        || has("nodename nor servname")
        || has("no such host")
    {
        Some(ConnectionProblem::UnknownHost)
    } else if has("connection refused") || has("tcp connect error") {
        Some(ConnectionProblem::Unreachable)
    } else {
        None
    }
}

impl ConnectionProblem {
    /// One sentence saying what to do; `endpoint` is the `--endpoint-url` (or emulator URL)
    /// in use, `None` for AWS itself.
    pub fn guidance(self, endpoint: Option<&str>) -> String {
        match (self, endpoint) {
            (ConnectionProblem::MissingCredentials, _) => {
                "no AWS credentials were found: configure credentials with `aws configure` or \
                 AWS_PROFILE, or use --local"
                    .into()
            }
            (ConnectionProblem::InvalidCredentials, _) => {
                "AWS rejected the credentials: check the access key (or AWS_PROFILE) with \
                 `aws sts get-caller-identity`, or use --local"
                    .into()
            }
            (ConnectionProblem::ExpiredToken, _) => {
                "the AWS session has expired: refresh it (`aws sso login` for SSO profiles) \
                 and rerun"
                    .into()
            }
            (ConnectionProblem::UnknownHost, Some(url)) => {
                format!("the endpoint {url} does not resolve: check --endpoint-url (and --region)")
            }
            (ConnectionProblem::UnknownHost, None) => {
                "the AWS endpoint does not resolve: check --region (is it a real region \
                 name?) and the network"
                    .into()
            }
            (ConnectionProblem::Unreachable, Some(url)) => format!(
                "nothing answers at {url}: is the emulator running at {url}? `demo up --local` \
                 starts one"
            ),
            (ConnectionProblem::Unreachable, None) => {
                "the AWS endpoint refused the connection: check the network, proxy settings and \
                 --region"
                    .into()
            }
        }
    }
}

/// The useful part of an SDK error: the service's code and message when it sent them, else the
/// chain of causes, plus the body of an answer the SDK could not parse (emulators answer some
/// errors in another service's format). `-v` logs the full form.
fn brief<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E, HttpResponse>,
) -> String {
    if let (Some(code), Some(message)) = (err.code(), err.message()) {
        return format!("{code}: {message}");
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    if let Some(body) = err
        .raw_response()
        .and_then(|r| r.body().bytes())
        .filter(|b| !b.is_empty())
    {
        let body = String::from_utf8_lossy(body);
        let body: String = body.chars().take(300).collect();
        text.push_str(&format!(
            " (HTTP {}: {body})",
            err.raw_response().map_or(0, |r| r.status().as_u16())
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // Messages as `DisplayErrorContext(&sdk_error)` prints them: the chain of `Display`s
    // joined by ": ", then the `Debug` form in parentheses (shortened here).
    const NO_CREDENTIALS: &str = "dispatch failure: other: the credential provider was not \
        enabled: no providers in chain provided credentials (DispatchFailure(DispatchFailure { \
        source: ConnectorError { kind: Other(None), source: CredentialsNotLoaded(\
        CredentialsNotLoaded { source: \"no providers in chain provided credentials\" }), \
        connection: Unknown } }))";
    const DNS_FAILURE: &str = "dispatch failure: io error: client error (Connect): dns error: \
        failed to lookup address information: Name or service not known \
        (DispatchFailure(DispatchFailure { source: ConnectorError { kind: Io, source: \
        hyper_util::client::legacy::Error(Connect, ConnectError(\"dns error\", Custom { kind: \
        Uncategorized, error: \"failed to lookup address information: Name or service not \
        known\" })), connection: Unknown } }))";
    const REFUSED: &str = "dispatch failure: io error: client error (Connect): tcp connect \
        error: Connection refused (os error 111) (DispatchFailure(DispatchFailure { source: \
        ConnectorError { kind: Io, source: hyper_util::client::legacy::Error(Connect, \
        ConnectError(\"tcp connect error\", Os { code: 111, kind: ConnectionRefused, message: \
        \"Connection refused\" })), connection: Unknown } }))";
    const EXPIRED: &str = "service error: unhandled error (ExpiredToken): Error { code: \
        \"ExpiredToken\", message: \"The security token included in the request is expired\", \
        aws_request_id: \"4b1c3a7e-9f1d-4e8a-b6c2-5d0e7f8a9b1c\" } (ServiceError(…))";
    const SSO_EXPIRED: &str = "dispatch failure: other: an error occurred while loading \
        credentials: the SSO token has expired and cannot be refreshed (DispatchFailure(…))";
    const INVALID: &str = "service error: unhandled error (InvalidClientTokenId): Error { code: \
        \"InvalidClientTokenId\", message: \"The security token included in the request is \
        invalid.\" } (ServiceError(…))";

    #[test]
    fn connection_problems_are_classified_and_explained() {
        use ConnectionProblem::*;
        assert_eq!(
            classify_connection(NO_CREDENTIALS),
            Some(MissingCredentials)
        );
        assert_eq!(classify_connection(DNS_FAILURE), Some(UnknownHost));
        assert_eq!(classify_connection(REFUSED), Some(Unreachable));
        assert_eq!(classify_connection(EXPIRED), Some(ExpiredToken));
        assert_eq!(classify_connection(SSO_EXPIRED), Some(ExpiredToken));
        assert_eq!(classify_connection(INVALID), Some(InvalidCredentials));
        assert_eq!(
            classify_connection("service error: unhandled error (ValidationError)"),
            None
        );

        let text = MissingCredentials.guidance(None);
        assert!(
            text.contains("`aws configure` or AWS_PROFILE, or use --local"),
            "{text}"
        );
        assert!(UnknownHost.guidance(None).contains("check --region"));
        assert!(
            UnknownHost
                .guidance(Some("http://emu:5000"))
                .contains("--endpoint-url")
        );
        let text = Unreachable.guidance(Some("http://127.0.0.1:5000"));
        assert!(
            text.contains("is the emulator running at http://127.0.0.1:5000?"),
            "{text}"
        );
        assert!(text.contains("`demo up --local` starts one"), "{text}");
        assert!(ExpiredToken.guidance(None).contains("`aws sso login`"));
    }

    #[test]
    fn guidance_is_one_sentence_on_one_line() {
        use ConnectionProblem::*;
        for problem in [
            MissingCredentials,
            InvalidCredentials,
            ExpiredToken,
            UnknownHost,
            Unreachable,
        ] {
            for endpoint in [None, Some("http://127.0.0.1:5000")] {
                let text = problem.guidance(endpoint);
                assert!(!text.contains('\n') && !text.contains("  "), "{text:?}");
            }
        }
    }
}
