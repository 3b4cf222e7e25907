//! After the stack is deleted: checks, service by service, that nothing named for the stack is
//! left (moto keeps the REST API; AWS may keep log groups a function wrote to after their
//! deletion; a failed create may leave a dashboard), and removes what is provably the stack's.
//! Only exact names the template gives are looked at, and a name is never enough: see
//! `ownership` for what proves a resource is ours. The rest is left alone and named.
//!
//! Answers are judged by what they mean (`answers`). An unexpected answer about one resource
//! (a 500, a denied call) does not stop the rest: it is kept as `Unsettled` (what was tried and
//! the service's answer) for the command to report; only credentials or connection trouble,
//! which every other call would meet too, stops at once.

pub(crate) mod answers;
mod find;
pub(crate) mod ownership;
mod remove;
#[cfg(test)]
mod tests;

use serde::Serialize;

use super::DeployError;
use super::names::StackNames;
use crate::aws::{AwsError, Clients};
use crate::terminal;
pub(crate) use find::{find, listed, owner};
pub(crate) use ownership::{Found, Owner, Verdict, judge};
pub(crate) use remove::remove;

/// A resource of the stack's name that outlived it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub(crate) enum Leftover {
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
    pub(crate) fn id(&self) -> &str {
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
    pub(crate) fn proven_by_record(&self) -> bool {
        matches!(self, Leftover::RestApi(_) | Leftover::Dashboard(_))
    }

    /// Whether it holds a name the stack needs, so that its presence fails the stack's create
    /// (REST API names are not unique).
    pub(crate) fn blocks_create(&self) -> bool {
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

/// A check or removal that could not be made: what was tried (naming the resource) and the
/// service's answer. Running the command again retries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unsettled {
    pub(crate) action: String,
    pub(crate) answer: String,
}

impl Unsettled {
    /// The error as something unsettled, unless it must stop everything: credentials or
    /// connection trouble (every other call would fail the same way), or no AWS answer at all.
    pub(crate) fn from_error(err: DeployError) -> Result<Unsettled, DeployError> {
        match err {
            DeployError::Aws(AwsError::Call { action, detail }) => Ok(Unsettled {
                action,
                answer: detail,
            }),
            other => Err(other),
        }
    }
}

impl std::fmt::Display for Unsettled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not {}: {}", self.action, self.answer)
    }
}

/// What the search for the stack's names found, and the checks it could not make.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Findings {
    pub(crate) found: Vec<Found>,
    pub(crate) unchecked: Vec<Unsettled>,
}

impl Findings {
    /// Keeps what one check found, or notes the check as not made; stops only on an error
    /// that must stop everything (see `Unsettled::from_error`).
    fn take<I: IntoIterator<Item = Found>>(
        &mut self,
        checked: Result<I, DeployError>,
    ) -> Result<(), DeployError> {
        match checked {
            Ok(found) => self.found.extend(found),
            Err(err) => self.unchecked.push(Unsettled::from_error(err)?),
        }
        Ok(())
    }
}

/// What is named for the stack, sorted by verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Survey {
    /// Provably the stack's, with the proof.
    pub(crate) ours: Vec<(Leftover, String)>,
    /// Not provably the stack's, with the reason: never touched.
    pub(crate) not_ours: Vec<(Leftover, String)>,
    /// Checks that could not be made: whether those resources are left is unknown.
    pub(crate) unchecked: Vec<Unsettled>,
}

impl Survey {
    pub(crate) fn judge(findings: Findings, owner: &Owner) -> Survey {
        let mut survey = Survey {
            unchecked: findings.unchecked,
            ..Survey::default()
        };
        for item in findings.found {
            match judge(&item, owner) {
                Verdict::Ours(why) => survey.ours.push((item.leftover, why)),
                Verdict::NotOurs(why) => survey.not_ours.push((item.leftover, why)),
            }
        }
        survey
    }

    /// The "not ours" list as the user reads it: "table x (why)".
    pub(crate) fn left_alone(&self) -> Vec<String> {
        described(&self.not_ours)
    }
}

fn described(not_ours: &[(Leftover, String)]) -> Vec<String> {
    (not_ours.iter())
        .map(|(leftover, why)| format!("{leftover} ({why})"))
        .collect()
}

/// Looks for what is named for the stack and judges each against `owner`.
pub(crate) async fn survey(
    clients: &Clients,
    names: &StackNames,
    owner: &Owner,
) -> Result<Survey, DeployError> {
    Ok(Survey::judge(find(clients, names).await?, owner))
}

/// What a sweep did: removed, left alone, and could not settle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Swept {
    pub(crate) removed: Vec<Leftover>,
    /// Not provably the stack's, with the reason: never touched.
    pub(crate) not_ours: Vec<(Leftover, String)>,
    /// Checks that could not be made.
    pub(crate) unchecked: Vec<Unsettled>,
    /// Removals that failed (the resource is still there, as far as is known).
    pub(crate) failed: Vec<(Leftover, Unsettled)>,
}

impl Swept {
    pub(crate) fn left_alone(&self) -> Vec<String> {
        described(&self.not_ours)
    }
}

/// Removes every straggler provably the stack's, says what it leaves alone and why, and what
/// it could not check or remove; one failure does not keep the others from going.
pub(crate) async fn sweep(
    clients: &Clients,
    names: &StackNames,
    owner: &Owner,
) -> Result<Swept, DeployError> {
    let survey = survey(clients, names, owner).await?;
    let mut swept = Swept {
        not_ours: survey.not_ours.clone(),
        unchecked: survey.unchecked.clone(),
        ..Swept::default()
    };
    for (leftover, why) in &survey.ours {
        terminal::note(format!("removing straggler {leftover} ({why})"));
        match remove(clients, leftover).await {
            Ok(()) => swept.removed.push(leftover.clone()),
            Err(err) => swept
                .failed
                .push((leftover.clone(), Unsettled::from_error(err)?)),
        }
    }
    for line in survey.left_alone() {
        terminal::warn(format!("left alone: {line}"));
    }
    let failures = swept.failed.iter().map(|(_, unsettled)| unsettled);
    for unsettled in swept.unchecked.iter().chain(failures) {
        terminal::warn(format!("{unsettled}; going on with the rest"));
    }
    Ok(swept)
}
