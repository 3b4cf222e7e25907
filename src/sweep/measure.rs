//! One run of a sweep: both consumers set to their configurations, the traffic sent (the
//! `load` path; offline through the local runner), the last batch waited for, and each
//! consumer's figures read back over the run's window the way `demo report` reads them.

use std::time::{Duration, Instant, SystemTime};

use super::assemble::{Counts, Measurement};
use super::grid::{Amount, Config, Run, Traffic};
use super::results::Measured;
use crate::aws::Clients;
use crate::deploy::batching::Batching;
use crate::deploy::mapping::{self, Mapping};
use crate::deploy::resources::{self, Deployed};
use crate::load::error::LoadError;
use crate::load::run::{self, LoadPlan};
use crate::local::{LocalOptions, LocalRun};
use crate::report::cost::Prices;
use crate::report::window::Window;
use crate::report::{self, BilledSource, Context, FunctionReport};
use crate::terminal::{self, ProgressMode};

/// Lambda's metrics reach CloudWatch a minute or two after the invocations: on AWS each run's
/// figures are read after this long.
const AWS_METRICS_DELAY: Duration = Duration::from_secs(150);
/// Margin after a run, for clock differences between this machine and the service.
const WINDOW_MARGIN: Duration = Duration::from_secs(1);

/// What every run shares.
pub struct Sweep<'a> {
    pub clients: &'a Clients,
    pub stack: &'a str,
    /// Each consumer's mapping (consumer 1 first).
    pub mappings: &'a [Mapping; 2],
    pub traffic: Traffic,
    pub memory_mb: f64,
    pub prices: Prices,
}

/// What one run measured, and the rate its orders went out at.
pub struct RunOutcome {
    pub measurements: Vec<Measurement>,
    pub achieved_rate: f64,
}

/// Sets the configurations, sends the traffic, waits for the last batch and reads the figures.
pub async fn run(sweep: &Sweep<'_>, planned: &Run) -> Result<RunOutcome, LoadError> {
    let started = Instant::now();
    for (mapping, config) in sweep.mappings.iter().zip(planned.configs()) {
        mapping::set(sweep.clients, mapping, batching(config), started).await?;
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
    let context = Context {
        stack: sweep.stack.to_owned(),
        region: sweep.clients.region.clone(),
        window,
        window_basis: "the run".into(),
        memory_mb: sweep.memory_mb,
        prices: sweep.prices.clone(),
        subjects: report::read::subjects(&deployed),
        on_lambda: !sweep.clients.is_emulator(),
    };
    let readings = report::read::read(sweep.clients, &context, SystemTime::now()).await?;
    let figures = report::build(&context, &readings);
    let measurements = planned
        .configs()
        .enumerate()
        .filter_map(|(index, config)| {
            let consumer = index + 1;
            let role = format!("consumer {consumer}");
            let function = figures.functions.iter().find(|f| f.role == role)?;
            Some(Measurement {
                config,
                consumer,
                measured: Measured::priced(
                    counts(function, accepted),
                    sweep.memory_mb,
                    &sweep.prices,
                ),
            })
        })
        .collect();
    Ok(RunOutcome {
        measurements,
        achieved_rate: accepted as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
    })
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

/// The mapping values of a configuration.
pub fn batching(config: Config) -> Batching {
    Batching {
        batch_size: config.batch_size as i32,
        window_seconds: config.window_seconds as i32,
        parallelization: config.parallelization as i32,
    }
}

/// Offline: the API stand-in and the pollers for the run, then every batch handed over (the
/// windows waited out) and the measurements published to the emulator's CloudWatch.
async fn send_locally(
    sweep: &Sweep<'_>,
    deployed: &Deployed,
) -> Result<(u64, Duration), LoadError> {
    let local = LocalRun::start(sweep.clients, deployed, LocalOptions::default()).await?;
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
    let longest = planned.configs().map(|c| c.longest_wait()).max();
    let wait = longest.unwrap_or_default() + AWS_METRICS_DELAY;
    terminal::note(format!(
        "waiting {} s for the last batches and for Lambda's metrics to reach CloudWatch",
        wait.as_secs()
    ));
    tokio::time::sleep(wait).await;
    Ok(sent)
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
mod tests {
    use super::*;

    #[test]
    fn runs_start_and_end_on_whole_minutes() {
        let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(minute_after(at(120)), at(180));
        assert_eq!(minute_after(at(121)), at(180));
        assert_eq!(minute_after(at(179)), at(180));
    }
}
