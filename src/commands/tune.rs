//! `demo tune`: change a consumer's batching in seconds, and keep the stack the source of truth.
//!
//! Why both a direct update and a stack update: a CloudFormation update per tune is what every
//! peer does and takes a minute on AWS; `UpdateEventSourceMapping` takes effect in seconds. So
//! the tool updates the mapping directly, waits until Lambda reports it Enabled with the new
//! values (that is the figure it reports), and then records the values as the stack's
//! parameters with a parameter-only change set. CloudFormation then agrees with the mapping, a
//! later plain `demo up` keeps the tuned values, `demo status` shows them, and `demo down`
//! deletes the stack as usual.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::{Clients, connect};
use crate::deploy::names::CONSUMERS;
use crate::deploy::resources::{self, Mapping};
use crate::deploy::tuning::{self, Batching, TuneRequest};
use crate::deploy::{DeployError, plan, stack, template};
use crate::error::CliError;
use crate::output;
use crate::settings::Settings;

/// How long a mapping may take to report the new values.
const EFFECT_LIMIT: Duration = Duration::from_secs(300);

#[derive(Debug, Serialize)]
pub struct TuneReport {
    pub stack: String,
    pub dry_run: bool,
    pub changes: Vec<MappingChange>,
    /// Seconds from the first update call until every mapping reported the new values.
    pub effect_seconds: Option<f64>,
    /// Seconds the stack took to record them as parameters.
    pub stack_seconds: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct MappingChange {
    pub consumer: usize,
    pub function: String,
    pub before: Batching,
    pub after: Batching,
}

pub async fn run(settings: &Settings, request: TuneRequest) -> Result<(), CliError> {
    let specs = template::parameter_specs();
    tuning::validate(&specs, &request)?;
    let clients = connect(&settings.aws).await?;
    let stack_name = &settings.aws.stack_name;
    let current =
        stack::describe_existing(&clients.cloudformation, stack_name, &clients.region).await?;
    let mut changes = Vec::new();
    let mut mappings = Vec::new();
    for consumer in request.consumers.numbers() {
        let mapping = consumer_mapping(&clients, stack_name, consumer).await?;
        let before = batching(&mapping);
        changes.push(MappingChange {
            consumer,
            function: mapping.function.clone(),
            before,
            after: tuning::after(before, &request),
        });
        mappings.push(mapping);
    }
    let mut report = TuneReport {
        stack: stack_name.clone(),
        dry_run: request.dry_run,
        changes,
        effect_seconds: None,
        stack_seconds: None,
    };
    if !request.dry_run {
        let started = Instant::now();
        for (mapping, change) in mappings.iter().zip(&report.changes) {
            update_mapping(&clients, mapping, change.after).await?;
        }
        for (mapping, change) in mappings.iter().zip(&report.changes) {
            wait_for_effect(&clients, mapping, change.after, started).await?;
        }
        report.effect_seconds = Some(started.elapsed().as_secs_f64());
        eprintln!(
            "mappings report the new values after {:.1} s; recording them in the stack",
            started.elapsed().as_secs_f64()
        );
        let started = Instant::now();
        record_in_stack(&clients, stack_name, &current, &request, &specs).await?;
        report.stack_seconds = Some(started.elapsed().as_secs_f64());
    }
    output::emit(settings.output, &report)
}

async fn consumer_mapping(
    clients: &Clients,
    stack: &str,
    consumer: usize,
) -> Result<Mapping, DeployError> {
    let function = format!("{stack}-{}", CONSUMERS[consumer - 1]);
    let mut found = resources::mappings_of(clients, consumer, &function).await?;
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(DeployError::Incomplete(format!(
            "function {function} has {n} event source mappings, expected 1: run `demo up` to repair the stack"
        ))),
    }
}

fn batching(mapping: &Mapping) -> Batching {
    Batching {
        batch_size: mapping.batch_size.unwrap_or_default(),
        window_seconds: mapping.window_seconds.unwrap_or_default(),
    }
}

async fn update_mapping(
    clients: &Clients,
    mapping: &Mapping,
    after: Batching,
) -> Result<(), DeployError> {
    clients
        .lambda
        .update_event_source_mapping()
        .uuid(&mapping.uuid)
        .batch_size(after.batch_size)
        .maximum_batching_window_in_seconds(after.window_seconds)
        .send()
        .await
        .map_err(|err| {
            DeployError::aws(
                format!("update the event source mapping of {}", mapping.function),
                err,
            )
        })?;
    Ok(())
}

/// Polls until the mapping is Enabled with the new values: that is when the change is live.
async fn wait_for_effect(
    clients: &Clients,
    mapping: &Mapping,
    after: Batching,
    started: Instant,
) -> Result<(), DeployError> {
    loop {
        let current = clients
            .lambda
            .get_event_source_mapping()
            .uuid(&mapping.uuid)
            .send()
            .await
            .map_err(|err| {
                DeployError::aws(
                    format!("read the event source mapping of {}", mapping.function),
                    err,
                )
            })?;
        let state = current.state().unwrap_or_default().to_owned();
        let values = (
            current.batch_size(),
            current.maximum_batching_window_in_seconds(),
        );
        if state == "Enabled" && values == (Some(after.batch_size), Some(after.window_seconds)) {
            return Ok(());
        }
        if started.elapsed() > EFFECT_LIMIT {
            return Err(DeployError::Incomplete(format!(
                "the mapping of {} is still {state} with batch {:?} / window {:?} after {} s; `demo status` shows it, `demo tune` again retries",
                mapping.function,
                values.0,
                values.1,
                EFFECT_LIMIT.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A parameter-only change set: same template, same values, but the tuned ones.
async fn record_in_stack(
    clients: &Clients,
    stack_name: &str,
    current: &plan::DeployedState,
    request: &TuneRequest,
    specs: &BTreeMap<String, template::ParameterSpec>,
) -> Result<(), DeployError> {
    let overrides: Vec<_> = request
        .consumers
        .numbers()
        .into_iter()
        .flat_map(|c| tuning::overrides(request, c))
        .collect();
    let desired = plan::desired_parameters(
        specs,
        &BTreeMap::new(),
        &overrides,
        Some(&current.parameters),
    );
    if desired == current.parameters {
        return Ok(());
    }
    let template = current
        .template_body
        .as_deref()
        .unwrap_or(template::TEMPLATE);
    stack::apply(
        &clients.cloudformation,
        &clients.region,
        stack_name,
        template,
        Some(current),
        &desired,
    )
    .await?;
    Ok(())
}

impl fmt::Display for TuneReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "would change"
        } else {
            "changed"
        };
        for change in &self.changes {
            writeln!(
                f,
                "consumer {} ({}) {verb}: batch {} / window {} s → batch {} / window {} s",
                change.consumer,
                change.function,
                change.before.batch_size,
                change.before.window_seconds,
                change.after.batch_size,
                change.after.window_seconds
            )?;
        }
        if let Some(seconds) = self.effect_seconds {
            writeln!(
                f,
                "in effect after {seconds:.1} s (mapping Enabled with the new values)"
            )?;
        }
        if let Some(seconds) = self.stack_seconds {
            writeln!(
                f,
                "stack {} records the new values ({seconds:.1} s)",
                self.stack
            )?;
        }
        Ok(())
    }
}
