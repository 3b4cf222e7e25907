//! Why the local runner could not start, keep going or finish: each error names what it was
//! doing, on which port, stream, mapping or queue, and what to do next.

use super::host::HostError;
use crate::aws::AwsError;
use crate::deploy::DeployError;

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(
        "could not run the stack locally: the stack has no stream; run `demo up --local` again"
    )]
    NoStream,

    #[error(
        "could not serve the local API on 127.0.0.1:{port}: the port is in use; pass --port with \
         another (0 picks a free one)"
    )]
    PortInUse { port: u16 },

    #[error("could not serve the local API on 127.0.0.1:{port}: {err}")]
    Bind { port: u16, err: std::io::Error },

    #[error("could not start the producers' Kinesis forwarder: {0}")]
    Forwarder(std::io::Error),

    #[error("could not serve the local API: {0}")]
    Serve(std::io::Error),

    #[error(
        "could not run the stack locally: the mapping's on-failure destination {arn} is not an \
         SQS queue; the local runner sends given-up batches only to SQS, as the template \
         configures them"
    )]
    NotSqs { arn: String },

    #[error("could not start reading the stream: {0}")]
    StartReading(MappingError),

    #[error("could not run {function}'s mapping locally: {problem}")]
    Mapping {
        function: String,
        problem: MappingError,
    },

    #[error("could not run the functions offline: {0}")]
    Host(HostError),

    /// A call that failed, or the credentials, region or endpoint that keep any from working.
    #[error(transparent)]
    Aws(#[from] AwsError),

    /// Reading the deployed stack failed (no stack, a call that failed).
    #[error(transparent)]
    Deploy(#[from] DeployError),
}

impl LocalError {
    /// Whether this is the user's environment (exit 2) rather than a failure (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        match self {
            LocalError::Aws(error) => error.is_environment(),
            LocalError::Deploy(error) => error.is_environment(),
            _ => false,
        }
    }
}

/// A host's call failing on AWS, or the stack it reads, is that error; any other is the host's.
impl From<HostError> for LocalError {
    fn from(err: HostError) -> Self {
        match err {
            HostError::Aws(err) => LocalError::Aws(err),
            HostError::Deploy(err) => LocalError::Deploy(err),
            other => LocalError::Host(other),
        }
    }
}

/// Why one mapping's poller stopped.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// `GetShardIterator` or `GetRecords` on a shard failed.
    #[error("{call} on {shard_id}: {detail}")]
    Read {
        call: &'static str,
        shard_id: String,
        detail: String,
    },

    #[error("the batch's event: {0}")]
    Event(serde_json::Error),

    /// The consumer's host could not run the batch (the function's own failure is no error).
    #[error("{0}")]
    Host(HostError),

    /// Given-up records could not reach the on-failure queue: they would be lost.
    #[error("could not send an on-failure message to {queue_url}: {detail}")]
    NotSent { queue_url: String, detail: String },

    #[error("{0}")]
    Ended(tokio::task::JoinError),

    #[error("still busy after its window and a minute more")]
    StillBusy,
}
