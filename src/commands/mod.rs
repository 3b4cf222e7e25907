//! One module per command; each exposes `run(settings, …)` with what `settings` resolved.

pub mod build;
pub mod completions;
pub mod doctor;
pub mod down;
pub mod failures;
pub mod invoke;
pub mod load;
pub mod logs;
pub mod report;
pub mod serve;
pub mod status;
pub mod sweep;
pub mod tune;
pub mod up;
pub mod verify;
pub mod watch;

use crate::error::CliError;
use crate::settings::{Job, Settings};

pub async fn dispatch(job: Job, settings: &Settings) -> Result<(), CliError> {
    match job {
        Job::Build(build) => build::run(settings, build).await,
        Job::Up(up) => up::run(settings, up).await,
        Job::Down(down) => down::run(settings, down).await,
        Job::Status => status::run(settings).await,
        Job::Watch => watch::run(settings).await,
        Job::Doctor { arch } => doctor::run(settings, arch).await,
        Job::Tune(request) => tune::run(settings, request).await,
        Job::Load(plan) => load::run(settings, plan).await,
        Job::Logs(request) => logs::run(settings, request).await,
        Job::Invoke(request) => invoke::run(settings, request).await,
        Job::Verify(request) => verify::run(settings, request).await,
        Job::Report(report) => report::run(settings, report).await,
        Job::Failures { redrive } => failures::run(settings, redrive).await,
        Job::Serve { port } => serve::run(settings, port).await,
        Job::Sweep(sweep) => sweep::run(settings, sweep).await,
        Job::Completions(shell) => completions::run(shell),
    }
}
