//! Why `demo failures` stopped: each error names what it was doing, on which queue, stream or
//! table, and what to do next (exit 2 for the user's environment, 1 otherwise).

use crate::aws::AwsError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum FailuresError {
    #[error(
        "could not read the on-failure queue: the stack has no on-failure queue; run `demo up` to \
         update it"
    )]
    NoQueue,

    #[error(
        "could not finish `demo failures`: interrupted; every message is back in the queue, and \
         records already re-driven are in their table (the next run shows them as written)"
    )]
    Interrupted,

    /// A call that failed, or the credentials, region or endpoint that keep any from working.
    #[error(transparent)]
    Aws(#[from] AwsError),

    #[error("could not read back the records {function} gave up on: {problem}")]
    ReadBack {
        function: String,
        problem: CallFailed,
    },

    #[error("could not check a given-up record against its table: {0}")]
    Check(CallFailed),

    #[error(
        "could not delete re-driven messages from the on-failure queue: SQS refused to delete \
         one: {message} ({code}); its records are written, so the next `demo failures` will show \
         them as written and delete it"
    )]
    NotDeleted { message: String, code: String },
}

impl FailuresError {
    /// Whether this is the user's environment (exit 2) rather than a failure (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        matches!(self, FailuresError::Aws(error) if error.is_environment())
    }
}

/// One call on the stream or a table that failed: which, on what, and AWS's words.
#[derive(Debug, thiserror::Error)]
#[error("{call} on {target}: {detail}")]
pub(crate) struct CallFailed {
    /// `GetShardIterator`, `GetRecords`, `GetItem`.
    pub(crate) call: &'static str,
    /// The stream and shard, or the table.
    pub(crate) target: String,
    pub(crate) detail: String,
}
