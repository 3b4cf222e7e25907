//! `demo down`: delete the stack and the artifact bucket, then make sure nothing is left.

use std::fmt;
use std::io::{BufRead, IsTerminal, Write};
use std::time::SystemTime;

use serde::Serialize;

use crate::aws::{account_id, connect};
use crate::deploy::bucket::{self, Bucket, OWNER_TAG, Standing};
use crate::deploy::events::StackState;
use crate::deploy::names::StackNames;
use crate::deploy::teardown::{self, Leftover};
use crate::deploy::{DeployError, stack};
use crate::error::CliError;
use crate::output;
use crate::settings::Settings;

/// What `demo down` was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct DownSettings {
    pub yes: bool,
}

/// What `demo down` did.
#[derive(Debug, Serialize)]
pub struct DownReport {
    pub stack: String,
    pub region: String,
    pub stack_deleted: bool,
    pub bucket_deleted: Option<String>,
    pub stragglers_removed: Vec<Leftover>,
    /// Named for the stack but not provably its own: not touched.
    pub left_alone: Vec<String>,
}

pub async fn run(settings: &Settings, down: DownSettings) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let names = StackNames::new(&settings.aws.stack_name, &clients.region);
    let account = account_id(&clients).await?;
    let current = stack::describe(&clients.cloudformation, &names.stack).await?;
    let recorded = current
        .as_ref()
        .and_then(|c| c.parameters.get("ArtifactBucket"));
    let (bucket_name, _) =
        bucket::choose(None, recorded.map(String::as_str), &names.bucket(&account));
    let store = Bucket {
        s3: &clients.s3,
        name: bucket_name,
        owner: account,
    };
    let stragglers = teardown::leftovers(&clients, &names).await?;
    let standing = store.standing(&names.stack).await?;
    let mut report = DownReport {
        stack: names.stack.clone(),
        region: clients.region.clone(),
        stack_deleted: false,
        bucket_deleted: None,
        stragglers_removed: Vec::new(),
        left_alone: Vec::new(),
    };
    if let Some(why) = not_ours(&standing) {
        report
            .left_alone
            .push(format!("bucket {} ({why})", store.name));
    }
    if current.is_none() && stragglers.is_empty() && standing != Standing::Ours {
        return output::emit(settings.output, &report);
    }
    confirm(&names, down.yes)?;
    if let Some(current) = current {
        let since = SystemTime::now();
        stack::delete(&clients.cloudformation, &current.stack_id).await?;
        let finished =
            stack::wait(&clients.cloudformation, &current.stack_id, since, "down").await?;
        if finished.state != StackState::Deleted {
            return Err(stack::failure(&names.stack, &clients.region, &finished).into());
        }
        report.stack_deleted = true;
    }
    // Checked again: the stack's delete took minutes, and only a bucket still ours goes.
    if standing == Standing::Ours && store.standing(&names.stack).await? == Standing::Ours {
        store.empty_and_delete().await?;
        report.bucket_deleted = Some(store.name.clone());
    }
    for leftover in teardown::leftovers(&clients, &names).await? {
        eprintln!("removing straggler {leftover}");
        teardown::remove(&clients, &leftover).await?;
        report.stragglers_removed.push(leftover);
    }
    let still_there = teardown::leftovers(&clients, &names).await?;
    if !still_there.is_empty() {
        let list: Vec<String> = still_there.iter().map(ToString::to_string).collect();
        return Err(DeployError::Incomplete(format!(
            "still present after delete: {}; run `demo down` again, or remove them by hand",
            list.join(", ")
        ))
        .into());
    }
    output::emit(settings.output, &report)
}

/// Why a bucket of the stack's name is not deleted, if it exists and is not provably ours.
fn not_ours(standing: &Standing) -> Option<String> {
    match standing {
        Standing::Missing | Standing::Ours => None,
        Standing::Untagged => Some(format!("no {OWNER_TAG} tag: not ours, left alone")),
        Standing::TaggedFor(other) => {
            Some(format!("tagged for stack {other:?}: not ours, left alone"))
        }
        Standing::OtherAccount => Some("another account's: not ours, left alone".into()),
    }
}

/// Asks on a terminal; refuses without one unless `--yes`.
fn confirm(names: &StackNames, yes: bool) -> Result<(), DeployError> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(DeployError::NeedsConfirmation {
            stack: names.stack.clone(),
        });
    }
    eprint!(
        "delete stack {} in {} and everything it holds (tables included)? [y/N] ",
        names.stack, names.region
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(DeployError::Incomplete("not deleted: you said no".into()))
    }
}

impl fmt::Display for DownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.stack_deleted
            && self.bucket_deleted.is_none()
            && self.stragglers_removed.is_empty()
        {
            writeln!(
                f,
                "stack {} in {}: nothing to delete",
                self.stack, self.region
            )?;
            return self.fmt_left_alone(f);
        }
        writeln!(
            f,
            "stack {} in {}: deleted, nothing left",
            self.stack, self.region
        )?;
        if let Some(bucket) = &self.bucket_deleted {
            writeln!(f, "  emptied and deleted bucket {bucket}")?;
        }
        for leftover in &self.stragglers_removed {
            writeln!(f, "  removed straggler {leftover}")?;
        }
        self.fmt_left_alone(f)
    }
}

impl DownReport {
    fn fmt_left_alone(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for what in &self.left_alone {
            writeln!(f, "  left alone: {what}")?;
        }
        Ok(())
    }
}
