//! Emulator resources the tests make for themselves: a stream and an orders table.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};

use super::unique_name;

/// A new stream named `<prefix>-<unique>` with `shards` shards.
pub async fn create_stream(kinesis: &aws_sdk_kinesis::Client, prefix: &str, shards: i32) -> String {
    let name = unique_name(prefix);
    create_stream_named(kinesis, &name, shards).await;
    name
}

/// A stream with exactly this name (and no tags).
pub async fn create_stream_named(kinesis: &aws_sdk_kinesis::Client, name: &str, shards: i32) {
    kinesis
        .create_stream()
        .stream_name(name)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
}

/// A new table keyed as the stack's are (orderid), named `<prefix>-<unique>`.
pub async fn create_orders_table(dynamodb: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let name = unique_name(prefix);
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    dynamodb
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("orderid"))
        .key_schema(key("orderid", KeyType::Hash))
        .send()
        .await
        .expect("create table");
    name
}

/// Every record on the stream, read from TRIM_HORIZON as Lambda's poller reads it, shaped as
/// the Kinesis event Lambda hands a consumer.
pub async fn stream_as_event(kinesis: &aws_sdk_kinesis::Client, stream: &str) -> serde_json::Value {
    use base64::Engine;
    let shards = kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .unwrap();
    let mut records = Vec::new();
    for shard in shards.shards() {
        let iterator = kinesis
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator
            .unwrap();
        let output = kinesis
            .get_records()
            .shard_iterator(iterator)
            .limit(10_000)
            .send()
            .await
            .unwrap();
        for record in output.records() {
            let arrival = record.approximate_arrival_timestamp().unwrap();
            records.push(serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key(),
                    "sequenceNumber": record.sequence_number(),
                    "data": base64::engine::general_purpose::STANDARD.encode(record.data().as_ref()),
                    "approximateArrivalTimestamp": arrival.as_secs_f64(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{}:{}", shard.shard_id(), record.sequence_number()),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/put-item",
                "awsRegion": "ap-southeast-2",
                "eventSourceARN": format!("arn:aws:kinesis:ap-southeast-2:123456789012:stream/{stream}"),
            }));
        }
    }
    serde_json::json!({ "Records": records })
}
