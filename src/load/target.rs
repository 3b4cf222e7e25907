//! Where orders go (the API URL) and where they should land (the two tables).
//!
//! Flags win; when one is absent, the deployed stack is asked (DescribeStackResources), so
//! after `demo up` a plain `demo load --verify` needs no names at all.

use std::time::Duration;

use reqwest::Url;

use crate::aws::Clients;
use crate::deploy::names::logical::TABLES;
use crate::deploy::{resources, stack};
use crate::load::error::LoadError;

/// Table names given on the command line (or in DEMO_TABLE_1 / DEMO_TABLE_2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableNames {
    pub(crate) table_1: Option<String>,
    pub(crate) table_2: Option<String>,
}

/// The two tables to verify, labelled as the stack labels them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tables {
    pub(crate) table_1: String,
    pub(crate) table_2: String,
}

/// The deployed stack's resources: read once, for whatever names the flags left out.
pub(crate) struct StackNames {
    region: String,
    resources: Vec<resources::Resource>,
}

impl StackNames {
    pub(crate) async fn look_up(clients: &Clients, stack: &str) -> Result<Self, LoadError> {
        stack::describe_existing(&clients.cloudformation, stack, &clients.region).await?;
        let resources = resources::resources(clients, stack).await?;
        Ok(StackNames {
            region: clients.region.clone(),
            resources,
        })
    }

    /// From a stack already read (`--local` reads it to start the stand-ins).
    pub(crate) fn of(deployed: &resources::Deployed, region: &str) -> Self {
        StackNames {
            region: region.to_owned(),
            resources: deployed.resources.clone(),
        }
    }

    fn physical(&self, logical: &str) -> Option<String> {
        let resource = self.resources.iter().find(|r| r.logical_id == logical)?;
        resource.physical_id.clone()
    }
}

impl TableNames {
    /// Whether both names were given, so the stack need not be read for them.
    pub(crate) fn complete(&self) -> bool {
        self.table_1.is_some() && self.table_2.is_some()
    }
}

/// The order endpoint: `--url`, else the deployed stack's API. (`--local` without `--url`
/// never gets here: `crate::local` serves the API itself.)
pub(crate) fn resolve_url(
    flag: Option<&Url>,
    stack: Option<&StackNames>,
) -> Result<Url, LoadError> {
    if let Some(url) = flag {
        return Ok(url.clone());
    }
    let stack = stack.ok_or(LoadError::NoUrl)?;
    let api_id = stack.physical("Api").ok_or(LoadError::NoUrl)?;
    Url::parse(&resources::api_url(&api_id, &stack.region)).map_err(|_| LoadError::NoUrl)
}

/// The two tables: the flags, else the deployed stack's.
pub(crate) fn resolve_tables(
    flags: &TableNames,
    stack: Option<&StackNames>,
) -> Result<Tables, LoadError> {
    let pick = |flag: &Option<String>, logical, name: &'static str, env| {
        flag.clone()
            .or_else(|| stack.and_then(|s| s.physical(logical)))
            .ok_or(LoadError::NoTable { flag: name, env })
    };
    Ok(Tables {
        table_1: pick(&flags.table_1, TABLES[0], "--table-1", "DEMO_TABLE_1")?,
        table_2: pick(&flags.table_2, TABLES[1], "--table-2", "DEMO_TABLE_2")?,
    })
}

/// A quick TCP connect, so a wrong address fails in a second with a clear message instead of
/// as thousands of connection errors.
pub(crate) async fn check_reachable(url: &Url) -> Result<(), LoadError> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let address = format!("{host}:{port}");
    let unreachable = |reason: String| LoadError::Unreachable {
        url: url.to_string(),
        address: address.clone(),
        reason,
    };
    let connect = tokio::net::TcpStream::connect((host.as_str(), port));
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(unreachable(error.to_string())),
        Err(_) => Err(unreachable("no answer within 5 s".into())),
    }
}
