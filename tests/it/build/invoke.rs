//! Both built `bootstrap`s serving one real invocation each — under qemu on x86_64 — through a
//! local Lambda Runtime API, against the emulator's Kinesis and DynamoDB.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use super::{BUILDS, bootstrap_of, build_arm64, contains, make_executable};
use crate::harness::resources::{create_orders_table, create_stream, stream_as_event};
use crate::harness::runtime_api::{Invocation, Outcome, RuntimeApi};
use crate::harness::{emulator, sdk_config};

/// Builds (or reuses) the arm64 zips and unpacks each `bootstrap` into its own directory.
fn unpacked_bootstraps() -> tempfile::TempDir {
    let artifacts = {
        let _build = BUILDS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        build_arm64()
    };
    let dir = tempfile::tempdir().unwrap();
    for artifact in artifacts {
        let function = artifact["function"].as_str().unwrap();
        let bootstrap = dir.path().join(function).join("bootstrap");
        fs::create_dir_all(bootstrap.parent().unwrap()).unwrap();
        fs::write(
            &bootstrap,
            bootstrap_of(Path::new(artifact["path"].as_str().unwrap())),
        )
        .unwrap();
        make_executable(&bootstrap);
    }
    dir
}

/// A function process serving the Runtime API at `api`; killed when dropped.
struct Function {
    child: Child,
    log: PathBuf,
}

impl Function {
    fn start(bootstrap: &Path, api: &RuntimeApi, name: &str, env: &[(&str, &str)]) -> Self {
        let log = bootstrap.with_file_name("log.txt");
        let mut command = if cfg!(target_arch = "aarch64") {
            Command::new(bootstrap)
        } else {
            let mut qemu = Command::new("qemu-aarch64-static");
            qemu.arg(bootstrap);
            qemu
        };
        let log_file = fs::File::create(&log).unwrap();
        command
            .env_clear()
            .envs([
                ("AWS_LAMBDA_RUNTIME_API", api.address().as_str()),
                ("AWS_LAMBDA_FUNCTION_NAME", name),
                ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
                (
                    "AWS_LAMBDA_LOG_STREAM_NAME",
                    "2021/12/01/[$LATEST]0123456789abcdef",
                ),
                ("AWS_LAMBDA_LOG_GROUP_NAME", &format!("/aws/lambda/{name}")),
                ("AWS_REGION", "ap-southeast-2"),
                ("AWS_ENDPOINT_URL", emulator().url.as_str()),
                ("AWS_ACCESS_KEY_ID", "testing"),
                ("AWS_SECRET_ACCESS_KEY", "testing"),
            ])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file);
        let child = command.spawn().unwrap_or_else(|error| {
            panic!("could not start {bootstrap:?} ({error}); qemu-aarch64-static comes with `scripts/setup`")
        });
        Self { child, log }
    }

    fn logs(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The response to the one invocation, or a panic that shows what the function logged.
    async fn response(&self, api: &mut RuntimeApi, request_id: &str) -> Value {
        match api.next_outcome(Duration::from_secs(120)).await {
            Some(Outcome::Response {
                request_id: id,
                body,
            }) if id == request_id => body,
            other => panic!(
                "expected a response to {request_id}, got {other:?}\nlogs:\n{}",
                self.logs()
            ),
        }
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn arn(name: &str) -> String {
    format!("arn:aws:lambda:ap-southeast-2:123456789012:function:{name}")
}

/// The API Gateway REST proxy event for `POST /prod/order`, as Lambda delivers it.
fn api_gateway_post(body: &Value) -> Value {
    json!({
        "resource": "/order",
        "path": "/order",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "Host": "abc123.execute-api.ap-southeast-2.amazonaws.com"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "x1y2z3", "resourcePath": "/order", "httpMethod": "POST",
            "extendedRequestId": "Kd3vYF1xSwMFQ9g=", "requestTime": "01/Dec/2021:03:55:17 +0000",
            "path": "/prod/order", "accountId": "123456789012", "protocol": "HTTP/1.1",
            "stage": "prod", "domainPrefix": "abc123", "requestTimeEpoch": 1638330917123_i64,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "python-requests/2.26.0"},
            "domainName": "abc123.execute-api.ap-southeast-2.amazonaws.com", "apiId": "abc123"
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    })
}

/// The Kinesis event Lambda's poller would build from the stream record carrying `orderid`.
async fn kinesis_event_for(
    kinesis: &aws_sdk_kinesis::Client,
    stream: &str,
    orderid: &str,
) -> Value {
    use base64::Engine;
    let mut event = stream_as_event(kinesis, stream).await;
    let records = event["Records"].as_array_mut().unwrap();
    records.retain(|record| {
        let data = record["kinesis"]["data"].as_str().unwrap();
        let data = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        contains(&data, orderid.as_bytes())
    });
    assert!(
        !records.is_empty(),
        "no record for order {orderid} on stream {stream}"
    );
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_bootstraps_serve_a_real_invocation_against_the_emulator() {
    let bootstraps = unpacked_bootstraps();
    let config = sdk_config().await;
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let stream = create_stream(&kinesis, "bootstrap-orders", 1).await;
    let table = create_orders_table(&dynamodb, "bootstrap-orders").await;

    // Producer: an order posted through API Gateway lands on the stream.
    let order = json!({"order": {
        "accountid": "a0", "orderdate": "2021-12-01 14:55:17", "vendorid": "v7", "city": "Hobart",
        "details": {"coffeetype": "Flat White", "coffeesize": "Large", "unitprice": 4.5, "quantity": 3}
    }});
    let mut api = RuntimeApi::start(vec![Invocation {
        request_id: "0b1e7b7a-put-record".into(),
        function_arn: arn("put-record"),
        payload: api_gateway_post(&order),
    }])
    .await;
    let producer = Function::start(
        &bootstraps.path().join("put-record/bootstrap"),
        &api,
        "put-record",
        &[("STREAM_NAME", &stream)],
    );
    let response = producer.response(&mut api, "0b1e7b7a-put-record").await;
    assert_eq!(
        response["statusCode"],
        200,
        "{response}\nlogs:\n{}",
        producer.logs()
    );
    let accepted: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    let orderid = accepted["orderid"].as_str().unwrap().to_owned();
    drop(producer);

    // Consumer: the record Lambda would hand it from that stream becomes an item in the table.
    let event = kinesis_event_for(&kinesis, &stream, &orderid).await;
    let sequence_number = event["Records"][0]["kinesis"]["sequenceNumber"].clone();
    assert_eq!(accepted["sequencenumber"], sequence_number);
    let mut api = RuntimeApi::start(vec![Invocation {
        request_id: "5d2c9f1e-put-item".into(),
        function_arn: arn("put-item"),
        payload: event,
    }])
    .await;
    let consumer = Function::start(
        &bootstraps.path().join("put-item/bootstrap"),
        &api,
        "put-item",
        &[("TABLE_NAME", &table)],
    );
    let response = consumer.response(&mut api, "5d2c9f1e-put-item").await;
    assert_eq!(
        response["batchItemFailures"],
        json!([]),
        "{response}\nlogs:\n{}",
        consumer.logs()
    );

    let item = dynamodb
        .get_item()
        .table_name(&table)
        .key("orderid", AttributeValue::S(orderid.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap_or_else(|| {
            panic!(
                "order {orderid} is not in {table}\nlogs:\n{}",
                consumer.logs()
            )
        });
    assert_eq!(item["city"], AttributeValue::S("Hobart".into()));
    assert_eq!(item["quantity"], AttributeValue::N("3".into()));
    assert_eq!(
        item["sequencenumber"].as_s().unwrap(),
        sequence_number.as_str().unwrap()
    );
}

/// The built producer refuses, with a 400 naming the field and DynamoDB's limit, every price
/// DynamoDB could not store, and puts nothing of them on the stream; a good order sent alongside
/// is the stream's only record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_producer_refuses_numbers_dynamodb_cannot_store() {
    let bootstraps = unpacked_bootstraps();
    let kinesis = aws_sdk_kinesis::Client::new(&sdk_config().await);
    let stream = create_stream(&kinesis, "bootstrap-numbers", 1).await;
    let order_priced = |orderid: &str, unitprice: f64| {
        json!({"order": {
            "orderid": orderid, "accountid": "a0", "orderdate": "2021-12-01 14:55:17", "vendorid": "v7",
            "city": "Hobart",
            "details": {"coffeetype": "Flat White", "coffeesize": "Large", "unitprice": unitprice, "quantity": 3}
        }})
    };
    let refused = [
        (
            1e200,
            "1e+200",
            "at most 9.9999999999999999999999999999999999999E+125",
        ),
        (
            1e126,
            "1e+126",
            "at most 9.9999999999999999999999999999999999999E+125",
        ),
        (5e-324, "5e-324", "at least 1E-130"),
        (1e-131, "1e-131", "at least 1E-130"),
    ];
    let mut invocations: Vec<Invocation> = refused
        .iter()
        .enumerate()
        .map(|(i, (price, text, _))| {
            let body = order_priced(&format!("refused-{i}"), *price);
            assert!(body.to_string().contains(&format!(":{text}")), "{body}");
            Invocation {
                request_id: format!("refused-{i}"),
                function_arn: arn("put-record"),
                payload: api_gateway_post(&body),
            }
        })
        .collect();
    invocations.push(Invocation {
        request_id: "accepted".into(),
        function_arn: arn("put-record"),
        payload: api_gateway_post(&order_priced("accepted-1", 4.5)),
    });
    let mut api = RuntimeApi::start(invocations).await;
    let producer = Function::start(
        &bootstraps.path().join("put-record/bootstrap"),
        &api,
        "put-record",
        &[("STREAM_NAME", &stream)],
    );
    for (i, (_, text, limit)) in refused.iter().enumerate() {
        let response = producer.response(&mut api, &format!("refused-{i}")).await;
        assert_eq!(response["statusCode"], 400, "{text}: {response}");
        let error: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
        assert_eq!(error["field"], "order.details.unitprice", "{text}: {error}");
        assert!(
            error["rule"].as_str().unwrap().contains(limit),
            "{text}: {error}"
        );
        assert_eq!(error["retryable"], false);
    }
    let response = producer.response(&mut api, "accepted").await;
    assert_eq!(
        response["statusCode"],
        200,
        "{response}\nlogs:\n{}",
        producer.logs()
    );
    drop(producer);

    let event = stream_as_event(&kinesis, &stream).await;
    let records = event["Records"].as_array().unwrap();
    assert_eq!(
        records.len(),
        1,
        "only the accepted order is on the stream: {event}"
    );
    assert_eq!(records[0]["kinesis"]["partitionKey"], "accepted-1");
}
