//! `--redrive`: writes the records that can be written now through the consumer's own handler
//! (the same decoding, item and idempotent write as in Lambda: same key, same item), into the
//! table of the consumer that gave them up.

use crate::aws::Clients;
use crate::deploy::resources::Deployed;
use crate::local::event::{Source, kinesis_event};

use super::{FailedBatch, RecordState};

/// Hands each batch's writable records to its consumer and records the outcome per record.
pub(crate) async fn run(clients: &Clients, deployed: &Deployed, batches: &mut [FailedBatch]) {
    for batch in batches.iter_mut() {
        let Some(table) = batch.consumer.and_then(|c| deployed.tables.get(c.index())) else {
            continue;
        };
        let writable: Vec<_> = batch
            .records
            .iter()
            .filter(|r| r.state == RecordState::Writable)
            .map(|r| r.record.clone())
            .collect();
        if writable.is_empty() {
            continue;
        }
        let consumer = put_item::Consumer {
            dynamodb: clients.dynamodb.clone(),
            table_name: table.clone(),
            settings: put_item::WriteSettings::default(),
        };
        let source = Source {
            stream_arn: batch.stream_arn.clone(),
            region: clients.region.clone(),
        };
        let event = kinesis_event(&source, &batch.shard_id, &writable);
        let processed = put_item::process(&consumer, &event.records).await;
        for record in batch
            .records
            .iter_mut()
            .filter(|r| r.state == RecordState::Writable)
        {
            let failure = processed
                .failures
                .iter()
                .find(|f| f.sequence_number == record.sequence_number);
            record.state = match failure {
                Some(failure) => {
                    RecordState::StillFailing(format!("{} ({})", failure.reason, failure.kind))
                }
                None => RecordState::Redriven,
            };
        }
    }
}
