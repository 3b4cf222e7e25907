//! Turns the Kinesis records of one invocation into DynamoDB writes, setting aside what can't be.

use std::collections::HashMap;

use aws_lambda_events::event::kinesis::KinesisEventRecord;
use aws_sdk_dynamodb::types::AttributeValue;
use orders::Order;
use orders::item::{RecordMeta, check, key_of, to_item};

/// One item to write and the record it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub sequence_number: String,
    pub item: HashMap<String, AttributeValue>,
}

/// A batch, decoded.
#[derive(Debug, Default)]
pub struct Decoded {
    /// At most one write per item key, in stream order.
    pub writes: Vec<Write>,
    /// Records that are not orders: sequence number and why.
    pub undecodable: Vec<(String, String)>,
    /// Orders whose item DynamoDB would refuse (`orders::item::check`), set aside before any
    /// call because one such item makes DynamoDB refuse every item of its call: sequence
    /// number and why.
    pub unstorable: Vec<(String, String)>,
    /// Records dropped because a later record in the same batch carries the same order (a client
    /// retry); DynamoDB refuses two writes to one key in one call, and the later one wins anyway.
    pub superseded: usize,
}

/// Decodes every record and checks its item. `written_at_ms` is stamped on every item.
pub fn decode(records: &[KinesisEventRecord], written_at_ms: i64) -> Decoded {
    let mut decoded = Decoded::default();
    let mut position_of_key: HashMap<String, usize> = HashMap::new();
    for record in records {
        let kinesis = &record.kinesis;
        let sequence_number = kinesis.sequence_number.clone();
        let order = match Order::from_record(&kinesis.data.0) {
            Ok(order) => order,
            Err(reason) => {
                decoded
                    .undecodable
                    .push((sequence_number, reason.to_string()));
                continue;
            }
        };
        let meta = RecordMeta {
            sequence_number: sequence_number.clone(),
            arrived_at_ms: kinesis.approximate_arrival_timestamp.0.timestamp_millis(),
            written_at_ms,
        };
        let item = to_item(&order, &meta);
        if let Err(reason) = check(&item) {
            decoded
                .unstorable
                .push((sequence_number, reason.to_string()));
            continue;
        }
        let key = key_of(&item).expect("items always carry their key");
        let write = Write {
            sequence_number,
            item,
        };
        match position_of_key.get(&key) {
            Some(&position) => {
                decoded.writes[position] = write;
                decoded.superseded += 1;
            }
            None => {
                position_of_key.insert(key, decoded.writes.len());
                decoded.writes.push(write);
            }
        }
    }
    decoded
}
