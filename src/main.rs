//! `demo`: deploy, tune, drive, measure and tear down the Kinesis batching demo stack.

use std::process::ExitCode;

use clap::Parser;
use demo::cli::Cli;
use demo::{commands, logging, settings, terminal};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match settings::resolve(&cli) {
        Ok((settings, job)) => {
            terminal::init(settings.verbosity);
            logging::init(settings.verbosity);
            commands::dispatch(job, &settings).await
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
