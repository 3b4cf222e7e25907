//! `demo serve --local`: the offline stack answers any client — the original notebook's request
//! byte for byte, curl — and Ctrl-C hands the consumers what they gathered without waiting out
//! their windows.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;

use crate::harness::cli::{demo_local, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{deploy_fake, deploy_real, stack_tables};

/// The body the notebook posted, as Python's `requests.post(url, json=…)` serialises it
/// (`json.dumps` with its default separators).
const NOTEBOOK_BODY: &str = r#"{"order": {"accountid": "a0", "orderdate": "2021-12-01 10:11:12.123456", "vendorid": "v7", "city": "Gold Coast", "details": {"coffeetype": "Flat White", "coffeesize": "Large", "unitprice": 4.5, "quantity": 3}}}"#;

/// Posts `body` exactly as python-requests does, over a plain socket; the status and body.
fn post_like_requests(url: &str, body: &str) -> (u16, Value) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: python-requests/2.31.0\r\n\
         Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: close\r\n\
         Content-Length: {}\r\nContent-Type: application/json\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

pub fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

async fn in_table(table: &str, orderid: &str) -> bool {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    dynamodb
        .get_item()
        .table_name(table)
        .key("orderid", AttributeValue::S(orderid.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .is_some()
}

#[tokio::test]
async fn serve_answers_the_notebook_and_curl_and_ctrl_c_hands_everything_over() {
    let stack = unique_stack();
    deploy_real(&stack);
    let logs = tempfile::tempdir().unwrap();
    let stderr_path = logs.path().join("stderr");
    // Consumer 1 keeps its 30 s window: only Ctrl-C's hand-over gets its records written soon.
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
        .unwrap_or_else(|| panic!("serve printed {line:?}"))
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/prod/order"),
        "{url}"
    );

    let (status, notebook) = post_like_requests(&url, NOTEBOOK_BODY);
    assert_eq!(status, 200, "{notebook}");
    let notebook_id = notebook["orderid"].as_str().expect("an orderid").to_owned();

    let curl = Command::new("curl")
        .args([
            "-sS",
            "-X",
            "POST",
            &url,
            "-H",
            "Content-Type: application/json",
        ])
        .args(["--data", &NOTEBOOK_BODY.replace("Gold Coast", "Hobart")])
        .output()
        .expect("curl is installed by scripts/setup");
    assert!(curl.status.success(), "{curl:?}");
    let curled: Value = serde_json::from_slice(&curl.stdout).unwrap();
    let curl_id = curled["orderid"].as_str().expect("an orderid").to_owned();

    let (status, refused) = post_like_requests(&url, &NOTEBOOK_BODY.replace("4.5", "1e200"));
    assert_eq!(status, 400, "{refused}");

    let interrupted = Instant::now();
    // SAFETY: sends SIGINT to the child this test started and still owns.
    unsafe { libc::kill(serve.id() as libc::pid_t, libc::SIGINT) };
    let status = wait_for_exit(&mut serve, Duration::from_secs(20)).unwrap_or_else(|| {
        let _ = serve.kill();
        panic!("serve still running 20 s after Ctrl-C")
    });
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(status.success(), "{status}:\n{stderr}");
    assert!(interrupted.elapsed() < Duration::from_secs(15), "{stderr}");

    for id in [&notebook_id, &curl_id] {
        assert!(
            stderr.contains(&format!("POST /prod/order 200 {id}")),
            "{stderr}"
        );
        for table in stack_tables(&stack).await {
            assert!(in_table(&table, id).await, "{id} not in {table}:\n{stderr}");
        }
    }
    assert!(
        stderr.contains("POST /prod/order 400 refused: order.details.unitprice"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{stack}-put-item-1 ← 2 record(s)")),
        "{stderr}"
    );
    assert!(
        stderr.contains("without waiting out their batching windows"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serve_needs_local_and_a_free_port() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["serve"])
        .env("AWS_REGION", "ap-southeast-2")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("add --local"));

    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = demo_local(&stack)
        .args(["serve", "--port", &port])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("--port"),
        "{stderr}"
    );
}
