//! One module per command; each exposes `run(settings, args)`.

pub mod build;
pub mod down;
pub mod failures;
pub mod load;
pub mod report;
pub mod serve;
pub mod status;
pub mod tune;
pub mod up;
pub mod verify;

use crate::cli::Command;
use crate::error::CliError;
use crate::settings::Settings;

pub async fn dispatch(command: Command, settings: &Settings) -> Result<(), CliError> {
    match command {
        Command::Build(args) => build::run(settings, (&args).into()).await,
        Command::Up(args) => up::run(settings, (&args).into()).await,
        Command::Down(args) => down::run(settings, down::DownSettings { yes: args.yes }).await,
        Command::Status => status::run(settings).await,
        Command::Tune(args) => tune::run(settings, (&args).into()).await,
        Command::Load(args) => load::run(settings, (&args).try_into()?).await,
        Command::Verify(args) => verify::run(settings, (&args).try_into()?).await,
        Command::Report(args) => report::run(settings, (&args).try_into()?).await,
        Command::Failures(args) => failures::run(settings, args.redrive).await,
        Command::Serve(args) => serve::run(settings, args.port).await,
    }
}
