//! The orders `demo load` sends: the notebook's distribution, a client-made id, a real timestamp.

use std::time::{SystemTime, UNIX_EPOCH};

use orders::Order;
use orders::catalog::random_order;

/// Draws order number `index` independently of every other, so that with a seed the same index
/// always gives the same order (id included) whatever order the workers take them in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderSource {
    seed: Option<u64>,
}

impl OrderSource {
    pub(crate) fn new(seed: Option<u64>) -> Self {
        Self { seed }
    }

    /// The id is made here, once per order, and reused on every retry: the API keeps a
    /// client-sent id, so a retried request can never become a second order.
    pub(crate) fn order(&self, index: u64, now: SystemTime) -> Order {
        let (mut rng, id) = match self.seed {
            Some(seed) => {
                let mut rng = fastrand::Rng::with_seed(splitmix64(seed ^ splitmix64(index)));
                let mut bytes = [0; 16];
                rng.fill(&mut bytes);
                (rng, uuid::Builder::from_random_bytes(bytes).into_uuid())
            }
            // Time-ordered, so ids sort by send time in the tables.
            None => (fastrand::Rng::new(), uuid::Uuid::now_v7()),
        };
        random_order(&mut rng, index, orderdate(now), id.to_string())
    }
}

/// The notebook's `str(datetime.now())` format, in UTC: `2021-12-01 10:11:12.123456`.
pub(crate) fn orderdate(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (days, of_day) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:06}",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        since.subsec_micros()
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Duration;

    use super::*;

    #[test]
    fn orderdate_matches_the_notebook_format() {
        let t = UNIX_EPOCH + Duration::from_micros(1_638_353_472_123_456);
        assert_eq!(orderdate(t), "2021-12-01 10:11:12.123456");
        assert_eq!(orderdate(UNIX_EPOCH), "1970-01-01 00:00:00.000000");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(&orderdate(leap)[..10], "2000-02-29");
        assert_eq!(crate::epoch::millis(t), 1_638_353_472_123);
    }

    #[test]
    fn a_seed_reproduces_orders_and_ids_per_index() {
        let now = SystemTime::now();
        let a = OrderSource::new(Some(42));
        let b = OrderSource::new(Some(42));
        for index in [0, 1, 999, 5] {
            assert_eq!(a.order(index, now), b.order(index, now));
        }
        assert_ne!(a.order(0, now), a.order(1, now));
        assert_ne!(a.order(0, now), OrderSource::new(Some(43)).order(0, now));
    }

    #[test]
    fn orders_are_valid_with_unique_ids() {
        for source in [OrderSource::new(None), OrderSource::new(Some(7))] {
            let mut ids = HashSet::new();
            for index in 0..1000 {
                let order = source.order(index, SystemTime::now());
                let body = order.to_request_body();
                let parsed = Order::from_request_body(&body).unwrap();
                assert_eq!(parsed.vendorid, format!("v{index}"));
                assert!(ids.insert(parsed.orderid.unwrap()));
            }
        }
    }
}
