//! The sending loop: `concurrency` workers take order numbers from one counter until the count
//! or the time is up, and share one client, one rate limiter and one set of counters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::Url;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::load::error::LoadError;
use crate::load::generate::OrderSource;
use crate::load::progress::LoadProgress;
use crate::load::rate::RateLimiter;
use crate::load::send::{self, Backoff, ClientOptions, Sender};
use crate::load::stats::{Counters, Snapshot, Tally};
use crate::load::verify::VerifySettings;
use crate::terminal::{self, ProgressMode};

/// What `demo load` was asked for, every value checked: what to send, how fast, for how
/// long, and what to do with the accepted orders.
#[derive(Debug, Clone)]
pub(crate) struct LoadPlan {
    /// `--url`; `None`: the deployed stack's API (or, with `--local`, the stand-in).
    pub(crate) url: Option<Url>,
    /// Stop after this many orders (`None`: only the duration bounds the run).
    pub(crate) orders: Option<u64>,
    /// Stop taking new orders after this long.
    pub(crate) duration: Option<Duration>,
    pub(crate) concurrency: usize,
    pub(crate) rate: Option<f64>,
    pub(crate) seed: Option<u64>,
    pub(crate) timeout: Duration,
    pub(crate) max_attempts: u32,
    /// `--ids FILE`: where the accepted ids go, for `demo verify`.
    pub(crate) ids_file: Option<std::path::PathBuf>,
    /// Set by `--verify`.
    pub(crate) verify: Option<VerifySettings>,
}

/// What happened, before it is turned into a report.
#[derive(Debug)]
pub(crate) struct LoadRun {
    pub(crate) tally: Tally,
    pub(crate) counts: Snapshot,
    pub(crate) elapsed: Duration,
    pub(crate) interrupted: bool,
}

/// Shared by all workers.
struct Shared {
    sender: Sender,
    source: OrderSource,
    next: AtomicU64,
    stop: AtomicBool,
    orders: Option<u64>,
    deadline: Option<Instant>,
}

/// Sends the plan's orders to `url`.
pub(crate) async fn run(
    plan: &LoadPlan,
    url: &Url,
    mode: ProgressMode,
) -> Result<LoadRun, LoadError> {
    let client = send::client(ClientOptions {
        concurrency: plan.concurrency,
        timeout: plan.timeout,
    })?;
    let counters = Arc::new(Counters::default());
    let start = Instant::now();
    let shared = Arc::new(Shared {
        sender: Sender {
            client,
            url: url.clone(),
            max_attempts: plan.max_attempts,
            backoff: Backoff::default(),
            // A burst of a tenth of a second's worth keeps pacing smooth without overshooting.
            limiter: plan
                .rate
                .map(|rate| RateLimiter::new(rate, (rate / 10.0).clamp(1.0, 100.0) as u32)),
            counters: Arc::clone(&counters),
        },
        source: OrderSource::new(plan.seed),
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        orders: plan.orders,
        deadline: plan.duration.map(|duration| start + duration),
    });
    let progress = LoadProgress::start(mode, Arc::clone(&counters), plan.orders);
    let interrupt = tokio::spawn(stop_on_ctrl_c(Arc::clone(&shared)));

    let mut workers = JoinSet::new();
    for _ in 0..plan.concurrency {
        workers.spawn(worker(Arc::clone(&shared)));
    }
    let mut tally = Tally::default();
    while let Some(done) = workers.join_next().await {
        tally.merge(done.expect("a load worker panicked"));
    }
    let elapsed = start.elapsed();
    interrupt.abort();
    progress.finish();
    tally.accepted.sort_by_key(|accepted| accepted.index);
    Ok(LoadRun {
        tally,
        counts: counters.snapshot(),
        elapsed,
        interrupted: shared.stop.load(Ordering::Relaxed),
    })
}

async fn worker(shared: Arc<Shared>) -> Tally {
    let mut tally = Tally::default();
    let mut rng = fastrand::Rng::new();
    loop {
        // Token first, then the checks: with a rate cap, time passes while waiting.
        shared.sender.pace().await;
        let out_of_time = shared.deadline.is_some_and(|at| Instant::now() >= at);
        if out_of_time || shared.stop.load(Ordering::Relaxed) {
            break;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if shared.orders.is_some_and(|orders| index >= orders) {
            break;
        }
        let order = shared.source.order(index, SystemTime::now());
        let orderid = order.orderid.clone().expect("generated orders carry an id");
        let body = order.to_request_body();
        shared
            .sender
            .send(index, orderid, body, &mut tally, &mut rng)
            .await;
    }
    tally
}

/// First Ctrl-C: stop taking new orders, finish those in flight, print the summary.
/// Second: give up at once.
async fn stop_on_ctrl_c(shared: Arc<Shared>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    shared.stop.store(true, Ordering::Relaxed);
    terminal::line("load: stopping after the requests in flight (Ctrl-C again to quit now)");
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}
