//! What is deployed, read from DescribeStackResources and the services themselves (not from
//! stack Outputs, which moto leaves empty on the change-set path).

use std::collections::BTreeMap;

use serde::Serialize;

use super::DeployError;
use super::mapping::{self, Mapping};
use super::names::logical;
use crate::aws::Clients;
use crate::model::{Consumer, ResourceStatus};

/// One resource of the stack.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Resource {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) physical_id: Option<String>,
    pub(crate) status: ResourceStatus,
}

/// The deployed stack, as the other commands need it.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    pub(crate) api_url: Option<String>,
    pub(crate) stream: Option<String>,
    pub(crate) functions: BTreeMap<String, String>,
    pub(crate) tables: Vec<String>,
    pub(crate) queue: Option<String>,
    pub(crate) mappings: Vec<Mapping>,
    pub(crate) dashboard: Option<Dashboard>,
    pub(crate) resources: Vec<Resource>,
    /// In an emulator, which serves no execute-api URL (`demo serve --local` does instead).
    #[serde(skip)]
    pub(crate) in_emulator: bool,
}

/// The stack's CloudWatch dashboard.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Dashboard {
    pub(crate) name: String,
    /// Its console page; none against an emulator, which has no console to open it in.
    pub(crate) url: Option<String>,
}

impl Dashboard {
    pub(crate) fn new(name: &str, region: &str, in_emulator: bool) -> Self {
        Dashboard {
            name: name.to_owned(),
            url: (!in_emulator).then(|| dashboard_url(name, region)),
        }
    }
}

/// The stage the template deploys the API to.
pub(crate) const STAGE: &str = "prod";

pub(crate) fn api_url(api_id: &str, region: &str) -> String {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{api_id}.execute-api.{region}.{suffix}/{STAGE}/order")
}

/// The CloudWatch console page of dashboard `name`. China and GovCloud have consoles of their
/// own; elsewhere the regional console host saves a redirect.
fn dashboard_url(name: &str, region: &str) -> String {
    let host = if region.starts_with("cn-") {
        "console.amazonaws.cn".to_owned()
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com".to_owned()
    } else {
        format!("{region}.console.aws.amazon.com")
    };
    format!("https://{host}/cloudwatch/home?region={region}#dashboards/dashboard/{name}")
}

pub(crate) async fn resources(
    clients: &Clients,
    stack: &str,
) -> Result<Vec<Resource>, DeployError> {
    let output = clients
        .cloudformation
        .describe_stack_resources()
        .stack_name(stack)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("list the resources of stack {stack}"), err))?;
    Ok(output
        .stack_resources()
        .iter()
        // moto lists a blank row for a resource whose condition is false.
        .filter(|r| r.logical_resource_id().is_some_and(|id| !id.is_empty()))
        .map(|r| Resource {
            logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
            resource_type: r.resource_type().unwrap_or_default().to_owned(),
            physical_id: r
                .physical_resource_id()
                .filter(|id| !id.is_empty())
                .map(str::to_owned),
            status: r.resource_status().map_or("", |s| s.as_str()).into(),
        })
        .collect())
}

/// Reads the stack's resources and each consumer's mapping.
pub async fn deployed(clients: &Clients, stack: &str) -> Result<Deployed, DeployError> {
    let resources = resources(clients, stack).await?;
    let physical = |logical: &str| {
        resources
            .iter()
            .find(|r| r.logical_id == logical)
            .and_then(|r| r.physical_id.clone())
    };
    let functions: BTreeMap<String, String> = logical::FUNCTIONS
        .into_iter()
        .filter_map(|(role, logical)| Some((role.to_owned(), physical(logical)?)))
        .collect();
    let mut mappings = Vec::new();
    for consumer in Consumer::ALL {
        if let Some(function) = functions.get(consumer.function()) {
            mappings.extend(mapping::list(clients, consumer, function).await?);
        }
    }
    Ok(Deployed {
        api_url: physical("Api").map(|id| api_url(&id, &clients.region)),
        stream: physical("Stream").map(|s| s.rsplit('/').next().unwrap_or(&s).to_owned()),
        tables: logical::TABLES.into_iter().filter_map(physical).collect(),
        queue: physical(logical::QUEUE),
        functions,
        mappings,
        dashboard: physical("Dashboard")
            .map(|name| Dashboard::new(&name, &clients.region, clients.is_emulator())),
        resources,
        in_emulator: clients.is_emulator(),
    })
}

impl std::fmt::Display for Deployed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let none = "-".to_owned();
        if self.in_emulator {
            writeln!(
                f,
                "  api:       none in the emulator: `demo serve --local` serves POST \
                 http://127.0.0.1:3000/prod/order (`demo load --local` runs its own)"
            )?;
        } else {
            writeln!(
                f,
                "  api:       POST {}",
                self.api_url.as_ref().unwrap_or(&none)
            )?;
        }
        writeln!(f, "  stream:    {}", self.stream.as_ref().unwrap_or(&none))?;
        for (role, name) in &self.functions {
            writeln!(f, "  function:  {name} ({role})")?;
        }
        for table in &self.tables {
            writeln!(f, "  table:     {table}")?;
        }
        for m in &self.mappings {
            let show = |v: Option<i32>| v.map_or("?".to_owned(), |v| v.to_string());
            let lanes = match m.parallelization {
                Some(n) if n > 1 => format!(", {n} batches in flight per shard"),
                _ => String::new(),
            };
            writeln!(
                f,
                "  mapping {}: batch {} / window {} s{lanes}, {} ({})",
                m.consumer,
                show(m.batch_size),
                show(m.window_seconds),
                m.condition(),
                m.function
            )?;
        }
        if let Some(dashboard) = &self.dashboard {
            match &dashboard.url {
                Some(url) => writeln!(f, "  dashboard: {url}")?,
                None => writeln!(
                    f,
                    "  dashboard: {} (in the emulator, which has no console to open it in)",
                    dashboard.name
                )?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashboard_url_opens_the_dashboard_in_the_regions_console() {
        assert_eq!(
            dashboard_url("demo-batching", "ap-southeast-2"),
            "https://ap-southeast-2.console.aws.amazon.com/cloudwatch/home\
             ?region=ap-southeast-2#dashboards/dashboard/demo-batching"
        );
        assert_eq!(
            dashboard_url("demo-batching", "cn-north-1"),
            "https://console.amazonaws.cn/cloudwatch/home\
             ?region=cn-north-1#dashboards/dashboard/demo-batching"
        );
        assert_eq!(
            dashboard_url("d", "us-gov-west-1"),
            "https://console.amazonaws-us-gov.com/cloudwatch/home\
             ?region=us-gov-west-1#dashboards/dashboard/d"
        );
    }

    #[test]
    fn an_emulators_dashboard_has_a_name_but_no_console_url() {
        let local = Dashboard::new("demo-batching", "ap-southeast-2", true);
        assert_eq!(local.url, None);
        let aws = Dashboard::new("demo-batching", "eu-west-1", false);
        assert!(
            aws.url
                .is_some_and(|u| u.starts_with("https://eu-west-1.console.aws"))
        );
    }

    #[test]
    fn a_mapping_shows_its_parallelization_only_above_one() {
        let mapping = |consumer: Consumer, parallelization| Mapping {
            consumer,
            function: format!("demo-put-item-{consumer}"),
            uuid: "u".into(),
            batch_size: Some(10),
            window_seconds: Some(2),
            parallelization,
            state: "Enabled".into(),
            state_reason: None,
            last_result: None,
            last_modified: None,
            function_arn: String::new(),
            failure: Default::default(),
        };
        let deployed = Deployed {
            api_url: None,
            stream: None,
            functions: BTreeMap::new(),
            tables: vec![],
            queue: None,
            mappings: vec![
                mapping(Consumer::One, Some(1)),
                mapping(Consumer::Two, Some(4)),
            ],
            dashboard: None,
            resources: vec![],
            in_emulator: true,
        };
        let text = deployed.to_string();
        assert!(
            text.contains("mapping 1: batch 10 / window 2 s, Enabled (demo-put-item-1)"),
            "{text}"
        );
        assert!(
            text.contains(
                "mapping 2: batch 10 / window 2 s, 4 batches in flight per shard, Enabled"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_mapping_not_enabled_shows_why() {
        let mapping = |state: &str, reason: &str, result: &str| Mapping {
            consumer: Consumer::Two,
            function: "demo-put-item-2".into(),
            uuid: "u".into(),
            batch_size: Some(10),
            window_seconds: Some(2),
            parallelization: Some(1),
            state: state.into(),
            state_reason: Some(reason.into()),
            last_result: Some(result.into()),
            last_modified: None,
            function_arn: String::new(),
            failure: Default::default(),
        };
        let stopped = mapping(
            "Disabled",
            "PROBLEM: Function not found",
            "PROBLEM: Function call failed",
        );
        assert_eq!(
            stopped.condition(),
            "Disabled (\"PROBLEM: Function not found\"), last processing \"PROBLEM: Function call \
             failed\""
        );
        assert_eq!(
            mapping("Disabled", "USER_INITIATED", "OK").condition(),
            "Disabled (\"USER_INITIATED\")"
        );
        // Enabled: the reason is the user's last change, not news; a failed attempt is.
        assert_eq!(
            mapping("Enabled", "User action", "No records processed").condition(),
            "Enabled"
        );
    }

    #[test]
    fn api_url_uses_the_partitions_domain() {
        assert_eq!(
            api_url("abc123", "ap-southeast-2"),
            "https://abc123.execute-api.ap-southeast-2.amazonaws.com/prod/order"
        );
        assert_eq!(
            api_url("abc123", "cn-north-1"),
            "https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod/order"
        );
    }
}
