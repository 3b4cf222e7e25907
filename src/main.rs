//! `demo`: deploy, tune, drive, measure and tear down the Kinesis batching demo stack.

mod artifacts;
mod aws;
mod cli;
mod commands;
mod deploy;
mod emulator;
mod error;
mod failures;
mod insights;
mod load;
mod local;
mod logging;
mod output;
mod report;
mod settings;
mod sweep;

use std::process::ExitCode;

use crate::cli::Cli;
use crate::settings::Settings;
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match Settings::resolve(&cli.global) {
        Ok(settings) => {
            logging::init(settings.verbosity);
            commands::dispatch(cli.command, &settings).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", logging::scrub(&error.report()));
            error.exit_code()
        }
    }
}
