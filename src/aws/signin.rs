//! Signing in before the first call: the credentials of the profile in use are resolved once, up
//! front, so that an expired SSO session, a failing `credential_process` or a role that cannot
//! be assumed is one sentence naming the profile and the command to run, not a failed call
//! halfway through a command. The credentials found are then handed to the clients, so the
//! sign-in (a process, a portal call, an AssumeRole) happens once per run, not twice.

use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, future::ProvideCredentials as CredentialsFuture,
};
use aws_sdk_sts::error::DisplayErrorContext;

use super::error::{ConnectionProblem, Context, classify_connection};
use super::profile::Profiles;
use super::{AwsError, source};

/// `config` with credentials resolved: its provider hands out the credentials found here first
/// and asks the SDK's chain again only when they need refreshing.
pub(crate) async fn sign_in(
    config: SdkConfig,
    profiles: &Profiles,
) -> Result<(SdkConfig, Credentials), AwsError> {
    let Some(chain) = config.credentials_provider() else {
        return Err(sign_in_error(
            &CredentialsError::not_loaded_no_source(),
            profiles,
        ));
    };
    let credentials = chain
        .provide_credentials()
        .await
        .map_err(|err| sign_in_error(&err, profiles))?;
    tracing::debug!(
        source = %source::describe(&credentials, profiles),
        "signed in"
    );
    let primed = FirstThenChain {
        first: Mutex::new(Some(credentials.clone())),
        chain,
    };
    let config = config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(primed))
        .build();
    Ok((config, credentials))
}

/// Why signing in failed, as guidance naming the profile (the one holding the SSO settings
/// for `aws sso login`). Every sign-in failure is the user's to fix: exit 2.
fn sign_in_error(err: &CredentialsError, profiles: &Profiles) -> AwsError {
    let full = DisplayErrorContext(err).to_string();
    tracing::debug!(error = %full, "signing in failed");
    let problem = classify_connection(&full).unwrap_or(ConnectionProblem::SignInFailed);
    let profile = match problem {
        ConnectionProblem::SsoSignIn | ConnectionProblem::ExpiredToken => {
            profiles.sso_login_profile()
        }
        _ => profiles.in_use(),
    };
    let context = Context {
        endpoint: None,
        profile: Some(profile),
    };
    let name = profiles.in_use();
    let action = match profiles.method(name) {
        Some(method) => format!("sign in with profile {name} ({method})"),
        None => format!(
            "sign in from the environment, a container or instance metadata (no profile {name})"
        ),
    };
    AwsError::Environment {
        action,
        detail: causes(err),
        guidance: problem.guidance(&context),
    }
}

/// The error and its causes on one line, as `DisplayErrorContext` joins them but without the
/// `Debug` form, and without the wrappers' repeats ("an error occurred while loading
/// credentials" comes once per layer of the chain).
fn causes(err: &CredentialsError) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(cause) = next {
        let text = cause
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && parts.last() != Some(&text) {
            parts.push(text);
        }
        next = cause.source();
    }
    parts.join(": ")
}

/// Hands out the credentials `sign_in` resolved on the first request, then defers to the
/// chain (the SDK's identity cache asks again only when they near expiry).
#[derive(Debug)]
struct FirstThenChain {
    first: Mutex<Option<Credentials>>,
    chain: SharedCredentialsProvider,
}

impl ProvideCredentials for FirstThenChain {
    fn provide_credentials<'a>(&'a self) -> CredentialsFuture<'a>
    where
        Self: 'a,
    {
        let first = self.first.lock().ok().and_then(|mut first| first.take());
        match first {
            Some(credentials) => CredentialsFuture::ready(Ok(credentials)),
            None => self.chain.provide_credentials(),
        }
    }

    fn fallback_on_interrupt(&self) -> Option<Credentials> {
        self.chain.fallback_on_interrupt()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A chain that counts its calls: the first gets credentials, the later ones an error.
    #[derive(Debug)]
    struct Counting {
        calls: Arc<AtomicUsize>,
    }

    impl ProvideCredentials for Counting {
        fn provide_credentials<'a>(&'a self) -> CredentialsFuture<'a>
        where
            Self: 'a,
        {
            CredentialsFuture::ready(match self.calls.fetch_add(1, Ordering::SeqCst) {
                0 => Ok(Credentials::new("AKIDFIRST", "secret", None, None, "test")),
                _ => Err(CredentialsError::not_loaded("asked again")),
            })
        }
    }

    #[tokio::test]
    async fn the_first_request_gets_the_sign_in_credentials_and_later_ones_ask_the_chain() {
        let calls = Arc::new(AtomicUsize::new(0));
        let chain = SharedCredentialsProvider::new(Counting {
            calls: calls.clone(),
        });
        let signed_in = chain.provide_credentials().await.unwrap();
        let primed = FirstThenChain {
            first: Mutex::new(Some(signed_in)),
            chain,
        };
        let first = primed.provide_credentials().await.unwrap();
        assert_eq!(first.access_key_id(), "AKIDFIRST");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the chain ran once");
        let again = primed.provide_credentials().await;
        assert!(again.is_err(), "the second request goes to the chain");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_detail_is_one_line_without_the_wrappers_repeats() {
        let process = "Error retrieving credentials: external process exited with code exit \
                       status: 3. Stderr: token\nrevoked\n";
        let err = CredentialsError::provider_error(CredentialsError::provider_error(process));
        assert_eq!(
            causes(&err),
            "an error occurred while loading credentials: Error retrieving credentials: external \
             process exited with code exit status: 3. Stderr: token revoked"
        );
    }
}
