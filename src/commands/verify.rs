//! `demo verify`: check that the orders in an ids file (from `demo load --ids`) reached both tables.

use crate::aws::connect;
use crate::error::CliError;
use crate::load::ids;
use crate::load::target::{self, StackNames};
use crate::load::verify::{self, VerifyPlan, VerifyRequest};
use crate::output;
use crate::settings::Settings;
use crate::terminal::ProgressMode;

pub(crate) async fn run(settings: &Settings, request: VerifyRequest) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let stack = match request.verify.tables.complete() {
        true => None,
        false => Some(StackNames::look_up(&clients, &settings.aws.stack_name).await?),
    };
    let tables = target::resolve_tables(&request.verify.tables, stack.as_ref())?;
    let expected = ids::read(&request.ids_file)?;
    let plan = VerifyPlan {
        tables,
        expected,
        timeout: request.verify.timeout,
    };
    let report = verify::verify(&clients.dynamodb, &plan, ProgressMode::current()).await?;
    output::emit(settings.output, &report)?;
    Ok(report.outcome()?)
}
