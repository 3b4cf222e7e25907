//! `--verify` / `demo verify`: waits, bounded, until every accepted order is in both tables, then
//! reports per table what was found, what is missing, and how long orders took to land.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use futures::StreamExt;
use orders::item::KEY;
use serde::Serialize;
use tokio::time::Instant;

use crate::load::error::LoadError;
use crate::load::ids::Expected;
use crate::load::stats::{Latencies, LatencySummary, MILLIS};
use crate::load::target::{TableNames, Tables};
use crate::terminal::{ProgressMode, Spinner};

/// BatchGetItem takes at most 100 keys per call.
const BATCH: usize = 100;
/// BatchGetItem calls in flight per table.
const IN_FLIGHT: usize = 4;
/// How many missing ids the report lists.
const SHOWN_MISSING: usize = 5;

/// Where `--verify` / `demo verify` look, and for how long.
#[derive(Debug, Clone)]
pub(crate) struct VerifySettings {
    pub(crate) tables: TableNames,
    pub(crate) timeout: Duration,
}

/// What `demo verify` was asked for.
#[derive(Debug, Clone)]
pub(crate) struct VerifyRequest {
    pub(crate) ids_file: std::path::PathBuf,
    pub(crate) verify: VerifySettings,
}

/// What to look for, where, and for how long.
#[derive(Debug, Clone)]
pub(crate) struct VerifyPlan {
    pub(crate) tables: Tables,
    pub(crate) expected: Vec<Expected>,
    pub(crate) timeout: Duration,
}

#[derive(Debug, Serialize)]
pub(crate) struct VerifyReport {
    /// Distinct accepted orders looked for.
    pub(crate) expected: u64,
    pub(crate) waited_s: f64,
    pub(crate) tables: Vec<TableReport>,
}

#[derive(Debug, Serialize)]
pub(crate) struct TableReport {
    pub(crate) role: &'static str,
    pub(crate) table: String,
    pub(crate) found: u64,
    pub(crate) missing: u64,
    /// Ids listed more than once as accepted, or returned more than once by the table: an
    /// accepted order must be exactly one item, so anything here is a bug.
    pub(crate) duplicates: u64,
    /// The first few missing ids.
    missing_ids: Vec<String>,
    /// `writtenat − arrivedat`: Kinesis arrival to DynamoDB write (batching window included).
    pub(crate) stream_to_table: Option<LatencySummary>,
    /// `writtenat −` the client's send time: what a user waits, end to end.
    client_to_table: Option<LatencySummary>,
}

/// Progress of one table.
struct TableState {
    role: &'static str,
    name: String,
    pending: Vec<String>,
    sent_at: HashMap<String, i64>,
    duplicates: u64,
    found: u64,
    stream: Latencies,
    client: Latencies,
}

/// What the table holds for one order.
struct Seen {
    orderid: String,
    arrived_at_ms: Option<i64>,
    written_at_ms: Option<i64>,
}

pub(crate) async fn verify(
    client: &Client,
    plan: &VerifyPlan,
    mode: ProgressMode,
) -> Result<VerifyReport, LoadError> {
    let start = Instant::now();
    let deadline = start + plan.timeout;
    let mut tables = [
        TableState::new("table-1", &plan.tables.table_1, &plan.expected),
        TableState::new("table-2", &plan.tables.table_2, &plan.expected),
    ];
    let expected = tables[0].pending.len() as u64;
    let mut status = Spinner::start(mode, "");
    let mut pause = Duration::from_millis(500);
    loop {
        for table in &mut tables {
            table.poll(client).await?;
        }
        let counts: Vec<String> = tables
            .iter()
            .map(|t| format!("{} {}/{expected}", t.role, t.found))
            .collect();
        status.set(format!("verify: found in {}", counts.join(", ")));
        let now = Instant::now();
        if tables.iter().all(|t| t.pending.is_empty()) || now >= deadline {
            break;
        }
        tokio::time::sleep(pause.min(deadline - now)).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
    Ok(VerifyReport {
        expected,
        waited_s: start.elapsed().as_secs_f64(),
        tables: tables.into_iter().map(TableState::report).collect(),
    })
}

impl TableState {
    fn new(role: &'static str, name: &str, expected: &[Expected]) -> Self {
        let mut seen = HashSet::new();
        let mut pending = Vec::new();
        let mut sent_at = HashMap::new();
        let mut duplicates = 0;
        for order in expected {
            if !seen.insert(order.orderid.as_str()) {
                duplicates += 1;
                continue;
            }
            pending.push(order.orderid.clone());
            if let Some(at) = order.sent_at_ms {
                sent_at.insert(order.orderid.clone(), at);
            }
        }
        Self {
            role,
            name: name.to_owned(),
            pending,
            sent_at,
            duplicates,
            found: 0,
            stream: Latencies::default(),
            client: Latencies::default(),
        }
    }

    /// Looks up every pending id once.
    async fn poll(&mut self, client: &Client) -> Result<(), LoadError> {
        let lookups: Vec<_> = self
            .pending
            .chunks(BATCH)
            .map(|chunk| batch_get(client, &self.name, self.role, chunk))
            .collect();
        let results: Vec<Result<Vec<Seen>, LoadError>> = futures::stream::iter(lookups)
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut found = HashSet::new();
        for seen in results
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
        {
            if !found.insert(seen.orderid.clone()) {
                self.duplicates += 1;
                continue;
            }
            if let Some(written) = seen.written_at_ms {
                if let Some(arrived) = seen.arrived_at_ms {
                    self.stream.record_signed(written - arrived);
                }
                if let Some(sent) = self.sent_at.get(&seen.orderid) {
                    self.client.record_signed(written - sent);
                }
            }
        }
        self.found += found.len() as u64;
        self.pending.retain(|id| !found.contains(id));
        Ok(())
    }

    fn report(self) -> TableReport {
        TableReport {
            role: self.role,
            table: self.name,
            found: self.found,
            missing: self.pending.len() as u64,
            duplicates: self.duplicates,
            missing_ids: self.pending.iter().take(SHOWN_MISSING).cloned().collect(),
            stream_to_table: self.stream.summary(MILLIS),
            client_to_table: self.client.summary(MILLIS),
        }
    }
}

/// One BatchGetItem of up to 100 keys, retrying UnprocessedKeys (throttling) with backoff a
/// bounded number of times; what is still unprocessed then counts as not found yet.
async fn batch_get(
    client: &Client,
    table: &str,
    role: &'static str,
    ids: &[String],
) -> Result<Vec<Seen>, LoadError> {
    let key = |id: &String| HashMap::from([(KEY.to_owned(), AttributeValue::S(id.clone()))]);
    let mut request = Some(
        KeysAndAttributes::builder()
            .set_keys(Some(ids.iter().map(key).collect()))
            .projection_expression(format!("{KEY}, arrivedat, writtenat"))
            .consistent_read(true)
            .build()
            .expect("keys are set"),
    );
    let mut seen = Vec::new();
    let mut wait = Duration::from_millis(50);
    for _ in 0..8 {
        let Some(keys) = request.take() else { break };
        let response = client
            .batch_get_item()
            .request_items(table, keys)
            .send()
            .await
            .map_err(|error| LoadError::Dynamodb {
                table: table.to_owned(),
                role,
                source: Box::new(error.into()),
            })?;
        let items = response
            .responses
            .unwrap_or_default()
            .remove(table)
            .unwrap_or_default();
        seen.extend(items.iter().filter_map(seen_of));
        request = response
            .unprocessed_keys
            .unwrap_or_default()
            .remove(table)
            .filter(|keys| !keys.keys.is_empty());
        if request.is_some() {
            tokio::time::sleep(wait.mul_f64(0.5 + fastrand::f64() / 2.0)).await;
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }
    Ok(seen)
}

fn seen_of(item: &HashMap<String, AttributeValue>) -> Option<Seen> {
    let number = |name: &str| item.get(name)?.as_n().ok()?.parse::<i64>().ok();
    Some(Seen {
        orderid: item.get(KEY)?.as_s().ok()?.clone(),
        arrived_at_ms: number("arrivedat"),
        written_at_ms: number("writtenat"),
    })
}

impl VerifyReport {
    /// Anything missing or duplicated is a failure.
    pub(crate) fn outcome(&self) -> Result<(), LoadError> {
        let missing: u64 = self.tables.iter().map(|t| t.missing).max().unwrap_or(0);
        let duplicates: u64 = self.tables.iter().map(|t| t.duplicates).sum();
        if missing > 0 || duplicates > 0 {
            return Err(LoadError::Unverified {
                missing,
                duplicates,
                expected: self.expected,
                waited_s: self.waited_s,
            });
        }
        Ok(())
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "verified    {} accepted orders against 2 tables, waited {:.1} s",
            self.expected, self.waited_s
        )?;
        for table in &self.tables {
            writeln!(
                f,
                "{:<11} {}: found {}, missing {}, duplicates {}",
                table.role, table.table, table.found, table.missing, table.duplicates
            )?;
            if let Some(latency) = &table.stream_to_table {
                writeln!(f, "  stream → table  {latency}")?;
            }
            if let Some(latency) = &table.client_to_table {
                writeln!(f, "  client → table  {latency}")?;
            }
            if !table.missing_ids.is_empty() {
                writeln!(f, "  missing, e.g. {}", table.missing_ids.join(", "))?;
            }
        }
        Ok(())
    }
}
