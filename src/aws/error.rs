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
    pub(crate) fn from_sdk<E>(action: impl Into<String>, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let action = action.into();
        let full = DisplayErrorContext(&err).to_string();
        tracing::debug!(%action, error = %full, "AWS call failed");
        let context = Context {
            endpoint: None,
            profile: super::signed_in_profile(),
        };
        match classify_connection(&full) {
            Some(problem) => AwsError::Environment {
                action,
                detail: brief(&err),
                guidance: problem.guidance(&context),
            },
            None => AwsError::Call {
                action,
                detail: brief(&err),
            },
        }
    }

    /// Whether the user must fix their environment (exit 2) rather than retry (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        matches!(self, AwsError::Environment { .. })
    }
}

/// A problem reaching AWS (or the emulator) that no retry fixes: the user must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectionProblem {
    /// No provider in the default chain found credentials.
    MissingCredentials,
    /// Credentials were found but AWS rejects them.
    InvalidCredentials,
    /// The session credentials expired.
    ExpiredToken,
    /// The IAM Identity Center (SSO) token is expired, missing or rejected by the portal.
    SsoSignIn,
    /// The `aws login` (console) session is expired or missing.
    ConsoleSignIn,
    /// This build of aws-config lacks the feature the profile's sign-in method needs.
    SignInUnsupported,
    /// The profile's credential source failed (a credential_process, an AssumeRole, …).
    SignInFailed,
    /// The endpoint's host name does not resolve: a mistyped region or endpoint URL.
    UnknownHost,
    /// Nothing listens at the endpoint.
    Unreachable,
}

/// Where and as whom the failed call was made, for the guidance.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Context<'a> {
    /// The `--endpoint-url` (or emulator URL) in use, `None` for AWS itself.
    pub(crate) endpoint: Option<&'a str>,
    /// The profile to name in a sign-in command (`aws sso login --profile …`).
    pub(crate) profile: Option<&'a str>,
}

/// Which connection problem an SDK error's `DisplayErrorContext` text describes, if any. The
/// sign-in texts are aws-config 1.8's (`sso/token.rs`, `sso/cache.rs`, `login/token.rs`,
/// `profile/credentials.rs`) and the SSO portal's 401 `UnauthorizedException`.
pub(crate) fn classify_connection(message: &str) -> Option<ConnectionProblem> {
    let lower = message.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    if let Some(problem) = classify_sign_in(&lower) {
        Some(problem)
    } else if has("expiredtoken")
        || has("token has expired")
        || has("token included in the request is expired")
    {
        Some(ConnectionProblem::ExpiredToken)
    } else if has("no providers in chain provided credentials")
        || has("no credentials in the credential chain")
        || has("failed to load credentials")
        || has("credential provider was not enabled")
    {
        Some(ConnectionProblem::MissingCredentials)
    } else if has("an error occurred while loading credentials") {
        // A provider that applies failed (the chain stops there): not "no credentials".
        Some(ConnectionProblem::SignInFailed)
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

/// The sign-in problems: an SSO or console session to renew, a missing cargo feature.
fn classify_sign_in(lower: &str) -> Option<ConnectionProblem> {
    let has = |needle: &str| lower.contains(needle);
    if has("requires following cargo feature") {
        Some(ConnectionProblem::SignInUnsupported)
    } else if has("sso token has expired")
        || has("failed to load the cached sso token")
        || has("cached sso token file")
        || has(".aws/sso/cache/")
        || has("unauthorizedexception")
    {
        Some(ConnectionProblem::SsoSignIn)
    } else if has("login token") || has(".aws/login/cache/") {
        Some(ConnectionProblem::ConsoleSignIn)
    } else {
        None
    }
}

impl ConnectionProblem {
    /// One sentence saying what to do, naming the endpoint and profile of `context`.
    pub(crate) fn guidance(self, context: &Context<'_>) -> String {
        match (self, context.endpoint) {
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
            (
                ConnectionProblem::ExpiredToken
                | ConnectionProblem::SsoSignIn
                | ConnectionProblem::ConsoleSignIn
                | ConnectionProblem::SignInUnsupported
                | ConnectionProblem::SignInFailed,
                _,
            ) => self.sign_in_guidance(context.profile),
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

    /// The sentence for a session to renew or a credential source that failed, with the
    /// command to run for `profile` (the one holding the SSO settings), when it is known.
    fn sign_in_guidance(self, profile: Option<&str>) -> String {
        let named = |command: &str| match profile {
            Some(name) => format!("`{command} --profile {name}`"),
            None => format!("`{command}` (with --profile for the profile in use)"),
        };
        let of_profile = profile.map_or(String::new(), |name| format!(" of profile `{name}`"));
        let with_profile = profile.map_or(String::new(), |name| format!(" with profile `{name}`"));
        match self {
            ConnectionProblem::SsoSignIn => format!(
                "the IAM Identity Center (SSO) session{of_profile} has expired or was never \
                 started: run {} and rerun",
                named("aws sso login")
            ),
            ConnectionProblem::ConsoleSignIn => format!(
                "the `aws login` session{of_profile} has expired or was never started: run {} \
                 and rerun",
                named("aws login")
            ),
            ConnectionProblem::SignInUnsupported => format!(
                "this build of demo cannot sign in{with_profile}: it lacks the aws-config \
                 feature named below; build demo from this repository's Cargo.toml, which turns \
                 it on"
            ),
            ConnectionProblem::SignInFailed => format!(
                "could not sign in to AWS{with_profile}: its credential source failed (the \
                 detail below says why); fix it until {} works",
                named("aws sts get-caller-identity")
            ),
            // ExpiredToken: session credentials (from SSO or not) that AWS refused as expired.
            _ => format!(
                "the AWS session has expired: refresh it ({} for an IAM Identity Center \
                 profile) and rerun",
                named("aws sso login")
            ),
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
mod tests;
