//! The DynamoDB item an order becomes: key `orderid`, so writes are idempotent.

mod check;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use crate::Order;

pub use check::{ItemError, MAX_ITEM_BYTES, MAX_PARTITION_KEY_BYTES, check, item_size};

/// The key (partition key, no sort key) of both tables: a redelivered record overwrites itself,
/// two orders with the same timestamp (the original's sort key) never collide, and writes
/// spread over partitions however many orders share an account (the notebook's all do).
pub const KEY: &str = "orderid";

/// Where and when the record carrying an order was seen, stored beside the order so end-to-end
/// latency can be measured from the tables alone.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordMeta {
    pub sequence_number: String,
    /// Kinesis `ApproximateArrivalTimestamp`, milliseconds since the epoch.
    pub arrived_at_ms: i64,
    /// When the consumer wrote the item, milliseconds since the epoch.
    pub written_at_ms: i64,
}

/// The item for `order`, which must carry an `orderid` (every stream record does).
pub fn to_item(order: &Order, meta: &RecordMeta) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let n = |v: String| AttributeValue::N(v);
    let orderid = order
        .orderid
        .as_deref()
        .expect("stream records carry an orderid");
    let [(unitprice, unitprice_text), (quantity, quantity_text)] = order.details.number_texts();
    HashMap::from([
        (KEY.to_owned(), s(orderid)),
        ("accountid".to_owned(), s(&order.accountid)),
        ("orderdate".to_owned(), s(&order.orderdate)),
        ("vendorid".to_owned(), s(&order.vendorid)),
        ("city".to_owned(), s(&order.city)),
        ("coffeetype".to_owned(), s(&order.details.coffeetype)),
        ("coffeesize".to_owned(), s(&order.details.coffeesize)),
        (unitprice.to_owned(), n(unitprice_text)),
        (quantity.to_owned(), n(quantity_text)),
        ("sequencenumber".to_owned(), s(&meta.sequence_number)),
        ("arrivedat".to_owned(), n(meta.arrived_at_ms.to_string())),
        ("writtenat".to_owned(), n(meta.written_at_ms.to_string())),
    ])
}

/// The key of an item (or of a write request's item), used to match unprocessed writes back to
/// the records they came from.
pub fn key_of(item: &HashMap<String, AttributeValue>) -> Option<String> {
    item.get(KEY)?.as_s().ok().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Details;

    #[test]
    fn item_carries_key_order_and_timings() {
        let order = Order {
            orderid: Some("o1".into()),
            accountid: "a0".into(),
            orderdate: "2021-12-01".into(),
            vendorid: "v1".into(),
            city: "Perth".into(),
            details: Details {
                coffeetype: "Latte".into(),
                coffeesize: "Small".into(),
                unitprice: 3.5,
                quantity: 2,
            },
        };
        let meta = RecordMeta {
            sequence_number: "4959".into(),
            arrived_at_ms: 1_000,
            written_at_ms: 1_250,
        };
        let item = to_item(&order, &meta);
        assert_eq!(key_of(&item), Some("o1".into()));
        assert_eq!(item["accountid"], AttributeValue::S("a0".into()));
        assert_eq!(item["unitprice"], AttributeValue::N("3.5".into()));
        assert_eq!(item["quantity"], AttributeValue::N("2".into()));
        assert_eq!(item["sequencenumber"], AttributeValue::S("4959".into()));
        assert_eq!(item["writtenat"], AttributeValue::N("1250".into()));
        assert_eq!(item.len(), 12);
    }
}
