//! `--local`'s data path. The emulator stores the stack but runs no Lambda code and serves no
//! API, so the local runner does what Lambda and API Gateway would: each function runs as its
//! own processes, the deployed zip's `bootstrap` speaking the Lambda Runtime API to a stand-in
//! (`host`); an API Gateway stand-in hands orders to the producer (`api`), whose Kinesis
//! endpoint is a forwarder that puts one record at a time (`forwarder`); and one poller per
//! mapping and shard batches as Lambda does (batch size, batching window, batches in flight per
//! shard) for each consumer (`mapping`, `failure`), all against the emulator's Kinesis and
//! DynamoDB. What they measure goes to the emulator's CloudWatch under Lambda's metric names,
//! so `demo report --local` reads it as it reads Lambda's on AWS, and the functions' output to
//! its CloudWatch Logs, as Lambda writes it.

mod api;
pub mod event;
mod failure;
mod forwarder;
pub mod host;
pub mod http;
mod mapping;
pub mod recorder;
mod setup;
mod summary;

pub use mapping::POLL_INTERVAL;
pub use summary::ConsumerSummary;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use self::api::{LocalApi, Producer};
use self::forwarder::Forwarder;
use self::host::{Binary, FunctionHost};
use self::mapping::{LocalMapping, ShardTally, Stop};
use self::recorder::Recorder;
use crate::aws::Clients;
use crate::deploy::DeployError;
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
    /// The producer's host first, then one per consumer with an enabled mapping.
    hosts: Vec<Arc<FunctionHost>>,
    forwarder: Forwarder,
    recorder: Recorder,
    cloudwatch: aws_sdk_cloudwatch::Client,
    longest_window: Duration,
}

/// Which executable ran for a function, for load's and serve's output.
#[derive(Debug, Clone, Serialize)]
pub struct RanBinary {
    pub function: String,
    #[serde(flatten)]
    pub binary: Binary,
}

impl std::fmt::Display for RanBinary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ran {}", self.function, self.binary.describe())
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

impl LocalRun {
    /// Starts the functions' hosts, the API stand-in and a poller per enabled mapping and
    /// shard, each positioned at the shard's tip before this returns, so no order sent
    /// afterwards is missed.
    pub async fn start(
        clients: &Clients,
        stack: &str,
        deployed: &Deployed,
        options: LocalOptions,
    ) -> Result<LocalRun, DeployError> {
        let stream = deployed.stream.clone().ok_or_else(|| DeployError::Local {
            action: "run the stack locally".into(),
            detail: "the stack has no stream; run `demo up --local` again".into(),
        })?;
        let listener = LocalApi::bind(options.port)
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
        let emulator = clients.endpoint_url.clone().unwrap_or_default();
        let forwarder = Forwarder::start(&emulator)
            .await
            .map_err(|err| DeployError::Local {
                action: "start the producers' Kinesis forwarder".into(),
                detail: err.to_string(),
            })?;
        let recorder = Recorder::default();
        let producer = setup::producer(clients, stack, forwarder.url(), &recorder).await?;
        let mut hosts = vec![Arc::new(producer)];
        let (stop, stopped) = watch::channel(Stop::Running);
        let shards = setup::shard_ids(clients, &stream).await?;
        let stream_arn = setup::stream_arn(clients, &stream).await?;
        let mut pollers = Vec::new();
        let mut longest_window = Duration::ZERO;
        for mapping in deployed.mappings.iter().filter(|m| m.state == "Enabled") {
            let host = setup::consumer(clients, stack, mapping, shards.len(), &recorder).await?;
            let host = Arc::new(host);
            hosts.push(Arc::clone(&host));
            let parts = setup::MappingParts {
                mapping,
                stream: &stream,
                stream_arn: &stream_arn,
                host,
                recorder: &recorder,
                log_batches: options.log_each,
            };
            let local = Arc::new(setup::local_mapping(clients, parts).await?);
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
        let producer = Producer {
            host: Arc::clone(&hosts[0]),
            log_requests: options.log_each,
        };
        let api = LocalApi::serve(listener, producer).map_err(|err| DeployError::Local {
            action: "serve the local API".into(),
            detail: err.to_string(),
        })?;
        Ok(LocalRun {
            api,
            stop,
            pollers,
            hosts,
            forwarder,
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

    /// What each function runs.
    pub fn binaries(&self) -> Vec<RanBinary> {
        self.hosts
            .iter()
            .map(|host| RanBinary {
                function: host.spec().name.clone(),
                binary: (*host.binary()).clone(),
            })
            .collect()
    }

    /// The host of function `role` (`put-record`, `put-item-1`, `put-item-2`), if it runs.
    pub fn host(&self, role: &str) -> Option<&FunctionHost> {
        self.hosts
            .iter()
            .find(|h| h.spec().role == role)
            .map(|h| h.as_ref())
    }

    /// What the figures are, for people: processes on this machine, under qemu if so.
    pub fn figures_note(&self) -> String {
        let emulated: Vec<String> = self
            .hosts
            .iter()
            .filter_map(|h| h.binary().runner.clone())
            .map(|qemu| {
                qemu.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let how = match emulated.first() {
            Some(qemu) => format!("processes on this machine, run under {qemu}"),
            None => "processes on this machine".to_owned(),
        };
        let (puts, waited_ms) = self.forwarder.turns();
        format!(
            "durations, memory (peak resident set) and init times are of the functions' {how}, \
             against the emulator, not Lambda's; the producer's {puts} PutRecords took turns at \
             the emulator (moto loses records under concurrent PutRecord) and waited {waited_ms:.1} \
             ms each on average, within its Duration"
        )
    }

    /// Stops taking orders, lets every poller hand over what it has read (the batching window
    /// still applies), ends the functions' processes, and sends the measurements to the
    /// emulator's CloudWatch.
    pub async fn finish(self) -> Result<Vec<ConsumerSummary>, DeployError> {
        self.stop_with(Stop::Drain).await
    }

    /// Stops taking orders and hands every consumer what it gathered at once, without waiting
    /// out the batching windows; then ends and sends as `finish` does.
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
            summary::add(&mut summaries, &mapping, tally);
        }
        for host in &self.hosts {
            host.shutdown().await?;
        }
        self.recorder.publish(&self.cloudwatch).await?;
        Ok(summaries)
    }
}

/// A run given up on (an error before `finish`) stops its pollers rather than leave them
/// polling without anyone to stop them; the functions' processes end with their hosts.
impl Drop for LocalRun {
    fn drop(&mut self) {
        for (_, task) in &self.pollers {
            task.abort();
        }
    }
}

fn local_failure(mapping: &LocalMapping, detail: String) -> DeployError {
    DeployError::Local {
        action: format!("run {}'s mapping locally", mapping.function),
        detail,
    }
}
