//! The coffee order: what the API accepts, what travels on the stream, what lands in DynamoDB.
//!
//! One model shared by the producer, the consumers and the CLI's load generator, so that the
//! three can never disagree on the format (see PRODUCT.md, "The order").

pub mod catalog;
#[cfg(feature = "dynamodb")]
pub mod item;
pub mod lambda_log;
pub mod number;
mod quote;
pub mod sdk_error;
mod validate;

use serde::{Deserialize, Serialize};

pub use quote::{MAX_QUOTED_CHARS, shorten, shorten_to};
pub use validate::{MAX_BODY_BYTES, OrderError};

/// The request body the API takes: `{"order": {...}}`, as the original notebook posted it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    pub order: Order,
}

/// One order. `orderid` is optional on the way in (the producer assigns one) and always set on
/// the stream and in the tables: it is the partition key on the stream and the sort key in DynamoDB.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orderid: Option<String>,
    pub accountid: String,
    pub orderdate: String,
    pub vendorid: String,
    pub city: String,
    pub details: Details,
}

/// What was ordered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Details {
    pub coffeetype: String,
    pub coffeesize: String,
    pub unitprice: f64,
    pub quantity: u32,
}

impl Details {
    /// The number attributes of the item and their exact text: what the producer checks is
    /// what the consumer writes.
    pub fn number_texts(&self) -> [(&'static str, String); 2] {
        [
            ("unitprice", number::text_of(self.unitprice)),
            ("quantity", self.quantity.to_string()),
        ]
    }
}

impl Order {
    /// Parses and validates an API request body. Nothing about the order is trusted until this
    /// returns `Ok`, and then DynamoDB can store it: every number is checked as the item will
    /// carry it (see [`number`]).
    pub fn from_request_body(body: &[u8]) -> Result<Order, OrderError> {
        let request: OrderRequest = validate::parse(body, "")?;
        request.order.validate("order")?;
        request.order.validate_storable("order")?;
        Ok(request.order)
    }

    /// Parses and validates a stream record written by the producer; unlike a request, a record
    /// must carry its `orderid`.
    ///
    /// Whether the table can store the order is not judged here but by `item::check` on the
    /// item itself: a record put on the stream by something other than today's producer may be a
    /// well-formed order with a number DynamoDB refuses, and the consumer reports it as such.
    pub fn from_record(data: &[u8]) -> Result<Order, OrderError> {
        let order: Order = validate::parse(data, "")?;
        order.validate("")?;
        if order.orderid.is_none() {
            return Err(OrderError::new("orderid", "is required on a stream record"));
        }
        Ok(order)
    }

    /// Keeps a client-sent `orderid` (so a client retry cannot create a second order) and
    /// otherwise assigns a fresh, time-ordered one. Returns the id.
    pub fn ensure_id(&mut self) -> &str {
        self.orderid
            .get_or_insert_with(|| uuid::Uuid::now_v7().to_string())
    }

    /// The Kinesis partition key: the order id, so orders spread evenly over shards (the original
    /// used one fixed key and so one shard).
    pub fn partition_key(&self) -> Option<&str> {
        self.orderid.as_deref()
    }

    /// The record data the producer puts on the stream: the order itself, id included.
    pub fn to_record(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an order always serialises")
    }

    /// The request body the load generator posts.
    pub fn to_request_body(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Envelope<'a> {
            order: &'a Order,
        }
        serde_json::to_vec(&Envelope { order: self }).expect("an order always serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Order {
        Order {
            orderid: None,
            accountid: "a0".into(),
            orderdate: "2021-12-01 10:11:12.123456".into(),
            vendorid: "v1".into(),
            city: "Hobart".into(),
            details: Details {
                coffeetype: "Latte".into(),
                coffeesize: "Large".into(),
                unitprice: 4.5,
                quantity: 3,
            },
        }
    }

    #[test]
    fn request_body_round_trips() {
        let order = sample();
        let parsed = Order::from_request_body(&order.to_request_body()).unwrap();
        assert_eq!(parsed, order);
    }

    #[test]
    fn client_sent_id_is_kept_and_missing_id_is_assigned() {
        let mut order = sample();
        order.orderid = Some("client-1".into());
        assert_eq!(order.ensure_id(), "client-1");

        let mut order = sample();
        let assigned = order.ensure_id().to_owned();
        assert_eq!(assigned.len(), 36);
        assert_eq!(order.partition_key(), Some(assigned.as_str()));
        assert_ne!(sample().ensure_id(), assigned, "ids are unique");
    }

    #[test]
    fn record_requires_an_id() {
        let order = sample();
        let err = Order::from_record(&order.to_record()).unwrap_err();
        assert_eq!(err.field, "orderid");

        let mut order = sample();
        order.ensure_id();
        assert_eq!(Order::from_record(&order.to_record()).unwrap(), order);
    }
}
