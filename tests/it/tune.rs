//! `demo tune` through the real binary against the emulator.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::cli::{json, ok_local, run_local, text, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{
    consumer_mapping, dashboard_consumer_labels, deploy_fake, mapping_batching, up_json,
};

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
    let report: Value = json(&output);
    assert_eq!(
        report["changes"][0]["before"],
        serde_json::json!({"batch_size": 10, "window_seconds": 2, "parallelization": 1})
    );
    assert_eq!(
        report["changes"][0]["after"],
        serde_json::json!({"batch_size": 50, "window_seconds": 5, "parallelization": 1})
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

    let status: Value = json(&ok_local(&stack, &["status", "--output", "json"]));
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

    let up = up_json(&stack, &["--artifacts", artifacts.path().to_str().unwrap()]);
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
        vec!["--consumer", "2", "--parallelization", "11"],
        vec!["--consumer", "2", "--parallelization", "0"],
        vec!["--parallelization", "-3"],
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
        if args.contains(&"--parallelization") {
            assert!(
                stderr.contains("the allowed range is 1–10"),
                "{args:?}: {stderr}"
            );
        }
    }
    assert_eq!(mapping_batching(&stack, 1).await, (100, 30));
    assert_eq!(mapping_batching(&stack, 2).await, (10, 2));
    for consumer in [1, 2] {
        assert_eq!(mapping_parallelization(&stack, consumer).await, 1);
        assert_eq!(
            recorded(&stack, &format!("Parallelization{consumer}")).await,
            1
        );
    }
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

/// The stack's recorded batch size and window of `consumer`.
async fn recorded_batching(stack: &str, consumer: usize) -> (i32, i32) {
    (
        recorded(stack, &format!("BatchSize{consumer}")).await,
        recorded(stack, &format!("Window{consumer}")).await,
    )
}

/// The stack's recorded value of the number parameter `key`.
async fn recorded(stack: &str, key: &str) -> i32 {
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    described.stacks()[0]
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some(key))
        .and_then(|p| p.parameter_value()?.parse().ok())
        .unwrap_or_else(|| panic!("stack {stack} records no {key}"))
}

/// Consumer `consumer`'s ParallelizationFactor, as ListEventSourceMappings reports it.
async fn mapping_parallelization(stack: &str, consumer: usize) -> i32 {
    let mapping = crate::lifecycle::consumer_mapping(stack, consumer).await;
    mapping
        .parallelization_factor()
        .unwrap_or_else(|| panic!("no ParallelizationFactor: {mapping:?}"))
}

#[tokio::test]
async fn tuning_parallelization_changes_the_mapping_and_the_stack_records_it() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    let output = ok_local(
        &stack,
        &[
            "tune",
            "--consumer",
            "2",
            "--parallelization",
            "3",
            "--output",
            "json",
        ],
    );
    let report: Value = json(&output);
    assert_eq!(
        report["changes"][0]["after"],
        serde_json::json!({"batch_size": 10, "window_seconds": 2, "parallelization": 3}),
        "{report}"
    );
    assert_eq!(mapping_parallelization(&stack, 2).await, 3);
    assert_eq!(
        mapping_parallelization(&stack, 1).await,
        1,
        "consumer 1 must not change"
    );
    assert_eq!(recorded(&stack, "Parallelization2").await, 3);
    assert_eq!(recorded(&stack, "Parallelization1").await, 1);
    let status: Value = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["parameters"]["Parallelization2"], "3", "{status}");

    let up = up_json(&stack, &["--artifacts", artifacts.path().to_str().unwrap()]);
    assert_eq!(up["outcome"], "up to date", "{up}");
    assert_eq!(
        mapping_parallelization(&stack, 2).await,
        3,
        "a plain up must not revert a tune"
    );
    let text_out = text(
        &ok_local(
            &stack,
            &["tune", "--consumer", "2", "--parallelization", "1"],
        )
        .stdout,
    );
    assert!(
        text_out.contains(
            "batch 10 / window 2 s / parallelization 3 → batch 10 / window 2 s / parallelization 1"
        ),
        "{text_out}"
    );
    assert_eq!(mapping_parallelization(&stack, 2).await, 1);
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn up_deploys_the_parallelization_it_is_given_and_keeps_it() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    let dir = artifacts.path().to_str().unwrap();
    let up = |extra: &[&str]| up_json(&stack, &[&["--artifacts", dir], extra].concat());
    let changed = up(&["--parallelization-1", "2"]);
    assert_eq!(changed["outcome"], "updated", "{changed}");
    assert_eq!(mapping_parallelization(&stack, 1).await, 2);
    assert_eq!(mapping_parallelization(&stack, 2).await, 1);
    assert_eq!(recorded(&stack, "Parallelization1").await, 2);
    assert_eq!(up(&[])["outcome"], "up to date");
    let refused = run_local(
        &stack,
        &["up", "--artifacts", dir, "--parallelization-2", "11"],
    );
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("--parallelization-2 11") && stderr.contains("1–10"),
        "{stderr}"
    );
    assert_eq!(mapping_parallelization(&stack, 2).await, 1);
    ok_local(&stack, &["down", "--yes"]);
}

/// `demo tune` stopped by SIGINT between its two steps (the mapping is live, the stack not yet
/// told), through the debug-only pause `DEMO_TEST_PAUSE_BEFORE_RECORD`.
#[tokio::test]
async fn tune_interrupted_between_its_two_steps_leaves_stack_and_mapping_agreeing() {
    use std::io::BufRead;
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let mut child = crate::harness::cli::demo_local(&stack)
        .args([
            "tune",
            "--consumer",
            "2",
            "--batch-size",
            "40",
            "--window",
            "4",
        ])
        .env("DEMO_TEST_PAUSE_BEFORE_RECORD", "60")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("test pause:") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "tune ended before its pause:\n{seen}"
        );
        seen.push_str(&line);
    }
    assert_eq!(
        mapping_batching(&stack, 2).await,
        (40, 4),
        "the mapping is live"
    );
    // SAFETY: kill only sends a signal to the child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    seen.push_str(&rest);
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(
        seen.contains("interrupted: the mapping of")
            && seen.contains("is back at batch 10 / window 2 s")
            && seen.contains("`demo tune` again"),
        "{seen}"
    );
    assert_eq!(mapping_batching(&stack, 2).await, (10, 2));
    assert_eq!(recorded_batching(&stack, 2).await, (10, 2));
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn up_puts_back_a_mapping_whose_live_values_differ_from_the_stack() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    // A change the stack does not know of, as an interrupted or out-of-band tune leaves it.
    let uuid = crate::lifecycle::consumer_mapping(&stack, 1)
        .await
        .uuid
        .unwrap();
    aws_sdk_lambda::Client::new(&sdk_config().await)
        .update_event_source_mapping()
        .uuid(uuid)
        .batch_size(7)
        .parallelization_factor(3)
        .send()
        .await
        .unwrap();
    let output = ok_local(
        &stack,
        &[
            "up",
            "--output",
            "json",
            "--artifacts",
            artifacts.path().to_str().unwrap(),
        ],
    );
    let up = json(&output);
    assert_eq!(up["outcome"], "updated", "not up to date: {up}");
    assert!(
        text(&output.stderr).contains(
            "mapping 1 is live at batch 7 / window 30 s / parallelization 3, the stack says \
             batch 100 / window 30 s / parallelization 1: putting it back"
        ),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(mapping_batching(&stack, 1).await, (100, 30));
    assert_eq!(
        mapping_parallelization(&stack, 1).await,
        1,
        "a parallelization changed outside demo is put back too"
    );
    assert_eq!(recorded_batching(&stack, 1).await, (100, 30));
    ok_local(&stack, &["down", "--yes"]);
}

/// A mapping the user disabled (moto's UpdateEventSourceMapping with Enabled=false makes it
/// Disabled, "User initiated"): `tune` sets its values without waiting for it to come back on,
/// and `tune` and `up` say that no records flow to that consumer, and exit 0.
#[tokio::test]
async fn a_mapping_the_user_disabled_is_tuned_at_once_and_named_by_tune_and_up() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    let artifacts = artifacts.path().to_str().unwrap();
    let uuid = consumer_mapping(&stack, 2).await.uuid().unwrap().to_owned();
    let lambda = aws_sdk_lambda::Client::new(&sdk_config().await);
    let disable = lambda
        .update_event_source_mapping()
        .uuid(&uuid)
        .enabled(false);
    disable.send().await.unwrap();
    let note = format!(
        "note: the mapping of {stack}-put-item-2 (consumer 2) is Disabled by a user (\"User \
         initiated\"): no records flow to consumer 2 until it is enabled again (`aws lambda \
         update-event-source-mapping --uuid {uuid} --enabled`)"
    );

    let started = Instant::now();
    let tune = ok_local(&stack, &["tune", "--consumer", "2", "--batch-size", "50"]);
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "no 5-minute wait for Enabled"
    );
    let said = text(&tune.stdout);
    assert!(said.contains("see the notes below"), "{said}");
    assert!(said.contains(&note), "{said}");
    let mapping = consumer_mapping(&stack, 2).await;
    assert_eq!(mapping.state(), Some("Disabled"), "tune does not enable it");
    assert_eq!(mapping.batch_size(), Some(50));

    let up = ok_local(&stack, &["up", "--artifacts", artifacts]);
    let said = text(&up.stdout);
    assert!(
        said.contains("mapping 2: batch 50 / window 2 s, Disabled (\"User initiated\")"),
        "{said}"
    );
    assert!(said.contains(&note), "{said}");
    let update = up_json(&stack, &["--artifacts", artifacts, "--batch-size-2", "20"]);
    assert_eq!(update["outcome"], "updated", "{update}");
    assert_eq!(update["notes"], serde_json::json!([note]), "{update}");
    assert_eq!(mapping_batching(&stack, 2).await, (20, 2));
    ok_local(&stack, &["down", "--yes"]);
}
