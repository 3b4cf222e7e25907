//! Signing in the ways people sign in to AWS, offline: each test gets its own HOME with a
//! config file, a credentials file and an SSO token cache, runs the real `demo` with nothing
//! of the machine's AWS_* environment, and points it at the emulator with `--endpoint-url`
//! (the normal credential chain, unlike `--local`'s dummy credentials). The SSO portal is a
//! local stand-in; the chain's AssumeRole goes to the emulator's STS (`AWS_ENDPOINT_URL_STS`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
use sha1::{Digest, Sha1};

use crate::harness::cli::{text, unique_stack};
use crate::harness::emulator;
use crate::harness::sso_portal::{RoleCredentials, SsoPortal};

/// A HOME of its own: `~/.aws/config`, `~/.aws/credentials`, `~/.aws/sso/cache`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str, credentials: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".aws/sso/cache")).unwrap();
        std::fs::write(dir.path().join(".aws/config"), config).unwrap();
        std::fs::write(dir.path().join(".aws/credentials"), credentials).unwrap();
        Home { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Caches an SSO access token as `aws sso login` does: `~/.aws/sso/cache/<sha1>.json`,
    /// keyed by the session name (sso_session form) or the start URL (legacy form).
    fn cache_sso_token(&self, key: &str, token: &str, expires_at: SystemTime) {
        let name = hex::encode(Sha1::digest(key.as_bytes()));
        let expires_at = DateTime::from(expires_at)
            .fmt(DateTimeFormat::DateTime)
            .unwrap();
        let body = serde_json::json!({
            "startUrl": "https://corp.awsapps.com/start",
            "region": "us-east-1",
            "accessToken": token,
            "expiresAt": expires_at,
        });
        let path = self.path().join(format!(".aws/sso/cache/{name}.json"));
        std::fs::write(path, body.to_string()).unwrap();
    }

    /// `demo <args> --region ap-southeast-2 --endpoint-url <emulator>`, with this HOME and its
    /// files, and no AWS_* or DEMO_* variable of the machine running the tests.
    fn demo(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
        for (name, _) in std::env::vars() {
            if name.starts_with("AWS_") || name.starts_with("DEMO_") || name == "RUST_LOG" {
                command.env_remove(name);
            }
        }
        command
            .args(args)
            .args([
                "--region",
                "ap-southeast-2",
                "--endpoint-url",
                &emulator().url,
            ])
            .env("HOME", self.path())
            .env("AWS_CONFIG_FILE", self.path().join(".aws/config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.path().join(".aws/credentials"),
            )
            // Never wait for an instance metadata service that is not there.
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        command
    }
}

/// Runs a command on a blocking thread, so a stand-in served by this test's runtime answers.
async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("run demo"))
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    text(&output.stderr)
}

/// `demo status` for a stack that does not exist: exit 2 and "run `demo up` first", which it
/// can only say after a signed call to CloudFormation was answered.
fn assert_signed_in(output: &Output) {
    let stderr = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("run `demo up` first"), "{stderr}");
}

// Secrets of the tests' own making, distinct so a leak says which one leaked.
const PROCESS_KEY_ID: &str = "ASIAPROCESSKEYEXAMPLE";
const PROCESS_SECRET: &str = "processSecretKey/K7MDENG/bPxRfiCYEXAMPLEKEY";
const PROCESS_TOKEN: &str = "IQoJprocessSessionTokenEXAMPLE//////////value";
const SSO_ACCESS_TOKEN: &str = "aoaAAAAAGsso-access-token-EXAMPLE-value";
const ROLE_KEY_ID: &str = "ASIASSOROLEKEYEXAMPLE";
const ROLE_SECRET: &str = "ssoRoleSecretKey/K7MDENG/bPxRfiCYEXAMPLEKEY";
const ROLE_TOKEN: &str = "IQoJssoRoleSessionTokenEXAMPLE//////////value";
const BASE_KEY_ID: &str = "AKIABASEPROFILEEXAMPLE";
const BASE_SECRET: &str = "baseProfileSecret/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// A home whose `ci` profile signs in with a script that records each run in `process-ran`.
fn credential_process_home() -> Home {
    let home = Home::new("", "");
    let script = home.path().join("creds.sh");
    let ran = home.path().join("process-ran");
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": PROCESS_KEY_ID,
        "SecretAccessKey": PROCESS_SECRET,
        "SessionToken": PROCESS_TOKEN,
        "Expiration": "2099-01-01T00:00:00Z",
    });
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho ran >> '{}'\necho '{json}'\n",
            ran.display()
        ),
    )
    .unwrap();
    make_executable(&script);
    let config = format!(
        "[profile ci]\ncredential_process = {} --an-argument\nregion = ap-southeast-2\n",
        script.display()
    );
    std::fs::write(home.path().join(".aws/config"), config).unwrap();
    home
}

fn make_executable(path: &PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn process_runs(home: &Home) -> usize {
    std::fs::read_to_string(home.path().join("process-ran"))
        .map(|ran| ran.lines().count())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_credential_process_profile_signs_in_once() {
    let home = credential_process_home();
    let stack = unique_stack();
    let output = run(home.demo(&["status", "--profile", "ci", "--stack-name", &stack])).await;
    assert_signed_in(&output);
    // Once: the credentials found while signing in are the ones the clients use.
    assert_eq!(process_runs(&home), 1);

    // AWS_PROFILE chooses the profile as well.
    let mut command = home.demo(&["status", "--stack-name", &stack]);
    command.env("AWS_PROFILE", "ci");
    assert_signed_in(&run(command).await);
    assert_eq!(process_runs(&home), 2);
}

#[tokio::test]
async fn a_failing_credential_process_names_the_profile_and_exits_2() {
    let home = Home::new(
        "[profile ci]\ncredential_process = sh -c 'echo token revoked >&2; exit 3'\n",
        "",
    );
    let output = run(home.demo(&["status", "--profile", "ci"])).await;
    let stderr = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("could not sign in to AWS with profile `ci`"),
        "{stderr}"
    );
    assert!(stderr.contains("token revoked"), "{stderr}");
}

const SSO_SESSION_CONFIG: &str = "\
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = ap-southeast-2

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
";

const SSO_LEGACY_CONFIG: &str = "\
[profile old]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 444455556666
sso_role_name = ReadOnly
region = ap-southeast-2
";

async fn portal() -> SsoPortal {
    SsoPortal::start(
        SSO_ACCESS_TOKEN,
        RoleCredentials {
            access_key_id: ROLE_KEY_ID.into(),
            secret_access_key: ROLE_SECRET.into(),
            session_token: ROLE_TOKEN.into(),
        },
    )
    .await
}

fn in_an_hour() -> SystemTime {
    SystemTime::now() + Duration::from_secs(3600)
}

fn an_hour_ago() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

/// `demo <args> --profile <profile>` against the portal stand-in.
fn demo_sso(home: &Home, portal: &SsoPortal, profile: &str, args: &[&str]) -> Command {
    let mut command = home.demo(args);
    command
        .args(["--profile", profile])
        .env("AWS_ENDPOINT_URL_SSO", portal.url());
    command
}

#[tokio::test]
async fn an_sso_session_profile_gets_role_credentials_from_the_portal_with_the_cached_token() {
    let home = Home::new(SSO_SESSION_CONFIG, "");
    home.cache_sso_token("corp", SSO_ACCESS_TOKEN, in_an_hour());
    let portal = portal().await;
    let stack = unique_stack();
    let output = run(demo_sso(
        &home,
        &portal,
        "dev",
        &["status", "--stack-name", &stack],
    ))
    .await;
    assert_signed_in(&output);
    let asked = portal.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].method, "GET");
    assert_eq!(asked[0].path, "/federation/credentials");
    assert_eq!(asked[0].account_id.as_deref(), Some("111122223333"));
    assert_eq!(asked[0].role_name.as_deref(), Some("Developer"));
    assert_eq!(asked[0].token.as_deref(), Some(SSO_ACCESS_TOKEN));
}

#[tokio::test]
async fn a_legacy_sso_profile_gets_role_credentials_from_the_portal_with_the_cached_token() {
    let home = Home::new(SSO_LEGACY_CONFIG, "");
    home.cache_sso_token(
        "https://corp.awsapps.com/start",
        SSO_ACCESS_TOKEN,
        in_an_hour(),
    );
    let portal = portal().await;
    let stack = unique_stack();
    let output = run(demo_sso(
        &home,
        &portal,
        "old",
        &["status", "--stack-name", &stack],
    ))
    .await;
    assert_signed_in(&output);
    let asked = portal.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].path, "/federation/credentials");
    assert_eq!(asked[0].account_id.as_deref(), Some("444455556666"));
    assert_eq!(asked[0].role_name.as_deref(), Some("ReadOnly"));
    assert_eq!(asked[0].token.as_deref(), Some(SSO_ACCESS_TOKEN));
}

fn assert_says_sso_login(output: &Output, profile: &str) {
    let stderr = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "run `aws sso login --profile {profile}` and rerun"
        )),
        "{stderr}"
    );
    assert!(
        !stderr.contains("cargo feature") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_expired_sso_session_says_to_run_aws_sso_login_for_the_profile() {
    let home = Home::new(SSO_SESSION_CONFIG, "");
    home.cache_sso_token("corp", SSO_ACCESS_TOKEN, an_hour_ago());
    let portal = portal().await;
    let output = run(demo_sso(&home, &portal, "dev", &["status"])).await;
    assert_says_sso_login(&output, "dev");
    // aws-config sees the expiry in the cache and does not ask the portal.
    assert_eq!(portal.asked(), vec![]);
}

#[tokio::test]
async fn an_expired_legacy_sso_token_rejected_by_the_portal_says_to_run_aws_sso_login() {
    let home = Home::new(SSO_LEGACY_CONFIG, "");
    let expired = "aoaAAAAAGexpired-token-EXAMPLE";
    home.cache_sso_token("https://corp.awsapps.com/start", expired, an_hour_ago());
    let portal = portal().await;
    let output = run(demo_sso(&home, &portal, "old", &["status"])).await;
    assert_says_sso_login(&output, "old");
    // The legacy form sends the token; the portal answers 401 UnauthorizedException.
    let asked = portal.asked();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].token.as_deref(), Some(expired));
    assert!(!stderr(&output).contains(expired), "{}", stderr(&output));
}

#[tokio::test]
async fn an_sso_profile_never_signed_in_says_to_run_aws_sso_login() {
    let portal = portal().await;
    for (config, profile) in [(SSO_SESSION_CONFIG, "dev"), (SSO_LEGACY_CONFIG, "old")] {
        let home = Home::new(config, "");
        let output = run(demo_sso(&home, &portal, profile, &["status"])).await;
        assert_says_sso_login(&output, profile);
    }
    assert_eq!(portal.asked(), vec![]);
}

const ROLE_CONFIG: &str = "\
[profile deploy]
role_arn = arn:aws:iam::123456789012:role/demo-deployer
source_profile = base
role_session_name = demo-signin-test
region = ap-southeast-2
";

fn role_home() -> Home {
    let credentials = format!(
        "[base]\naws_access_key_id = {BASE_KEY_ID}\naws_secret_access_key = {BASE_SECRET}\n"
    );
    Home::new(ROLE_CONFIG, &credentials)
}

/// `demo -v down --yes --profile deploy` with the chain's STS at the emulator.
fn demo_role(home: &Home, stack: &str, verbosity: &str) -> Command {
    let mut command = home.demo(&["down", "--yes", verbosity, "--profile", "deploy"]);
    command
        .args(["--stack-name", stack])
        .env("AWS_ENDPOINT_URL_STS", &emulator().url);
    command
}

#[tokio::test]
async fn a_role_profile_assumes_the_role_from_its_source_profile() {
    let home = role_home();
    let output = run(demo_role(&home, &unique_stack(), "-v")).await;
    let stderr = stderr(&output);
    assert!(output.status.success(), "{stderr}");
    // GetCallerIdentity (for the account) answers with the assumed role's session.
    assert!(
        stderr.contains("arn:aws:sts::123456789012:assumed-role/demo-deployer/demo-signin-test"),
        "{stderr}"
    );
    assert!(
        stderr.contains("profile deploy: role_arn via source_profile base"),
        "{stderr}"
    );
}

#[tokio::test]
async fn web_identity_from_the_environment_assumes_its_role() {
    let home = Home::new("", "");
    let token_file = home.path().join("web-identity-token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.web-identity-EXAMPLE").unwrap();
    let mut command = home.demo(&["down", "--yes", "-v", "--stack-name", &unique_stack()]);
    command
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", &token_file)
        .env("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/demo-ci")
        .env("AWS_ROLE_SESSION_NAME", "demo-web-identity-test")
        .env("AWS_ENDPOINT_URL_STS", &emulator().url);
    let output = run(command).await;
    let stderr = stderr(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("signed in source=web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("assumed-role/demo-ci/demo-web-identity-test"),
        "{stderr}"
    );
}

#[tokio::test]
async fn an_unknown_profile_is_named_with_the_profiles_found() {
    let home = Home::new(
        SSO_SESSION_CONFIG,
        &format!("[base]\naws_access_key_id = {BASE_KEY_ID}\naws_secret_access_key = x\n"),
    );
    let by_flag = run(home.demo(&["status", "--profile", "prod"])).await;
    let mut command = home.demo(&["status"]);
    command.env("AWS_PROFILE", "prod");
    let by_variable = run(command).await;
    for output in [by_flag, by_variable] {
        let stderr = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let config = home.path().join(".aws/config");
        let credentials = home.path().join(".aws/credentials");
        assert!(
            stderr.contains(&format!(
                "AWS profile `prod` is not in {} or {} (profiles found: base, dev)",
                config.display(),
                credentials.display()
            )),
            "{stderr}"
        );
        assert!(!stderr.contains(BASE_KEY_ID), "{stderr}");
    }
}

/// Everything `demo` printed at `-vvv` and with RUST_LOG=trace.
async fn at_full_verbosity(mut make: impl FnMut(&str) -> Command) -> Vec<(String, String)> {
    let mut printed = Vec::new();
    for (verbosity, rust_log) in [("-vvv", None), ("-vvv", Some("trace"))] {
        let mut command = make(verbosity);
        if let Some(filter) = rust_log {
            command.env("RUST_LOG", filter);
        }
        let output = run(command).await;
        let label = format!("{verbosity} RUST_LOG={rust_log:?}");
        printed.push((label, text(&output.stdout) + &text(&output.stderr)));
    }
    printed
}

fn assert_no_secret(printed: &[(String, String)], secrets: &[&str]) {
    for (label, all) in printed {
        // The trace really is on: the SDK's requests are in it.
        assert!(all.contains("transmitting request"), "{label}: no trace");
        for secret in secrets {
            assert!(!all.contains(secret), "{label} printed {secret}");
        }
    }
}

#[tokio::test]
async fn no_key_token_or_sso_access_token_is_printed_at_any_verbosity() {
    let home = credential_process_home();
    let printed =
        at_full_verbosity(|verbosity| home.demo(&["status", verbosity, "--profile", "ci"])).await;
    assert_no_secret(&printed, &[PROCESS_KEY_ID, PROCESS_SECRET, PROCESS_TOKEN]);

    let home = Home::new(SSO_SESSION_CONFIG, "");
    home.cache_sso_token("corp", SSO_ACCESS_TOKEN, in_an_hour());
    let portal = portal().await;
    let printed =
        at_full_verbosity(|verbosity| demo_sso(&home, &portal, "dev", &["status", verbosity]))
            .await;
    assert_eq!(portal.asked().len(), 2, "signed in through the portal");
    assert_no_secret(
        &printed,
        &[SSO_ACCESS_TOKEN, ROLE_KEY_ID, ROLE_SECRET, ROLE_TOKEN],
    );

    let home = role_home();
    let stack = unique_stack();
    let printed = at_full_verbosity(|verbosity| demo_role(&home, &stack, verbosity)).await;
    assert_no_secret(&printed, &[BASE_KEY_ID, BASE_SECRET]);
    // The assumed role's keys come from the emulator: every value of theirs is redacted.
    for (label, all) in &printed {
        for field in ["<SecretAccessKey>", "<SessionToken>", "<AccessKeyId>"] {
            for (at, _) in all.match_indices(field) {
                let value = &all[at + field.len()..];
                assert!(
                    value.starts_with("<redacted>"),
                    "{label} printed {}",
                    &all[at..(at + 60).min(all.len())]
                );
            }
        }
    }
}
