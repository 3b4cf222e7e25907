//! `demo sweep` through the real binary against the emulator: a grid measured offline, the
//! model checked against the measurements, results re-rendered byte for byte, the mappings put
//! back after a normal end and after Ctrl-C, and bad grids refused before anything runs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::cli::{demo_local, json, ok_local, run_local, text, unique_stack};
use crate::lifecycle::{deploy_real, mapping_batching};
use crate::serve::wait_for_exit;

#[tokio::test]
async fn a_grid_is_measured_modelled_and_the_mappings_put_back() {
    let stack = unique_stack();
    deploy_real(&stack);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("sweep.json");
    let chart = dir.path().join("sweep.svg");
    let output = ok_local(
        &stack,
        &[
            "sweep",
            "--batch-sizes",
            "10,100",
            "--windows",
            "1,5",
            "--rate",
            "50",
            "--orders",
            "300",
            "--output",
            "json",
            "--save",
            saved.to_str().unwrap(),
            "--chart",
            chart.to_str().unwrap(),
        ],
    );
    let results: Value = json(&output);
    let rows = results["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{results:#}");
    let mut invocations = std::collections::BTreeMap::new();
    for row in rows {
        let config = &row["config"];
        let (batch, window) = (
            config["batch_size"].as_u64().unwrap(),
            config["window_seconds"].as_u64().unwrap(),
        );
        let measured = &row["measured"];
        let per_invocation = measured["records_per_invocation"].as_f64().unwrap();
        assert!(per_invocation <= batch as f64, "{row:#}");
        let measured_invocations = measured["invocations"].as_f64().unwrap();
        let predicted = row["predicted"]["invocations_per_million_orders"]
            .as_f64()
            .unwrap()
            * measured["orders"].as_f64().unwrap()
            / 1e6;
        assert!(
            (predicted - measured_invocations).abs() <= 0.25 * measured_invocations,
            "the model predicts {predicted:.1} invocations, {measured_invocations} measured: {row:#}"
        );
        invocations.insert((window, batch), measured_invocations);
    }
    for window in [1, 5] {
        assert!(
            invocations[&(window, 100)] <= invocations[&(window, 10)],
            "a larger batch made more invocations: {invocations:?}"
        );
    }
    assert!(
        results["choice"].to_string().contains("batch_size"),
        "{results:#}"
    );

    // Put back as they were.
    assert_eq!(mapping_batching(&stack, 1).await, (100, 30));
    assert_eq!(mapping_batching(&stack, 2).await, (10, 2));

    // The saved file is what was printed, and --from prints it again byte for byte.
    assert_eq!(std::fs::read(&saved).unwrap(), output.stdout);
    let again = ok_local(
        &stack,
        &[
            "sweep",
            "--from",
            saved.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    assert_eq!(again.stdout, output.stdout);
    let svg = std::fs::read_to_string(&chart).unwrap();
    for label in ["10 / 1 s", "100 / 1 s", "10 / 5 s", "100 / 5 s"] {
        assert!(svg.contains(label), "the chart lacks {label}");
    }
}

/// Starts `demo sweep` with `args` on `stack`, waits until consumer 1's mapping is at `until`
/// (a run has set it), presses Ctrl-C, and returns the sweep's stderr once it has exited 130
/// with both mappings back at the stack's values.
async fn interrupt_sweep(stack: &str, args: &[&str], until: (i32, i32), wait: Duration) -> String {
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("stderr");
    let mut sweep = demo_local(stack)
        .arg("sweep")
        .args(args)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    // Runs start on whole minutes.
    let deadline = Instant::now() + wait;
    while mapping_batching(stack, 1).await != until {
        assert!(
            Instant::now() < deadline,
            "the sweep never set consumer 1 to {until:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    // SAFETY: sends SIGINT to the child this test started and still owns.
    unsafe { libc::kill(sweep.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_for_exit(&mut sweep, Duration::from_secs(30)).unwrap_or_else(|| {
        let _ = sweep.kill();
        panic!("sweep still running 30 s after Ctrl-C")
    });
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(mapping_batching(stack, 1).await, (100, 30));
    assert_eq!(mapping_batching(stack, 2).await, (10, 2));
    stderr
}

#[tokio::test]
async fn ctrl_c_puts_the_mappings_back() {
    let stack = unique_stack();
    deploy_real(&stack);
    let args = [
        "--batch-sizes",
        "7,70",
        "--windows",
        "3",
        "--rate",
        "20",
        "--duration",
        "60s",
    ];
    let stderr = interrupt_sweep(&stack, &args, (7, 3), Duration::from_secs(90)).await;
    assert!(
        stderr.contains("back at batch 100 / window 30 s"),
        "{stderr}"
    );
}

#[tokio::test]
async fn ctrl_c_in_a_later_run_saves_the_runs_before_it() {
    let stack = unique_stack();
    deploy_real(&stack);
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("partial.json");
    // Two runs: 7 and 70 at 1 s, then at 3 s; a couple of seconds of traffic each. Run 2 has
    // begun once consumer 1 is at 7 / 3 s.
    let args = [
        "--batch-sizes",
        "7,70",
        "--windows",
        "1,3",
        "--rate",
        "20",
        "--orders",
        "40",
    ];
    let args = [&args[..], &["--save", saved.to_str().unwrap()]].concat();
    let stderr = interrupt_sweep(&stack, &args, (7, 3), Duration::from_secs(200)).await;
    assert!(stderr.contains("the sweep stopped at run 2"), "{stderr}");
    assert!(
        stderr.contains(&format!("saved to {}", saved.display())),
        "{stderr}"
    );
    // Run 1's two configurations, measured, and a note that says where the sweep stopped.
    let results: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let rows = results["rows"].as_array().unwrap();
    let configs: Vec<(u64, u64)> = rows
        .iter()
        .map(|r| {
            let c = &r["config"];
            (
                c["batch_size"].as_u64().unwrap(),
                c["window_seconds"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(configs, [(7, 1), (70, 1)], "{results:#}");
    assert!(
        rows.iter().all(|r| r["measured"]["records"] == 40),
        "{results:#}"
    );
    let notes = results["notes"].to_string();
    assert!(notes.contains("stopped at run 2 (interrupted)"), "{notes}");
}

#[test]
fn a_bad_grid_is_refused_before_anything_runs() {
    // No stack: the values are checked first.
    let stack = unique_stack();
    let refused = run_local(
        &stack,
        &["sweep", "--batch-sizes", "0,20000", "--windows", "301"],
    );
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    for flag in ["--batch-sizes 0", "--batch-sizes 20000", "--windows 301"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
    let weight = run_local(
        &stack,
        &["sweep", "--strategy", "balanced", "--weight", "2"],
    );
    assert_eq!(weight.status.code(), Some(2), "{}", text(&weight.stderr));

    let plan = ok_local(&stack, &["sweep", "--dry-run", "--output", "json"]);
    let plan: Value = json(&plan);
    assert_eq!(plan["configurations"], 4);
    assert_eq!(plan["runs"].as_array().unwrap().len(), 2);
}
