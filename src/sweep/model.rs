//! The sweep's model: a consumer's duration fitted as `a + b × records`, and from the traffic
//! rate, for any configuration, the records per invocation, invocations and cost per million
//! orders (at the report's prices) and the batching delay to expect.

use serde::{Deserialize, Serialize};

use super::grid::{Config, POLL_INTERVAL};
use crate::report::cost::{self, Prices, Usage};

/// A consumer's invocations, as measured: so many, of so many records on average, taking so long
/// on average. A configuration's figures are one such observation, weighted by its invocations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    pub invocations: f64,
    pub records_per_invocation: f64,
    pub duration_ms: f64,
}

/// `duration_ms = intercept_ms + per_record_ms × records`, fitted by weighted least squares.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    pub intercept_ms: f64,
    pub per_record_ms: f64,
    /// How much of the durations' variance the line explains (None: nothing varied).
    pub r_squared: Option<f64>,
    /// Invocations the fit rests on.
    pub invocations: f64,
    /// Observations (configurations) it rests on.
    pub observations: usize,
}

impl Fit {
    pub fn duration_ms(&self, records: f64) -> f64 {
        (self.intercept_ms + self.per_record_ms * records).max(0.0)
    }
}

/// Fits the line through the observations, each weighted by its invocations. With one batch size
/// only (no spread in records) the slope cannot be told apart: it is 0 and the intercept the
/// mean. None without any invocation.
pub fn fit(observations: &[Observation]) -> Option<Fit> {
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
pub struct Model {
    /// Orders per second into the stream (each order is one record).
    pub rate_per_second: f64,
    pub shards: u32,
    pub memory_mb: f64,
    pub prices: Prices,
    pub fit: Fit,
}

/// What the model expects of one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub records_per_invocation: f64,
    pub invocations_per_million_orders: f64,
    pub duration_ms: f64,
    pub gb_seconds_per_million_orders: f64,
    pub cost_per_million_orders_usd: f64,
    /// How long a record waits to be handed over, plus the invocation: mean and p99.
    pub delay_mean_ms: f64,
    pub delay_p99_ms: f64,
    /// Busy time per unit of time of one batch lane; at 1 or more the lane falls behind.
    pub utilisation: f64,
}

impl Prediction {
    /// Invocations a run of `orders` makes: whole batches, the last one partial.
    pub fn invocations_for(&self, orders: u64) -> f64 {
        (orders as f64 / self.records_per_invocation).ceil()
    }
}

impl Model {
    /// Records per second reaching one batch lane: a shard's share, split over the
    /// configuration's lanes (Lambda hashes partition keys to them; the order ids spread evenly).
    pub fn lane_rate(&self, config: Config) -> f64 {
        self.rate_per_second / f64::from(self.shards.max(1)) / f64::from(config.parallelization)
    }

    pub fn predict(&self, config: Config) -> Prediction {
        let lane_rate = self.lane_rate(config);
        let records = records_per_invocation(config, lane_rate);
        let duration_ms = self.fit.duration_ms(records);
        let invocations = 1e6 / records;
        let billed_mb_ms = cost::estimated_mb_ms(invocations, duration_ms, self.memory_mb);
        let usage = Usage {
            requests: invocations,
            billed_mb_ms,
        };
        let cost = cost::cost(usage, &self.prices, 1e6);
        let gathering_ms = gathering_seconds(config, lane_rate) * 1000.0;
        Prediction {
            records_per_invocation: records,
            invocations_per_million_orders: invocations,
            duration_ms,
            gb_seconds_per_million_orders: cost.gb_seconds,
            cost_per_million_orders_usd: cost.total_usd,
            delay_mean_ms: gathering_ms / 2.0 + duration_ms,
            delay_p99_ms: gathering_ms * 0.99 + duration_ms,
            utilisation: lane_rate * duration_ms / 1000.0 / records,
        }
    }
}

/// Expected records in one invocation, for Poisson arrivals at `lane_rate` per second.
///
/// With a window W > 0 the first record opens the batch and the window gathers λ·W more on
/// average: `1 + λW`. With W = 0 Lambda hands over whatever one poll (about a second apart)
/// found, and polls that found nothing invoke nothing: the mean of a Poisson count given at least
/// one, `μ / (1 − e^−μ)` with `μ = λ × 1 s`. Both tend to 1 at low rates and to λW at high ones
/// (the issue's `min(B, max(1, λW))`), and a batch never holds more than B.
pub fn records_per_invocation(config: Config, lane_rate: f64) -> f64 {
    let batch = f64::from(config.batch_size);
    let expected = if config.window_seconds > 0 {
        1.0 + lane_rate * f64::from(config.window_seconds)
    } else {
        let per_poll = lane_rate * POLL_INTERVAL.as_secs_f64();
        if per_poll > 0.0 {
            per_poll / (1.0 - (-per_poll).exp())
        } else {
            1.0
        }
    };
    expected.clamp(1.0, batch)
}

/// How long a batch gathers before it is handed over: the window (or the poll interval at 0),
/// or less when the batch fills first.
fn gathering_seconds(config: Config, lane_rate: f64) -> f64 {
    let window = config.longest_wait().as_secs_f64();
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
        // 50 orders/s, 1 s window: 1 + 50 = 51, capped by the batch size.
        assert_eq!(records_per_invocation(config(10, 1, 1), 50.0), 10.0);
        assert_eq!(records_per_invocation(config(100, 1, 1), 50.0), 51.0);
        assert_eq!(records_per_invocation(config(100, 5, 1), 50.0), 100.0);
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
        assert_eq!(m.predict(config(100, 1, 4)).records_per_invocation, 6.0);
        assert_eq!(m.predict(config(100, 1, 1)).records_per_invocation, 21.0);
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
        // 10 records fill in 0.2 s; 100 fill in 2 s, before the 5 s window.
        assert!(close(small.delay_mean_ms, 100.0 + 25.0));
        assert!(close(big.delay_p99_ms, 1980.0 + 70.0));
        assert!(big.delay_mean_ms > small.delay_mean_ms);
        // At 50 records/s a lane busy 25 ms per 10 records is busy an eighth of the time.
        assert!(close(small.utilisation, 0.125));
    }

    #[test]
    fn a_runs_invocations_count_its_last_partial_batch() {
        // Measured offline: 300 orders at 48.6/s, 100 records / 1 s window: 7 invocations.
        let p = model(48.6, line(20.0, 0.5)).predict(config(100, 1, 1));
        assert!(close(p.records_per_invocation, 49.6));
        assert_eq!(p.invocations_for(300), 7.0);
        assert_eq!(
            model(50.0, line(20.0, 0.5))
                .predict(config(10, 1, 1))
                .invocations_for(300),
            30.0
        );
    }

    #[test]
    fn an_idle_stream_waits_out_the_window() {
        let m = model(0.1, line(20.0, 0.5));
        let p = m.predict(config(100, 30, 1));
        assert!(close(p.records_per_invocation, 4.0));
        assert!(close(p.delay_p99_ms, 29_700.0 + 22.0));
        let polled = m.predict(config(100, 0, 1));
        assert!(close(polled.delay_mean_ms, 500.0 + polled.duration_ms));
    }
}
