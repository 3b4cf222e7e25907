//! One module per command; each exposes `run(settings, …)` with what `settings` resolved, and
//! [`run`] is what the binary's `main` runs.

pub(crate) mod build;
pub(crate) mod completions;
pub(crate) mod doctor;
pub(crate) mod down;
pub(crate) mod failures;
pub(crate) mod invoke;
pub(crate) mod load;
pub(crate) mod logs;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod status;
pub(crate) mod sweep;
pub(crate) mod tune;
pub(crate) mod up;
pub(crate) mod verify;
pub(crate) mod watch;

use std::process::ExitCode;

use crate::cli::Cli;
use crate::error::CliError;
use crate::settings::{self, Job, Settings};
use crate::{logging, terminal};

/// What the binary runs: resolves the settings from the command line, sets up the terminal and
/// the log, runs the command and prints its error; the process's exit code.
pub async fn run(cli: &Cli) -> ExitCode {
    let result = match settings::resolve(cli) {
        Ok((settings, job)) => {
            terminal::init(settings.verbosity);
            logging::init(settings.verbosity);
            dispatch(job, &settings).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            terminal::line(logging::scrub(&error.report()));
            error.exit_code()
        }
    }
}

async fn dispatch(job: Job, settings: &Settings) -> Result<(), CliError> {
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
