//! `demo load` and `demo verify` through the real binary, against a local order API started by
//! each test and, for verification, the emulator's DynamoDB.

mod server;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use orders::Order;
use orders::catalog::{CITIES, COFFEE_TYPES, QUANTITY, SIZES, random_order};
use orders::item::{RecordMeta, to_item};
use serde_json::Value;

use crate::harness::cli::json;
use crate::harness::resources::create_orders_table;
use crate::harness::{emulator, sdk_config, unique_name};
use server::{Behaviour, OrderServer};

/// `demo` with a clean environment: no stray DEMO_* settings, dummy AWS credentials.
fn demo(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    for (name, _) in std::env::vars() {
        if name.starts_with("DEMO_") || name.starts_with("AWS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run demo")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn sends_valid_unique_orders_from_the_distribution() {
    let server = OrderServer::start(Behaviour::Accept);
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.tsv");
    let output = demo(&[
        "load",
        "--orders",
        "1000",
        "--url",
        &server.url,
        "--ids",
        ids.to_str().unwrap(),
        "--output",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["sent"], 1000);
    assert_eq!(report["accepted"], 1000);
    assert_eq!(report["rejected"], 0);
    assert_eq!(report["retries"], 0);
    assert!(report["latency"]["p99_ms"].as_f64().unwrap() > 0.0);

    let seen = server.seen();
    assert_eq!(seen.accepted.len(), 1000);
    let orders: Vec<Order> = seen
        .accepted
        .iter()
        .map(|body| Order::from_request_body(body).expect("valid per the shared model"))
        .collect();
    let ids_sent: HashSet<&str> = orders
        .iter()
        .map(|o| o.orderid.as_deref().unwrap())
        .collect();
    assert_eq!(ids_sent.len(), 1000, "order ids are unique");
    for city in CITIES {
        assert!(orders.iter().any(|o| o.city == city), "{city} missing");
    }
    for coffee in COFFEE_TYPES {
        assert!(
            orders.iter().any(|o| o.details.coffeetype == coffee),
            "{coffee} missing"
        );
    }
    for (size, price) in SIZES {
        assert!(
            orders.iter().any(|o| o.details.coffeesize == size),
            "{size} missing"
        );
        let priced = orders.iter().filter(|o| o.details.coffeesize == size);
        assert!(priced.clone().all(|o| o.details.unitprice == price));
    }
    assert!(
        orders
            .iter()
            .all(|o| QUANTITY.contains(&o.details.quantity))
    );
    assert!(
        orders
            .iter()
            .all(|o| o.accountid == "a0" && o.vendorid.starts_with('v'))
    );

    let written = std::fs::read_to_string(&ids).unwrap();
    let ids_written: HashSet<&str> = written
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.split('\t').next().unwrap())
        .collect();
    assert_eq!(
        ids_written, ids_sent,
        "--ids lists exactly the accepted orders"
    );
}

#[test]
fn retries_503s_until_every_order_is_accepted_once() {
    let server = OrderServer::start(Behaviour::Flaky { percent: 20 });
    let output = demo(&[
        "load",
        "--orders",
        "500",
        "--concurrency",
        "16",
        "--max-attempts",
        "10",
        "--url",
        &server.url,
        "--output",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json(&output);
    let seen = server.seen();
    assert_eq!(report["accepted"], 500);
    assert_eq!(report["failed"], 0);
    assert!(
        seen.unavailable > 50,
        "about 20% of requests fail: {}",
        seen.unavailable
    );
    assert_eq!(report["retries"], seen.unavailable);
    assert_eq!(report["requests"], server.requests());
    assert_eq!(seen.accepted_ids.len(), 500);
    assert!(
        seen.accepted_ids.values().all(|&times| times == 1),
        "an id was accepted twice"
    );
}

#[test]
fn the_rate_cap_is_respected() {
    let server = OrderServer::start(Behaviour::Accept);
    let started = Instant::now();
    let output = demo(&[
        "load",
        "--rate",
        "200",
        "--orders",
        "400",
        "--url",
        &server.url,
        "--output",
        "json",
    ]);
    let wall = started.elapsed();
    assert!(output.status.success(), "{}", stderr(&output));
    let elapsed = json(&output)["elapsed_s"].as_f64().unwrap();
    assert!(
        (1.8..=2.2).contains(&elapsed),
        "400 orders at 200/s took {elapsed} s"
    );
    assert!(wall < Duration::from_secs(4), "{wall:?}");
    assert_eq!(server.requests(), 400);
}

#[test]
fn four_hundreds_are_rejections_with_reasons() {
    let server = OrderServer::start(Behaviour::RejectCity("Perth"));
    let output = demo(&[
        "load",
        "--orders",
        "300",
        "--url",
        &server.url,
        "--output",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "not everything was accepted");
    assert!(
        stderr(&output).contains("were not accepted"),
        "{}",
        stderr(&output)
    );
    let report = json(&output);
    let rejected = server.seen().rejected;
    assert!(rejected > 0);
    assert_eq!(report["rejected"], rejected);
    assert_eq!(report["accepted"], 300 - rejected);
    assert_eq!(report["rejected_by_status"]["400"], rejected);
    assert_eq!(report["retries"], 0, "4xx are not retried");
    let reasons = report["rejection_reasons"].as_array().unwrap();
    assert!(
        reasons[0]["reason"]
            .as_str()
            .unwrap()
            .contains("no deliveries to Perth")
    );

    let text = demo(&[
        "load",
        "--orders",
        "50",
        "--seed",
        "3",
        "--url",
        &server.url,
    ]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("rejected    "), "{text}");
    assert!(
        text.contains("400 {\"error\": \"no deliveries to Perth\"}"),
        "{text}"
    );
}

#[test]
fn bad_flags_exit_2_before_anything_is_sent() {
    let server = OrderServer::start(Behaviour::Accept);
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/prod/order", listener.local_addr().unwrap())
    };
    let moto = crate::harness::emulator().url.clone();
    let cases: [(&[&str], &str); 9] = [
        (&["--orders", "0", "--url", &server.url], "--orders 0"),
        (
            &["--concurrency", "0", "--url", &server.url],
            "--concurrency 0",
        ),
        (&["--rate", "0", "--url", &server.url], "--rate 0"),
        (&["--rate", "-5", "--url", &server.url], "--rate -5"),
        (
            &["--duration", "soon", "--url", &server.url],
            "--duration \"soon\"",
        ),
        (
            &["--url", "ftp://example.com/order"],
            "--url \"ftp://example.com/order\"",
        ),
        (&["--url", "not a url"], "--url \"not a url\""),
        (&["--url", &closed], "cannot connect"),
        // No --url: the stack is asked for it, and there is none.
        (
            &[
                "--region",
                "ap-southeast-2",
                "--endpoint-url",
                &moto,
                "--stack-name",
                "nostack",
            ],
            "run `demo up` first",
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["load"];
        args.extend_from_slice(flags);
        let output = demo(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?}: {}",
            stderr(&output)
        );
        let message = stderr(&output);
        assert!(message.contains(expected), "{flags:?}: {message}");
        assert_eq!(message.trim().lines().count(), 1, "one sentence: {message}");
        assert!(output.stdout.is_empty());
    }
    // No table names: the stack is asked for them, and there is none.
    let verify_without_tables = demo(&[
        "load",
        "--verify",
        "--url",
        &server.url,
        "--region",
        "ap-southeast-2",
        "--endpoint-url",
        &moto,
        "--stack-name",
        "nostack",
    ]);
    assert_eq!(verify_without_tables.status.code(), Some(2));
    assert!(
        stderr(&verify_without_tables).contains("run `demo up` first"),
        "{}",
        stderr(&verify_without_tables)
    );
    assert_eq!(server.requests(), 0, "nothing was sent");
}

#[test]
fn a_seed_sends_the_same_orders_again() {
    let server = OrderServer::start(Behaviour::Accept);
    let run = || {
        let before = server.seen().accepted.len();
        let output = demo(&[
            "load",
            "--orders",
            "40",
            "--seed",
            "11",
            "--url",
            &server.url,
            "-q",
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let mut orders: Vec<Order> = server.seen().accepted[before..]
            .iter()
            .map(|body| {
                let mut order = Order::from_request_body(body).unwrap();
                order.orderdate.clear(); // the send time, the one thing a seed does not fix
                order
            })
            .collect();
        orders.sort_by(|a, b| a.vendorid.cmp(&b.vendorid));
        orders
    };
    let first = run();
    assert_eq!(first.len(), 40);
    assert_eq!(first, run());
}

#[test]
fn a_duration_bounds_the_run() {
    let server = OrderServer::start(Behaviour::Accept);
    let output = demo(&[
        "load",
        "--duration",
        "1s",
        "--rate",
        "100",
        "--url",
        &server.url,
        "--output",
        "json",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let sent = json(&output)["sent"].as_u64().unwrap();
    assert!((90..=115).contains(&sent), "1 s at 100/s sent {sent}");
}

async fn put(dynamodb: &aws_sdk_dynamodb::Client, table: &str, order: &Order, sent_at_ms: i64) {
    let meta = RecordMeta {
        sequence_number: "1".into(),
        arrived_at_ms: sent_at_ms + 100,
        written_at_ms: sent_at_ms + 2_100,
    };
    dynamodb
        .put_item()
        .table_name(table)
        .set_item(Some(to_item(order, &meta)))
        .send()
        .await
        .expect("put item");
}

fn verify(ids: &Path, table_1: &str, table_2: &str, timeout: &str) -> Output {
    demo(&[
        "verify",
        "--ids",
        ids.to_str().unwrap(),
        "--table-1",
        table_1,
        "--table-2",
        table_2,
        "--verify-timeout",
        timeout,
        "--endpoint-url",
        &emulator().url,
        "--region",
        "ap-southeast-2",
        "--output",
        "json",
    ])
}

#[tokio::test]
async fn verify_finds_what_landed_and_fails_on_what_did_not() {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let (table_1, table_2) = (
        create_orders_table(&dynamodb, "load-verify").await,
        create_orders_table(&dynamodb, "load-verify").await,
    );
    let mut rng = fastrand::Rng::with_seed(5);
    // 150 orders: more than one BatchGetItem of 100 keys.
    let orders: Vec<Order> = (0..150)
        .map(|i| random_order(&mut rng, i, "2021-12-01 10:00:00".into(), unique_name("o")))
        .collect();
    let sent_at_ms = 1_700_000_000_000;
    for (i, order) in orders.iter().enumerate() {
        put(&dynamodb, &table_1, order, sent_at_ms).await;
        if i != 7 {
            put(&dynamodb, &table_2, order, sent_at_ms).await;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.tsv");
    let lines: Vec<String> = orders
        .iter()
        .map(|o| format!("{}\t{sent_at_ms}\n", o.orderid.as_deref().unwrap()))
        .collect();
    std::fs::write(&ids, lines.concat()).unwrap();

    let started = Instant::now();
    let output = tokio::task::spawn_blocking({
        let (ids, t1, t2) = (ids.clone(), table_1.clone(), table_2.clone());
        move || verify(&ids, &t1, &t2, "2s")
    })
    .await
    .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waiting is bounded"
    );
    assert!(
        stderr(&output).contains("1 of 150 accepted orders missing"),
        "{}",
        stderr(&output)
    );
    let report = json(&output);
    let tables: HashMap<&str, &Value> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["role"].as_str().unwrap(), t))
        .collect();
    assert_eq!(tables["table-1"]["found"], 150);
    assert_eq!(tables["table-1"]["missing"], 0);
    assert_eq!(tables["table-2"]["found"], 149);
    assert_eq!(tables["table-2"]["missing"], 1);
    assert_eq!(
        tables["table-2"]["missing_ids"][0],
        orders[7].orderid.as_deref().unwrap()
    );
    assert_eq!(tables["table-1"]["duplicates"], 0);
    let latency = &tables["table-1"];
    let near = |value: &Value, expected: f64| (value.as_f64().unwrap() - expected).abs() < 5.0;
    assert!(
        near(&latency["stream_to_table"]["p50_ms"], 2000.0),
        "{latency}"
    );
    assert!(
        near(&latency["client_to_table"]["max_ms"], 2100.0),
        "{latency}"
    );

    put(&dynamodb, &table_2, &orders[7], sent_at_ms).await;
    let output = tokio::task::spawn_blocking(move || verify(&ids, &table_1, &table_2, "5s"))
        .await
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let report = json(&output);
    assert!(
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["missing"] == 0)
    );
}
