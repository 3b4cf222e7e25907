//! `demo up`, `status` and `down` through the real binary against the emulator, every result
//! checked through each service's own API rather than CloudFormation's say-so.

use std::path::Path;

use aws_sdk_lambda::types::EventSourceMappingConfiguration;
use serde_json::Value;

use crate::harness::cli::{demo_local, json, ok_local, run_local, text, unique_stack};
use crate::harness::resources::create_stream_named;
use crate::harness::sdk_config;
use aws_sdk_s3::types::{Tag, Tagging};

/// A directory of fake artifacts (version "v1"); keep it alive while they are deployed.
pub fn fake_artifacts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    dir
}

/// Fake artifacts for tests that exercise deployment, not code: the emulator never runs them.
fn write_fake_artifacts(dir: &Path, version: &str) {
    for function in ["put-record", "put-item"] {
        std::fs::create_dir_all(dir.join(function)).unwrap();
        write_zip(
            &dir.join(function).join("bootstrap.zip"),
            format!("{function} {version}").as_bytes(),
        );
    }
}

/// A zip holding one executable `bootstrap` with `bootstrap`'s bytes, as Lambda takes it.
pub fn write_zip(path: &Path, bootstrap: &[u8]) {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    zip.start_file("bootstrap", options).unwrap();
    zip.write_all(bootstrap).unwrap();
    zip.finish().unwrap();
}

/// Deploys `stack` with fake artifacts; keep the returned directory alive to redeploy them.
pub fn deploy_fake(stack: &str) -> tempfile::TempDir {
    let dir = fake_artifacts();
    up_json(stack, &["--artifacts", dir.path().to_str().unwrap()]);
    dir
}

/// Deploys `stack` with the functions' real zips (built once per test run), for the tests that
/// run them offline.
pub fn deploy_real(stack: &str) {
    let dir = crate::harness::artifacts::real_artifacts();
    up_json(stack, &["--artifacts", dir.to_str().unwrap()]);
}

/// Consumer `consumer`'s one event source mapping, as Lambda reports it.
pub async fn consumer_mapping(stack: &str, consumer: usize) -> EventSourceMappingConfiguration {
    let lambda = aws_sdk_lambda::Client::new(&sdk_config().await);
    let name = format!("{stack}-put-item-{consumer}");
    let arn = lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .unwrap()
        .function_arn
        .unwrap();
    let mappings = lambda
        .list_event_source_mappings()
        .function_name(arn)
        .send()
        .await
        .unwrap();
    let [mapping] = mappings.event_source_mappings() else {
        panic!("{name}: one mapping expected: {mappings:?}")
    };
    mapping.clone()
}

/// Consumer `consumer`'s (batch size, window) as Lambda reports them.
pub async fn mapping_batching(stack: &str, consumer: usize) -> (i32, i32) {
    let mapping = consumer_mapping(stack, consumer).await;
    (
        mapping.batch_size().unwrap(),
        mapping.maximum_batching_window_in_seconds().unwrap(),
    )
}

/// `demo up --output json` with `extra` flags, which must succeed.
pub fn up_json(stack: &str, extra: &[&str]) -> Value {
    let mut args = vec!["up", "--output", "json"];
    args.extend_from_slice(extra);
    json(&ok_local(stack, &args))
}

/// Decodes an IAM policy document (AWS returns it URL-encoded JSON). moto 5.2.5 returns a
/// role's own Policies documents as a Python repr (single quotes); ours hold no quote or
/// apostrophe inside a value, so swapping the quotes gives the JSON back.
fn policy(document: &str) -> Value {
    let decoded = percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .unwrap();
    serde_json::from_str(&decoded)
        .or_else(|_| serde_json::from_str(&decoded.replace('\'', "\"")))
        .unwrap_or_else(|err| {
            panic!("policy document is neither JSON nor a repr ({err}): {decoded}")
        })
}

async fn assert_deployed(stack: &str, batching: [(i32, i32); 2]) {
    let config = sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    for (function, variable) in [
        ("put-record", "STREAM_NAME"),
        ("put-item-1", "TABLE_NAME"),
        ("put-item-2", "TABLE_NAME"),
    ] {
        let name = format!("{stack}-{function}");
        let f = lambda
            .get_function_configuration()
            .function_name(&name)
            .send()
            .await
            .unwrap();
        assert_eq!(
            f.runtime().map(|r| r.as_str()),
            Some("provided.al2023"),
            "{name}"
        );
        assert_eq!(f.handler(), Some("bootstrap"), "{name}");
        let env = f
            .environment()
            .and_then(|e| e.variables())
            .expect("environment");
        assert!(
            env.contains_key(variable),
            "{name} lacks {variable}: {env:?}"
        );
    }
    for (consumer, expected) in batching.iter().enumerate() {
        let name = format!("{stack}-put-item-{}", consumer + 1);
        let mapping = consumer_mapping(stack, consumer + 1).await;
        let batching = (
            mapping.batch_size().unwrap(),
            mapping.maximum_batching_window_in_seconds().unwrap(),
        );
        assert_eq!(batching, *expected, "{name} batch size / window");
        assert_eq!(
            mapping.starting_position().map(|p| p.as_str()),
            Some("TRIM_HORIZON")
        );
        assert!(
            mapping
                .function_response_types()
                .iter()
                .any(|t| t.as_str() == "ReportBatchItemFailures")
        );
    }

    let apigateway = aws_sdk_apigateway::Client::new(&config);
    let apis = apigateway.get_rest_apis().limit(500).send().await.unwrap();
    let api = apis
        .items()
        .iter()
        .find(|a| a.name() == Some(&format!("{stack}-api")))
        .expect("the REST API");
    let resources = apigateway
        .get_resources()
        .rest_api_id(api.id().unwrap())
        .send()
        .await
        .unwrap();
    let order = resources
        .items()
        .iter()
        .find(|r| r.path() == Some("/order"))
        .expect("/order");
    assert!(
        order
            .resource_methods()
            .is_some_and(|m| m.contains_key("POST")),
        "POST /order: {order:?}"
    );
    let stages = apigateway
        .get_stages()
        .rest_api_id(api.id().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        stages.item().iter().any(|s| s.stage_name() == Some("prod")),
        "stage prod: {stages:?}"
    );

    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{stack}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(groups.log_groups().len(), 3);
    assert!(
        groups
            .log_groups()
            .iter()
            .all(|g| g.retention_in_days() == Some(14)),
        "{groups:?}"
    );

    let iam = aws_sdk_iam::Client::new(&config);
    for function in ["put-record", "put-item-1", "put-item-2"] {
        let role = format!("{stack}-{function}-ap-southeast-2");
        assert!(
            iam.list_attached_role_policies()
                .role_name(&role)
                .send()
                .await
                .unwrap()
                .attached_policies()
                .is_empty()
        );
        let document = iam
            .get_role_policy()
            .role_name(&role)
            .policy_name(format!("{function}-resources"))
            .send()
            .await
            .unwrap();
        let statements = policy(document.policy_document())
            .get("Statement")
            .cloned()
            .unwrap();
        for statement in statements.as_array().unwrap() {
            let actions = statement["Action"].to_string();
            if statement["Resource"] == "*" {
                assert!(
                    (actions.contains("xray:") || actions == "\"kinesis:ListStreams\"")
                        && !actions.contains("kinesis:Get")
                        && !actions.contains("kinesis:Put")
                        && !actions.contains("dynamodb"),
                    "{role}: * for {actions}"
                );
            }
        }
        // Each role writes only to its own stream or table, with the one call the code makes.
        let (action, target) = match function {
            "put-record" => ("kinesis:PutRecord", format!(":stream/{stack}-orders")),
            _ => (
                "dynamodb:BatchWriteItem",
                format!(
                    ":table/{stack}-OrderTable{}-",
                    &function["put-item-".len()..]
                ),
            ),
        };
        let statements = statements.as_array().unwrap();
        assert!(
            statements
                .iter()
                .any(|st| st["Action"].to_string().contains(action)
                    && st["Resource"].as_str().is_some_and(|r| r.contains(&target))),
            "{role}: {action} on …{target}: {statements:?}"
        );
        let all = serde_json::to_string(statements).unwrap();
        assert!(
            !all.contains("kinesis:PutRecords") && !all.contains("dynamodb:PutItem"),
            "{role}: grants what no function calls: {all}"
        );
        if function != "put-record" {
            // What the Lambda guide lists for a Kinesis event source, checked at the mapping's
            // creation (AWS; moto checks nothing).
            for action in [
                "kinesis:DescribeStream",
                "kinesis:DescribeStreamSummary",
                "kinesis:GetRecords",
                "kinesis:GetShardIterator",
                "kinesis:ListShards",
                "kinesis:ListStreams",
                "kinesis:SubscribeToShard",
                "sqs:SendMessage",
            ] {
                assert!(all.contains(action), "{role} lacks {action}: {all}");
            }
        }
    }
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let tables = stack_tables(stack).await;
    assert_eq!(tables.len(), 2, "{tables:?}");
    for table in tables {
        let described = dynamodb
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let keys: Vec<_> = described
            .key_schema()
            .iter()
            .map(|k| k.attribute_name().to_owned())
            .collect();
        assert_eq!(keys, ["orderid"], "{table}");
    }
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    kinesis
        .describe_stream_summary()
        .stream_name(format!("{stack}-orders"))
        .send()
        .await
        .expect("the stream");
}

/// What is left of the stack, looked up service by service (not through `demo`).
async fn leftovers(stack: &str) -> Vec<String> {
    let config = sdk_config().await;
    let mut left = Vec::new();
    let lambda = aws_sdk_lambda::Client::new(&config);
    for function in ["put-record", "put-item-1", "put-item-2"] {
        if lambda
            .get_function()
            .function_name(format!("{stack}-{function}"))
            .send()
            .await
            .is_ok()
        {
            left.push(format!("function {function}"));
        }
    }
    let mappings = lambda.list_event_source_mappings().send().await.unwrap();
    left.extend(
        mappings
            .event_source_mappings()
            .iter()
            .filter(|m| {
                m.function_arn()
                    .is_some_and(|arn| arn.contains(&format!(":{stack}-")))
            })
            .map(|m| format!("mapping {:?}", m.uuid())),
    );
    let apis = aws_sdk_apigateway::Client::new(&config)
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    left.extend(
        apis.items()
            .iter()
            .filter(|a| a.name() == Some(&format!("{stack}-api")))
            .map(|a| format!("api {:?}", a.id())),
    );
    if aws_sdk_kinesis::Client::new(&config)
        .describe_stream_summary()
        .stream_name(format!("{stack}-orders"))
        .send()
        .await
        .is_ok()
    {
        left.push("stream".into());
    }
    left.extend(stack_tables(stack).await);
    left.extend(stack_queues(stack).await);
    let groups = aws_sdk_cloudwatchlogs::Client::new(&config)
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{stack}-"))
        .send()
        .await
        .unwrap();
    left.extend(
        groups
            .log_groups()
            .iter()
            .map(|g| format!("log group {:?}", g.log_group_name())),
    );
    if dashboard_body(&format!("{stack}-batching")).await.is_some() {
        left.push("dashboard".into());
    }
    let iam = aws_sdk_iam::Client::new(&config);
    for function in ["put-record", "put-item-1", "put-item-2"] {
        if iam
            .get_role()
            .role_name(format!("{stack}-{function}-ap-southeast-2"))
            .send()
            .await
            .is_ok()
        {
            left.push(format!("role {function}"));
        }
    }
    let buckets = aws_sdk_s3::Client::new(&config)
        .list_buckets()
        .send()
        .await
        .unwrap();
    left.extend(
        buckets
            .buckets()
            .iter()
            .filter_map(|b| b.name())
            .filter(|n| n.starts_with(&format!("{stack}-artifacts")))
            .map(str::to_owned),
    );
    left
}

/// The stack's tables (CloudFormation names them `<stack>-<LogicalId>-<random>`), sorted.
pub async fn stack_tables(stack: &str) -> Vec<String> {
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let mut pages = dynamodb.list_tables().into_paginator().send();
    let mut tables = Vec::new();
    while let Some(page) = pages.next().await {
        tables.extend(
            page.unwrap()
                .table_names()
                .iter()
                .filter(|t| t.starts_with(&format!("{stack}-")))
                .cloned(),
        );
    }
    tables.sort();
    tables
}

/// The URLs of the stack's on-failure queues (named by CloudFormation).
async fn stack_queues(stack: &str) -> Vec<String> {
    aws_sdk_sqs::Client::new(&sdk_config().await)
        .list_queues()
        .queue_name_prefix(format!("{stack}-OnFailureDestination-"))
        .send()
        .await
        .unwrap()
        .queue_urls()
        .to_vec()
}

/// The body of dashboard `name`, or None if CloudWatch says it does not exist.
async fn dashboard_body(name: &str) -> Option<String> {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk_config().await);
    match cloudwatch.get_dashboard().dashboard_name(name).send().await {
        Ok(dashboard) => Some(dashboard.dashboard_body.unwrap_or_default()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_dashboard_not_found_error()) =>
        {
            None
        }
        Err(err) => panic!("GetDashboard {name}: {err:?}"),
    }
}

/// The stack's dashboard body, parsed: it must exist and be JSON.
async fn dashboard_json(stack: &str) -> Value {
    let name = format!("{stack}-batching");
    let body = dashboard_body(&name)
        .await
        .unwrap_or_else(|| panic!("dashboard {name} does not exist"));
    serde_json::from_str(&body)
        .unwrap_or_else(|err| panic!("dashboard {name} is not JSON ({err}):\n{body}"))
}

/// How the dashboard labels the two consumers (with their batching).
pub async fn dashboard_consumer_labels(stack: &str) -> Vec<String> {
    let dashboard = dashboard_json(stack).await;
    series(widget(&dashboard, "Invocations"), "Invocations")
        .into_iter()
        .map(|(_, label)| label)
        .collect()
}

/// The widget titled `title`.
fn widget<'a>(dashboard: &'a Value, title: &str) -> &'a Value {
    dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["properties"]["title"] == title)
        .unwrap_or_else(|| panic!("no widget {title:?} in {dashboard}"))
}

async fn assert_no_stack(stack: &str) {
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    let described = cfn.describe_stacks().stack_name(stack).send().await;
    assert!(described.is_err(), "no stack may exist: {described:?}");
}

async fn change_set_count(stack: &str) -> usize {
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    let summaries = cfn
        .list_change_sets()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    // moto lists every stack's change sets here; AWS only this stack's.
    summaries
        .summaries()
        .iter()
        .filter(|s| s.stack_name() == Some(stack))
        .count()
}

#[tokio::test]
async fn up_builds_and_deploys_everything_then_down_leaves_nothing() {
    let stack = unique_stack();
    let first = up_json(&stack, &[]);
    assert_eq!(first["outcome"], "created", "{first}");
    assert!(
        first["uploads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["uploaded"] == true)
    );
    assert_eq!(
        first["insights_layer"],
        Value::Null,
        "no Insights layer against an emulator"
    );
    assert_deployed(&stack, [(100, 30), (10, 2)]).await;

    let change_sets = change_set_count(&stack).await;
    let again = up_json(&stack, &[]);
    assert_eq!(again["outcome"], "up to date");
    // Each phase is timed, and the phases make up the whole run.
    let phase = |name: &str| again["phases"][name].as_f64().expect("a phase in seconds");
    let (build, upload, deploy) = (phase("build"), phase("upload"), phase("deploy"));
    assert!(build >= 0.0 && deploy > 0.0 && upload == 0.0, "{again}");
    let total = again["seconds"].as_f64().unwrap();
    assert!((build + upload + deploy - total).abs() < 1e-6, "{again}");
    assert!(
        again["uploads"].as_array().unwrap().is_empty(),
        "nothing uploaded: {again}"
    );
    assert_eq!(
        change_set_count(&stack).await,
        change_sets,
        "a no-op up made a change set"
    );

    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["status"], "CREATE_COMPLETE");
    assert_eq!(
        status["parameters"]["Architecture"], "arm64",
        "moto drops Architectures; the parameter is what we sent"
    );
    assert_eq!(status["deployed"]["api_url"], first["deployed"]["api_url"]);
    assert!(
        status["deployed"]["api_url"]
            .as_str()
            .unwrap()
            .ends_with(".execute-api.ap-southeast-2.amazonaws.com/prod/order")
    );
    let mappings = status["deployed"]["mappings"].as_array().unwrap();
    assert_eq!(
        (
            mappings[0]["batch_size"].as_i64(),
            mappings[0]["window_seconds"].as_i64()
        ),
        (Some(100), Some(30))
    );
    assert_eq!(
        (
            mappings[1]["batch_size"].as_i64(),
            mappings[1]["window_seconds"].as_i64()
        ),
        (Some(10), Some(2))
    );

    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_eq!(down["stack_deleted"], true, "{down}");
    assert!(down["bucket_deleted"].is_string(), "{down}");
    assert_eq!(leftovers(&stack).await, Vec::<String>::new());

    let again = ok_local(&stack, &["down", "--yes"]);
    assert!(
        text(&again.stdout).contains("nothing to delete"),
        "{}",
        text(&again.stdout)
    );
}

#[tokio::test]
async fn a_code_change_uploads_and_updates_only_that_function() {
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();
    up_json(&stack, &["--artifacts", artifacts]);
    let lambda = aws_sdk_lambda::Client::new(&sdk_config().await);
    let code = |function: &'static str| {
        let lambda = lambda.clone();
        let name = format!("{stack}-{function}");
        async move {
            lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .unwrap()
                .code_sha256
                .unwrap()
        }
    };
    let before = [
        code("put-record").await,
        code("put-item-1").await,
        code("put-item-2").await,
    ];

    write_zip(&dir.path().join("put-item/bootstrap.zip"), b"put-item v2");
    let second = up_json(&stack, &["--artifacts", artifacts]);
    assert_eq!(second["outcome"], "updated", "{second}");
    let uploaded: Vec<&str> = second["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["uploaded"] == true)
        .map(|u| u["function"].as_str().unwrap())
        .collect();
    assert_eq!(uploaded, ["put-item"]);
    let after = [
        code("put-record").await,
        code("put-item-1").await,
        code("put-item-2").await,
    ];
    assert_eq!(after[0], before[0], "put-record must not change");
    assert_ne!(after[1], before[1], "put-item-1 must get the new code");
    assert_ne!(after[2], before[2], "put-item-2 must get the new code");

    ok_local(&stack, &["down", "--yes"]);
    assert_eq!(leftovers(&stack).await, Vec::<String>::new());
}

#[tokio::test]
async fn tuning_flags_at_deploy_time_are_kept_by_a_plain_up() {
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();
    up_json(
        &stack,
        &[
            "--artifacts",
            artifacts,
            "--batch-size-2",
            "50",
            "--window-2",
            "5",
        ],
    );
    assert_deployed(&stack, [(100, 30), (50, 5)]).await;
    let again = up_json(&stack, &["--artifacts", artifacts]);
    assert_eq!(
        again["outcome"], "up to date",
        "a plain up must keep tuned values: {again}"
    );
    let changed = up_json(&stack, &["--artifacts", artifacts, "--batch-size-1", "200"]);
    assert_eq!(changed["outcome"], "updated");
    assert_deployed(&stack, [(200, 30), (50, 5)]).await;
    // The dashboard's labels come from the parameters, so they follow the batching.
    assert_eq!(
        dashboard_consumer_labels(&stack).await,
        ["put-item-1 (200 / 30 s)", "put-item-2 (50 / 5 s)"]
    );
    ok_local(&stack, &["down", "--yes"]);
}

/// (dimension value, label) of each row of a metric widget that plots `metric`.
fn series(widget: &Value, metric: &str) -> Vec<(String, String)> {
    widget["properties"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row[1] == metric)
        .map(|row| {
            let options = row.as_array().unwrap().last().unwrap();
            (
                row[3].as_str().unwrap().to_owned(),
                options["label"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_dashboard_plots_the_deployed_functions_and_mappings_and_goes_with_down() {
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();
    let up = up_json(&stack, &["--artifacts", artifacts]);
    let name = format!("{stack}-batching");
    assert_eq!(up["deployed"]["dashboard"]["name"], name.as_str(), "{up}");
    assert_eq!(
        up["deployed"]["dashboard"]["url"],
        Value::Null,
        "an emulator has no console to link to: {up}"
    );
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["deployed"]["dashboard"], up["deployed"]["dashboard"]);
    let functions = ["put-record", "put-item-1", "put-item-2"].map(|f| {
        status["deployed"]["functions"][f]
            .as_str()
            .unwrap()
            .to_owned()
    });
    let uuids: Vec<String> = status["deployed"]["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["uuid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(uuids.len(), 2, "{status}");

    let dashboard = dashboard_json(&stack).await;
    let cost = widget(&dashboard, "Function cost (MB-ms)");
    assert_eq!(cost["type"], "log");
    let query = cost["properties"]["query"].as_str().unwrap();
    assert!(
        query.starts_with("SOURCE '/aws/lambda-insights'") && query.contains("billed_mb_ms"),
        "{query}"
    );
    for function in &functions {
        assert!(query.contains(&format!("\"{function}\"")), "{query}");
    }
    for (title, metric) in [
        ("Duration (ms, avg)", "Duration"),
        ("Network (bytes)", "total_network"),
    ] {
        let plotted: Vec<String> = series(widget(&dashboard, title), metric)
            .into_iter()
            .map(|(function, _)| function)
            .collect();
        assert_eq!(plotted, functions, "{title}");
    }
    let first_row: Vec<&Value> = dashboard["widgets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["y"] == 0)
        .collect();
    assert_eq!(first_row.len(), 3, "the three Insights panels side by side");
    assert!(first_row.iter().all(|w| w["width"] == 8), "{dashboard}");

    let read = series(
        widget(&dashboard, "Records read (PolledEventCount)"),
        "PolledEventCount",
    );
    let consumers = [
        (uuids[0].clone(), "put-item-1 (100 / 30 s)".to_owned()),
        (uuids[1].clone(), "put-item-2 (10 / 2 s)".to_owned()),
    ];
    assert_eq!(
        read, consumers,
        "records read per mapping, labelled with its batching"
    );
    let invoked: Vec<String> = series(widget(&dashboard, "Invocations"), "Invocations")
        .into_iter()
        .map(|(function, _)| function)
        .collect();
    assert_eq!(invoked, functions[1..]);
    let age = series(widget(&dashboard, "Iterator age (ms)"), "IteratorAge");
    assert_eq!(age.len(), 4, "maximum and p99 of each consumer: {age:?}");
    widget(&dashboard, "Records per invocation");
    for consumer in [1, 2] {
        let mapping = consumer_mapping(&stack, consumer).await;
        let metrics = mapping
            .metrics_config()
            .map(|c| c.metrics())
            .unwrap_or_default();
        assert!(
            metrics.iter().any(|m| m.as_str() == "EventCount"),
            "mapping {consumer} must emit its EventCount metrics: {mapping:?}"
        );
    }

    let again = ok_local(&stack, &["up", "--artifacts", artifacts]);
    let printed = text(&again.stdout);
    assert!(
        printed.contains("up to date")
            && printed.contains("s: build 0.0 s, upload 0.0 s, deploy ")
            && printed.contains(&format!("dashboard: {name} (in the emulator")),
        "{printed}"
    );
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert!(
        !down["stragglers_removed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["kind"] == "dashboard"),
        "the stack delete itself must take the dashboard: {down}"
    );
    assert_eq!(
        dashboard_body(&name).await,
        None,
        "down must delete the dashboard"
    );
    assert_eq!(leftovers(&stack).await, Vec::<String>::new());
}

#[tokio::test]
async fn a_dashboard_named_for_a_stack_that_does_not_exist_is_left_alone() {
    let stack = unique_stack();
    let name = format!("{stack}-batching");
    aws_sdk_cloudwatch::Client::new(&sdk_config().await)
        .put_dashboard()
        .dashboard_name(&name)
        .dashboard_body(r#"{"widgets": []}"#)
        .send()
        .await
        .unwrap();
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_eq!(down["stack_deleted"], false, "{down}");
    assert_eq!(down["stragglers_removed"], serde_json::json!([]), "{down}");
    assert_left_alone(&down, &format!("dashboard {name}"));
    assert!(
        dashboard_body(&name).await.is_some(),
        "a dashboard no stack lists is nobody's to delete"
    );
}

/// `down`'s report names `what` (e.g. "table x") as left alone because it is not ours.
fn assert_left_alone(down: &Value, what: &str) {
    let named = down["left_alone"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .any(|line| line.starts_with(what) && line.contains("not ours: left alone"));
    assert!(named, "{what} must be named as left alone: {down}");
}

/// A REST API named `<stack>-api`, made outside any stack; returns its id.
async fn foreign_rest_api(stack: &str) -> String {
    aws_sdk_apigateway::Client::new(&sdk_config().await)
        .create_rest_api()
        .name(format!("{stack}-api"))
        .send()
        .await
        .unwrap()
        .id
        .unwrap()
}

/// Ids of the REST APIs named `<stack>-api`.
async fn rest_api_ids(stack: &str) -> Vec<String> {
    let apis = aws_sdk_apigateway::Client::new(&sdk_config().await)
        .get_rest_apis()
        .limit(500)
        .send()
        .await
        .unwrap();
    apis.items()
        .iter()
        .filter(|a| a.name() == Some(&format!("{stack}-api")))
        .filter_map(|a| a.id().map(str::to_owned))
        .collect()
}

async fn stream_exists(name: &str) -> bool {
    aws_sdk_kinesis::Client::new(&sdk_config().await)
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn resources_named_as_the_stacks_but_not_its_own_survive_up_and_down() {
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();
    let foreign_api = foreign_rest_api(&stack).await;
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);
    let foreign_stream = format!("{stack}-orders");
    create_stream_named(&kinesis, &foreign_stream, 1).await;

    // The stream makes the create fail; the next up takes the recreate path, which must sweep
    // only what is the stack's: both strangers stay, named, and the create fails again.
    let failed = run_local(&stack, &["up", "--artifacts", artifacts]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    let again = run_local(&stack, &["up", "--artifacts", artifacts]);
    let stderr = text(&again.stderr);
    assert_eq!(again.status.code(), Some(1), "{stderr}");
    for what in [
        format!("left alone: REST API {foreign_api} ("),
        format!("left alone: stream {foreign_stream} ("),
    ] {
        assert!(stderr.contains(&what), "{what:?} not in:\n{stderr}");
    }
    assert!(stderr.contains("not ours: left alone"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "note: stream {foreign_stream} holds a name the stack needs"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("removing straggler"), "{stderr}");

    // down deletes the failed stack and touches neither.
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_left_alone(&down, &format!("REST API {foreign_api}"));
    assert_left_alone(&down, &format!("stream {foreign_stream}"));
    assert_eq!(
        rest_api_ids(&stack).await,
        std::slice::from_ref(&foreign_api)
    );
    assert!(stream_exists(&foreign_stream).await);

    // Once the name is free the stack is created; its own REST API, which moto keeps after
    // the stack's delete, is still removed, and the stranger still is not.
    kinesis
        .delete_stream()
        .stream_name(&foreign_stream)
        .send()
        .await
        .unwrap();
    let created = up_json(&stack, &["--artifacts", artifacts]);
    assert_eq!(created["outcome"], "created", "{created}");
    assert_eq!(rest_api_ids(&stack).await.len(), 2);
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    let removed = &down["stragglers_removed"];
    assert_eq!(removed.as_array().map(Vec::len), Some(1), "{down}");
    assert_eq!(removed[0]["kind"], "rest_api", "{down}");
    assert_ne!(removed[0]["name"], foreign_api.as_str(), "{down}");
    assert_left_alone(&down, &format!("REST API {foreign_api}"));
    assert_eq!(rest_api_ids(&stack).await, [foreign_api]);
}

#[tokio::test]
async fn down_removes_an_alarm_only_when_it_carries_the_stacks_id() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    let described = cfn
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
        .unwrap();
    let stack_id = described.stacks()[0].stack_id().unwrap().to_owned();
    // The proof the sweep looks for: moto keeps the template's tag on tables (and streams,
    // log groups, roles).
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let table = dynamodb
        .describe_table()
        .table_name(&stack_tables(&stack).await[0])
        .send()
        .await
        .unwrap();
    let tags = dynamodb
        .list_tags_of_resource()
        .resource_arn(table.table().unwrap().table_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tags()
            .iter()
            .any(|t| t.key() == "demo:stack-id" && t.value() == stack_id),
        "{tags:?}"
    );
    // moto cannot create the template's alarm; one made by hand with the stack's tag stands
    // in for it, and a stranger's of the same name (alarm names are unique) for the other case.
    put_alarm(&stack, Some(&format!("{stack_id}-not-quite"))).await;
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_left_alone(&down, &format!("alarm {stack}-records-given-up"));
    assert!(alarm_exists(&stack).await);

    let _artifacts = deploy_fake(&stack);
    let described = cfn
        .describe_stacks()
        .stack_name(&stack)
        .send()
        .await
        .unwrap();
    put_alarm(&stack, described.stacks()[0].stack_id()).await;
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_eq!(
        down["stragglers_removed"],
        serde_json::json!([
            {"kind": "rest_api", "name": down["stragglers_removed"][0]["name"]},
            {"kind": "alarm", "name": format!("{stack}-records-given-up")}
        ]),
        "{down}"
    );
    assert!(!alarm_exists(&stack).await);
    assert_eq!(leftovers(&stack).await, Vec::<String>::new());
}

/// Puts the alarm `<stack>-records-given-up`, tagged `demo:stack-id` = `stack_id` if given.
async fn put_alarm(stack: &str, stack_id: Option<&str>) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic, Tag};
    let tags = stack_id.map(|id| vec![Tag::builder().key("demo:stack-id").value(id).build()]);
    aws_sdk_cloudwatch::Client::new(&sdk_config().await)
        .put_metric_alarm()
        .alarm_name(format!("{stack}-records-given-up"))
        .namespace("AWS/SQS")
        .metric_name("ApproximateNumberOfMessagesVisible")
        .statistic(Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(0.0)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .set_tags(tags)
        .send()
        .await
        .unwrap();
}

async fn alarm_exists(stack: &str) -> bool {
    let alarms = aws_sdk_cloudwatch::Client::new(&sdk_config().await)
        .describe_alarms()
        .alarm_names(format!("{stack}-records-given-up"))
        .send()
        .await
        .unwrap();
    !alarms.metric_alarms().is_empty()
}

#[tokio::test]
async fn bad_values_are_refused_before_any_call_naming_flag_value_and_range() {
    let stack = unique_stack();
    let output = run_local(
        &stack,
        &[
            "up",
            "--batch-size-1",
            "20000",
            "--window-2",
            "301",
            "--artifacts",
            "/nonexistent",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("--batch-size-1 20000") && stderr.contains("1–10000"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--window-2 301") && stderr.contains("0–300"),
        "{stderr}"
    );
    assert_no_stack(&stack).await;
}

/// The stack's ShardCount parameter and the stream's open shards, read from each service.
async fn shard_counts(stack: &str) -> (String, i32) {
    let config = sdk_config().await;
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let described = cfn
        .describe_stacks()
        .stack_name(stack)
        .send()
        .await
        .unwrap();
    let parameter = described.stacks()[0]
        .parameters()
        .iter()
        .find(|p| p.parameter_key() == Some("ShardCount"))
        .and_then(|p| p.parameter_value())
        .unwrap()
        .to_owned();
    let summary = aws_sdk_kinesis::Client::new(&config)
        .describe_stream_summary()
        .stream_name(format!("{stack}-orders"))
        .send()
        .await
        .unwrap();
    let open = summary
        .stream_description_summary()
        .unwrap()
        .open_shard_count();
    (parameter, open)
}

#[tokio::test]
async fn a_shard_change_beyond_one_resharding_step_is_refused_before_any_write() {
    let stack = unique_stack();
    let artifacts = tempfile::tempdir().unwrap();
    write_fake_artifacts(artifacts.path(), "v1");
    let dir = artifacts.path().to_str().unwrap();
    up_json(&stack, &["--shards", "1", "--artifacts", dir]);
    let changes_before = change_set_count(&stack).await;

    // A new zip too: the refusal must come before the upload, not only before the change set.
    write_fake_artifacts(artifacts.path(), "v2");
    let output = run_local(&stack, &["up", "--shards", "3", "--artifacts", dir]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    for part in ["--shards 3", "1..=2 from here", "`demo up --shards 2`"] {
        assert!(stderr.contains(part), "{part}: {stderr}");
    }
    assert!(!stderr.contains("uploading"), "{stderr}");
    assert_eq!(shard_counts(&stack).await, ("1".to_owned(), 1));
    assert_eq!(change_set_count(&stack).await, changes_before);

    // One step at a time is accepted.
    up_json(&stack, &["--shards", "2", "--artifacts", dir]);
    assert_eq!(shard_counts(&stack).await.0, "2");
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let output = ok_local(
        &stack,
        &[
            "up",
            "--dry-run",
            "--artifacts",
            dir.path().to_str().unwrap(),
        ],
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("would create it") && stderr.contains("would upload"),
        "{stderr}"
    );
    assert_eq!(leftovers(&stack).await, Vec::<String>::new());
    assert_no_stack(&stack).await;
}

#[tokio::test]
async fn dry_run_of_an_update_previews_it_and_leaves_the_stack_as_it_was() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    let change_sets = || async {
        cfn.list_change_sets()
            .stack_name(&stack)
            .send()
            .await
            .unwrap()
            .summaries()
            .iter()
            // moto lists every stack's change sets, whatever the StackName asked for.
            .filter(|summary| summary.stack_name() == Some(stack.as_str()))
            .count()
    };
    let before = change_sets().await;
    let output = ok_local(
        &stack,
        &[
            "up",
            "--dry-run",
            "--memory",
            "256",
            "--artifacts",
            artifacts.path().to_str().unwrap(),
        ],
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("parameter MemorySize: 128 → 256"),
        "{stderr}"
    );
    assert!(stderr.contains("CloudFormation's preview"), "{stderr}");
    assert_eq!(
        change_sets().await,
        before,
        "the preview's change set is deleted"
    );
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["parameters"]["MemorySize"], "128");
    assert_eq!(status["status"], "CREATE_COMPLETE");
}

#[tokio::test]
async fn down_without_a_terminal_needs_yes_and_deletes_nothing() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let refused = run_local(&stack, &["down"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("--yes"),
        "{}",
        text(&refused.stderr)
    );
    assert!(
        leftovers(&stack).await.len() > 5,
        "everything must still be there"
    );
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn status_without_a_stack_says_to_run_up() {
    let output = run_local(&unique_stack(), &["status"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("run `demo up` first"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn an_unreachable_endpoint_is_one_sentence_and_exit_2() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_demo"))
        .args([
            "status",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "ap-southeast-2",
        ])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "y")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[tokio::test]
async fn verify_finds_the_tables_from_the_deployed_stack() {
    use orders::catalog::random_order;
    use orders::item::{RecordMeta, to_item};

    let stack = unique_stack();
    let dir = deploy_fake(&stack);
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let mut rng = fastrand::Rng::with_seed(3);
    let mut ids = String::new();
    for i in 0..5 {
        let order = random_order(&mut rng, i, "t".into(), format!("order-{i}"));
        let meta = RecordMeta {
            sequence_number: i.to_string(),
            arrived_at_ms: 1_000,
            written_at_ms: 1_250,
        };
        for table in stack_tables(&stack).await {
            dynamodb
                .put_item()
                .table_name(table)
                .set_item(Some(to_item(&order, &meta)))
                .send()
                .await
                .unwrap();
        }
        ids.push_str(&format!("order-{i}\n"));
    }
    let ids_file = dir.path().join("ids.txt");
    std::fs::write(&ids_file, ids).unwrap();
    let output = ok_local(
        &stack,
        &[
            "verify",
            "--ids",
            ids_file.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    let report = json(&output);
    for table in report["tables"].as_array().unwrap() {
        assert_eq!(
            (table["found"].as_u64(), table["missing"].as_u64()),
            (Some(5), Some(0)),
            "{report}"
        );
    }
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn a_failed_create_is_recovered_by_the_next_up() {
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();
    // A stream outside the stack holding a name the stack needs makes the create fail.
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);
    let squatter = format!("{stack}-orders");
    create_stream_named(&kinesis, &squatter, 1).await;
    let failed = run_local(&stack, &["up", "--artifacts", artifacts]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    let stderr = text(&failed.stderr);
    // The cause names the stream (moto answers the execute with ResourceInUseException; AWS
    // fails the create with "… already exists").
    let error = &stderr[stderr.find("error: ").expect("an error line")..];
    assert!(
        error.contains(&squatter),
        "the cause must be named: {stderr}"
    );
    // A stack up would delete and create again has no shard count to step from.
    let planned = run_local(
        &stack,
        &["up", "--dry-run", "--shards", "3", "--artifacts", artifacts],
    );
    assert!(planned.status.success(), "{}", text(&planned.stderr));

    kinesis
        .delete_stream()
        .stream_name(&squatter)
        .send()
        .await
        .unwrap();
    let recovered = up_json(&stack, &["--artifacts", artifacts]);
    assert_eq!(recovered["outcome"], "created", "{recovered}");
    assert_deployed(&stack, [(100, 30), (10, 2)]).await;
    ok_local(&stack, &["down", "--yes"]);
    assert_eq!(leftovers(&stack).await, Vec::<String>::new());
}

/// Runs `demo -v… down --yes` against the emulator with `credentials` in the environment (not
/// `--local`, whose dummy credentials would hide what the real chain does); returns stdout +
/// stderr.
fn down_with_credentials(stack: &str, verbosity: &str, rust_log: Option<&str>) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .args(["down", "--yes", verbosity, "--region", "ap-southeast-2"])
        .args(["--endpoint-url", &crate::harness::emulator().url])
        .args(["--stack-name", stack])
        .env("AWS_ACCESS_KEY_ID", SECRET_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_SESSION_TOKEN", SECRET_SESSION_TOKEN)
        .env_remove("AWS_PROFILE")
        .env_remove("DEMO_STACK_NAME")
        .env_remove("DEMO_OUTPUT")
        .stdin(std::process::Stdio::null());
    match rust_log {
        Some(filter) => command.env("RUST_LOG", filter),
        None => command.env_remove("RUST_LOG"),
    };
    let output = command.output().expect("run demo");
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stdout) + &text(&output.stderr)
}

const SECRET_KEY_ID: &str = "ASIAIOSFODNN7EXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const SECRET_SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE//////////SESSIONTOKENvalue";

#[test]
fn no_credential_session_token_or_signature_is_printed_at_any_verbosity() {
    let stack = unique_stack();
    for (verbosity, rust_log) in [("-vv", None), ("-vvv", Some("trace"))] {
        let all = down_with_credentials(&stack, verbosity, rust_log);
        // The trace really is on and shows signed calls (S3's signing differs from the rest).
        for signed in [
            "rpc.method=\"GetCallerIdentity\"",
            "rpc.method=\"HeadBucket\"",
        ] {
            assert!(
                all.contains(signed) && all.contains("transmitting request"),
                "{verbosity}: no trace of {signed}"
            );
        }
        for secret in [SECRET_KEY_ID, SECRET_ACCESS_KEY, SECRET_SESSION_TOKEN] {
            assert!(!all.contains(secret), "{verbosity} printed {secret}");
        }
        for (at, _) in all.match_indices("Signature=") {
            let value = &all[at + "Signature=".len()..];
            assert!(
                !value.starts_with(|c: char| c.is_ascii_hexdigit()),
                "{verbosity} printed a signature: {}",
                &all[at..(at + 80).min(all.len())]
            );
        }
        let lower = all.to_ascii_lowercase();
        for (at, _) in lower.match_indices("x-amz-security-token:") {
            let value = &all[at + "x-amz-security-token:".len()..];
            assert!(
                value.starts_with("<redacted>"),
                "{verbosity} printed a token value: {}",
                &all[at..(at + 80).min(all.len())]
            );
        }
    }
}

/// The artifact bucket `up` derives for `stack` in the emulator's account and region.
pub fn derived_bucket(stack: &str) -> String {
    format!(
        "{}-artifacts-123456789012-ap-southeast-2",
        stack.to_lowercase()
    )
}

/// Creates `bucket`, tagged `demo:stack=<tag>` when a tag is given.
pub async fn create_bucket(s3: &aws_sdk_s3::Client, bucket: &str, tag: Option<&str>) {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    let location = CreateBucketConfiguration::builder()
        .location_constraint(BucketLocationConstraint::from("ap-southeast-2"))
        .build();
    s3.create_bucket()
        .bucket(bucket)
        .create_bucket_configuration(location)
        .send()
        .await
        .unwrap();
    if let Some(tag) = tag {
        let tag = Tag::builder().key("demo:stack").value(tag).build().unwrap();
        let tagging = Tagging::builder().tag_set(tag).build().unwrap();
        s3.put_bucket_tagging()
            .bucket(bucket)
            .tagging(tagging)
            .send()
            .await
            .unwrap();
    }
}

async fn object_keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_artifact_bucket_not_tagged_for_the_stack_is_refused_before_any_upload() {
    let s3 = aws_sdk_s3::Client::new(&sdk_config().await);
    // Upper case, so that a bucket tagged for the lower-case stack name shares its bucket name.
    let stack = unique_stack().to_uppercase();
    let squatted = derived_bucket(&stack);
    create_bucket(&s3, &squatted, None).await;
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();

    let refused = run_local(&stack, &["up", "--artifacts", artifacts]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&squatted),
        "the bucket must be named: {stderr}"
    );
    assert!(stderr.contains("--artifact-bucket NAME"), "{stderr}");
    assert!(stderr.contains("no demo:stack tag"), "{stderr}");

    // Tagged for the stack whose name differs only in case: still not this stack's.
    let tag = Tagging::builder()
        .tag_set(
            Tag::builder()
                .key("demo:stack")
                .value(stack.to_lowercase())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    s3.put_bucket_tagging()
        .bucket(&squatted)
        .tagging(tag)
        .send()
        .await
        .unwrap();
    let refused = run_local(&stack, &["up", "--artifacts", artifacts, "--dry-run"]);
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("names stack"), "{stderr}");
    assert_eq!(object_keys(&s3, &squatted).await, Vec::<String>::new());
    assert_no_stack(&stack).await;

    let own = crate::harness::unique_name("own-artifacts");
    let created = up_json(
        &stack,
        &["--artifacts", artifacts, "--artifact-bucket", &own],
    );
    assert_eq!(created["outcome"], "created", "{created}");
    assert_eq!(object_keys(&s3, &own).await.len(), 2);
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_eq!(down["bucket_deleted"], own.as_str(), "{down}");
    assert_eq!(object_keys(&s3, &squatted).await, Vec::<String>::new());
    s3.delete_bucket().bucket(&squatted).send().await.unwrap();
}

/// The content-hash key of `function`'s zip, from the plan `up --dry-run` prints.
fn planned_key(stack: &str, artifacts: &str, function: &str) -> String {
    let plan = ok_local(stack, &["up", "--artifacts", artifacts, "--dry-run"]);
    let stderr = text(&plan.stderr);
    let line = stderr
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("upload: {function}/")))
        .unwrap_or_else(|| panic!("no upload of {function} in the plan:\n{stderr}"));
    let key = line.trim_start().trim_start_matches("upload: ");
    key.split(": ").next().unwrap().to_owned()
}

#[tokio::test]
async fn a_zip_planted_at_the_content_hash_key_is_not_trusted() {
    let s3 = aws_sdk_s3::Client::new(&sdk_config().await);
    let stack = unique_stack();
    let dir = tempfile::tempdir().unwrap();
    write_fake_artifacts(dir.path(), "v1");
    let artifacts = dir.path().to_str().unwrap();
    let key = planned_key(&stack, artifacts, "put-item");
    let bucket = derived_bucket(&stack);
    // The stack's own bucket (as an earlier `up` left it), holding other bytes at that key.
    create_bucket(&s3, &bucket, Some(&stack)).await;
    s3.put_object()
        .bucket(&bucket)
        .key(&key)
        .body(b"not the zip you built".to_vec().into())
        .send()
        .await
        .unwrap();

    let output = ok_local(
        &stack,
        &["up", "-vv", "--artifacts", artifacts, "--output", "json"],
    );
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("holds other bytes than the local zip"),
        "{stderr}"
    );
    let report = json(&output);
    let upload = report["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["function"] == "put-item")
        .unwrap();
    assert_eq!(
        (upload["key"].as_str(), upload["uploaded"].as_bool()),
        (Some(key.as_str()), Some(true))
    );
    let stored = s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    let stored = stored.body.collect().await.unwrap().into_bytes();
    let local = std::fs::read(dir.path().join("put-item/bootstrap.zip")).unwrap();
    assert!(
        stored.as_ref() == local.as_slice(),
        "the planted bytes were kept"
    );

    // Every S3 call but CreateBucket (which has no such parameter) names the expected owner.
    let s3_calls: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("rpc.service=\"S3\"") && l.contains("transmitting request"))
        .filter(|l| !l.contains("rpc.method=\"CreateBucket\""))
        .collect();
    assert!(s3_calls.len() >= 4, "{} S3 calls traced", s3_calls.len());
    for call in s3_calls {
        assert!(
            call.contains("\"x-amz-expected-bucket-owner\": \"123456789012\""),
            "{}",
            &call[..call.len().min(400)]
        );
    }
    let down = json(&ok_local(&stack, &["down", "--yes", "--output", "json"]));
    assert_eq!(down["bucket_deleted"], bucket.as_str(), "{down}");
}

/// Offline, with no `--arch`, the functions are built for this machine's CPU, so the runner
/// runs the deployed zips natively; the stack says so, and `--arch arm64` still deploys arm64.
#[test]
fn up_builds_for_this_machine_offline() {
    let stack = unique_stack();
    let dir = fake_artifacts();
    let artifacts = dir.path().to_str().unwrap();
    let up = demo_local(&stack)
        .env_remove("DEMO_ARCH")
        .args(["up", "--artifacts", artifacts, "--output", "json"])
        .output()
        .unwrap();
    assert!(up.status.success(), "{}", text(&up.stderr));
    let here = if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86_64"
    };
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["parameters"]["Architecture"], here, "{status}");
    let key = status["parameters"]["PutItemCodeKey"].as_str().unwrap();
    assert!(key.starts_with(&format!("put-item/{here}/")), "{key}");
    ok_local(&stack, &["down", "--yes"]);
}
