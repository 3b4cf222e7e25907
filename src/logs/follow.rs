//! `--follow`: reading the groups again and again, each new event shown once, until Ctrl-C.
//!
//! Each read starts 15 s before the last one began, since CloudWatch may take an event in a
//! little after its timestamp (after a later event of another stream was already read); the
//! event ids already shown are left out. An event CloudWatch takes in more than 15 s after its
//! own timestamp is missed (a clock 15 s ahead of AWS's would miss them too). Between reads the wait grows while nothing new comes (1 s, doubling, at most 8 s)
//! and is back to 1 s as soon as something does.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::LogsError;
use super::read::{Reader, Seen, ShownEvent};
use crate::output::OutputError;
use crate::terminal;

/// How far before the last read each read starts.
const LOOKBACK_MS: i64 = 15_000;

/// The wait between reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    wait: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_secs(1);
    const LONGEST: Duration = Duration::from_secs(8);

    pub(crate) fn new() -> Self {
        Backoff { wait: Self::FIRST }
    }

    pub(crate) fn wait(&self) -> Duration {
        self.wait
    }

    /// After a read: back to the first wait when it found something, else a longer one.
    pub(crate) fn after(&mut self, found: bool) {
        self.wait = if found {
            Self::FIRST
        } else {
            (self.wait * 2).min(Self::LONGEST)
        };
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads the groups until the future is dropped (the command stops it on Ctrl-C), handing each
/// read's new events, oldest first, to `show`. `show` answering false ends it (stdout closed).
pub(crate) async fn follow(
    reader: &Reader<'_>,
    mut seen: Seen,
    since_ms: i64,
    show: &mut dyn FnMut(Vec<ShownEvent>) -> io::Result<bool>,
) -> Result<(), LogsError> {
    let mut backoff = Backoff::new();
    let mut last_read = now_ms();
    loop {
        tokio::time::sleep(backoff.wait()).await;
        let starts = vec![start(since_ms, last_read); reader.sources().len()];
        last_read = now_ms();
        let read = reader.read(&starts).await?;
        let fresh: Vec<ShownEvent> = (read.events.into_iter())
            .filter(|event| seen.first_time(event))
            .collect();
        for (source, start) in starts.iter().enumerate() {
            seen.forget_before(source, *start);
        }
        tracing::debug!(
            new = fresh.len(),
            remembered = seen.remembered(),
            "read the log groups"
        );
        backoff.after(!fresh.is_empty());
        if !fresh.is_empty() && !show(fresh).map_err(OutputError::from)? {
            terminal::note("stdout closed: stopped following");
            return Ok(());
        }
    }
}

/// Where the next read starts: a little before the last one began, never before `--since`.
pub(crate) fn start(since_ms: i64, last_read_ms: i64) -> i64 {
    (last_read_ms - LOOKBACK_MS).max(since_ms)
}

pub(crate) fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_grows_while_nothing_comes_and_resets_when_something_does() {
        let mut backoff = Backoff::new();
        let mut waits = vec![backoff.wait()];
        for _ in 0..5 {
            backoff.after(false);
            waits.push(backoff.wait());
        }
        let seconds: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 8, 8]);
        backoff.after(true);
        assert_eq!(backoff.wait(), Backoff::FIRST);
    }

    #[test]
    fn a_read_starts_before_the_last_one_but_never_before_since() {
        let since = 1_000_000;
        assert_eq!(start(since, 2_000_000), 2_000_000 - LOOKBACK_MS);
        assert_eq!(start(since, since + 10), since);
    }
}
