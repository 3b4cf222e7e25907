//! `demo report`: what each function did and cost in a window, the two consumers side by side.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::artifacts::Arch;
use crate::aws::{Clients, connect};
use crate::deploy::batching::{Batching, DEFAULT_PARALLELIZATION};
use crate::deploy::names::CONSUMERS;
use crate::deploy::plan::DeployedState;
use crate::deploy::resources::{self, Deployed};
use crate::deploy::{DeployError, stack};
use crate::error::CliError;
use crate::output;
use crate::report::cost::{PUBLISHED, PriceOverrides};
use crate::report::metrics::{Measured, Target};
use crate::report::window::{Since, Window};
use crate::report::{self, Context, Readings, Subject, billed, chart, latency, series};
use crate::settings::Settings;

/// What the flags asked for, checked before any AWS call.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSettings {
    pub since: Option<Since>,
    pub chart: Option<PathBuf>,
    pub prices: PriceOverrides,
}

pub async fn run(settings: &Settings, args: ReportSettings) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    let current = stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(&clients, name).await?;
    let now = SystemTime::now();
    let window = Window::resolve(args.since, last_change(&current, &deployed), now)
        .map_err(CliError::Usage)?;
    let arch = match current.parameters.get("Architecture").map(String::as_str) {
        Some("x86_64") => Arch::X86_64,
        _ => Arch::Arm64,
    };
    let context = Context {
        stack: name.clone(),
        region: clients.region.clone(),
        window,
        window_basis: match args.since {
            Some(_) => "from --since".into(),
            None => "since the last up or tune".into(),
        },
        memory_mb: current
            .parameters
            .get("MemorySize")
            .and_then(|m| m.parse().ok())
            .unwrap_or(128.0),
        prices: PUBLISHED.for_arch(arch, args.prices),
        subjects: subjects(&deployed),
        on_lambda: !clients.is_emulator(),
    };
    let mut readings = read(&clients, &context, now).await?;
    if !clients.is_emulator() {
        readings.notes.push(
            "Lambda's metrics reach CloudWatch a minute or two after the invocations: the last minutes of the window may be incomplete".into(),
        );
    } else {
        readings.notes.push(
            "against an emulator: the figures are what was put into its CloudWatch, normally what `demo load --local` measured running the functions' handlers in-process (not Lambda, so no Lambda Insights figures)".into(),
        );
    }
    let mut report = report::build(&context, &readings);
    if let Some(path) = &args.chart {
        if report.has_data {
            chart::write(path, &series::chart(&context, &readings, &report))
                .map_err(|err| CliError::Usage(err.to_string()))?;
            report.chart = Some(path.display().to_string());
        } else {
            report
                .notes
                .push(format!("no chart drawn at {}: no data yet", path.display()));
        }
    }
    Ok(output::emit(settings.output, &report)?)
}

/// Producer, consumer 1, consumer 2, from what is deployed.
fn subjects(deployed: &Deployed) -> Vec<Subject> {
    let mut subjects = Vec::new();
    if let Some(function) = deployed.functions.get("put-record") {
        subjects.push(Subject {
            role: "producer".into(),
            function: function.clone(),
            mapping_uuid: None,
            batching: None,
            table: None,
        });
    }
    for (index, consumer) in CONSUMERS.iter().enumerate() {
        let Some(function) = deployed.functions.get(*consumer) else {
            continue;
        };
        let mapping = deployed.mappings.iter().find(|m| m.consumer == index + 1);
        subjects.push(Subject {
            role: format!("consumer {}", index + 1),
            function: function.clone(),
            mapping_uuid: mapping.map(|m| m.uuid.clone()),
            batching: mapping.and_then(|m| {
                Some(Batching {
                    batch_size: m.batch_size?,
                    window_seconds: m.window_seconds?,
                    parallelization: m.parallelization.unwrap_or(DEFAULT_PARALLELIZATION),
                })
            }),
            table: deployed.tables.get(index).cloned(),
        });
    }
    subjects
}

/// Metrics, then the extras: percentiles, billed durations and the tables' delays. When an
/// endpoint cannot answer an extra, the report says so and goes on.
async fn read(clients: &Clients, context: &Context, now: SystemTime) -> Result<Readings, CliError> {
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
fn one_line(err: &DeployError) -> String {
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

/// When the stack or a mapping last changed: the default start of the window.
fn last_change(current: &DeployedState, deployed: &Deployed) -> SystemTime {
    deployed
        .mappings
        .iter()
        .filter_map(|m| m.last_modified)
        .chain(current.last_changed)
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::deploy::mapping::Mapping;

    #[test]
    fn the_default_window_starts_at_the_latest_stack_or_mapping_change() {
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        let stack = DeployedState {
            last_changed: Some(at(1_000)),
            ..DeployedState::default()
        };
        let mapping = |modified: u64| Mapping {
            consumer: 1,
            function: "f".into(),
            uuid: "u".into(),
            batch_size: Some(100),
            window_seconds: Some(30),
            parallelization: Some(1),
            state: "Enabled".into(),
            last_modified: Some(at(modified)),
            function_arn: "arn:f".into(),
            failure: Default::default(),
        };
        let mut deployed = Deployed {
            api_url: None,
            stream: None,
            functions: Default::default(),
            tables: vec![],
            queue: None,
            mappings: vec![mapping(900)],
            dashboard: None,
            resources: vec![],
            in_emulator: false,
        };
        assert_eq!(last_change(&stack, &deployed), at(1_000));
        // A tune changes the mapping after the stack.
        deployed.mappings.push(mapping(2_000));
        assert_eq!(last_change(&stack, &deployed), at(2_000));
    }
}
