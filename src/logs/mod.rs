//! `demo logs`: the functions' log events from CloudWatch Logs (the same API on AWS and in the
//! emulator), from the stack's own log groups, interleaved by time, readable, optionally
//! filtered and followed.
//!
//! `source` finds each function's group, `fetch` reads one, `read` merges them (with `filter`
//! and `message` deciding what is shown and how), `follow` reads again until Ctrl-C, `print`
//! writes lines or JSON. `function` names the stack's functions for `demo invoke` too.

pub(crate) mod fetch;
pub(crate) mod filter;
pub(crate) mod follow;
pub(crate) mod function;
pub(crate) mod message;
pub(crate) mod print;
pub(crate) mod read;
pub(crate) mod source;

pub(crate) use function::{NotDeployed, StackFunction};

use crate::aws::AwsError;
use crate::deploy::DeployError;
use crate::output::OutputError;
use crate::report::window::Since;

/// What `demo logs` was asked for, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogsRequest {
    /// The functions to read, in the order their prefixes are given.
    pub(crate) functions: Vec<StackFunction>,
    pub(crate) since: Since,
    pub(crate) follow: bool,
    pub(crate) filter: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LogsError {
    #[error(transparent)]
    Deploy(#[from] DeployError),

    #[error(transparent)]
    Aws(#[from] AwsError),

    #[error(transparent)]
    NotDeployed(#[from] NotDeployed),

    #[error(
        "no log group for {function} ({function_name}): Lambda names none in its LoggingConfig \
         , stack {stack} has no {} and no group is tagged as its; `demo up` puts the stack's \
         back",
        function.log_group_logical_id()
    )]
    NoLogGroup {
        stack: String,
        function: StackFunction,
        function_name: String,
    },

    #[error(transparent)]
    Output(#[from] OutputError),
}

impl LogsError {
    /// Whether the user's environment or stack must change (exit 2) rather than a failure (1).
    pub(crate) fn is_environment(&self) -> bool {
        match self {
            LogsError::Deploy(error) => error.is_environment(),
            LogsError::Aws(error) => error.is_environment(),
            LogsError::NotDeployed(_) | LogsError::NoLogGroup { .. } => true,
            LogsError::Output(_) => false,
        }
    }
}
