//! What can go wrong in `demo load` and `demo verify`, and which of it is the user's to fix (exit 2).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error(
        "no --url given and none from the stack: pass the order endpoint, e.g. --url https://<api-id>.execute-api.<region>.amazonaws.com/prod/order \
         (it is read from the deployed stack's API; with --local, demo serves it itself)"
    )]
    NoUrl,

    /// Looking up the deployed stack failed.
    #[error(transparent)]
    Stack(#[from] crate::deploy::DeployError),

    /// The local runner (`--local`) could not start or finish.
    #[error(transparent)]
    Local(#[from] crate::local::LocalError),

    #[error(
        "--url {url}: cannot connect to {address} ({reason}); check that the server is running and the address is right"
    )]
    Unreachable {
        url: String,
        address: String,
        reason: String,
    },

    #[error(
        "no {flag} given and the stack has no such table: pass the DynamoDB table's name with {flag} or {env}"
    )]
    NoTable {
        flag: &'static str,
        env: &'static str,
    },

    #[error("could not {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}, line {line}: {reason}")]
    BadIdsFile {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    #[error("could not build the HTTP client")]
    Client(#[source] reqwest::Error),

    #[error("could not read table {table} ({role}) with BatchGetItem")]
    Dynamodb {
        table: String,
        role: &'static str,
        #[source]
        source: Box<aws_sdk_dynamodb::Error>,
    },

    #[error("{not_accepted} of {sent} orders were not accepted (see the summary above)")]
    NotAllAccepted { not_accepted: u64, sent: u64 },

    #[error(
        "verification failed after {waited_s:.0} s: {missing} of {expected} accepted orders missing \
         from a table, {duplicates} duplicates; if orders are still arriving, rerun \
         `demo verify --ids FILE` with a longer --verify-timeout, otherwise read the consumers' logs"
    )]
    Unverified {
        missing: u64,
        duplicates: u64,
        expected: u64,
        waited_s: f64,
    },
}

impl LoadError {
    /// Mistakes in flags, files or addresses: exit 2, and nothing was sent.
    pub(crate) fn is_usage(&self) -> bool {
        match self {
            LoadError::Stack(error) => return error.is_environment(),
            LoadError::Local(error) => return error.is_environment(),
            _ => {}
        }
        matches!(
            self,
            LoadError::NoUrl
                | LoadError::Unreachable { .. }
                | LoadError::NoTable { .. }
                | LoadError::BadIdsFile { .. }
        )
    }
}

impl From<crate::aws::AwsError> for LoadError {
    fn from(error: crate::aws::AwsError) -> Self {
        LoadError::Stack(error.into())
    }
}
