//! The time window a report covers, and the CloudWatch periods that fit it.
//!
//! GetMetricData rounds a query's StartTime down to the granularity it keeps for data that old:
//! the whole minute for a start less than 15 days ago (12:32:34 becomes 12:32:00), 5 minutes
//! between 15 and 63 days, the hour beyond (GetMetricData API reference, StartTime). A window
//! starting at 12:32:34 would read the whole 12:32 bucket, and a percentile read with one period
//! spanning the window would take in data from before it. So a report's window is widened to
//! whole periods of that granularity (as `demo sweep`'s runs start and end on whole minutes):
//! what is read is exactly the periods asked for, and the report prints that window.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};

/// CloudWatch keeps data 15 months; older windows have nothing to show.
const RETENTION: Duration = Duration::from_secs(455 * 24 * 3600);
/// CloudWatch's finest standard resolution: a shorter window is widened to this.
const SHORTEST: Duration = Duration::from_secs(60);
/// About this many points per line on the chart.
const POINTS: u64 = 120;

/// What `--since` said: a length back from now, or a moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Since {
    Ago(Duration),
    At(SystemTime),
}

/// The half-open interval [start, end) the report covers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    pub(crate) start: SystemTime,
    pub(crate) end: SystemTime,
}

/// A `--since` that cannot be used: all of them the user's to fix.
#[derive(Debug, PartialEq, thiserror::Error)]
pub(crate) enum WindowError {
    #[error("invalid --since {value:?}: the time is out of range")]
    OutOfRange { value: String },

    /// Neither a time nor a length; `cause` says why it is no length.
    #[error("{cause} (or give a time such as 2026-11-26T07:00:00Z)")]
    Unreadable { cause: String },

    #[error("invalid --since: {} is not in the past (now is {})", rfc3339(*.start), rfc3339(*.now))]
    NotInThePast { start: SystemTime, now: SystemTime },

    #[error(
        "invalid --since: {} is older than CloudWatch keeps metrics (15 months); give a later time",
        rfc3339(*.start)
    )]
    BeyondRetention { start: SystemTime },
}

/// `--since 1h`, `90m`, `1h30m` or an RFC 3339 time such as `2026-11-26T07:00:00Z`.
pub(crate) fn parse_since(value: &str) -> Result<Since, WindowError> {
    if let Ok(at) = DateTime::from_str(value.trim(), DateTimeFormat::DateTime) {
        return SystemTime::try_from(at)
            .map(Since::At)
            .map_err(|_| WindowError::OutOfRange {
                value: value.to_owned(),
            });
    }
    crate::load::flags::duration("--since", value)
        .map(Since::Ago)
        .map_err(|err| WindowError::Unreadable {
            cause: err.to_string(),
        })
}

impl Window {
    /// From `--since` when given, else from the last change to the stack or its mappings.
    pub(crate) fn resolve(
        since: Option<Since>,
        last_change: SystemTime,
        now: SystemTime,
    ) -> Result<Window, WindowError> {
        let start = match since {
            Some(Since::Ago(ago)) => now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH),
            Some(Since::At(at)) => at,
            None => last_change,
        };
        if start >= now {
            return Err(WindowError::NotInThePast { start, now });
        }
        let oldest = now.checked_sub(RETENTION).unwrap_or(SystemTime::UNIX_EPOCH);
        if start < oldest && since.is_some() {
            return Err(WindowError::BeyondRetention { start });
        }
        let latest = now.checked_sub(SHORTEST).unwrap_or(SystemTime::UNIX_EPOCH);
        Ok(Window::aligned(start.max(oldest).min(latest), now, now))
    }

    /// [start, end) widened to whole periods of the granularity CloudWatch keeps for data that
    /// old: the start rounded down (as GetMetricData rounds it), the end rounded up, so that no
    /// period is read in part.
    pub(crate) fn aligned(start: SystemTime, end: SystemTime, now: SystemTime) -> Window {
        let mut start = start;
        // Rounding down makes the start older, which may cross into a coarser granularity.
        loop {
            let step = granularity(start, now);
            let rounded = round_down(start, step);
            if rounded == start {
                return Window {
                    start,
                    end: round_up(end, step),
                };
            }
            start = rounded;
        }
    }

    pub(crate) fn seconds(&self) -> u64 {
        self.end
            .duration_since(self.start)
            .unwrap_or_default()
            .as_secs()
            .max(1)
    }

    /// The period of the chart's series: about 120 points, and no finer than CloudWatch
    /// still keeps for data that old (1 min for 15 days, 5 min for 63 days, then 1 h).
    pub(crate) fn series_period(&self, now: SystemTime) -> i32 {
        let wanted = self.seconds().div_ceil(POINTS);
        to_period(wanted.max(self.granularity(now)), self.granularity(now))
    }

    /// One period that spans the whole window, for statistics that cannot be summed across
    /// periods (percentiles).
    pub(crate) fn whole_period(&self, now: SystemTime) -> i32 {
        to_period(self.seconds(), self.granularity(now))
    }

    /// The seconds CloudWatch rounds this window's start to (see the module's comment).
    pub(crate) fn granularity(&self, now: SystemTime) -> u64 {
        granularity(self.start, now)
    }

    /// The granularity the window is aligned to, in words: "whole minutes", "whole 5-minute
    /// periods" or "whole hours".
    pub(crate) fn alignment(&self, now: SystemTime) -> &'static str {
        match self.granularity(now) {
            3600 => "whole hours",
            300 => "whole 5-minute periods",
            _ => "whole minutes",
        }
    }
}

/// What GetMetricData rounds a start time to, by the age of the data.
fn granularity(start: SystemTime, now: SystemTime) -> u64 {
    let age = now.duration_since(start).unwrap_or_default().as_secs();
    match age {
        a if a > 63 * 24 * 3600 => 3600,
        a if a > 15 * 24 * 3600 => 300,
        _ => 60,
    }
}

fn epoch_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

fn round_down(time: SystemTime, step: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(epoch_seconds(time) / step * step)
}

fn round_up(time: SystemTime, step: u64) -> SystemTime {
    let exact = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = exact.as_secs() + u64::from(exact.subsec_nanos() > 0);
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds.div_ceil(step) * step)
}

/// `seconds` rounded up to a multiple of `step` (CloudWatch periods are multiples of 60).
fn to_period(seconds: u64, step: u64) -> i32 {
    i32::try_from(seconds.div_ceil(step) * step).unwrap_or(i32::MAX / 3600 * 3600)
}

/// The time to the second, e.g. `2026-11-26T07:00:00Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    DateTime::from_secs(DateTime::from(time).secs())
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        match parse_since(text).unwrap() {
            Since::At(time) => time,
            Since::Ago(_) => panic!("{text} parsed as a duration"),
        }
    }

    #[test]
    fn since_takes_durations_and_times() {
        assert_eq!(parse_since("1h"), Ok(Since::Ago(Duration::from_secs(3600))));
        assert_eq!(
            parse_since("90m"),
            Ok(Since::Ago(Duration::from_secs(5400)))
        );
        let time = at("2026-11-26T07:00:00Z");
        assert_eq!(rfc3339(time), "2026-11-26T07:00:00Z");
        let err = parse_since("yesterday").unwrap_err().to_string();
        assert!(
            err.contains("--since") && err.contains("2026-11-26T07:00:00Z"),
            "{err}"
        );
    }

    #[test]
    fn default_window_starts_at_the_last_change() {
        let now = at("2026-11-26T08:00:00Z");
        let changed = at("2026-11-26T07:30:00Z");
        let window = Window::resolve(None, changed, now).unwrap();
        assert_eq!(window.start, changed);
        assert_eq!(window.seconds(), 1800);
        let hour = Window::resolve(Some(Since::Ago(Duration::from_secs(3600))), changed, now);
        assert_eq!(hour.unwrap().seconds(), 3600);
        // A change a moment ago still gives CloudWatch one whole minute to answer for.
        let just_now = at("2026-11-26T07:59:59Z");
        assert_eq!(Window::resolve(None, just_now, now).unwrap().seconds(), 60);
    }

    #[test]
    fn future_and_too_old_starts_are_refused() {
        let now = at("2026-11-26T08:00:00Z");
        let later = Some(Since::At(at("2026-11-26T09:00:00Z")));
        let err = Window::resolve(later, now, now).unwrap_err().to_string();
        assert!(err.contains("not in the past"), "{err}");
        let ancient = Some(Since::At(at("2020-01-01T00:00:00Z")));
        let err = Window::resolve(ancient, now, now).unwrap_err().to_string();
        assert!(err.contains("15 months"), "{err}");
    }

    #[test]
    fn a_window_starts_on_the_minute_cloudwatch_rounds_to_and_is_one_whole_period() {
        let now = at("2026-11-26T13:00:00Z");
        let since = Some(Since::At(at("2026-11-26T12:32:34Z")));
        let window = Window::resolve(since, now, now).unwrap();
        assert_eq!(rfc3339(window.start), "2026-11-26T12:32:00Z");
        assert_eq!(rfc3339(window.end), "2026-11-26T13:00:00Z");
        assert_eq!(window.whole_period(now), 28 * 60);
        assert_eq!(window.whole_period(now) as u64, window.seconds());
        assert_eq!(window.alignment(now), "whole minutes");
    }

    #[test]
    fn the_end_is_rounded_up_so_no_period_is_read_in_part() {
        let now = at("2026-11-26T13:00:10Z");
        let hour = Some(Since::Ago(Duration::from_secs(3600)));
        let window = Window::resolve(hour, now, now).unwrap();
        assert_eq!(rfc3339(window.start), "2026-11-26T12:00:00Z");
        assert_eq!(rfc3339(window.end), "2026-11-26T13:01:00Z");
        assert_eq!(window.seconds(), 3660);
        assert_eq!(
            window.whole_period(now),
            3660,
            "one period, the whole window"
        );
        // A fraction of a second past the minute still belongs to the next one.
        let late = now + Duration::from_millis(1);
        let end = Window::aligned(at("2026-11-26T12:00:00Z"), late, late).end;
        assert_eq!(rfc3339(end), "2026-11-26T13:01:00Z");
        // On the minute, nothing is added.
        let exact = at("2026-11-26T13:00:00Z");
        assert_eq!(Window::resolve(hour, exact, exact).unwrap().seconds(), 3600);
    }

    #[test]
    fn older_data_is_read_in_coarser_whole_periods() {
        let now = at("2026-11-26T13:00:10Z");
        let month = Some(Since::At(at("2026-11-06T12:32:34Z")));
        let window = Window::resolve(month, now, now).unwrap();
        assert_eq!(rfc3339(window.start), "2026-11-06T12:30:00Z");
        assert_eq!(rfc3339(window.end), "2026-11-26T13:05:00Z");
        assert_eq!(window.alignment(now), "whole 5-minute periods");
        assert_eq!(window.whole_period(now) as u64, window.seconds());
        let quarter = Some(Since::At(at("2026-08-26T12:32:34Z")));
        let window = Window::resolve(quarter, now, now).unwrap();
        assert_eq!(rfc3339(window.start), "2026-08-26T12:00:00Z");
        assert_eq!(rfc3339(window.end), "2026-11-26T14:00:00Z");
        assert_eq!(window.alignment(now), "whole hours");
        assert_eq!(window.series_period(now) % 3600, 0);
        // Just under 63 days old, the 5-minute rounding makes it older than 63 days: whole hours.
        let edge = now - Duration::from_secs(63 * 24 * 3600 - 100);
        let window = Window::aligned(edge, now, now);
        assert_eq!(window.granularity(now), 3600);
        assert_eq!(epoch_seconds(window.start) % 3600, 0);
    }

    #[test]
    fn periods_are_whole_minutes_and_coarser_for_old_data() {
        let now = at("2026-11-26T08:00:00Z");
        let window = |start| Window {
            start: at(start),
            end: now,
        };
        let hour = window("2026-11-26T07:00:00Z");
        assert_eq!(hour.series_period(now), 60);
        assert_eq!(hour.whole_period(now), 3600);
        let day = window("2026-11-25T08:00:00Z");
        assert_eq!(day.series_period(now), 720); // 86400 / 120
        let odd = window("2026-11-26T07:59:30Z");
        assert_eq!(odd.whole_period(now), 60);
        let month = window("2026-10-26T08:00:00Z");
        assert_eq!(month.series_period(now) % 300, 0);
        let quarter = window("2026-08-26T08:00:00Z");
        assert_eq!(quarter.series_period(now) % 3600, 0);
    }
}
