//! `demo doctor` through the real binary against the emulator: all clear on a fresh account,
//! and each check the emulator can be made to fail, failing with its fix and exit 1 (the rest,
//! which moto always answers the same way, are replayed in `src/doctor/checks/tests.rs`).

use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::harness::cli::{demo_local, json, run_local, text, unique_stack};
use crate::harness::emulator;
use crate::harness::resources::create_stream_named;
use crate::harness::sdk_config;
use crate::lifecycle::{create_bucket, derived_bucket, fake_artifacts};

/// `demo doctor --output json` (with `--local` and the stack) and what it printed.
fn doctor_local(stack: &str) -> (Output, Value) {
    let output = demo_local(stack)
        .args(["doctor", "--output", "json"])
        .output()
        .unwrap();
    let report = json(&output);
    (output, report)
}

/// The check named `name` in a doctor report.
fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report:#}"))
}

/// `demo doctor` against the emulator through the real credential chain (not `--local`), with
/// an empty HOME and none of this machine's AWS_* or DEMO_* variables, plus `env`.
fn doctor_signed_out(env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") || name.starts_with("DEMO_") {
            command.env_remove(name);
        }
    }
    command
        .args([
            "doctor",
            "--output",
            "json",
            "--endpoint-url",
            &emulator().url,
        ])
        .env("HOME", home.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_fresh_account_is_ready_and_every_check_is_listed() {
    let stack = unique_stack();
    let (output, report) = doctor_local(&stack);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(report["ready"], true, "{report:#}");
    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "region",
            "identity",
            "cloudformation",
            "stack",
            "insights layer",
            "concurrency",
            "shards",
            "artifact bucket"
        ]
    );
    assert!(
        check(&report, "identity")["detail"]
            .as_str()
            .unwrap()
            .contains("signed in with fixed dummy credentials (--local)"),
        "{report:#}"
    );
    assert_eq!(
        check(&report, "artifact bucket")["detail"],
        format!("{}: free, `up` creates it", derived_bucket(&stack))
    );
    let text_out = text(&demo_local(&stack).arg("doctor").output().unwrap().stdout);
    assert!(text_out.contains("✓ stack"), "{text_out}");
    assert!(text_out.contains("`demo up` should work"), "{text_out}");
}

#[tokio::test]
async fn a_bucket_of_that_name_made_for_another_stack_fails_the_check_as_it_fails_up() {
    let stack = unique_stack();
    let s3 = aws_sdk_s3::Client::new(&sdk_config().await);
    create_bucket(&s3, &derived_bucket(&stack), Some("someone-else")).await;
    let (output, report) = doctor_local(&stack);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert_eq!(report["ready"], false);
    let bucket = check(&report, "artifact bucket");
    assert_eq!(bucket["status"], "fail", "{report:#}");
    let fix = bucket["fix"].as_str().unwrap();
    assert!(fix.contains("--artifact-bucket NAME"), "{fix}");
    assert!(
        text(&output.stderr).contains("`demo up` would fail: 1 check(s) failed"),
        "{}",
        text(&output.stderr)
    );
    // up refuses the same bucket through the same check, before anything is written.
    let artifacts = fake_artifacts();
    let up = run_local(
        &stack,
        &["up", "--artifacts", artifacts.path().to_str().unwrap()],
    );
    assert_eq!(up.status.code(), Some(2), "{}", text(&up.stderr));
    assert!(text(&up.stderr).contains("--artifact-bucket NAME"));
}

#[tokio::test]
async fn a_failed_create_is_a_note_that_up_starts_over() {
    let stack = unique_stack();
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);
    create_stream_named(&kinesis, &format!("{stack}-orders"), 1).await;
    let artifacts = fake_artifacts();
    let failed = run_local(
        &stack,
        &["up", "--artifacts", artifacts.path().to_str().unwrap()],
    );
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    let (output, report) = doctor_local(&stack);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let state = check(&report, "stack");
    assert_eq!(state["status"], "note", "{report:#}");
    assert!(
        state["detail"]
            .as_str()
            .unwrap()
            .contains("`up` deletes it and creates it again"),
        "{report:#}"
    );
}

#[test]
fn without_credentials_the_connection_fails_with_how_to_sign_in() {
    let output = doctor_signed_out(&[("AWS_REGION", "ap-southeast-2")]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json(&output);
    let connection = check(&report, "connection");
    assert_eq!(connection["status"], "fail");
    assert!(
        connection["fix"]
            .as_str()
            .unwrap()
            .contains("no AWS credentials were found"),
        "{report:#}"
    );
    assert_eq!(report["checks"].as_array().unwrap().len(), 1);
}

#[test]
fn without_a_region_the_connection_fails_naming_the_flag() {
    let output = doctor_signed_out(&[
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDOCTOR01"),
        ("AWS_SECRET_ACCESS_KEY", "doctor-test-secret"),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let report = json(&output);
    let fix = check(&report, "connection")["fix"].as_str().unwrap();
    assert!(fix.contains("--region"), "{fix}");
    let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!printed.contains("doctor-test-secret"), "{printed}");
}

#[test]
fn with_credentials_the_identity_and_their_source_are_named() {
    let output = doctor_signed_out(&[
        ("AWS_REGION", "ap-southeast-2"),
        ("AWS_ACCESS_KEY_ID", "AKIAEXAMPLEDOCTOR02"),
        ("AWS_SECRET_ACCESS_KEY", "doctor-test-secret"),
    ]);
    let report = json(&output);
    let identity = check(&report, "identity");
    assert_eq!(identity["status"], "pass", "{report:#}");
    let detail = identity["detail"].as_str().unwrap();
    assert!(
        detail.contains("(account ") && detail.ends_with("environment (AWS_ACCESS_KEY_ID)"),
        "{detail}"
    );
    let printed = format!("{}{}", text(&output.stdout), text(&output.stderr));
    assert!(!printed.contains("doctor-test-secret"), "{printed}");
}
