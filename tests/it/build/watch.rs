//! `demo watch` on the emulator through the real binary: a build error keeps the running code,
//! a saved edit goes live on exactly the functions that run that zip, and the stack records it,
//! so a plain `up` afterwards has nothing to do; offline, a consumer edited while orders flow
//! runs its next batches with the new code, and every order lands.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{BUILDS, Edit};
use crate::harness::cli::{demo_local, json, ok_local, text};
use crate::harness::sdk_config;

const SOURCE: &str = "functions/put-item/src/main.rs";
const LINE: &str = "\"TABLE_NAME is not set\"";
/// A build and an update of the emulator's functions, with room for a loaded machine.
const CHANGE_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Lines a child writes to one of its pipes, as they come.
fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

/// Waits for a line containing `wanted`; panics with what came instead.
fn wait_for(lines: &Receiver<String>, wanted: &str, seen: &mut Vec<String>) -> String {
    let deadline = Instant::now() + CHANGE_LIMIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(wanted) => return line,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("no line with {wanted:?}; seen:\n{}", seen.join("\n"));
}

/// Each of the stack's functions and the SHA-256 of the code it runs.
fn code_hashes(stack: &str) -> Vec<(String, String)> {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let lambda = aws_sdk_lambda::Client::new(&sdk_config().await);
        let mut hashes = Vec::new();
        for function in ["put-record", "put-item-1", "put-item-2"] {
            let config = lambda
                .get_function_configuration()
                .function_name(format!("{stack}-{function}"))
                .send()
                .await
                .unwrap();
            hashes.push((function.to_owned(), config.code_sha256.unwrap()));
        }
        hashes
    })
}

/// A child ended with the test, failed or not: no watcher or runner outlives it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `demo --local <args>` started with its output piped: the child, and its stdout and stderr
/// lines as they come.
fn start(stack: &str, args: &[&str]) -> (Running, Receiver<String>, Receiver<String>) {
    let mut child = demo_local(stack)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines_of(child.stdout.take().unwrap());
    let stderr = lines_of(child.stderr.take().unwrap());
    (Running(child), stdout, stderr)
}

fn interrupt(child: &mut Child) -> std::process::ExitStatus {
    // SAFETY: sends SIGINT to the child this test started and still owns.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    child.wait().unwrap()
}

#[test]
fn a_saved_edit_goes_live_and_is_recorded_and_a_broken_one_keeps_the_running_code() {
    let _build = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let stack = crate::harness::cli::unique_stack();
    ok_local(&stack, &["up"]);
    let before = code_hashes(&stack);

    let (mut watch, results, progress) = start(&stack, &["watch", "--output", "json"]);
    let mut seen = Vec::new();
    wait_for(&progress, "watching", &mut seen);

    {
        let _broken = Edit::replace(SOURCE, LINE, &format!("{LINE} +"));
        wait_for(&progress, "the running code is kept", &mut seen);
        assert_eq!(
            code_hashes(&stack),
            before,
            "a failed build changed no code"
        );
    }
    // Putting the source back builds what is deployed: nothing to update.
    wait_for(&progress, "nothing to update", &mut seen);

    let edit = Edit::replace(
        SOURCE,
        LINE,
        "\"TABLE_NAME is not set (an edit by the watch test)\"",
    );
    let change: Value = serde_json::from_str(&wait_for(&results, "{", &mut seen)).unwrap();
    eprintln!("the change, as watch reports it: {change}");
    assert_eq!(change["files"], serde_json::json!([SOURCE]), "{change}");
    assert_eq!(change["artifacts"][0][0], "put-item", "{change}");
    let functions: Vec<&str> = change["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        functions,
        [format!("{stack}-put-item-1"), format!("{stack}-put-item-2")],
        "{change}"
    );
    let seconds = |step: &str| change[step].as_f64().unwrap();
    assert!(
        seconds("live_after") >= seconds("build") + seconds("upload") + seconds("update"),
        "{change}"
    );

    let after = code_hashes(&stack);
    assert_eq!(after[0], before[0], "put-record runs the zip it ran");
    for (old, new) in before[1..].iter().zip(&after[1..]) {
        assert_ne!(old.1, new.1, "{} runs the new code", new.0);
    }
    assert_eq!(
        after[1].1, after[2].1,
        "both consumers run the same new zip"
    );

    let status = interrupt(&mut watch.0);
    assert!(status.success(), "Ctrl-C ends watch cleanly: {status}");

    let up = ok_local(&stack, &["up", "--output", "json"]);
    assert_eq!(json(&up)["outcome"], "up to date", "{}", text(&up.stderr));
    assert!(
        text(&up.stderr).contains("cargo not run"),
        "{}",
        text(&up.stderr)
    );
    assert_eq!(code_hashes(&stack), after, "up changed no code");

    drop(edit);
    ok_local(&stack, &["down", "--yes"]);
}

/// Short loads, one after another, into `url` until `enough` is set; the ids files they wrote.
fn orders_flowing(
    stack: String,
    url: String,
    enough: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(tempfile::TempDir, Vec<PathBuf>)> {
    std::thread::spawn(move || {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        while !enough.load(Ordering::SeqCst) {
            let file = dir.path().join(format!("ids-{}", files.len()));
            let path = file.to_str().unwrap();
            let load = [
                "load", "--url", &url, "--orders", "10", "--rate", "10", "--ids", path,
            ];
            ok_local(&stack, &load);
            files.push(file);
        }
        (dir, files)
    })
}

/// Consumer `consumer`'s invocation lines, oldest first: whether each is the edited code's.
fn invocations_by_new_code(stack: &str, consumer: usize) -> Vec<bool> {
    let function = format!("consumer-{consumer}");
    let logs = [
        "logs",
        "--function",
        &function,
        "--since",
        "30m",
        "--output",
        "json",
    ];
    let logs = json(&ok_local(stack, &logs));
    logs["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["message"].as_str())
        .filter(|message| message.contains("\"invocation"))
        .map(|message| message.contains(NEW_CODE))
        .collect()
}

const NEW_CODE: &str = "invocation by the watch test's code";

#[test]
fn offline_a_consumer_edited_while_orders_flow_runs_the_next_batch_with_nothing_lost() {
    let _build = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let stack = crate::harness::cli::unique_stack();
    ok_local(&stack, &["up"]);
    ok_local(&stack, &["tune", "--consumer", "all", "--window", "1"]);

    let (mut serve, served, runner) = start(&stack, &["serve", "--port", "0"]);
    let mut seen = Vec::new();
    let url = wait_for(&served, "POST ", &mut seen)
        .trim()
        .trim_start_matches("POST ")
        .to_owned();
    let (mut watch, results, progress) = start(&stack, &["watch", "--output", "json"]);
    wait_for(&progress, "watching", &mut seen);

    let enough = Arc::new(AtomicBool::new(false));
    let flow = orders_flowing(stack.clone(), url, Arc::clone(&enough));
    std::thread::sleep(Duration::from_secs(5));
    let edit = Edit::replace(
        "functions/put-item/src/lib.rs",
        "\"invocation\"",
        &format!("\"{NEW_CODE}\""),
    );
    let change = wait_for(&results, "{", &mut seen);
    eprintln!("the change, as watch reports it: {change}");
    for consumer in [1, 2] {
        let swapped = format!("{stack}-put-item-{consumer} now runs");
        wait_for(&runner, &swapped, &mut seen);
    }
    // Batches after the swap: the orders keep coming for a few more seconds.
    std::thread::sleep(Duration::from_secs(8));
    enough.store(true, Ordering::SeqCst);
    let (_ids_dir, files) = flow.join().expect("the loads ran");
    assert!(interrupt(&mut serve.0).success(), "serve ends cleanly");
    assert!(interrupt(&mut watch.0).success(), "watch ends cleanly");

    for file in &files {
        let verify = ["verify", "--ids", file.to_str().unwrap()];
        ok_local(&stack, &verify);
    }
    for consumer in [1, 2] {
        let by_new_code = invocations_by_new_code(&stack, consumer);
        assert!(
            by_new_code.contains(&false),
            "consumer-{consumer} ran the old code first: {by_new_code:?}"
        );
        assert_eq!(
            by_new_code.last(),
            Some(&true),
            "consumer-{consumer}'s last batches run the new code: {by_new_code:?}"
        );
    }
    drop(edit);
    ok_local(&stack, &["down", "--yes"]);
}
