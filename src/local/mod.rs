//! `--local`'s data path. The emulator stores the stack but runs no Lambda code and serves no
//! API, so `demo load --local` runs the functions' own handlers in-process instead: an API
//! Gateway stand-in for the producer, and one poller per mapping and shard that batches as
//! Lambda does (batch size, batching window, batches in flight per shard) for each consumer,
//! all against the emulator's
//! Kinesis and DynamoDB. What they measure goes to the emulator's CloudWatch under Lambda's
//! metric names, so `demo report --local` reads it as it reads Lambda's on AWS.

mod api;
pub mod event;
mod failure;
pub mod http;
mod mapping;
mod recorder;

pub use mapping::POLL_INTERVAL;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::api::{LocalApi, Producer};
use self::failure::{Destination, FailurePolicy};
use self::mapping::{LocalMapping, ShardTally, Stop};
use self::recorder::Recorder;
use crate::aws::Clients;
use crate::deploy::DeployError;
use crate::deploy::mapping::Mapping;
use crate::deploy::resources::Deployed;

/// How long after the last batching window the pollers may take to finish.
const DRAIN_GRACE: Duration = Duration::from_secs(60);

/// One shard's poller, and the mapping it works for.
type Poller = (Arc<LocalMapping>, JoinHandle<Result<ShardTally, String>>);

/// The running stand-ins.
pub struct LocalRun {
    api: LocalApi,
    stop: watch::Sender<Stop>,
    pollers: Vec<Poller>,
    recorder: Recorder,
    cloudwatch: aws_sdk_cloudwatch::Client,
    longest_window: Duration,
}

impl std::fmt::Display for ConsumerSummary {
    /// `local <function> (<batch> / <window> s[ ×<lanes>]): N invocations, N records, N per
    /// invocation`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = if self.invocations > 0 {
            self.records as f64 / self.invocations as f64
        } else {
            0.0
        };
        let lanes = match self.parallelization {
            1 => String::new(),
            n => format!(" ×{n}"),
        };
        write!(
            f,
            "local {} ({} / {} s{lanes}): {} invocations, {} records, {per:.1} per invocation",
            self.function, self.batch_size, self.window_seconds, self.invocations, self.records
        )?;
        if self.given_up > 0 {
            write!(
                f,
                ", {} given up to the on-failure queue (`demo failures --local`)",
                self.given_up
            )?;
        }
        Ok(())
    }
}

/// How the stand-ins run.
#[derive(Debug, Clone, Copy, Default)]
pub struct LocalOptions {
    /// Where the API listens on 127.0.0.1; 0 picks a free port.
    pub port: u16,
    /// One line per request and per batch handed to a consumer (`serve`).
    pub log_each: bool,
}

/// What one consumer did while the runner ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerSummary {
    pub function: String,
    pub batch_size: usize,
    pub window_seconds: u64,
    pub parallelization: usize,
    pub invocations: u64,
    pub records: u64,
    pub given_up: u64,
}

impl LocalRun {
    /// Starts the API stand-in and a poller per enabled mapping and shard, each positioned at
    /// the shard's tip before this returns, so no order sent afterwards is missed.
    pub async fn start(
        clients: &Clients,
        deployed: &Deployed,
        options: LocalOptions,
    ) -> Result<LocalRun, DeployError> {
        let missing = |what: &str| DeployError::Local {
            action: "run the stack locally".into(),
            detail: format!("the stack has no {what}; run `demo up --local` again"),
        };
        let stream = deployed.stream.clone().ok_or_else(|| missing("stream"))?;
        let producer = deployed
            .functions
            .get("put-record")
            .ok_or_else(|| missing("put-record function"))?;
        let recorder = Recorder::default();
        let (stop, stopped) = watch::channel(Stop::Running);
        let shards = shard_ids(clients, &stream).await?;
        let stream_arn = stream_arn(clients, &stream).await?;
        let mut pollers = Vec::new();
        let mut longest_window = Duration::ZERO;
        for mapping in deployed.mappings.iter().filter(|m| m.state == "Enabled") {
            let table = deployed
                .tables
                .get(mapping.consumer - 1)
                .ok_or_else(|| missing("table for each consumer"))?;
            let local = Arc::new(
                local_mapping(clients, mapping, &stream, &stream_arn, table, &recorder)
                    .await?
                    .logging(options.log_each),
            );
            longest_window = longest_window.max(local.window);
            for shard in &shards {
                let iterator = mapping::latest_iterator(&local, shard)
                    .await
                    .map_err(|detail| DeployError::Local {
                        action: "start reading the stream".into(),
                        detail,
                    })?;
                let task = mapping::run_shard(
                    Arc::clone(&local),
                    shard.clone(),
                    iterator,
                    stopped.clone(),
                );
                pollers.push((Arc::clone(&local), tokio::spawn(task)));
            }
        }
        let api = LocalApi::start(
            Producer {
                function: producer.clone(),
                handler: put_record::Producer {
                    kinesis: put_record::with_timeouts(&clients.kinesis, Default::default()),
                    stream_name: stream.clone(),
                },
                recorder: recorder.clone(),
                put_turn: tokio::sync::Mutex::new(()),
                log_requests: options.log_each,
            },
            options.port,
        )
        .await
        .map_err(|err| DeployError::Local {
            action: format!("serve the local API on 127.0.0.1:{}", options.port),
            detail: match err.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the port is in use; pass --port with another (0 picks a free one)".into()
                }
                _ => err.to_string(),
            },
        })?;
        Ok(LocalRun {
            api,
            stop,
            pollers,
            recorder,
            cloudwatch: clients.cloudwatch.clone(),
            longest_window,
        })
    }

    /// Where to post orders: the stand-in's `…/prod/order`.
    pub fn url(&self) -> String {
        self.api.url()
    }

    /// The longest batching window: how long the last records may wait after the last order.
    pub fn longest_window(&self) -> Duration {
        self.longest_window
    }

    /// Stops taking orders, lets every poller hand over what it has read (the batching window
    /// still applies), and sends the measurements to the emulator's CloudWatch.
    pub async fn finish(self) -> Result<Vec<ConsumerSummary>, DeployError> {
        self.stop_with(Stop::Drain).await
    }

    /// Stops taking orders and hands every consumer what it gathered at once, without waiting
    /// out the batching windows; then sends the measurements as `finish` does.
    pub async fn finish_now(self) -> Result<Vec<ConsumerSummary>, DeployError> {
        self.stop_with(Stop::Now).await
    }

    async fn stop_with(mut self, how: Stop) -> Result<Vec<ConsumerSummary>, DeployError> {
        self.api.stop();
        let _ = self.stop.send(how);
        let deadline = tokio::time::Instant::now() + self.longest_window + DRAIN_GRACE;
        let mut summaries: Vec<ConsumerSummary> = Vec::new();
        for (mapping, task) in std::mem::take(&mut self.pollers) {
            let tally = match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(Ok(tally))) => tally,
                Ok(Ok(Err(detail))) => return Err(local_failure(&mapping, detail)),
                Ok(Err(join)) => return Err(local_failure(&mapping, join.to_string())),
                Err(_) => {
                    return Err(local_failure(
                        &mapping,
                        "still busy after its window and a minute more".into(),
                    ));
                }
            };
            add(&mut summaries, &mapping, tally);
        }
        self.recorder.publish(&self.cloudwatch).await?;
        Ok(summaries)
    }
}

/// A run given up on (an error before `finish`) stops its pollers rather than leave them
/// polling without anyone to stop them.
impl Drop for LocalRun {
    fn drop(&mut self) {
        for (_, task) in &self.pollers {
            task.abort();
        }
    }
}

async fn local_mapping(
    clients: &Clients,
    mapping: &Mapping,
    stream: &str,
    stream_arn: &str,
    table: &str,
    recorder: &Recorder,
) -> Result<LocalMapping, DeployError> {
    let destination = match &mapping.failure.on_failure {
        Some(arn) => Some(destination(clients, arn).await?),
        None => None,
    };
    Ok(LocalMapping {
        function: mapping.function.clone(),
        function_arn: mapping.function_arn.clone(),
        uuid: mapping.uuid.clone(),
        batch_size: mapping.batch_size.unwrap_or(100).max(1) as usize,
        window: Duration::from_secs(mapping.window_seconds.unwrap_or(0).max(0) as u64),
        lanes: mapping.parallelization.unwrap_or(1).clamp(1, 10) as usize,
        stream: stream.to_owned(),
        source: event::Source {
            stream_arn: stream_arn.to_owned(),
            region: clients.region.clone(),
        },
        kinesis: clients.kinesis.clone(),
        consumer: put_item::Consumer {
            dynamodb: clients.dynamodb.clone(),
            table_name: table.to_owned(),
            settings: put_item::WriteSettings::default(),
        },
        recorder: recorder.clone(),
        policy: FailurePolicy::from(&mapping.failure),
        destination,
        log_batches: false,
    })
}

impl LocalMapping {
    fn logging(mut self, log_batches: bool) -> Self {
        self.log_batches = log_batches;
        self
    }
}

/// The SQS queue an on-failure destination ARN names (the only kind the template uses).
async fn destination(clients: &Clients, arn: &str) -> Result<Destination, DeployError> {
    let unsupported = || DeployError::Local {
        action: "run the stack locally".into(),
        detail: format!(
            "the mapping's on-failure destination {arn} is not an SQS queue; the local runner \
             sends given-up batches only to SQS, as the template configures them"
        ),
    };
    let parts: Vec<&str> = arn.split(':').collect();
    let [_, _, "sqs", _, account, queue] = parts.as_slice() else {
        return Err(unsupported());
    };
    let output = clients
        .sqs
        .get_queue_url()
        .queue_name(*queue)
        .queue_owner_aws_account_id(*account)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("find the on-failure queue {queue}"), err))?;
    Ok(Destination {
        sqs: clients.sqs.clone(),
        queue_url: output.queue_url().unwrap_or_default().to_owned(),
    })
}

fn add(summaries: &mut Vec<ConsumerSummary>, mapping: &LocalMapping, tally: ShardTally) {
    let index = match summaries
        .iter()
        .position(|s| s.function == mapping.function)
    {
        Some(index) => index,
        None => {
            summaries.push(ConsumerSummary {
                function: mapping.function.clone(),
                batch_size: mapping.batch_size,
                window_seconds: mapping.window.as_secs(),
                parallelization: mapping.lanes,
                invocations: 0,
                records: 0,
                given_up: 0,
            });
            summaries.len() - 1
        }
    };
    let summary = &mut summaries[index];
    summary.invocations += tally.invocations;
    summary.records += tally.records;
    summary.given_up += tally.given_up;
}

fn local_failure(mapping: &LocalMapping, detail: String) -> DeployError {
    DeployError::Local {
        action: format!("run {}'s mapping locally", mapping.function),
        detail,
    }
}

async fn shard_ids(clients: &Clients, stream: &str) -> Result<Vec<String>, DeployError> {
    let output = clients
        .kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("list the shards of {stream}"), err))?;
    Ok(output
        .shards()
        .iter()
        .map(|s| s.shard_id().to_owned())
        .collect())
}

async fn stream_arn(clients: &Clients, stream: &str) -> Result<String, DeployError> {
    let output = clients
        .kinesis
        .describe_stream_summary()
        .stream_name(stream)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("describe stream {stream}"), err))?;
    Ok(output
        .stream_description_summary()
        .map(|s| s.stream_arn().to_owned())
        .unwrap_or_default())
}
