//! What the local runner says when it stops: per consumer, its invocations and records.

use serde::Serialize;

use super::mapping::{LocalMapping, ShardTally};

/// What one consumer did while the runner ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsumerSummary {
    pub function: String,
    pub(crate) batch_size: usize,
    pub(crate) window_seconds: u64,
    pub(crate) parallelization: usize,
    pub invocations: u64,
    pub(crate) records: u64,
    pub given_up: u64,
}

impl std::fmt::Display for ConsumerSummary {
    /// `local <function> (<batch> / <window> s[ ×<lanes>]): N invocations, N records, N per
    /// invocation`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let per = if self.invocations > 0 {
            self.records as f64 / self.invocations as f64
        } else {
            0.0
        };
        let lanes = match self.parallelization {
            1 => String::new(),
            n => format!(" ×{n}"),
        };
        write!(
            f,
            "local {} ({} / {} s{lanes}): {} invocations, {} records, {per:.1} per invocation",
            self.function, self.batch_size, self.window_seconds, self.invocations, self.records
        )?;
        if self.given_up > 0 {
            write!(
                f,
                ", {} given up to the on-failure queue (`demo failures --local`)",
                self.given_up
            )?;
        }
        Ok(())
    }
}

/// Adds one shard's tally to its consumer's summary.
pub(crate) fn add(summaries: &mut Vec<ConsumerSummary>, mapping: &LocalMapping, tally: ShardTally) {
    let index = match summaries
        .iter()
        .position(|s| s.function == mapping.function)
    {
        Some(index) => index,
        None => {
            summaries.push(ConsumerSummary {
                function: mapping.function.clone(),
                batch_size: mapping.batch_size,
                window_seconds: mapping.window.as_secs(),
                parallelization: mapping.lanes,
                invocations: 0,
                records: 0,
                given_up: 0,
            });
            summaries.len() - 1
        }
    };
    let summary = &mut summaries[index];
    summary.invocations += tally.invocations;
    summary.records += tally.records;
    summary.given_up += tally.given_up;
}
