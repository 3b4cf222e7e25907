//! One run of a sweep: both consumers set to their configurations, the traffic sent (the
//! `load` path; offline through the local runner), the last batch waited for, and each
//! consumer's figures read back over the run's window the way `demo report` reads them.

use std::time::{Duration, Instant, SystemTime};

use super::assemble::{Counts, Measurement};
use super::error::SweepError;
use super::grid::{Amount, Config, Run, Traffic};
use super::results::Measured;
use crate::aws::Clients;
use crate::deploy::mapping::{self, Mapping};
use crate::deploy::resources::{self, Deployed};
use crate::load::error::LoadError;
use crate::load::run::{self, LoadPlan};
use crate::local::{LocalOptions, LocalRun};
use crate::model::Consumer;
use crate::report::cost::Prices;
use crate::report::role::Role;
use crate::report::window::Window;
use crate::report::{self, BilledSource, Context, FunctionReport};
use crate::terminal::{self, ProgressMode};

/// Lambda's metrics reach CloudWatch a minute or two after the invocations: on AWS each run's
/// figures are read after this long.
const AWS_METRICS_DELAY: Duration = Duration::from_secs(150);
/// Margin after a run, for clock differences between this machine and the service.
const WINDOW_MARGIN: Duration = Duration::from_secs(1);
/// On AWS, while a consumer's metrics count fewer records than the run's orders, they are read
/// again this often, at most `LATE_READS` times: a run read too early would look cheap.
const LATE_READ_INTERVAL: Duration = Duration::from_secs(30);
const LATE_READS: u32 = 4;

/// What every run shares.
pub(crate) struct Sweep<'a> {
    pub(crate) clients: &'a Clients,
    pub(crate) stack: &'a str,
    /// Each consumer's mapping (consumer 1 first).
    pub(crate) mappings: &'a [Mapping; 2],
    pub(crate) traffic: Traffic,
    pub(crate) memory_mb: f64,
    pub(crate) prices: Prices,
}

/// What one run measured, the rate its orders went out at, and what the reading noted.
pub(crate) struct RunOutcome {
    pub(crate) measurements: Vec<Measurement>,
    pub(crate) achieved_rate: f64,
    pub(crate) notes: Vec<String>,
}

/// A run's window read back: each consumer's measurement, and the report's notes (an extra
/// that could not be read, a sampled table).
#[derive(Debug)]
struct ReadBack {
    measurements: Vec<Measurement>,
    notes: Vec<String>,
}

/// Sets the configurations, sends the traffic, waits for the last batch and reads the figures.
pub(crate) async fn run(sweep: &Sweep<'_>, planned: &Run) -> Result<RunOutcome, SweepError> {
    let started = Instant::now();
    for (mapping, config) in sweep.mappings.iter().zip(planned.configs()) {
        mapping::set(sweep.clients, mapping, config.batching(), started).await?;
    }
    let deployed = resources::deployed(sweep.clients, sweep.stack).await?;
    let start = next_minute().await;
    let (accepted, elapsed) = if sweep.clients.is_emulator() {
        send_locally(sweep, &deployed).await?
    } else {
        send_to_aws(sweep, &deployed, planned).await?
    };
    let window = Window {
        start,
        end: minute_after(SystemTime::now() + WINDOW_MARGIN),
    };
    let mut read = read_back(sweep, &deployed, planned, window, accepted).await?;
    let mut late_reads = 0;
    while !sweep.clients.is_emulator() && late_reads < LATE_READS {
        let Some(short) = incomplete(&read.measurements) else {
            break;
        };
        terminal::note(format!(
            "{short} so far; reading the run's metrics again in {} s",
            LATE_READ_INTERVAL.as_secs()
        ));
        tokio::time::sleep(LATE_READ_INTERVAL).await;
        read = read_back(sweep, &deployed, planned, window, accepted).await?;
        late_reads += 1;
    }
    if let Some(short) = incomplete(&read.measurements) {
        read.notes.push(format!(
            "{short}: its figures are partial, shown as such and left out of the choice"
        ));
    }
    Ok(RunOutcome {
        measurements: read.measurements,
        achieved_rate: accepted as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        notes: read.notes,
    })
}

/// Which consumers' metrics count fewer records than the run's orders, said in a sentence.
fn incomplete(measurements: &[Measurement]) -> Option<String> {
    let short: Vec<String> = measurements
        .iter()
        .filter(|m| !m.measured.complete())
        .map(|m| {
            format!(
                "consumer {} at {} read {} of {} orders",
                m.consumer,
                m.config.label(),
                m.measured.records,
                m.measured.orders
            )
        })
        .collect();
    (!short.is_empty()).then(|| short.join(", "))
}

/// Reads the run's `window` back the way `demo report` reads it (CloudWatch series and
/// percentiles, Lambda Insights' billed durations, each table's stream → table delay) and turns
/// each consumer's figures into a measurement of its configuration over `orders` orders.
async fn read_back(
    sweep: &Sweep<'_>,
    deployed: &Deployed,
    planned: &Run,
    window: Window,
    orders: u64,
) -> Result<ReadBack, SweepError> {
    let context = run_context(sweep, deployed, window);
    let readings = report::read::read(sweep.clients, &context, SystemTime::now()).await?;
    let figures = report::build(&context, &readings);
    Ok(ReadBack {
        measurements: measurements(sweep, planned, &figures.functions, orders),
        notes: run_notes(&figures.notes),
    })
}

/// The report's notes that say something about a run: not the ones every sweep would repeat
/// (the emulator computes no percentiles; the sweep reads no duration percentiles).
fn run_notes(notes: &[String]) -> Vec<String> {
    notes
        .iter()
        .filter(|n| !n.starts_with("percentiles (p50, p99) unavailable"))
        .filter(|n| !n.starts_with("billed MB-ms of "))
        .cloned()
        .collect()
}

/// What the report of one run is about: the deployed functions over the run's window.
fn run_context(sweep: &Sweep<'_>, deployed: &Deployed, window: Window) -> Context {
    Context {
        stack: sweep.stack.to_owned(),
        region: sweep.clients.region.clone(),
        window,
        window_basis: "the run".into(),
        memory_mb: sweep.memory_mb,
        prices: sweep.prices.clone(),
        subjects: report::read::subjects(deployed),
        on_lambda: !sweep.clients.is_emulator(),
    }
}

/// Each consumer's figures, priced, beside the configuration it ran with.
fn measurements(
    sweep: &Sweep<'_>,
    planned: &Run,
    functions: &[FunctionReport],
    orders: u64,
) -> Vec<Measurement> {
    Consumer::ALL
        .into_iter()
        .zip(planned.configs())
        .filter_map(|(consumer, config)| {
            let function = functions
                .iter()
                .find(|f| f.role == Role::Consumer(consumer))?;
            Some(Measurement {
                config,
                consumer,
                measured: Measured::priced(
                    counts(function, orders),
                    sweep.memory_mb,
                    &sweep.prices,
                ),
            })
        })
        .collect()
}

/// Lambda's metrics come in whole minutes: each run starts on a minute and its window ends on
/// one, so no two runs share a minute of metrics. Waits for the next minute to begin.
async fn next_minute() -> SystemTime {
    let start = minute_after(SystemTime::now());
    let wait = start.duration_since(SystemTime::now()).unwrap_or_default();
    tokio::time::sleep(wait).await;
    start
}

/// The first whole minute after `time`.
fn minute_after(time: SystemTime) -> SystemTime {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs((seconds / 60 + 1) * 60)
}

/// Offline: the API stand-in and the pollers for the run, then every batch handed over (the
/// windows waited out) and the measurements published to the emulator's CloudWatch.
async fn send_locally(
    sweep: &Sweep<'_>,
    deployed: &Deployed,
) -> Result<(u64, Duration), LoadError> {
    let local = LocalRun::start(
        sweep.clients,
        sweep.stack,
        deployed,
        LocalOptions::default(),
    )
    .await?;
    let url = reqwest::Url::parse(&local.url()).map_err(|_| LoadError::NoUrl)?;
    let sent = send(sweep.traffic, &url).await;
    local.finish().await?;
    sent
}

/// On AWS: the stack's API, then the longer window and the metrics' delay waited out.
async fn send_to_aws(
    sweep: &Sweep<'_>,
    deployed: &Deployed,
    planned: &Run,
) -> Result<(u64, Duration), LoadError> {
    let url = (deployed.api_url.as_deref())
        .and_then(|url| reqwest::Url::parse(url).ok())
        .ok_or(LoadError::NoUrl)?;
    let sent = send(sweep.traffic, &url).await?;
    let wait = aws_wait(planned);
    terminal::note(format!(
        "waiting {} s for the last batches and for Lambda's metrics to reach CloudWatch",
        wait.as_secs()
    ));
    tokio::time::sleep(wait).await;
    Ok(sent)
}

/// How long to wait on AWS after sending: the run's longest batching window (a consumer's last
/// batch goes out when it closes), then the delay before Lambda's metrics reach CloudWatch.
fn aws_wait(planned: &Run) -> Duration {
    let longest = planned.configs().map(Config::longest_wait).max();
    longest.unwrap_or_default() + AWS_METRICS_DELAY
}

/// The run's orders at the traffic's rate: how many were accepted, and how long sending took.
async fn send(traffic: Traffic, url: &reqwest::Url) -> Result<(u64, Duration), LoadError> {
    let (orders, duration) = match traffic.amount {
        Amount::Orders(n) => (Some(n), None),
        Amount::Seconds(s) => (None, Some(Duration::from_secs_f64(s))),
    };
    let plan = LoadPlan {
        url: Some(url.clone()),
        orders,
        duration,
        concurrency: 8,
        rate: Some(traffic.rate_per_second),
        seed: None,
        timeout: Duration::from_secs(10),
        max_attempts: 8,
        ids_file: None,
        verify: None,
    };
    let outcome = run::run(&plan, url, ProgressMode::Off).await?;
    Ok((outcome.counts.accepted, outcome.elapsed))
}

/// A consumer's figures from the report of the run's window.
fn counts(function: &FunctionReport, orders: u64) -> Counts {
    Counts {
        orders,
        invocations: function.invocations,
        records: function.records_read.unwrap_or(0),
        errors: function.errors,
        duration_avg_ms: function.duration_ms.average,
        billed_mb_ms: (function.billed.source == BilledSource::LambdaInsightsLogs)
            .then_some(function.billed.mb_ms),
        latency: function.stream_to_table_ms,
    }
}

#[cfg(test)]
mod tests;
