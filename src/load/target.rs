//! Where orders go (the API URL) and where they should land (the two tables).
//!
//! Today these come from flags; this is the one place a "look it up in the deployed stack"
//! step plugs in: when a flag is absent, ask the stack instead of failing.

use std::time::Duration;

use reqwest::Url;

use crate::load::error::LoadError;
use crate::settings::AwsSettings;

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

pub async fn resolve_url(_aws: &AwsSettings, flag: Option<&Url>) -> Result<Url, LoadError> {
    flag.cloned().ok_or(LoadError::NoUrl)
}

pub async fn resolve_tables(_aws: &AwsSettings, flags: &TableNames) -> Result<Tables, LoadError> {
    let table_1 = flags.table_1.clone().ok_or(LoadError::NoTable {
        flag: "--table-1",
        env: "DEMO_TABLE_1",
    })?;
    let table_2 = flags.table_2.clone().ok_or(LoadError::NoTable {
        flag: "--table-2",
        env: "DEMO_TABLE_2",
    })?;
    Ok(Tables { table_1, table_2 })
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
