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
mod error;
pub(crate) mod event;
mod failure;
mod follow;
mod forwarder;
pub mod host;
pub mod http;
mod mapping;
pub(crate) mod recorder;
mod setup;
mod summary;

pub(crate) use error::{LocalError, MappingError};
pub(crate) use mapping::POLL_INTERVAL;
pub(crate) use summary::ConsumerSummary;

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
use crate::deploy::resources::Deployed;

/// How long after the last batching window the pollers may take to finish.
const DRAIN_GRACE: Duration = Duration::from_secs(60);

/// One shard's poller, and the mapping it works for.
type Poller = (
    Arc<LocalMapping>,
    JoinHandle<Result<ShardTally, MappingError>>,
);

/// The running stand-ins.
pub struct LocalRun {
    api: LocalApi,
    stop: watch::Sender<Stop>,
    pollers: Vec<Poller>,
    /// The producer's host first, then one per consumer with an enabled mapping.
    hosts: Vec<Arc<FunctionHost>>,
    forwarder: Forwarder,
    /// Keeps the hosts on the deployed code (`follow`).
    follower: JoinHandle<()>,
    recorder: Recorder,
    cloudwatch: aws_sdk_cloudwatch::Client,
    longest_window: Duration,
}

/// Which executable ran for a function, for load's and serve's output.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RanBinary {
    pub(crate) function: String,
    #[serde(flatten)]
    pub(crate) binary: Binary,
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
    pub(crate) port: u16,
    /// One line per request and per batch handed to a consumer (`serve`).
    pub(crate) log_each: bool,
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
    ) -> Result<LocalRun, LocalError> {
        let stream = deployed.stream.clone().ok_or(LocalError::NoStream)?;
        let listener = bind(options.port).await?;
        let emulator = clients.endpoint_url.clone().unwrap_or_default();
        let forwarder = Forwarder::start(&emulator)
            .await
            .map_err(LocalError::Forwarder)?;
        let recorder = Recorder::default();
        let producer = setup::producer(clients, stack, forwarder.url(), &recorder).await?;
        let (stop, stopped) = watch::channel(Stop::Running);
        let wiring = Wiring {
            clients,
            stack,
            stream: &stream,
            recorder: &recorder,
            stopped: &stopped,
            log_batches: options.log_each,
        };
        let consumers = start_consumers(&wiring, deployed).await?;
        let mut hosts = vec![Arc::new(producer)];
        hosts.extend(consumers.hosts);
        let follower = tokio::spawn(follow::run(hosts.clone(), stopped.clone()));
        let producer = Producer {
            host: Arc::clone(&hosts[0]),
            log_requests: options.log_each,
        };
        let api = LocalApi::serve(listener, producer).map_err(LocalError::Serve)?;
        Ok(LocalRun {
            api,
            stop,
            pollers: consumers.pollers,
            hosts,
            forwarder,
            follower,
            recorder,
            cloudwatch: clients.cloudwatch.clone(),
            longest_window: consumers.longest_window,
        })
    }

    /// Where to post orders: the stand-in's `…/prod/order`.
    pub fn url(&self) -> String {
        self.api.url()
    }

    /// The longest batching window: how long the last records may wait after the last order.
    pub(crate) fn longest_window(&self) -> Duration {
        self.longest_window
    }

    /// What each function runs.
    pub(crate) fn binaries(&self) -> Vec<RanBinary> {
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
    pub(crate) fn figures_note(&self) -> String {
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
    pub async fn finish(self) -> Result<Vec<ConsumerSummary>, LocalError> {
        self.stop_with(Stop::Drain).await
    }

    /// Stops taking orders and hands every consumer what it gathered at once, without waiting
    /// out the batching windows; then ends and sends as `finish` does.
    pub(crate) async fn finish_now(self) -> Result<Vec<ConsumerSummary>, LocalError> {
        self.stop_with(Stop::Now).await
    }

    async fn stop_with(mut self, how: Stop) -> Result<Vec<ConsumerSummary>, LocalError> {
        self.api.stop();
        self.follower.abort();
        let _ = self.stop.send(how);
        let deadline = tokio::time::Instant::now() + self.longest_window + DRAIN_GRACE;
        let mut summaries: Vec<ConsumerSummary> = Vec::new();
        for (mapping, task) in std::mem::take(&mut self.pollers) {
            let tally = match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(Ok(tally))) => tally,
                Ok(Ok(Err(problem))) => return Err(local_failure(&mapping, problem)),
                Ok(Err(join)) => return Err(local_failure(&mapping, MappingError::Ended(join))),
                Err(_) => return Err(local_failure(&mapping, MappingError::StillBusy)),
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
        self.follower.abort();
        for (_, task) in &self.pollers {
            task.abort();
        }
    }
}

fn local_failure(mapping: &LocalMapping, problem: MappingError) -> LocalError {
    LocalError::Mapping {
        function: mapping.function.clone(),
        problem,
    }
}

/// The API's listener on 127.0.0.1:`port`; a port in use says how to pick another.
async fn bind(port: u16) -> Result<tokio::net::TcpListener, LocalError> {
    LocalApi::bind(port).await.map_err(|err| match err.kind() {
        std::io::ErrorKind::AddrInUse => LocalError::PortInUse { port },
        _ => LocalError::Bind { port, err },
    })
}

/// What the consumers' hosts and pollers are started with.
struct Wiring<'a> {
    clients: &'a Clients,
    stack: &'a str,
    stream: &'a str,
    recorder: &'a Recorder,
    stopped: &'a watch::Receiver<Stop>,
    log_batches: bool,
}

/// The consumers' side of a run.
#[derive(Default)]
struct StartedConsumers {
    /// One per consumer with an enabled mapping.
    hosts: Vec<Arc<FunctionHost>>,
    pollers: Vec<Poller>,
    longest_window: Duration,
}

/// A host per enabled mapping's consumer, and a poller per mapping and shard.
async fn start_consumers(
    wiring: &Wiring<'_>,
    deployed: &Deployed,
) -> Result<StartedConsumers, LocalError> {
    let clients = wiring.clients;
    let shards = setup::shard_ids(clients, wiring.stream).await?;
    let stream_arn = setup::stream_arn(clients, wiring.stream).await?;
    let mut consumers = StartedConsumers::default();
    for mapping in deployed.mappings.iter().filter(|m| m.is_enabled()) {
        let host = setup::consumer(
            clients,
            wiring.stack,
            mapping,
            shards.len(),
            wiring.recorder,
        );
        let host = Arc::new(host.await?);
        consumers.hosts.push(Arc::clone(&host));
        let parts = setup::MappingParts {
            mapping,
            stream: wiring.stream,
            stream_arn: &stream_arn,
            host,
            recorder: wiring.recorder,
            log_batches: wiring.log_batches,
        };
        let local = Arc::new(setup::local_mapping(clients, parts).await?);
        consumers.longest_window = consumers.longest_window.max(local.window);
        for shard in &shards {
            consumers
                .pollers
                .push(start_poller(&local, shard, wiring.stopped).await?);
        }
    }
    Ok(consumers)
}

/// A poller for `shard`, reading from its tip.
async fn start_poller(
    local: &Arc<LocalMapping>,
    shard: &str,
    stopped: &watch::Receiver<Stop>,
) -> Result<Poller, LocalError> {
    let iterator = mapping::latest_iterator(local, shard)
        .await
        .map_err(LocalError::StartReading)?;
    let task = mapping::run_shard(
        Arc::clone(local),
        shard.to_owned(),
        iterator,
        stopped.clone(),
    );
    Ok((Arc::clone(local), tokio::spawn(task)))
}
