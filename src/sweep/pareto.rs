//! The Pareto frontier of a sweep over (cost per million orders, p99): the configurations no
//! other beats on one figure without losing on the other — the only ones worth choosing from.

use super::choose::Point;

/// Whether `a` dominates `b`: no worse on both figures and better on at least one.
fn dominates(a: &Point, b: &Point) -> bool {
    let (ac, ap) = (a.cost_per_million_orders_usd, a.p99_ms);
    let (bc, bp) = (b.cost_per_million_orders_usd, b.p99_ms);
    ac <= bc && ap <= bp && (ac < bc || ap < bp)
}

/// The points (with finite figures) that no other point dominates, cheapest first (then lowest
/// p99, then smallest configuration). Points with equal figures are all kept: neither beats the
/// other. A sweep grid is small, so every pair is compared.
pub(crate) fn frontier(points: &[Point]) -> Vec<Point> {
    let finite: Vec<&Point> = points
        .iter()
        .filter(|p| p.cost_per_million_orders_usd.is_finite() && p.p99_ms.is_finite())
        .collect();
    let mut front: Vec<Point> = finite
        .iter()
        .filter(|p| !finite.iter().any(|q| dominates(q, p)))
        .map(|p| **p)
        .collect();
    front.sort_by(|a, b| {
        a.cost_per_million_orders_usd
            .total_cmp(&b.cost_per_million_orders_usd)
            .then_with(|| a.p99_ms.total_cmp(&b.p99_ms))
            .then_with(|| a.config.cmp(&b.config))
    });
    front
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::grid::Config;

    fn point(batch_size: u32, cost: f64, p99_ms: f64) -> Point {
        Point {
            config: Config {
                batch_size,
                window_seconds: 1,
                parallelization: 1,
            },
            cost_per_million_orders_usd: cost,
            p99_ms,
            measured: true,
        }
    }

    fn batches(points: &[Point]) -> Vec<u32> {
        points.iter().map(|p| p.config.batch_size).collect()
    }

    #[test]
    fn dominated_points_leave_the_frontier() {
        let points = [
            point(1, 1.00, 100.0),
            point(2, 0.50, 500.0),
            point(3, 0.60, 600.0), // worse than 2 on both
            point(4, 0.10, 5_000.0),
            point(5, 0.50, 700.0), // same cost as 2, slower
            point(6, 1.00, 90.0),  // same cost as 1, faster: 1 leaves
        ];
        assert_eq!(batches(&frontier(&points)), [4, 2, 6]);
    }

    #[test]
    fn equal_points_stay_together_and_order_is_fixed() {
        let points = [
            point(7, 0.5, 500.0),
            point(3, 0.5, 500.0),
            point(9, 0.2, 900.0),
        ];
        assert_eq!(batches(&frontier(&points)), [9, 3, 7]);
    }

    #[test]
    fn empty_and_unusable_points_give_an_empty_frontier() {
        assert!(frontier(&[]).is_empty());
        let one = [point(1, f64::NAN, 1.0), point(2, 0.3, 300.0)];
        assert_eq!(batches(&frontier(&one)), [2]);
    }
}
