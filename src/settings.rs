//! The one translator from clap's types to what commands use: flags, environment and defaults
//! resolved once into plain, checked values (`Settings` for every command, a `Job` for the one
//! asked for). Nothing below `commands` sees clap, nothing below `commands` imports this, and
//! this imports no command: each command's settings are defined here (`job`).

use std::time::SystemTime;

use crate::artifacts::{Arch, CargoVerbosity};
use crate::aws::AwsSettings;
use crate::cli::{
    ArchArg, Cli, Command, ConsumerArg, FunctionArg, GlobalArgs, InvokeArgs, LoadArgs, LogsArgs,
    LogsFunctionArg, OutputArg, ReportArgs, StrategyArg, SweepArgs, TableArgs, TuneArgs, UpArgs,
};
use crate::deploy::names::MAX_STACK_NAME;
use crate::deploy::tuning::TuneRequest;
use crate::deploy::{DeployError, bucket};
use crate::error::CliError;
use crate::insights::InsightsChoice;
use crate::invoke::{EventSpec, InvokeRequest, event};
use crate::load::flags;
use crate::load::run::LoadPlan;
use crate::load::target::TableNames;
use crate::load::verify::{VerifyRequest, VerifySettings};
use crate::logs::{LogsRequest, StackFunction};
use crate::model::batching::{BatchingChange, BatchingFlags, Tuning};
use crate::model::{Consumer, Consumers, Parameter};
use crate::output::OutputFormat;
use crate::report::chart;
use crate::report::cost::PriceOverrides;
use crate::report::window::{self, Since, Window};
use crate::sweep::choose::Strategy;
use crate::sweep::grid::{self, Amount, Grid, Traffic};
use crate::terminal::Verbosity;

mod job;

pub(crate) use job::{BuildSettings, DownSettings, Job, ReportSettings, SweepSettings, UpSettings};

/// Everything the global flags decide.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) aws: AwsSettings,
    pub(crate) verbosity: Verbosity,
    pub(crate) output: OutputFormat,
}

impl Settings {
    /// The cargo output that goes with the verbosity.
    pub(crate) fn cargo_verbosity(&self) -> CargoVerbosity {
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

impl Settings {
    fn resolve(global: &GlobalArgs) -> Result<Self, CliError> {
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

/// Resolves the command line once: the global settings and the command's own.
pub(crate) fn resolve(cli: &Cli) -> Result<(Settings, Job), CliError> {
    let settings = Settings::resolve(&cli.global)?;
    let job = match &cli.command {
        Command::Build(args) => Job::Build(BuildSettings {
            arch: arch(args.arch),
        }),
        Command::Up(args) => Job::Up(up(args)?),
        Command::Down(args) => Job::Down(DownSettings { yes: args.yes }),
        Command::Status => Job::Status,
        Command::Watch => Job::Watch,
        Command::Doctor(args) => Job::Doctor {
            arch: args.arch.map(arch),
        },
        Command::Tune(args) => Job::Tune(tune(args)?),
        Command::Load(args) => Job::Load(load(args)?),
        Command::Verify(args) => Job::Verify(VerifyRequest {
            ids_file: args.ids.clone(),
            verify: verify(&args.tables)?,
        }),
        Command::Report(args) => Job::Report(report(args)?),
        Command::Logs(args) => Job::Logs(logs(args)?),
        Command::Invoke(args) => Job::Invoke(invoke(args)?),
        Command::Failures(args) => Job::Failures {
            redrive: args.redrive,
        },
        Command::Serve(args) => Job::Serve { port: args.port },
        Command::Sweep(args) => Job::Sweep(sweep(args)?),
        Command::Completions(args) => Job::Completions(args.shell),
    };
    Ok((settings, job))
}

/// How `demo up` names each consumer's batching values in its messages.
const UP_FLAGS: [BatchingFlags; 2] = [
    BatchingFlags {
        batch_size: "--batch-size-1",
        window: "--window-1",
        parallelization: "--parallelization-1",
    },
    BatchingFlags {
        batch_size: "--batch-size-2",
        window: "--window-2",
        parallelization: "--parallelization-2",
    },
];

/// How `demo tune` names them.
const TUNE_FLAGS: BatchingFlags = BatchingFlags {
    batch_size: "--batch-size",
    window: "--window",
    parallelization: "--parallelization",
};

/// `demo up`'s flags: every template value checked against the template's limits, all problems
/// at once, then the `--artifact-bucket` name.
fn up(args: &UpArgs) -> Result<UpSettings, DeployError> {
    let mut problems = Vec::new();
    let mut number = |parameter: Parameter, flag, value: Option<u32>| {
        let value = value?;
        match parameter.check(flag, value.into()) {
            Ok(_) => Some(value),
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    };
    let memory = number(Parameter::MemorySize, "--memory", args.memory);
    let shards = number(Parameter::ShardCount, "--shards", args.shards);
    let changes = [
        BatchingChange {
            batch_size: args.batch_size_1,
            window: args.window_1,
            parallelization: args.parallelization_1,
        },
        BatchingChange {
            batch_size: args.batch_size_2,
            window: args.window_2,
            parallelization: args.parallelization_2,
        },
    ];
    let batching = Consumer::ALL.map(|consumer| {
        let i = consumer.index();
        (Tuning::check(&[consumer], changes[i], UP_FLAGS[i])).unwrap_or_else(|refused| {
            problems.extend(refused);
            Tuning::default()
        })
    });
    if !problems.is_empty() {
        return Err(DeployError::Invalid(problems));
    }
    if let Some(name) = &args.artifact_bucket {
        bucket::check_name("--artifact-bucket", name).map_err(|e| DeployError::Invalid(vec![e]))?;
    }
    Ok(UpSettings {
        arch: args.arch.map(arch),
        memory,
        shards,
        batching,
        insights: match (&args.insights_layer_arn, args.no_insights) {
            (_, true) => InsightsChoice::Off,
            (Some(arn), false) => InsightsChoice::Arn(arn.clone()),
            (None, false) => InsightsChoice::Auto,
        },
        artifacts: args.artifacts.clone(),
        artifact_bucket: args.artifact_bucket.clone(),
        dry_run: args.dry_run,
        yes: args.yes,
    })
}

/// `demo tune`'s flags, checked once against the template's limits: at least one value, each
/// within the limits of every consumer it tunes.
fn tune(args: &TuneArgs) -> Result<TuneRequest, DeployError> {
    let consumers = match args.consumer {
        ConsumerArg::One => Consumers::One,
        ConsumerArg::Two => Consumers::Two,
        ConsumerArg::All => Consumers::All,
    };
    let change = BatchingChange {
        batch_size: args.batch_size,
        window: args.window,
        parallelization: args.parallelization,
    };
    if change.is_empty() {
        let first = consumers.members()[0];
        return Err(DeployError::Invalid(vec![TUNE_FLAGS.none_given(first)]));
    }
    let tuning = Tuning::check(consumers.members(), change, TUNE_FLAGS);
    Ok(TuneRequest {
        consumers,
        tuning: tuning.map_err(DeployError::Invalid)?,
        dry_run: args.dry_run,
    })
}

fn arch(arg: ArchArg) -> Arch {
    match arg {
        ArchArg::Arm64 => Arch::Arm64,
        ArchArg::X86_64 => Arch::X86_64,
    }
}

/// `demo load`'s flags, every value checked before the first order is sent.
fn load(args: &LoadArgs) -> Result<LoadPlan, CliError> {
    let duration = (args.duration.as_deref())
        .map(|text| flags::duration("--duration", text))
        .transpose()?;
    let orders = match (args.orders, duration) {
        (Some(orders), _) => Some(flags::orders(orders)?),
        (None, Some(_)) => None,
        (None, None) => Some(1000),
    };
    Ok(LoadPlan {
        url: (args.url.as_deref()).map(flags::url).transpose()?,
        orders,
        duration,
        concurrency: flags::concurrency(args.concurrency)?,
        rate: args.rate.map(flags::rate).transpose()?,
        seed: args.seed,
        timeout: flags::duration("--timeout", &args.timeout)?,
        max_attempts: flags::max_attempts(args.max_attempts)?,
        ids_file: args.ids.clone(),
        verify: (args.verify).then(|| verify(&args.tables)).transpose()?,
    })
}

fn verify(args: &TableArgs) -> Result<VerifySettings, CliError> {
    Ok(VerifySettings {
        tables: TableNames {
            table_1: args.table_1.clone(),
            table_2: args.table_2.clone(),
        },
        timeout: flags::duration("--verify-timeout", &args.verify_timeout)?,
    })
}

/// `demo report`'s flags: a start in the future or beyond CloudWatch's retention, a chart
/// file of another kind, a negative price: all refused before the stack is read.
fn report(args: &ReportArgs) -> Result<ReportSettings, CliError> {
    let since = (args.since.as_deref())
        .map(window::parse_since)
        .transpose()?;
    if since.is_some() {
        Window::resolve(since, SystemTime::UNIX_EPOCH, SystemTime::now())?;
    }
    if let Some(path) = &args.chart {
        chart::check_path(path).map_err(|err| CliError::Usage(err.to_string()))?;
    }
    Ok(ReportSettings {
        since,
        chart: args.chart.clone(),
        prices: PriceOverrides {
            gb_second: price("--price-gb-second", args.price_gb_second)?,
            per_million_requests: price(
                "--price-per-million-requests",
                args.price_per_million_requests,
            )?,
        },
    })
}

/// `demo logs`'s flags: `--since` as `demo report` takes it, and not in the future.
fn logs(args: &LogsArgs) -> Result<LogsRequest, CliError> {
    let since = window::parse_since(&args.since)?;
    if let Since::At(at) = since
        && at > SystemTime::now()
    {
        return Err(CliError::Usage(format!(
            "invalid --since {:?}: {} is not in the past; give a length back from now (10m) or \
             an earlier time",
            args.since,
            window::rfc3339(at)
        )));
    }
    if args.filter.as_deref() == Some("") {
        return Err(CliError::Usage(
            "invalid --filter \"\": give the text the lines must contain, or leave --filter out"
                .into(),
        ));
    }
    let functions = match args.function {
        LogsFunctionArg::Producer => vec![StackFunction::Producer],
        LogsFunctionArg::Consumer1 => vec![StackFunction::Consumer1],
        LogsFunctionArg::Consumer2 => vec![StackFunction::Consumer2],
        LogsFunctionArg::All => StackFunction::ALL.to_vec(),
    };
    Ok(LogsRequest {
        functions,
        since,
        follow: args.follow,
        filter: args.filter.clone(),
    })
}

/// `demo invoke`'s flags: `--orders` against what the function can be handed (the file is read,
/// and the event's size checked, by the command before its first call).
fn invoke(args: &InvokeArgs) -> Result<InvokeRequest, CliError> {
    let function = match args.function {
        FunctionArg::Producer => StackFunction::Producer,
        FunctionArg::Consumer1 => StackFunction::Consumer1,
        FunctionArg::Consumer2 => StackFunction::Consumer2,
    };
    let event = match (&args.event, args.orders) {
        (Some(path), _) => EventSpec::File(path.clone()),
        (None, orders) => EventSpec::Orders(event::check_orders(function, orders.unwrap_or(1))?),
    };
    Ok(InvokeRequest { function, event })
}

/// `demo sweep`'s flags: the grid and traffic against AWS's limits, the strategy, the budget
/// and the chart file, all before anything runs.
fn sweep(args: &SweepArgs) -> Result<SweepSettings, CliError> {
    let grid = Grid {
        batch_sizes: args.batch_sizes.clone(),
        windows: args.windows.clone(),
        parallelization: args.parallelization.clone(),
    };
    let configurations = grid::configurations(&grid)?;
    let amount = match (args.orders, args.duration.as_deref()) {
        (Some(orders), _) => Amount::Orders(orders),
        (None, Some(text)) => Amount::Seconds(flags::duration("--duration", text)?.as_secs_f64()),
        (None, None) => Amount::Orders(300),
    };
    let traffic = Traffic {
        rate_per_second: args.rate,
        amount,
    };
    grid::check_traffic(traffic)?;
    let strategy = match args.strategy {
        StrategyArg::Cost => Strategy::Cost,
        StrategyArg::Latency => Strategy::Latency,
        StrategyArg::Balanced => Strategy::balanced(args.weight)
            .map_err(|refused| DeployError::Invalid(vec![refused]))?,
    };
    let budget = (args.max_p99.as_deref())
        .map(|text| flags::duration("--max-p99", text))
        .transpose()?;
    if let Some(path) = &args.chart {
        chart::check_path(path).map_err(|err| CliError::Usage(err.to_string()))?;
    }
    Ok(SweepSettings {
        configurations,
        traffic,
        strategy,
        budget_p99_ms: budget.map(|b| b.as_secs_f64() * 1000.0),
        predict: args.predict,
        apply: args.apply,
        dry_run: args.dry_run,
        save: args.save.clone(),
        from: args.from.clone(),
        chart: args.chart.clone(),
    })
}

fn price(flag: &str, value: Option<f64>) -> Result<Option<f64>, CliError> {
    match value {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(CliError::Usage(format!(
            "invalid {flag} {v}: a price is a dollar amount of 0 or more, e.g. {flag} 0.0000133334"
        ))),
        other => Ok(other),
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

    use clap::Parser;

    fn resolved(args: &[&str]) -> Result<Job, String> {
        let cli = Cli::try_parse_from([&["demo"], args].concat()).map_err(|e| e.to_string())?;
        resolve(&cli).map(|(_, job)| job).map_err(|e| e.to_string())
    }

    #[test]
    fn ups_values_are_all_checked_at_once_in_the_order_given() {
        let refused = resolved(&[
            "up",
            "--memory",
            "64",
            "--batch-size-1",
            "20000",
            "--window-2",
            "301",
            "--parallelization-2",
            "11",
            "--artifact-bucket",
            "Not_A_Bucket",
        ])
        .unwrap_err();
        let lines: Vec<&str> = refused.split("\nerror: ").collect();
        assert_eq!(lines.len(), 4, "{refused}");
        assert!(lines[0].starts_with("--memory 64 is not allowed: the allowed range is 128–10240"));
        assert!(lines[1].starts_with("--batch-size-1 20000 is not allowed"));
        assert!(lines[2].starts_with("--window-2 301 is not allowed"));
        assert!(lines[3].starts_with("--parallelization-2 11 is not allowed"));
        // The bucket's name is checked once the template's values pass.
        let bucket = resolved(&["up", "--artifact-bucket", "Not_A_Bucket"]).unwrap_err();
        assert!(
            bucket.starts_with("--artifact-bucket Not_A_Bucket"),
            "{bucket}"
        );
    }

    #[test]
    fn ups_checked_values_become_the_stacks_parameters() {
        let Ok(Job::Up(up)) = resolved(&["up", "--shards", "2", "--window-2", "0"]) else {
            panic!("up with values within the limits is refused");
        };
        let set: Vec<(String, String)> = (up.batching.iter().zip(Consumer::ALL))
            .flat_map(|(tuning, consumer)| tuning.parameters(consumer))
            .map(|o| (o.parameter.name().to_owned(), o.value))
            .collect();
        assert_eq!(set, [("Window2".to_owned(), "0".to_owned())]);
        assert_eq!((up.shards, up.memory), (Some(2), None));
    }

    #[test]
    fn tune_needs_a_value_and_says_each_problem_once_for_both_consumers() {
        let none = resolved(&["tune", "--consumer", "all"]).unwrap_err();
        assert_eq!(
            none,
            "--batch-size/--window/--parallelization (none given) is not allowed: give \
             --batch-size N (1–10000), --window S (0–300 seconds), --parallelization N (1–10), \
             or several"
        );
        let both = resolved(&["tune", "--consumer", "all", "--batch-size", "0"]).unwrap_err();
        assert_eq!(
            both,
            "--batch-size 0 is not allowed: the allowed range is 1–10000 (whole numbers)"
        );
        let Ok(Job::Tune(request)) = resolved(&["tune", "--consumer", "2", "--window", "5"]) else {
            panic!("a tune within the limits is refused");
        };
        assert_eq!(request.tuning.parameters(Consumer::Two)[0].value, "5");
    }
}
