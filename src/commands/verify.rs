//! `demo verify`: check that the orders in an ids file (from `demo load --ids`) reached both tables.

use crate::error::CliError;
use crate::load::error::LoadError;
use crate::load::verify::{self, VerifyPlan};
use crate::load::{ids, target};
use crate::output;
use crate::settings::{Settings, VerifyCommandSettings};
use crate::terminal::ProgressMode;

pub async fn run(settings: &Settings, args: VerifyCommandSettings) -> Result<(), CliError> {
    let tables = target::resolve_tables(&settings.aws, &args.verify.tables).await?;
    let expected = ids::read(&args.ids_file)?;
    let client = crate::aws::connect(&settings.aws)
        .await
        .map_err(LoadError::from)?
        .dynamodb;
    let plan = VerifyPlan {
        tables,
        expected,
        timeout: args.verify.timeout,
    };
    let mode = ProgressMode::current();
    let report = verify::verify(&client, &plan, mode).await?;
    output::emit(settings.output, &report)?;
    Ok(report.outcome()?)
}
