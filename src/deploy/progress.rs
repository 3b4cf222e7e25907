//! Stack progress on stderr: one line per resource event always (logs and pipes keep them), and
//! on a terminal a spinner under them with the stack's status, resources done and time taken.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct StackProgress {
    bar: Option<ProgressBar>,
}

impl StackProgress {
    /// A spinner when stderr is a terminal, plain lines otherwise.
    pub fn start(stack: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| spinner(stack));
        StackProgress { bar }
    }

    /// Prints an event line (above the spinner, when there is one).
    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    /// Updates the spinner's status; plain output has the event lines already.
    pub fn status(&self, status: &str, resources_done: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{status}, {resources_done} resources done"));
        }
    }
}

impl Drop for StackProgress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn spinner(stack: &str) -> ProgressBar {
    let style = ProgressStyle::with_template("{spinner} {prefix} {msg}  [{elapsed}]")
        .expect("a valid progress template");
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
        .with_style(style)
        .with_prefix(format!("stack {stack}:"));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
