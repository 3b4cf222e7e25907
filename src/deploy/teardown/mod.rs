//! After the stack is deleted: checks, service by service, that nothing named for the stack is
//! left (moto keeps the REST API; AWS may keep log groups a function wrote to after their
//! deletion; a failed create may leave a dashboard), and removes what is provably the stack's.
//! Only exact names the template gives are looked at, and a name is never enough: see
//! `ownership` for what proves a resource is ours. The rest is left alone and named.

mod find;
pub mod ownership;
mod remove;

use serde::Serialize;

use super::DeployError;
use super::names::StackNames;
use crate::aws::Clients;
use crate::terminal;
pub use find::{find, listed, owner};
pub use ownership::{Found, Owner, Verdict, judge};
pub use remove::remove;

/// A resource of the stack's name that outlived it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Leftover {
    RestApi(String),
    Function(String),
    Stream(String),
    Table(String),
    Queue(String),
    LogGroup(String),
    Dashboard(String),
    /// The on-failure alarm `<stack>-records-given-up` (CloudFormation deletes it on AWS).
    Alarm(String),
    Role(String),
}

impl Leftover {
    /// Its id: name, URL (queue) or REST API id.
    pub fn id(&self) -> &str {
        match self {
            Leftover::RestApi(id)
            | Leftover::Function(id)
            | Leftover::Stream(id)
            | Leftover::Table(id)
            | Leftover::Queue(id)
            | Leftover::LogGroup(id)
            | Leftover::Dashboard(id)
            | Leftover::Alarm(id)
            | Leftover::Role(id) => id,
        }
    }

    /// Whether the stack's own list of what it made proves this one is ours: only for a REST
    /// API (whose id is random and never reused; the emulator drops its tags) and a dashboard
    /// (which cannot carry tags). For kinds found by name, a name on the list would also
    /// match someone's new resource of that name.
    pub fn proven_by_record(&self) -> bool {
        matches!(self, Leftover::RestApi(_) | Leftover::Dashboard(_))
    }

    /// Whether it holds a name the stack needs, so that its presence fails the stack's create
    /// (REST API names are not unique).
    pub fn blocks_create(&self) -> bool {
        !matches!(self, Leftover::RestApi(_))
    }
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Leftover::RestApi(_) => "REST API",
            Leftover::Function(_) => "function",
            Leftover::Stream(_) => "stream",
            Leftover::Table(_) => "table",
            Leftover::Queue(_) => "queue",
            Leftover::LogGroup(_) => "log group",
            Leftover::Dashboard(_) => "dashboard",
            Leftover::Alarm(_) => "alarm",
            Leftover::Role(_) => "role",
        };
        write!(f, "{kind} {}", self.id())
    }
}

/// What is named for the stack, sorted by verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Survey {
    /// Provably the stack's, with the proof.
    pub ours: Vec<(Leftover, String)>,
    /// Not provably the stack's, with the reason: never touched.
    pub not_ours: Vec<(Leftover, String)>,
}

impl Survey {
    pub fn judge(found: Vec<Found>, owner: &Owner) -> Survey {
        let mut survey = Survey::default();
        for item in found {
            match judge(&item, owner) {
                Verdict::Ours(why) => survey.ours.push((item.leftover, why)),
                Verdict::NotOurs(why) => survey.not_ours.push((item.leftover, why)),
            }
        }
        survey
    }

    /// The "not ours" list as the user reads it: "table x (why)".
    pub fn left_alone(&self) -> Vec<String> {
        self.not_ours
            .iter()
            .map(|(leftover, why)| format!("{leftover} ({why})"))
            .collect()
    }
}

/// Looks for what is named for the stack and judges each against `owner`.
pub async fn survey(
    clients: &Clients,
    names: &StackNames,
    owner: &Owner,
) -> Result<Survey, DeployError> {
    Ok(Survey::judge(find(clients, names).await?, owner))
}

/// Removes every straggler provably the stack's, says what it leaves alone and why; returns
/// the survey it acted on.
pub async fn sweep(
    clients: &Clients,
    names: &StackNames,
    owner: &Owner,
) -> Result<Survey, DeployError> {
    let survey = survey(clients, names, owner).await?;
    for (leftover, why) in &survey.ours {
        terminal::note(format!("removing straggler {leftover} ({why})"));
        remove(clients, leftover).await?;
    }
    for line in survey.left_alone() {
        terminal::warn(format!("left alone: {line}"));
    }
    Ok(survey)
}
