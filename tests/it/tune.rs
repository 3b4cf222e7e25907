//! `demo tune` through the real binary against the emulator.

use std::time::Instant;

use serde_json::Value;

use crate::harness::cli::{ok_local, run_local, text, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{dashboard_consumer_labels, deploy_fake, mapping_batching};

#[tokio::test]
async fn tuning_consumer_2_changes_only_its_mapping_and_survives_up() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    let started = Instant::now();
    let output = ok_local(
        &stack,
        &[
            "tune",
            "--consumer",
            "2",
            "--batch-size",
            "50",
            "--window",
            "5",
            "--output",
            "json",
        ],
    );
    let finished = started.elapsed();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["changes"][0]["before"],
        serde_json::json!({"batch_size": 10, "window_seconds": 2})
    );
    assert_eq!(
        report["changes"][0]["after"],
        serde_json::json!({"batch_size": 50, "window_seconds": 5})
    );
    assert!(report["effect_seconds"].as_f64().is_some());
    // Within 2 s of the command finishing, the emulator reports the new values.
    assert_eq!(mapping_batching(&stack, 2).await, (50, 5));
    assert_eq!(
        mapping_batching(&stack, 1).await,
        (100, 30),
        "consumer 1 must not change"
    );
    assert!(started.elapsed() - finished < std::time::Duration::from_secs(2));

    let status: Value =
        serde_json::from_slice(&ok_local(&stack, &["status", "--output", "json"]).stdout).unwrap();
    assert_eq!(
        status["parameters"]["BatchSize2"], "50",
        "the stack records the tune"
    );
    assert_eq!(status["parameters"]["Window2"], "5");
    assert_eq!(
        dashboard_consumer_labels(&stack).await,
        ["put-item-1 (100 / 30 s)", "put-item-2 (50 / 5 s)"],
        "the dashboard follows the tune"
    );

    let up: Value = serde_json::from_slice(
        &ok_local(
            &stack,
            &[
                "up",
                "--output",
                "json",
                "--artifacts",
                artifacts.path().to_str().unwrap(),
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(up["outcome"], "up to date", "{up}");
    assert_eq!(
        mapping_batching(&stack, 2).await,
        (50, 5),
        "a plain up must not revert a tune"
    );
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn out_of_range_values_change_nothing() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    for args in [
        vec!["--batch-size", "0"],
        vec!["--batch-size", "10001"],
        vec!["--batch-size", "-1"],
        vec!["--window", "301"],
        vec!["--window", "-1"],
        vec![
            "--consumer",
            "all",
            "--batch-size",
            "20000",
            "--window",
            "5",
        ],
        vec![],
    ] {
        let mut full = vec!["tune"];
        full.extend(&args);
        let output = run_local(&stack, &full);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&output.stderr)
        );
        let stderr = text(&output.stderr);
        assert_eq!(
            stderr.lines().count(),
            1,
            "one sentence for {args:?}: {stderr}"
        );
        if let Some(flag) = args
            .iter()
            .find(|a| a.starts_with("--") && **a != "--consumer")
        {
            assert!(stderr.contains(flag), "{args:?}: {stderr}");
        }
    }
    assert_eq!(mapping_batching(&stack, 1).await, (100, 30));
    assert_eq!(mapping_batching(&stack, 2).await, (10, 2));
    ok_local(&stack, &["down", "--yes"]);
}

#[test]
fn tune_without_a_stack_says_to_run_up() {
    let output = run_local(&unique_stack(), &["tune", "--batch-size", "10"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("run `demo up` first"),
        "{}",
        text(&output.stderr)
    );
}

#[tokio::test]
async fn dry_run_shows_the_change_and_makes_none() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let output = ok_local(
        &stack,
        &["tune", "--consumer", "all", "--window", "7", "--dry-run"],
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("would change: batch 100 / window 30 s → batch 100 / window 7 s"),
        "{stdout}"
    );
    assert_eq!(mapping_batching(&stack, 1).await, (100, 30));
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    let stack_params = cfn
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
        .unwrap();
    let window = stack_params.stacks()[0]
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("Window1"))
        .unwrap();
    assert_eq!(window.parameter_value(), Some("30"));
    ok_local(&stack, &["down", "--yes"]);
}
