//! `demo watch`: on every save under `functions/`, build, and put the zips that changed live on
//! the deployed stack (AWS, or the emulator with `--local`) — `UpdateFunctionCode`, waited for —
//! then record the new keys in the stack, so it never drifts: a plain `up` afterwards is a
//! no-op. SAM's `sync --watch` and CDK's hotswap leave the stack out of date; this must not.
//!
//! A build error is shown and the running code is kept. A saved template is not hot-swapped: it
//! is said, with `demo up` as the way to deploy it. Offline, the local runner picks the new code
//! up from the emulator (each function's `CodeSha256`) between invocations.

mod paths;
mod swap;

pub(crate) use paths::{Wanted, wanted};
pub(crate) use swap::{SwapError, Swapped, Target, swap};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// How long to wait after a save for the rest of an editor's writes.
const SETTLE: Duration = Duration::from_millis(300);

/// The saves under `root` that matter, as they come: `functions/`, `templates/` and the
/// workspace manifests. Keep the returned watcher alive as long as the receiver is read.
pub(crate) fn watch(
    root: &Path,
) -> notify::Result<(impl Watcher, mpsc::UnboundedReceiver<PathBuf>)> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        if event.kind.is_access() {
            return;
        }
        for path in event.paths {
            // The receiver gone means the command is ending: nothing to tell.
            let _ = sender.send(path);
        }
    })?;
    for dir in ["functions", "templates"] {
        watcher.watch(&root.join(dir), RecursiveMode::Recursive)?;
    }
    for file in ["Cargo.toml", "Cargo.lock"] {
        watcher.watch(&root.join(file), RecursiveMode::NonRecursive)?;
    }
    Ok((watcher, receiver))
}

/// The next batch of saves that matters: waits for one, then takes what follows within
/// [`SETTLE`] of the last. None when the watcher is gone. The instant is the first save's.
pub(crate) async fn next_change(
    root: &Path,
    saves: &mut mpsc::UnboundedReceiver<PathBuf>,
) -> Option<(Wanted, Instant)> {
    loop {
        let first = saves.recv().await?;
        let saved_at = Instant::now();
        let mut batch = vec![first];
        while let Ok(Some(path)) = tokio::time::timeout(SETTLE, saves.recv()).await {
            batch.push(path);
        }
        let wanted = wanted(root, batch.iter().map(PathBuf::as_path));
        if wanted.build || wanted.template {
            return Some((wanted, saved_at));
        }
    }
}
