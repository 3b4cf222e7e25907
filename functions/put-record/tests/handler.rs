//! Handler tests on a real-shaped API Gateway event, with Kinesis answered at the SDK's HTTP layer.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_sdk_kinesis::config::Credentials;
use aws_sdk_kinesis::operation::put_record::{PutRecordError, PutRecordOutput};
use aws_sdk_kinesis::types::error::ProvisionedThroughputExceededException;
use aws_smithy_mocks::{Rule, mock, mock_client};
use base64::Engine;
use put_record::{Accepted, Producer, Timeouts, handle, kinesis_client_with};
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/apigw-post-order.json");

/// The event exactly as API Gateway sends it.
fn fixture_request() -> ApiGatewayProxyRequest {
    serde_json::from_str(FIXTURE).unwrap()
}

fn request_with_body(body: Option<&str>) -> ApiGatewayProxyRequest {
    let mut request = fixture_request();
    request.body = body.map(str::to_owned);
    request
}

fn producer(rule: &Rule) -> Producer {
    Producer {
        kinesis: mock_client!(aws_sdk_kinesis, [rule]),
        stream_name: "orders".into(),
    }
}

fn put_ok() -> Rule {
    mock!(aws_sdk_kinesis::Client::put_record).then_output(|| {
        PutRecordOutput::builder()
            .shard_id("shardId-000000000000")
            .sequence_number("49590338271490256608559692538361571095921575989136588802")
            .build()
            .unwrap()
    })
}

fn json_body(response: &ApiGatewayProxyResponse) -> Value {
    match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).unwrap(),
        other => panic!("expected a text body, got {other:?}"),
    }
}

#[tokio::test]
async fn good_order_is_put_with_its_id_as_partition_key() {
    let rule = mock!(aws_sdk_kinesis::Client::put_record)
        .match_requests(|put| {
            let record: Value = serde_json::from_slice(put.data().unwrap().as_ref()).unwrap();
            put.stream_name() == Some("orders")
                && record["orderid"].as_str() == put.partition_key()
                && record["city"] == "Wollongong"
                && record["details"]["quantity"] == 7
        })
        .then_output(|| {
            PutRecordOutput::builder()
                .shard_id("shardId-000000000000")
                .sequence_number("4959")
                .build()
                .unwrap()
        });
    let response = handle(&producer(&rule), fixture_request()).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(rule.num_calls(), 1);
    let accepted: Accepted = serde_json::from_value(json_body(&response)).unwrap();
    assert_eq!(accepted.shardid, "shardId-000000000000");
    assert_eq!(accepted.sequencenumber, "4959");
    assert_eq!(accepted.orderid.len(), 36, "a generated uuid");
    assert_eq!(response.headers["access-control-allow-origin"], "*");
    assert_eq!(response.headers["content-type"], "application/json");
}

#[tokio::test]
async fn client_sent_orderid_is_kept_so_retries_do_not_duplicate() {
    let body = r#"{"order": {"orderid": "client-42", "accountid": "a0", "orderdate": "t", "vendorid": "v1",
        "city": "Perth", "details": {"coffeetype": "Latte", "coffeesize": "Small", "unitprice": 3.5, "quantity": 1}}}"#;
    let rule = mock!(aws_sdk_kinesis::Client::put_record)
        .match_requests(|put| put.partition_key() == Some("client-42"))
        .then_output(|| {
            PutRecordOutput::builder()
                .shard_id("shardId-000000000000")
                .sequence_number("1")
                .build()
                .unwrap()
        });
    let response = handle(&producer(&rule), request_with_body(Some(body))).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
    assert_eq!(json_body(&response)["orderid"], "client-42");
}

#[tokio::test]
async fn base64_encoded_body_is_decoded() {
    let mut request = fixture_request();
    let plain = request.body.take().unwrap();
    request.body = Some(base64::engine::general_purpose::STANDARD.encode(plain));
    request.is_base64_encoded = true;
    let rule = put_ok();
    let response = handle(&producer(&rule), request).await;
    assert_eq!(response.status_code, 200, "{:?}", response.body);
}

#[tokio::test]
async fn bad_orders_get_4xx_naming_field_and_rule_and_nothing_is_put() {
    let good: Value = serde_json::from_str(fixture_request().body.as_deref().unwrap()).unwrap();
    let with = |path: &[&str], value: Value| {
        let mut body = good.clone();
        let (last, parents) = path.split_last().unwrap();
        let mut at = &mut body;
        for key in parents {
            at = &mut at[*key];
        }
        at[*last] = value;
        Some(body.to_string())
    };
    let huge = format!("{{\"order\": \"{}\"}}", "x".repeat(70_000));
    let cases: Vec<(Option<String>, &str, i64)> = vec![
        (None, "body", 400),
        (Some("not json".into()), "body", 400),
        (Some("{}".into()), "body", 400),
        (with(&["order", "city"], Value::from("")), "order.city", 400),
        (with(&["order", "city"], Value::from(7)), "order.city", 400),
        (
            with(&["order", "details", "quantity"], Value::from(0)),
            "order.details.quantity",
            400,
        ),
        (
            with(&["order", "details", "quantity"], Value::from(5000)),
            "order.details.quantity",
            400,
        ),
        (
            with(&["order", "details", "unitprice"], Value::from(-1.0)),
            "order.details.unitprice",
            400,
        ),
        (
            with(&["order", "details", "extra"], serde_json::json!({"x": 1})),
            "order.details.extra",
            400,
        ),
        (
            with(&["order", "orderid"], Value::from("no spaces allowed")),
            "order.orderid",
            400,
        ),
        (Some(huge), "body", 413),
    ];
    let rule = put_ok();
    let producer = producer(&rule);
    for (body, field, status) in cases {
        let response = handle(&producer, request_with_body(body.as_deref())).await;
        assert_eq!(
            response.status_code, status,
            "{body:.80?}: {:?}",
            response.body
        );
        let error = json_body(&response);
        assert_eq!(error["field"], field, "{body:.80?}: {error}");
        assert!(!error["rule"].as_str().unwrap().is_empty());
        assert_eq!(error["retryable"], false);
    }
    assert_eq!(
        rule.num_calls(),
        0,
        "a refused order must never reach the stream"
    );
}

#[tokio::test]
async fn kinesis_failure_is_a_retryable_503_never_a_silent_200() {
    let rule = mock!(aws_sdk_kinesis::Client::put_record).then_error(|| {
        PutRecordError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("Rate exceeded for shard shardId-000000000000")
                .build(),
        )
    });
    let response = handle(&producer(&rule), fixture_request()).await;
    assert_eq!(response.status_code, 503);
    let body = json_body(&response);
    assert_eq!(body["retryable"], true);
    assert_eq!(body["orderid"].as_str().map(str::len), Some(36), "{body}");
    assert!(rule.num_calls() >= 1);
}

/// A TCP server that accepts every connection and never answers, like a hung endpoint; counts
/// the connections it holds.
fn silent_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (address, connections)
}

#[tokio::test]
async fn a_hung_kinesis_is_a_503_with_the_orderid_within_the_operation_timeout() {
    let logs = logs();
    let (address, connections) = silent_server();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("ap-southeast-2"))
        .endpoint_url(format!("http://{address}"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    let timeouts = Timeouts {
        operation: Duration::from_millis(900),
        attempt: Duration::from_millis(300),
    };
    let producer = Producer {
        kinesis: kinesis_client_with(&config, timeouts),
        stream_name: "orders".into(),
    };
    let body = r#"{"order": {"orderid": "hung-1", "accountid": "a0", "orderdate": "t", "vendorid": "v1",
        "city": "Perth", "details": {"coffeetype": "Latte", "coffeesize": "Small", "unitprice": 3.5, "quantity": 1}}}"#;
    let started = Instant::now();
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        handle(&producer, request_with_body(Some(body))),
    )
    .await
    .expect("PutRecord was not bounded: the function would hit Lambda's timeout");
    let took = started.elapsed();
    assert_eq!(response.status_code, 503, "{:?}", response.body);
    let body = json_body(&response);
    assert_eq!(body["orderid"], "hung-1");
    assert_eq!(body["retryable"], true);
    assert!(
        connections.load(Ordering::SeqCst) >= 1,
        "never reached the server"
    );
    assert!(took >= timeouts.attempt, "gave up before waiting: {took:?}");
    assert!(
        took < timeouts.operation + Duration::from_millis(500),
        "took {took:?}, beyond the {:?} operation timeout",
        timeouts.operation
    );
    let logged = logs.text();
    let failed = logged
        .lines()
        .find(|line| line.contains("PutRecord failed") && line.contains("hung-1"))
        .unwrap_or_else(|| panic!("no error line for hung-1 in {logged}"));
    assert!(failed.contains("TimeoutError"), "{failed}");
    assert!(
        failed.len() < 600 && !failed.contains("TimeoutError("),
        "an SDK dump: {failed}"
    );
}

/// Captures what the handlers log.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

/// Everything the handlers of this test binary log, in the JSON lines `main` sets up for Lambda.
/// One global subscriber, because a scoped one misses events whose callsite another test thread
/// registered first; each test finds its own lines by the ids it used.
fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        tracing::subscriber::set_global_default(logs.subscriber())
            .expect("no other global subscriber in these tests");
        logs
    })
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

impl Logs {
    fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + use<> {
        orders::lambda_log::subscriber(self.clone())
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test]
async fn a_huge_unknown_key_is_quoted_as_a_short_prefix_in_the_refusal_and_the_log() {
    let logs = logs();
    let key = "k".repeat(60_000);
    let mut body: Value = serde_json::from_str(fixture_request().body.as_deref().unwrap()).unwrap();
    body["order"]["details"][&key] = Value::from(1);
    let rule = put_ok();
    let response = handle(&producer(&rule), request_with_body(Some(&body.to_string()))).await;
    assert_eq!(response.status_code, 400);
    assert_eq!(rule.num_calls(), 0);

    let cut = format!("{}… (60000 characters)", "k".repeat(100));
    let error = json_body(&response);
    assert_eq!(error["field"], format!("order.details.{cut}"));
    let rule_text = error["rule"].as_str().unwrap();
    assert!(
        rule_text.starts_with(&format!("unknown field `{cut}`, expected one of")),
        "{rule_text}"
    );
    let text = match &response.body {
        Some(Body::Text(text)) => text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(text.len() < 1500, "a {} byte refusal", text.len());
    assert!(!text.contains(&"k".repeat(101)));

    let logged = logs.text();
    let refused = logged
        .lines()
        .find(|line| line.contains("order refused"))
        .unwrap();
    assert!(refused.len() < 1000, "a {} byte log line", refused.len());
    assert!(
        refused.contains(&cut) && !refused.contains(&"k".repeat(101)),
        "{refused}"
    );
}

#[tokio::test]
async fn out_of_range_prices_are_refused_naming_dynamodb_limits() {
    let good: Value = serde_json::from_str(fixture_request().body.as_deref().unwrap()).unwrap();
    let rule = put_ok();
    let producer = producer(&rule);
    for (price, limit) in [
        (
            "1e200",
            "at most 9.9999999999999999999999999999999999999E+125",
        ),
        (
            "1e126",
            "at most 9.9999999999999999999999999999999999999E+125",
        ),
        ("5e-324", "at least 1E-130"),
        ("1e-131", "at least 1E-130"),
    ] {
        let body = good
            .to_string()
            .replace(&good["order"]["details"]["unitprice"].to_string(), price);
        assert!(body.contains(price));
        let response = handle(&producer, request_with_body(Some(&body))).await;
        assert_eq!(response.status_code, 400, "{price}");
        let error = json_body(&response);
        assert_eq!(error["field"], "order.details.unitprice", "{price}");
        assert!(
            error["rule"].as_str().unwrap().contains(limit),
            "{price}: {error}"
        );
    }
    assert_eq!(
        rule.num_calls(),
        0,
        "a refused order must never reach the stream"
    );
}
