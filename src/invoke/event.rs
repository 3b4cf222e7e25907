//! The events `demo invoke --orders N` sends, built as each function would receive them, from
//! orders drawn as `demo load` draws them (the notebook's distribution, `orders::catalog`):
//!
//! - the producer: an API Gateway REST proxy request (`ApiGatewayProxyRequest`) for `POST
//!   /prod/order` with the body `{"order": …}`, one order per request as the notebook posted;
//! - a consumer: a Kinesis batch (`KinesisEvent`) of N records, each record's data the stream
//!   record the producer writes for the order (`Order::to_record`, partition key its `orderid`),
//!   with increasing sequence numbers and arrival times, from the stack's stream and shard.
//!
//! Each event is the JSON the service sends (a Kinesis arrival time is a number of seconds with
//! the milliseconds as its fraction, as Lambda sends it, where aws_lambda_events would write a
//! string), checked to deserialize into the aws_lambda_events type the function takes.
//!
//! N is checked against what the function could be handed before anything is built or called:
//! the producer takes one order; a consumer 1–10,000 records (a Kinesis mapping's BatchSize
//! range), in at most 6 MB, Lambda's limit on a synchronous invocation's payload (and on a
//! batch the mapping hands a function). Shared by the AWS path and the offline runner.

use std::time::SystemTime;

use base64::Engine;
use orders::Order;
use serde_json::{Value, json};

use crate::epoch;
use crate::load::generate::OrderSource;
use crate::logs::StackFunction;

/// Lambda's limit on a synchronous invocation's request (and response) payload, in bytes.
pub(crate) const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// A Kinesis mapping's largest BatchSize.
const MAX_BATCH_RECORDS: i64 = 10_000;
/// The stage the template deploys the API to, and the order resource.
const STAGE: &str = "prod";
const RESOURCE: &str = "/order";

/// Where a consumer's records come from, as Lambda's poller names it in each record.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSource {
    pub stream_arn: String,
    pub region: String,
    /// The shard the batch is read from (a batch never spans shards).
    pub shard_id: String,
    /// The function's execution role, which the mapping reads the stream with.
    pub invoke_identity_arn: String,
}

/// The API a producer's request comes through.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiSource {
    pub api_id: String,
    pub account_id: String,
    pub region: String,
}

/// An event `--orders N` (or `--event`) would make that the function cannot be handed: the
/// message names the value, the limit and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum EventRefused {
    #[error(
        "invalid --orders {n} for the producer: API Gateway hands it one order per request; use \
         --orders 1 (`demo load --orders {n}` sends many)"
    )]
    ProducerTakesOne { n: i64 },

    #[error(
        "invalid --orders {n} for {function}: a Kinesis mapping hands a consumer 1 to {max} \
         records per batch (its BatchSize range); use --orders 1 to --orders {max}",
        max = MAX_BATCH_RECORDS
    )]
    OutsideBatchSize { n: i64, function: StackFunction },

    #[error(
        "invalid --orders {records}: the Kinesis batch is {size}, over Lambda's {max}-byte (6 MB) \
         limit on a synchronous invocation's payload, which the mapping's batches stay under \
         too; use --orders {fitting} or fewer",
        max = MAX_PAYLOAD_BYTES
    )]
    BatchTooLarge {
        records: usize,
        size: String,
        fitting: usize,
    },

    #[error(
        "the event is {size}, over Lambda's {max}-byte (6 MB) limit on a synchronous \
         invocation's payload; send a smaller event",
        max = MAX_PAYLOAD_BYTES
    )]
    EventTooLarge { size: String },
}

/// N, checked against what `function` can be handed (see the module's comment).
pub(crate) fn check_orders(function: StackFunction, n: i64) -> Result<usize, EventRefused> {
    let fits = if function.is_consumer() {
        (1..=MAX_BATCH_RECORDS).contains(&n)
    } else {
        n == 1
    };
    match (fits, function.is_consumer()) {
        (true, _) => Ok(usize::try_from(n).unwrap_or(1)),
        (false, false) => Err(EventRefused::ProducerTakesOne { n }),
        (false, true) => Err(EventRefused::OutsideBatchSize { n, function }),
    }
}

/// `n` orders drawn as `demo load` draws them, each with its own id.
pub fn draw_orders(n: usize, now: SystemTime) -> Vec<Order> {
    let source = OrderSource::new(None);
    (0..n as u64)
        .map(|index| source.order(index, now))
        .collect()
}

/// The proxy request API Gateway hands the producer for `POST /prod/order` with `order` (an
/// `ApiGatewayProxyRequest`).
pub fn api_request(order: &Order, api: &ApiSource, now: SystemTime) -> Value {
    let body = String::from_utf8_lossy(&order.to_request_body()).into_owned();
    let host = format!("{}.execute-api.{}.amazonaws.com", api.api_id, api.region);
    let headers = json!({
        "Content-Type": "application/json",
        "Host": host,
        "User-Agent": "demo-invoke",
        "X-Forwarded-Proto": "https",
    });
    let multi_value: serde_json::Map<String, Value> = (headers.as_object().into_iter().flatten())
        .map(|(name, value)| (name.clone(), json!([value])))
        .collect();
    let time = chrono::DateTime::<chrono::Utc>::from(now);
    json!({
        "resource": RESOURCE,
        "path": RESOURCE,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": multi_value,
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": api.account_id,
            "apiId": api.api_id,
            "domainName": host,
            "domainPrefix": api.api_id,
            "httpMethod": "POST",
            "path": format!("/{STAGE}{RESOURCE}"),
            "protocol": "HTTP/1.1",
            "requestId": uuid::Uuid::new_v4().to_string(),
            "requestTime": time.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "requestTimeEpoch": epoch::millis(now),
            "resourcePath": RESOURCE,
            "stage": STAGE,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "demo-invoke"},
        },
        "body": body,
        "isBase64Encoded": false,
    })
}

/// The Kinesis batch Lambda's poller hands a consumer for `orders` (a `KinesisEvent`), read from
/// `stream`: one record each, the newest arriving `now`, one millisecond apart.
pub fn kinesis_batch(orders: &[Order], stream: &StreamSource, now: SystemTime) -> Value {
    let now_ms = epoch::millis(now);
    let count = orders.len() as i64;
    let records: Vec<Value> = (orders.iter().enumerate())
        .map(|(index, order)| {
            let sequence_number = sequence_number(now_ms, index);
            let arrival_ms = now_ms - (count - 1 - index as i64);
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": order.partition_key(),
                    "sequenceNumber": sequence_number,
                    "data": base64::engine::general_purpose::STANDARD.encode(order.to_record()),
                    "approximateArrivalTimestamp": arrival_ms as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{}:{sequence_number}", stream.shard_id),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": stream.invoke_identity_arn,
                "awsRegion": stream.region,
                "eventSourceARN": stream.stream_arn,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// A 56-digit Kinesis-like sequence number, increasing with `index`.
fn sequence_number(now_ms: i64, index: usize) -> String {
    format!("4960{:022}{index:030}", now_ms.max(0))
}

/// `payload` fits a synchronous invocation; else the message says by how much, and for a batch
/// (`records` > 0) how many of these orders would fit.
pub(crate) fn check_size(payload: &[u8], records: usize) -> Result<(), EventRefused> {
    if payload.len() <= MAX_PAYLOAD_BYTES {
        return Ok(());
    }
    let size = format!(
        "{} bytes ({:.1} MB)",
        payload.len(),
        payload.len() as f64 / 1_048_576.0
    );
    if records > 0 {
        // Orders are about the same size, but the next run draws others: the share that fits,
        // less 1%.
        let fitting = records * MAX_PAYLOAD_BYTES / payload.len() * 99 / 100;
        Err(EventRefused::BatchTooLarge {
            records,
            size,
            fitting,
        })
    } else {
        Err(EventRefused::EventTooLarge { size })
    }
}

#[cfg(test)]
mod tests {
    use aws_lambda_events::apigw::ApiGatewayProxyRequest;
    use aws_lambda_events::event::kinesis::KinesisEvent;

    use super::*;

    fn stream() -> StreamSource {
        StreamSource {
            stream_arn: "arn:aws:kinesis:ap-southeast-2:123456789012:stream/s-orders".into(),
            region: "ap-southeast-2".into(),
            shard_id: "shardId-000000000000".into(),
            invoke_identity_arn: "arn:aws:iam::123456789012:role/s-put-item-1-ap-southeast-2"
                .into(),
        }
    }

    fn api() -> ApiSource {
        ApiSource {
            api_id: "a1b2c3d4e5".into(),
            account_id: "123456789012".into(),
            region: "ap-southeast-2".into(),
        }
    }

    #[test]
    fn the_producer_takes_one_order_and_a_consumer_a_batch_of_1_to_10000() {
        assert_eq!(check_orders(StackFunction::Producer, 1), Ok(1));
        let err = check_orders(StackFunction::Producer, 2)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--orders 2") && err.contains("use --orders 1"),
            "{err}"
        );
        assert_eq!(check_orders(StackFunction::Consumer1, 10_000), Ok(10_000));
        for n in [0, -1, 10_001] {
            let err = check_orders(StackFunction::Consumer2, n)
                .unwrap_err()
                .to_string();
            assert!(err.contains(&format!("--orders {n}")), "{err}");
            assert!(err.contains("1 to 10000 records"), "{err}");
        }
    }

    #[test]
    fn the_producers_request_is_what_api_gateway_hands_it_and_its_handler_accepts() {
        let now = SystemTime::now();
        let [order] = draw_orders(1, now).try_into().unwrap();
        let payload = serde_json::to_vec(&api_request(&order, &api(), now)).unwrap();
        let request: ApiGatewayProxyRequest = serde_json::from_slice(&payload).unwrap();
        assert_eq!(request.http_method, "POST");
        assert_eq!(request.path.as_deref(), Some("/order"));
        assert_eq!(request.request_context.stage.as_deref(), Some("prod"));
        assert_eq!(request.request_context.apiid.as_deref(), Some("a1b2c3d4e5"));
        // The producer's own check takes it.
        let accepted = put_record::accept(&request).unwrap();
        assert_eq!(accepted, order);
        let body: Value = serde_json::from_str(request.body.as_deref().unwrap()).unwrap();
        assert!(body["order"]["details"]["unitprice"].is_number(), "{body}");
    }

    #[test]
    fn a_consumers_batch_holds_the_producers_records_in_order() {
        let now = SystemTime::now();
        let orders = draw_orders(25, now);
        let event = kinesis_batch(&orders, &stream(), now);
        let payload = serde_json::to_vec(&event).unwrap();
        let received: KinesisEvent = serde_json::from_slice(&payload).unwrap();
        assert_eq!(received.records.len(), 25);
        let mut last_sequence = String::new();
        for (record, order) in received.records.iter().zip(&orders) {
            let data = Order::from_record(&record.kinesis.data.0).unwrap();
            assert_eq!(&data, order);
            assert_eq!(
                Some(record.kinesis.partition_key.as_str()),
                order.partition_key()
            );
            assert_eq!(record.kinesis.sequence_number.len(), 56);
            assert!(record.kinesis.sequence_number > last_sequence);
            last_sequence = record.kinesis.sequence_number.clone();
            assert_eq!(
                record.event_source_arn.as_deref(),
                Some(stream().stream_arn.as_str())
            );
            assert_eq!(
                record.event_id.as_deref(),
                Some(format!("shardId-000000000000:{last_sequence}").as_str())
            );
        }
        // Arrival times as Lambda sends them: seconds, the milliseconds as the fraction.
        let arrivals: Vec<i64> = (event["Records"].as_array().unwrap().iter())
            .map(|r| {
                (r["kinesis"]["approximateArrivalTimestamp"]
                    .as_f64()
                    .unwrap()
                    * 1000.0)
                    .round() as i64
            })
            .collect();
        assert!(
            arrivals.windows(2).all(|w| w[0] + 1 == w[1]),
            "{arrivals:?}"
        );
        assert_eq!(*arrivals.last().unwrap(), epoch::millis(now));
        // The consumer's own decoder takes every record as an order it can store.
        let decoded = put_item::decode(&received.records, epoch::millis(now));
        assert_eq!(decoded.writes.len(), 25);
        assert!(decoded.undecodable.is_empty() && decoded.unstorable.is_empty());
    }

    #[test]
    fn a_batch_over_6_mb_is_refused_with_how_many_orders_fit() {
        let now = SystemTime::now();
        let orders = draw_orders(10_000, now);
        let payload = serde_json::to_vec(&kinesis_batch(&orders, &stream(), now)).unwrap();
        assert!(payload.len() > MAX_PAYLOAD_BYTES, "{}", payload.len());
        let err = check_size(&payload, orders.len()).unwrap_err().to_string();
        assert!(
            err.contains("invalid --orders 10000") && err.contains("6291456"),
            "{err}"
        );
        let fitting: usize = (err.rsplit("use --orders ").next().unwrap())
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let smaller =
            serde_json::to_vec(&kinesis_batch(&orders[..fitting], &stream(), now)).unwrap();
        assert!(
            check_size(&smaller, fitting).is_ok(),
            "{fitting} orders: {}",
            smaller.len()
        );
        assert!(check_size(&[b' '; MAX_PAYLOAD_BYTES], 0).is_ok());
        let err = check_size(&[b' '; MAX_PAYLOAD_BYTES + 1], 0)
            .unwrap_err()
            .to_string();
        assert!(err.contains("send a smaller event"), "{err}");
    }
}
