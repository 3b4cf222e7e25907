//! The offline pipeline runs the very functions `up` deployed: checked on the running processes
//! (their executable is the `bootstrap` of the zip in the emulator's S3), on the emulator's
//! CloudWatch Logs (a REPORT per invocation), on the tables (every order once), and with a
//! consumer killed while it works on a batch.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use demo::local::host::{Fault, platform};
use demo::local::{LocalOptions, LocalRun};
use serde_json::Value;

use crate::build::{bootstrap_of, sha256_hex};
use crate::harness::cli::{demo_local, json, ok_local, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{deploy_real, stack_tables};
use crate::serve::wait_for_exit;

/// The SHA-256 of the `bootstrap` in each deployed zip, read back from the emulator's S3 at the
/// stack's code keys: (put-record's, put-item's).
async fn deployed_bootstraps(stack: &str) -> (String, String) {
    let config = sdk_config().await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let described = cloudformation
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    let parameter = |key: &str| {
        described.stacks()[0]
            .parameters()
            .iter()
            .find(|p| p.parameter_key() == Some(key))
            .and_then(|p| p.parameter_value())
            .unwrap_or_else(|| panic!("no parameter {key}"))
            .to_owned()
    };
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let mut sha = Vec::new();
    for key in ["PutRecordCodeKey", "PutItemCodeKey"] {
        let zip = s3
            .get_object()
            .bucket(parameter("ArtifactBucket"))
            .key(parameter(key))
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bootstrap.zip");
        std::fs::write(&path, &zip).unwrap();
        sha.push(sha256_hex(&bootstrap_of(&path)));
    }
    (sha[0].clone(), sha[1].clone())
}

/// The processes whose parent is `parent`, each with its command line.
fn children(parent: u32) -> Vec<(u32, Vec<String>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …: the command may hold spaces, so read after its ')'.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let ppid: u32 = after.split(' ').nth(1).unwrap().parse().unwrap();
        if ppid == parent {
            let mut cmdline = String::new();
            if let Ok(mut file) = std::fs::File::open(entry.path().join("cmdline")) {
                let _ = file.read_to_string(&mut cmdline);
            }
            let args = cmdline
                .split('\0')
                .filter(|a| !a.is_empty())
                .map(str::to_owned);
            found.push((pid, args.collect()));
        }
    }
    found
}

/// The executable a function process runs: qemu's argument, or the process's own image.
fn executable(pid: u32, args: &[String]) -> std::path::PathBuf {
    match args.first() {
        Some(first) if first.contains("qemu-") => args[1].clone().into(),
        _ => std::fs::read_link(format!("/proc/{pid}/exe")).unwrap(),
    }
}

/// Every event of a log group: (stream, message).
async fn log_events(group: &str) -> Vec<(String, String)> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let streams = logs
        .describe_log_streams()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    let mut events = Vec::new();
    for stream in streams.log_streams() {
        let name = stream.log_stream_name().unwrap().to_owned();
        let page = logs
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(&name)
            .start_from_head(true)
            .limit(10_000)
            .send()
            .await
            .unwrap();
        for event in page.events() {
            events.push((name.clone(), event.message().unwrap_or_default().to_owned()));
        }
    }
    events
}

/// The log group `up` made for `stack`'s function `role` (`/aws/lambda/<stack>-<role>-<instance>`).
/// Found by name, not through the stack's resources: moto drops the log groups from those
/// after a stack update (`tune`), though the groups stay.
async fn log_group(stack: &str, role: &str) -> String {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let prefix = format!("/aws/lambda/{stack}-{role}-");
    let listed = logs
        .describe_log_groups()
        .log_group_name_prefix(&prefix)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = listed
        .log_groups()
        .iter()
        .filter_map(|g| g.log_group_name())
        .collect();
    let [name] = names[..] else {
        panic!("one log group {prefix}…: {names:?}")
    };
    name.to_owned()
}

/// `local <function> (…): N invocations` from the runner's summary on stderr.
fn invocations(stderr: &str, function: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.contains(&format!("local {function} (")))
        .unwrap_or_else(|| panic!("no summary of {function}:\n{stderr}"));
    let before = line.split(" invocations").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipelines_processes_are_the_deployed_bootstraps_and_each_invocation_is_logged() {
    let stack = unique_stack();
    deploy_real(&stack);
    ok_local(&stack, &["tune", "--consumer", "all", "--window", "1"]);
    let (put_record_sha, put_item_sha) = deployed_bootstraps(&stack).await;
    let logs = tempfile::tempdir().unwrap();
    let stderr_path = logs.path().join("stderr");
    let mut serve = demo_local(&stack)
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("start demo serve");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("POST ")
        .expect("serve prints the URL")
        .to_owned();
    let orders = 24;
    let load = json(&ok_local(
        &stack,
        &[
            "load",
            "--url",
            &url,
            "--orders",
            &orders.to_string(),
            "--verify",
            "--output",
            "json",
        ],
    ));
    assert_eq!(load["accepted"], orders, "{load}");

    // The processes serve's runner started, checked, not assumed: each runs a bootstrap whose
    // bytes are those of the zip at the stack's code key.
    let running = children(serve.id());
    let mut seen = Vec::new();
    for (pid, args) in &running {
        let path = executable(*pid, args);
        let sha = sha256_hex(&std::fs::read(&path).unwrap());
        assert!(
            sha == put_record_sha || sha == put_item_sha,
            "process {pid} ({args:?}) runs something else than the deployed bootstraps"
        );
        if cfg!(target_arch = "x86_64") {
            assert!(args[0].contains("qemu-aarch64"), "{args:?}");
        }
        seen.push(sha);
    }
    assert!(
        seen.contains(&put_record_sha),
        "a producer process: {running:?}"
    );
    assert!(
        seen.contains(&put_item_sha),
        "consumer processes: {running:?}"
    );

    // SAFETY: sends SIGINT to the child this test started and still owns.
    unsafe { libc::kill(serve.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_for_exit(&mut serve, Duration::from_secs(60)).unwrap_or_else(|| {
        let _ = serve.kill();
        panic!("serve still running 60 s after Ctrl-C")
    });
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(status.success(), "{status}:\n{stderr}");
    assert!(children(serve.id()).is_empty(), "no process outlives serve");

    // Each invocation's REPORT is in its function's log group, readable back.
    for (role, function, expected) in [
        ("put-record", format!("{stack}-put-record"), orders as usize),
        (
            "put-item-1",
            format!("{stack}-put-item-1"),
            invocations(&stderr, &format!("{stack}-put-item-1")),
        ),
        (
            "put-item-2",
            format!("{stack}-put-item-2"),
            invocations(&stderr, &format!("{stack}-put-item-2")),
        ),
    ] {
        let events = log_events(&log_group(&stack, role).await).await;
        let reports: Vec<_> = events
            .iter()
            .filter_map(|(_, message)| platform::parse_report(message))
            .collect();
        assert_eq!(reports.len(), expected, "{function}: {events:#?}");
        assert!(
            reports.iter().any(|r| r.init_duration_ms.is_some()),
            "{function}: a cold start"
        );
        for (stream, _) in &events {
            assert!(stream.contains("/[$LATEST]"), "{function}: stream {stream}");
        }
        let own = events
            .iter()
            .filter(|(_, m)| m.contains("\"invocation\""))
            .count();
        assert_eq!(
            own, expected,
            "{function}: the function's own line per invocation"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_orders_land_once_in_each_table_and_the_run_says_what_ran() {
    let stack = unique_stack();
    deploy_real(&stack);
    ok_local(&stack, &["tune", "--consumer", "all", "--window", "1"]);
    let output = ok_local(
        &stack,
        &["load", "--orders", "1000", "--verify", "--output", "json"],
    );
    let load = json(&output);
    assert_eq!(load["accepted"], 1000, "{load}");
    for table in load["verify"]["tables"].as_array().unwrap() {
        assert_eq!(table["found"], 1000, "{table}");
        assert_eq!(table["duplicates"], 0, "{table}");
    }
    let binaries = load["local"]["binaries"].as_array().unwrap();
    assert_eq!(binaries.len(), 3, "{load}");
    for binary in binaries {
        assert!(
            binary["origin"].as_str().unwrap().starts_with("s3://"),
            "{binary}"
        );
        assert_eq!(binary["cpu"], "aarch64");
        if cfg!(target_arch = "x86_64") {
            assert!(
                binary["runner"].as_str().unwrap().contains("qemu-aarch64"),
                "{binary}"
            );
        }
    }
    let figures = load["local"]["figures"].as_str().unwrap();
    assert!(figures.contains("not Lambda's"), "{figures}");
}

/// Every item of `table`: order id → sequence number.
async fn items(table: &str) -> Vec<String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let mut ids = Vec::new();
    let mut start = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        for item in page.items() {
            if let Some(AttributeValue::S(id)) = item.get("orderid") {
                ids.push(id.clone());
            }
        }
        start = page.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return ids;
        }
    }
}

/// The stand-in kills consumer 2's process while it works on its first batch: Lambda's answer
/// is a failed invocation, the batch is retried (bisected, as the template sets), a new process
/// takes it, and every order is in the table once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_mid_batch_is_started_again_and_the_batch_retried() {
    let stack = unique_stack();
    deploy_real(&stack);
    ok_local(&stack, &["tune", "--consumer", "2", "--window", "1"]);
    let clients = demo::aws::Clients::new(&sdk_config().await);
    let deployed = demo::deploy::resources::deployed(&clients, &stack)
        .await
        .unwrap();
    let run = LocalRun::start(&clients, &stack, &deployed, LocalOptions::default())
        .await
        .unwrap();
    run.host("put-item-2").unwrap().inject(Fault::Kill {
        after: Duration::from_millis(5),
    });
    let client = reqwest::Client::new();
    let mut accepted = Vec::new();
    for i in 0..20 {
        let body = format!(
            r#"{{"order": {{"accountid": "a0", "orderdate": "2021-12-01 10:11:12", "vendorid": "v{i}", "city": "Hobart", "details": {{"coffeetype": "Latte", "coffeesize": "Large", "unitprice": 4.5, "quantity": 2}}}}}}"#
        );
        let answer = client.post(run.url()).body(body).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        let answer: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
        accepted.push(answer["orderid"].as_str().unwrap().to_owned());
    }
    let summaries = run.finish().await.unwrap();
    let consumer = summaries
        .iter()
        .find(|s| s.function.ends_with("-put-item-2"))
        .unwrap();
    assert_eq!(consumer.given_up, 0, "{consumer:?}");

    let table = &stack_tables(&stack).await[1];
    let mut written = items(table).await;
    written.sort();
    accepted.sort();
    assert_eq!(written, accepted, "every order once in {table}");

    let events = log_events(&log_group(&stack, "put-item-2").await).await;
    let reports: Vec<_> = events
        .iter()
        .filter_map(|(_, m)| platform::parse_report(m))
        .collect();
    let killed: Vec<_> = reports
        .iter()
        .filter(|r| r.error_type.as_deref() == Some("Runtime.ExitError"))
        .collect();
    assert_eq!(killed.len(), 1, "{reports:#?}");
    let cold_starts = reports
        .iter()
        .filter(|r| r.init_duration_ms.is_some())
        .count();
    assert_eq!(
        cold_starts, 2,
        "the killed process was started again: {reports:#?}"
    );
    assert_eq!(reports.len() as u64, consumer.invocations, "{consumer:?}");
}
