//! `demo doctor`: whether `up` would work here, checked without changing anything.

use crate::artifacts::Arch;
use crate::deploy::DeployError;
use crate::doctor;
use crate::error::CliError;
use crate::output;
use crate::settings::Settings;

pub(crate) async fn run(settings: &Settings, arch: Option<Arch>) -> Result<(), CliError> {
    let report = doctor::run(&settings.aws, arch).await;
    output::emit(settings.output, &report)?;
    match report.failed() {
        0 => Ok(()),
        n => Err(DeployError::Incomplete(format!(
            "`demo up` would fail: {n} check(s) failed (each with its fix above)"
        ))
        .into()),
    }
}
