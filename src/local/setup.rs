//! What the local runner reads and starts before the first order: the stream's shards and ARN,
//! each function's host (its processes, the Lambda environment plus the runner's endpoints),
//! and each enabled mapping with its failure destination.

use std::sync::Arc;
use std::time::Duration;

use super::error::LocalError;
use super::event;
use super::failure::{Destination, FailurePolicy};
use super::host::{FunctionHost, HostOptions, emulator_env};
use super::mapping::LocalMapping;
use super::recorder::Recorder;
use crate::aws::AwsError;
use crate::aws::Clients;
use crate::deploy::mapping::Mapping;

/// At most this many producer processes per CPU: the producers' PutRecords go to the emulator
/// one at a time, so beyond a few processes more would only wait (and each costs a cold start).
const PRODUCERS_PER_CPU: usize = 2;

/// The producer's host: one process per request in flight, up to [`PRODUCERS_PER_CPU`] per
/// CPU, its Kinesis endpoint the turn-taking forwarder.
pub(crate) async fn producer(
    clients: &Clients,
    stack: &str,
    forwarder_url: &str,
    recorder: &Recorder,
) -> Result<FunctionHost, LocalError> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut extra_env = emulator_env(clients);
    extra_env.push(("AWS_ENDPOINT_URL_KINESIS".into(), forwarder_url.to_owned()));
    let options = HostOptions {
        max_environments: (cpus * PRODUCERS_PER_CPU).max(2),
        extra_env,
        recorder: Some(recorder.clone()),
        binary: None,
    };
    Ok(FunctionHost::start(clients, stack, "put-record", options).await?)
}

/// A consumer's host: one process per lane of each shard, the most batches in flight at once.
pub(crate) async fn consumer(
    clients: &Clients,
    stack: &str,
    mapping: &Mapping,
    shards: usize,
    recorder: &Recorder,
) -> Result<FunctionHost, LocalError> {
    let lanes = lanes(mapping);
    let options = HostOptions {
        max_environments: lanes * shards.max(1),
        extra_env: emulator_env(clients),
        recorder: Some(recorder.clone()),
        binary: None,
    };
    let role = format!("put-item-{}", mapping.consumer);
    Ok(FunctionHost::start(clients, stack, &role, options).await?)
}

fn lanes(mapping: &Mapping) -> usize {
    mapping.parallelization.unwrap_or(1).clamp(1, 10) as usize
}

/// A mapping as its pollers run it.
pub(crate) struct MappingParts<'a> {
    pub(crate) mapping: &'a Mapping,
    pub(crate) stream: &'a str,
    pub(crate) stream_arn: &'a str,
    pub(crate) host: Arc<FunctionHost>,
    pub(crate) recorder: &'a Recorder,
    pub(crate) log_batches: bool,
}

pub(crate) async fn local_mapping(
    clients: &Clients,
    parts: MappingParts<'_>,
) -> Result<LocalMapping, LocalError> {
    let mapping = parts.mapping;
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
        lanes: lanes(mapping),
        stream: parts.stream.to_owned(),
        source: event::Source {
            stream_arn: parts.stream_arn.to_owned(),
            region: clients.region.clone(),
        },
        kinesis: clients.kinesis.clone(),
        host: parts.host,
        recorder: parts.recorder.clone(),
        policy: FailurePolicy::from(&mapping.failure),
        destination,
        log_batches: parts.log_batches,
    })
}

/// The SQS queue an on-failure destination ARN names (the only kind the template uses).
async fn destination(clients: &Clients, arn: &str) -> Result<Destination, LocalError> {
    let unsupported = || LocalError::NotSqs {
        arn: arn.to_owned(),
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
        .map_err(|err| AwsError::from_sdk(format!("find the on-failure queue {queue}"), err))?;
    Ok(Destination {
        sqs: clients.sqs.clone(),
        queue_url: output.queue_url().unwrap_or_default().to_owned(),
    })
}

pub(crate) async fn shard_ids(clients: &Clients, stream: &str) -> Result<Vec<String>, AwsError> {
    let output = clients
        .kinesis
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(format!("list the shards of {stream}"), err))?;
    Ok(output
        .shards()
        .iter()
        .map(|s| s.shard_id().to_owned())
        .collect())
}

pub(crate) async fn stream_arn(clients: &Clients, stream: &str) -> Result<String, AwsError> {
    let output = clients
        .kinesis
        .describe_stream_summary()
        .stream_name(stream)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(format!("describe stream {stream}"), err))?;
    Ok(output
        .stream_description_summary()
        .map(|s| s.stream_arn().to_owned())
        .unwrap_or_default())
}
