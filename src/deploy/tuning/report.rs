//! What a tune did, for people and for `--output json`: each mapping's batching before and
//! after, how long the change took to show and to be recorded, and what Lambda noted.

use std::fmt;

use serde::Serialize;

use crate::model::Consumer;
use crate::model::batching::Batching;

#[derive(Debug, Serialize)]
pub(crate) struct TuneReport {
    pub(crate) stack: String,
    pub(crate) dry_run: bool,
    pub(crate) changes: Vec<MappingChange>,
    /// Seconds from the first update call until every mapping reported the new values.
    pub(crate) effect_seconds: Option<f64>,
    /// Seconds the stack took to record them as parameters.
    pub(crate) stack_seconds: Option<f64>,
    /// What Lambda reports besides the values: a mapping a user disabled (no records flow to
    /// that consumer until it is enabled), a failed last processing attempt.
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct MappingChange {
    pub(crate) consumer: Consumer,
    pub(crate) function: String,
    pub(crate) before: Batching,
    pub(crate) after: Batching,
}

impl fmt::Display for TuneReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "would change"
        } else {
            "changed"
        };
        for change in &self.changes {
            let (before, after) = Batching::describe_pair(change.before, change.after);
            writeln!(
                f,
                "consumer {} ({}) {verb}: {before} → {after}",
                change.consumer, change.function
            )?;
        }
        match self.effect_seconds {
            Some(seconds) if self.notes.is_empty() => writeln!(
                f,
                "in effect after {seconds:.1} s (mapping Enabled with the new values)"
            )?,
            Some(seconds) => writeln!(
                f,
                "new values reported after {seconds:.1} s; see the notes below"
            )?,
            None => {}
        }
        if let Some(seconds) = self.stack_seconds {
            writeln!(
                f,
                "stack {} records the new values ({seconds:.1} s)",
                self.stack
            )?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}
