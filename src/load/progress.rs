//! `demo load`'s progress: a live bar on a terminal, a plain line every few seconds otherwise
//! (CI logs, pipes), nothing with `-q` (the mode `crate::terminal` gives).

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinHandle;

use crate::load::stats::{Counters, Snapshot};
use crate::terminal::{self, ProgressMode};

/// How often a plain progress line is printed.
const LINE_EVERY: Duration = Duration::from_secs(2);

/// Reports sending progress until dropped or finished.
pub(crate) struct LoadProgress {
    task: Option<JoinHandle<()>>,
    bar: Option<ProgressBar>,
}

impl LoadProgress {
    /// `total` is the number of orders when known; otherwise `duration` bounds the run.
    pub(crate) fn start(mode: ProgressMode, counters: Arc<Counters>, total: Option<u64>) -> Self {
        match mode {
            ProgressMode::Off => Self {
                task: None,
                bar: None,
            },
            ProgressMode::Bar => {
                let bar = match total {
                    Some(total) => ProgressBar::new(total)
                        .with_style(style("{bar:30.cyan/blue} {pos}/{len} orders  {per_sec:.bold}  {msg}  [{elapsed}]")),
                    None => ProgressBar::new_spinner()
                        .with_style(style("{spinner} {pos} orders  {per_sec:.bold}  {msg}  [{elapsed}]")),
                };
                let bar = terminal::show(bar);
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
                        terminal::line(format!(
                            "load: {}{of} orders, {rate:.0}/s, {}",
                            now.1.done(),
                            counts(&now.1)
                        ));
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

    pub(crate) fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        if let Some(bar) = self.bar.take() {
            terminal::hide(&bar);
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
