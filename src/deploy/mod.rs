//! Deploying the stack: the parameters' values, the plan, the artifact bucket, change
//! sets with live progress, the deployed resources, and tearing it all down.

pub(crate) mod bucket;
pub(crate) mod changes;
pub(crate) mod data_loss;
pub(crate) mod errors;
pub(crate) mod events;
pub(crate) mod interrupt;
pub(crate) mod log_group;
pub(crate) mod mapping;
pub(crate) mod names;
pub(crate) mod plan;
pub(crate) mod preflight;
pub(crate) mod quota;
pub(crate) mod record;
pub mod resources;
pub(crate) mod s3_answers;
pub(crate) mod stack;
pub(crate) mod teardown;
pub(crate) mod tuning;

use std::fmt;

use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use crate::aws::AwsError;
use crate::model::StackStatus;
use crate::model::template::ParameterError;

/// Why a deploy-lifecycle command stopped.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Values refused before any AWS call.
    #[error("{}", join_lines(.0))]
    Invalid(Vec<ParameterError>),

    #[error("no stack named {stack} in {region}: run `demo up` first")]
    NoStack { stack: String, region: String },

    /// A call that failed, or the credentials, region or endpoint that keep any from working.
    #[error(transparent)]
    Aws(#[from] AwsError),

    #[error("could not {action}: {detail}")]
    Local { action: String, detail: String },

    /// The stack operation ended badly; `cause` is the first failing resource and its reason.
    #[error("stack {stack} ended in {status}\n  cause: {cause}\n  fix: {fix}")]
    Failed {
        stack: String,
        status: StackAt,
        cause: String,
        fix: String,
    },

    #[error("stack {stack} is {status}: {guidance}")]
    Blocked {
        stack: String,
        status: StackAt,
        guidance: String,
    },

    #[error(
        "stack {stack} was still {status} after {minutes} min; `demo status` shows where it is, and `demo {command}` again resumes waiting"
    )]
    Timeout {
        stack: String,
        status: StackAt,
        minutes: u64,
        command: &'static str,
    },

    #[error(
        "refusing to delete stack {stack} without confirmation: pass --yes (stdin is not a terminal)"
    )]
    NeedsConfirmation { stack: String },

    #[error(
        "refusing to update stack {stack} without confirmation, because it deletes data:\n{losses}  pass --yes to go on (stdin is not a terminal), or leave the stack as it is"
    )]
    WouldLoseData { stack: String, losses: String },

    #[error("{0}")]
    Incomplete(String),

    /// A resource of the stack's name that the stack does not own: left alone, and the run
    /// stops because it cannot go on without it.
    #[error("{0}")]
    NotOurs(String),

    /// Consumers' mappings that are not Enabled though nobody chose that: no records reach
    /// those consumers (exit 1).
    #[error("{}", join_stopped(.0))]
    MappingsStopped(Vec<mapping::Stopped>),
}

/// Where a stack was when a run stopped on it: a status CloudFormation reported, or a step of
/// the tool's own that has none.
#[derive(Debug, Clone, PartialEq)]
pub enum StackAt {
    Status(StackStatus),
    /// CloudFormation was still computing a change set.
    ComputingChangeSet,
    /// The change set ended FAILED (it never touched the stack).
    ChangeSetFailed,
    /// The stack was no longer there.
    Gone,
}

impl fmt::Display for StackAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackAt::Status(status) => status.fmt(f),
            StackAt::ComputingChangeSet => f.write_str("computing a change set"),
            StackAt::ChangeSetFailed => f.write_str("change set FAILED"),
            StackAt::Gone => f.write_str("gone"),
        }
    }
}

impl DeployError {
    /// An SDK error on `action`; connection and credential problems become one sentence of guidance.
    pub(crate) fn aws<E>(action: impl Into<String>, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        DeployError::Aws(AwsError::from_sdk(action, err))
    }

    /// Whether this is the user's environment or input (exit 2) rather than a failure (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        matches!(
            self,
            DeployError::Invalid(_)
                | DeployError::Aws(AwsError::Environment { .. })
                | DeployError::NoStack { .. }
                | DeployError::NeedsConfirmation { .. }
                | DeployError::WouldLoseData { .. }
                | DeployError::NotOurs(_)
        )
    }
}

fn join_stopped(stopped: &[mapping::Stopped]) -> String {
    // main prefixes the first with "error: "; each stopped mapping gets its own.
    (stopped.iter())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\nerror: ")
}

/// Several refused values as one error: `main` prefixes the first line with "error: ", the
/// others get the same prefix here.
pub(crate) fn join_lines(problems: &[ParameterError]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\nerror: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_a_stack_was_is_said_in_cloudformations_words_or_the_tools() {
        let failed = DeployError::Failed {
            stack: "demo".into(),
            status: StackAt::ChangeSetFailed,
            cause: "Parameter 'ShardCount' must be a number.".into(),
            fix: "correct it".into(),
        };
        assert!(
            failed
                .to_string()
                .starts_with("stack demo ended in change set FAILED\n  cause: Parameter")
        );
        let rolled_back = DeployError::Failed {
            stack: "demo".into(),
            status: StackAt::Status("UPDATE_ROLLBACK_COMPLETE".into()),
            cause: "c".into(),
            fix: "f".into(),
        };
        assert!(
            rolled_back
                .to_string()
                .starts_with("stack demo ended in UPDATE_ROLLBACK_COMPLETE\n")
        );
        let timeout = DeployError::Timeout {
            stack: "demo".into(),
            status: StackAt::ComputingChangeSet,
            minutes: 5,
            command: "up",
        };
        assert!(
            timeout
                .to_string()
                .starts_with("stack demo was still computing a change set after 5 min;")
        );
        let blocked = DeployError::Blocked {
            stack: "demo".into(),
            status: StackAt::Gone,
            guidance: "g".into(),
        };
        assert_eq!(blocked.to_string(), "stack demo is gone: g");
    }
}
