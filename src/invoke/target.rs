//! What an invocation needs from the deployed stack: the function's name, and what its event
//! names — for a consumer the stream its mapping reads (the mapping's EventSourceArn, as Lambda
//! puts it in each record) and its role; for the producer the stack's API and account.

use super::InvokeError;
use super::event::{ApiSource, StreamSource};
use crate::aws::{AwsError, Clients};
use crate::deploy::{resources, stack};
use crate::logs::{NotDeployed, StackFunction};

/// The first shard of a stream: Kinesis names shards in order from this one.
const FIRST_SHARD: &str = "shardId-000000000000";

/// The function to invoke and where its event comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub(crate) function: StackFunction,
    pub(crate) function_name: String,
    pub(crate) source: EventSource,
}

/// What the built event names as its origin.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventSource {
    Stream(StreamSource),
    Api(ApiSource),
}

/// Reads `function`'s name and its event's origin from `stack` (read-only calls).
pub(crate) async fn resolve(
    clients: &Clients,
    stack_name: &str,
    function: StackFunction,
) -> Result<Target, InvokeError> {
    stack::describe_existing(&clients.cloudformation, stack_name, &clients.region).await?;
    let resources = resources::resources(clients, stack_name).await?;
    let physical = |logical: &str| {
        (resources.iter())
            .find(|r| r.logical_id == logical)
            .and_then(|r| r.physical_id.clone())
    };
    let function_name = physical(function.function_logical_id()).ok_or_else(|| NotDeployed {
        stack: stack_name.to_owned(),
        function,
    })?;
    let configuration = clients
        .lambda
        .get_function_configuration()
        .function_name(&function_name)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(format!("read function {function_name}"), err))?;
    let function_arn = configuration.function_arn().unwrap_or(&function_name);
    let source = if function.is_consumer() {
        EventSource::Stream(StreamSource {
            stream_arn: mapped_stream(clients, function, function_arn).await?,
            region: clients.region.clone(),
            shard_id: FIRST_SHARD.to_owned(),
            invoke_identity_arn: configuration.role().unwrap_or_default().to_owned(),
        })
    } else {
        let api_id = physical("Api").ok_or_else(|| {
            InvokeError::Incomplete(format!(
                "stack {stack_name} has no API (Api): `demo up` puts it back"
            ))
        })?;
        EventSource::Api(ApiSource {
            api_id,
            account_id: account_of(function_arn).to_owned(),
            region: clients.region.clone(),
        })
    };
    Ok(Target {
        function,
        function_name,
        source,
    })
}

/// The Kinesis stream the consumer's mapping reads.
async fn mapped_stream(
    clients: &Clients,
    function: StackFunction,
    function_arn: &str,
) -> Result<String, InvokeError> {
    let mappings = clients
        .lambda
        .list_event_source_mappings()
        .function_name(function_arn)
        .send()
        .await
        .map_err(|err| {
            AwsError::from_sdk(format!("list the event source mappings of {function}"), err)
        })?;
    (mappings.event_source_mappings().iter())
        .filter_map(|mapping| mapping.event_source_arn())
        .find(|arn| arn.contains(":kinesis:"))
        .map(str::to_owned)
        .ok_or_else(|| {
            InvokeError::Incomplete(format!(
                "{function} has no Kinesis event source mapping, so no stream to name in its \
                 event: `demo up` puts it back"
            ))
        })
}

/// The account of an ARN (`arn:aws:lambda:<region>:<account>:function:<name>`).
fn account_of(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_is_the_arns_fifth_part() {
        assert_eq!(
            account_of("arn:aws:lambda:ap-southeast-2:123456789012:function:s-put-record"),
            "123456789012"
        );
        assert_eq!(account_of("s-put-record"), "");
    }
}
