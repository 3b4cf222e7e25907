//! Why `demo sweep` stopped: a grid or traffic refused before anything ran, or a run that
//! could not set its mappings, send its orders or read its figures back.

use crate::deploy::DeployError;
use crate::load::LoadError;
use crate::model::template::ParameterError;
use crate::report::ReportError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum SweepError {
    /// Values refused before any AWS call, all at once, each with its flag and its rule.
    #[error("{}", crate::deploy::join_lines(.0))]
    Invalid(Vec<ParameterError>),

    /// Setting a run's mappings or reading what is deployed.
    #[error(transparent)]
    Deploy(#[from] DeployError),

    /// Sending a run's orders.
    #[error(transparent)]
    Load(#[from] LoadError),

    /// Reading a run's figures back.
    #[error(transparent)]
    Report(#[from] ReportError),
}

impl SweepError {
    /// Whether this is the user's input or environment (exit 2) rather than a failure (exit 1).
    pub(crate) fn is_environment(&self) -> bool {
        match self {
            SweepError::Invalid(_) => true,
            SweepError::Deploy(error) => error.is_environment(),
            SweepError::Load(error) => error.is_usage(),
            SweepError::Report(error) => error.is_environment(),
        }
    }
}
