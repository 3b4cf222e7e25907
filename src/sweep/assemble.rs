//! From what the runs measured to the results document: each run's figures priced as the
//! report prices them, the model fitted (per consumer and pooled), every run's prediction beside
//! its measurement, predicted rows for the configurations not run, and the choice. Pure.

use super::choose::{self, Choice, Strategy};
use super::grid::{Config, Traffic};
use super::model::{self, Model, Observation};
use super::results::{ConsumerFit, FORMAT, Measured, Row, SweepResults};
use crate::load::stats::LatencySummary;
use crate::model::Consumer;
use crate::report::cost::{self, Prices, Usage};

/// One consumer's counts over one run, before pricing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Counts {
    /// Orders sent in the run (the producer's accepted ones).
    pub(crate) orders: u64,
    pub(crate) invocations: u64,
    pub(crate) records: u64,
    pub(crate) errors: u64,
    pub(crate) duration_avg_ms: Option<f64>,
    /// Billed MB-ms from the Insights log events; None: estimated from the average duration.
    pub(crate) billed_mb_ms: Option<f64>,
    /// Stream → table delay of the run's items.
    pub(crate) latency: Option<LatencySummary>,
}

impl Measured {
    /// Prices `counts` as `demo report` does: billed MB-ms (or the estimate from the average
    /// duration) to GB-seconds and dollars, plus requests, per million orders.
    pub(crate) fn priced(counts: Counts, memory_mb: f64, prices: &Prices) -> Measured {
        let estimated = || {
            cost::estimated_mb_ms(
                counts.invocations as f64,
                counts.duration_avg_ms.unwrap_or(0.0),
                memory_mb,
            )
        };
        let billed_mb_ms = counts.billed_mb_ms.unwrap_or_else(estimated);
        let usage = Usage {
            requests: counts.invocations as f64,
            billed_mb_ms,
        };
        let priced = cost::cost(usage, prices, counts.orders as f64);
        Measured {
            orders: counts.orders,
            invocations: counts.invocations,
            records: counts.records,
            records_per_invocation: (counts.invocations > 0)
                .then(|| counts.records as f64 / counts.invocations as f64),
            invocations_per_million_orders: (counts.orders > 0)
                .then(|| counts.invocations as f64 / counts.orders as f64 * 1e6),
            errors: counts.errors,
            duration_avg_ms: counts.duration_avg_ms,
            billed_mb_ms,
            billed_estimated: counts.billed_mb_ms.is_none(),
            gb_seconds: priced.gb_seconds,
            cost_per_million_orders_usd: priced.per_million_orders_usd,
            stream_to_table_p50_ms: counts.latency.map(|l| l.p50_ms),
            stream_to_table_p99_ms: counts.latency.map(|l| l.p99_ms),
        }
    }

    /// The run as one observation for the duration fit.
    pub(crate) fn observation(&self) -> Option<Observation> {
        Some(Observation {
            invocations: self.invocations as f64,
            records_per_invocation: self.records_per_invocation?,
            duration_ms: self.duration_avg_ms?,
        })
    }
}

/// One configuration as measured on one consumer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Measurement {
    pub(crate) config: Config,
    pub(crate) consumer: Consumer,
    pub(crate) measured: Measured,
}

/// Everything besides the runs that the document records.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Setting {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) traffic: Traffic,
    /// The rate the orders actually went out at, the model's λ (the asked rate if unknown).
    pub(crate) achieved_rate: Option<f64>,
    pub(crate) shards: u32,
    pub(crate) memory_mb: f64,
    pub(crate) prices: Prices,
    pub(crate) strategy: Strategy,
    pub(crate) budget_p99_ms: Option<f64>,
    pub(crate) notes: Vec<String>,
}

/// The results of `runs`, with `unrun` configurations predicted (`--predict`; may be empty).
pub(crate) fn assemble(setting: Setting, runs: &[Measurement], unrun: &[Config]) -> SweepResults {
    let model = fit(runs, None).map(|fit| Model {
        rate_per_second: setting
            .achieved_rate
            .unwrap_or(setting.traffic.rate_per_second),
        shards: setting.shards,
        memory_mb: setting.memory_mb,
        prices: setting.prices.clone(),
        fit,
    });
    let mut notes = setting.notes;
    let rows = rows(model.as_ref(), runs, unrun, setting.traffic, &mut notes);
    let mut results = SweepResults {
        format: FORMAT,
        stack: setting.stack,
        region: setting.region,
        traffic: setting.traffic,
        model,
        fits: consumer_fits(runs),
        rows,
        strategy: setting.strategy,
        budget_p99_ms: setting.budget_p99_ms,
        choice: Choice::NoData,
        notes,
    };
    results.choice = choose::choose(&results.points(), results.strategy, results.budget_p99_ms);
    results
}

/// The duration fit of the runs of `consumer`, or of all runs (None).
fn fit(runs: &[Measurement], consumer: Option<Consumer>) -> Option<model::Fit> {
    let observations: Vec<Observation> = runs
        .iter()
        .filter(|r| consumer.is_none_or(|c| r.consumer == c))
        .filter_map(|r| r.measured.observation())
        .collect();
    model::fit(&observations)
}

/// Each consumer's own fit, in consumer order, for the consumers that ran.
fn consumer_fits(runs: &[Measurement]) -> Vec<ConsumerFit> {
    let mut consumers: Vec<Consumer> = runs.iter().map(|r| r.consumer).collect();
    consumers.sort_unstable();
    consumers.dedup();
    consumers
        .into_iter()
        .filter_map(|consumer| {
            Some(ConsumerFit {
                consumer,
                fit: fit(runs, Some(consumer))?,
            })
        })
        .collect()
}

/// Every run beside its prediction, then the `unrun` configurations predicted; a note for
/// each that could not be (nothing measured to fit the model to).
fn rows(
    model: Option<&Model>,
    runs: &[Measurement],
    unrun: &[Config],
    traffic: Traffic,
    notes: &mut Vec<String>,
) -> Vec<Row> {
    // Each prediction is for a run like the sweep's, so it compares with what a run measures.
    let predict = |config: Config, orders: u64| model.map(|m| m.predict_run(config, orders));
    let mut rows: Vec<Row> = runs
        .iter()
        .map(|r| {
            let predicted = predict(r.config, r.measured.orders);
            Row::measured(r.config, r.consumer, r.measured, predicted)
        })
        .collect();
    for &config in unrun
        .iter()
        .filter(|c| !runs.iter().any(|r| r.config == **c))
    {
        match predict(config, traffic.orders()) {
            Some(prediction) => rows.push(Row::predicted(config, prediction)),
            None => notes.push(format!(
                "{} not predicted: nothing was measured to fit the model to",
                config.label()
            )),
        }
    }
    rows
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::artifacts::Arch;
    use crate::report::cost::{PUBLISHED, PriceOverrides};
    use crate::sweep::grid::Amount;
    use crate::sweep::results::Kind;

    fn config(batch_size: u32, window_seconds: u32) -> Config {
        Config {
            batch_size,
            window_seconds,
            parallelization: 1,
        }
    }

    /// 300 orders at 50 orders/s (40 achieved), one shard, 128 MB, arm64, by cost.
    pub(crate) fn setting() -> Setting {
        Setting {
            stack: "demo".into(),
            region: "ap-southeast-2".into(),
            traffic: Traffic {
                rate_per_second: 50.0,
                amount: Amount::Orders(300),
            },
            achieved_rate: Some(40.0),
            shards: 1,
            memory_mb: 128.0,
            prices: PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default()),
            strategy: Strategy::Cost,
            budget_p99_ms: None,
            notes: vec![],
        }
    }

    fn counts(invocations: u64, duration_avg_ms: f64, p99_ms: f64) -> Counts {
        Counts {
            orders: 300,
            invocations,
            records: 300,
            errors: 0,
            duration_avg_ms: Some(duration_avg_ms),
            billed_mb_ms: None,
            latency: Some(LatencySummary {
                count: 300,
                mean_ms: p99_ms / 2.0,
                p50_ms: p99_ms / 2.0,
                p90_ms: p99_ms * 0.9,
                p99_ms,
                max_ms: p99_ms,
            }),
        }
    }

    fn run(config: Config, consumer: Consumer, counts: Counts) -> Measurement {
        Measurement {
            config,
            consumer,
            measured: Measured::priced(counts, 128.0, &setting().prices),
        }
    }

    #[test]
    fn runs_are_priced_as_the_report_prices_them() {
        let measured = run(config(10, 1), Consumer::One, counts(30, 24.2, 900.0)).measured;
        // 30 invocations × 25 ms (rounded up) × 128 MB = 96,000 MB-ms, estimated.
        assert_eq!(measured.billed_mb_ms, 96_000.0);
        assert!(measured.billed_estimated);
        let expected = cost::cost(
            Usage {
                requests: 30.0,
                billed_mb_ms: 96_000.0,
            },
            &setting().prices,
            300.0,
        );
        assert_eq!(
            measured.cost_per_million_orders_usd,
            expected.per_million_orders_usd
        );
        assert_eq!(measured.stream_to_table_p99_ms, Some(900.0));
        assert_eq!(measured.records_per_invocation, Some(10.0));
        assert_eq!(measured.invocations_per_million_orders, Some(100_000.0));
        let billed = Measured::priced(
            Counts {
                billed_mb_ms: Some(1_000.0),
                ..counts(30, 24.2, 900.0)
            },
            128.0,
            &setting().prices,
        );
        assert!(!billed.billed_estimated);
        assert_eq!(billed.billed_mb_ms, 1_000.0);
    }

    #[test]
    fn the_model_is_fitted_on_the_runs_and_predicts_the_rest() {
        // duration = 20 + 0.5 × records on both consumers.
        let runs = [
            run(config(10, 1), Consumer::One, counts(30, 25.0, 900.0)),
            run(config(100, 1), Consumer::Two, counts(6, 45.0, 1_200.0)),
            run(config(100, 5), Consumer::One, counts(3, 70.0, 2_600.0)),
        ];
        let results = assemble(setting(), &runs, &[config(10, 1), config(10, 5)]);
        let model = results.model.as_ref().unwrap();
        assert!((model.fit.intercept_ms - 20.0).abs() < 1e-9, "{model:?}");
        assert!((model.fit.per_record_ms - 0.5).abs() < 1e-9, "{model:?}");
        assert_eq!(
            model.rate_per_second, 40.0,
            "the achieved rate, not the asked one"
        );
        assert_eq!(
            results
                .fits
                .iter()
                .map(|f| f.consumer.number())
                .collect::<Vec<_>>(),
            [1, 2]
        );
        let kinds: Vec<(Config, Kind)> = results.rows.iter().map(|r| (r.config, r.kind)).collect();
        assert_eq!(
            kinds,
            [
                (config(10, 1), Kind::Measured),
                (config(100, 1), Kind::Measured),
                (config(100, 5), Kind::Measured),
                (config(10, 5), Kind::Predicted),
            ]
        );
        assert!(results.rows.iter().all(|r| r.predicted.is_some()));
        // The cheapest measured or predicted: 100 records per invocation.
        assert_eq!(results.choice.config(), Some(config(100, 5)));
    }

    #[test]
    fn without_measurements_nothing_is_predicted_and_it_says_so() {
        let results = assemble(setting(), &[], &[config(10, 1)]);
        assert!(results.model.is_none() && results.rows.is_empty());
        assert_eq!(results.choice, Choice::NoData);
        assert!(
            results.notes[0].contains("10 / 1 s not predicted"),
            "{:?}",
            results.notes
        );
    }
}
