//! `demo tune`: change a consumer's batching in seconds, and keep the stack the source of truth
//! (the values were checked by `settings`; how the change is made: `deploy::tuning`).

use crate::aws::connect;
use crate::deploy::tuning::{self, TuneRequest};
use crate::error::CliError;
use crate::output;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings, request: TuneRequest) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let report = tuning::apply(&clients, &settings.aws.stack_name, &request).await?;
    Ok(output::emit(settings.output, &report)?)
}
