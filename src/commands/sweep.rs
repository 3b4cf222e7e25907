//! `demo sweep`: run a grid of batching configurations under one traffic profile, two at a time
//! (one per consumer), measure and model each, choose one, and put the mappings back.
//!
//! The mappings are changed directly (as `tune` does, without recording the values in the
//! stack): on every exit, normal, failed or Ctrl-C, each is put back to its value before the
//! sweep, unless `--apply` tunes the stack to the choice.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use crate::artifacts::Arch;
use crate::aws::{Clients, connect};
use crate::commands::tune;
use crate::deploy::batching::{Batching, BatchingChange};
use crate::deploy::mapping::{self, Mapping};
use crate::deploy::tuning::{Consumers, TuneRequest};
use crate::deploy::{DeployError, interrupt, stack};
use crate::error::CliError;
use crate::output;
use crate::report::cost::{PUBLISHED, PriceOverrides};
use crate::settings::Settings;
use crate::sweep::assemble::{self, Measurement, Setting};
use crate::sweep::chart;
use crate::sweep::choose::Strategy;
use crate::sweep::grid::{self, Config, Plan, Traffic};
use crate::sweep::measure::{self, Sweep};
use crate::sweep::results::SweepResults;
use crate::terminal::{self, ProgressMode};

/// What `demo sweep` was asked for, every value checked.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    pub configurations: Vec<Config>,
    pub traffic: Traffic,
    pub strategy: Strategy,
    pub budget_p99_ms: Option<f64>,
    pub predict: bool,
    pub apply: bool,
    pub dry_run: bool,
    pub save: Option<PathBuf>,
    pub from: Option<PathBuf>,
    pub chart: Option<PathBuf>,
}

pub async fn run(settings: &Settings, sweep: SweepSettings) -> Result<(), CliError> {
    if let Some(path) = &sweep.from {
        let results = SweepResults::load(path).map_err(|err| CliError::Usage(err.to_string()))?;
        return show(settings, &results, sweep.chart.as_deref());
    }
    let (to_run, unrun) = split(&sweep.configurations, sweep.predict);
    let plan = grid::plan(&to_run, sweep.traffic);
    if sweep.dry_run {
        return Ok(output::emit(settings.output, &plan)?);
    }
    terminal::note(plan.to_string().trim_end());
    let clients = connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    let current = stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let mappings = [
        mapping::of_consumer(&clients, name, 1).await?,
        mapping::of_consumer(&clients, name, 2).await?,
    ];
    let parameter = |key: &str| current.parameters.get(key).and_then(|v| v.parse().ok());
    let arch = match current.parameters.get("Architecture").map(String::as_str) {
        Some("x86_64") => Arch::X86_64,
        _ => Arch::Arm64,
    };
    let shared = Sweep {
        clients: &clients,
        stack: name,
        mappings: &mappings,
        traffic: sweep.traffic,
        memory_mb: parameter("MemorySize").unwrap_or(128.0),
        prices: PUBLISHED.for_arch(arch, PriceOverrides::default()),
    };
    let measured = measure_all(&shared, &plan).await;
    let back = put_back(&clients, &mappings).await;
    let (measurements, rates) = measured?;
    terminal::note(&back);
    let setting = Setting {
        stack: name.clone(),
        region: clients.region.clone(),
        traffic: sweep.traffic,
        achieved_rate: mean(&rates),
        shards: parameter("ShardCount").map_or(1, |s: f64| s as u32),
        memory_mb: shared.memory_mb,
        prices: shared.prices.clone(),
        strategy: sweep.strategy,
        budget_p99_ms: sweep.budget_p99_ms,
        notes: notes(&clients),
    };
    let results = assemble::assemble(setting, &measurements, &unrun);
    let file = sweep
        .save
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("demo-sweep-{name}.json")));
    results
        .save(&file)
        .map_err(|err| DeployError::Incomplete(err.to_string()))?;
    terminal::note(format!(
        "results saved to {}: `demo sweep --from {}` shows them again",
        file.display(),
        file.display()
    ));
    if sweep.apply {
        apply(&clients, name, &results).await?;
    }
    show(settings, &results, sweep.chart.as_deref())
}

/// Every run of the plan, one progress bar for the sweep; Ctrl-C stops between or during runs
/// (the caller puts the mappings back either way).
async fn measure_all(
    shared: &Sweep<'_>,
    plan: &Plan,
) -> Result<(Vec<Measurement>, Vec<f64>), CliError> {
    interrupt::install();
    // This command ends cleanly on Ctrl-C itself: the mappings are put back first.
    let _deferred = interrupt::defer();
    interrupt::doing(
        "a mapping may still hold a sweep's values: `demo up` puts both back to the stack's",
    );
    let progress = SweepProgress::start(plan);
    let mut measurements = Vec::new();
    let mut rates = Vec::new();
    for (index, planned) in plan.runs.iter().enumerate() {
        progress.run(index, planned);
        let outcome = tokio::select! {
            outcome = measure::run(shared, planned) => outcome?,
            () = interrupt::requested() => {
                let back = put_back(shared.clients, shared.mappings).await;
                interrupt::exit(&format!("the sweep stopped at run {}: {back}", index + 1));
            }
        };
        measurements.extend(outcome.measurements);
        rates.push(outcome.achieved_rate);
    }
    Ok((measurements, rates))
}

/// The configurations to run and those to predict: with `--predict`, only the grid's corners
/// (the smallest and largest of each value) are run.
fn split(configurations: &[Config], predict: bool) -> (Vec<Config>, Vec<Config>) {
    if !predict {
        return (configurations.to_vec(), Vec::new());
    }
    let edges = |value: fn(&Config) -> u32| {
        let values = configurations.iter().map(value);
        (values.clone().min(), values.max())
    };
    let (batch, window, factor) = (
        edges(|c| c.batch_size),
        edges(|c| c.window_seconds),
        edges(|c| c.parallelization),
    );
    let at_edge =
        |v: u32, (low, high): (Option<u32>, Option<u32>)| Some(v) == low || Some(v) == high;
    configurations.iter().partition(|c| {
        at_edge(c.batch_size, batch)
            && at_edge(c.window_seconds, window)
            && at_edge(c.parallelization, factor)
    })
}

/// Both mappings back at their values before the sweep (see `mapping::put_back`).
async fn put_back(clients: &Clients, mappings: &[Mapping; 2]) -> String {
    let restores = mappings.each_ref().map(|m| (m, m.batching(), m.batching()));
    mapping::put_back(clients, &restores).await
}

/// `--apply`: both consumers tuned to the choice, recorded in the stack as `tune` does.
async fn apply(clients: &Clients, stack: &str, results: &SweepResults) -> Result<(), CliError> {
    let Some(config) = results.choice.config() else {
        terminal::warn("--apply: nothing was chosen, so nothing was applied");
        return Ok(());
    };
    let Batching {
        batch_size,
        window_seconds,
        parallelization,
    } = measure::batching(config);
    let request = TuneRequest {
        consumers: Consumers::All,
        change: BatchingChange {
            batch_size: Some(batch_size.into()),
            window: Some(window_seconds.into()),
            parallelization: Some(parallelization.into()),
        },
        dry_run: false,
    };
    tune::apply(clients, stack, &request).await?;
    terminal::note(format!("applied {} to both consumers", config.label()));
    Ok(())
}

/// The table (or JSON) on stdout, and the chart when asked for.
fn show(settings: &Settings, results: &SweepResults, chart: Option<&Path>) -> Result<(), CliError> {
    if let Some(path) = chart {
        chart::write(path, results).map_err(|err| CliError::Usage(err.to_string()))?;
        terminal::note(format!("chart written to {}", path.display()));
    }
    Ok(output::emit(settings.output, results)?)
}

fn notes(clients: &Clients) -> Vec<String> {
    if clients.is_emulator() {
        vec![
            "offline: the functions' own handlers ran in-process with Lambda's batching rules; \
             durations and costs are this machine's, not Lambda's"
                .into(),
        ]
    } else {
        vec![]
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One bar for the whole sweep (run k of n, ETA from the plan) on a terminal; a line per run
/// otherwise; nothing with `-q`.
struct SweepProgress {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    runs: usize,
}

impl SweepProgress {
    fn start(plan: &Plan) -> Self {
        let mode = ProgressMode::current();
        let bar = (mode == ProgressMode::Bar).then(|| {
            let style = ProgressStyle::with_template(
                "{bar:30.cyan/blue} run {pos}/{len}  {msg}  [{elapsed} of ~{prefix}]",
            )
            .expect("a valid progress template");
            let bar = terminal::show(ProgressBar::new(plan.runs.len() as u64).with_style(style));
            bar.set_prefix(grid::minutes(plan.estimated_seconds));
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        SweepProgress {
            mode,
            bar,
            runs: plan.runs.len(),
        }
    }

    fn run(&self, index: usize, planned: &grid::Run) {
        let labels: Vec<String> = planned.configs().map(|c| c.label()).collect();
        let what = labels.join(" and ");
        match (&self.bar, self.mode) {
            (Some(bar), _) => {
                bar.set_position(index as u64);
                bar.set_message(what);
            }
            (None, ProgressMode::Lines) => {
                terminal::line(format!("sweep: run {} of {}: {what}", index + 1, self.runs));
            }
            _ => {}
        }
    }
}

impl Drop for SweepProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            terminal::hide(&bar);
        }
    }
}
