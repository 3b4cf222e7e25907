//! Nothing lost: poison records on the stream take no valid order with them, the local runner
//! gives them up as Lambda would (to the on-failure queue), and `demo failures` lists exactly
//! them with their reasons, re-drives what can be written and keeps what cannot.

use std::process::Child;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kinesis::primitives::Blob;
use serde_json::{Value, json};

use crate::harness::cli::{demo_local, json, ok_local, text, unique_stack};
use crate::harness::resources::stream_as_event;
use crate::harness::sdk_config;
use crate::lifecycle::{deploy_fake, deploy_real, stack_tables};

fn failures(stack: &str, extra: &[&str]) -> Value {
    let mut args = vec!["failures", "--output", "json"];
    args.extend_from_slice(extra);
    json(&ok_local(stack, &args))
}

/// Puts `data` on the stack's stream; its sequence number.
async fn put(kinesis: &aws_sdk_kinesis::Client, stack: &str, key: &str, data: &[u8]) -> String {
    kinesis
        .put_record()
        .stream_name(format!("{stack}-orders"))
        .partition_key(key)
        .data(Blob::new(data.to_vec()))
        .send()
        .await
        .expect("put a record")
        .sequence_number
}

async fn records_on_stream(kinesis: &aws_sdk_kinesis::Client, stack: &str) -> usize {
    let event = stream_as_event(kinesis, &format!("{stack}-orders")).await;
    event["Records"].as_array().map_or(0, Vec::len)
}

fn order(orderid: &str, unitprice: &str) -> Vec<u8> {
    format!(
        r#"{{"orderid": "{orderid}", "accountid": "a0", "orderdate": "2026-12-02 10:00:00",
            "vendorid": "v1", "city": "Hobart",
            "details": {{"coffeetype": "Latte", "coffeesize": "Large", "unitprice": {unitprice}, "quantity": 2}}}}"#
    )
    .into_bytes()
}

/// Starts `demo load --verify --output json` with `args`, its output going to files in `logs`
/// (a pipe nobody reads would stall it once full).
fn spawn_load(stack: &str, args: &[&str], logs: &std::path::Path) -> Child {
    let file = |name: &str| std::fs::File::create(logs.join(name)).unwrap();
    demo_local(stack)
        .arg("load")
        .args(args)
        .args(["--verify", "--output", "json"])
        .stdout(file("stdout"))
        .stderr(file("stderr"))
        .spawn()
        .expect("start demo load")
}

/// Waits for the load and returns its JSON result.
fn finished(mut load: Child, logs: &std::path::Path) -> Value {
    let status = load.wait().unwrap();
    let read = |name: &str| std::fs::read_to_string(logs.join(name)).unwrap();
    assert!(status.success(), "demo load failed:\n{}", read("stderr"));
    serde_json::from_str(&read("stdout")).unwrap_or_else(|err| panic!("not JSON ({err})"))
}

/// Waits until the stream holds at least `count` records, or the load ended.
async fn until_records(
    kinesis: &aws_sdk_kinesis::Client,
    stack: &str,
    count: usize,
    load: &mut Child,
) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while records_on_stream(kinesis, stack).await < count {
        assert!(load.try_wait().unwrap().is_none(), "the load ended early");
        assert!(
            Instant::now() < deadline,
            "no {count} records on the stream"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The state of every record `failures` lists, by (consumer, sequence number).
fn listed(found: &Value) -> Vec<(u64, String, String)> {
    let mut listed: Vec<(u64, String, String)> = found["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|batch| {
            let consumer = batch["consumer"].as_u64().unwrap();
            batch["records"].as_array().unwrap().iter().map(move |r| {
                (
                    consumer,
                    r["sequence_number"].as_str().unwrap().to_owned(),
                    r["state"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect();
    listed.sort();
    listed
}

#[tokio::test]
async fn poison_records_lose_no_order_and_are_listed_kept_and_redriven() {
    let stack = unique_stack();
    deploy_real(&stack);
    ok_local(&stack, &["tune", "--consumer", "1", "--window", "2"]);
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);

    let logs = tempfile::tempdir().unwrap();
    let mut load = spawn_load(
        &stack,
        &["--orders", "1000", "--rate", "100", "--concurrency", "4"],
        logs.path(),
    );
    // Between the orders: a number DynamoDB cannot store, bytes that are not JSON, and JSON
    // that is not an order.
    let mut poison = Vec::new();
    for (after, data) in [
        (1, order("poison-overflow", "1e200")),
        (300, b"not json at all".to_vec()),
        (600, br#"{"hello": "world"}"#.to_vec()),
    ] {
        until_records(&kinesis, &stack, after, &mut load).await;
        poison.push(put(&kinesis, &stack, "poison", &data).await);
    }
    let load = finished(load, logs.path());
    assert_eq!(load["accepted"], 1000, "{load}");
    for table in load["verify"]["tables"].as_array().unwrap() {
        assert_eq!(table["found"], 1000, "{table}");
        assert_eq!(table["duplicates"], 0, "{table}");
    }

    // Exactly the poison records, once per consumer, each with its reason.
    let found = failures(&stack, &[]);
    let expected_state = |seq: &str| {
        if seq == poison[0] {
            "unstorable"
        } else {
            "not_an_order"
        }
    };
    let mut expected: Vec<(u64, String, String)> = [1, 2]
        .into_iter()
        .flat_map(|c| {
            poison
                .iter()
                .map(move |s| (c, s.clone(), expected_state(s).to_owned()))
        })
        .collect();
    expected.sort();
    assert_eq!(listed(&found), expected, "{found:#}");
    let text_of_reasons = found.to_string();
    assert!(text_of_reasons.contains("not valid JSON"), "{found:#}");
    assert!(text_of_reasons.contains("unitprice"), "{found:#}");
    for batch in found["batches"].as_array().unwrap() {
        assert_eq!(batch["condition"], "RetryAttemptsExhausted", "{batch}");
        assert_eq!(batch["gone"], 0, "{batch}");
    }
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["failures_waiting"], 6, "{status}");

    // --redrive cannot write them: they stay, with their reasons.
    let redriven = failures(&stack, &["--redrive"]);
    assert_eq!(listed(&redriven), expected, "{redriven:#}");
    assert!(
        redriven["batches"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["deleted"] == false)
    );

    // A valid order whose write failed earlier (the fault injected here: its message sent as
    // Lambda sends it, with no poller running) is written by --redrive and its message deleted.
    let sequence = put(&kinesis, &stack, "late", &order("late-1", "4.5")).await;
    let queue_url = status["deployed"]["queue"].as_str().unwrap();
    send_failure(&stack, queue_url, &sequence).await;
    let found = failures(&stack, &[]);
    assert!(
        listed(&found).contains(&(1, sequence.clone(), "writable".into())),
        "{found:#}"
    );
    let redriven = failures(&stack, &["--redrive"]);
    assert!(
        listed(&redriven).contains(&(1, sequence.clone(), "redriven".into())),
        "{redriven:#}"
    );
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let item = dynamodb
        .get_item()
        .table_name(&stack_tables(&stack).await[0])
        .key("orderid", AttributeValue::S("late-1".into()))
        .send()
        .await
        .unwrap();
    assert!(item.item.is_some(), "the re-driven order is in table 1");
    assert_eq!(
        listed(&failures(&stack, &[])),
        expected,
        "only its message was deleted"
    );

    let text_out = text(&ok_local(&stack, &["failures"]).stdout);
    assert!(text_out.contains("DynamoDB cannot store it"), "{text_out}");
    assert!(text_out.contains("not an order"), "{text_out}");
}

/// Sends consumer 1's on-failure message for one record, as Lambda shapes it.
async fn send_failure(stack: &str, queue_url: &str, sequence: &str) {
    send_range(
        stack,
        queue_url,
        "shardId-000000000000",
        sequence,
        sequence,
        1,
    )
    .await;
}

async fn send_range(stack: &str, queue_url: &str, shard: &str, start: &str, end: &str, size: u64) {
    let region = crate::harness::sdk_config()
        .await
        .region()
        .unwrap()
        .to_string();
    let message = json!({
        "requestContext": {
            "requestId": "test",
            "functionArn": format!("arn:aws:lambda:{region}:123456789012:function:{stack}-put-item-1"),
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": 11
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": "2026-12-02T10:00:00.000Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": start,
            "endSequenceNumber": end,
            "batchSize": size,
            "streamArn": format!("arn:aws:kinesis:{region}:123456789012:stream/{stack}-orders")
        }
    });
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    sqs.send_message()
        .queue_url(queue_url)
        .message_body(message.to_string())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn records_the_stream_no_longer_holds_are_counted_as_gone_and_kept() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);
    // A shard the stream no longer has (a parent shard past its retention after a reshard).
    put(&kinesis, &stack, "k", &order("o-1", "3.5")).await;
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    let queue_url = status["deployed"]["queue"].as_str().unwrap();
    send_range(&stack, queue_url, "shardId-000000000009", "1", "5", 5).await;
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    sqs.send_message()
        .queue_url(queue_url)
        .message_body("a message of someone else's")
        .send()
        .await
        .unwrap();

    let found = failures(&stack, &["--redrive"]);
    let [batch] = found["batches"].as_array().unwrap().as_slice() else {
        panic!("one batch expected: {found:#}")
    };
    assert_eq!(batch["gone"], 5, "{batch}");
    assert!(
        batch["gone_because"]
            .as_str()
            .unwrap()
            .contains("no longer holds")
    );
    assert_eq!(batch["deleted"], false, "a lost range stays counted");
    let [unreadable] = found["unreadable"].as_array().unwrap().as_slice() else {
        panic!("one unreadable message expected: {found:#}")
    };
    assert_eq!(unreadable["body"], "a message of someone else's");
    // Both are still there for the next look.
    let again = failures(&stack, &[]);
    assert_eq!(again["batches"].as_array().unwrap().len(), 1, "{again:#}");
    assert_eq!(
        again["unreadable"].as_array().unwrap().len(),
        1,
        "{again:#}"
    );
    let text_out = text(&ok_local(&stack, &["failures"]).stdout);
    assert!(text_out.contains("5 record(s) are gone"), "{text_out}");
}

#[tokio::test]
async fn the_local_runner_follows_the_mappings_retry_and_bisect_settings() {
    let stack = unique_stack();
    deploy_real(&stack);
    // One batch per consumer: every record of the run arrives within the 5 s window.
    ok_local(
        &stack,
        &[
            "tune",
            "--consumer",
            "all",
            "--window",
            "5",
            "--batch-size",
            "100",
        ],
    );
    // Consumer 2: no retries, no bisecting: the rest of the batch from the poison record on is
    // given up with it (records Lambda would then hand the destination though written).
    let config = sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let mapping = crate::lifecycle::consumer_mapping(&stack, 2).await;
    lambda
        .update_event_source_mapping()
        .uuid(mapping.uuid().unwrap())
        .maximum_retry_attempts(0)
        .bisect_batch_on_function_error(false)
        .send()
        .await
        .unwrap();
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    let logs = tempfile::tempdir().unwrap();
    let mut load = spawn_load(
        &stack,
        &["--orders", "40", "--rate", "20", "--concurrency", "1"],
        logs.path(),
    );
    until_records(&kinesis, &stack, 10, &mut load).await;
    let poison = put(&kinesis, &stack, "poison", b"\x00\x01 binary").await;
    for i in 0..3 {
        put(
            &kinesis,
            &stack,
            "after",
            &order(&format!("after-{i}"), "4.0"),
        )
        .await;
    }
    let load = finished(load, logs.path());
    for table in load["verify"]["tables"].as_array().unwrap() {
        assert_eq!(table["found"], 40, "{table}");
    }

    let found = failures(&stack, &[]);
    let batches = found["batches"].as_array().unwrap();
    let of = |consumer: u64| {
        batches
            .iter()
            .find(|b| b["consumer"] == consumer)
            .unwrap_or_else(|| panic!("no batch of consumer {consumer}: {found:#}"))
    };
    // Consumer 1 (bisect, 10 retries) isolated the poison record.
    assert_eq!(of(1)["batch_size"], 1, "{found:#}");
    assert_eq!(of(1)["records"][0]["sequence_number"], poison);
    assert_eq!(of(1)["records"][0]["data"], "\u{0}\u{1} binary");
    // Consumer 2 gave up the rest of its batch on the first failure: only the poison record
    // is listed; the others are in the table already.
    let c2 = of(2);
    assert_eq!(c2["records"].as_array().unwrap().len(), 1, "{c2:#}");
    assert_eq!(c2["records"][0]["sequence_number"], poison);
    assert_eq!(c2["start_sequence_number"], poison);
    assert!(c2["batch_size"].as_u64().unwrap() > 1, "{c2:#}");
    assert_eq!(
        c2["already_written"].as_u64().unwrap() + 1,
        c2["batch_size"].as_u64().unwrap()
    );
}
