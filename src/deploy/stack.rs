//! CloudFormation calls for one stack: read its state, run change sets, delete it, and wait for
//! each operation with live progress (polled every 1.5 s; the SDK waiter polls every 30 s or
//! more and counts UPDATE_ROLLBACK_COMPLETE as success, both wrong here).

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{
    Capability, Change, ChangeSetStatus, ChangeSetType, Parameter, TemplateStage,
};

use super::events::{self, StackEvent};
use super::plan::DeployedState;
use super::{DeployError, StackAt};
use crate::epoch;
use crate::model::{StackState, StackStatus};
use crate::terminal::{self, ProgressMode, Spinner};

const POLL: Duration = Duration::from_millis(1500);
/// Longest a create, update or delete may take before the tool gives up waiting.
const OPERATION_LIMIT: Duration = Duration::from_secs(30 * 60);

/// The stack's state, or the error telling the user to run `demo up` first.
pub(crate) async fn describe_existing(
    cfn: &Client,
    stack: &str,
    region: &str,
) -> Result<DeployedState, DeployError> {
    describe(cfn, stack)
        .await?
        .ok_or_else(|| DeployError::NoStack {
            stack: stack.to_owned(),
            region: region.to_owned(),
        })
}

/// The stack's state, or None when there is none (or only a deleted one).
pub(crate) async fn describe(
    cfn: &Client,
    stack: &str,
) -> Result<Option<DeployedState>, DeployError> {
    let output = match cfn.describe_stacks().stack_name(stack).send().await {
        Ok(output) => output,
        Err(err) if is_missing(&err) => return Ok(None),
        Err(err) => return Err(DeployError::aws(format!("describe stack {stack}"), err)),
    };
    let Some(found) = output.stacks().first() else {
        return Ok(None);
    };
    let status = StackStatus::from(found.stack_status().map_or("", |s| s.as_str()));
    if status.is_deleted() {
        return Ok(None);
    }
    let parameters = found
        .parameters()
        .iter()
        .filter_map(|p| {
            Some((
                p.parameter_key()?.to_owned(),
                p.parameter_value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    let template_body = if status.is_review() {
        None
    } else {
        cfn.get_template()
            .stack_name(stack)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("read the template of stack {stack}"), err))?
            .template_body
    };
    Ok(Some(DeployedState {
        last_changed: found
            .last_updated_time()
            .or(found.creation_time())
            .and_then(|t| SystemTime::try_from(*t).ok()),
        stack_id: found.stack_id().unwrap_or(stack).to_owned(),
        status,
        parameters,
        template_body,
    }))
}

fn is_missing<E, R>(err: &aws_sdk_cloudformation::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_cloudformation::error::ProvideErrorMetadata,
{
    let message = err
        .as_service_error()
        .and_then(|e| e.message())
        .unwrap_or_default();
    super::errors::is_stack_missing(err.as_service_error().and_then(|e| e.code()), message)
}

/// A change set that is ready to execute, or the news that there is nothing to change.
pub(crate) enum ChangeSetOutcome {
    Ready { name: String, changes: Vec<Change> },
    NoChanges,
}

/// Where a change set's template comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TemplateSource<'a> {
    Body(&'a str),
    /// The stack's own (`UsePreviousTemplate`).
    Previous,
}

/// Creates a change set and waits until CloudFormation has computed it.
pub(crate) async fn create_change_set(
    cfn: &Client,
    stack: &str,
    template: &str,
    parameters: &BTreeMap<String, String>,
    create: bool,
) -> Result<ChangeSetOutcome, DeployError> {
    let parameters = parameters
        .iter()
        .map(|(key, value)| {
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build()
        })
        .collect();
    let source = TemplateSource::Body(template);
    create_change_set_from(cfn, stack, source, parameters, create).await
}

/// Creates a change set from `source` and `parameters` (values or `UsePreviousValue`) and waits
/// until CloudFormation has computed it.
pub(crate) async fn create_change_set_from(
    cfn: &Client,
    stack: &str,
    source: TemplateSource<'_>,
    parameters: Vec<Parameter>,
    create: bool,
) -> Result<ChangeSetOutcome, DeployError> {
    // Unique per run: two `up`s in the same second (on one emulator) must not share a name.
    let name = format!(
        "demo-{}-{}",
        epoch::millis(SystemTime::now()),
        std::process::id()
    );
    let request = cfn
        .create_change_set()
        .stack_name(stack)
        .change_set_name(&name)
        .change_set_type(if create {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        });
    let request = match source {
        TemplateSource::Body(body) => request.template_body(body),
        TemplateSource::Previous => request.use_previous_template(true),
    };
    let created = request
        .set_parameters(Some(parameters))
        .capabilities(Capability::CapabilityNamedIam)
        .description("demo")
        .send()
        .await;
    if let Err(err) = created {
        let message = aws_sdk_cloudformation::error::ProvideErrorMetadata::message(&err)
            .unwrap_or_default()
            .to_owned();
        if super::errors::is_no_changes(
            aws_sdk_cloudformation::error::ProvideErrorMetadata::code(&err),
            &message,
        ) {
            return Ok(ChangeSetOutcome::NoChanges);
        }
        return Err(DeployError::aws(
            format!("create a change set for stack {stack}"),
            err,
        ));
    }
    computed(cfn, stack, name).await
}

/// Polls change set `name` until CloudFormation has computed it (or found nothing to change).
async fn computed(
    cfn: &Client,
    stack: &str,
    name: String,
) -> Result<ChangeSetOutcome, DeployError> {
    let started = Instant::now();
    loop {
        let described = cfn
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(&name)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("describe change set {name}"), err))?;
        match described.status() {
            Some(ChangeSetStatus::CreateComplete) => {
                // An empty change set is executed all the same: the caller only gets here when
                // the template or a parameter differs, and moto lists no changes for a
                // parameter-only update it does apply. On AWS, executing it is harmless.
                return Ok(ChangeSetOutcome::Ready {
                    name,
                    changes: described.changes().to_vec(),
                });
            }
            Some(ChangeSetStatus::Failed) => {
                let reason = described.status_reason().unwrap_or_default().to_owned();
                delete_change_set(cfn, stack, &name).await;
                if super::errors::is_no_changes(None, &reason) {
                    return Ok(ChangeSetOutcome::NoChanges);
                }
                return Err(DeployError::Failed {
                    stack: stack.into(),
                    status: StackAt::ChangeSetFailed,
                    cause: reason,
                    fix: "correct the value or template named above and run `demo up` again".into(),
                });
            }
            _ if started.elapsed() > Duration::from_secs(300) => {
                return Err(DeployError::Timeout {
                    stack: stack.into(),
                    status: StackAt::ComputingChangeSet,
                    minutes: 5,
                    command: "up",
                });
            }
            _ => tokio::time::sleep(Duration::from_millis(700)).await,
        }
    }
}

/// What `apply` did to the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Created,
    Updated,
    /// CloudFormation found nothing to change.
    UpToDate,
}

/// Creates a change set, prints it, executes it and waits with progress. A change set that
/// deletes data (a table, the stream, the queue or a log group removed or replaced) runs only
/// once the user agrees, or with `yes`; otherwise it is deleted unexecuted.
pub(crate) async fn apply(
    cfn: &Client,
    region: &str,
    stack_name: &str,
    template: &str,
    current: Option<&DeployedState>,
    desired: &BTreeMap<String, String>,
    yes: bool,
) -> Result<Applied, DeployError> {
    let create = current.is_none_or(|c| c.status.is_review());
    let (name, change_list) =
        match create_change_set(cfn, stack_name, template, desired, create).await? {
            ChangeSetOutcome::NoChanges => return Ok(Applied::UpToDate),
            ChangeSetOutcome::Ready { name, changes } => (name, changes),
        };
    eprint!("{}", super::changes::render(&change_list));
    let losses = super::data_loss::find(&change_list);
    if let Err(refused) = super::data_loss::confirm(&losses, yes, stack_name) {
        delete_change_set(cfn, stack_name, &name).await;
        return Err(refused);
    }
    let since = SystemTime::now();
    execute_change_set(cfn, stack_name, &name).await?;
    let id = match current {
        Some(c) => c.stack_id.clone(),
        None => describe(cfn, stack_name)
            .await?
            .map_or(stack_name.to_owned(), |s| s.stack_id),
    };
    let finished = wait(cfn, &id, since, "up").await?;
    if finished.state() != StackState::Succeeded {
        return Err(failure(stack_name, region, &finished));
    }
    Ok(if create {
        Applied::Created
    } else {
        Applied::Updated
    })
}

/// Deletes a change set we no longer need; failure to tidy is not worth failing the run.
pub(crate) async fn delete_change_set(cfn: &Client, stack: &str, name: &str) {
    if let Err(err) = cfn
        .delete_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
    {
        tracing::debug!(error = %aws_sdk_cloudformation::error::DisplayErrorContext(&err), "could not delete change set {name}");
    }
}

pub(crate) async fn execute_change_set(
    cfn: &Client,
    stack: &str,
    name: &str,
) -> Result<(), DeployError> {
    cfn.execute_change_set()
        .stack_name(stack)
        .change_set_name(name)
        .send()
        .await
        .map_err(|err| {
            DeployError::aws(format!("execute change set {name} on stack {stack}"), err)
        })?;
    Ok(())
}

pub(crate) async fn delete(cfn: &Client, stack: &str) -> Result<(), DeployError> {
    cfn.delete_stack()
        .stack_name(stack)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("delete stack {stack}"), err))?;
    Ok(())
}

/// How an operation ended.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) status: StackStatus,
    pub(crate) events: Vec<StackEvent>,
}

impl Finished {
    /// What its status means for the operation.
    pub(crate) fn state(&self) -> StackState {
        self.status.state()
    }
}

/// Polls the stack (by id, so a deleted stack is still visible) until its status is no longer
/// in progress, printing each new event on stderr as it appears.
pub(crate) async fn wait(
    cfn: &Client,
    stack_id: &str,
    since: SystemTime,
    command: &'static str,
) -> Result<Finished, DeployError> {
    let started = Instant::now();
    // A few seconds of margin for clock skew between this machine and AWS; `seen` keeps the
    // margin from printing anything twice.
    let since_ms = epoch::millis(since) - 5_000;
    let mut seen = HashSet::new();
    let mut events_so_far = Vec::new();
    let name = stack_id.rsplit('/').nth(1).unwrap_or(stack_id);
    let progress = Spinner::start(ProgressMode::current(), &format!("stack {name}: "));
    loop {
        let fresh = events::new_events(&mut seen, recent_events(cfn, stack_id).await?, since_ms);
        for event in &fresh {
            terminal::note(events::render(event));
        }
        events_so_far.extend(fresh);
        let status = match cfn.describe_stacks().stack_name(stack_id).send().await {
            Ok(output) => output
                .stacks()
                .first()
                .and_then(|s| s.stack_status())
                .map_or_else(StackStatus::deleted, |s| s.clone().into()),
            Err(err) if is_missing(&err) => StackStatus::deleted(),
            Err(err) => return Err(DeployError::aws(format!("describe stack {stack_id}"), err)),
        };
        let state = status.state();
        progress.set_live(format!(
            "{status}, {} resources done",
            resources_done(&events_so_far)
        ));
        // Right after a change set is executed the stack may still read REVIEW_IN_PROGRESS.
        let settling = state == StackState::Review && started.elapsed() < Duration::from_secs(60);
        if state.is_terminal() && !settling {
            return Ok(Finished {
                status,
                events: events_so_far,
            });
        }
        if started.elapsed() > OPERATION_LIMIT {
            return Err(DeployError::Timeout {
                stack: stack_id.into(),
                status: StackAt::Status(status),
                minutes: OPERATION_LIMIT.as_secs() / 60,
                command,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Resources (not the stack itself) whose latest event is a complete one.
fn resources_done(events: &[StackEvent]) -> usize {
    let mut latest = std::collections::HashMap::new();
    for event in events.iter().filter(|e| !e.is_stack()) {
        latest.insert(&event.logical_id, &event.status);
    }
    latest.values().filter(|s| s.is_complete()).count()
}

/// The newest page of events (newest first, as CloudFormation returns them); an operation's
/// events that scroll past one page between two polls are rare and only cost a line of progress.
async fn recent_events(cfn: &Client, stack_id: &str) -> Result<Vec<StackEvent>, DeployError> {
    let output = match cfn
        .describe_stack_events()
        .stack_name(stack_id)
        .send()
        .await
    {
        Ok(output) => output,
        Err(err) if is_missing(&err) => return Ok(Vec::new()),
        Err(err) => {
            return Err(DeployError::aws(
                format!("read events of stack {stack_id}"),
                err,
            ));
        }
    };
    Ok(output.stack_events().iter().map(from_sdk).collect())
}

fn from_sdk(event: &aws_sdk_cloudformation::types::StackEvent) -> StackEvent {
    StackEvent {
        event_id: event.event_id().unwrap_or_default().to_owned(),
        timestamp_ms: event
            .timestamp()
            .and_then(|t| t.to_millis().ok())
            .unwrap_or_default(),
        logical_id: event.logical_resource_id().unwrap_or_default().to_owned(),
        resource_type: event.resource_type().unwrap_or_default().to_owned(),
        status: event.resource_status().map_or("", |s| s.as_str()).into(),
        reason: event.resource_status_reason().map(str::to_owned),
    }
}

/// The error for an operation that did not end as meant: the failing resource and its reason
/// (not just the stack status), and what to do. For a stack stuck in a failed delete or
/// rollback, the resource is the one that step could not handle.
pub(crate) fn failure(stack: &str, region: &str, finished: &Finished) -> DeployError {
    let stuck = finished.status.is_stuck();
    let culprit = if stuck {
        events::blocking_failure(&finished.events)
    } else {
        events::first_failure(&finished.events)
    };
    let cause = culprit.map(events::explain_failure).unwrap_or_else(|| {
        "CloudFormation reported no failing resource; see the stack's events in the console".into()
    });
    let logical_id = culprit.map(|e| e.logical_id.as_str());
    let fix = events::stuck_guidance(&finished.status, stack, region, logical_id)
        .or_else(|| events::guidance(finished.state(), stack, region))
        .unwrap_or_else(|| "fix the cause above and run the command again".into());
    DeployError::Failed {
        stack: stack.to_owned(),
        status: StackAt::Status(finished.status.clone()),
        cause,
        fix,
    }
}

/// The error for a stack found stuck (a failed delete or rollback): its latest events name the
/// resource and the reason.
pub(crate) async fn stuck(
    cfn: &Client,
    stack: &str,
    region: &str,
    current: &DeployedState,
) -> DeployError {
    match recent_events(cfn, &current.stack_id).await {
        Ok(events) => failure(
            stack,
            region,
            &Finished {
                status: current.status.clone(),
                events,
            },
        ),
        Err(err) => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(logical_id: &str, status: &str) -> StackEvent {
        StackEvent {
            event_id: format!("{logical_id}-{status}"),
            timestamp_ms: 0,
            logical_id: logical_id.into(),
            resource_type: if logical_id == "s" {
                "AWS::CloudFormation::Stack".into()
            } else {
                "AWS::Kinesis::Stream".into()
            },
            status: status.into(),
            reason: None,
        }
    }

    #[test]
    fn resources_done_counts_each_resource_by_its_latest_event_and_not_the_stack() {
        let events = [
            event("s", "CREATE_IN_PROGRESS"),
            event("Stream", "CREATE_IN_PROGRESS"),
            event("Table1", "CREATE_IN_PROGRESS"),
            event("Stream", "CREATE_COMPLETE"),
            event("Table1", "CREATE_COMPLETE"),
            event("Table1", "UPDATE_IN_PROGRESS"),
            event("s", "CREATE_COMPLETE"),
        ];
        assert_eq!(resources_done(&events), 1);
    }
}
