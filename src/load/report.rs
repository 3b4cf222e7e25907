//! The summary `demo load` prints: text for people, JSON for scripts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

use crate::load::error::LoadError;
use crate::load::run::{LoadPlan, LoadRun};
use crate::load::stats::{LatencySummary, MICROS, Rejection};
use crate::load::verify::VerifyReport;
use crate::local::{ConsumerSummary, RanBinary};

#[derive(Debug, Serialize)]
pub(crate) struct LoadReport {
    pub(crate) url: String,
    pub(crate) seed: Option<u64>,
    pub(crate) concurrency: usize,
    rate_limit: Option<f64>,
    /// Orders sent (each once, however many attempts it took).
    pub(crate) sent: u64,
    /// HTTP requests, retries included.
    pub(crate) requests: u64,
    pub(crate) accepted: u64,
    pub(crate) rejected: u64,
    pub(crate) rejected_by_status: BTreeMap<u16, u64>,
    /// The first few distinct rejection reasons.
    rejection_reasons: Vec<Rejection>,
    /// Orders given up on after the last attempt (5xx, 429, timeouts, connection errors).
    pub(crate) failed: u64,
    pub(crate) failures: BTreeMap<String, u64>,
    pub(crate) retries: u64,
    pub(crate) interrupted: bool,
    elapsed_s: f64,
    /// Accepted orders per second.
    throughput_per_s: f64,
    /// Per request, over every request that got an answer.
    pub(crate) latency: Option<LatencySummary>,
    pub(crate) ids_file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) verify: Option<VerifyReport>,
    /// With `--local`: what ran the functions, and what each consumer did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) local: Option<LocalReport>,
}

/// What the local runner ran, and what its figures are.
#[derive(Debug, Serialize)]
pub(crate) struct LocalReport {
    pub(crate) binaries: Vec<RanBinary>,
    pub(crate) consumers: Vec<ConsumerSummary>,
    /// What the durations, memory and init figures measure offline.
    pub(crate) figures: String,
}

impl LoadReport {
    pub(crate) fn new(plan: &LoadPlan, url: &reqwest::Url, run: &LoadRun) -> Self {
        let counts = run.counts;
        let elapsed_s = run.elapsed.as_secs_f64();
        Self {
            url: url.to_string(),
            seed: plan.seed,
            concurrency: plan.concurrency,
            rate_limit: plan.rate,
            sent: counts.done(),
            requests: counts.requests,
            accepted: counts.accepted,
            rejected: counts.rejected,
            rejected_by_status: run.tally.rejected_by_status.clone(),
            rejection_reasons: run.tally.reasons.clone(),
            failed: counts.failed,
            failures: run.tally.failures.clone(),
            retries: counts.retries,
            interrupted: run.interrupted,
            elapsed_s,
            throughput_per_s: if elapsed_s > 0.0 {
                counts.accepted as f64 / elapsed_s
            } else {
                0.0
            },
            latency: run.tally.latencies.summary(MICROS),
            ids_file: plan.ids_file.clone(),
            verify: None,
            local: None,
        }
    }

    /// Exit non-zero when any order was not accepted or did not arrive.
    pub(crate) fn outcome(&self) -> Result<(), LoadError> {
        let not_accepted = self.rejected + self.failed;
        if not_accepted > 0 {
            return Err(LoadError::NotAllAccepted {
                not_accepted,
                sent: self.sent,
            });
        }
        match &self.verify {
            Some(verify) => verify.outcome(),
            None => Ok(()),
        }
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let interrupted = if self.interrupted {
            " (interrupted)"
        } else {
            ""
        };
        writeln!(
            f,
            "sent        {} orders to {}{interrupted}",
            self.sent, self.url
        )?;
        writeln!(f, "accepted    {}", self.accepted)?;
        self.write_rejected(f)?;
        writeln!(f, "failed      {}", self.failed)?;
        for (reason, count) in &self.failures {
            writeln!(f, "  {count} × {reason}")?;
        }
        writeln!(
            f,
            "retries     {} ({} requests in all)",
            self.retries, self.requests
        )?;
        let limit = self
            .rate_limit
            .map(|rate| format!(", rate limit {rate}/s"))
            .unwrap_or_default();
        writeln!(
            f,
            "throughput  {:.1} orders/s over {:.2} s (concurrency {}{limit})",
            self.throughput_per_s, self.elapsed_s, self.concurrency
        )?;
        self.write_extras(f)
    }
}

impl LoadReport {
    /// The rejected count, by status, and each distinct reason.
    fn write_rejected(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by_status: Vec<String> = self
            .rejected_by_status
            .iter()
            .map(|(status, count)| format!("{status}: {count}"))
            .collect();
        match by_status.is_empty() {
            true => writeln!(f, "rejected    0")?,
            false => writeln!(
                f,
                "rejected    {} ({})",
                self.rejected,
                by_status.join(", ")
            )?,
        }
        for rejection in &self.rejection_reasons {
            writeln!(f, "  {} {}", rejection.status, one_line(&rejection.reason))?;
        }
        Ok(())
    }

    /// What only some runs have: latency, the ids file, the offline binaries, the verification.
    fn write_extras(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(latency) = &self.latency {
            writeln!(f, "latency     {latency}")?;
        }
        if let Some(path) = &self.ids_file {
            writeln!(f, "ids         {}", path.display())?;
        }
        if let Some(local) = &self.local {
            for ran in &local.binaries {
                writeln!(f, "offline     {ran}")?;
            }
        }
        if let Some(verify) = &self.verify {
            write!(f, "\n{verify}")?;
        }
        Ok(())
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
