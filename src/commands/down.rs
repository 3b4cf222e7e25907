//! `demo down`: delete the stack and the artifact bucket, then make sure nothing is left.

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;

use crate::aws::{Clients, account_id, connect};
use crate::deploy::bucket::{self, Bucket, OWNER_TAG, Standing};
use crate::deploy::names::StackNames;
use crate::deploy::plan::DeployedState;
use crate::deploy::resources::Resource;
use crate::deploy::teardown::{self, Leftover, Survey, Swept, Unsettled};
use crate::deploy::{DeployError, interrupt, stack};
use crate::error::CliError;
use crate::model::StackState;
use crate::output;
use crate::settings::{DownSettings, Settings};
use crate::terminal;

/// What `demo down` did.
#[derive(Debug, Serialize)]
struct DownReport {
    pub(crate) stack: String,
    pub(crate) region: String,
    stack_deleted: bool,
    bucket_deleted: Option<String>,
    stragglers_removed: Vec<Leftover>,
    /// Named for the stack but not provably its own: not touched.
    pub(crate) left_alone: Vec<String>,
    /// Checks and removals that could not be made (the service's answer with each): `down`
    /// exits 1, and running it again retries them.
    pub(crate) unsettled: Vec<Unsettled>,
    /// The stack's own, found again after its delete was accepted (not yet taken effect).
    still_present: Vec<Leftover>,
}

pub(crate) async fn run(settings: &Settings, down: DownSettings) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let names = StackNames::new(&settings.aws.stack_name, &clients.region);
    interrupt::install();
    interrupt::doing("nothing was deleted; `demo down` again starts over");
    let found = look(&clients, &names).await?;
    let mut report = DownReport::of(&names);
    let ours = found.standing == Standing::Ours;
    let bucket_left =
        not_ours(&found.standing).map(|why| format!("bucket {} ({why})", found.store.name));
    if found.current.is_none() && found.before.ours.is_empty() && !ours {
        report.left_alone.extend(bucket_left);
        report.left_alone.extend(found.before.left_alone());
        report.unsettled = found.before.unchecked;
        return finish(settings, &report);
    }
    let removal = Removal {
        names: &names,
        held: &found.held,
        bucket: ours.then_some(found.store.name.as_str()),
        stragglers: &found.before.ours,
        unchecked: &found.before.unchecked,
        left_alone: bucket_left
            .iter()
            .cloned()
            .chain(found.before.left_alone())
            .collect(),
    };
    confirm(&removal, down.yes)?;
    report.left_alone.extend(bucket_left);
    remove(&clients, &names, &found, &mut report).await?;
    finish(settings, &report)
}

/// What `down` reads before it deletes anything: what the stack holds, and so what proves a
/// straggler ours, can only be read while the stack is there.
struct Found<'a> {
    current: Option<DeployedState>,
    store: Bucket<'a>,
    standing: Standing,
    held: Vec<Resource>,
    owner: teardown::Owner,
    before: Survey,
}

async fn look<'a>(clients: &'a Clients, names: &StackNames) -> Result<Found<'a>, DeployError> {
    let account = account_id(clients).await?;
    let current = stack::describe(&clients.cloudformation, &names.stack).await?;
    let deployed = current.as_ref().map(|c| &c.parameters);
    let (bucket_name, _) = bucket::choose(None, deployed, &names.bucket(&account));
    let store = Bucket {
        s3: &clients.s3,
        name: bucket_name,
        owner: account,
    };
    let held = teardown::listed(clients, current.as_ref()).await?;
    let owner = teardown::owner(clients, names, current.as_ref(), &held).await?;
    let before = teardown::survey(clients, names, &owner).await?;
    let standing = store.standing(&names.stack).await?;
    Ok(Found {
        current,
        store,
        standing,
        held,
        owner,
        before,
    })
}

/// The stack, then the bucket (if still ours), then the stragglers; and a last look.
async fn remove(
    clients: &Clients,
    names: &StackNames,
    found: &Found<'_>,
    report: &mut DownReport,
) -> Result<(), DeployError> {
    interrupt::doing(format!(
        "CloudFormation goes on deleting stack {} (it cannot be stopped from here); `demo down` \
         again waits for it and removes what is left",
        names.stack
    ));
    if let Some(current) = &found.current {
        delete_stack(clients, names, current).await?;
        report.stack_deleted = true;
    }
    interrupt::doing(format!(
        "stack {} is deleted; `demo down` again removes what is left of it (the artifact \
         bucket, stragglers)",
        names.stack
    ));
    // Checked again: the stack's delete took minutes, and only a bucket still ours goes.
    let store = &found.store;
    if found.standing == Standing::Ours && store.standing(&names.stack).await? == Standing::Ours {
        store.empty_and_delete().await?;
        report.bucket_deleted = Some(store.name.clone());
    }
    let swept = teardown::sweep(clients, names, &found.owner).await?;
    report.left_alone.extend(swept.left_alone());
    report.stragglers_removed = swept.removed.clone();
    let after = teardown::survey(clients, names, &found.owner).await?;
    report.unsettled = unsettled(&swept, &after);
    report.still_present = still_present(&swept, &after);
    Ok(())
}

/// What is still unsettled at the end: the removals that failed, then the checks the last
/// look could not make (the sweep's own failed checks were made again there).
fn unsettled(swept: &Swept, after: &Survey) -> Vec<Unsettled> {
    let failed = swept.failed.iter().map(|(_, unsettled)| unsettled.clone());
    failed.chain(after.unchecked.iter().cloned()).collect()
}

/// What the last look still found of the stack's own, besides what failed to go (named in
/// `unsettled` already): a delete that was accepted but has not taken effect.
fn still_present(swept: &Swept, after: &Survey) -> Vec<Leftover> {
    let failed: Vec<&Leftover> = swept.failed.iter().map(|(leftover, _)| leftover).collect();
    (after.ours.iter())
        .map(|(leftover, _)| leftover)
        .filter(|leftover| !failed.contains(leftover))
        .cloned()
        .collect()
}

/// Prints the report; then, when a check or removal could not be made or something of the
/// stack's is still there, fails (exit 1) naming them, so that scripts see the teardown is not
/// finished.
fn finish(settings: &Settings, report: &DownReport) -> Result<(), CliError> {
    output::emit(settings.output, report)?;
    match report.unfinished() {
        Some(err) => Err(err.into()),
        None => Ok(()),
    }
}

impl DownReport {
    /// Nothing done yet.
    fn of(names: &StackNames) -> Self {
        DownReport {
            stack: names.stack.clone(),
            region: names.region.clone(),
            stack_deleted: false,
            bucket_deleted: None,
            stragglers_removed: Vec::new(),
            left_alone: Vec::new(),
            unsettled: Vec::new(),
            still_present: Vec::new(),
        }
    }

    fn fmt_left_alone(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for what in &self.left_alone {
            writeln!(f, "  left alone: {what}")?;
        }
        for unsettled in &self.unsettled {
            writeln!(f, "  {unsettled}")?;
        }
        for leftover in &self.still_present {
            writeln!(f, "  still present after its delete: {leftover}")?;
        }
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.unsettled.is_empty() && self.still_present.is_empty()
    }

    /// The error for a teardown that ran to the end without settling everything: which checks
    /// and removals could not be made (the report gives the services' answers).
    fn unfinished(&self) -> Option<DeployError> {
        if self.is_finished() {
            return None;
        }
        let mut lines: Vec<String> = (self.unsettled.iter())
            .map(|u| format!("could not {}", u.action))
            .collect();
        if !self.still_present.is_empty() {
            let still: Vec<String> = self.still_present.iter().map(ToString::to_string).collect();
            lines.push(format!(
                "still present after its delete: {}",
                still.join(", ")
            ));
        }
        Some(DeployError::Incomplete(format!(
            "the teardown of stack {} is not finished:\n  {}\n  `demo down` again retries \
             these (or remove them by hand)",
            self.stack,
            lines.join("\n  ")
        )))
    }
}

/// Deletes the stack and waits: it must end deleted.
async fn delete_stack(
    clients: &Clients,
    names: &StackNames,
    current: &DeployedState,
) -> Result<(), DeployError> {
    let since = SystemTime::now();
    stack::delete(&clients.cloudformation, &current.stack_id).await?;
    let finished = stack::wait(&clients.cloudformation, &current.stack_id, since, "down").await?;
    if finished.state() != StackState::Deleted {
        return Err(stack::failure(&names.stack, &clients.region, &finished));
    }
    Ok(())
}

/// Why a bucket of the stack's name is not deleted, if it exists and is not provably ours.
fn not_ours(standing: &Standing) -> Option<String> {
    match standing {
        Standing::Missing | Standing::Ours => None,
        Standing::Untagged => Some(format!("no {OWNER_TAG} tag: not ours: left alone")),
        Standing::TaggedFor(other) => {
            Some(format!("tagged for stack {other:?}: not ours: left alone"))
        }
        Standing::OtherAccount => Some("another account's: not ours: left alone".into()),
    }
}

/// Everything `down` is about to remove, for the prompt: nothing outside this list is touched.
struct Removal<'a> {
    names: &'a StackNames,
    /// The stack's resources (CloudFormation deletes them; the sweep only what is left of them).
    held: &'a [Resource],
    bucket: Option<&'a str>,
    stragglers: &'a [(Leftover, String)],
    /// Checks that could not be made: whether those are left is unknown.
    unchecked: &'a [Unsettled],
    left_alone: Vec<String>,
}

impl fmt::Display for Removal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self.names;
        writeln!(
            f,
            "delete stack {} in {} and everything it holds (tables included):",
            names.stack, names.region
        )?;
        for resource in self.held {
            if let Some(id) = &resource.physical_id {
                writeln!(f, "  {} {id}", resource.resource_type)?;
            }
        }
        if let Some(bucket) = self.bucket {
            writeln!(f, "  artifact bucket {bucket}, emptied")?;
        }
        for (leftover, why) in self.stragglers {
            writeln!(f, "  straggler {leftover} ({why})")?;
        }
        for what in &self.left_alone {
            writeln!(f, "left alone: {what}")?;
        }
        for unchecked in self.unchecked {
            writeln!(f, "not checked: {unchecked}")?;
        }
        write!(f, "delete all of the above? [y/N] ")
    }
}

/// Asks on a terminal, listing what goes; refuses without one unless `--yes`. Either way only
/// what is listed (and proven ours) is removed.
fn confirm(removal: &Removal<'_>, yes: bool) -> Result<(), DeployError> {
    if yes {
        return Ok(());
    }
    match terminal::ask(&removal.to_string()) {
        Some(true) => Ok(()),
        Some(false) => Err(DeployError::Incomplete("not deleted: you said no".into())),
        None => Err(DeployError::NeedsConfirmation {
            stack: removal.names.stack.clone(),
        }),
    }
}

impl fmt::Display for DownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unsettled = if self.is_finished() {
            ""
        } else {
            " (not all checked: see below)"
        };
        if !self.stack_deleted
            && self.bucket_deleted.is_none()
            && self.stragglers_removed.is_empty()
        {
            writeln!(
                f,
                "stack {} in {}: nothing to delete{unsettled}",
                self.stack, self.region
            )?;
            return self.fmt_left_alone(f);
        }
        let outcome = if self.is_finished() {
            "deleted, nothing left"
        } else {
            "deleted, but the teardown is not finished"
        };
        writeln!(f, "stack {} in {}: {outcome}", self.stack, self.region)?;
        if let Some(bucket) = &self.bucket_deleted {
            writeln!(f, "  emptied and deleted bucket {bucket}")?;
        }
        for leftover in &self.stragglers_removed {
            writeln!(f, "  removed straggler {leftover}")?;
        }
        self.fmt_left_alone(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_lists_everything_that_goes_and_what_is_left_alone() {
        let names = StackNames::new("demo", "ap-southeast-2");
        let held = [Resource {
            logical_id: "OrderTable1".into(),
            resource_type: "AWS::DynamoDB::Table".into(),
            physical_id: Some("demo-OrderTable1-LNXWKD103VOL".into()),
            status: "CREATE_COMPLETE".into(),
        }];
        let stragglers = [(
            Leftover::RestApi("abc123".into()),
            "listed by the stack".into(),
        )];
        let removal = Removal {
            names: &names,
            held: &held,
            bucket: Some("demo-artifacts"),
            stragglers: &stragglers,
            unchecked: &[],
            left_alone: vec!["REST API zzz (no tag of this stack: not ours: left alone)".into()],
        };
        assert_eq!(
            removal.to_string(),
            "delete stack demo in ap-southeast-2 and everything it holds (tables included):\n\
             \x20 AWS::DynamoDB::Table demo-OrderTable1-LNXWKD103VOL\n\
             \x20 artifact bucket demo-artifacts, emptied\n\
             \x20 straggler REST API abc123 (listed by the stack)\n\
             left alone: REST API zzz (no tag of this stack: not ours: left alone)\n\
             delete all of the above? [y/N] "
        );
    }
}
