//! Kinesis records as read with GetRecords, shaped into the event Lambda hands a consumer.

use aws_lambda_events::event::kinesis::KinesisEvent;
use aws_sdk_kinesis::types::Record;
use base64::Engine;

/// Where the records come from, as the event names it.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) stream_arn: String,
    pub(crate) region: String,
}

/// The event for `records`, field for field as Lambda's poller builds it.
pub(crate) fn kinesis_event(source: &Source, shard_id: &str, records: &[Record]) -> KinesisEvent {
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|record| {
            let arrival = record
                .approximate_arrival_timestamp()
                .map_or(0.0, |t| t.as_secs_f64());
            serde_json::json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record.partition_key(),
                    "sequenceNumber": record.sequence_number(),
                    "data": base64::engine::general_purpose::STANDARD.encode(record.data().as_ref()),
                    "approximateArrivalTimestamp": arrival,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{shard_id}:{}", record.sequence_number()),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "",
                "awsRegion": source.region,
                "eventSourceARN": source.stream_arn,
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({ "Records": records }))
        .expect("the event Lambda sends deserializes into KinesisEvent")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::primitives::{Blob, DateTime};

    #[test]
    fn records_keep_data_key_sequence_and_arrival() {
        let record = Record::builder()
            .sequence_number("4960")
            .partition_key("order-1")
            .data(Blob::new(b"{\"orderid\":\"order-1\"}".to_vec()))
            .approximate_arrival_timestamp(DateTime::from_secs(1_800_000_000))
            .build()
            .unwrap();
        let source = Source {
            stream_arn: "arn:aws:kinesis:ap-southeast-2:123456789012:stream/s-orders".into(),
            region: "ap-southeast-2".into(),
        };
        let event = kinesis_event(&source, "shardId-000000000000", &[record]);
        let [r] = event.records.as_slice() else {
            panic!("one record expected")
        };
        assert_eq!(r.kinesis.sequence_number, "4960");
        assert_eq!(r.kinesis.partition_key, "order-1");
        assert_eq!(r.kinesis.data.0, b"{\"orderid\":\"order-1\"}");
        assert_eq!(r.event_id.as_deref(), Some("shardId-000000000000:4960"));
        assert_eq!(
            r.kinesis.approximate_arrival_timestamp.0.timestamp(),
            1_800_000_000
        );
    }
}
