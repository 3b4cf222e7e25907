//! Why `demo report` (or a sweep reading back one of its runs) stopped: a `--since` it cannot
//! use, or a reading from AWS that failed.

use super::window::WindowError;
use crate::aws::AwsError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    #[error(transparent)]
    Window(#[from] WindowError),

    /// A call that failed, or the credentials, region or endpoint that keep any from working.
    #[error(transparent)]
    Aws(#[from] AwsError),

    /// The Logs Insights query of the billed durations did not complete in time.
    #[error(
        "could not query the Lambda Insights events: Logs Insights query {query_id} ended {status} after at most {limit_seconds} s"
    )]
    QueryUnfinished {
        query_id: String,
        /// The query's last status, or "without a status".
        status: String,
        limit_seconds: u64,
    },
}

impl ReportError {
    /// Whether this is the user's input or environment (exit 2) rather than a failure (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        match self {
            ReportError::Window(_) => true,
            ReportError::Aws(error) => error.is_environment(),
            ReportError::QueryUnfinished { .. } => false,
        }
    }
}
