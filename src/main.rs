//! `demo`: deploy, tune, drive, measure and tear down the Kinesis batching demo stack.

use std::process::ExitCode;

use clap::Parser;
use demo::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    demo::commands::run(&Cli::parse()).await
}
