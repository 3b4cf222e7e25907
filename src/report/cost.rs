//! Lambda's published prices and the cost arithmetic: billed MB-ms → GB-seconds → dollars.

use serde::{Deserialize, Serialize};

use crate::artifacts::Arch;

/// Lambda's list prices (us-east-1, first tier), as published on aws.amazon.com/lambda/pricing.
/// Most regions charge the same; `--price-gb-second` / `--price-per-million-requests` override.
pub(crate) const PUBLISHED: PriceList = PriceList {
    as_of: "2026-11-26",
    source: "aws.amazon.com/lambda/pricing, us-east-1, first tier",
    gb_second_arm64: 0.000_013_333_4,
    gb_second_x86_64: 0.000_016_666_7,
    per_million_requests: 0.20,
};

/// The published price list the tool ships with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PriceList {
    as_of: &'static str,
    pub(crate) source: &'static str,
    gb_second_arm64: f64,
    gb_second_x86_64: f64,
    pub(crate) per_million_requests: f64,
}

/// The prices one report uses: the list's for the deployed architecture, or the user's.
/// Deserialize: `demo sweep --from FILE` reads them back.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Prices {
    pub(crate) architecture: String,
    pub(crate) gb_second: f64,
    pub(crate) per_million_requests: f64,
    /// Where the figures come from: the list and its date, or "given on the command line".
    pub(crate) source: String,
}

/// Prices the user gave instead of the list's.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct PriceOverrides {
    pub(crate) gb_second: Option<f64>,
    pub(crate) per_million_requests: Option<f64>,
}

impl PriceList {
    pub(crate) fn for_arch(&self, arch: Arch, overrides: PriceOverrides) -> Prices {
        let listed = match arch {
            Arch::Arm64 => self.gb_second_arm64,
            Arch::X86_64 => self.gb_second_x86_64,
        };
        let overridden = overrides.gb_second.is_some() || overrides.per_million_requests.is_some();
        Prices {
            architecture: arch.name().to_owned(),
            gb_second: overrides.gb_second.unwrap_or(listed),
            per_million_requests: overrides
                .per_million_requests
                .unwrap_or(self.per_million_requests),
            source: if overridden {
                format!(
                    "given on the command line (list: {}, {})",
                    self.source, self.as_of
                )
            } else {
                format!("{}, {}", self.source, self.as_of)
            },
        }
    }
}

/// What one function was billed for in the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Usage {
    pub(crate) requests: f64,
    pub(crate) billed_mb_ms: f64,
}

/// What that usage costs.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub(crate) struct Cost {
    pub(crate) gb_seconds: f64,
    pub(crate) compute_usd: f64,
    pub(crate) requests_usd: f64,
    pub(crate) total_usd: f64,
    /// The total scaled to one million orders (None when no orders were seen).
    pub(crate) per_million_orders_usd: Option<f64>,
}

/// MB-ms (the unit Lambda Insights calls "function cost") to GB-seconds.
pub(crate) fn gb_seconds(mb_ms: f64) -> f64 {
    mb_ms / 1024.0 / 1000.0
}

/// Billed MB-ms when no billed figures are at hand: each invocation billed the average duration
/// rounded up to the millisecond (Lambda bills per 1 ms), at the configured memory.
pub(crate) fn estimated_mb_ms(invocations: f64, average_duration_ms: f64, memory_mb: f64) -> f64 {
    invocations * average_duration_ms.ceil() * memory_mb
}

pub(crate) fn cost(usage: Usage, prices: &Prices, orders: f64) -> Cost {
    let gb_seconds = gb_seconds(usage.billed_mb_ms);
    let compute_usd = gb_seconds * prices.gb_second;
    let requests_usd = usage.requests * prices.per_million_requests / 1e6;
    let total_usd = compute_usd + requests_usd;
    Cost {
        gb_seconds,
        compute_usd,
        requests_usd,
        total_usd,
        per_million_orders_usd: (orders > 0.0).then(|| total_usd / orders * 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    #[test]
    fn arm64_thousand_invocations_of_ten_ms_at_128_mb() {
        // 1000 × 10 ms × 128 MB = 1,280,000 MB-ms = 1.25 GB-s.
        let prices = PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default());
        let usage = Usage {
            requests: 1000.0,
            billed_mb_ms: 1_280_000.0,
        };
        let c = cost(usage, &prices, 1000.0);
        assert!(close(c.gb_seconds, 1.25));
        assert!(close(c.compute_usd, 1.25 * 0.000_013_333_4)); // $0.00001666675
        assert!(close(c.requests_usd, 0.000_2));
        assert!(close(c.total_usd, 0.000_216_666_75));
        assert!(close(c.per_million_orders_usd.unwrap(), 0.216_666_75));
    }

    #[test]
    fn x86_64_costs_more_for_the_same_usage() {
        let prices = PUBLISHED.for_arch(Arch::X86_64, PriceOverrides::default());
        let usage = Usage {
            requests: 1000.0,
            billed_mb_ms: 1_280_000.0,
        };
        let c = cost(usage, &prices, 500.0);
        assert!(close(c.compute_usd, 0.000_020_833_375));
        assert!(close(c.total_usd, 0.000_220_833_375));
        // 500 orders: twice the cost per order of the 1000-order case above.
        assert!(close(c.per_million_orders_usd.unwrap(), 0.441_666_75));
    }

    #[test]
    fn the_original_consumer_figure_in_dollars() {
        // item_put_1's 111,837 MB-ms from the original's Insights screenshot, on arm64.
        let prices = PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default());
        let c = cost(
            Usage {
                requests: 0.0,
                billed_mb_ms: 111_837.0,
            },
            &prices,
            0.0,
        );
        assert!(close(c.gb_seconds, 0.109_215_820_312_5));
        assert!(close(c.total_usd, 0.109_215_820_312_5 * 0.000_013_333_4));
        assert_eq!(c.per_million_orders_usd, None);
    }

    #[test]
    fn estimates_round_each_invocation_up_to_the_millisecond() {
        assert_eq!(estimated_mb_ms(7.0, 12.3, 256.0), 7.0 * 13.0 * 256.0);
        assert_eq!(estimated_mb_ms(2.0, 5.0, 128.0), 1280.0);
        assert_eq!(estimated_mb_ms(0.0, 0.0, 128.0), 0.0);
    }

    #[test]
    fn overrides_replace_the_list_and_say_so() {
        let overrides = PriceOverrides {
            gb_second: Some(0.00002),
            per_million_requests: None,
        };
        let prices = PUBLISHED.for_arch(Arch::Arm64, overrides);
        assert_eq!(prices.gb_second, 0.00002);
        assert_eq!(prices.per_million_requests, 0.20);
        assert!(prices.source.starts_with("given on the command line"));
        let listed = PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default());
        assert!(listed.source.contains("2026-11-26"));
    }
}
