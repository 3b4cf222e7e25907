//! `demo`: deploy, tune, drive, measure and tear down the Kinesis batching demo stack.

mod artifacts;
mod aws;
mod cli;
mod commands;
mod deploy;
mod emulator;
mod error;
mod insights;
mod load;
mod local;
mod output;
mod report;
mod settings;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::cli::Cli;
use crate::settings::{Settings, Verbosity};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match Settings::resolve(&cli.global) {
        Ok(settings) => {
            init_tracing(settings.verbosity);
            commands::dispatch(cli.command, &settings).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{}", error.report());
            error.exit_code()
        }
    }
}

/// Progress and logs go to stderr, so stdout holds only the result.
fn init_tracing(verbosity: Verbosity) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(verbosity.log_filter()));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .without_time()
        .init();
}
