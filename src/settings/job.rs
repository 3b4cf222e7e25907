//! The command asked for (`Job`) and each command's own settings, resolved by `settings` and
//! handed to `commands`: plain values, so neither imports the other's types.

use std::path::PathBuf;

use crate::artifacts::Arch;
use crate::deploy::tuning::TuneRequest;
use crate::insights::InsightsChoice;
use crate::invoke::InvokeRequest;
use crate::load::run::LoadPlan;
use crate::load::verify::VerifyRequest;
use crate::logs::LogsRequest;
use crate::model::batching::Tuning;
use crate::report::cost::PriceOverrides;
use crate::report::window::Since;
use crate::sweep::choose::Strategy;
use crate::sweep::grid::{Config, Traffic};

/// The command asked for, with its settings resolved.
#[derive(Debug)]
pub(crate) enum Job {
    Build(BuildSettings),
    Up(UpSettings),
    Down(DownSettings),
    Status,
    Watch,
    /// `demo doctor`, for the architecture asked for (None: as `up` would choose).
    Doctor {
        arch: Option<Arch>,
    },
    Tune(TuneRequest),
    Load(LoadPlan),
    Verify(VerifyRequest),
    Report(ReportSettings),
    Logs(LogsRequest),
    Invoke(InvokeRequest),
    Failures {
        redrive: bool,
    },
    Serve {
        port: u16,
    },
    Sweep(SweepSettings),
    Completions(clap_complete::Shell),
}

/// What `demo build` was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BuildSettings {
    pub(crate) arch: Arch,
}

/// What `demo up` was asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpSettings {
    pub(crate) arch: Option<Arch>,
    /// `--memory` and `--shards`, within the template's limits.
    pub(crate) memory: Option<u32>,
    pub(crate) shards: Option<u32>,
    /// Batching of consumer 1 and consumer 2, checked; a value not given keeps what is deployed.
    pub(crate) batching: [Tuning; 2],
    pub(crate) insights: InsightsChoice,
    /// Prebuilt zips to deploy instead of building.
    pub(crate) artifacts: Option<PathBuf>,
    /// `--artifact-bucket`: another bucket than the derived name.
    pub(crate) artifact_bucket: Option<String>,
    pub(crate) dry_run: bool,
    /// `--yes`: go on with an update that deletes data (a replaced table) without asking.
    pub(crate) yes: bool,
}

/// What `demo down` was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DownSettings {
    pub(crate) yes: bool,
}

/// What the flags asked for, checked before any AWS call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportSettings {
    pub(crate) since: Option<Since>,
    pub(crate) chart: Option<PathBuf>,
    pub(crate) prices: PriceOverrides,
}

/// What `demo sweep` was asked for, every value checked.
#[derive(Debug, Clone)]
pub(crate) struct SweepSettings {
    pub(crate) configurations: Vec<Config>,
    pub(crate) traffic: Traffic,
    pub(crate) strategy: Strategy,
    pub(crate) budget_p99_ms: Option<f64>,
    pub(crate) predict: bool,
    pub(crate) apply: bool,
    pub(crate) dry_run: bool,
    pub(crate) save: Option<PathBuf>,
    pub(crate) from: Option<PathBuf>,
    pub(crate) chart: Option<PathBuf>,
}
