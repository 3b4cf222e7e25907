//! One deployed function as Lambda would run it, read from the emulator: its configuration
//! (`GetFunctionConfiguration`: memory, timeout, handler, variables, logging) and where the zip it
//! was deployed from lies. Where the emulator leaves a field out (moto drops `LoggingConfig`),
//! the stack's own template says what was deployed: its `LoggingConfig` and `Code`, with `Ref`s
//! resolved through the stack's parameters and resources.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput as FunctionConfiguration;
use serde_yaml::Value;

use super::HostError;
use super::platform::LogFormat;
use crate::aws::{AwsError, Clients};
use crate::deploy::names::logical;
use crate::deploy::resources::{self, Resource};
use crate::deploy::{log_group, stack};

/// What a function's execution environment is made of.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FunctionSpec {
    /// Its role in the stack: `put-record`, `put-item-1`, `put-item-2`.
    pub(crate) role: String,
    pub(crate) name: String,
    pub(crate) arn: String,
    pub(crate) version: String,
    pub(crate) memory_mb: u64,
    /// The invocation deadline: past it the process is killed.
    pub(crate) timeout: Duration,
    pub(crate) handler: String,
    /// The function's own environment variables.
    pub(crate) variables: BTreeMap<String, String>,
    pub(crate) log_group: String,
    pub(crate) log_format: LogFormat,
    pub(crate) region: String,
}

/// Where the deployed zip lies, and the SHA-256 Lambda recorded for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CodeLocation {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub(crate) code_sha256: String,
}

/// Reads function `role` of `stack`.
pub(crate) async fn read(
    clients: &Clients,
    stack_name: &str,
    role: &str,
) -> Result<(FunctionSpec, CodeLocation), HostError> {
    let state =
        stack::describe_existing(&clients.cloudformation, stack_name, &clients.region).await?;
    let resources = resources::resources(clients, stack_name).await?;
    let (logical_id, name) = function_of(&resources, stack_name, role)?;
    let config = clients
        .lambda
        .get_function_configuration()
        .function_name(&name)
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(format!("read the configuration of {name}"), err))?;
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
    let log_group = match logging
        .and_then(|l| l.log_group())
        .map(str::to_owned)
        .or_else(|| declared.resolve(&["LoggingConfig", "LogGroup"]))
    {
        Some(group) => group,
        None => log_group::owned(clients, &name, &state.stack_id)
            .await?
            .unwrap_or_else(|| format!("/aws/lambda/{name}")),
    };
    let log_format = logging
        .and_then(|l| l.log_format())
        .map(|f| f.as_str().to_owned())
        .or_else(|| declared.resolve(&["LoggingConfig", "LogFormat"]))
        .map_or(LogFormat::Text, |f| LogFormat::parse(&f));
    let logging = Logging {
        group: log_group,
        format: log_format,
    };
    let spec = spec_of(role, name, &config, logging, clients.region.clone());
    let code = code_location(&declared, &config);
    if code.bucket.is_empty() || code.key.is_empty() {
        return Err(HostError::Code {
            function: spec.name,
            detail: "the stack's template names no S3 bucket and key for its code".into(),
        });
    }
    Ok((spec, code))
}

/// The logical id and the name of the stack's function `role`.
fn function_of(
    resources: &[Resource],
    stack_name: &str,
    role: &str,
) -> Result<(&'static str, String), HostError> {
    let no_function = || HostError::NoFunction {
        role: role.to_owned(),
        stack: stack_name.to_owned(),
    };
    let logical_id = logical::FUNCTIONS
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, id)| *id)
        .ok_or_else(no_function)?;
    let name = physical(resources, logical_id).ok_or_else(no_function)?;
    Ok((logical_id, name))
}

/// Where the function logs, and in which format.
struct Logging {
    group: String,
    format: LogFormat,
}

/// The function as its configuration, logging and region describe it.
fn spec_of(
    role: &str,
    name: String,
    config: &FunctionConfiguration,
    logging: Logging,
    region: String,
) -> FunctionSpec {
    FunctionSpec {
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
        log_group: logging.group,
        log_format: logging.format,
        region,
        name,
    }
}

/// Where the template says the code lies, and the SHA-256 Lambda recorded.
fn code_location(declared: &Declared<'_>, config: &FunctionConfiguration) -> CodeLocation {
    CodeLocation {
        bucket: declared.resolve(&["Code", "S3Bucket"]).unwrap_or_default(),
        key: declared.resolve(&["Code", "S3Key"]).unwrap_or_default(),
        code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
    }
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
        let template: Value = serde_yaml::from_str(crate::model::template::TEMPLATE).unwrap();
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
