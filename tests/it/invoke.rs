//! `demo invoke`: input refused before any call, the event built from the deployed stack and
//! Lambda's answer reported (the emulator cannot run the function: its own answer is reported as
//! it is), the events themselves handed to the functions' own code against the emulator's stream
//! and table, and `--local` running each function's own deployed process once.

use std::process::{Command, Output};
use std::time::SystemTime;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_dynamodb::types::AttributeValue;
use demo::invoke::event::{self, ApiSource, StreamSource};
use serde_json::Value;

use crate::harness::cli::{demo_local, json, text, unique_stack};
use crate::harness::{emulator, sdk_config};
use crate::lifecycle::{consumer_mapping, deploy_fake, deploy_real, stack_tables};

/// `demo <args>` against an address where nothing answers: any AWS call would fail there.
fn offline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(args)
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "ap-southeast-2",
        ])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .output()
        .unwrap()
}

/// `demo invoke <args> --output json` against the emulator as against AWS (`--endpoint-url`,
/// not `--local`).
fn invoke_on_emulator(stack: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_demo"))
        .arg("invoke")
        .args(args)
        .args([
            "--output",
            "json",
            "--stack-name",
            stack,
            "--region",
            "ap-southeast-2",
        ])
        .args(["--endpoint-url", &emulator().url])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("DEMO_OUTPUT")
        .output()
        .unwrap()
}

#[test]
fn invoke_refuses_bad_input_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("event.txt");
    std::fs::write(&not_json, "Records: []").unwrap();
    let not_json = not_json.to_str().unwrap();
    let missing = dir.path().join("none.json");
    let missing = missing.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["invoke", "producer", "--orders", "2"],
            "use --orders 1",
        ),
        (
            vec!["invoke", "consumer-1", "--orders", "0"],
            "1 to 10000 records",
        ),
        (
            vec!["invoke", "consumer-2", "--orders", "10001"],
            "1 to 10000 records",
        ),
        // Within the mapping's range but over Lambda's 6 MB: refused with how many fit.
        (
            vec!["invoke", "consumer-1", "--orders", "10000"],
            "or fewer",
        ),
        (
            vec!["invoke", "consumer-1", "--event", missing],
            "invalid --event",
        ),
        (
            vec!["invoke", "consumer-1", "--event", not_json],
            "not JSON",
        ),
        (
            vec!["invoke", "consumer-1", "--event", not_json, "--orders", "3"],
            "cannot be used with",
        ),
        (vec!["invoke", "consumer-3"], "possible values"),
    ] {
        let output = offline(&args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("nothing answers"),
            "{args:?} made a call: {stderr}"
        );
    }
}

#[tokio::test]
async fn invoke_builds_each_event_from_the_stack_and_reports_the_answer() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);

    let consumer = invoke_on_emulator(&stack, &["consumer-1", "--orders", "3"]);
    let result = json(&consumer);
    assert_eq!(result["function"], "consumer-1");
    assert_eq!(result["function_name"], format!("{stack}-put-item-1"));
    let event = &result["event"];
    assert_eq!(event["kind"], "kinesis_batch");
    assert_eq!(event["order_ids"].as_array().unwrap().len(), 3);
    let mapping = consumer_mapping(&stack, 1).await;
    assert_eq!(event["origin"].as_str(), mapping.event_source_arn());
    // The emulator cannot run the function (no Docker): whatever it answers is reported, and a
    // function error is exit 1, its payload shown.
    let failed = result["function_error"].is_string();
    assert_eq!(
        consumer.status.code(),
        Some(if failed { 1 } else { 0 }),
        "{result}"
    );
    if failed {
        assert!(
            text(&consumer.stderr).contains("consumer-1 (")
                && text(&consumer.stderr).contains(") failed ("),
            "{}",
            text(&consumer.stderr)
        );
        assert!(!result["response"].is_null(), "{result}");
    }

    let producer = json(&invoke_on_emulator(&stack, &["producer"]));
    assert_eq!(producer["event"]["kind"], "api_gateway_request");
    let api_id = producer["event"]["origin"].as_str().unwrap().to_owned();
    let apigateway = aws_sdk_apigateway::Client::new(&sdk_config().await);
    let api = apigateway
        .get_rest_api()
        .rest_api_id(&api_id)
        .send()
        .await
        .unwrap();
    assert_eq!(api.name(), Some(format!("{stack}-api").as_str()));

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), r#"{"Records":[]}"#).unwrap();
    let from_file = json(&invoke_on_emulator(
        &stack,
        &["consumer-2", "--event", file.path().to_str().unwrap()],
    ));
    assert_eq!(from_file["event"]["kind"], "file");
    assert_eq!(from_file["event"]["bytes"], 14);

    let missing = invoke_on_emulator(&unique_stack(), &["producer"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("run `demo up` first"));
}

/// The events `--orders` builds, handed to the functions' own code against the emulator's
/// stream and tables: what the functions would receive, they handle.
#[tokio::test]
async fn the_built_events_are_handled_by_the_functions_own_code() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let config = sdk_config().await;
    let now = SystemTime::now();

    let mapping = consumer_mapping(&stack, 2).await;
    let stream = StreamSource {
        stream_arn: mapping.event_source_arn().unwrap().to_owned(),
        region: "ap-southeast-2".into(),
        shard_id: "shardId-000000000000".into(),
        invoke_identity_arn: String::new(),
    };
    let orders = event::draw_orders(30, now);
    let payload = serde_json::to_vec(&event::kinesis_batch(&orders, &stream, now)).unwrap();
    let batch: KinesisEvent = serde_json::from_slice(&payload).unwrap();
    let table = stack_tables(&stack).await.pop().unwrap();
    let consumer = put_item::Consumer {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        table_name: table.clone(),
        settings: put_item::WriteSettings::default(),
    };
    let answer = put_item::handle(&consumer, batch).await;
    assert!(answer.batch_item_failures.is_empty(), "{answer:?}");
    for order in &orders {
        let id = order.orderid.clone().unwrap();
        let item = (consumer.dynamodb.get_item())
            .table_name(&table)
            .key("orderid", AttributeValue::S(id.clone()))
            .send()
            .await
            .unwrap();
        assert!(item.item.is_some(), "{id} not in {table}");
    }

    let stream_name = stream.stream_arn.rsplit('/').next().unwrap().to_owned();
    let api = ApiSource {
        api_id: "a1b2c3d4e5".into(),
        account_id: "123456789012".into(),
        region: "ap-southeast-2".into(),
    };
    let [order] = event::draw_orders(1, now).try_into().unwrap();
    let payload = serde_json::to_vec(&event::api_request(&order, &api, now)).unwrap();
    let request: ApiGatewayProxyRequest = serde_json::from_slice(&payload).unwrap();
    let producer = put_record::Producer {
        kinesis: aws_sdk_kinesis::Client::new(&config),
        stream_name,
    };
    let response = put_record::handle(&producer, request).await;
    assert_eq!(response.status_code, 200, "{response:?}");
    let body = match &response.body {
        Some(aws_lambda_events::encodings::Body::Text(body)) => body.clone(),
        other => panic!("{other:?}"),
    };
    let accepted: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(accepted["orderid"].as_str(), order.orderid.as_deref());
}

/// `demo --local invoke <args> --output json`: the deployed function's own process, once.
fn invoke_local(stack: &str, args: &[&str]) -> Output {
    demo_local(stack)
        .arg("invoke")
        .args(args)
        .args(["--output", "json"])
        .output()
        .unwrap()
}

/// What an offline invocation must show: the deployed bootstrap ran, cold, and said so.
fn assert_ran_offline(result: &Value) {
    let ran_on = result["ran_on"].as_str().unwrap();
    assert!(ran_on.starts_with("a process on this machine"), "{ran_on}");
    assert!(
        ran_on.contains("s3://"),
        "the deployed zip's bootstrap: {ran_on}"
    );
    let report = &result["report"];
    assert!(
        report["max_memory_used_mb"].as_u64().unwrap() > 0,
        "{result}"
    );
    assert!(
        report["init_duration_ms"].as_f64().unwrap() > 0.0,
        "a cold start: {result}"
    );
    let lines = result["log_lines"].as_array().unwrap();
    let has = |word: &str| lines.iter().any(|l| l.as_str().unwrap().contains(word));
    assert!(has("platform.start") || has("START"), "{result}");
    assert!(has("platform.report") || has("REPORT"), "{result}");
}

#[tokio::test]
async fn invoke_local_runs_each_deployed_function_once_and_reports_its_error() {
    let stack = unique_stack();
    deploy_real(&stack);

    let producer = invoke_local(&stack, &["producer"]);
    assert_eq!(
        producer.status.code(),
        Some(0),
        "{}",
        text(&producer.stderr)
    );
    let producer = json(&producer);
    assert_ran_offline(&producer);
    assert_eq!(producer["response"]["statusCode"], 200, "{producer}");
    let body: Value = serde_json::from_str(producer["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["orderid"], producer["event"]["order_ids"][0],
        "{producer}"
    );

    let consumer = json(&invoke_local(&stack, &["consumer-1", "--orders", "5"]));
    assert_ran_offline(&consumer);
    assert_eq!(
        consumer["response"]["batchItemFailures"],
        serde_json::json!([])
    );
    let config = sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = consumer_table(&stack, 1).await;
    for id in consumer["event"]["order_ids"].as_array().unwrap() {
        let item = (dynamodb.get_item())
            .table_name(&table)
            .key("orderid", AttributeValue::S(id.as_str().unwrap().into()))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert!(item.item.is_some(), "{id} not written by consumer-1");
    }

    // An event the consumer cannot read is its error, as Lambda answers it: exit 1.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), r#"{"Records":"not a list"}"#).unwrap();
    let failed = invoke_local(
        &stack,
        &["consumer-2", "--event", file.path().to_str().unwrap()],
    );
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    let failed = json(&failed);
    assert_eq!(failed["function_error"], "Unhandled", "{failed}");
    assert!(failed["response"]["errorType"].is_string(), "{failed}");
}

/// The table consumer `consumer` writes to, from its function's configuration.
async fn consumer_table(stack: &str, consumer: usize) -> String {
    let lambda = aws_sdk_lambda::Client::new(&sdk_config().await);
    let config = lambda
        .get_function_configuration()
        .function_name(format!("{stack}-put-item-{consumer}"))
        .send()
        .await
        .unwrap();
    config.environment.unwrap().variables.unwrap()["TABLE_NAME"].clone()
}
