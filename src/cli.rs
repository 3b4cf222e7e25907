//! Command-line surface: clap types only. `settings` turns them into what commands use.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Deploy, tune, drive, measure and tear down a Kinesis → Lambda batching demo stack.
#[derive(Debug, Parser)]
#[command(name = "demo", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command accepts, before or after the command name.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub(crate) struct GlobalArgs {
    /// AWS named profile to use (default: the SDK's default chain).
    #[arg(long, global = true, env = "DEMO_PROFILE")]
    pub(crate) profile: Option<String>,

    /// AWS region (default: from the profile or AWS_REGION).
    #[arg(long, global = true, env = "DEMO_REGION")]
    pub(crate) region: Option<String>,

    /// Send every AWS call to this endpoint instead of AWS (an emulator such as moto).
    #[arg(long, global = true, env = "DEMO_ENDPOINT_URL", value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,

    /// CloudFormation stack name.
    #[arg(long, global = true, env = "DEMO_STACK_NAME", default_value = "demo")]
    pub(crate) stack_name: String,

    /// Run against a local emulator instead of AWS.
    #[arg(long, global = true)]
    pub(crate) local: bool,

    /// More output on stderr (-v debug, -vv trace and verbose cargo).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub(crate) verbose: u8,

    /// Less output on stderr (-q warnings only and quiet cargo, -qq errors only).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) quiet: u8,

    /// Format of the results printed on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputArg::Text, env = "DEMO_OUTPUT")]
    pub(crate) output: OutputArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputArg {
    /// Aligned text for people.
    Text,
    /// One JSON document for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Cross-compile the Lambda functions and zip each as a reproducible `bootstrap.zip`.
    Build(BuildArgs),
    /// Build, upload and deploy the stack; nothing changed ⇒ nothing done.
    Up(UpArgs),
    /// Delete the stack and everything `up` created, and check nothing is left.
    Down(DownArgs),
    /// Show the stack, its resources, the API URL and each mapping's batching.
    Status,
    /// Check, without changing anything, whether `up` would work in this account and region:
    /// sign-in, CloudFormation, the Insights layer, Lambda concurrency, Kinesis shards, the
    /// artifact bucket and an existing stack's state. Exits 1 when `up` would fail.
    Doctor(DoctorArgs),
    /// On every save under functions/, build and put the changed functions' new code live on
    /// the deployed stack (UpdateFunctionCode), then record it in the stack so it never drifts.
    /// Ctrl-C stops.
    Watch,
    /// Change a consumer's batch size, window or parallelization, effective in seconds.
    Tune(TuneArgs),
    /// Send orders to the API as the original notebook did (but concurrently, with retries),
    /// and summarise what was accepted, how fast, and how quickly.
    Load(LoadArgs),
    /// Check that the orders in an ids file (from `demo load --ids`) reached both tables.
    Verify(VerifyArgs),
    /// Compare what each function did and cost in a window, the two consumers side by side,
    /// from CloudWatch metrics and Lambda Insights; optionally draw it.
    Report(ReportArgs),
    /// List the records the consumers gave up on (from the on-failure queue, read back from the
    /// stream), each with why it cannot be written; `--redrive` writes those that can be now.
    Failures(FailuresArgs),
    /// Show the functions' log lines from CloudWatch Logs, interleaved by time with one prefix
    /// per function (as `sam logs`); `--follow` keeps showing new ones until Ctrl-C.
    Logs(LogsArgs),
    /// Invoke one function once with the event it would receive, built from the notebook's
    /// orders (or read from a file), and show its response, its log lines and its REPORT figures.
    Invoke(InvokeArgs),
    /// Serve the stack offline (with --local): POST /prod/order on 127.0.0.1 for any client, and
    /// the consumers batching as Lambda does, until Ctrl-C.
    Serve(ServeArgs),
    /// Find the batching that fits a traffic profile: run a grid of batch sizes and windows (two
    /// at a time, one per consumer) under the same traffic, measure cost and stream → table
    /// delay, fit a model, choose, and chart; the mappings are put back after.
    Sweep(SweepArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell on stdout.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct SweepArgs {
    /// Batch sizes to try, 1–10000.
    #[arg(
        long,
        value_name = "N,…",
        value_delimiter = ',',
        default_value = "10,100",
        allow_negative_numbers = true
    )]
    pub(crate) batch_sizes: Vec<i64>,

    /// Batching windows to try, 0–300 seconds.
    #[arg(
        long,
        value_name = "S,…",
        value_delimiter = ',',
        default_value = "1,5",
        allow_negative_numbers = true
    )]
    pub(crate) windows: Vec<i64>,

    /// Parallelization factors to try, 1–10 (batches in flight per shard).
    #[arg(
        long,
        value_name = "N,…",
        value_delimiter = ',',
        default_value = "1",
        allow_negative_numbers = true
    )]
    pub(crate) parallelization: Vec<i64>,

    /// Orders per second during each run.
    #[arg(
        long,
        value_name = "PER_SECOND",
        default_value_t = 50.0,
        allow_negative_numbers = true
    )]
    pub(crate) rate: f64,

    /// Orders per run [default: 300].
    #[arg(long, value_name = "N", conflicts_with = "duration")]
    pub(crate) orders: Option<u64>,

    /// Send for this long per run instead of a number of orders, e.g. 30s.
    #[arg(long, value_name = "DURATION")]
    pub(crate) duration: Option<String>,

    /// What the choice optimises.
    #[arg(long, value_enum, default_value_t = StrategyArg::Cost)]
    pub(crate) strategy: StrategyArg,

    /// With --strategy balanced: the weight of cost, 0–1 (1 is --strategy cost, 0 latency).
    #[arg(
        long,
        value_name = "W",
        default_value_t = 0.5,
        allow_negative_numbers = true
    )]
    pub(crate) weight: f64,

    /// Choose the cheapest configuration whose measured stream → table p99 is at most this,
    /// e.g. 5s.
    #[arg(long, value_name = "DURATION")]
    pub(crate) max_p99: Option<String>,

    /// Run only the grid's corners (smallest and largest of each value) and predict the other
    /// configurations from the fitted model, labelled predicted.
    #[arg(long)]
    pub(crate) predict: bool,

    /// Tune the stack to the choice at the end, both consumers (otherwise the mappings are put
    /// back as they were).
    #[arg(long)]
    pub(crate) apply: bool,

    /// Print the plan (runs, estimated time) without running anything.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Write the results to FILE [default: demo-sweep-<stack>.json].
    #[arg(long, value_name = "FILE")]
    pub(crate) save: Option<std::path::PathBuf>,

    /// Show a saved results file (table, JSON, chart) without running anything.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["apply", "dry_run", "save"])]
    pub(crate) from: Option<std::path::PathBuf>,

    /// Draw cost per million orders against stream → table p99 to FILE (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub(crate) chart: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StrategyArg {
    /// The lowest cost per million orders.
    Cost,
    /// The lowest stream → table p99.
    Latency,
    /// Both, normalised and weighted by --weight (as AWS Lambda Power Tuning does).
    Balanced,
}

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub(crate) struct LogsArgs {
    /// Whose lines.
    #[arg(long, value_enum, default_value_t = LogsFunctionArg::All)]
    pub(crate) function: LogsFunctionArg,

    /// Start of the lines: a length back from now (10m, 1h30m) or a time
    /// (2026-11-26T07:00:00Z).
    #[arg(long, value_name = "WHEN", default_value = "10m")]
    pub(crate) since: String,

    /// Keep reading, and show new lines as they come until Ctrl-C.
    #[arg(long)]
    pub(crate) follow: bool,

    /// Only lines containing TEXT (case-sensitive); stderr says whether CloudWatch or demo
    /// matched it.
    #[arg(long, value_name = "TEXT")]
    pub(crate) filter: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InvokeArgs {
    /// The function to invoke.
    #[arg(value_enum)]
    pub(crate) function: FunctionArg,

    /// Send this file's JSON as the event instead of building one (at most 6 MB).
    #[arg(long, value_name = "FILE", conflicts_with = "orders")]
    pub(crate) event: Option<std::path::PathBuf>,

    /// Build the event from N orders drawn as `demo load` draws them: the producer's API Gateway
    /// request takes 1, a consumer's Kinesis batch 1–10000 within Lambda's 6 MB [default: 1].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) orders: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FunctionArg {
    /// put-record: an API Gateway request in, a Kinesis record out.
    Producer,
    /// put-item-1: a Kinesis batch in, table 1's items out.
    #[value(name = "consumer-1")]
    Consumer1,
    /// put-item-2: a Kinesis batch in, table 2's items out.
    #[value(name = "consumer-2")]
    Consumer2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogsFunctionArg {
    /// put-record: API Gateway → Kinesis.
    Producer,
    /// put-item-1: mapping 1 → table 1.
    #[value(name = "consumer-1")]
    Consumer1,
    /// put-item-2: mapping 2 → table 2.
    #[value(name = "consumer-2")]
    Consumer2,
    /// The three, interleaved.
    All,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the URL is printed either way).
    #[arg(long, default_value_t = 3000)]
    pub(crate) port: u16,
}

#[derive(Debug, Args)]
pub(crate) struct FailuresArgs {
    /// Write the records that can be written now through the consumer's own write path, and
    /// delete the queue messages whose records are then all in their table.
    #[arg(long)]
    pub(crate) redrive: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Start of the window: a length back from now (30m, 1h, 2h30m) or a time
    /// (2026-11-26T07:00:00Z) [default: the last `up` or `tune`, whichever is later].
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,

    /// Also draw function cost, duration and network over time to FILE (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub(crate) chart: Option<std::path::PathBuf>,

    /// Price per GB-second to use instead of Lambda's published one for the architecture
    /// (us-east-1 list price; some regions charge more).
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub(crate) price_gb_second: Option<f64>,

    /// Price per million requests to use instead of the published $0.20.
    #[arg(long, value_name = "USD", allow_negative_numbers = true)]
    pub(crate) price_per_million_requests: Option<f64>,
}

#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// Orders to send [default: 1000; unlimited with --duration, whichever ends first].
    #[arg(long, value_name = "N")]
    pub(crate) orders: Option<u64>,

    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub(crate) concurrency: usize,

    /// Cap on requests per second, retries included [default: no cap].
    #[arg(long, value_name = "PER_SECOND", allow_negative_numbers = true)]
    pub(crate) rate: Option<f64>,

    /// Send for this long instead of a number of orders, e.g. 30s, 5m.
    #[arg(long, value_name = "DURATION")]
    pub(crate) duration: Option<String>,

    /// Seed for the order generator: the same seed sends the same orders, ids included
    /// (only `orderdate`, the send time, differs).
    #[arg(long)]
    pub(crate) seed: Option<u64>,

    /// The API's order endpoint (…/prod/order); default: the deployed stack's (AWS only).
    #[arg(long, env = "DEMO_URL", value_name = "URL")]
    pub(crate) url: Option<String>,

    /// Write the accepted order ids (with their send times) to FILE, for `demo verify`.
    #[arg(long, value_name = "FILE")]
    pub(crate) ids: Option<std::path::PathBuf>,

    /// Timeout of each request.
    #[arg(long, value_name = "DURATION", default_value = "10s")]
    pub(crate) timeout: String,

    /// Attempts per order on 5xx, 429, timeouts and connection errors, before giving up.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) max_attempts: u32,

    /// Then wait until every accepted order is in both tables, and report the latency.
    #[arg(long)]
    pub(crate) verify: bool,

    #[command(flatten)]
    pub(crate) tables: TableArgs,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The ids file `demo load --ids FILE` wrote (or one order id per line).
    #[arg(long, value_name = "FILE")]
    pub(crate) ids: std::path::PathBuf,

    #[command(flatten)]
    pub(crate) tables: TableArgs,
}

/// Where verification looks, and for how long.
#[derive(Debug, Args)]
pub(crate) struct TableArgs {
    /// Name of table 1 (batch 100 / 30 s consumer); default: the deployed stack's.
    #[arg(long = "table-1", env = "DEMO_TABLE_1", value_name = "NAME")]
    pub(crate) table_1: Option<String>,

    /// Name of table 2 (batch 10 / 2 s consumer); default: the deployed stack's.
    #[arg(long = "table-2", env = "DEMO_TABLE_2", value_name = "NAME")]
    pub(crate) table_2: Option<String>,

    /// How long verification waits for orders to arrive.
    #[arg(long, value_name = "DURATION", default_value = "2m")]
    pub(crate) verify_timeout: String,
}

#[derive(Debug, Args)]
pub(crate) struct UpArgs {
    /// CPU architecture of the Lambda functions (default: arm64, or x86_64 in a region without
    /// an arm64 Lambda Insights layer, said when it happens; with --local, this machine's, so
    /// the offline runner runs the zips natively).
    #[arg(long, value_enum, env = "DEMO_ARCH")]
    pub(crate) arch: Option<ArchArg>,

    /// Memory of every function, MB (128–10240); default: keep what is deployed, else 128.
    #[arg(long, value_name = "MB")]
    pub(crate) memory: Option<u32>,

    /// Shards of the stream; default: keep what is deployed, else 1.
    #[arg(long, value_name = "N")]
    pub(crate) shards: Option<u32>,

    /// Consumer 1's batch size (1–10000); default: keep what is deployed, else 100.
    #[arg(long = "batch-size-1", value_name = "N", allow_negative_numbers = true)]
    pub(crate) batch_size_1: Option<i64>,

    /// Consumer 1's batching window, seconds (0–300); default: keep, else 30.
    #[arg(long = "window-1", value_name = "S", allow_negative_numbers = true)]
    pub(crate) window_1: Option<i64>,

    /// Consumer 2's batch size (1–10000); default: keep what is deployed, else 10.
    #[arg(long = "batch-size-2", value_name = "N", allow_negative_numbers = true)]
    pub(crate) batch_size_2: Option<i64>,

    /// Consumer 2's batching window, seconds (0–300); default: keep, else 2.
    #[arg(long = "window-2", value_name = "S", allow_negative_numbers = true)]
    pub(crate) window_2: Option<i64>,

    /// Consumer 1's batches in flight per shard (1–10); default: keep, else 1.
    #[arg(
        long = "parallelization-1",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub(crate) parallelization_1: Option<i64>,

    /// Consumer 2's batches in flight per shard (1–10); default: keep, else 1.
    #[arg(
        long = "parallelization-2",
        value_name = "N",
        allow_negative_numbers = true
    )]
    pub(crate) parallelization_2: Option<i64>,

    /// Lambda Insights layer ARN to use instead of the one the tool picks for the region.
    #[arg(long, value_name = "ARN", conflicts_with = "no_insights")]
    pub(crate) insights_layer_arn: Option<String>,

    /// Leave the Lambda Insights layer out.
    #[arg(long)]
    pub(crate) no_insights: bool,

    /// Keep the function zips in this S3 bucket instead of `<stack>-artifacts-<account>-<region>`
    /// (use it when that name is taken); created and tagged for the stack if missing. Kept by
    /// later runs. `down` deletes it only if `up` created it.
    #[arg(long, value_name = "NAME")]
    pub(crate) artifact_bucket: Option<String>,

    /// Deploy the zips in DIR (`DIR/<function>/bootstrap.zip`, as `demo build` lays them out
    /// under target/lambda/<arch>) instead of building; zips built for another architecture
    /// than the one deployed are refused.
    #[arg(long, value_name = "DIR")]
    pub(crate) artifacts: Option<std::path::PathBuf>,

    /// Print the plan (build, uploads, stack changes) without changing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,

    /// Go on without asking when the update deletes data (a table replaced because its key
    /// changed, or removed by a newer template); needed without a terminal.
    #[arg(long)]
    pub(crate) yes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// The architecture `up` would be asked for (default: as `up` chooses).
    #[arg(long, value_enum)]
    pub(crate) arch: Option<ArchArg>,
}

#[derive(Debug, Args)]
pub(crate) struct TuneArgs {
    /// Records per batch, 1–10000 (AWS's limit for Kinesis mappings).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) batch_size: Option<i64>,

    /// Maximum batching window, 0–300 seconds.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub(crate) window: Option<i64>,

    /// Batches of one shard in flight at once, 1–10 (ParallelizationFactor); records of one
    /// partition key stay in order.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub(crate) parallelization: Option<i64>,

    /// Which consumer: 1 (the original's 100 / 30 s), 2 (10 / 2 s) or all.
    #[arg(long, value_enum, default_value_t = ConsumerArg::One)]
    pub(crate) consumer: ConsumerArg,

    /// Show before → after without changing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ConsumerArg {
    #[value(name = "1")]
    One,
    #[value(name = "2")]
    Two,
    All,
}

#[derive(Debug, Args)]
pub(crate) struct DownArgs {
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub(crate) yes: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// CPU architecture of the Lambda functions.
    #[arg(long, value_enum, default_value_t = ArchArg::Arm64)]
    pub(crate) arch: ArchArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ArchArg {
    /// Graviton (aarch64-unknown-linux-musl); about 20% cheaper per GB-second.
    Arm64,
    /// x86_64-unknown-linux-musl.
    #[value(name = "x86_64")]
    X86_64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_go_after_the_command_too() {
        let cli = Cli::try_parse_from([
            "demo",
            "build",
            "--arch",
            "x86_64",
            "--stack-name",
            "s1",
            "--output",
            "json",
        ])
        .unwrap();
        let Command::Build(args) = cli.command else {
            panic!("parsed as another command")
        };
        assert_eq!(args.arch, ArchArg::X86_64);
        assert_eq!(cli.global.stack_name, "s1");
        assert_eq!(cli.global.output, OutputArg::Json);
    }

    #[test]
    fn verbose_and_quiet_conflict() {
        assert!(Cli::try_parse_from(["demo", "-v", "-q", "build"]).is_err());
    }
}
