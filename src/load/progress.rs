//! Progress on stderr: a live bar on a terminal, a plain line every few seconds otherwise
//! (CI logs, pipes), nothing with `-q`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::task::JoinHandle;

use crate::load::stats::{Counters, Snapshot};
use crate::settings::Verbosity;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    Bar,
    Lines,
    Off,
}

impl ProgressMode {
    pub fn for_stderr(verbosity: Verbosity) -> Self {
        if verbosity.0 < 0 {
            ProgressMode::Off
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bar
        } else {
            ProgressMode::Lines
        }
    }
}

/// How often a plain progress line is printed.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// Reports sending progress until dropped or finished.
pub struct LoadProgress {
    task: Option<JoinHandle<()>>,
    bar: Option<ProgressBar>,
}

impl LoadProgress {
    /// `total` is the number of orders when known; otherwise `duration` bounds the run.
    pub fn start(mode: ProgressMode, counters: Arc<Counters>, total: Option<u64>) -> Self {
        match mode {
            ProgressMode::Off => Self {
                task: None,
                bar: None,
            },
            ProgressMode::Bar => {
                let bar = match total {
                    Some(total) => ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
                        .with_style(style("{bar:30.cyan/blue} {pos}/{len} orders  {per_sec:.bold}  {msg}  [{elapsed}]")),
                    None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                        .with_style(style("{spinner} {pos} orders  {per_sec:.bold}  {msg}  [{elapsed}]")),
                };
                let shown = bar.clone();
                let task = tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_millis(100));
                    loop {
                        tick.tick().await;
                        let now = counters.snapshot();
                        shown.set_position(now.done());
                        shown.set_message(counts(&now));
                    }
                });
                Self {
                    task: Some(task),
                    bar: Some(bar),
                }
            }
            ProgressMode::Lines => {
                let task = tokio::spawn(async move {
                    let mut tick = tokio::time::interval(LINE_EVERY);
                    tick.tick().await;
                    let mut last = (Instant::now(), Snapshot::default());
                    loop {
                        tick.tick().await;
                        let now = (Instant::now(), counters.snapshot());
                        let rate = (now.1.done() - last.1.done()) as f64
                            / now.0.duration_since(last.0).as_secs_f64();
                        let of = total.map(|t| format!("/{t}")).unwrap_or_default();
                        eprintln!(
                            "load: {}{of} orders, {rate:.0}/s, {}",
                            now.1.done(),
                            counts(&now.1)
                        );
                        last = now;
                    }
                });
                Self {
                    task: Some(task),
                    bar: None,
                }
            }
        }
    }

    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Drop for LoadProgress {
    fn drop(&mut self) {
        self.stop();
    }
}

fn counts(now: &Snapshot) -> String {
    format!(
        "accepted {}  rejected {}  errors {}  retries {}",
        now.accepted, now.rejected, now.failed, now.retries
    )
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("the progress templates are valid")
}

/// A one-line status for waiting (verification): a spinner on a terminal, a plain line when
/// the text changes (at most every few seconds) otherwise.
pub struct Status {
    mode: ProgressMode,
    spinner: Option<ProgressBar>,
    last_line: Option<Instant>,
}

impl Status {
    pub fn start(mode: ProgressMode) -> Self {
        let spinner = (mode == ProgressMode::Bar).then(|| {
            let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                .with_style(style("{spinner} {msg}  [{elapsed}]"));
            spinner.enable_steady_tick(Duration::from_millis(100));
            spinner
        });
        Self {
            mode,
            spinner,
            last_line: None,
        }
    }

    pub fn set(&mut self, message: String) {
        match self.mode {
            ProgressMode::Off => {}
            ProgressMode::Bar => {
                if let Some(spinner) = &self.spinner {
                    spinner.set_message(message);
                }
            }
            ProgressMode::Lines => {
                if self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY) {
                    eprintln!("{message}");
                    self.last_line = Some(Instant::now());
                }
            }
        }
    }
}

impl Drop for Status {
    fn drop(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }
}
