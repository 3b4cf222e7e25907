//! Counting while sending: live counters for the progress line, per-worker tallies merged at
//! the end, and latency percentiles from an HDR histogram.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Shared, lock-free counts the progress display reads while workers write.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) accepted: AtomicU64,
    pub(crate) rejected: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) retries: AtomicU64,
}

/// A point-in-time copy of [`Counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) requests: u64,
    pub(crate) accepted: u64,
    pub(crate) rejected: u64,
    pub(crate) failed: u64,
    pub(crate) retries: u64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Snapshot {
            requests: get(&self.requests),
            accepted: get(&self.accepted),
            rejected: get(&self.rejected),
            failed: get(&self.failed),
            retries: get(&self.retries),
        }
    }
}

impl Snapshot {
    /// Orders that are finished, one way or another.
    pub(crate) fn done(&self) -> u64 {
        self.accepted + self.rejected + self.failed
    }
}

/// Latencies in microseconds (requests) or milliseconds (verification), 3 significant digits.
#[derive(Debug, Clone)]
pub(crate) struct Latencies(Histogram<u64>);

impl Default for Latencies {
    fn default() -> Self {
        Self(Histogram::new(3).expect("3 significant digits is a valid precision"))
    }
}

impl Latencies {
    pub(crate) fn record_duration(&mut self, duration: Duration) {
        self.record(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX));
    }

    /// Negative values (clock skew between machines) count as 0.
    pub(crate) fn record_signed(&mut self, value: i64) {
        self.record(u64::try_from(value).unwrap_or(0));
    }

    fn record(&mut self, value: u64) {
        // `record` grows the histogram as needed (`saturating_record` would clamp instead);
        // only values too large for any histogram fail, and those are clamped.
        if self.0.record(value).is_err() {
            self.0.saturating_record(value);
        }
    }

    pub(crate) fn merge(&mut self, other: &Latencies) {
        self.0
            .add(&other.0)
            .expect("auto-resizing histograms always merge");
    }

    /// Percentiles in milliseconds, given the unit the values were recorded in.
    pub(crate) fn summary(&self, unit_ms: f64) -> Option<LatencySummary> {
        if self.0.is_empty() {
            return None;
        }
        let at = |q: f64| self.0.value_at_quantile(q) as f64 * unit_ms;
        Some(LatencySummary {
            count: self.0.len(),
            mean_ms: self.0.mean() * unit_ms,
            p50_ms: at(0.50),
            p90_ms: at(0.90),
            p99_ms: at(0.99),
            max_ms: self.0.max() as f64 * unit_ms,
        })
    }
}

/// One microsecond, in milliseconds.
pub(crate) const MICROS: f64 = 0.001;
/// One millisecond, in milliseconds.
pub(crate) const MILLIS: f64 = 1.0;

/// A latency distribution, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub(crate) struct LatencySummary {
    pub(crate) count: u64,
    pub(crate) mean_ms: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p90_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
}

impl fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {}  p90 {}  p99 {}  max {}",
            ms(self.p50_ms),
            ms(self.p90_ms),
            ms(self.p99_ms),
            ms(self.max_ms)
        )
    }
}

/// Milliseconds with sensible precision: `0.42 ms`, `12.3 ms`, `1234 ms`.
pub(crate) fn ms(value: f64) -> String {
    match value {
        v if v < 10.0 => format!("{v:.2} ms"),
        v if v < 100.0 => format!("{v:.1} ms"),
        v => format!("{v:.0} ms"),
    }
}

/// Per-worker tallies; merged once at the end so workers never contend on them.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) latencies: Latencies,
    pub(crate) rejected_by_status: BTreeMap<u16, u64>,
    pub(crate) failures: BTreeMap<String, u64>,
    pub(crate) reasons: Vec<Rejection>,
    pub(crate) accepted: Vec<Accepted>,
}

/// How many rejection reasons the summary shows.
const SHOWN_REASONS: usize = 5;

/// A 4xx answer: the status and what the API said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Rejection {
    pub(crate) status: u16,
    pub(crate) reason: String,
}

/// An order the API accepted, and when its (last) request was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub(crate) index: u64,
    pub(crate) orderid: String,
    pub(crate) sent_at_ms: i64,
}

impl Tally {
    pub(crate) fn add_reason(&mut self, rejection: Rejection) {
        if self.reasons.len() < SHOWN_REASONS && !self.reasons.contains(&rejection) {
            self.reasons.push(rejection);
        }
    }

    pub(crate) fn merge(&mut self, other: Tally) {
        self.latencies.merge(&other.latencies);
        for (status, count) in other.rejected_by_status {
            *self.rejected_by_status.entry(status).or_default() += count;
        }
        for (reason, count) in other.failures {
            *self.failures.entry(reason).or_default() += count;
        }
        for rejection in other.reasons {
            self.add_reason(rejection);
        }
        self.accepted.extend(other.accepted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_out_in_milliseconds() {
        let mut latencies = Latencies::default();
        for micros in 1..=1000 {
            latencies.record_duration(Duration::from_micros(micros * 10));
        }
        let summary = latencies.summary(MICROS).unwrap();
        assert_eq!(summary.count, 1000);
        assert!((summary.p50_ms - 5.0).abs() < 0.01, "{summary:?}");
        assert!((summary.p99_ms - 9.9).abs() < 0.01, "{summary:?}");
        assert!((summary.max_ms - 10.0).abs() < 0.01, "{summary:?}");
        assert_eq!(Latencies::default().summary(MICROS), None);
    }

    #[test]
    fn tallies_merge_counts_and_keep_a_few_distinct_reasons() {
        let mut a = Tally::default();
        let mut b = Tally::default();
        a.rejected_by_status.insert(400, 2);
        b.rejected_by_status.insert(400, 3);
        b.rejected_by_status.insert(404, 1);
        for i in 0..4 {
            let reason = Rejection {
                status: 400,
                reason: format!("bad {i}"),
            };
            a.add_reason(reason.clone());
            b.add_reason(reason);
        }
        a.merge(b);
        assert_eq!(a.rejected_by_status, BTreeMap::from([(400, 5), (404, 1)]));
        assert_eq!(a.reasons.len(), 4);
        assert_eq!(ms(0.4236), "0.42 ms");
        assert_eq!(ms(12.34), "12.3 ms");
        assert_eq!(ms(1234.4), "1234 ms");
    }
}
