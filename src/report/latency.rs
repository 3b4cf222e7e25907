//! How long records took from the stream to a consumer's table, read from the table itself:
//! every item carries `arrivedat` (Kinesis arrival) and `writtenat` (the consumer's write), so
//! the batching delay is measured on the data, on AWS and on the emulator alike.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::error::ReportError;
use super::window::Window;
use crate::aws::AwsError;
use crate::epoch;
use crate::load::stats::{Latencies, LatencySummary, MILLIS};

/// A Scan reads the whole table whatever the filter (and is billed for it): stop after this
/// many items and say the figure is a sample.
pub(crate) const MAX_SCANNED: i64 = 500_000;

/// The latency of the items written in the window, and whether the scan stopped early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TableLatency {
    pub(crate) summary: Option<LatencySummary>,
    pub(crate) sampled: bool,
}

pub(crate) async fn stream_to_table(
    dynamodb: &Client,
    table: &str,
    window: Window,
) -> Result<TableLatency, ReportError> {
    let mut latencies = Latencies::default();
    let mut scanned = 0;
    let mut start_key = None;
    loop {
        let page = dynamodb
            .scan()
            .table_name(table)
            .projection_expression("arrivedat, writtenat")
            .filter_expression("writtenat BETWEEN :from AND :to")
            .expression_attribute_values(":from", millis(epoch::seconds(window.start)))
            .expression_attribute_values(":to", millis(epoch::seconds(window.end)))
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .map_err(|err| {
                AwsError::from_sdk(format!("read the items of {table} (dynamodb:Scan)"), err)
            })?;
        for item in page.items() {
            if let Some(delay) = delay_ms(item) {
                latencies.record_signed(delay);
            }
        }
        scanned += i64::from(page.scanned_count());
        start_key = page.last_evaluated_key.filter(|key| !key.is_empty());
        if start_key.is_none() || scanned >= MAX_SCANNED {
            return Ok(TableLatency {
                summary: latencies.summary(MILLIS),
                sampled: start_key.is_some(),
            });
        }
    }
}

fn millis(seconds: i64) -> AttributeValue {
    AttributeValue::N((seconds * 1000).to_string())
}

/// `writtenat − arrivedat`, in ms.
fn delay_ms(item: &HashMap<String, AttributeValue>) -> Option<i64> {
    let number = |name: &str| item.get(name)?.as_n().ok()?.parse::<i64>().ok();
    Some(number("writtenat")? - number("arrivedat")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_is_write_minus_arrival() {
        let item = HashMap::from([
            ("arrivedat".to_owned(), AttributeValue::N("1000".into())),
            ("writtenat".to_owned(), AttributeValue::N("31500".into())),
        ]);
        assert_eq!(delay_ms(&item), Some(30_500));
        assert_eq!(delay_ms(&HashMap::new()), None);
    }
}
