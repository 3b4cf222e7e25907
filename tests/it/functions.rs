//! The functions' handlers against the emulator's real Kinesis and DynamoDB.

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use orders::Order;
use orders::catalog::random_order;
use orders::item::{RecordMeta, to_item};
use put_item::{Consumer, FailureKind, WriteSettings};
use put_record::Producer;
use serde_json::{Value, json};

use crate::harness::resources::{create_orders_table, create_stream, stream_as_event};
use crate::harness::{sdk_config, unique_name};

/// An API Gateway proxy event posting `body` to /order.
fn post(body: &[u8]) -> ApiGatewayProxyRequest {
    serde_json::from_value(json!({
        "resource": "/order", "path": "/order", "httpMethod": "POST",
        "headers": {"content-type": "application/json"}, "multiValueHeaders": {},
        "requestContext": {"stage": "prod", "httpMethod": "POST", "resourcePath": "/order",
                           "requestTimeEpoch": 1638330917123_i64, "requestId": "r"},
        "body": String::from_utf8_lossy(body), "isBase64Encoded": false,
    }))
    .unwrap()
}

fn orders(count: u64) -> Vec<Order> {
    let mut rng = fastrand::Rng::with_seed(count);
    (0..count)
        .map(|i| {
            let mut order = random_order(&mut rng, i, "2021-12-01 10:00:00".into(), String::new());
            order.orderid = None;
            order
        })
        .collect()
}

/// Everything on the stream, as the event Lambda would hand a consumer.
async fn read_stream(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> KinesisEvent {
    serde_json::from_value(stream_as_event(kinesis, stream).await).unwrap()
}

async fn producer(stream: &str) -> Producer {
    Producer {
        kinesis: aws_sdk_kinesis::Client::new(&sdk_config().await),
        stream_name: stream.to_owned(),
    }
}

async fn consumer(table: &str) -> Consumer {
    Consumer {
        dynamodb: aws_sdk_dynamodb::Client::new(&sdk_config().await),
        table_name: table.to_owned(),
        settings: WriteSettings::default(),
    }
}

async fn scan(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    dynamodb
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}

#[tokio::test]
async fn accepted_orders_are_on_the_stream_spread_by_orderid() {
    let producer = producer(
        &create_stream(
            &aws_sdk_kinesis::Client::new(&sdk_config().await),
            "orders",
            4,
        )
        .await,
    )
    .await;
    let mut accepted = Vec::new();
    for order in orders(40) {
        let response = put_record::handle(&producer, post(&order.to_request_body())).await;
        assert_eq!(response.status_code, 200, "{:?}", response.body);
        accepted.push(response);
    }
    let event = read_stream(&producer.kinesis, &producer.stream_name).await;
    assert_eq!(event.records.len(), 40);
    let shards: std::collections::HashSet<_> = event
        .records
        .iter()
        .map(|r| {
            r.event_id
                .clone()
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(shards.len() > 1, "orders all went to one shard: {shards:?}");
    for record in &event.records {
        let order = Order::from_record(&record.kinesis.data.0).expect("records are orders");
        assert_eq!(
            order.partition_key(),
            Some(record.kinesis.partition_key.as_str())
        );
    }
}

#[tokio::test]
async fn refused_orders_never_reach_the_stream() {
    let producer = producer(
        &create_stream(
            &aws_sdk_kinesis::Client::new(&sdk_config().await),
            "orders",
            1,
        )
        .await,
    )
    .await;
    let bad_bodies: [&[u8]; 4] = [
        b"not json",
        br#"{"order": {}}"#,
        br#"{"order": {"accountid": "a0", "orderdate": "t", "vendorid": "v1", "city": "", "details": {"coffeetype": "Latte", "coffeesize": "Small", "unitprice": 3.5, "quantity": 1}}}"#,
        br#"{"order": {"accountid": "a0", "orderdate": "t", "vendorid": "v1", "city": "Perth", "details": {"coffeetype": "Latte", "coffeesize": "Small", "unitprice": 3.5, "quantity": 0}}}"#,
    ];
    for body in bad_bodies {
        let response = put_record::handle(&producer, post(body)).await;
        assert_eq!(response.status_code, 400);
    }
    let event = read_stream(&producer.kinesis, &producer.stream_name).await;
    assert!(
        event.records.is_empty(),
        "{} records written",
        event.records.len()
    );
}

#[tokio::test]
async fn a_missing_stream_is_a_503_not_a_200() {
    let producer = producer(&unique_name("no-such-stream")).await;
    let response = put_record::handle(&producer, post(&orders(1)[0].to_request_body())).await;
    assert_eq!(response.status_code, 503, "{:?}", response.body);
}

/// Orders through the producer onto the stream, then the stream's records through the consumer
/// into the table, twice: N orders ⇒ N items, and a redelivered batch changes nothing.
#[tokio::test]
async fn orders_flow_from_api_to_table_exactly_once() {
    let config = sdk_config().await;
    let producer =
        producer(&create_stream(&aws_sdk_kinesis::Client::new(&config), "orders", 2).await).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let consumer = consumer(&create_orders_table(&dynamodb, "orders").await).await;
    let count = 120;
    for order in orders(count) {
        assert_eq!(
            put_record::handle(&producer, post(&order.to_request_body()))
                .await
                .status_code,
            200
        );
    }
    let event = read_stream(&producer.kinesis, &producer.stream_name).await;
    assert_eq!(event.records.len(), count as usize);

    for delivery in 1..=2 {
        let response = put_item::handle(&consumer, event.clone()).await;
        assert!(
            response.batch_item_failures.is_empty(),
            "delivery {delivery}: {response:?}"
        );
        let items = scan(&dynamodb, &consumer.table_name).await;
        assert_eq!(items.len(), count as usize, "after delivery {delivery}");
    }
    let items = scan(&dynamodb, &consumer.table_name).await;
    for record in &event.records {
        let order = Order::from_record(&record.kinesis.data.0).unwrap();
        let item = items
            .iter()
            .find(|item| item["orderid"].as_s().ok() == order.orderid.as_ref())
            .expect("every order has its item");
        assert_eq!(
            item["sequencenumber"].as_s().unwrap(),
            &record.kinesis.sequence_number
        );
        assert_eq!(item["city"].as_s().unwrap(), &order.city);
        let arrived: i64 = item["arrivedat"].as_n().unwrap().parse().unwrap();
        let written: i64 = item["writtenat"].as_n().unwrap().parse().unwrap();
        assert!(
            written >= arrived - 1000,
            "written {written} long before arrival {arrived}"
        );
    }
}

#[tokio::test]
async fn a_poison_record_is_reported_alone_and_the_rest_are_written() {
    let config = sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let consumer = consumer(&create_orders_table(&dynamodb, "orders").await).await;
    let mut event: Value = serde_json::from_str(include_str!(
        "../../functions/put-item/tests/fixtures/kinesis-batch-with-poison.json"
    ))
    .unwrap();
    let poison = event["Records"][1]["kinesis"]["sequenceNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    // Pad the batch past one BatchWriteItem call with good records.
    let good = event["Records"][0].clone();
    for i in 0..30 {
        let mut record = good.clone();
        let mut order: Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                good["kinesis"]["data"].as_str().unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        order["orderid"] = json!(format!("padding-{i}"));
        record["kinesis"]["data"] = json!(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            order.to_string()
        ));
        record["kinesis"]["sequenceNumber"] = json!(format!("5{i:055}"));
        event["Records"].as_array_mut().unwrap().push(record);
    }
    let event: KinesisEvent = serde_json::from_value(event).unwrap();
    let response = put_item::handle(&consumer, event.clone()).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(failed, vec![poison]);
    assert_eq!(
        scan(&dynamodb, &consumer.table_name).await.len(),
        event.records.len() - 1
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// A record carrying a well-formed order that DynamoDB cannot store (`unitprice` 1e200), put on
/// the stream directly as something other than today's producer could: it is the only record
/// reported, and every valid order around it reaches the table.
#[tokio::test]
async fn a_number_dynamodb_refuses_fails_alone_and_every_valid_order_is_written() {
    let config = sdk_config().await;
    let kinesis = aws_sdk_kinesis::Client::new(&config);
    let producer = producer(&create_stream(&kinesis, "orders", 1).await).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let consumer = consumer(&create_orders_table(&dynamodb, "orders").await).await;
    let valid = orders(40);
    let (before, after) = valid.split_at(20);
    for order in before {
        let response = put_record::handle(&producer, post(&order.to_request_body())).await;
        assert_eq!(response.status_code, 200, "{:?}", response.body);
    }
    let poison = br#"{"orderid": "poison-1", "accountid": "a0", "orderdate": "t", "vendorid": "v1", "city": "Perth",
        "details": {"coffeetype": "Latte", "coffeesize": "Small", "unitprice": 1e200, "quantity": 1}}"#;
    let put = kinesis
        .put_record()
        .stream_name(&producer.stream_name)
        .partition_key("poison-1")
        .data(aws_sdk_kinesis::primitives::Blob::new(poison.to_vec()))
        .send()
        .await
        .unwrap();
    for order in after {
        let response = put_record::handle(&producer, post(&order.to_request_body())).await;
        assert_eq!(response.status_code, 200, "{:?}", response.body);
    }
    let event = read_stream(&kinesis, &producer.stream_name).await;
    assert_eq!(event.records.len(), 41);

    let response = put_item::handle(&consumer, event.clone()).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(failed, vec![put.sequence_number.clone()]);
    let items = scan(&dynamodb, &consumer.table_name).await;
    assert_eq!(items.len(), 40, "every valid order is in the table");
    assert!(
        items
            .iter()
            .all(|item| item["orderid"].as_s().unwrap() != "poison-1")
    );

    // What the CLI sees when it re-drives the same records: why the poison cannot be written.
    let processed = put_item::process(&consumer, &event.records).await;
    assert_eq!(processed.written, 40);
    assert_eq!(processed.failures.len(), 1);
    let failure = &processed.failures[0];
    assert_eq!(failure.sequence_number, put.sequence_number);
    assert_eq!(failure.kind, FailureKind::Unstorable);
    assert!(
        failure
            .reason
            .contains("unitprice must be at most 9.9999999999999999999999999999999999999E+125"),
        "{}",
        failure.reason
    );
}

/// The emulator is the real judge of what DynamoDB stores: the numbers `item::check` refuses it
/// refuses too (the whole call, with ValidationException), and the ones at the edge of the
/// range it stores. (AWS is stricter than moto at exactly 1E+126 and beyond 38 digits; those
/// edges are unit-tested against AWS's documented rule in `orders::number`.)
#[tokio::test]
async fn the_emulator_refuses_the_numbers_the_item_check_refuses() {
    let config = sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table = create_orders_table(&dynamodb, "numbers").await;
    let item_with_price = |orderid: &str, unitprice: f64| {
        let mut order = orders(1).remove(0);
        order.orderid = Some(orderid.to_owned());
        order.details.unitprice = unitprice;
        let meta = RecordMeta {
            sequence_number: "1".into(),
            arrived_at_ms: 0,
            written_at_ms: 0,
        };
        to_item(&order, &meta)
    };
    let write = |items: Vec<std::collections::HashMap<String, AttributeValue>>| {
        let requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder().set_item(Some(item)).build().unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        dynamodb
            .batch_write_item()
            .request_items(&table, requests)
            .send()
    };
    for (i, refused) in [1e200, 5e-324, 1e-131, 1e127].into_iter().enumerate() {
        let item = item_with_price(&format!("refused-{i}"), refused);
        assert!(orders::item::check(&item).is_err(), "{refused:e}");
        let fine = item_with_price(&format!("fine-{i}"), 4.5);
        let err = write(vec![fine, item])
            .await
            .expect_err(&format!("{refused:e} stored"));
        assert_eq!(err.code(), Some("ValidationException"), "{refused:e}");
        let message = err.message().unwrap_or_default();
        assert!(
            message.contains("Number overflow") || message.contains("Number underflow"),
            "{message}"
        );
    }
    for (i, stored) in [9.999999999999998e125, 1e-130, 4.5].into_iter().enumerate() {
        let item = item_with_price(&format!("stored-{i}"), stored);
        assert_eq!(orders::item::check(&item), Ok(()), "{stored:e}");
        write(vec![item])
            .await
            .unwrap_or_else(|err| panic!("{stored:e}: {err:?}"));
    }
}
