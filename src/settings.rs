//! Flags, environment and defaults resolved once into plain structs; commands never see clap.

use crate::artifacts::{Arch, CargoVerbosity};
use crate::aws::AwsSettings;
use crate::cli::{ArchArg, BuildArgs, ConsumerArg, GlobalArgs, OutputArg, TuneArgs, UpArgs};
use crate::commands::up::{InsightsChoice, UpSettings};
use crate::deploy::names::MAX_STACK_NAME;
use crate::deploy::tuning::{Consumers, TuneRequest};
use crate::error::CliError;
use crate::output::OutputFormat;
use crate::terminal::Verbosity;

/// Everything the global flags decide.
#[derive(Debug, Clone)]
pub struct Settings {
    pub aws: AwsSettings,
    pub verbosity: Verbosity,
    pub output: OutputFormat,
}

impl Settings {
    /// The cargo output that goes with the verbosity.
    pub fn cargo_verbosity(&self) -> CargoVerbosity {
        cargo_verbosity(self.verbosity)
    }
}

/// The cargo output that goes with a verbosity: quiet from `-q`, verbose from `-vv`.
fn cargo_verbosity(verbosity: Verbosity) -> CargoVerbosity {
    match verbosity.0 {
        i8::MIN..=-1 => CargoVerbosity::Quiet,
        0 | 1 => CargoVerbosity::Normal,
        _ => CargoVerbosity::Verbose,
    }
}

/// What `demo build` was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildSettings {
    pub arch: Arch,
}

impl Settings {
    pub fn resolve(global: &GlobalArgs) -> Result<Self, CliError> {
        validate_stack_name(&global.stack_name)?;
        Ok(Self {
            aws: AwsSettings {
                profile: global.profile.clone(),
                region: global.region.clone(),
                endpoint_url: global.endpoint_url.clone(),
                stack_name: global.stack_name.clone(),
                local: global.local,
            },
            verbosity: Verbosity(
                i8::try_from(global.verbose).unwrap_or(i8::MAX)
                    - i8::try_from(global.quiet).unwrap_or(i8::MAX),
            ),
            output: match global.output {
                OutputArg::Text => OutputFormat::Text,
                OutputArg::Json => OutputFormat::Json,
            },
        })
    }
}

impl From<&UpArgs> for UpSettings {
    fn from(args: &UpArgs) -> Self {
        Self {
            arch: Some(arch(args.arch)),
            memory: args.memory,
            shards: args.shards,
            batch_size: [args.batch_size_1, args.batch_size_2],
            window: [args.window_1, args.window_2],
            insights: match (&args.insights_layer_arn, args.no_insights) {
                (_, true) => InsightsChoice::Off,
                (Some(arn), false) => InsightsChoice::Arn(arn.clone()),
                (None, false) => InsightsChoice::Auto,
            },
            artifacts: args.artifacts.clone(),
            artifact_bucket: args.artifact_bucket.clone(),
            dry_run: args.dry_run,
        }
    }
}

impl From<&TuneArgs> for TuneRequest {
    fn from(args: &TuneArgs) -> Self {
        TuneRequest {
            consumers: match args.consumer {
                ConsumerArg::One => Consumers::One,
                ConsumerArg::Two => Consumers::Two,
                ConsumerArg::All => Consumers::All,
            },
            batch_size: args.batch_size,
            window: args.window,
            dry_run: args.dry_run,
        }
    }
}

fn arch(arg: ArchArg) -> Arch {
    match arg {
        ArchArg::Arm64 => Arch::Arm64,
        ArchArg::X86_64 => Arch::X86_64,
    }
}

impl From<&BuildArgs> for BuildSettings {
    fn from(args: &BuildArgs) -> Self {
        Self {
            arch: arch(args.arch),
        }
    }
}

/// What `demo load` was asked for, every value checked.
#[derive(Debug, Clone)]
pub struct LoadSettings {
    pub url: Option<reqwest::Url>,
    /// `None`: only `duration` bounds the run.
    pub orders: Option<u64>,
    pub duration: Option<std::time::Duration>,
    pub concurrency: usize,
    pub rate: Option<f64>,
    pub seed: Option<u64>,
    pub timeout: std::time::Duration,
    pub max_attempts: u32,
    pub ids_file: Option<std::path::PathBuf>,
    /// Set by `--verify`.
    pub verify: Option<VerifySettings>,
}

/// Where `--verify` / `demo verify` look, and for how long.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    pub tables: crate::load::target::TableNames,
    pub timeout: std::time::Duration,
}

/// What `demo verify` was asked for.
#[derive(Debug, Clone)]
pub struct VerifyCommandSettings {
    pub ids_file: std::path::PathBuf,
    pub verify: VerifySettings,
}

impl TryFrom<&crate::cli::LoadArgs> for LoadSettings {
    type Error = CliError;

    fn try_from(args: &crate::cli::LoadArgs) -> Result<Self, CliError> {
        use crate::load::flags;
        let duration = (args.duration.as_deref())
            .map(|text| flags::duration("--duration", text))
            .transpose()
            .map_err(CliError::Usage)?;
        let orders = match (args.orders, duration) {
            (Some(orders), _) => Some(flags::orders(orders).map_err(CliError::Usage)?),
            (None, Some(_)) => None,
            (None, None) => Some(1000),
        };
        Ok(Self {
            url: (args.url.as_deref())
                .map(flags::url)
                .transpose()
                .map_err(CliError::Usage)?,
            orders,
            duration,
            concurrency: flags::concurrency(args.concurrency).map_err(CliError::Usage)?,
            rate: args
                .rate
                .map(flags::rate)
                .transpose()
                .map_err(CliError::Usage)?,
            seed: args.seed,
            timeout: flags::duration("--timeout", &args.timeout).map_err(CliError::Usage)?,
            max_attempts: flags::max_attempts(args.max_attempts).map_err(CliError::Usage)?,
            ids_file: args.ids.clone(),
            verify: (args.verify)
                .then(|| VerifySettings::try_from(&args.tables))
                .transpose()?,
        })
    }
}

impl TryFrom<&crate::cli::VerifyArgs> for VerifyCommandSettings {
    type Error = CliError;

    fn try_from(args: &crate::cli::VerifyArgs) -> Result<Self, CliError> {
        Ok(Self {
            ids_file: args.ids.clone(),
            verify: VerifySettings::try_from(&args.tables)?,
        })
    }
}

impl TryFrom<&crate::cli::TableArgs> for VerifySettings {
    type Error = CliError;

    fn try_from(args: &crate::cli::TableArgs) -> Result<Self, CliError> {
        Ok(Self {
            tables: crate::load::target::TableNames {
                table_1: args.table_1.clone(),
                table_2: args.table_2.clone(),
            },
            timeout: crate::load::flags::duration("--verify-timeout", &args.verify_timeout)
                .map_err(CliError::Usage)?,
        })
    }
}

/// CloudFormation's rule (a letter, then letters, digits and hyphens), and short enough for
/// the names the template derives from it (IAM role names are at most 64 characters).
fn validate_stack_name(name: &str) -> Result<(), CliError> {
    let mut chars = name.chars();
    let valid = name.len() <= MAX_STACK_NAME
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-');
    if valid {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "invalid --stack-name {name:?}: CloudFormation stack names start with a letter and \
             contain only letters, digits and hyphens (at most {MAX_STACK_NAME} characters, so \
             that the role names derived from it fit IAM's 64)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_follow_cloudformation_rules() {
        for good in ["demo", "d", "demo-2", &"a".repeat(MAX_STACK_NAME)] {
            assert!(validate_stack_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "2demo",
            "-demo",
            "demo_x",
            "demo.x",
            &"a".repeat(MAX_STACK_NAME + 1),
        ] {
            assert!(validate_stack_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verbosity_maps_to_cargo_flags() {
        assert_eq!(cargo_verbosity(Verbosity(-1)), CargoVerbosity::Quiet);
        assert_eq!(cargo_verbosity(Verbosity(1)), CargoVerbosity::Normal);
        assert_eq!(cargo_verbosity(Verbosity(2)), CargoVerbosity::Verbose);
    }
}
