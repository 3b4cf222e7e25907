//! Every line on stderr goes through here: notes, warnings and progress, at the verbosity
//! `-q` / `-v` chose, as live bars on a terminal and as plain lines in logs and pipes.
//!
//! Results go to stdout (`crate::output`); tracing's lines come here too (`crate::logging`),
//! so a note or a log line never tears a progress bar.

mod spinner;

use std::fmt::Display;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicI8, Ordering};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget};

pub(crate) use spinner::Spinner;

/// How chatty stderr is: negative is quieter, positive more verbose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verbosity(pub(crate) i8);

impl Verbosity {
    /// `-q` or quieter: notes and progress are not shown.
    fn is_quiet(self) -> bool {
        self.0 < 0
    }
}

static VERBOSITY: AtomicI8 = AtomicI8::new(0);

/// The live bars; lines printed while they are drawn go above them.
static BARS: LazyLock<MultiProgress> =
    LazyLock::new(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));

/// Sets the verbosity for the rest of the run (`main`, once).
pub(crate) fn init(verbosity: Verbosity) {
    VERBOSITY.store(verbosity.0, Ordering::Relaxed);
}

pub(crate) fn verbosity() -> Verbosity {
    Verbosity(VERBOSITY.load(Ordering::Relaxed))
}

/// What the tool is doing or found, for a person watching: hidden by `-q`.
pub(crate) fn note(text: impl Display) {
    if !verbosity().is_quiet() {
        line(text);
    }
}

/// Something the user should act on or know although the command goes on: hidden by `-qq`.
pub(crate) fn warn(text: impl Display) {
    if verbosity().0 >= -1 {
        line(text);
    }
}

/// A line shown at every verbosity: the final error, an interrupt, a dry run's plan.
pub(crate) fn line(text: impl Display) {
    let text = text.to_string();
    write(&mut |stderr| writeln!(stderr, "{text}"));
}

/// Asks a yes/no question on the terminal: Some(true) for "y" or "yes", Some(false) for anything
/// else, None when stdin is not a terminal (nobody to ask: the caller decides).
pub(crate) fn ask(prompt: &str) -> Option<bool> {
    if !std::io::stdin().is_terminal() {
        return None;
    }
    write(&mut |stderr| write!(stderr, "{prompt}"));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    Some(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Runs `print` with stderr, live bars cleared while it writes and drawn again after.
pub(crate) fn write(print: &mut dyn FnMut(&mut std::io::StderrLock<'_>) -> std::io::Result<()>) {
    BARS.suspend(|| {
        let mut stderr = std::io::stderr().lock();
        // A closed stderr has no reader left to tell: the line is dropped, as eprintln! would
        // panic instead.
        let _ = print(&mut stderr).and_then(|()| stderr.flush());
    });
}

/// How progress is shown at this verbosity on this stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProgressMode {
    /// A live bar or spinner (stderr is a terminal).
    Bar,
    /// A plain line now and then (logs, pipes).
    Lines,
    /// Nothing (`-q`).
    Off,
}

impl ProgressMode {
    pub(crate) fn current() -> Self {
        if verbosity().is_quiet() {
            ProgressMode::Off
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// Draws `bar` among the live bars, so that lines printed meanwhile go above it.
pub(crate) fn show(bar: ProgressBar) -> ProgressBar {
    BARS.add(bar)
}

/// Takes a finished bar off the screen.
pub(crate) fn hide(bar: &ProgressBar) {
    bar.finish_and_clear();
    BARS.remove(bar);
}
