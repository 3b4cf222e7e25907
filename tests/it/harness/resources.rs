//! Emulator resources the tests make for themselves: a stream and an orders table.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};

use super::unique_name;

/// A new stream named `<prefix>-<unique>` with `shards` shards.
pub async fn create_stream(kinesis: &aws_sdk_kinesis::Client, prefix: &str, shards: i32) -> String {
    let name = unique_name(prefix);
    kinesis
        .create_stream()
        .stream_name(&name)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
    name
}

/// A new table keyed as the stack's are (accountid + orderid), named `<prefix>-<unique>`.
pub async fn create_orders_table(dynamodb: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let name = unique_name(prefix);
    create_table_named(dynamodb, &name).await;
    name
}

/// A table keyed as the stack's are, with exactly this name.
pub async fn create_table_named(dynamodb: &aws_sdk_dynamodb::Client, name: &str) {
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
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("accountid"))
        .attribute_definitions(attribute("orderid"))
        .key_schema(key("accountid", KeyType::Hash))
        .key_schema(key("orderid", KeyType::Range))
        .send()
        .await
        .expect("create table");
}
