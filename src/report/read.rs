//! Reading a window's measurements for the stack's functions: CloudWatch series and
//! percentiles, billed durations from Lambda Insights, and each consumer's stream → table delay
//! from its table (`demo report`, and `demo sweep` for each of its runs).

use std::collections::HashMap;
use std::time::SystemTime;

use super::error::ReportError;
use super::metrics::{Measured, Target};
use super::role::Role;
use super::{Context, Readings, Subject, billed, latency};
use crate::aws::Clients;
use crate::deploy::resources::Deployed;
use crate::model::Consumer;
use crate::model::batching::{Batching, DEFAULT_PARALLELIZATION};

/// Producer, consumer 1, consumer 2, from what is deployed.
pub(crate) fn subjects(deployed: &Deployed) -> Vec<Subject> {
    let mut subjects = Vec::new();
    if let Some(function) = deployed.functions.get("put-record") {
        subjects.push(Subject {
            role: Role::Producer,
            function: function.clone(),
            mapping_uuid: None,
            batching: None,
            table: None,
        });
    }
    for consumer in Consumer::ALL {
        let Some(function) = deployed.functions.get(consumer.function()) else {
            continue;
        };
        let mapping = deployed.mappings.iter().find(|m| m.consumer == consumer);
        subjects.push(Subject {
            role: Role::Consumer(consumer),
            function: function.clone(),
            mapping_uuid: mapping.map(|m| m.uuid.clone()),
            batching: mapping.and_then(|m| {
                Some(Batching {
                    batch_size: m.batch_size?,
                    window_seconds: m.window_seconds?,
                    parallelization: m.parallelization.unwrap_or(DEFAULT_PARALLELIZATION),
                })
            }),
            table: deployed.tables.get(consumer.index()).cloned(),
        });
    }
    subjects
}

/// Metrics, then the extras: percentiles, billed durations and the tables' delays. When an
/// endpoint cannot answer an extra, the report says so and goes on.
pub(crate) async fn read(
    clients: &Clients,
    context: &Context,
    now: SystemTime,
) -> Result<Readings, ReportError> {
    let targets: Vec<Target> = context
        .subjects
        .iter()
        .map(|s| Target {
            function: s.function.clone(),
            mapping_uuid: s.mapping_uuid.clone(),
        })
        .collect();
    let window = context.window;
    let period = window.series_period(now);
    let series = Measured::read(&clients.cloudwatch, &targets, window, period).await?;
    let mut notes = Vec::new();
    // One period spanning the window, which is whole periods of CloudWatch's granularity
    // (`Window::aligned`): exactly one bucket, not the larger of two.
    let percentiles = Measured::read_percentiles(
        &clients.cloudwatch,
        &targets,
        window,
        window.whole_period(now),
    )
    .await
    .unwrap_or_else(|err| {
        notes.push(if clients.is_emulator() {
            "percentiles (p50, p99) unavailable: the emulator does not compute them".into()
        } else {
            format!("percentiles (p50, p99) unavailable: {}", one_line(&err))
        });
        Measured::default()
    });
    let names: Vec<String> = targets.iter().map(|t| t.function.clone()).collect();
    let billed = billed::read(&clients.logs, &names, window, period)
        .await
        .unwrap_or_else(|err| {
            notes.push(format!(
                "billed durations from Lambda Insights unavailable: {}",
                one_line(&err)
            ));
            Default::default()
        });
    let latency = read_latency(clients, context, &mut notes).await;
    Ok(Readings {
        series,
        percentiles,
        billed,
        latency,
        notes,
    })
}

/// The first line of an error, short enough for a note (`-v` logs the whole of it).
fn one_line(err: &ReportError) -> String {
    let text = err.to_string();
    let mut first = text.lines().next().unwrap_or_default().to_owned();
    // Keep the status of an answer the SDK could not parse, not the HTML page that came with it.
    if let Some(at) = first.find(" (HTTP ") {
        let status: String = first[at + 7..].chars().take(3).collect();
        first = format!("{} (HTTP {status})", &first[..at]);
    }
    match first.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &first[..cut]),
        None => first,
    }
}

/// Each consumer's stream → table delay, from its items; like the other extras, a table that
/// cannot be read (no dynamodb:Scan permission, say) costs a note, not the report.
async fn read_latency(
    clients: &Clients,
    context: &Context,
    notes: &mut Vec<String>,
) -> HashMap<String, latency::TableLatency> {
    let mut latencies = HashMap::new();
    for subject in &context.subjects {
        let Some(table) = &subject.table else {
            continue;
        };
        match latency::stream_to_table(&clients.dynamodb, table, context.window).await {
            Ok(measured) => {
                if measured.sampled {
                    notes.push(format!(
                        "stream → table of {} from the first {} items scanned of {table}",
                        subject.function,
                        latency::MAX_SCANNED
                    ));
                }
                latencies.insert(subject.function.clone(), measured);
            }
            Err(err) => notes.push(format!(
                "stream → table latency of {} unavailable: {}",
                subject.function,
                one_line(&err)
            )),
        }
    }
    latencies
}
