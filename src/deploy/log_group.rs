//! A function's log group found by what proves it ours: the `/aws/lambda/<function>-<instance>`
//! group `up` made, tagged with the stack's id. The last resort of `demo logs` and the offline
//! runner when neither Lambda's `LoggingConfig` nor the stack's resources name it (moto drops
//! both after a stack update; AWS keeps them).

use super::DeployError;
use super::teardown::ownership::STACK_ID_TAG;
use crate::aws::Clients;

/// The log group `up` made for function `name` (`/aws/lambda/<name>-<instance>`), proven this
/// stack's by its `demo:stack-id` tag. The last resort when neither the function's
/// configuration nor the stack's resources name it: moto drops `LoggingConfig` and, after a
/// stack update, the log groups from the stack's resources (the groups themselves stay).
pub(crate) async fn owned(
    clients: &Clients,
    name: &str,
    stack_id: &str,
) -> Result<Option<String>, DeployError> {
    let prefix = format!("/aws/lambda/{name}-");
    let listed = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(&prefix)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("list the log groups named {prefix}…"), err))?;
    for group in listed.log_groups() {
        let (Some(group_name), Some(arn)) = (group.log_group_name(), group.log_group_arn()) else {
            continue;
        };
        let tags = clients
            .logs
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("read the tags of {group_name}"), err))?;
        let owner = tags.tags().and_then(|t| t.get(STACK_ID_TAG));
        if owner.map(String::as_str) == Some(stack_id) {
            return Ok(Some(group_name.to_owned()));
        }
    }
    Ok(None)
}
