//! `demo invoke`: one function invoked once, with an event built as the function would receive
//! it (or read from a file), and what it answered, logged and measured.
//!
//! The parts both ways of invoking share: `event` builds and checks the event (`prepare`: before
//! any call, then for the stack), `target` reads from the stack what the event names (the
//! stream, the API, the role), and `Invocation` (here) is what one invocation gave back, with
//! Lambda's REPORT figures (`local::host::ReportFigures`, which the offline runner writes),
//! which `result` prints. `aws` invokes through Lambda's `Invoke`, `local` runs the function's
//! own process offline and gives back the same `Invocation`.

pub(crate) mod aws;
pub mod event;
pub(crate) mod local;
pub(crate) mod prepare;
pub(crate) mod result;
pub(crate) mod target;

use std::path::PathBuf;

use serde::Serialize;

use crate::aws::AwsError;
use crate::deploy::DeployError;
use crate::local::LocalError;
use crate::local::host::ReportFigures;
use crate::logs::{NotDeployed, StackFunction};
use crate::output::OutputError;

/// What `demo invoke` was asked for, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct InvokeRequest {
    pub(crate) function: StackFunction,
    pub(crate) event: EventSpec,
}

/// Where the event comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventSpec {
    /// Built from this many orders (checked against what the function can be handed).
    Orders(usize),
    /// This file's JSON, as it is.
    File(PathBuf),
}

/// What one invocation gave back, the same whether Lambda ran it (`Invoke`) or the offline
/// runner did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Invocation {
    /// Lambda's status for the call (200 for a synchronous invocation that ran, failed or not).
    pub(crate) status_code: i32,
    pub(crate) executed_version: Option<String>,
    /// Set when the function failed (`X-Amz-Function-Error`: `Unhandled` or `Handled`);
    /// `payload` is then its error.
    pub(crate) function_error: Option<String>,
    /// The function's response, or its error.
    #[serde(skip)]
    pub(crate) payload: Vec<u8>,
    /// The invocation's log lines as written (START … REPORT), oldest first.
    pub(crate) log_lines: Vec<String>,
    /// Whether only the end of the log came back (Invoke returns its last 4 KB), so that the
    /// first line may be cut.
    pub(crate) log_cut: bool,
    /// The REPORT line's figures, when the log holds one.
    pub(crate) report: Option<ReportFigures>,
}

impl Invocation {
    /// An invocation's answer and log; the REPORT figures are read from the log.
    pub(crate) fn new(
        payload: Vec<u8>,
        function_error: Option<String>,
        log_lines: Vec<String>,
        log_cut: bool,
    ) -> Self {
        let report = ReportFigures::find(log_lines.iter().map(String::as_str));
        Invocation {
            status_code: 200,
            executed_version: None,
            function_error,
            payload,
            log_lines,
            log_cut,
            report,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum InvokeError {
    /// Input refused before any call.
    #[error("{0}")]
    Invalid(String),

    /// An event the function cannot be handed (too many orders, too many bytes).
    #[error(transparent)]
    Refused(#[from] event::EventRefused),

    #[error(transparent)]
    Deploy(#[from] DeployError),

    #[error(transparent)]
    Aws(#[from] AwsError),

    /// Running the function offline (`--local`) failed.
    #[error(transparent)]
    Local(#[from] LocalError),

    #[error(transparent)]
    NotDeployed(#[from] NotDeployed),

    #[error("{0}")]
    Incomplete(String),

    /// The function ran and failed: its error is printed with the rest (exit 1).
    #[error("{function} ({function_name}) failed ({kind}): its error payload is on stdout")]
    FunctionFailed {
        function: StackFunction,
        function_name: String,
        kind: String,
    },

    #[error(transparent)]
    Output(#[from] OutputError),
}

impl InvokeError {
    /// Whether the user's input, environment or stack must change (exit 2) rather than a
    /// failure (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        match self {
            InvokeError::Invalid(_)
            | InvokeError::Refused(_)
            | InvokeError::NotDeployed(_)
            | InvokeError::Incomplete(_) => true,
            InvokeError::Deploy(error) => error.is_environment(),
            InvokeError::Aws(error) => error.is_environment(),
            InvokeError::Local(error) => error.is_environment(),
            InvokeError::FunctionFailed { .. } | InvokeError::Output(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invocation_reads_its_report_from_its_log() {
        let lines = vec![
            "START RequestId: r1 Version: $LATEST".to_owned(),
            "END RequestId: r1".to_owned(),
            "REPORT RequestId: r1\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 20 MB\t"
                .to_owned(),
        ];
        let invocation = Invocation::new(b"{}".to_vec(), None, lines, false);
        assert_eq!(invocation.report.unwrap().billed_duration_ms, 2);
        let bare = Invocation::new(b"{}".to_vec(), None, vec![], false);
        assert_eq!(bare.report, None);
    }

    #[test]
    fn bad_input_exits_2_and_a_failed_function_1() {
        assert!(InvokeError::Invalid("x".into()).is_environment());
        let failed = InvokeError::FunctionFailed {
            function: StackFunction::Producer,
            function_name: "s-put-record".into(),
            kind: "Unhandled".into(),
        };
        assert!(!failed.is_environment());
    }
}
