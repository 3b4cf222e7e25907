//! The sweep's model: a consumer's duration fitted as `a + b × records`, and from the traffic
//! rate, for any configuration, the records per invocation, invocations and cost per million
//! orders (at the report's prices) and the batching delay to expect.

use serde::{Deserialize, Serialize};

use super::grid::{Config, POLL_INTERVAL};
use crate::report::cost::{self, Prices, Usage};

/// A consumer's invocations, as measured: so many, of so many records on average, taking so long
/// on average. A configuration's figures are one such observation, weighted by its invocations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Observation {
    pub(crate) invocations: f64,
    pub(crate) records_per_invocation: f64,
    pub(crate) duration_ms: f64,
}

/// `duration_ms = intercept_ms + per_record_ms × records`, fitted by weighted least squares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Fit {
    pub(crate) intercept_ms: f64,
    pub(crate) per_record_ms: f64,
    /// How much of the durations' variance the line explains (None: nothing varied).
    pub(crate) r_squared: Option<f64>,
    /// Invocations the fit rests on.
    pub(crate) invocations: f64,
    /// Observations (configurations) it rests on.
    pub(crate) observations: usize,
}

impl Fit {
    pub(crate) fn duration_ms(&self, records: f64) -> f64 {
        (self.intercept_ms + self.per_record_ms * records).max(0.0)
    }
}

/// Fits the line through the observations, each weighted by its invocations. With one batch size
/// only (no spread in records) the slope cannot be told apart: it is 0 and the intercept the
/// mean. None without any invocation.
pub(crate) fn fit(observations: &[Observation]) -> Option<Fit> {
    let used: Vec<&Observation> = observations
        .iter()
        .filter(|o| o.invocations > 0.0 && o.duration_ms.is_finite())
        .collect();
    let weight: f64 = used.iter().map(|o| o.invocations).sum();
    if weight <= 0.0 {
        return None;
    }
    let sum =
        |f: &dyn Fn(&Observation) -> f64| used.iter().map(|o| o.invocations * f(o)).sum::<f64>();
    let mx = sum(&|o| o.records_per_invocation) / weight;
    let my = sum(&|o| o.duration_ms) / weight;
    let sxx = sum(&|o| (o.records_per_invocation - mx).powi(2));
    let sxy = sum(&|o| (o.records_per_invocation - mx) * (o.duration_ms - my));
    let syy = sum(&|o| (o.duration_ms - my).powi(2));
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let residual =
        sum(&|o| (o.duration_ms - (my + slope * (o.records_per_invocation - mx))).powi(2));
    Some(Fit {
        intercept_ms: my - slope * mx,
        per_record_ms: slope,
        r_squared: (syy > 0.0).then(|| 1.0 - residual / syy),
        invocations: weight,
        observations: used.len(),
    })
}

/// What the model is given besides the fit: the traffic and the deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Model {
    /// Orders per second into the stream (each order is one record).
    pub(crate) rate_per_second: f64,
    pub(crate) shards: u32,
    pub(crate) memory_mb: f64,
    pub(crate) prices: Prices,
    pub(crate) fit: Fit,
}

/// What the model expects of one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Prediction {
    /// The orders of the run predicted, whose last batch in each lane is partial, so a short run
    /// makes more invocations per order than sustained traffic; None: sustained traffic.
    run_orders: Option<u64>,
    pub(crate) records_per_invocation: f64,
    pub(crate) invocations_per_million_orders: f64,
    pub(crate) duration_ms: f64,
    gb_seconds_per_million_orders: f64,
    pub(crate) cost_per_million_orders_usd: f64,
    /// How long a record waits to be handed over, plus the invocation: mean and p99.
    delay_mean_ms: f64,
    pub(crate) delay_p99_ms: f64,
    /// Busy time per unit of time of one batch lane; at 1 or more the lane falls behind.
    utilisation: f64,
}

impl Model {
    /// Records per second reaching one batch lane: a shard's share, split over the
    /// configuration's lanes (Lambda hashes partition keys to them; the order ids spread evenly).
    fn lane_rate(&self, config: Config) -> f64 {
        self.rate_per_second / f64::from(self.shards.max(1)) / f64::from(config.parallelization)
    }

    /// Sustained traffic at the model's rate.
    pub(crate) fn predict(&self, config: Config) -> Prediction {
        let records = records_per_invocation(config, self.lane_rate(config));
        self.predict_with(config, records, None)
    }

    /// What a run of `orders` at the model's rate measures: each lane's orders in whole
    /// batches of the sustained size, the last one partial (300 orders in batches of 97.7 are
    /// 4 invocations of 75, not 3.07 of 97.7).
    pub(crate) fn predict_run(&self, config: Config, orders: u64) -> Prediction {
        if orders == 0 {
            return self.predict(config);
        }
        let sustained = records_per_invocation(config, self.lane_rate(config));
        let lanes = f64::from(self.shards.max(1)) * f64::from(config.parallelization.max(1));
        let per_lane = orders as f64 / lanes;
        let invocations = lanes * (per_lane / sustained).ceil().max(1.0);
        self.predict_with(config, orders as f64 / invocations, Some(orders))
    }

    /// The rest of a prediction once the records per invocation are known.
    fn predict_with(&self, config: Config, records: f64, run_orders: Option<u64>) -> Prediction {
        let lane_rate = self.lane_rate(config);
        let duration_ms = self.fit.duration_ms(records);
        let invocations = 1e6 / records;
        let billed_mb_ms = cost::estimated_mb_ms(invocations, duration_ms, self.memory_mb);
        let usage = Usage {
            requests: invocations,
            billed_mb_ms,
        };
        let cost = cost::cost(usage, &self.prices, 1e6);
        let poll_ms = POLL_INTERVAL.as_secs_f64() * 1000.0;
        let gathering_ms = gathering_seconds(config, lane_rate) * 1000.0;
        Prediction {
            run_orders,
            records_per_invocation: records,
            invocations_per_million_orders: invocations,
            duration_ms,
            gb_seconds_per_million_orders: cost.gb_seconds,
            cost_per_million_orders_usd: cost.total_usd,
            // A record first waits for the next poll, then for its batch to be due.
            delay_mean_ms: (poll_ms + gathering_ms) / 2.0 + duration_ms,
            delay_p99_ms: (poll_ms + gathering_ms) * 0.99 + duration_ms,
            utilisation: lane_rate * duration_ms / 1000.0 / records,
        }
    }
}

/// Expected records in one invocation, for Poisson arrivals at `lane_rate` per second and a
/// poll every `P` (about a second, as Lambda polls a caught-up shard).
///
/// A poll that finds records finds on average `c = μ / (1 − e^−μ)` of them (a Poisson count
/// given at least one, `μ = λP`); polls that find nothing invoke nothing. With W = 0 those are
/// handed over at once, in batches of at most B: `μ / E[⌈N / B⌉]` each. With W > 0 the window
/// opens at that poll and is checked at the polls after it, so ⌈W / P⌉ more polls' records
/// join: `min(B, c + μ⌈W / P⌉)`, full batches going as soon as they are full. At low rates both
/// tend to 1, at high ones to λ(W + P) (the issue's `min(B, max(1, λW))`, plus the poll).
pub(crate) fn records_per_invocation(config: Config, lane_rate: f64) -> f64 {
    let batch = f64::from(config.batch_size);
    let per_poll = lane_rate * POLL_INTERVAL.as_secs_f64();
    let found = if per_poll > 0.0 {
        per_poll / (1.0 - (-per_poll).exp())
    } else {
        1.0
    };
    let expected = if config.window_seconds == 0 {
        per_poll / batches_per_poll(per_poll, batch)
    } else {
        found + per_poll * polls_in_window(config)
    };
    expected.clamp(1.0, batch)
}

/// `E[⌈N / B⌉]` for `N ~ Poisson(μ)`: the batches one poll hands over at W = 0, on average.
/// Summed term by term (in logs, so a shard's 1,000 records a second do not underflow).
fn batches_per_poll(mu: f64, batch: f64) -> f64 {
    if mu <= 0.0 {
        return 1.0;
    }
    let last = (mu + 12.0 * mu.sqrt() + 20.0).ceil() as u64;
    let mut ln_factorial = 0.0;
    let mut expected = 0.0;
    for k in 1..=last {
        let k = k as f64;
        ln_factorial += k.ln();
        let probability = (k * mu.ln() - mu - ln_factorial).exp();
        expected += probability * (k / batch).ceil();
    }
    expected
}

/// The polls after the first that a window spans.
fn polls_in_window(config: Config) -> f64 {
    (f64::from(config.window_seconds) / POLL_INTERVAL.as_secs_f64()).ceil()
}

/// How long a batch gathers after its first poll: the window (to the poll that finds it
/// passed), or less when the batch fills first; nothing at W = 0.
fn gathering_seconds(config: Config, lane_rate: f64) -> f64 {
    let window = polls_in_window(config) * POLL_INTERVAL.as_secs_f64();
    if lane_rate <= 0.0 {
        return window;
    }
    window.min(f64::from(config.batch_size) / lane_rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::Arch;
    use crate::report::cost::{PUBLISHED, PriceOverrides};

    fn config(batch_size: u32, window_seconds: u32, parallelization: u32) -> Config {
        Config {
            batch_size,
            window_seconds,
            parallelization,
        }
    }

    fn observation(invocations: f64, records: f64, duration_ms: f64) -> Observation {
        Observation {
            invocations,
            records_per_invocation: records,
            duration_ms,
        }
    }

    fn model(rate: f64, fit: Fit) -> Model {
        Model {
            rate_per_second: rate,
            shards: 1,
            memory_mb: 128.0,
            prices: PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default()),
            fit,
        }
    }

    fn line(intercept_ms: f64, per_record_ms: f64) -> Fit {
        Fit {
            intercept_ms,
            per_record_ms,
            r_squared: Some(1.0),
            invocations: 1.0,
            observations: 2,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn a_line_through_exact_points_is_found_whatever_the_weights() {
        // duration = 20 + 0.5 × records
        let fit = fit(&[
            observation(30.0, 10.0, 25.0),
            observation(3.0, 100.0, 70.0),
            observation(1.0, 50.0, 45.0),
        ])
        .unwrap();
        assert!(close(fit.intercept_ms, 20.0), "{fit:?}");
        assert!(close(fit.per_record_ms, 0.5), "{fit:?}");
        assert!(close(fit.r_squared.unwrap(), 1.0), "{fit:?}");
        assert_eq!((fit.invocations, fit.observations), (34.0, 3));
    }

    #[test]
    fn weights_pull_the_line_towards_the_busier_configuration() {
        let points = |w: f64| {
            fit(&[
                observation(w, 10.0, 30.0),
                observation(1.0, 10.0, 10.0),
                observation(1.0, 100.0, 100.0),
            ])
            .unwrap()
        };
        // The mean at 10 records moves from 20 ms (equal weights) towards 30 ms.
        assert!(points(9.0).duration_ms(10.0) > points(1.0).duration_ms(10.0));
        let noisy = points(1.0);
        assert!(noisy.r_squared.unwrap() < 1.0 && noisy.r_squared.unwrap() > 0.0);
    }

    #[test]
    fn one_batch_size_gives_a_flat_line_and_nothing_gives_no_fit() {
        let flat = fit(&[observation(2.0, 10.0, 10.0), observation(2.0, 10.0, 30.0)]).unwrap();
        assert_eq!((flat.intercept_ms, flat.per_record_ms), (20.0, 0.0));
        assert_eq!(fit(&[]), None);
        assert_eq!(fit(&[observation(0.0, 10.0, 10.0)]), None);
    }

    #[test]
    fn records_per_invocation_follow_rate_window_and_batch_size() {
        // 30 orders/s, 1 s window: the first poll's 30 and the next poll's 30, capped at B.
        assert_eq!(records_per_invocation(config(10, 1, 1), 30.0), 10.0);
        assert!(close(records_per_invocation(config(100, 1, 1), 30.0), 60.0));
        assert_eq!(records_per_invocation(config(100, 5, 1), 30.0), 100.0);
        // Window 0: a poll's records go at once, in batches of at most B: about 25 as one
        // batch, or in batches of 10, about 8.5 each (a fifth of the polls find 20 or fewer,
        // two batches; an eighth find 31 or more, four).
        let at = |batch, rate| records_per_invocation(config(batch, 0, 1), rate);
        assert!((at(100, 25.0) - 25.0).abs() < 1e-6, "{}", at(100, 25.0));
        assert!(at(10, 25.0) > 8.4 && at(10, 25.0) < 8.5, "{}", at(10, 25.0));
        // Batches of one hold one record, however many a poll finds.
        assert!((at(1, 25.0) - 1.0).abs() < 1e-9, "{}", at(1, 25.0));
        // No jump where the mean crosses a multiple of B; no underflow at a shard's limit.
        assert!((at(10, 29.99) / at(10, 30.01) - 1.0).abs() < 0.01);
        assert!(
            (at(10_000, 1_000.0) - 1_000.0).abs() < 1e-6,
            "{}",
            at(10_000, 1_000.0)
        );
        assert!(
            at(100, 900.0) > 94.0 && at(100, 900.0) < 96.0,
            "{}",
            at(100, 900.0)
        );
        // A trickle: one record per invocation, never less.
        assert!((records_per_invocation(config(100, 0, 1), 0.001) - 1.0005).abs() < 1e-6);
        assert_eq!(records_per_invocation(config(100, 30, 1), 0.0), 1.0);
        // Window 0: a poll a second, so at 5 records/s about 5 per invocation.
        let polled = records_per_invocation(config(100, 0, 1), 5.0);
        assert!(close(polled, 5.0 / (1.0 - (-5.0f64).exp())), "{polled}");
    }

    #[test]
    fn lanes_share_a_shards_records() {
        let m = Model {
            shards: 2,
            ..model(40.0, line(10.0, 0.1))
        };
        assert_eq!(m.lane_rate(config(100, 1, 4)), 5.0);
        let found = 5.0 / (1.0 - (-5.0f64).exp());
        assert!(close(
            m.predict(config(100, 1, 4)).records_per_invocation,
            found + 5.0
        ));
        // 20 per poll (given at least one: 20 + 4e-8), twice.
        assert!((m.predict(config(100, 1, 1)).records_per_invocation - 40.0).abs() < 1e-6);
    }

    #[test]
    fn bigger_batches_cost_less_and_wait_longer() {
        let m = model(50.0, line(20.0, 0.5));
        let small = m.predict(config(10, 1, 1));
        let big = m.predict(config(100, 5, 1));
        assert_eq!(small.invocations_per_million_orders, 100_000.0);
        assert_eq!(big.invocations_per_million_orders, 10_000.0);
        // 10 records: 25 ms billed; 100 000 × 25 ms × 128 MB = 312.5 GB-s.
        assert!(close(small.gb_seconds_per_million_orders, 312.5));
        let requests = 100_000.0 * 0.20 / 1e6;
        let compute = 312.5 * m.prices.gb_second;
        assert!(close(small.cost_per_million_orders_usd, requests + compute));
        assert!(big.cost_per_million_orders_usd < small.cost_per_million_orders_usd);
        // A second's wait for the poll; then 10 records fill in 0.2 s, and 100 fill in 2 s,
        // before the 5 s window.
        assert!(close(small.delay_mean_ms, 600.0 + 25.0));
        assert!(close(big.delay_p99_ms, 2970.0 + 70.0));
        assert!(big.delay_mean_ms > small.delay_mean_ms);
        // At 50 records/s a lane busy 25 ms per 10 records is busy an eighth of the time.
        assert!(close(small.utilisation, 0.125));
    }

    #[test]
    fn a_runs_invocations_count_its_last_partial_batch() {
        // Measured offline (`demo load --local --rate 50 --orders 300`, 33.8 orders/s achieved
        // on a loaded machine), window 0: 36 invocations at batch size 10, 9 at 100. The model
        // says 34 (polls of 33.8 records on average, in batches of 10) and 9.
        let m = model(33.8, line(20.0, 0.5));
        let run = |batch, window| {
            let p = m.predict_run(config(batch, window, 1), 300);
            assert_eq!(p.run_orders, Some(300));
            p.invocations_per_million_orders * 300.0 / 1e6
        };
        assert!(close(run(10, 0), 34.0), "{}", run(10, 0));
        assert!(close(run(100, 0), 9.0), "{}", run(100, 0));
        assert!(close(run(10, 1), 30.0), "{}", run(10, 1));
        // Measured offline at 48.8 orders/s: 300 orders at 100 / 1 s were 4 invocations of 75.
        // Sustained, a batch gathers two polls' records, 97.7; a run of 300 ends on a partial one.
        let m = model(48.8, line(20.0, 0.5));
        let sustained = m.predict(config(100, 1, 1));
        assert!(sustained.records_per_invocation > 97.0 && sustained.run_orders.is_none());
        let short = m.predict_run(config(100, 1, 1), 300);
        assert!(close(short.records_per_invocation, 75.0), "{short:?}");
        assert!(short.cost_per_million_orders_usd > sustained.cost_per_million_orders_usd);
        // A long run comes close to sustained traffic.
        let long = m.predict_run(config(100, 1, 1), 1_000_000);
        assert!(
            (long.records_per_invocation / sustained.records_per_invocation - 1.0).abs() < 1e-3
        );
        // Two lanes each end on a partial batch: 300 orders as 2 × 150 in batches of 100.
        let lanes = m.predict_run(config(100, 5, 2), 300);
        assert!(
            close(lanes.invocations_per_million_orders * 300.0 / 1e6, 4.0),
            "{lanes:?}"
        );
    }

    #[test]
    fn an_idle_stream_waits_out_the_window() {
        let m = model(0.1, line(20.0, 0.5));
        let p = m.predict(config(100, 30, 1));
        let found = 0.1 / (1.0 - (-0.1f64).exp());
        assert!(close(p.records_per_invocation, found + 3.0));
        assert!(close(p.delay_p99_ms, 30_690.0 + p.duration_ms));
        let polled = m.predict(config(100, 0, 1));
        assert!(close(polled.delay_mean_ms, 500.0 + polled.duration_ms));
    }
}
