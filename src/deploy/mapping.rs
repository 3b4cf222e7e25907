//! Every Lambda call on the consumers' event source mappings: list a consumer's, read one,
//! change its batching (batch size, window, parallelization) and wait until Lambda reports the
//! new values, judging whether records still flow (`health`) (`tune`, `up` putting a mapping
//! back, `status`, `report` and the local runner all go through here).

mod health;
#[cfg(test)]
pub(crate) mod tests;

use std::time::{Duration, Instant};

use aws_sdk_lambda::operation::get_event_source_mapping::GetEventSourceMappingOutput;

use super::DeployError;
use crate::model::batching::{Batching, DEFAULT_PARALLELIZATION};
use serde::Serialize;

use crate::aws::Clients;
use crate::model::Consumer;
pub(crate) use health::{Health, Stopped, Verdicts, judge, judge_all, not_enabled};

/// One consumer's event source mapping, as Lambda reports it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Mapping {
    pub(crate) consumer: Consumer,
    pub(crate) function: String,
    pub(crate) uuid: String,
    pub(crate) batch_size: Option<i32>,
    pub(crate) window_seconds: Option<i32>,
    /// Batches in flight per shard at once (ParallelizationFactor, 1–10).
    pub(crate) parallelization: Option<i32>,
    pub(crate) state: String,
    /// Who or what made the last change (StateTransitionReason: "User action", "PROBLEM: …").
    pub(crate) state_reason: Option<String>,
    /// The last processing attempt (LastProcessingResult: "OK", "PROBLEM: …").
    pub(crate) last_result: Option<String>,
    /// When the mapping last changed (`demo report`'s default window starts at the latest change).
    #[serde(skip)]
    pub(crate) last_modified: Option<std::time::SystemTime>,
    /// The consumer's ARN, as the mapping names it (on-failure messages carry it).
    #[serde(skip)]
    pub(crate) function_arn: String,
    pub(crate) failure: FailureHandling,
}

/// What the mapping does with a batch its function keeps failing, as Lambda reports it.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub(crate) struct FailureHandling {
    /// -1: until the records expire from the stream.
    pub(crate) max_retries: Option<i32>,
    pub(crate) bisect: bool,
    /// -1: no limit but the stream's retention.
    pub(crate) max_record_age_seconds: Option<i32>,
    /// ARN of the on-failure destination.
    pub(crate) on_failure: Option<String>,
}

/// How long a mapping may take to report the new values.
const EFFECT_LIMIT: Duration = Duration::from_secs(300);
/// How long a mapping that stays Disabled may take to show the new values: Lambda applies an
/// update to a disabled mapping too, and it does not come back on by itself.
const DISABLED_GRACE: Duration = Duration::from_secs(10);

pub(crate) async fn update_mapping(
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
        .parallelization_factor(after.parallelization)
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

/// The mapping as Lambda reports it now.
async fn read(
    clients: &Clients,
    mapping: &Mapping,
) -> Result<GetEventSourceMappingOutput, DeployError> {
    clients
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
        })
}

/// The mapping's batching as Lambda reports it now.
async fn current_batching(clients: &Clients, mapping: &Mapping) -> Result<Batching, DeployError> {
    Ok(batching_of(&read(clients, mapping).await?))
}

/// The batching in a mapping Lambda reported (a value it left out reads as 0, a left-out
/// parallelization as Lambda's default, 1).
fn batching_of(current: &GetEventSourceMappingOutput) -> Batching {
    Batching {
        batch_size: current.batch_size().unwrap_or_default(),
        window_seconds: current
            .maximum_batching_window_in_seconds()
            .unwrap_or_default(),
        parallelization: current
            .parallelization_factor()
            .unwrap_or(DEFAULT_PARALLELIZATION),
    }
}

/// Polls until Lambda reports the new values, and judges the mapping (`health`): Enabled, the
/// change is live (a failed last processing attempt gives a note); disabled by the user before
/// this change, the values are set and a note says no records flow; not Enabled otherwise, an
/// error at once, not after waiting out the limit.
pub(crate) async fn wait_for_effect(
    clients: &Clients,
    mapping: &Mapping,
    after: Batching,
    started: Instant,
) -> Result<Health, DeployError> {
    let was_enabled = mapping.is_enabled();
    let waiting = Instant::now();
    loop {
        let seen = mapping.as_reported(&read(clients, mapping).await?);
        let arrived = seen.batching() == after;
        match judge(&seen, was_enabled) {
            Health::Stopped(stopped) => return Err(DeployError::MappingsStopped(vec![stopped])),
            Health::Paused(_) if !arrived && waiting.elapsed() > DISABLED_GRACE => {
                return Err(not_in_effect(&seen, DISABLED_GRACE));
            }
            Health::Changing => {}
            health if arrived => return Ok(health),
            _ => {}
        }
        if started.elapsed() > EFFECT_LIMIT {
            return Err(not_in_effect(&seen, EFFECT_LIMIT));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The error for a mapping that did not report the new values in `limit`.
fn not_in_effect(seen: &Mapping, limit: Duration) -> DeployError {
    let values = seen.batching();
    DeployError::Incomplete(format!(
        "the mapping of {} is still {} with batch {} / window {} s / parallelization {} after {}          s; `demo status` shows it, `demo tune` again retries",
        seen.function,
        seen.state,
        values.batch_size,
        values.window_seconds,
        values.parallelization,
        limit.as_secs()
    ))
}

/// The event source mappings of one consumer function.
pub(crate) async fn list(
    clients: &Clients,
    consumer: Consumer,
    function: &str,
) -> Result<Vec<Mapping>, DeployError> {
    // By ARN: AWS takes a name too, but moto matches only the ARN.
    let arn = clients
        .lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("read function {function}"), err))?
        .function_arn
        .unwrap_or_else(|| function.to_owned());
    let output = clients
        .lambda
        .list_event_source_mappings()
        .function_name(&arn)
        .send()
        .await
        .map_err(|err| {
            DeployError::aws(format!("list the event source mappings of {function}"), err)
        })?;
    Ok(output
        .event_source_mappings()
        .iter()
        .map(|m| Mapping {
            consumer,
            function: function.to_owned(),
            uuid: m.uuid().unwrap_or_default().to_owned(),
            batch_size: m.batch_size(),
            window_seconds: m.maximum_batching_window_in_seconds(),
            parallelization: m.parallelization_factor(),
            state: m.state().unwrap_or_default().to_owned(),
            state_reason: m.state_transition_reason().map(str::to_owned),
            last_result: m.last_processing_result().map(str::to_owned),
            last_modified: m
                .last_modified()
                .and_then(|t| std::time::SystemTime::try_from(*t).ok()),
            function_arn: arn.clone(),
            failure: FailureHandling {
                max_retries: m.maximum_retry_attempts(),
                bisect: m.bisect_batch_on_function_error().unwrap_or(false),
                max_record_age_seconds: m.maximum_record_age_in_seconds(),
                on_failure: m
                    .destination_config()
                    .and_then(|d| d.on_failure())
                    .and_then(|o| o.destination())
                    .map(str::to_owned),
            },
        })
        .collect())
}

/// Sets the mapping's batching unless Lambda already reports it (a read that fails is no
/// reason not to try the update), and waits for the effect: records must flow, so a mapping
/// disabled, even by the user, is an error here (`demo sweep` measures through it).
pub(crate) async fn set(
    clients: &Clients,
    mapping: &Mapping,
    batching: Batching,
    started: Instant,
) -> Result<(), DeployError> {
    match current_batching(clients, mapping).await {
        Ok(live) if live == batching => {}
        _ => update_mapping(clients, mapping, batching).await?,
    }
    match wait_for_effect(clients, mapping, batching, started).await? {
        Health::Paused(note) => Err(DeployError::Incomplete(format!(
            "{}: nothing would be measured through it",
            note.trim_start_matches("note: ")
        ))),
        Health::Troubled(note) => {
            crate::terminal::warn(note);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Puts each mapping back to its batching `before` and waits for Lambda to report it; says
/// what it did (`before` described as beside `changed`, the values being undone), or what is
/// left for `demo up` (which puts a mapping back to the stack's values) when it could not.
/// `tune` and `sweep` undo their changes with it; a mapping that is not Enabled gets its values
/// back all the same (its state was reported when it was found).
pub(crate) async fn put_back(
    clients: &Clients,
    restores: &[(&Mapping, Batching, Batching)],
) -> String {
    let started = Instant::now();
    let mut said = Vec::new();
    for &(mapping, before, changed) in restores {
        let restored = match current_batching(clients, mapping).await {
            Ok(live) if live == before => Ok(()),
            _ => update_mapping(clients, mapping, before).await,
        };
        let restored = match restored {
            Ok(_) => wait_for_effect(clients, mapping, before, started).await,
            Err(err) => Err(err),
        };
        let values = Batching::describe_pair(before, changed).0;
        said.push(match restored {
            Ok(_) => format!("the mapping of {} is back at {values}", mapping.function),
            Err(DeployError::MappingsStopped(_)) => format!(
                "the mapping of {} is set back to {values}, but it is not Enabled (see above)",
                mapping.function
            ),
            Err(err) => format!(
                "the mapping of {} could not be put back ({err}): `demo up` puts it back to \
                 the stack's values",
                mapping.function
            ),
        });
    }
    said.join("; ")
}

/// The one mapping of `consumer` of stack `stack`; none or several is a broken stack.
pub(crate) async fn of_consumer(
    clients: &Clients,
    stack: &str,
    consumer: Consumer,
) -> Result<Mapping, DeployError> {
    let function = format!("{stack}-{}", consumer.function());
    let mut found = list(clients, consumer, &function).await?;
    match found.len() {
        1 => Ok(found.remove(0)),
        n => Err(DeployError::Incomplete(format!(
            "function {function} has {n} event source mappings, expected 1: run `demo up` to repair the stack"
        ))),
    }
}

impl Mapping {
    pub(crate) fn is_enabled(&self) -> bool {
        self.state == "Enabled"
    }

    /// Its state as a person reads it: "Enabled", "Disabled (\"USER_INITIATED\")", "Enabled,
    /// last processing \"PROBLEM: Function call failed\"".
    pub(crate) fn condition(&self) -> String {
        let mut text = self.state.clone();
        if let Some(reason) = self.state_reason.as_deref().filter(|_| !self.is_enabled()) {
            text.push_str(&format!(" ({reason:?})"));
        }
        let problem = (self.last_result.as_deref())
            .filter(|r| r.trim_start().to_ascii_uppercase().starts_with("PROBLEM"));
        if let Some(result) = problem {
            text.push_str(&format!(", last processing {result:?}"));
        }
        text
    }

    /// This mapping as Lambda reports it now: values, state, reason and last result.
    fn as_reported(&self, current: &GetEventSourceMappingOutput) -> Mapping {
        let values = batching_of(current);
        Mapping {
            batch_size: Some(values.batch_size),
            window_seconds: Some(values.window_seconds),
            parallelization: Some(values.parallelization),
            state: current.state().unwrap_or_default().to_owned(),
            state_reason: current.state_transition_reason().map(str::to_owned),
            last_result: current.last_processing_result().map(str::to_owned),
            ..self.clone()
        }
    }

    /// Its batching as last read (a value Lambda left out reads as 0, a left-out
    /// parallelization as Lambda's default, 1).
    pub(crate) fn batching(&self) -> Batching {
        Batching {
            batch_size: self.batch_size.unwrap_or_default(),
            window_seconds: self.window_seconds.unwrap_or_default(),
            parallelization: self.parallelization.unwrap_or(DEFAULT_PARALLELIZATION),
        }
    }
}
