//! Posting one order: keep-alive client, timeouts, and retries with exponential backoff and
//! jitter for 5xx, 429 and connection errors; any other 4xx is a rejection.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{Client, Url};

use crate::epoch;
use crate::load::error::LoadError;
use crate::load::rate::RateLimiter;
use crate::load::stats::{Accepted, Counters, Rejection, Tally};

/// How the HTTP client behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientOptions {
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
}

/// One client for the whole run: its pool keeps a connection per worker alive.
pub(crate) fn client(options: ClientOptions) -> Result<Client, LoadError> {
    Client::builder()
        .user_agent(concat!("demo-load/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(options.concurrency)
        .pool_idle_timeout(Duration::from_secs(60))
        .timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(5)))
        .tcp_nodelay(true)
        // A redirected POST would silently turn into a GET: report it instead.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(LoadError::Client)
}

/// What to do with an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accept,
    Reject,
    Retry,
}

/// 2xx accepted; 429 and 5xx are the server's trouble, worth another try; the rest (4xx, and
/// 3xx since redirects are not followed) says the request itself is wrong.
pub(crate) fn classify(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Accept,
        429 | 500..=599 => Verdict::Retry,
        _ => Verdict::Reject,
    }
}

/// Exponential backoff with "equal jitter": between half and all of `base · 2^(retry-1)`,
/// capped, so retries spread out but never come back immediately.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    pub(crate) base: Duration,
    pub(crate) cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(50),
            cap: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The wait before retry number `retry` (1-based); a server's `Retry-After` is honoured up
    /// to four times the cap.
    pub(crate) fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rng: &mut fastrand::Rng,
    ) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1 << retry.saturating_sub(1).min(20))
            .min(self.cap);
        let half = ceiling / 2;
        let jittered = half + half.mul_f64(rng.f64());
        match retry_after {
            Some(asked) => jittered.max(asked.min(self.cap * 4)),
            None => jittered,
        }
    }
}

/// Everything a worker needs to post orders.
#[derive(Debug)]
pub(crate) struct Sender {
    pub(crate) client: Client,
    pub(crate) url: Url,
    pub(crate) max_attempts: u32,
    pub(crate) backoff: Backoff,
    pub(crate) limiter: Option<RateLimiter>,
    pub(crate) counters: std::sync::Arc<Counters>,
}

/// The longest rejection reason kept, in characters.
const REASON_CHARS: usize = 200;

impl Sender {
    /// Posts one order until it is accepted, rejected, or out of attempts, and tallies the result.
    /// The caller has already waited for the first attempt's rate token.
    pub(crate) async fn send(
        &self,
        index: u64,
        orderid: String,
        body: Vec<u8>,
        tally: &mut Tally,
        rng: &mut fastrand::Rng,
    ) {
        let mut attempt = 0;
        loop {
            attempt += 1;
            // The worker took the first attempt's token before choosing to send at all.
            if attempt > 1 {
                self.pace().await;
            }
            let sent_at = SystemTime::now();
            let started = Instant::now();
            Counters::bump(&self.counters.requests);
            let (problem, retry_after) = match self.post(body.clone()).await {
                Ok((status, retry_after, text)) => {
                    tally.latencies.record_duration(started.elapsed());
                    match classify(status) {
                        Verdict::Accept => {
                            Counters::bump(&self.counters.accepted);
                            tally.accepted.push(Accepted {
                                index,
                                orderid,
                                sent_at_ms: epoch::millis(sent_at),
                            });
                            return;
                        }
                        Verdict::Reject => {
                            Counters::bump(&self.counters.rejected);
                            *tally.rejected_by_status.entry(status).or_default() += 1;
                            tally.add_reason(Rejection {
                                status,
                                reason: text.chars().take(REASON_CHARS).collect(),
                            });
                            return;
                        }
                        Verdict::Retry => (format!("HTTP {status}"), retry_after),
                    }
                }
                Err(error) => (describe(&error), None),
            };
            if attempt >= self.max_attempts {
                Counters::bump(&self.counters.failed);
                let reason = format!("{problem} after {attempt} attempts");
                *tally.failures.entry(reason).or_default() += 1;
                return;
            }
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(self.backoff.delay(attempt, retry_after, rng)).await;
        }
    }

    /// Waits for a `--rate` token, if there is a cap.
    pub(crate) async fn pace(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.acquire().await;
        }
    }

    /// One request; the body is read to the end so the connection goes back to the pool.
    async fn post(&self, body: Vec<u8>) -> Result<(u16, Option<Duration>, String), reqwest::Error> {
        let response = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = response.text().await?;
        Ok((status, retry_after, text))
    }
}

/// A short, stable description of a transport error, for counting failures by kind.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timeout".into()
    } else if error.is_connect() {
        "connection failed".into()
    } else if error.is_body() || error.is_decode() {
        "broken response".into()
    } else {
        "request error".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(200), Verdict::Accept);
        assert_eq!(classify(201), Verdict::Accept);
        assert_eq!(classify(429), Verdict::Retry);
        assert_eq!(classify(500), Verdict::Retry);
        assert_eq!(classify(503), Verdict::Retry);
        assert_eq!(classify(400), Verdict::Reject);
        assert_eq!(classify(403), Verdict::Reject);
        assert_eq!(classify(413), Verdict::Reject);
        assert_eq!(classify(301), Verdict::Reject);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let backoff = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..100 {
            let first = backoff.delay(1, None, &mut rng);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = backoff.delay(3, None, &mut rng);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = backoff.delay(30, None, &mut rng);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
        let asked = backoff.delay(1, Some(Duration::from_secs(2)), &mut rng);
        assert_eq!(asked, Duration::from_secs(2));
        let greedy = backoff.delay(1, Some(Duration::from_secs(3600)), &mut rng);
        assert_eq!(greedy, Duration::from_secs(4));
    }
}
