//! `demo logs` through the real binary, on events put straight into the stack's own log groups
//! in the emulator (moto stores PutLogEvents and answers FilterLogEvents): interleaving,
//! prefixes, `--since`, `--filter`, `--function`, JSON, colour only on request, and `--follow`
//! picking up a later event once and stopping on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde_json::Value;

use crate::harness::cli::{demo_local, json, ok_local, run_local, text, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::deploy_fake;
use crate::serve::wait_for_exit;

const MINUTE: i64 = 60_000;

/// The stack's log group for `logical` (PutRecordLogs, PutItem1Logs, PutItem2Logs).
async fn log_group(stack: &str, logical: &str) -> String {
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    // All of them: moto answers a LogicalResourceId filter with HTTP 500.
    let resources = cloudformation
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    (resources.stack_resources().iter())
        .find(|r| r.logical_resource_id() == Some(logical))
        .and_then(|r| r.physical_resource_id())
        .unwrap_or_else(|| panic!("{stack} has no {logical}: {resources:?}"))
        .to_owned()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Puts `events` (timestamp, message), oldest first, into a new stream of `group`.
async fn put(group: &str, events: &[(i64, String)]) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let stream = format!("2026/12/03/[$LATEST]{}", uuid::Uuid::new_v4().simple());
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let events = events.iter().map(|(timestamp, message)| {
        InputLogEvent::builder()
            .timestamp(*timestamp)
            .message(message)
            .build()
            .unwrap()
    });
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(&stream)
        .set_log_events(Some(events.collect()))
        .send()
        .await
        .unwrap();
}

/// One invocation as Lambda writes it with `LogFormat: JSON`: start, the function's own line,
/// end, report.
fn invocation(at: i64, request: &str, line: &str) -> Vec<(i64, String)> {
    let record =
        |kind: &str, record: String| format!(r#"{{"time":"t","type":"{kind}","record":{record}}}"#);
    vec![
        (
            at,
            record(
                "platform.start",
                format!(r#"{{"requestId":"{request}","version":"$LATEST"}}"#),
            ),
        ),
        (at + 1, line.to_owned()),
        (
            at + 2,
            record(
                "platform.runtimeDone",
                format!(r#"{{"requestId":"{request}","status":"success"}}"#),
            ),
        ),
        (
            at + 3,
            record(
                "platform.report",
                format!(
                    r#"{{"requestId":"{request}","metrics":{{"durationMs":2.26,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":18}},"status":"success"}}"#
                ),
            ),
        ),
    ]
}

fn tracing_line(level: &str, target: &str, message: &str) -> String {
    format!(
        r#"{{"level":"{level}","fields":{{"message":"{message}","records":1}},"target":"{target}"}}"#
    )
}

/// Seeds the three groups: the producer at 6 and 2 minutes ago, consumer 1 at 4, consumer 2 at
/// 3 (with an error), and an old producer event 2 hours ago.
async fn seed(stack: &str, now: i64) {
    let producer = log_group(stack, "PutRecordLogs").await;
    let mut events = vec![(now - 120 * MINUTE, "an old line".to_owned())];
    events.extend(invocation(
        now - 6 * MINUTE,
        "p-1",
        &tracing_line("INFO", "put_record", "invocation"),
    ));
    events.extend(invocation(
        now - 2 * MINUTE,
        "p-2",
        &tracing_line("INFO", "put_record", "invocation"),
    ));
    put(&producer, &events).await;
    let consumer_1 = log_group(stack, "PutItem1Logs").await;
    let line = tracing_line("INFO", "put_item", "invocation");
    put(&consumer_1, &invocation(now - 4 * MINUTE, "c1-1", &line)).await;
    let consumer_2 = log_group(stack, "PutItem2Logs").await;
    let line = tracing_line("ERROR", "put_item", "BatchWriteItem failed");
    put(&consumer_2, &invocation(now - 3 * MINUTE, "c2-1", &line)).await;
}

/// Each line's function (its prefix) and request id, in order.
fn prefixes_and_requests(stdout: &str) -> Vec<(String, String)> {
    (stdout.lines())
        .map(|line| {
            let prefix = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            let request = (line.split("RequestId: ").nth(1))
                .map(|rest| {
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .unwrap_or_default();
            (prefix, request)
        })
        .collect()
}

#[tokio::test]
async fn logs_interleave_the_stacks_groups_readably_and_select_filter_and_colour() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let now = now_ms();
    seed(&stack, now).await;

    let plain = text(&ok_local(&stack, &["logs"]).stdout);
    assert!(!plain.contains('\u{1b}'), "colour in a pipe:\n{plain}");
    let order: Vec<(String, String)> = prefixes_and_requests(&plain)
        .into_iter()
        .filter(|(_, request)| !request.is_empty())
        .collect();
    let expected: Vec<(String, String)> = [
        ("producer", "p-1"),
        ("consumer-1", "c1-1"),
        ("consumer-2", "c2-1"),
        ("producer", "p-2"),
    ]
    .iter()
    .flat_map(|(function, request)| {
        // START, END and REPORT name the request; the function's own line does not.
        std::iter::repeat_n((function.to_string(), request.to_string()), 3)
    })
    .collect();
    assert_eq!(order, expected, "{plain}");
    assert_eq!(plain.lines().count(), 16, "{plain}");
    assert!(
        !plain.contains("an old line"),
        "--since 10m by default:\n{plain}"
    );
    for line in [
        "START RequestId: p-1 Version: $LATEST",
        "END RequestId: c1-1",
        "REPORT RequestId: c2-1\tDuration: 2.26 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t\
         Max Memory Used: 18 MB",
        "INFO put_record: invocation records=1",
        "ERROR put_item: BatchWriteItem failed records=1",
    ] {
        assert!(plain.contains(line), "{line:?} not in:\n{plain}");
    }
    // One prefix width for all: the time starts in the same column on every line.
    let columns: Vec<usize> = plain.lines().map(|l| l.find(" 20").unwrap()).collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "{plain}");

    let older = text(&ok_local(&stack, &["logs", "--since", "3h"]).stdout);
    assert!(
        older.lines().next().unwrap().ends_with("an old line"),
        "{older}"
    );
    assert_eq!(older.lines().count(), 17);

    let consumer_2 = text(&ok_local(&stack, &["logs", "--function", "consumer-2"]).stdout);
    assert_eq!(consumer_2.lines().count(), 4, "{consumer_2}");
    assert!(
        consumer_2.lines().all(|l| l.starts_with("consumer-2 ")),
        "{consumer_2}"
    );

    let reports = ok_local(&stack, &["logs", "--filter", "REPORT"]);
    let shown = text(&reports.stdout);
    assert_eq!(shown.lines().count(), 4, "{shown}");
    assert!(
        shown.lines().all(|l| l.contains(" REPORT RequestId: ")),
        "{shown}"
    );
    assert!(
        text(&reports.stderr).contains("matched here against each line as shown"),
        "{}",
        text(&reports.stderr)
    );
    let errors = text(&ok_local(&stack, &["logs", "--filter", "failed"]).stdout);
    assert_eq!(errors.lines().count(), 1, "{errors}");

    let document = json(&ok_local(&stack, &["logs", "--output", "json"]));
    let events = document["events"].as_array().unwrap();
    assert_eq!(events.len(), 16);
    let times: Vec<i64> = events
        .iter()
        .map(|e| e["timestamp_ms"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let groups = document["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    for group in groups {
        let name = group["log_group"].as_str().unwrap();
        let template_name = group["function_name"]
            .as_str()
            .unwrap()
            .strip_prefix(&format!("{stack}-"))
            .unwrap();
        let instance = name
            .strip_prefix(&format!("/aws/lambda/{stack}-{template_name}-"))
            .unwrap_or_else(|| panic!("{name} is not the stack's own group"));
        assert_eq!(instance.len(), 8, "{name}");
        // The emulator reports no LoggingConfig: the stack's group, in the template's format.
        assert_eq!(group["found_by"], "stack");
        assert_eq!(group["log_format"], "json");
    }
    let report = &events[3];
    assert_eq!(report["function"], "producer");
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .contains("platform.report")
    );
    assert_eq!(report["line"]["kind"], "platform");
    assert!(
        report["line"]["text"]
            .as_str()
            .unwrap()
            .starts_with("REPORT RequestId: p-1")
    );

    // Colour when asked for (as on a terminal): the prefix and the error line are styled.
    let forced = demo_local(&stack)
        .args(["logs", "--function", "consumer-2"])
        .env("CLICOLOR_FORCE", "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let coloured = text(&forced.stdout);
    assert!(
        coloured.contains("\u{1b}[1m\u{1b}[34mconsumer-2"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\u{1b}[31mERROR put_item"),
        "{coloured:?}"
    );
}

#[tokio::test]
async fn logs_refuse_bad_flags_before_any_call_and_a_missing_stack_with_its_fix() {
    for (args, needle) in [
        (
            vec!["logs", "--since", "2999-01-01T00:00:00Z"],
            "is not in the past",
        ),
        (vec!["logs", "--since", "yesterday"], "invalid --since"),
        (vec!["logs", "--filter", ""], "invalid --filter"),
        (vec!["logs", "--function", "consumer-3"], "possible values"),
    ] {
        // No emulator is reachable there: a call would fail otherwise.
        let output = Command::new(env!("CARGO_BIN_EXE_demo"))
            .args(&args)
            .args([
                "--endpoint-url",
                "http://127.0.0.1:9",
                "--region",
                "ap-southeast-2",
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            text(&output.stderr).contains(needle),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let missing = run_local(&unique_stack(), &["logs"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("run `demo up` first"),
        "{}",
        text(&missing.stderr)
    );
}

#[tokio::test]
async fn logs_follow_shows_a_later_event_once_and_ctrl_c_ends_it_with_exit_0() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let group = log_group(&stack, "PutItem1Logs").await;
    put(
        &group,
        &[(now_ms() - MINUTE, "before following".to_owned())],
    )
    .await;

    let mut follow = demo_local(&stack)
        .args([
            "logs",
            "--follow",
            "--function",
            "consumer-1",
            "--output",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = follow.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            lines.send(line.unwrap()).unwrap();
        }
    });
    let first: Value =
        serde_json::from_str(&received.recv_timeout(Duration::from_secs(30)).unwrap()).unwrap();
    assert_eq!(first["message"], "before following");

    let written = Instant::now();
    put(&group, &[(now_ms(), "while following".to_owned())]).await;
    let later: Value =
        serde_json::from_str(&received.recv_timeout(Duration::from_secs(30)).unwrap()).unwrap();
    assert_eq!(later["message"], "while following");
    assert_eq!(later["function"], "consumer-1");
    assert!(
        written.elapsed() < Duration::from_secs(15),
        "{:?}",
        written.elapsed()
    );

    // Several more reads (each re-reads the last 15 s): nothing is shown again.
    std::thread::sleep(Duration::from_secs(8));
    // SAFETY: sends SIGINT to the child this test started and still owns.
    unsafe { libc::kill(follow.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_for_exit(&mut follow, Duration::from_secs(10)).unwrap_or_else(|| {
        let _ = follow.kill();
        panic!("demo logs --follow still running 10 s after Ctrl-C")
    });
    reader.join().unwrap();
    let rest: Vec<String> = received.try_iter().collect();
    assert!(rest.is_empty(), "shown again: {rest:?}");
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut follow.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("following /aws/lambda/"), "{stderr}");
}
