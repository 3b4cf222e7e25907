//! Picks the sweep's configuration: the cheapest, the fastest, a weighted balance of the two
//! (as AWS Lambda Power Tuning's `balanced` strategy does), or the cheapest within a p99 budget.
//!
//! Ties are broken the same way every time: by the other metric (p99 for cost, cost for
//! latency and balanced), then by the smaller configuration in the order batch size, window,
//! parallelization — the one that holds records least and needs the least concurrency.

use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::grid::Config;
use crate::model::template::ParameterError;

/// One configuration's two figures, measured or (without a measurement) predicted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Point {
    pub(crate) config: Config,
    pub(crate) cost_per_million_orders_usd: f64,
    pub(crate) p99_ms: f64,
    pub(crate) measured: bool,
}

/// What to optimise for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub(crate) enum Strategy {
    Cost,
    Latency,
    /// `weight` 1 is the cost strategy, 0 the latency one.
    Balanced {
        weight: f64,
    },
}

impl Strategy {
    /// `--strategy balanced --balanced-weight W`, W in [0, 1].
    pub(crate) fn balanced(weight: f64) -> Result<Strategy, ParameterError> {
        if (0.0..=1.0).contains(&weight) {
            Ok(Strategy::Balanced { weight })
        } else {
            Err(ParameterError {
                flag: "--balanced-weight".into(),
                value: weight.to_string(),
                rule: "the allowed range is 0–1 (1 weighs cost only, 0 latency only)".into(),
            })
        }
    }
}

/// The configuration closest to a budget none met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Closest {
    pub(crate) config: Config,
    pub(crate) p99_ms: f64,
}

/// What was chosen, and why.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Choice {
    Chosen {
        config: Config,
        by: Basis,
    },
    /// No measured p99 met the budget; the lowest measured p99, if any was measured.
    NoneMeetsBudget {
        budget_p99_ms: f64,
        closest: Option<Closest>,
    },
    /// No configuration has both figures.
    NoData,
}

/// The rule that chose.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub(crate) enum Basis {
    Strategy(Strategy),
    /// The cheapest whose measured p99 is at most the budget.
    Budget {
        budget_p99_ms: f64,
    },
}

impl Choice {
    pub(crate) fn config(&self) -> Option<Config> {
        match self {
            Choice::Chosen { config, .. } => Some(*config),
            _ => None,
        }
    }
}

/// Chooses among `points` (those with finite figures). With a budget only measured p99s count,
/// and the cheapest that meets it wins whatever the strategy.
pub(crate) fn choose(points: &[Point], strategy: Strategy, budget_p99_ms: Option<f64>) -> Choice {
    let usable: Vec<&Point> = points
        .iter()
        .filter(|p| p.cost_per_million_orders_usd.is_finite() && p.p99_ms.is_finite())
        .collect();
    match budget_p99_ms {
        Some(budget) => within_budget(&usable, budget),
        None => by_strategy(&usable, strategy),
    }
}

fn by_strategy(points: &[&Point], strategy: Strategy) -> Choice {
    let best = match strategy {
        Strategy::Cost => points.iter().min_by(|a, b| by_cost(a, b)),
        Strategy::Latency => points.iter().min_by(|a, b| by_latency(a, b)),
        Strategy::Balanced { weight } => {
            let score = balanced_score(points, weight);
            points
                .iter()
                .min_by(|a, b| score(a).total_cmp(&score(b)).then_with(|| by_cost(a, b)))
        }
    };
    best.map_or(Choice::NoData, |p| Choice::Chosen {
        config: p.config,
        by: Basis::Strategy(strategy),
    })
}

/// Power Tuning's balanced value: each metric divided by its largest value among the
/// candidates, then `weight × cost + (1 − weight) × latency`; lower is better.
fn balanced_score(points: &[&Point], weight: f64) -> impl Fn(&Point) -> f64 {
    let max = |f: fn(&Point) -> f64| points.iter().map(|p| f(p)).fold(0.0, f64::max);
    let cost_max = max(|p| p.cost_per_million_orders_usd);
    let p99_max = max(|p| p.p99_ms);
    let scaled = |value: f64, max: f64| if max > 0.0 { value / max } else { 0.0 };
    move |p: &Point| {
        weight * scaled(p.cost_per_million_orders_usd, cost_max)
            + (1.0 - weight) * scaled(p.p99_ms, p99_max)
    }
}

fn within_budget(points: &[&Point], budget: f64) -> Choice {
    let measured: Vec<&Point> = points.iter().copied().filter(|p| p.measured).collect();
    let cheapest = measured
        .iter()
        .filter(|p| p.p99_ms <= budget)
        .min_by(|a, b| by_cost(a, b));
    if let Some(p) = cheapest {
        return Choice::Chosen {
            config: p.config,
            by: Basis::Budget {
                budget_p99_ms: budget,
            },
        };
    }
    Choice::NoneMeetsBudget {
        budget_p99_ms: budget,
        closest: measured
            .iter()
            .min_by(|a, b| by_latency(a, b))
            .map(|p| Closest {
                config: p.config,
                p99_ms: p.p99_ms,
            }),
    }
}

fn by_cost(a: &Point, b: &Point) -> Ordering {
    a.cost_per_million_orders_usd
        .total_cmp(&b.cost_per_million_orders_usd)
        .then_with(|| a.p99_ms.total_cmp(&b.p99_ms))
        .then_with(|| a.config.cmp(&b.config))
}

fn by_latency(a: &Point, b: &Point) -> Ordering {
    a.p99_ms
        .total_cmp(&b.p99_ms)
        .then_with(|| {
            a.cost_per_million_orders_usd
                .total_cmp(&b.cost_per_million_orders_usd)
        })
        .then_with(|| a.config.cmp(&b.config))
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Cost => f.write_str("the cheapest (strategy cost)"),
            Strategy::Latency => f.write_str("the lowest p99 (strategy latency)"),
            Strategy::Balanced { weight } => {
                write!(
                    f,
                    "the best balance (strategy balanced, weight {weight} on cost)"
                )
            }
        }
    }
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Chosen {
                config,
                by: Basis::Strategy(strategy),
            } => write!(f, "chosen: {} — {strategy}", config.label()),
            Choice::Chosen {
                config,
                by: Basis::Budget { budget_p99_ms },
            } => write!(
                f,
                "chosen: {} — the cheapest whose measured p99 is within {budget_p99_ms:.0} ms",
                config.label()
            ),
            Choice::NoneMeetsBudget {
                budget_p99_ms,
                closest: Some(closest),
            } => write!(
                f,
                "no configuration's measured p99 is within {budget_p99_ms:.0} ms; the closest is \
                 {} at {:.0} ms (raise --max-p99, or add smaller windows to the grid)",
                closest.config.label(),
                closest.p99_ms
            ),
            Choice::NoneMeetsBudget { budget_p99_ms, .. } => write!(
                f,
                "no configuration has a measured p99 to hold against {budget_p99_ms:.0} ms \
                 (predicted rows are not measured; run the sweep without --predict alone)"
            ),
            Choice::NoData => {
                f.write_str("nothing to choose from: no configuration has both figures")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(batch_size: u32, window_seconds: u32, cost: f64, p99_ms: f64) -> Point {
        Point {
            config: Config {
                batch_size,
                window_seconds,
                parallelization: 1,
            },
            cost_per_million_orders_usd: cost,
            p99_ms,
            measured: true,
        }
    }

    /// A sweep's shape: bigger batches and longer windows cost less and wait longer.
    fn sweep() -> Vec<Point> {
        vec![
            point(10, 1, 0.60, 900.0),
            point(100, 1, 0.20, 1_100.0),
            point(10, 5, 0.55, 4_800.0),
            point(100, 5, 0.08, 5_000.0),
        ]
    }

    fn chosen(choice: Choice) -> (u32, u32) {
        let config = choice.config().unwrap_or_else(|| panic!("{choice}"));
        (config.batch_size, config.window_seconds)
    }

    #[test]
    fn cost_and_latency_take_the_extremes() {
        assert_eq!(chosen(choose(&sweep(), Strategy::Cost, None)), (100, 5));
        assert_eq!(chosen(choose(&sweep(), Strategy::Latency, None)), (10, 1));
    }

    #[test]
    fn balanced_weighs_the_normalised_metrics() {
        // weight 1 and 0 are the cost and latency strategies.
        let at = |w| chosen(choose(&sweep(), Strategy::balanced(w).unwrap(), None));
        assert_eq!(at(1.0), (100, 5));
        assert_eq!(at(0.0), (10, 1));
        // 0.5: 100/1 s scores 0.5 × 0.2/0.6 + 0.5 × 1100/5000 = 0.277, the lowest.
        assert_eq!(at(0.5), (100, 1));
        assert!(Strategy::balanced(1.5).is_err());
        assert!(Strategy::balanced(f64::NAN).is_err());
    }

    #[test]
    fn the_budget_takes_the_cheapest_measured_p99_within_it() {
        let choice = choose(&sweep(), Strategy::Latency, Some(2_000.0));
        assert_eq!(chosen(choice), (100, 1));
        assert!(choice.to_string().contains("within 2000 ms"), "{choice}");
        // A cheaper prediction within the budget does not count: its p99 is not measured.
        let mut with_prediction = sweep();
        with_prediction.push(Point {
            measured: false,
            ..point(500, 1, 0.01, 1_000.0)
        });
        assert_eq!(
            chosen(choose(&with_prediction, Strategy::Cost, Some(2_000.0))),
            (100, 1)
        );
    }

    #[test]
    fn nothing_within_the_budget_names_the_closest() {
        let choice = choose(&sweep(), Strategy::Cost, Some(500.0));
        let Choice::NoneMeetsBudget { closest, .. } = choice else {
            panic!("{choice}")
        };
        assert_eq!(closest.map(|c| c.p99_ms), Some(900.0));
        let text = choice.to_string();
        assert!(
            text.contains("no configuration's measured p99 is within 500 ms"),
            "{text}"
        );
        assert!(text.contains("the closest is 10 / 1 s at 900 ms"), "{text}");
        let predicted_only: Vec<Point> = sweep()
            .into_iter()
            .map(|p| Point {
                measured: false,
                ..p
            })
            .collect();
        let none = choose(&predicted_only, Strategy::Cost, Some(10_000.0));
        assert!(
            matches!(none, Choice::NoneMeetsBudget { closest: None, .. }),
            "{none}"
        );
        assert_eq!(choose(&[], Strategy::Cost, None), Choice::NoData);
        let nan = [point(10, 1, f64::NAN, 5.0)];
        assert_eq!(choose(&nan, Strategy::Cost, None), Choice::NoData);
    }

    #[test]
    fn ties_go_to_the_other_metric_then_the_smaller_configuration() {
        // Same cost: the lower p99 wins, wherever it stands in the list.
        let same_cost = [point(100, 5, 0.1, 700.0), point(10, 1, 0.1, 600.0)];
        assert_eq!(chosen(choose(&same_cost, Strategy::Cost, None)), (10, 1));
        // Same cost and p99: the smaller batch size, then the shorter window, in either order.
        let identical = [
            point(100, 1, 0.1, 600.0),
            point(50, 2, 0.1, 600.0),
            point(50, 1, 0.1, 600.0),
        ];
        let mut reversed = identical;
        reversed.reverse();
        for strategy in [
            Strategy::Cost,
            Strategy::Latency,
            Strategy::Balanced { weight: 0.5 },
        ] {
            assert_eq!(chosen(choose(&identical, strategy, None)), (50, 1));
            assert_eq!(chosen(choose(&reversed, strategy, None)), (50, 1));
        }
        assert_eq!(
            chosen(choose(&identical, Strategy::Cost, Some(600.0))),
            (50, 1)
        );
        // Same p99: the cheaper wins the latency strategy.
        let same_p99 = [point(10, 1, 0.5, 600.0), point(100, 1, 0.2, 600.0)];
        assert_eq!(chosen(choose(&same_p99, Strategy::Latency, None)), (100, 1));
    }
}
