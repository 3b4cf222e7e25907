//! A sweep's results: every configuration's measured and/or predicted figures, the model and
//! its fit, and the choice — as JSON in a fixed field order, so `demo sweep --from FILE`
//! prints the same document byte for byte.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::choose::{Choice, Point, Strategy};
use super::grid::{Config, Traffic};
use super::model::{Fit, Model, Prediction};
use crate::model::Consumer;

/// The results file's layout; a file of another version is refused rather than misread.
pub(crate) const FORMAT: u32 = 2;

/// Everything a sweep found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SweepResults {
    pub(crate) format: u32,
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) traffic: Traffic,
    /// The pooled fit and what the predictions rest on; None before anything was measured.
    pub(crate) model: Option<Model>,
    /// Each consumer's own fit.
    pub(crate) fits: Vec<ConsumerFit>,
    pub(crate) rows: Vec<Row>,
    pub(crate) strategy: Strategy,
    pub(crate) budget_p99_ms: Option<f64>,
    pub(crate) choice: Choice,
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ConsumerFit {
    #[serde(deserialize_with = "consumer_json::one")]
    pub(crate) consumer: Consumer,
    pub(crate) fit: Fit,
}

/// Whether a row's figures were measured or only predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    Measured,
    Predicted,
}

/// One configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Row {
    pub(crate) config: Config,
    pub(crate) kind: Kind,
    /// The consumer that ran it (measured rows).
    #[serde(default, deserialize_with = "consumer_json::optional")]
    pub(crate) consumer: Option<Consumer>,
    pub(crate) measured: Option<Measured>,
    pub(crate) predicted: Option<Prediction>,
}

/// What one consumer did under one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Measured {
    pub(crate) orders: u64,
    pub(crate) invocations: u64,
    pub(crate) records: u64,
    pub(crate) records_per_invocation: Option<f64>,
    pub(crate) invocations_per_million_orders: Option<f64>,
    pub(crate) errors: u64,
    pub(crate) duration_avg_ms: Option<f64>,
    pub(crate) billed_mb_ms: f64,
    /// Billed figures estimated from the average duration (no Insights log events).
    pub(crate) billed_estimated: bool,
    pub(crate) gb_seconds: f64,
    /// Compute and requests, at the report's prices.
    pub(crate) cost_per_million_orders_usd: Option<f64>,
    pub(crate) stream_to_table_p50_ms: Option<f64>,
    pub(crate) stream_to_table_p99_ms: Option<f64>,
}

impl Measured {
    /// Whether the consumer's metrics count every order of the run: a run read before all its
    /// metrics arrived looks cheaper than it was.
    pub(crate) fn complete(&self) -> bool {
        self.records >= self.orders
    }
}

impl Row {
    pub(crate) fn measured(
        config: Config,
        consumer: Consumer,
        measured: Measured,
        predicted: Option<Prediction>,
    ) -> Row {
        Row {
            config,
            kind: Kind::Measured,
            consumer: Some(consumer),
            measured: Some(measured),
            predicted,
        }
    }

    pub(crate) fn predicted(config: Config, predicted: Prediction) -> Row {
        Row {
            config,
            kind: Kind::Predicted,
            consumer: None,
            measured: None,
            predicted: Some(predicted),
        }
    }

    /// The figures its kind gives: a measured row's own (none if either is missing), a
    /// predicted row's prediction.
    pub(crate) fn point(&self) -> Option<Point> {
        let (cost, p99) = match (self.kind, &self.measured, &self.predicted) {
            (Kind::Measured, Some(m), _) if m.complete() => {
                (m.cost_per_million_orders_usd?, m.stream_to_table_p99_ms?)
            }
            (Kind::Predicted, _, Some(p)) => (p.cost_per_million_orders_usd, p.delay_p99_ms),
            _ => return None,
        };
        Some(Point {
            config: self.config,
            cost_per_million_orders_usd: cost,
            p99_ms: p99,
            measured: self.kind == Kind::Measured,
        })
    }
}

/// Why a results file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResultsError {
    #[error("could not {action} {}: {cause}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is not a `demo sweep` results file: {cause}", .path.display())]
    Parse {
        path: PathBuf,
        cause: serde_json::Error,
    },
    #[error(
        "{} holds sweep results of format {found}; this demo reads format {FORMAT} \
         (run the sweep again, or use the demo that wrote it)", .path.display()
    )]
    Format { path: PathBuf, found: u32 },
}

impl SweepResults {
    /// The points to choose from and draw: every row with both figures.
    pub(crate) fn points(&self) -> Vec<Point> {
        self.rows.iter().filter_map(Row::point).collect()
    }

    /// The document `--output json` prints and the results file holds.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("sweep results serialise") + "\n"
    }

    pub(crate) fn save(&self, path: &Path) -> Result<(), ResultsError> {
        std::fs::write(path, self.to_json()).map_err(|cause| ResultsError::Io {
            action: "write the sweep results to",
            path: path.to_path_buf(),
            cause,
        })
    }

    /// Reads a results file (`--from FILE`).
    pub(crate) fn load(path: &Path) -> Result<SweepResults, ResultsError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ResultsError::Io {
            action: "read the sweep results from",
            path: path.to_path_buf(),
            cause,
        })?;
        let parse = |cause| ResultsError::Parse {
            path: path.to_path_buf(),
            cause,
        };
        // The format first, so a newer file is named as such rather than failing on a field.
        #[derive(Deserialize)]
        struct Header {
            format: u32,
        }
        let header: Header = serde_json::from_str(&text).map_err(parse)?;
        if header.format != FORMAT {
            return Err(ResultsError::Format {
                path: path.to_path_buf(),
                found: header.format,
            });
        }
        serde_json::from_str(&text).map_err(parse)
    }
}

/// A results file carries each consumer as its number (1, 2), as `Consumer` serializes; read
/// back into the enum, refusing any other number.
mod consumer_json {
    use serde::Deserialize;
    use serde::de::{Deserializer, Error};

    use crate::model::Consumer;

    pub(crate) fn one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Consumer, D::Error> {
        consumer(usize::deserialize(deserializer)?)
    }

    pub(crate) fn optional<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Consumer>, D::Error> {
        Option::<usize>::deserialize(deserializer)?
            .map(consumer)
            .transpose()
    }

    fn consumer<E: Error>(number: usize) -> Result<Consumer, E> {
        Consumer::from_number(number).ok_or_else(|| {
            E::custom(format!(
                "consumer {number}: the stack has consumers 1 and 2"
            ))
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::artifacts::Arch;
    use crate::report::cost::{PUBLISHED, PriceOverrides};
    use crate::sweep::choose::{self, Strategy};
    use crate::sweep::grid::Amount;
    use crate::sweep::model;

    fn config(batch_size: u32, window_seconds: u32) -> Config {
        Config {
            batch_size,
            window_seconds,
            parallelization: 1,
        }
    }

    /// A sweep of 10 and 100 records at 1 and 5 s windows, measured, plus predicted rows for
    /// the originals; awkward floats on purpose (thirds, tiny prices).
    pub(crate) fn sample() -> SweepResults {
        let observations = [
            model::Observation {
                invocations: 30.0,
                records_per_invocation: 10.0,
                duration_ms: 25.0 + 1.0 / 3.0,
            },
            model::Observation {
                invocations: 3.0,
                records_per_invocation: 100.0,
                duration_ms: 70.1,
            },
        ];
        let fit = model::fit(&observations).unwrap();
        let model = Model {
            rate_per_second: 50.0,
            shards: 1,
            memory_mb: 128.0,
            prices: PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default()),
            fit,
        };
        let measured = |config: Config, consumer: Consumer, invocations: u64, p99: f64| {
            let prediction = model.predict(config);
            let measured = Measured {
                orders: 300,
                invocations,
                records: 300,
                records_per_invocation: Some(300.0 / invocations as f64),
                invocations_per_million_orders: Some(invocations as f64 / 300.0 * 1e6),
                errors: 0,
                duration_avg_ms: Some(prediction.duration_ms * 1.07),
                billed_mb_ms: invocations as f64 * 26.0 * 128.0,
                billed_estimated: true,
                gb_seconds: invocations as f64 * 26.0 * 128.0 / 1024.0 / 1000.0,
                cost_per_million_orders_usd: Some(prediction.cost_per_million_orders_usd * 0.9),
                stream_to_table_p50_ms: Some(p99 / 2.0),
                stream_to_table_p99_ms: Some(p99),
            };
            Row::measured(config, consumer, measured, Some(prediction))
        };
        let mut rows = vec![
            measured(config(10, 1), Consumer::One, 30, 950.0),
            measured(config(100, 1), Consumer::Two, 6, 1_210.0),
            measured(config(10, 5), Consumer::One, 30, 1_001.5),
            measured(config(100, 5), Consumer::Two, 3, 5_100.0),
        ];
        for original in [config(100, 30), config(10, 2)] {
            rows.push(Row::predicted(original, model.predict(original)));
        }
        let mut results = SweepResults {
            format: FORMAT,
            stack: "demo".into(),
            region: "ap-southeast-2".into(),
            traffic: Traffic {
                rate_per_second: 50.0,
                amount: Amount::Orders(300),
            },
            fits: vec![ConsumerFit {
                consumer: Consumer::One,
                fit,
            }],
            model: Some(model),
            rows,
            strategy: Strategy::Cost,
            budget_p99_ms: Some(2_000.0),
            choice: Choice::NoData,
            notes: vec!["durations are the handlers' on this machine".into()],
        };
        results.choice = choose::choose(&results.points(), results.strategy, results.budget_p99_ms);
        results
    }

    #[test]
    fn write_read_write_is_byte_for_byte_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.json");
        let results = sample();
        results.save(&path).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        let read = SweepResults::load(&path).unwrap();
        assert_eq!(read, results);
        let again = dir.path().join("again.json");
        read.save(&again).unwrap();
        assert_eq!(std::fs::read(&again).unwrap(), first.as_bytes());
        // The fit's floats take all 17 digits: they too came back exactly.
        let intercept = results.model.unwrap().fit.intercept_ms;
        assert!(format!("{intercept}").len() > 15, "{intercept}");
    }

    #[test]
    fn any_float_parses_back_to_the_same_bits() {
        // serde_json's default float parsing may land one ULP off; `float_roundtrip` must be on.
        let mut rng = fastrand::Rng::with_seed(12);
        let values: Vec<f64> = (0..10_000)
            .map(|_| rng.f64() * 10f64.powi(rng.i32(-15..15)))
            .collect();
        let text = serde_json::to_string(&values).unwrap();
        let back: Vec<f64> = serde_json::from_str(&text).unwrap();
        let differ = values
            .iter()
            .zip(&back)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(differ, 0, "{differ} of 10,000 floats changed");
    }

    #[test]
    fn fields_keep_their_order_and_rows_their_kind() {
        let json = sample().to_json();
        let at = |key: &str| {
            json.find(&format!("\"{key}\""))
                .unwrap_or_else(|| panic!("{key}"))
        };
        let order = [
            "format", "stack", "traffic", "model", "fits", "rows", "strategy", "choice", "notes",
        ];
        assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{json}");
        assert_eq!(json.matches("\"kind\": \"measured\"").count(), 4);
        assert_eq!(json.matches("\"kind\": \"predicted\"").count(), 2);
        assert!(json.contains("\"outcome\": \"chosen\""), "{json}");
        assert!(json.ends_with("}\n"));
    }

    #[test]
    fn the_choice_counts_measured_rows_and_predicted_rows_give_points() {
        let results = sample();
        // Within 2 s: 10/1, 100/1 and 10/5 measured; 100/1 is the cheapest of them.
        assert_eq!(results.choice.config(), Some(config(100, 1)));
        let points = results.points();
        assert_eq!(points.len(), 6);
        assert_eq!(points.iter().filter(|p| !p.measured).count(), 2);
        let mut unmeasured = results.rows[0].clone();
        unmeasured.measured.as_mut().unwrap().stream_to_table_p99_ms = None;
        assert_eq!(unmeasured.point(), None);
    }

    #[test]
    fn other_formats_and_other_files_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.json");
        let json =
            sample()
                .to_json()
                .replacen(&format!("\"format\": {FORMAT}"), "\"format\": 1", 1);
        std::fs::write(&path, json).unwrap();
        let err = SweepResults::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("format 1") && err.contains("old.json"),
            "{err}"
        );
        std::fs::write(&path, "{\"stack\": 1}").unwrap();
        let err = SweepResults::load(&path).unwrap_err().to_string();
        assert!(err.contains("is not a `demo sweep` results file"), "{err}");
        let missing = SweepResults::load(&dir.path().join("none.json")).unwrap_err();
        assert!(matches!(missing, ResultsError::Io { .. }), "{missing}");
    }
}
