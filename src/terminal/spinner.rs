//! A one-line status for waiting (a stack operation, verification): a spinner with the latest
//! status on a terminal; as plain lines, only what the caller chooses to print.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::ProgressMode;

/// Plain status lines are printed at most this often.
const LINE_EVERY: Duration = Duration::from_secs(2);

pub(crate) struct Spinner {
    mode: ProgressMode,
    bar: Option<ProgressBar>,
    last_line: Option<Instant>,
}

impl Spinner {
    /// `prefix` stays in front of every status (e.g. `stack demo:`).
    pub(crate) fn start(mode: ProgressMode, prefix: &str) -> Self {
        let bar = (mode == ProgressMode::Bar).then(|| {
            let style = ProgressStyle::with_template("{spinner} {prefix}{msg}  [{elapsed}]")
                .expect("a valid progress template");
            let bar = super::show(ProgressBar::new_spinner().with_style(style));
            bar.set_prefix(prefix.to_owned());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Spinner {
            mode,
            bar,
            last_line: None,
        }
    }

    /// The status under the spinner; plain output gets it as a line at most every 2 s.
    pub(crate) fn set(&mut self, status: String) {
        match (self.mode, &self.bar) {
            (ProgressMode::Bar, Some(bar)) => bar.set_message(status),
            (ProgressMode::Lines, _)
                if self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY) =>
            {
                super::line(status);
                self.last_line = Some(Instant::now());
            }
            _ => {}
        }
    }

    /// The status under the spinner only: plain output already has the lines that tell it.
    pub(crate) fn set_live(&self, status: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(status);
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            super::hide(&bar);
        }
    }
}
