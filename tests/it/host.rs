//! The local runner's function host (`demo::local::host`), against the emulator, with a real
//! Lambda runtime: the test-only function (`tests/test-function`, built with the functions'
//! `lambda` profile) in place of a stack function's code, so it can be made to panic, hang,
//! crash or fail its init. The stack is deployed with stand-in zips: the host reads the
//! function's configuration from the emulator and runs the given executable instead.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use demo::aws::Clients;
use demo::local::host::{Fault, FunctionHost, HostOptions, Invocation, Outcome, Status};
use serde_json::{Value, json};

use crate::harness::artifacts::test_function;
use crate::harness::cli::unique_stack;
use crate::harness::sdk_config;
use crate::lifecycle::deploy_fake;

async fn clients() -> Clients {
    Clients::new(&sdk_config().await)
}

/// A host running the test function as `stack`'s producer.
async fn host(stack: &str, max_environments: usize) -> FunctionHost {
    let options = HostOptions {
        max_environments,
        binary: Some(test_function().to_owned()),
        ..HostOptions::default()
    };
    FunctionHost::start(&clients().await, stack, "put-record", options)
        .await
        .expect("start the host")
}

/// Changes the producer's configuration in the emulator (a shorter timeout, variables).
async fn configure(stack: &str, timeout: Option<i32>, variables: &[(&str, &str)]) {
    let lambda = aws_sdk_lambda::Client::new(&sdk_config().await);
    let mut update = lambda
        .update_function_configuration()
        .function_name(format!("{stack}-put-record"))
        .set_timeout(timeout);
    if !variables.is_empty() {
        let mut environment = aws_sdk_lambda::types::Environment::builder();
        for (name, value) in variables {
            environment = environment.variables(*name, *value);
        }
        update = update.environment(environment.build());
    }
    update
        .send()
        .await
        .expect("update the function's configuration");
}

fn messages(invocation: &Invocation) -> Vec<String> {
    invocation.logs.iter().map(|l| l.message.clone()).collect()
}

/// The `type` of a JSON log event (the template's functions log in JSON), or the line.
fn kind(message: &str) -> String {
    serde_json::from_str::<Value>(message)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_owned))
        .unwrap_or_else(|| message.to_owned())
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invocation_answers_logs_and_reports_as_lambda_does() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = host(&stack, 1).await;
    assert_eq!(host.binary().path, test_function());
    assert_eq!(
        host.binary().runner,
        None,
        "a build for this machine runs as is"
    );

    let first = host
        .invoke(json!({"print": ["one", "two"], "echo": 7}))
        .await
        .unwrap();
    assert_eq!(
        first.outcome,
        Outcome::Response(json!({"echo": 7, "held": 0}))
    );
    let kinds: Vec<String> = messages(&first).iter().map(|m| kind(m)).collect();
    assert_eq!(
        kinds,
        [
            "platform.start",
            "one",
            "two",
            "platform.runtimeDone",
            "platform.report"
        ],
        "{first:#?}"
    );
    let report = &first.report;
    assert_eq!(report.status, Status::Success);
    assert_eq!(report.memory_size_mb, 128);
    let init = report
        .init_duration_ms
        .expect("a cold start reports its init");
    assert!(report.max_memory_used_mb > 0, "{report:?}");
    let billed = (report.duration_ms + init).ceil() as u64;
    assert!(
        report.billed_duration_ms.abs_diff(billed) <= 1,
        "init is billed for a custom runtime: {report:?}"
    );
    let report_line = messages(&first).pop().unwrap();
    assert_eq!(
        demo::local::host::platform::parse_report(&report_line).as_ref(),
        Some(report)
    );

    let warm = host.invoke(json!({"echo": "again"})).await.unwrap();
    assert_eq!(
        warm.report.init_duration_ms, None,
        "the environment is reused"
    );
    assert_eq!(warm.log_stream, first.log_stream);

    let shipped = host.shutdown().await.unwrap();
    assert_eq!(shipped.first_error, None);
    assert!(shipped.events >= 8, "{shipped:?}");
    assert!(host.process_ids().is_empty(), "shutdown ends the processes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_process_gets_the_lambda_environment_and_nothing_of_the_callers() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = host(&stack, 1).await;
    let names = [
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_LOG_FORMAT",
        "AWS_REGION",
        "_HANDLER",
        "LAMBDA_TASK_ROOT",
        "STREAM_NAME",
        "AWS_SECRET_ACCESS_KEY",
        "CARGO_MANIFEST_DIR",
    ];
    let invocation = host.invoke(json!({"env": names})).await.unwrap();
    let Outcome::Response(env) = &invocation.outcome else {
        panic!("{invocation:#?}")
    };
    assert_eq!(
        env["AWS_LAMBDA_FUNCTION_NAME"],
        format!("{stack}-put-record")
    );
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    let group = env["AWS_LAMBDA_LOG_GROUP_NAME"].as_str().unwrap();
    assert!(
        group.starts_with(&format!("/aws/lambda/{stack}-put-record-")),
        "the template's log group: {group}"
    );
    assert_eq!(
        env["AWS_LAMBDA_LOG_STREAM_NAME"],
        invocation.log_stream.as_str()
    );
    assert_eq!(env["AWS_LAMBDA_LOG_FORMAT"], "JSON");
    assert_eq!(env["AWS_REGION"], "ap-southeast-2");
    assert_eq!(env["_HANDLER"], "bootstrap");
    assert_eq!(
        env["LAMBDA_TASK_ROOT"],
        test_function().parent().unwrap().to_str().unwrap()
    );
    assert_eq!(
        env["STREAM_NAME"],
        format!("{stack}-orders"),
        "the function's own"
    );
    assert_eq!(
        env["AWS_SECRET_ACCESS_KEY"], "demo",
        "the emulator's dummy credentials"
    );
    assert_eq!(
        env["CARGO_MANIFEST_DIR"],
        Value::Null,
        "none of the caller's environment"
    );
    host.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_kills_the_process_and_the_next_invocation_starts_a_new_one() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    configure(&stack, Some(1), &[]).await;
    let host = host(&stack, 1).await;
    host.invoke(json!({"echo": "warm"})).await.unwrap();
    let [pid] = host.process_ids()[..] else {
        panic!("one process: {:?}", host.process_ids())
    };

    let timed_out = host.invoke(json!({"sleep_ms": 5000})).await.unwrap();
    let Outcome::Error(error) = &timed_out.outcome else {
        panic!("{timed_out:#?}")
    };
    assert_eq!(error.error_type, "Sandbox.Timedout");
    assert!(
        error
            .error_message
            .ends_with("Task timed out after 1.00 seconds"),
        "{error:?}"
    );
    assert_eq!(timed_out.report.status, Status::Timeout);
    assert!(
        (1000.0..2500.0).contains(&timed_out.report.duration_ms),
        "the deadline is the function's timeout: {:?}",
        timed_out.report
    );
    assert!(!alive(pid), "the timed-out process {pid} was killed");
    assert!(host.process_ids().is_empty());

    let next = host.invoke(json!({"echo": "after"})).await.unwrap();
    assert!(matches!(next.outcome, Outcome::Response(_)), "{next:#?}");
    assert!(next.report.init_duration_ms.is_some(), "a new environment");
    assert_ne!(next.log_stream, timed_out.log_stream);
    host.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_or_a_kill_is_an_exit_error_and_the_process_is_started_again() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = host(&stack, 1).await;
    let exited = host.invoke(json!({"exit": 3})).await.unwrap();
    let Outcome::Error(error) = &exited.outcome else {
        panic!("{exited:#?}")
    };
    assert_eq!(error.error_type, "Runtime.ExitError");
    assert_eq!(
        error.error_message,
        format!(
            "RequestId: {} Error: Runtime exited with error: exit status 3",
            exited.request_id
        )
    );
    assert_eq!(exited.report.status, Status::Failure);

    // The stand-in kills the process while it works on the event.
    host.inject(Fault::Kill {
        after: Duration::from_millis(200),
    });
    let killed = host.invoke(json!({"sleep_ms": 3000})).await.unwrap();
    let Outcome::Error(error) = &killed.outcome else {
        panic!("{killed:#?}")
    };
    assert!(error.error_message.ends_with("signal: killed"), "{error:?}");
    assert!(killed.report.duration_ms < 2000.0, "{:?}", killed.report);
    assert!(
        killed.report.init_duration_ms.is_some(),
        "restarted after the crash"
    );

    let next = host.invoke(json!({"echo": 1})).await.unwrap();
    assert!(matches!(next.outcome, Outcome::Response(_)), "{next:#?}");
    assert!(
        next.report.init_duration_ms.is_some(),
        "restarted after the kill"
    );
    host.shutdown().await.unwrap();
}

/// The functions are built with `panic = "unwind"` (the `lambda` profile), which the runtime
/// needs to catch a panic: the invocation's error, and the process serves on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_is_an_invocation_error_and_the_process_serves_on() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = host(&stack, 1).await;
    host.invoke(json!({"echo": "warm"})).await.unwrap();
    let before = host.process_ids();
    let panicked = host.invoke(json!({"panic": "boom"})).await.unwrap();
    let Outcome::Error(error) = &panicked.outcome else {
        panic!("{panicked:#?}")
    };
    assert_eq!(error.error_message, "Lambda panicked: boom", "{error:?}");
    assert_eq!(panicked.report.status, Status::Error);
    let after = host.invoke(json!({"echo": "still here"})).await.unwrap();
    assert!(matches!(after.outcome, Outcome::Response(_)), "{after:#?}");
    assert_eq!(after.report.init_duration_ms, None);
    assert_eq!(host.process_ids(), before, "the same process");
    host.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_init_is_the_invocations_error_and_reported() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    configure(&stack, None, &[("TEST_FUNCTION_INIT", "error")]).await;
    let host = host(&stack, 1).await;
    let failed = host.invoke(json!({"echo": 1})).await.unwrap();
    let Outcome::Error(error) = &failed.outcome else {
        panic!("{failed:#?}")
    };
    assert_eq!(error.error_type, "TestInitError");
    assert_eq!(error.error_message, "init failed on purpose");
    assert_eq!(failed.report.status, Status::Failure);
    assert!(failed.report.init_duration_ms.is_some());
    let kinds: Vec<String> = messages(&failed).iter().map(|m| kind(m)).collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("platform.initReport"),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.last().map(String::as_str),
        Some("platform.report"),
        "{kinds:?}"
    );

    // A runtime that exits during its init fails the same way, with Lambda's exit error.
    configure(&stack, None, &[("TEST_FUNCTION_INIT", "exit")]).await;
    let host = self::host(&stack, 1).await;
    let exited = host.invoke(json!({"echo": 1})).await.unwrap();
    let Outcome::Error(error) = &exited.outcome else {
        panic!("{exited:#?}")
    };
    assert_eq!(error.error_type, "Runtime.ExitError");
    assert!(error.error_message.ends_with("exit status 2"), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocations_in_flight_get_a_process_each_up_to_the_limit() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = host(&stack, 3).await;
    let started = Instant::now();
    let all =
        futures::future::join_all((0..6).map(|i| host.invoke(json!({"sleep_ms": 400, "echo": i}))))
            .await;
    let streams: BTreeSet<String> = all
        .iter()
        .map(|invocation| invocation.as_ref().unwrap().log_stream.clone())
        .collect();
    assert_eq!(
        streams.len(),
        3,
        "three environments for six invocations: {streams:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "two rounds of three"
    );
    for (i, invocation) in all.iter().enumerate() {
        let echoed = match &invocation.as_ref().unwrap().outcome {
            Outcome::Response(answer) => answer["echo"].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(echoed, json!(i));
    }
    host.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_can_delay_an_event_or_answer_in_the_processs_place() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = host(&stack, 1).await;
    host.invoke(json!({"echo": "warm"})).await.unwrap();
    host.inject(Fault::Delay(Duration::from_millis(600)));
    let started = Instant::now();
    let delayed = host.invoke(json!({"echo": "late"})).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert!(
        delayed.report.duration_ms < 600.0,
        "Duration counts from the hand-over"
    );

    let answer = json!({"from": "the stand-in"});
    host.inject(Fault::Answer(Outcome::Response(answer.clone())));
    let answered = host
        .invoke(json!({"print": ["never printed"]}))
        .await
        .unwrap();
    assert_eq!(answered.outcome, Outcome::Response(answer));
    assert!(!messages(&answered).iter().any(|m| m == "never printed"));
    host.shutdown().await.unwrap();
}

/// `replace_binary`: the invocation in flight finishes on the old process, the next runs the
/// new executable, and nothing is lost or run twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replacing_the_binary_lets_the_invocation_in_flight_finish_first() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let host = std::sync::Arc::new(host(&stack, 2).await);
    let in_flight = {
        let host = std::sync::Arc::clone(&host);
        tokio::spawn(async move { host.invoke(json!({"sleep_ms": 800, "echo": "old"})).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let [old_pid] = host.process_ids()[..] else {
        panic!("one process in flight: {:?}", host.process_ids())
    };
    let dir = tempfile::tempdir().unwrap();
    let new_path = dir.path().join("bootstrap");
    let mut bytes = std::fs::read(test_function()).unwrap();
    bytes.extend_from_slice(b"\0a new build\0");
    std::fs::write(&new_path, bytes).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&new_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let new = host.replace_binary(&new_path).await.unwrap();
    assert_ne!(
        new.sha256,
        demo::artifacts::sha256_hex(&std::fs::read(test_function()).unwrap())
    );

    let old = in_flight.await.unwrap().unwrap();
    assert_eq!(
        old.outcome,
        Outcome::Response(json!({"echo": "old", "held": 0}))
    );
    assert!(
        !alive(old_pid),
        "the old process ends once its invocation is done"
    );
    let next = host.invoke(json!({"echo": "new"})).await.unwrap();
    assert_eq!(
        next.outcome,
        Outcome::Response(json!({"echo": "new", "held": 0}))
    );
    assert!(next.report.init_duration_ms.is_some());
    let [new_pid] = host.process_ids()[..] else {
        panic!("one process: {:?}", host.process_ids())
    };
    let exe = std::fs::read_link(format!("/proc/{new_pid}/exe")).unwrap();
    assert_eq!(exe, new_path, "the next invocation runs the new executable");
    host.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stand_in_zip_is_refused_with_the_fix() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let err = FunctionHost::start(
        &clients().await,
        &stack,
        "put-item-1",
        HostOptions::default(),
    )
    .await
    .err()
    .expect("a zip whose bootstrap is not an executable cannot run");
    let message = err.to_string();
    assert!(message.contains("is not a Linux executable"), "{message}");
    assert!(message.contains("demo up --local"), "{message}");

    let err = FunctionHost::start(
        &clients().await,
        &stack,
        "put-item-9",
        HostOptions::default(),
    )
    .await
    .err()
    .expect("no such function");
    assert!(
        err.to_string()
            .contains("put-record, put-item-1 and put-item-2"),
        "{err}"
    );
}
