//! `demo watch`: save a function's source, and the deployed stack runs the new code a build
//! and a few seconds later, recorded in the stack (see `crate::watch`).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::artifacts;
use crate::aws::{Clients, account_id, connect};
use crate::deploy::bucket::{self, Bucket};
use crate::deploy::names::StackNames;
use crate::deploy::plan::DeployedState;
use crate::deploy::{DeployError, resources, stack};
use crate::error::CliError;
use crate::output;
use crate::settings::Settings;
use crate::terminal;
use crate::watch::{self, SwapError, Swapped, Target, Wanted};

/// One change as the results line (stdout) tells it.
#[derive(Debug, Serialize)]
struct Change {
    files: Vec<String>,
    #[serde(flatten)]
    swapped: Swapped,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.swapped;
        let zips: Vec<&str> = s.artifacts.iter().map(|(f, _)| f.as_str()).collect();
        write!(
            f,
            "{} live on {} {:.1} s after the save (build {:.1} s, upload {:.1} s, update {:.1} s); \
             recorded in the stack in {:.1} s",
            zips.join(", "),
            s.functions.join(", "),
            s.live_after,
            s.build,
            s.upload,
            s.update,
            s.record
        )
    }
}

pub(crate) async fn run(settings: &Settings) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let names = StackNames::new(&settings.aws.stack_name, &clients.region);
    let deployed =
        stack::describe_existing(&clients.cloudformation, &names.stack, &clients.region).await?;
    let functions = resources::deployed(&clients, &names.stack).await?.functions;
    let store = artifact_bucket(&clients, &names, &deployed).await?;
    let arch = deployed.arch();
    let root = tokio::task::spawn_blocking(artifacts::workspace_root)
        .await
        .expect("cargo metadata does not panic")?;
    let (_watcher, saves) = watch::watch(&root).map_err(|err| DeployError::Local {
        action: format!("watch {}", root.display()),
        detail: err.to_string(),
    })?;
    let target = Target {
        clients: &clients,
        stack: &names.stack,
        bucket: &store,
        arch,
        functions: &functions,
        cargo_verbosity: settings.cargo_verbosity(),
    };
    terminal::line(format!(
        "watching {}/functions and templates for stack {} in {} ({arch}); Ctrl-C stops",
        root.display(),
        names.stack,
        clients.region
    ));
    swap_on_saves(settings, &target, &root, saves, deployed).await
}

/// Until Ctrl-C: each save that changes a function's zip swaps it into the stack and prints
/// one results line; a failed swap is told and watching goes on, unless watching cannot help.
async fn swap_on_saves(
    settings: &Settings,
    target: &Target<'_>,
    root: &Path,
    mut saves: mpsc::UnboundedReceiver<PathBuf>,
    mut deployed: DeployedState,
) -> Result<(), CliError> {
    loop {
        let change = tokio::select! {
            change = watch::next_change(root, &mut saves) => change,
            _ = tokio::signal::ctrl_c() => None,
        };
        let Some((wanted, saved_at)) = change else {
            terminal::note("stopped watching");
            return Ok(());
        };
        let files = tell_saved(&wanted);
        if !wanted.build {
            continue;
        }
        match watch::swap(target, &deployed, saved_at).await {
            Ok(Some(swapped)) => {
                output::emit_line(settings.output, &Change { files, swapped })?;
                let (cfn, region) = (&target.clients.cloudformation, &target.clients.region);
                deployed = stack::describe_existing(cfn, target.stack, region).await?;
            }
            Ok(None) => terminal::note("no function's zip changed: nothing to update"),
            // Signed out, or the stack gone: watching on cannot help.
            Err(SwapError::Deploy(err)) if err.is_environment() => return Err(err.into()),
            Err(err) => terminal::warn(format!("error: {err}\nwatching on")),
        }
    }
}

/// Says which files were saved (and that a template change needs `demo up`); returns them.
fn tell_saved(wanted: &Wanted) -> Vec<String> {
    let files: Vec<String> = wanted.files.iter().cloned().collect();
    terminal::note(format!("saved: {}", files.join(", ")));
    if wanted.template {
        terminal::warn(
            "templates/stack.yaml changed: `demo watch` swaps function code only; run \
             `demo up` to deploy the template",
        );
    }
    files
}

/// The bucket the stack's code is in, which must still be this stack's.
async fn artifact_bucket<'a>(
    clients: &'a Clients,
    names: &StackNames,
    deployed: &DeployedState,
) -> Result<Bucket<'a>, DeployError> {
    let account = account_id(clients).await?;
    let derived = names.bucket(&account);
    let (name, named) = bucket::choose(None, Some(&deployed.parameters), &derived);
    let store = Bucket {
        s3: &clients.s3,
        name: name.clone(),
        owner: account,
    };
    if bucket::admit(
        &store.standing(&names.stack).await?,
        &name,
        &names.stack,
        named,
    )? {
        return Err(DeployError::Incomplete(format!(
            "the artifact bucket {name} of stack {} is gone: run `demo up` first",
            names.stack
        )));
    }
    Ok(store)
}
