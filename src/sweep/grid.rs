//! `demo sweep`'s grid and plan: the configurations to measure, checked against AWS's limits for
//! Kinesis mappings (the template's, through the same check `up` and `tune` use), the traffic
//! each gets, and the runs — two configurations at a time, one per consumer — with their
//! estimated time. Pure: no AWS calls.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::SweepError;
use crate::model::batching::Batching;
use crate::model::template::ParameterError;
use crate::model::{Consumer, Parameter};

/// How long after the last batch is due the run still waits for it to be written.
const DRAIN_MARGIN: Duration = Duration::from_secs(5);

/// How often Lambda polls a shard: a window of 0 still waits up to this long.
pub(crate) use crate::local::POLL_INTERVAL;

/// The grid as given on the command line. Signed, so a negative value reaches the limit check
/// and is refused by name; an empty parallelization list means 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grid {
    pub(crate) batch_sizes: Vec<i64>,
    pub(crate) windows: Vec<i64>,
    pub(crate) parallelization: Vec<i64>,
}

/// One configuration of a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Config {
    pub(crate) batch_size: u32,
    pub(crate) window_seconds: u32,
    pub(crate) parallelization: u32,
}

impl Config {
    /// The original demo's consumers (100 / 30 s and 10 / 2 s), which one it is.
    pub(crate) fn original(self) -> Option<Consumer> {
        match (self.batch_size, self.window_seconds, self.parallelization) {
            (100, 30, 1) => Some(Consumer::One),
            (10, 2, 1) => Some(Consumer::Two),
            _ => None,
        }
    }

    /// `100 / 30 s`, with `×N` when more than one batch per shard is in flight: the label the
    /// report gives a consumer with these values (`Batching::label`).
    pub(crate) fn label(self) -> String {
        self.batching().label()
    }

    /// The mapping values of the configuration (the grid's values fit an i32: checked against
    /// the template's limits, 1–10000 at most).
    pub(crate) fn batching(self) -> Batching {
        Batching {
            batch_size: self.batch_size as i32,
            window_seconds: self.window_seconds as i32,
            parallelization: self.parallelization as i32,
        }
    }

    /// How long a record may wait to be handed over: the window, or the poll interval at 0.
    pub(crate) fn longest_wait(self) -> Duration {
        Duration::from_secs(u64::from(self.window_seconds)).max(POLL_INTERVAL)
    }
}

/// How much traffic each run gets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Amount {
    Orders(u64),
    Seconds(f64),
}

/// The traffic every run gets: orders at a rate, for a count or a time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Traffic {
    pub(crate) rate_per_second: f64,
    pub(crate) amount: Amount,
}

impl Traffic {
    /// How long sending takes (zero for traffic `check_traffic` refuses).
    fn send_time(self) -> Duration {
        let seconds = match self.amount {
            Amount::Orders(n) => n as f64 / self.rate_per_second,
            Amount::Seconds(s) => s,
        };
        Duration::try_from_secs_f64(seconds).unwrap_or_default()
    }

    /// How many orders one run sends.
    pub(crate) fn orders(self) -> u64 {
        match self.amount {
            Amount::Orders(n) => n,
            Amount::Seconds(s) => (s * self.rate_per_second).round() as u64,
        }
    }
}

/// The configurations of `grid`, each once, after checking every value (all problems at once)
/// against the template's limits for consumer 1's mapping, which are AWS's.
pub(crate) fn configurations(grid: &Grid) -> Result<Vec<Config>, SweepError> {
    let mut problems = missing(grid);
    let one = Consumer::One;
    let given = [
        (
            Parameter::BatchSize(one),
            "--batch-sizes",
            &grid.batch_sizes,
        ),
        (Parameter::Window(one), "--windows", &grid.windows),
        (
            Parameter::Parallelization(one),
            "--parallelization",
            &grid.parallelization,
        ),
    ];
    for (parameter, flag, values) in given {
        for problem in values
            .iter()
            .filter_map(|&v| parameter.check(flag, v).err())
        {
            if !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    if !problems.is_empty() {
        return Err(SweepError::Invalid(problems));
    }
    Ok(product(grid))
}

fn missing(grid: &Grid) -> Vec<ParameterError> {
    [
        ("--batch-sizes", grid.batch_sizes.is_empty()),
        ("--windows", grid.windows.is_empty()),
    ]
    .into_iter()
    .filter(|(_, empty)| *empty)
    .map(|(flag, _)| ParameterError {
        flag: flag.into(),
        value: "(none)".into(),
        rule: "give at least one value, e.g. 10,100".into(),
    })
    .collect()
}

/// Every combination, each once, in the order given (batch size, then window, then factor).
fn product(grid: &Grid) -> Vec<Config> {
    let factors = if grid.parallelization.is_empty() {
        vec![1]
    } else {
        grid.parallelization.clone()
    };
    let mut configs: Vec<Config> = Vec::new();
    for &batch in &grid.batch_sizes {
        for &window in &grid.windows {
            for &factor in &factors {
                // Validated: 1–10,000, 0–300 and 1–10 fit.
                let config = Config {
                    batch_size: batch as u32,
                    window_seconds: window as u32,
                    parallelization: factor as u32,
                };
                if !configs.contains(&config) {
                    configs.push(config);
                }
            }
        }
    }
    configs
}

/// Checks the traffic: a positive, finite rate and amount.
pub(crate) fn check_traffic(traffic: Traffic) -> Result<(), SweepError> {
    let refuse = |flag: &str, value: String| ParameterError {
        flag: flag.into(),
        value,
        rule: "must be a number above 0".into(),
    };
    let mut problems = Vec::new();
    let rate = traffic.rate_per_second;
    if !(rate.is_finite() && rate > 0.0) {
        problems.push(refuse("--rate", rate.to_string()));
    }
    match traffic.amount {
        Amount::Orders(0) => problems.push(refuse("--orders", "0".into())),
        Amount::Seconds(s) if !(s.is_finite() && s > 0.0) => {
            problems.push(refuse("--duration", format!("{s}s")))
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SweepError::Invalid(problems))
    }
}

/// One run: a configuration for each consumer (the last run of an odd grid has one), both
/// under the same traffic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Run {
    pub(crate) consumer_1: Config,
    pub(crate) consumer_2: Option<Config>,
    pub(crate) estimated_seconds: f64,
}

impl Run {
    pub(crate) fn configs(&self) -> impl Iterator<Item = Config> + '_ {
        std::iter::once(self.consumer_1).chain(self.consumer_2)
    }
}

/// What the sweep will do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Plan {
    pub(crate) traffic: Traffic,
    pub(crate) configurations: usize,
    pub(crate) runs: Vec<Run>,
    pub(crate) estimated_seconds: f64,
}

/// Pairs the configurations for the two consumers. Sorted by window first, so each run pairs
/// configurations of similar windows: a run lasts as long as its longer window, and pairing
/// neighbours in that order makes the sum of those maxima the smallest possible.
pub(crate) fn plan(configs: &[Config], traffic: Traffic) -> Plan {
    let mut sorted = configs.to_vec();
    sorted.sort_by_key(|c| (c.window_seconds, c.batch_size, c.parallelization));
    let runs: Vec<Run> = sorted
        .chunks(2)
        .map(|pair| {
            let longest = pair.iter().map(|c| c.longest_wait()).max();
            let busy = traffic.send_time() + longest.unwrap_or_default() + DRAIN_MARGIN;
            // Each run has whole minutes to itself: Lambda's metrics come per minute.
            let estimate =
                Duration::from_secs(busy.as_secs_f64().div_euclid(60.0) as u64 * 60 + 60);
            Run {
                consumer_1: pair[0],
                consumer_2: pair.get(1).copied(),
                estimated_seconds: estimate.as_secs_f64(),
            }
        })
        .collect();
    Plan {
        traffic,
        configurations: configs.len(),
        estimated_seconds: runs.iter().map(|r| r.estimated_seconds).sum(),
        runs,
    }
}

/// `1 min 5 s`, `40 s`.
pub(crate) fn minutes(seconds: f64) -> String {
    let whole = seconds.ceil() as u64;
    match (whole / 60, whole % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.traffic;
        writeln!(
            f,
            "sweep plan: {} configuration(s) in {} run(s), two at a time (one per consumer), \
             each run {} orders at {} orders/s",
            self.configurations,
            self.runs.len(),
            t.orders(),
            t.rate_per_second
        )?;
        for (i, run) in self.runs.iter().enumerate() {
            let second = run.consumer_2.map_or("(idle)".to_owned(), |c| c.label());
            writeln!(
                f,
                "  run {}: consumer 1 {:<14} consumer 2 {:<14} ~{}",
                i + 1,
                run.consumer_1.label(),
                second,
                minutes(run.estimated_seconds)
            )?;
        }
        writeln!(
            f,
            "  estimated: {} (sending, the longer window, {} s to drain, per run; each run in \
             whole minutes of its own, as Lambda's metrics come per minute)",
            minutes(self.estimated_seconds),
            DRAIN_MARGIN.as_secs()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(batch_sizes: &[i64], windows: &[i64], parallelization: &[i64]) -> Grid {
        Grid {
            batch_sizes: batch_sizes.to_vec(),
            windows: windows.to_vec(),
            parallelization: parallelization.to_vec(),
        }
    }

    fn config(batch_size: u32, window_seconds: u32) -> Config {
        Config {
            batch_size,
            window_seconds,
            parallelization: 1,
        }
    }

    #[test]
    fn every_combination_once_in_the_order_given() {
        let configs = configurations(&grid(&[10, 100, 10], &[5, 1], &[])).unwrap();
        assert_eq!(
            configs,
            [config(10, 5), config(10, 1), config(100, 5), config(100, 1)]
        );
        let with = configurations(&grid(&[10], &[0], &[1, 4])).unwrap();
        assert_eq!(
            with.iter().map(|c| c.parallelization).collect::<Vec<_>>(),
            [1, 4]
        );
    }

    #[test]
    fn every_value_outside_awss_limits_is_refused_at_once() {
        let limits = grid(&[0, 10, 10_001], &[-1, 300, 301], &[0, 11, 10]);
        let message = configurations(&limits).unwrap_err().to_string();
        for refused in [
            "--batch-sizes 0 is not allowed: the allowed range is 1–10000",
            "--batch-sizes 10001 is not allowed",
            "--windows -1 is not allowed: the allowed range is 0–300",
            "--windows 301 is not allowed",
            "--parallelization 0 is not allowed: the allowed range is 1–10",
            "--parallelization 11 is not allowed",
        ] {
            assert!(message.contains(refused), "{refused} in:\n{message}");
        }
        assert_eq!(message.lines().count(), 6, "{message}");
        let empty = configurations(&grid(&[], &[1], &[]))
            .unwrap_err()
            .to_string();
        assert!(
            empty.starts_with("--batch-sizes (none) is not allowed"),
            "{empty}"
        );
    }

    #[test]
    fn traffic_must_be_positive() {
        let ok = Traffic {
            rate_per_second: 50.0,
            amount: Amount::Orders(300),
        };
        assert!(check_traffic(ok).is_ok());
        let bad = Traffic {
            rate_per_second: 0.0,
            amount: Amount::Seconds(f64::NAN),
        };
        let message = check_traffic(bad).unwrap_err().to_string();
        assert!(message.contains("--rate 0 is not allowed"), "{message}");
        assert!(message.contains("--duration NaNs"), "{message}");
        assert_eq!(
            bad.send_time(),
            Duration::ZERO,
            "no panic on refused traffic"
        );
        assert_eq!(
            Traffic {
                rate_per_second: 20.0,
                amount: Amount::Seconds(30.0)
            }
            .orders(),
            600
        );
    }

    #[test]
    fn runs_pair_neighbouring_windows_and_estimate_send_window_and_drain() {
        let configs = [
            config(10, 1),
            config(100, 30),
            config(10, 5),
            config(100, 0),
            config(1, 2),
        ];
        let traffic = Traffic {
            rate_per_second: 50.0,
            amount: Amount::Orders(300),
        };
        let plan = plan(&configs, traffic);
        let pairs: Vec<(Config, Option<Config>)> = plan
            .runs
            .iter()
            .map(|r| (r.consumer_1, r.consumer_2))
            .collect();
        assert_eq!(
            pairs,
            [
                (config(100, 0), Some(config(10, 1))),
                (config(1, 2), Some(config(10, 5))),
                (config(100, 30), None),
            ]
        );
        // 300 orders at 50/s = 6 s; + the longer wait (1 s, 5 s, 30 s); + 5 s to drain: 12,
        // 16 and 41 s, each in a minute of its own.
        let estimates: Vec<f64> = plan.runs.iter().map(|r| r.estimated_seconds).collect();
        assert_eq!(estimates, [60.0, 60.0, 60.0]);
        assert_eq!(plan.estimated_seconds, 180.0);
        let all: Vec<Config> = plan.runs.iter().flat_map(Run::configs).collect();
        assert_eq!(all.len(), configs.len());
        let text = plan.to_string();
        assert!(text.contains("5 configuration(s) in 3 run(s)"), "{text}");
        assert!(text.contains("consumer 2 (idle)"), "{text}");
        assert!(text.contains("estimated: 3 min"), "{text}");
    }

    #[test]
    fn the_originals_and_labels() {
        assert_eq!(config(100, 30).original().map(Consumer::number), Some(1));
        assert_eq!(config(10, 2).original().map(Consumer::number), Some(2));
        let doubled = Config {
            parallelization: 2,
            ..config(10, 2)
        };
        assert_eq!(doubled.original(), None);
        assert_eq!(doubled.label(), "10 / 2 s ×2");
        assert_eq!(config(100, 0).longest_wait(), POLL_INTERVAL);
        assert_eq!(minutes(125.2), "2 min 6 s");
        assert_eq!(minutes(120.0), "2 min");
    }
}
