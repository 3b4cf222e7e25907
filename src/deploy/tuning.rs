//! `demo tune` (and `demo sweep --apply`) below the commands: a batching change, checked once
//! by `settings` into a `model::batching::Tuning`, put live on the mappings in seconds, then
//! recorded as the stack's parameters; and the drift a mapping shows from the stack (`drift`).
//!
//! Why both a direct update and a stack update: a CloudFormation update per tune is what every
//! peer does and takes a minute on AWS; `UpdateEventSourceMapping` takes effect in seconds. So
//! the tool updates the mapping directly, waits until Lambda reports it Enabled with the new
//! values (that is the figure it reports), and then records the values as the stack's
//! parameters with a parameter-only change set. CloudFormation then agrees with the mapping, a
//! later plain `demo up` keeps the tuned values, `demo status` shows them, and `demo down`
//! deletes the stack as usual.
//!
//! The two must not end up disagreeing: the recording keeps the deployed template and every
//! other parameter's deployed value; if CloudFormation refuses or rolls it back, the mapping is
//! put back (a rollback does that itself) and the run fails; Ctrl-C before the recording puts
//! the mapping back, Ctrl-C during it lets CloudFormation finish, whose outcome agrees either way.

mod drift;
mod report;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use super::DeployError;
use super::mapping::{self, Mapping, update_mapping, wait_for_effect};
use super::plan::DeployedState;
use super::preflight::{self, Concurrency};
use super::record::{self, Recorded};
use super::{interrupt, stack};
use crate::aws::Clients;
use crate::model::Consumers;
use crate::model::batching::Tuning;
use crate::terminal;
pub(crate) use drift::{Drift, drift};
pub(crate) use report::{MappingChange, TuneReport};

/// What `demo tune` was asked for, its values checked.
#[derive(Debug, Clone)]
pub(crate) struct TuneRequest {
    pub(crate) consumers: Consumers,
    pub(crate) tuning: Tuning,
    pub(crate) dry_run: bool,
}

/// Tunes the mappings and records the values in the stack (`demo tune`, `demo sweep --apply`).
pub(crate) async fn apply(
    clients: &Clients,
    stack_name: &str,
    request: &TuneRequest,
) -> Result<TuneReport, DeployError> {
    let current =
        stack::describe_existing(&clients.cloudformation, stack_name, &clients.region).await?;
    let (mappings, changes) = planned(clients, stack_name, request).await?;
    if request.tuning.sets_parallelization() {
        fits_the_account(&clients.lambda, &current, &changes).await?;
    }
    let mut report = TuneReport {
        stack: stack_name.to_owned(),
        dry_run: request.dry_run,
        changes,
        effect_seconds: None,
        stack_seconds: None,
        notes: Vec::new(),
    };
    if !request.dry_run {
        go_live_and_record(clients, &current, &mappings, request, &mut report).await?;
    }
    Ok(report)
}

/// Each chosen consumer's mapping as it is, and the change the tune makes to it.
async fn planned(
    clients: &Clients,
    stack_name: &str,
    request: &TuneRequest,
) -> Result<(Vec<Mapping>, Vec<MappingChange>), DeployError> {
    let mut mappings = Vec::new();
    let mut changes = Vec::new();
    for &consumer in request.consumers.members() {
        let mapping = mapping::of_consumer(clients, stack_name, consumer).await?;
        let before = mapping.batching();
        changes.push(MappingChange {
            consumer,
            function: mapping.function.clone(),
            before,
            after: request.tuning.applied_to(before),
        });
        mappings.push(mapping);
    }
    Ok((mappings, changes))
}

/// The two steps, with Ctrl-C deferred from the first mapping update until the stack records
/// the values: this run ends that step itself (see `go_live` and `record`).
async fn go_live_and_record(
    clients: &Clients,
    current: &DeployedState,
    mappings: &[Mapping],
    request: &TuneRequest,
    report: &mut TuneReport,
) -> Result<(), DeployError> {
    let stack_name = report.stack.as_str();
    interrupt::install();
    let _deferred = interrupt::defer();
    // Said only on a second Ctrl-C, which stops before the mapping is put back.
    interrupt::doing(format!(
        "the mapping may hold the new values while stack {stack_name} does not: `demo up` \
         puts it back to the stack's values, `demo tune` again applies the change"
    ));
    let started = Instant::now();
    report.notes = go_live(clients, mappings, &report.changes, started).await?;
    report.effect_seconds = Some(started.elapsed().as_secs_f64());
    terminal::note(format!(
        "mappings report the new values after {:.1} s; recording them in the stack",
        started.elapsed().as_secs_f64()
    ));
    let started = Instant::now();
    let tuned: Vec<_> = (request.consumers.members().iter())
        .flat_map(|&c| request.tuning.parameters(c))
        .collect();
    match record::record(clients, stack_name, current, &tuned).await? {
        Recorded::Done | Recorded::Unchanged => {}
        Recorded::Failed(err) => {
            let back = put_back(clients, mappings, &report.changes).await;
            return Err(not_recorded(stack_name, err, &back));
        }
    }
    report.stack_seconds = Some(started.elapsed().as_secs_f64());
    Ok(())
}

/// A parallelization the account's concurrency cannot run is refused before any mapping
/// changes, as `up` refuses it: the stack's shards and factors with the tune's changes.
async fn fits_the_account(
    lambda: &aws_sdk_lambda::Client,
    current: &DeployedState,
    changes: &[MappingChange],
) -> Result<(), DeployError> {
    let mut consumers = Concurrency::of(&current.parameters);
    for change in changes {
        consumers.parallelization[change.consumer.index()] =
            change.after.parallelization.max(1) as u32;
    }
    preflight::check_parallelization(lambda, [consumers]).await
}

/// Updates every mapping and waits until each reports its new values, returning what Lambda
/// reports besides (see `mapping::wait_for_effect`): a mapping the user had disabled keeps the
/// values and a note; one that is not Enabled otherwise fails the tune at once. Ctrl-C or a
/// failure on the way puts every mapping back as it was (the stack still holds those values).
async fn go_live(
    clients: &Clients,
    mappings: &[Mapping],
    changes: &[MappingChange],
    started: Instant,
) -> Result<Vec<String>, DeployError> {
    let step = async {
        for (mapping, change) in mappings.iter().zip(changes) {
            update_mapping(clients, mapping, change.after).await?;
        }
        let mut notes = Vec::new();
        for (mapping, change) in mappings.iter().zip(changes) {
            let health = wait_for_effect(clients, mapping, change.after, started).await?;
            notes.extend(health.note().map(str::to_owned));
        }
        test_pause().await;
        Ok::<_, DeployError>(notes)
    };
    let outcome = tokio::select! {
        outcome = step => Some(outcome),
        () = interrupt::requested() => None,
    };
    match outcome {
        Some(Ok(notes)) => Ok(notes),
        Some(Err(err)) => {
            let back = put_back(clients, mappings, changes).await;
            Err(DeployError::Incomplete(format!("{err}\n  {back}")))
        }
        None => {
            let back = put_back(clients, mappings, changes).await;
            interrupt::exit(&format!(
                "{back}; the stack was not changed. `demo tune` again applies the change"
            ))
        }
    }
}

/// Test-only pause between the two steps, so a test can interrupt exactly there: set
/// `DEMO_TEST_PAUSE_BEFORE_RECORD=<seconds>`. Read only by debug builds; a release build
/// ignores it.
async fn test_pause() {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(seconds) = std::env::var("DEMO_TEST_PAUSE_BEFORE_RECORD")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return;
    };
    terminal::note(format!(
        "test pause: {seconds} s before recording in the stack"
    ));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
}

/// Puts each mapping back to its values before the tune (see `mapping::put_back`).
async fn put_back(clients: &Clients, mappings: &[Mapping], changes: &[MappingChange]) -> String {
    let restores: Vec<_> = (mappings.iter().zip(changes))
        .map(|(m, c)| (m, c.before, c.after))
        .collect();
    mapping::put_back(clients, &restores).await
}

/// The error for a recording CloudFormation refused or rolled back.
fn not_recorded(stack_name: &str, err: DeployError, back: &str) -> DeployError {
    DeployError::Incomplete(format!(
        "stack {stack_name} could not record the new values, so the tune is undone: {back} \
         (a rolled-back update restores the mapping with the stack's old parameters)\n  \
         cause: {err}\n  fix: correct the cause and run `demo tune` again"
    ))
}
