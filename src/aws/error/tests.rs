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
const INVALID: &str = "service error: unhandled error (InvalidClientTokenId): Error { code: \
    \"InvalidClientTokenId\", message: \"The security token included in the request is \
    invalid.\" } (ServiceError(…))";

// Sign-in failures as aws-config 1.8.13 words them: `DisplayErrorContext` of the
// `CredentialsError` the default chain returned, captured from `demo -v` (the Debug part
// shortened); the path of each string in aws-config's source is given.
/// `ProfileFileError::FeatureNotEnabled` (profile/credentials.rs, profile/credentials/exec.rs):
/// an SSO profile with aws-config built without `sso`, as the failed call reported it before
/// this build turned the feature on.
const FEATURE_MISSING: &str = "dispatch failure: other: the credentials provider was not \
    properly configured: ProfileFile provider could not be built: This behavior requires \
    following cargo feature(s) enabled: sso.  (DispatchFailure(DispatchFailure { source: \
    ConnectorError { kind: Other(None), source: InvalidConfiguration(…) } }))";
/// `SsoTokenProviderError::ExpiredToken` (sso/token.rs): the sso_session form, an expired
/// token and nothing to refresh it with.
const SSO_SESSION_EXPIRED: &str = "an error occurred while loading credentials: an error \
    occurred while loading credentials: an error occurred while loading an access token: the \
    SSO token has expired and cannot be refreshed (ProviderError(ProviderError { source: \
    ProviderError(ProviderError { source: ProviderError(ProviderError { source: ExpiredToken \
    }) }) }))";
/// `SsoTokenProviderError::FailedToLoadToken` (sso/token.rs): the sso_session form, no
/// cached token (never signed in); the file is named only in the Debug part.
const SSO_SESSION_NO_TOKEN: &str = "an error occurred while loading credentials: an error \
    occurred while loading credentials: an error occurred while loading an access token: \
    failed to load the cached SSO token (ProviderError(ProviderError { source: \
    ProviderError(ProviderError { source: ProviderError(ProviderError { source: \
    FailedToLoadToken { source: IoError { what: \"read\", path: \
    \"/home/u/.aws/sso/cache/ee0bfd2552fbd840c02cc48b6e823320543c450f.json\", … } } }) }) }))";
/// `CachedSsoTokenError::IoError` (sso/cache.rs): the legacy form, no cached token.
const SSO_LEGACY_NO_TOKEN: &str = "an error occurred while loading credentials: an error \
    occurred while loading credentials: failed to read \
    `/home/u/.aws/sso/cache/a51746d4aa793ae07b25e90c3a5db96fc7832bd7.json`: No such file or \
    directory (os error 2) (ProviderError(ProviderError { source: ProviderError(…) }))";
/// The portal's 401 `UnauthorizedException` to GetRoleCredentials: the legacy form sends an
/// expired token (aws-config does not check its expiry) and the portal refuses it.
const SSO_PORTAL_REFUSED: &str = "an error occurred while loading credentials: an error \
    occurred while loading credentials: service error: UnauthorizedException: Session token \
    not found or invalid: UnauthorizedException: Session token not found or invalid \
    (ProviderError(ProviderError { source: ProviderError(ProviderError { source: \
    ServiceError(…) }) }))";
/// `LoginTokenError::IoError` (login/token.rs, login/cache.rs): `aws login` never run.
const LOGIN_NO_TOKEN: &str = "an error occurred while loading credentials: unexpected \
    credentials error: failed to read \
    `/home/u/.aws/login/cache/70c1a7686b6d0363ae5c34a6cf67ec63a41ac761448d908284af63a70d5f5cb7.json`: \
    No such file or directory (os error 2) (ProviderError(…))";
/// `LoginTokenError::ExpiredToken` (login/token.rs): the console session ended.
const LOGIN_EXPIRED: &str = "an error occurred while loading credentials: unexpected \
    credentials error: cached Login token is expired (ProviderError(…))";
/// credential_process.rs: the process exited non-zero.
const PROCESS_FAILED: &str = "an error occurred while loading credentials: an error occurred \
    while loading credentials: Error retrieving credentials: external process exited with \
    code exit status: 3. Stderr: token revoked\n (ProviderError(…))";
/// `ProfileFileError::MissingSsoSession` (profile/credentials.rs): a configuration error.
const NO_SSO_SESSION_SECTION: &str = "the credentials provider was not properly configured: \
    ProfileFile provider could not be built: sso-session named `nosuch` (referenced by \
    profile `badsso`) was not found (InvalidConfiguration(…))";

#[test]
fn connection_problems_are_classified() {
    use ConnectionProblem::*;
    assert_eq!(
        classify_connection(NO_CREDENTIALS),
        Some(MissingCredentials)
    );
    assert_eq!(classify_connection(DNS_FAILURE), Some(UnknownHost));
    assert_eq!(classify_connection(REFUSED), Some(Unreachable));
    assert_eq!(classify_connection(EXPIRED), Some(ExpiredToken));
    assert_eq!(classify_connection(INVALID), Some(InvalidCredentials));
    assert_eq!(
        classify_connection("service error: unhandled error (ValidationError)"),
        None
    );
}

#[test]
fn sign_in_problems_are_classified() {
    use ConnectionProblem::*;
    assert_eq!(
        classify_connection(FEATURE_MISSING),
        Some(SignInUnsupported)
    );
    for sso in [
        SSO_SESSION_EXPIRED,
        SSO_SESSION_NO_TOKEN,
        SSO_LEGACY_NO_TOKEN,
        SSO_PORTAL_REFUSED,
    ] {
        assert_eq!(classify_connection(sso), Some(SsoSignIn), "{sso}");
    }
    for login in [LOGIN_NO_TOKEN, LOGIN_EXPIRED] {
        assert_eq!(classify_connection(login), Some(ConsoleSignIn), "{login}");
    }
    assert_eq!(classify_connection(PROCESS_FAILED), Some(SignInFailed));
    // Not one of the connection problems: the sign-in falls back to SignInFailed, and
    // names the profile with the detail.
    assert_eq!(classify_connection(NO_SSO_SESSION_SECTION), None);
}

#[test]
fn guidance_names_what_to_run() {
    use ConnectionProblem::*;
    let aws = Context::default();
    let text = MissingCredentials.guidance(&aws);
    assert!(
        text.contains("`aws configure` or AWS_PROFILE, or use --local"),
        "{text}"
    );
    assert!(UnknownHost.guidance(&aws).contains("check --region"));
    let emulator = Context {
        endpoint: Some("http://127.0.0.1:5000"),
        profile: None,
    };
    assert!(UnknownHost.guidance(&emulator).contains("--endpoint-url"));
    let text = Unreachable.guidance(&emulator);
    assert!(
        text.contains("is the emulator running at http://127.0.0.1:5000?"),
        "{text}"
    );
    assert!(text.contains("`demo up --local` starts one"), "{text}");

    let dev = Context {
        endpoint: None,
        profile: Some("dev"),
    };
    assert_eq!(
        SsoSignIn.guidance(&dev),
        "the IAM Identity Center (SSO) session of profile `dev` has expired or was never \
         started: run `aws sso login --profile dev` and rerun"
    );
    assert!(
        ExpiredToken
            .guidance(&dev)
            .contains("`aws sso login --profile dev`")
    );
    assert!(
        ConsoleSignIn
            .guidance(&dev)
            .contains("run `aws login --profile dev`")
    );
    assert!(SignInUnsupported.guidance(&dev).contains("profile `dev`"));
    assert!(
        SignInFailed
            .guidance(&dev)
            .contains("`aws sts get-caller-identity --profile dev` works")
    );
    // Without a profile (an error deep in a command, before any sign-in) the command is
    // still named.
    assert!(
        SsoSignIn
            .guidance(&aws)
            .contains("`aws sso login` (with --profile")
    );
}

#[test]
fn guidance_is_one_sentence_on_one_line() {
    use ConnectionProblem::*;
    for problem in [
        MissingCredentials,
        InvalidCredentials,
        ExpiredToken,
        SsoSignIn,
        ConsoleSignIn,
        SignInUnsupported,
        SignInFailed,
        UnknownHost,
        Unreachable,
    ] {
        for endpoint in [None, Some("http://127.0.0.1:5000")] {
            for profile in [None, Some("dev")] {
                let text = problem.guidance(&Context { endpoint, profile });
                assert!(!text.contains('\n') && !text.contains("  "), "{text:?}");
            }
        }
    }
}
