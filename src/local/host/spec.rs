//! One deployed function as Lambda would run it, read from the emulator: its configuration
//! (`GetFunctionConfiguration`: memory, timeout, handler, variables, logging) and where the zip it
//! was deployed from lies. Where the emulator leaves a field out (moto drops `LoggingConfig`),
//! the stack's own template says what was deployed: its `LoggingConfig` and `Code`, with `Ref`s
//! resolved through the stack's parameters and resources.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_yaml::Value;

use super::HostError;
use super::platform::LogFormat;
use crate::aws::Clients;
use crate::deploy::DeployError;
use crate::deploy::names::logical;
use crate::deploy::resources::{self, Resource};
use crate::deploy::stack;
use crate::deploy::teardown::ownership::STACK_ID_TAG;

/// What a function's execution environment is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// Its role in the stack: `put-record`, `put-item-1`, `put-item-2`.
    pub role: String,
    pub name: String,
    pub arn: String,
    pub version: String,
    pub memory_mb: u64,
    /// The invocation deadline: past it the process is killed.
    pub timeout: Duration,
    pub handler: String,
    /// The function's own environment variables.
    pub variables: BTreeMap<String, String>,
    pub log_group: String,
    pub log_format: LogFormat,
    pub region: String,
}

/// Where the deployed zip lies, and the SHA-256 Lambda recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeLocation {
    pub bucket: String,
    pub key: String,
    pub code_sha256: String,
}

/// Reads function `role` of `stack`.
pub async fn read(
    clients: &Clients,
    stack_name: &str,
    role: &str,
) -> Result<(FunctionSpec, CodeLocation), HostError> {
    let state =
        stack::describe_existing(&clients.cloudformation, stack_name, &clients.region).await?;
    let resources = resources::resources(clients, stack_name).await?;
    let no_function = || HostError::NoFunction {
        role: role.to_owned(),
        stack: stack_name.to_owned(),
    };
    let logical_id = logical::FUNCTIONS
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, id)| *id)
        .ok_or_else(no_function)?;
    let name = physical(&resources, logical_id).ok_or_else(no_function)?;
    let config = clients
        .lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("read the configuration of {name}"), err))?;
    let template: Value = state
        .template_body
        .as_deref()
        .and_then(|body| serde_yaml::from_str(body).ok())
        .unwrap_or(Value::Null);
    let declared = Declared {
        properties: &template["Resources"][logical_id]["Properties"],
        parameters: &state.parameters,
        resources: &resources,
    };
    let logging = config.logging_config();
    let spec = FunctionSpec {
        role: role.to_owned(),
        arn: config.function_arn().unwrap_or_default().to_owned(),
        version: config.version().unwrap_or("$LATEST").to_owned(),
        memory_mb: config.memory_size().unwrap_or(128).max(128) as u64,
        timeout: Duration::from_secs(config.timeout().unwrap_or(3).max(1) as u64),
        handler: config.handler().unwrap_or("bootstrap").to_owned(),
        variables: config
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        log_group: match logging
            .and_then(|l| l.log_group())
            .map(str::to_owned)
            .or_else(|| declared.resolve(&["LoggingConfig", "LogGroup"]))
        {
            Some(group) => group,
            None => owned_log_group(clients, &name, &state.stack_id)
                .await?
                .unwrap_or_else(|| format!("/aws/lambda/{name}")),
        },
        log_format: logging
            .and_then(|l| l.log_format())
            .map(|f| f.as_str().to_owned())
            .or_else(|| declared.resolve(&["LoggingConfig", "LogFormat"]))
            .map_or(LogFormat::Text, |f| LogFormat::parse(&f)),
        region: clients.region.clone(),
        name,
    };
    let code = CodeLocation {
        bucket: declared.resolve(&["Code", "S3Bucket"]).unwrap_or_default(),
        key: declared.resolve(&["Code", "S3Key"]).unwrap_or_default(),
        code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
    };
    if code.bucket.is_empty() || code.key.is_empty() {
        return Err(HostError::Code {
            function: spec.name,
            detail: "the stack's template names no S3 bucket and key for its code".into(),
        });
    }
    Ok((spec, code))
}

/// The log group `up` made for function `name` (`/aws/lambda/<name>-<instance>`), proven this
/// stack's by its `demo:stack-id` tag. The last resort when neither the function's
/// configuration nor the stack's resources name it: moto drops `LoggingConfig` and, after a
/// stack update, the log groups from the stack's resources (the groups themselves stay).
async fn owned_log_group(
    clients: &Clients,
    name: &str,
    stack_id: &str,
) -> Result<Option<String>, HostError> {
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

fn physical(resources: &[Resource], logical_id: &str) -> Option<String> {
    resources
        .iter()
        .find(|r| r.logical_id == logical_id)
        .and_then(|r| r.physical_id.clone())
}

/// A resource's properties as the deployed template declares them, and what its `Ref`s name.
struct Declared<'a> {
    properties: &'a Value,
    parameters: &'a BTreeMap<String, String>,
    resources: &'a [Resource],
}

impl Declared<'_> {
    /// The value at `path` in the properties: a literal, or a `Ref` to a parameter or resource.
    fn resolve(&self, path: &[&str]) -> Option<String> {
        let value = path
            .iter()
            .try_fold(self.properties, |value, key| value.get(*key))?;
        match value {
            Value::String(text) => Some(text.clone()),
            other => {
                let target = reference(other)?;
                (self.parameters.get(target).cloned()).or_else(|| physical(self.resources, target))
            }
        }
    }
}

/// The target of `!Ref X` (YAML short form) or `{"Ref": "X"}`.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        Value::Mapping(map) => map.get("Ref").and_then(Value::as_str),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(logical_id: &str, physical_id: &str) -> Resource {
        Resource {
            logical_id: logical_id.into(),
            resource_type: "AWS::Logs::LogGroup".into(),
            physical_id: Some(physical_id.into()),
            status: "CREATE_COMPLETE".into(),
        }
    }

    #[test]
    fn the_deployed_template_names_the_log_group_format_and_code() {
        let template: Value = serde_yaml::from_str(crate::deploy::template::TEMPLATE).unwrap();
        let parameters = BTreeMap::from([
            ("ArtifactBucket".to_owned(), "demo-artifacts-1".to_owned()),
            ("PutItemCodeKey".to_owned(), "put-item/abc.zip".to_owned()),
        ]);
        let resources = [resource(
            "PutItem2Logs",
            "/aws/lambda/s-put-item-2-1a2b3c4d",
        )];
        let declared = Declared {
            properties: &template["Resources"]["PutItem2Function"]["Properties"],
            parameters: &parameters,
            resources: &resources,
        };
        assert_eq!(
            declared.resolve(&["LoggingConfig", "LogGroup"]).as_deref(),
            Some("/aws/lambda/s-put-item-2-1a2b3c4d")
        );
        assert_eq!(
            declared.resolve(&["LoggingConfig", "LogFormat"]).as_deref(),
            Some("JSON")
        );
        assert_eq!(
            declared.resolve(&["Code", "S3Bucket"]).as_deref(),
            Some("demo-artifacts-1")
        );
        assert_eq!(
            declared.resolve(&["Code", "S3Key"]).as_deref(),
            Some("put-item/abc.zip")
        );
        assert_eq!(declared.resolve(&["Code", "ImageUri"]), None);
    }

    #[test]
    fn the_long_form_of_ref_is_read_too() {
        let value: Value = serde_yaml::from_str("{Ref: ArtifactBucket}").unwrap();
        assert_eq!(reference(&value), Some("ArtifactBucket"));
        let short: Value = serde_yaml::from_str("!Ref Stream").unwrap();
        assert_eq!(reference(&short), Some("Stream"));
        let sub: Value = serde_yaml::from_str("!Sub x").unwrap();
        assert_eq!(reference(&sub), None);
    }
}
