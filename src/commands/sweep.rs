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
use crate::deploy::mapping::{self, Mapping};
use crate::deploy::preflight;
use crate::deploy::tuning::{self, TuneRequest};
use crate::deploy::{DeployError, interrupt, stack};
use crate::error::CliError;
use crate::model::batching::{Batching, BatchingChange, BatchingFlags, Tuning};
use crate::model::{Consumer, Consumers, Parameter, ParameterValues};
use crate::output;
use crate::report::cost::{PUBLISHED, PriceOverrides};
use crate::settings::{Settings, SweepSettings};
use crate::sweep::assemble::{self, Measurement, Setting};
use crate::sweep::chart;
use crate::sweep::grid::{self, Config, Plan};
use crate::sweep::measure::{self, Sweep};
use crate::sweep::results::SweepResults;
use crate::terminal::{self, ProgressMode};

pub(crate) async fn run(settings: &Settings, sweep: SweepSettings) -> Result<(), CliError> {
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
    let deployed = Deployed::read(&clients, name).await?;
    fits_the_account(&clients, &plan, deployed.shards, &deployed.mappings).await?;
    let shared = Sweep {
        clients: &clients,
        stack: name,
        mappings: &deployed.mappings,
        traffic: sweep.traffic,
        memory_mb: deployed.memory_mb,
        prices: PUBLISHED.for_arch(deployed.arch, PriceOverrides::default()),
    };
    interrupt::install();
    // This command ends cleanly on Ctrl-C itself: the mappings are put back, and what was
    // measured is saved, first.
    let _deferred = interrupt::defer();
    interrupt::doing(
        "a mapping may still hold a sweep's values: `demo up` puts both back to the stack's",
    );
    let runs = measure_all(&shared, &plan).await;
    let back = put_back(&clients, &deployed.mappings).await;
    let setting = setting(&shared, &sweep, &runs, deployed.shards);
    let file = sweep
        .save
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("demo-sweep-{name}.json")));
    if let Some(stopped) = runs.stopped {
        return stop(stopped, &back, setting, &runs.measurements, &file);
    }
    terminal::note(&back);
    let results = assemble::assemble(setting, &runs.measurements, &unrun);
    save(&results, &file)?;
    if sweep.apply {
        apply(&clients, name, &results).await?;
    }
    show(settings, &results, sweep.chart.as_deref())
}

/// What the sweep needs of the deployed stack: both mappings as they are (to put back), and
/// the architecture, shards and memory the figures are priced and checked with.
struct Deployed {
    mappings: [Mapping; 2],
    arch: Arch,
    shards: u32,
    memory_mb: f64,
}

impl Deployed {
    async fn read(clients: &Clients, name: &str) -> Result<Deployed, DeployError> {
        let current =
            stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
        let mappings = [
            mapping::of_consumer(clients, name, Consumer::One).await?,
            mapping::of_consumer(clients, name, Consumer::Two).await?,
        ];
        let parameter = |parameter| current.parameters.number(parameter);
        Ok(Deployed {
            mappings,
            arch: current.arch(),
            shards: parameter(Parameter::ShardCount).map_or(1, |s: f64| s as u32),
            memory_mb: parameter(Parameter::MemorySize).unwrap_or(128.0),
        })
    }
}

/// What every run shared, as the results record it.
fn setting(shared: &Sweep<'_>, sweep: &SweepSettings, runs: &Runs, shards: u32) -> Setting {
    Setting {
        stack: shared.stack.to_owned(),
        region: shared.clients.region.clone(),
        traffic: sweep.traffic,
        achieved_rate: mean(&runs.rates),
        shards,
        memory_mb: shared.memory_mb,
        prices: shared.prices.clone(),
        strategy: sweep.strategy,
        budget_p99_ms: sweep.budget_p99_ms,
        notes: notes(shared.clients, runs),
    }
}

/// Saves the results where `--from` reads them again, and says so.
fn save(results: &SweepResults, file: &Path) -> Result<(), DeployError> {
    results
        .save(file)
        .map_err(|err| DeployError::Incomplete(err.to_string()))?;
    terminal::note(format!(
        "results saved to {}: `demo sweep --from {}` shows them again",
        file.display(),
        file.display()
    ));
    Ok(())
}

/// What the runs gave, and why they ended early if they did.
struct Runs {
    measurements: Vec<Measurement>,
    rates: Vec<f64>,
    notes: Vec<String>,
    stopped: Option<Stopped>,
}

/// A sweep that did not run its whole plan: at which run (1-based), and why.
enum Stopped {
    Failed { run: usize, error: CliError },
    Interrupted { run: usize },
}

/// Every run of the plan, one progress bar for the sweep, until a run fails or Ctrl-C is
/// pressed (the caller puts the mappings back either way, and keeps what was measured).
async fn measure_all(shared: &Sweep<'_>, plan: &Plan) -> Runs {
    let progress = SweepProgress::start(plan);
    let mut runs = Runs {
        measurements: Vec::new(),
        rates: Vec::new(),
        notes: Vec::new(),
        stopped: None,
    };
    for (index, planned) in plan.runs.iter().enumerate() {
        progress.run(index, planned);
        let run = index + 1;
        let outcome = tokio::select! {
            outcome = measure::run(shared, planned) => outcome,
            () = interrupt::requested() => {
                runs.stopped = Some(Stopped::Interrupted { run });
                break;
            }
        };
        match outcome {
            Ok(outcome) => {
                runs.measurements.extend(outcome.measurements);
                runs.rates.push(outcome.achieved_rate);
                let new: Vec<String> = (outcome.notes.into_iter())
                    .filter(|n| !runs.notes.contains(n))
                    .collect();
                runs.notes.extend(new);
            }
            Err(error) => {
                let error = CliError::from(error);
                runs.stopped = Some(Stopped::Failed { run, error });
                break;
            }
        }
    }
    runs
}

/// Ends a sweep that stopped early: the runs measured before it are saved (no choice is made
/// from part of a grid), then the error or the interrupt, saying where the mappings are.
fn stop(
    stopped: Stopped,
    back: &str,
    mut setting: Setting,
    measurements: &[Measurement],
    file: &Path,
) -> Result<(), CliError> {
    let (run, why) = match &stopped {
        Stopped::Failed { run, error } => (*run, format!("failed: {error}")),
        Stopped::Interrupted { run } => (*run, "interrupted".to_owned()),
    };
    let saved = if measurements.is_empty() {
        String::new()
    } else {
        setting.notes.push(format!(
            "the sweep stopped at run {run} ({why}); these are the runs before it"
        ));
        let partial = assemble::assemble(setting, measurements, &[]);
        match partial.save(file) {
            Ok(()) => format!("; the runs before it saved to {}", file.display()),
            Err(err) => format!("; the runs before it could not be saved: {err}"),
        }
    };
    let message = format!("the sweep stopped at run {run}: {back}{saved}");
    match stopped {
        Stopped::Interrupted { .. } => interrupt::exit(&message),
        Stopped::Failed { error, .. } => {
            terminal::warn(message);
            Err(error)
        }
    }
}

/// Every run's parallelization against the account's concurrency, before any mapping changes
/// (consumer 2 keeps its own in a run without a second configuration).
async fn fits_the_account(
    clients: &Clients,
    plan: &Plan,
    shards: u32,
    mappings: &[Mapping; 2],
) -> Result<(), DeployError> {
    let unchanged = mappings[1].batching().parallelization.max(1) as u32;
    let runs = plan.runs.iter().map(|run| preflight::Concurrency {
        shards,
        parallelization: [
            run.consumer_1.parallelization,
            run.consumer_2.map_or(unchanged, |c| c.parallelization),
        ],
    });
    preflight::check_parallelization(&clients.lambda, runs).await
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
    } = config.batching();
    // The grid's values were checked against the same limits; checking the choice again is the
    // one way to a `Tuning`, and costs nothing.
    let change = BatchingChange {
        batch_size: Some(batch_size.into()),
        window: Some(window_seconds.into()),
        parallelization: Some(parallelization.into()),
    };
    let tuning = Tuning::check(Consumers::All.members(), change, APPLY_FLAGS);
    let request = TuneRequest {
        consumers: Consumers::All,
        tuning: tuning.map_err(DeployError::Invalid)?,
        dry_run: false,
    };
    tuning::apply(clients, stack, &request).await?;
    terminal::note(format!("applied {} to both consumers", config.label()));
    Ok(())
}

/// How `sweep` names the values it measured, should the one chosen be refused on `--apply`.
const APPLY_FLAGS: BatchingFlags = BatchingFlags {
    batch_size: "--batch-sizes",
    window: "--windows",
    parallelization: "--parallelization",
};

/// The table (or JSON) on stdout, and the chart when asked for.
fn show(settings: &Settings, results: &SweepResults, chart: Option<&Path>) -> Result<(), CliError> {
    if let Some(path) = chart {
        chart::write(path, results).map_err(|err| CliError::Usage(err.to_string()))?;
        terminal::note(format!("chart written to {}", path.display()));
    }
    Ok(output::emit(settings.output, results)?)
}

/// Where the figures come from, then what the runs' readings noted.
fn notes(clients: &Clients, runs: &Runs) -> Vec<String> {
    let mut notes = Vec::new();
    if clients.is_emulator() {
        notes.push(
            "offline: the deployed functions ran as processes on this machine (under qemu where \
             built for another CPU) with Lambda's batching rules; durations and costs are this \
             machine's, not Lambda's"
                .into(),
        );
    }
    notes.extend(runs.notes.iter().cloned());
    notes
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::assemble::Counts;
    use crate::sweep::assemble::tests::setting;
    use crate::sweep::results::Measured;

    fn measurement(batch_size: u32, consumer: Consumer) -> Measurement {
        let counts = Counts {
            orders: 300,
            invocations: 300 / u64::from(batch_size),
            records: 300,
            errors: 0,
            duration_avg_ms: Some(20.0),
            billed_mb_ms: None,
            latency: None,
        };
        Measurement {
            config: Config {
                batch_size,
                window_seconds: 1,
                parallelization: 1,
            },
            consumer,
            measured: Measured::priced(counts, 128.0, &setting().prices),
        }
    }

    #[test]
    fn a_failed_run_keeps_the_runs_before_it_and_returns_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("partial.json");
        let measured = [
            measurement(10, Consumer::One),
            measurement(100, Consumer::Two),
        ];
        let stopped = Stopped::Failed {
            run: 2,
            error: CliError::Usage("the stream is gone".into()),
        };
        let err = stop(
            stopped,
            "both mappings are back",
            setting(),
            &measured,
            &file,
        )
        .expect_err("the run's error is the sweep's");
        assert!(err.to_string().contains("the stream is gone"), "{err}");
        let saved = SweepResults::load(&file).unwrap();
        assert_eq!(saved.rows.len(), 2);
        assert!(
            saved
                .notes
                .iter()
                .any(|n| n.contains("stopped at run 2 (failed: the stream is gone)")),
            "{:?}",
            saved.notes
        );
        // Nothing measured: nothing written over an earlier sweep's file.
        let untouched = dir.path().join("earlier.json");
        std::fs::write(&untouched, "earlier").unwrap();
        let stopped = Stopped::Failed {
            run: 1,
            error: CliError::Usage("no".into()),
        };
        assert!(stop(stopped, "", setting(), &[], &untouched).is_err());
        assert_eq!(std::fs::read_to_string(&untouched).unwrap(), "earlier");
    }
}
