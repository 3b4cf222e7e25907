//! Where orders go (the API URL) and where they should land (the two tables).
//!
//! Flags win; when one is absent, the deployed stack is asked (DescribeStackResources), so
//! after `demo up` a plain `demo load --verify` needs no names at all.

use std::time::Duration;

use reqwest::Url;

use crate::aws::AwsSettings;
use crate::deploy::{resources, stack};
use crate::load::error::LoadError;

/// Table names given on the command line (or in DEMO_TABLE_1 / DEMO_TABLE_2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableNames {
    pub table_1: Option<String>,
    pub table_2: Option<String>,
}

/// The two tables to verify, labelled as the stack labels them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    pub table_1: String,
    pub table_2: String,
}

/// The order endpoint: `--url`, else the deployed stack's API. (`--local` without `--url`
/// never gets here: `crate::local` serves the API itself.)
pub async fn resolve_url(aws: &AwsSettings, flag: Option<&Url>) -> Result<Url, LoadError> {
    if let Some(url) = flag {
        return Ok(url.clone());
    }
    let deployed = Deployed::look_up(aws).await?;
    let api_id = deployed.physical("Api").ok_or(LoadError::NoUrl)?;
    Url::parse(&resources::api_url(&api_id, &deployed.region)).map_err(|_| LoadError::NoUrl)
}

/// The two tables: the flags, else the deployed stack's.
pub async fn resolve_tables(aws: &AwsSettings, flags: &TableNames) -> Result<Tables, LoadError> {
    if let (Some(table_1), Some(table_2)) = (&flags.table_1, &flags.table_2) {
        return Ok(Tables {
            table_1: table_1.clone(),
            table_2: table_2.clone(),
        });
    }
    let deployed = Deployed::look_up(aws).await?;
    let pick = |flag: &Option<String>, logical, name: &'static str, env| {
        flag.clone()
            .or_else(|| deployed.physical(logical))
            .ok_or(LoadError::NoTable { flag: name, env })
    };
    Ok(Tables {
        table_1: pick(&flags.table_1, "Table1", "--table-1", "DEMO_TABLE_1")?,
        table_2: pick(&flags.table_2, "Table2", "--table-2", "DEMO_TABLE_2")?,
    })
}

/// The deployed stack's resources, for the names the flags left out.
struct Deployed {
    region: String,
    resources: Vec<resources::Resource>,
}

impl Deployed {
    async fn look_up(aws: &AwsSettings) -> Result<Self, LoadError> {
        let clients = crate::aws::connect(aws).await?;
        let stack = &aws.stack_name;
        stack::describe_existing(&clients.cloudformation, stack, &clients.region).await?;
        let resources = resources::resources(&clients, stack).await?;
        Ok(Deployed {
            region: clients.region,
            resources,
        })
    }

    fn physical(&self, logical: &str) -> Option<String> {
        let resource = self.resources.iter().find(|r| r.logical_id == logical)?;
        resource.physical_id.clone()
    }
}

/// A quick TCP connect, so a wrong address fails in a second with a clear message instead of
/// as thousands of connection errors.
pub async fn check_reachable(url: &Url) -> Result<(), LoadError> {
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
