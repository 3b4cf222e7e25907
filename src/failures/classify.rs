//! What became of each record of a given-up range, decided with the functions' own code: is it
//! an order at all (the consumer's decoder), can DynamoDB store it (the item check), and is it
//! in the consumer's table already (a range often holds records written before or after the
//! one that failed).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kinesis::primitives::DateTimeFormat;
use aws_sdk_kinesis::types::Record;
use orders::Order;
use orders::item::{KEY, RecordMeta, to_item};
use serde::Serialize;

use super::error::CallFailed;

/// Longest preview of a record that is not an order.
const DATA_PREVIEW_CHARS: usize = 200;

/// Where a record stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub(crate) enum RecordState {
    /// Its order is in the consumer's table.
    Written,
    /// Not an order: no table takes it.
    NotAnOrder(String),
    /// An order DynamoDB refuses to store.
    Unstorable(String),
    /// An order missing from the table that can be written now (`--redrive` writes it).
    Writable,
    /// Written by this run's `--redrive`.
    Redriven,
    /// `--redrive` tried and the consumer could not write it.
    StillFailing(String),
    /// The function is not one of this stack's consumers, so there is no table to check.
    Unchecked(String),
}

impl RecordState {
    /// In the table, one way or another.
    pub(crate) fn is_written(&self) -> bool {
        matches!(self, RecordState::Written | RecordState::Redriven)
    }
}

/// One record of a given-up range.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FailedRecord {
    pub(crate) sequence_number: String,
    pub(crate) partition_key: String,
    /// Kinesis arrival time (RFC 3339).
    pub(crate) arrived_at: Option<String>,
    /// The order, when the record is one.
    pub(crate) order: Option<Order>,
    /// The start of the record's data when it is not an order (cut at 200 characters).
    pub(crate) data: Option<String>,
    #[serde(flatten)]
    pub(crate) state: RecordState,
    #[serde(skip)]
    pub(crate) record: Record,
}

/// Decodes `record` and, for an order, asks `table` whether it holds it.
pub(crate) async fn classify(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: Option<&str>,
    record: Record,
) -> Result<FailedRecord, CallFailed> {
    let mut failed = FailedRecord {
        sequence_number: record.sequence_number().to_owned(),
        partition_key: record.partition_key().to_owned(),
        arrived_at: record
            .approximate_arrival_timestamp()
            .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        order: None,
        data: None,
        state: RecordState::Writable,
        record,
    };
    let order = match Order::from_record(failed.record.data().as_ref()) {
        Ok(order) => order,
        Err(reason) => {
            failed.data = Some(preview(failed.record.data().as_ref()));
            failed.state = RecordState::NotAnOrder(reason.to_string());
            return Ok(failed);
        }
    };
    failed.state = match table {
        None => RecordState::Unchecked("no table of this stack belongs to that function".into()),
        Some(table) if in_table(dynamodb, table, &order).await? => RecordState::Written,
        Some(_) => match unstorable(&order, &failed.record) {
            Some(reason) => RecordState::Unstorable(reason),
            None => RecordState::Writable,
        },
    };
    failed.order = Some(order);
    Ok(failed)
}

/// Why DynamoDB would refuse the item this record becomes, if it would.
fn unstorable(order: &Order, record: &Record) -> Option<String> {
    let meta = RecordMeta {
        sequence_number: record.sequence_number().to_owned(),
        arrived_at_ms: 0,
        written_at_ms: 0,
    };
    orders::item::check(&to_item(order, &meta))
        .err()
        .map(|reason| reason.to_string())
}

async fn in_table(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    order: &Order,
) -> Result<bool, CallFailed> {
    let key = HashMap::from([(
        KEY.to_owned(),
        AttributeValue::S(order.orderid.clone().unwrap_or_default()),
    )]);
    let output = dynamodb
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|err| CallFailed {
            call: "GetItem",
            target: table.to_owned(),
            detail: aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
        })?;
    Ok(output.item.is_some())
}

/// Text for bytes that are not an order: UTF-8 where it is, cut to a readable length.
fn preview(data: &[u8]) -> String {
    orders::shorten_to(&String::from_utf8_lossy(data), DATA_PREVIEW_CHARS).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_record_is_cut_and_says_how_long_it_was() {
        assert_eq!(preview(b"not json"), "not json");
        let long = preview(&[b'x'; 500]);
        assert!(long.starts_with(&"x".repeat(200)));
        assert!(long.ends_with("… (500 characters)"), "{long}");
        assert_eq!(preview(&[0xff, b'a']), "\u{fffd}a");
    }

    #[test]
    fn written_covers_records_written_before_and_by_a_redrive() {
        assert!(RecordState::Written.is_written());
        assert!(RecordState::Redriven.is_written());
        assert!(!RecordState::Writable.is_written());
        assert!(!RecordState::NotAnOrder("x".into()).is_written());
    }
}
