//! Ctrl-C in `up`, `down` and `tune`. CloudFormation and Lambda go on with whatever they were
//! asked to do when the tool stops, so the first Ctrl-C says what is still running and which
//! command resumes or undoes it, then exits 130. A command with a step that must not be cut in
//! half (`tune`, between changing the mapping and recording it) defers: inside that section
//! the first Ctrl-C is only signalled (`requested`), the command ends the step consistently
//! and exits 130 itself; a second Ctrl-C stops at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::terminal;
use tokio::sync::watch;

/// The shell's code for "stopped by SIGINT".
const EXIT_CODE: i32 = 130;

static NOTE: Mutex<String> = Mutex::new(String::new());
static DEFERRED: AtomicBool = AtomicBool::new(false);
static PRESSED: OnceLock<watch::Sender<bool>> = OnceLock::new();

/// Starts listening for Ctrl-C; once per process, later calls do nothing.
pub(crate) fn install() {
    let mut first = false;
    let sender = PRESSED.get_or_init(|| {
        first = true;
        watch::channel(false).0
    });
    if !first {
        return;
    }
    let sender = sender.clone();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            let again = sender.send_replace(true);
            if again || !DEFERRED.load(Ordering::SeqCst) {
                exit(&note());
            }
        }
    });
}

/// What is going on from now on, and the way out: said if the user presses Ctrl-C.
pub(crate) fn doing(note: impl Into<String>) {
    *NOTE.lock().unwrap_or_else(|e| e.into_inner()) = note.into();
}

fn note() -> String {
    NOTE.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// A section the caller ends cleanly itself on Ctrl-C; ends when the guard is dropped.
pub(crate) struct Deferred(());

pub(crate) fn defer() -> Deferred {
    DEFERRED.store(true, Ordering::SeqCst);
    Deferred(())
}

impl Drop for Deferred {
    fn drop(&mut self) {
        DEFERRED.store(false, Ordering::SeqCst);
    }
}

/// Resolves once Ctrl-C has been pressed (at once if it already was); never without `install`.
pub(crate) async fn requested() {
    let Some(sender) = PRESSED.get() else {
        return std::future::pending().await;
    };
    let mut receiver = sender.subscribe();
    if receiver.wait_for(|pressed| *pressed).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Says why the run stops and exits 130.
pub(crate) fn exit(message: &str) -> ! {
    let message = if message.is_empty() {
        "nothing was changed"
    } else {
        message
    };
    terminal::line(format!("\ninterrupted: {message}"));
    std::process::exit(EXIT_CODE)
}
