//! The errors `main` reports, and the exit code each maps to: 1 failure, 2 usage or environment.

use std::process::ExitCode;

use crate::artifacts::BuildError;
use crate::aws::AwsError;
use crate::deploy::DeployError;

#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A flag value clap cannot check by itself.
    #[error("{0}")]
    Usage(String),

    /// A flag value of `demo load`, `verify` or `sweep` refused (the flag, value and rule).
    #[error(transparent)]
    Flag(#[from] crate::load::flags::FlagError),

    #[error(transparent)]
    Build(#[from] BuildError),

    #[error(transparent)]
    Aws(#[from] AwsError),

    #[error(transparent)]
    Deploy(#[from] DeployError),

    #[error(transparent)]
    Load(#[from] crate::load::LoadError),

    #[error(transparent)]
    Output(#[from] crate::output::OutputError),

    #[error(transparent)]
    Logs(#[from] crate::logs::LogsError),

    #[error(transparent)]
    Invoke(#[from] crate::invoke::InvokeError),

    #[error(transparent)]
    Report(#[from] crate::report::ReportError),

    #[error(transparent)]
    Sweep(#[from] crate::sweep::SweepError),

    #[error(transparent)]
    Failures(#[from] crate::failures::FailuresError),

    #[error(transparent)]
    Local(#[from] crate::local::LocalError),
}

/// A `--since` refused while reading the flags: the report's error, as `demo report` gives it.
impl From<crate::report::window::WindowError> for CliError {
    fn from(error: crate::report::window::WindowError) -> Self {
        CliError::Report(error.into())
    }
}

/// `demo invoke --orders N` refused while the settings are read: the invoke error it is later.
impl From<crate::invoke::event::EventRefused> for CliError {
    fn from(refused: crate::invoke::event::EventRefused) -> Self {
        CliError::Invoke(refused.into())
    }
}

impl CliError {
    pub(crate) fn exit_code(&self) -> ExitCode {
        let environment = match self {
            CliError::Usage(_) | CliError::Flag(_) => true,
            CliError::Build(error) => error.is_environment(),
            CliError::Aws(error) => error.is_environment(),
            CliError::Deploy(error) => error.is_environment(),
            CliError::Load(error) => error.is_usage(),
            CliError::Output(_) => false,
            CliError::Logs(error) => error.is_environment(),
            CliError::Invoke(error) => error.is_environment(),
            CliError::Report(error) => error.is_environment(),
            CliError::Sweep(error) => error.is_environment(),
            CliError::Failures(error) => error.is_environment(),
            CliError::Local(error) => error.is_environment(),
        };
        ExitCode::from(if environment { 2 } else { 1 })
    }

    /// `error: …` then each cause on its own line; expected errors need no backtrace.
    pub(crate) fn report(&self) -> String {
        let mut text = format!("error: {self}");
        // `transparent` variants forward `source()` to the inner error, so nothing repeats.
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(&format!("\n  caused by: {cause}"));
            source = cause.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_errors_exit_2_and_build_failures_1() {
        let missing = CliError::from(BuildError::TargetMissing {
            triple: "aarch64-unknown-linux-musl".into(),
        });
        assert_eq!(missing.exit_code(), ExitCode::from(2));
        assert!(
            missing
                .report()
                .contains("rustup target add aarch64-unknown-linux-musl")
        );
        let io = CliError::from(BuildError::Io {
            action: "read",
            path: "/x".into(),
            source: std::io::Error::other("disk on fire"),
        });
        assert_eq!(io.exit_code(), ExitCode::from(1));
        assert_eq!(
            io.report(),
            "error: could not read /x\n  caused by: disk on fire"
        );
        assert_eq!(CliError::Usage("bad".into()).exit_code(), ExitCode::from(2));
    }
}
