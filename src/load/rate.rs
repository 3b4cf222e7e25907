//! `--rate`: a token bucket shared by all workers, so retries count against the cap too.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket kept as "the time the next token is due" (GCRA): one token every `interval`,
/// at most `burst` saved up while idle. Each caller reserves its own slot, so waiters never
/// race for the same token and the long-run rate is exact.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    interval: Duration,
    burst: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    /// `per_second` must be above 0 (the flag check guarantees it).
    pub(crate) fn new(per_second: f64, burst: u32) -> Self {
        let interval = Duration::from_secs_f64(1.0 / per_second);
        Self {
            interval,
            burst: interval * burst.saturating_sub(1),
            next: Mutex::new(Instant::now()),
        }
    }

    /// Waits for a token.
    pub(crate) async fn acquire(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }

    /// Reserves the next token and returns when it is due (pure bookkeeping, no waiting).
    fn reserve(&self, now: Instant) -> Instant {
        let mut next = self
            .next
            .lock()
            .expect("the rate limiter's lock is never poisoned");
        let earliest = now.checked_sub(self.burst).unwrap_or(now);
        let slot = (*next).max(earliest);
        *next = slot + self.interval;
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_spaced_by_the_interval() {
        let limiter = RateLimiter::new(100.0, 1);
        let start = Instant::now();
        let slots: Vec<Instant> = (0..5).map(|_| limiter.reserve(start)).collect();
        for (i, slot) in slots.iter().enumerate() {
            let expected = Duration::from_millis(10) * i as u32;
            let offset = slot.duration_since(start);
            assert!(
                offset.abs_diff(expected) < Duration::from_micros(50),
                "{offset:?}"
            );
        }
    }

    #[test]
    fn idle_time_saves_up_at_most_the_burst() {
        let limiter = RateLimiter::new(100.0, 3);
        let later = Instant::now() + Duration::from_secs(10);
        let slots: Vec<Instant> = (0..4).map(|_| limiter.reserve(later)).collect();
        // Three saved tokens are due at once (already past), the fourth waits.
        assert!(slots[..3].iter().all(|slot| *slot <= later));
        assert!(slots[3] > later - Duration::from_millis(1));
    }

    #[tokio::test]
    async fn acquire_paces_callers() {
        let limiter = RateLimiter::new(200.0, 1);
        let start = std::time::Instant::now();
        for _ in 0..41 {
            limiter.acquire().await;
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(195) && elapsed < Duration::from_millis(300),
            "{elapsed:?}"
        );
    }
}
