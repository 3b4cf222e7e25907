//! `demo status`: the stack, its resources, the API URL, each mapping's batching, the artifacts.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::aws::connect;
use crate::deploy::resources::{self, Deployed};
use crate::deploy::stack;
use crate::error::CliError;
use crate::failures;
use crate::model::{Parameter, ParameterValues};
use crate::output;
use crate::settings::Settings;

#[derive(Debug, Serialize)]
struct StatusReport {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) status: String,
    pub(crate) parameters: BTreeMap<String, String>,
    pub(crate) deployed: Deployed,
    /// Messages in the on-failure queue: batches the consumers gave up on (`demo failures`).
    /// None when the queue could not be read.
    failures_waiting: Option<u64>,
}

pub(crate) async fn run(settings: &Settings) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    let current = stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(&clients, name).await?;
    let failures_waiting = match &deployed.queue {
        Some(queue) => failures::waiting(&clients.sqs, queue)
            .await
            .inspect_err(|err| tracing::warn!("{err}"))
            .ok(),
        None => None,
    };
    let report = StatusReport {
        stack: name.clone(),
        region: clients.region.clone(),
        status: current.status.to_string(),
        parameters: current.parameters,
        deployed,
        failures_waiting,
    };
    Ok(output::emit(settings.output, &report)?)
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stack {} in {}: {}",
            self.stack, self.region, self.status
        )?;
        write!(f, "{}", self.deployed)?;
        match self.failures_waiting {
            Some(0) => writeln!(f, "  failures:  none waiting in the on-failure queue")?,
            Some(n) => writeln!(
                f,
                "  failures:  {n} given-up batch(es) wait in the on-failure queue: `demo failures` shows them"
            )?,
            None => writeln!(f, "  failures:  the on-failure queue could not be read")?,
        }
        for key in [Parameter::PutRecordCodeKey, Parameter::PutItemCodeKey] {
            if let Some(value) = self.parameters.value(key) {
                writeln!(f, "  artifact:  {value}")?;
            }
        }
        writeln!(f, "  resources:")?;
        for r in &self.deployed.resources {
            writeln!(
                f,
                "    {:<22} {:<34} {:<18} {}",
                r.logical_id,
                r.resource_type,
                r.status,
                r.physical_id.as_deref().unwrap_or("-")
            )?;
        }
        Ok(())
    }
}
