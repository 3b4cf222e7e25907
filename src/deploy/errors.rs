//! Classifiers over the codes and messages of CloudFormation and SDK errors: which ones mean
//! "nothing to do", "no such stack", or a connection problem the user must fix.
//!
//! They take plain strings (the code from `ProvideErrorMetadata::code()`, the message, or the
//! whole `DisplayErrorContext` text) so they can be tested without the SDK.

/// Whether CloudFormation is saying the submitted template and parameters change nothing.
///
/// It says so in two ways: a change set that ends FAILED with the status reason "The submitted
/// information didn't contain changes. Submit different information to create a change set."
/// (or, from some code paths, "No updates are to be performed."), which has no error code; and
/// an `UpdateStack`-style ValidationError "No updates are to be performed.". The third signal,
/// a change set that succeeds with an empty list of changes, is checked where the changes are
/// read.
pub fn is_no_changes(code: Option<&str>, message: &str) -> bool {
    let code_fits = matches!(code, None | Some("ValidationError"));
    code_fits
        && (message.contains("didn't contain changes")
            || message.contains("No updates are to be performed"))
}

/// Whether the error says the stack does not exist: "Stack with id demo does not exist"
/// (DescribeStacks, DescribeStackEvents, DeleteChangeSet …) or "Stack [demo] does not exist"
/// (an UPDATE change set for a missing stack).
pub fn is_stack_missing(code: Option<&str>, message: &str) -> bool {
    let code_fits = matches!(code, None | Some("ValidationError"));
    let names_stack = message.contains("Stack with id ") || message.contains("Stack [");
    code_fits && names_stack && message.contains("does not exist")
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
    fn all_no_change_signals_are_recognised() {
        let change_set = "The submitted information didn't contain changes. Submit different \
                          information to create a change set.";
        assert!(is_no_changes(None, change_set));
        assert!(is_no_changes(None, "No updates are to be performed."));
        assert!(is_no_changes(
            Some("ValidationError"),
            "No updates are to be performed."
        ));
        assert!(!is_no_changes(
            Some("ValidationError"),
            "Template format error: unsupported structure."
        ));
        assert!(!is_no_changes(
            Some("AccessDenied"),
            "No updates are to be performed."
        ));
    }

    #[test]
    fn a_missing_stack_is_recognised_in_both_wordings() {
        assert!(is_stack_missing(
            Some("ValidationError"),
            "Stack with id demo does not exist"
        ));
        assert!(is_stack_missing(
            Some("ValidationError"),
            "Stack [demo] does not exist"
        ));
        assert!(!is_stack_missing(
            Some("ChangeSetNotFound"),
            "ChangeSet [demo-1] does not exist"
        ));
        assert!(!is_stack_missing(
            Some("ValidationError"),
            "Parameter 'ShardCount' must be a number."
        ));
    }

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
