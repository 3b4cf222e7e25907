//! Reading every chosen group from a time on, as one list in time order: each group's events
//! (filtered as `--filter` says), made readable, merged by timestamp.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::Client;
use serde::Serialize;

use super::LogsError;
use super::fetch::{self, StoredEvent};
use super::filter::FilterPlan;
use super::function::StackFunction;
use super::message::{self, Readable};
use super::source::LogSource;
use crate::logging;

/// One event as shown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ShownEvent {
    pub(crate) function: StackFunction,
    pub(crate) log_group: String,
    pub(crate) log_stream: String,
    pub(crate) event_id: String,
    /// RFC 3339 to the millisecond, UTC.
    pub(crate) time: String,
    pub(crate) timestamp_ms: i64,
    /// The message as stored.
    pub(crate) message: String,
    /// The message as a person reads it.
    pub(crate) line: Readable,
    /// Which source (index into the sources read) the event came from.
    #[serde(skip)]
    pub(crate) source: usize,
}

/// The groups to read and how `--filter` applies to each.
pub(crate) struct Reader<'a> {
    logs: &'a Client,
    sources: &'a [LogSource],
    filter: Option<(String, Vec<FilterPlan>)>,
}

/// What one read found.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// Every event of every group, oldest first.
    pub(crate) events: Vec<ShownEvent>,
    /// Groups CloudWatch does not have (yet).
    pub(crate) missing: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(logs: &'a Client, sources: &'a [LogSource], filter: Option<&str>) -> Self {
        let filter = filter.map(|text| {
            let plans = (sources.iter())
                .map(|source| FilterPlan::for_group(text, source.log_format))
                .collect();
            (text.to_owned(), plans)
        });
        Reader {
            logs,
            sources,
            filter,
        }
    }

    pub(crate) fn sources(&self) -> &[LogSource] {
        self.sources
    }

    /// Each group with how `--filter` applies there, when it is given.
    pub(crate) fn filter_plans(&self) -> Option<(&str, Vec<(String, FilterPlan)>)> {
        let (text, plans) = self.filter.as_ref()?;
        let named = (self.sources.iter().zip(plans))
            .map(|(source, plan)| (source.log_group.clone(), plan.clone()))
            .collect();
        Some((text, named))
    }

    /// Every group's events from `starts[i]` (one start per source) on, merged by time.
    pub(crate) async fn read(&self, starts: &[i64]) -> Result<Read, LogsError> {
        let plan = |index: usize| self.filter.as_ref().map(|(_, plans)| &plans[index]);
        let fetches =
            (self.sources.iter().zip(starts).enumerate()).map(|(index, (source, start))| {
                let pattern = plan(index).and_then(FilterPlan::pattern);
                fetch::fetch(self.logs, &source.log_group, *start, pattern)
            });
        let fetched = futures::future::try_join_all(fetches).await?;
        let mut read = Read::default();
        let mut batches = Vec::new();
        for (index, group) in fetched.into_iter().enumerate() {
            if group.missing {
                read.missing.push(self.sources[index].log_group.clone());
            }
            let shown = (group.events.into_iter())
                .map(|event| shown(&self.sources[index], index, event))
                .filter(|event| match (&self.filter, plan(index)) {
                    (Some((text, _)), Some(plan)) => {
                        plan.keeps(text, &event.message, &event.line.text)
                    }
                    _ => true,
                });
            batches.push(shown.collect());
        }
        read.events = merge(batches);
        Ok(read)
    }
}

/// An event made readable, never showing a secret the environment holds or a credential-like
/// field's value (a function could log one).
fn shown(source: &LogSource, index: usize, event: StoredEvent) -> ShownEvent {
    let message = logging::scrub(&event.message);
    let mut line = message::readable(&message);
    line.text = logging::scrub(&line.text);
    ShownEvent {
        function: source.function,
        log_group: source.log_group.clone(),
        log_stream: event.log_stream,
        event_id: event.event_id,
        time: rfc3339_ms(event.timestamp_ms),
        timestamp_ms: event.timestamp_ms,
        message,
        line,
        source: index,
    }
}

/// The groups' events as one list by time; events of the same millisecond keep the order of
/// the groups and, within a group, CloudWatch's order.
pub(crate) fn merge(batches: Vec<Vec<ShownEvent>>) -> Vec<ShownEvent> {
    let mut events: Vec<ShownEvent> = batches.into_iter().flatten().collect();
    events.sort_by_key(|event| event.timestamp_ms);
    events
}

/// `2026-12-03T09:10:11.123Z`.
pub(crate) fn rfc3339_ms(timestamp_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(timestamp_ms)
        .map(|time| time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| timestamp_ms.to_string())
}

/// The events already shown, per source (event ids are unique within a group), so that a
/// re-read never shows one twice.
#[derive(Debug)]
pub(crate) struct Seen {
    ids: Vec<HashMap<String, i64>>,
}

impl Seen {
    pub(crate) fn new(sources: usize) -> Self {
        Seen {
            ids: vec![HashMap::new(); sources],
        }
    }

    /// Whether `event` is new; it is remembered either way.
    pub(crate) fn first_time(&mut self, event: &ShownEvent) -> bool {
        (self.ids[event.source])
            .insert(event.event_id.clone(), event.timestamp_ms)
            .is_none()
    }

    /// Forgets `source`'s events older than `ms`: no read asks for them again.
    pub(crate) fn forget_before(&mut self, source: usize, ms: i64) {
        self.ids[source].retain(|_, timestamp| *timestamp >= ms);
    }

    pub(crate) fn remembered(&self) -> usize {
        self.ids.iter().map(HashMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(function: StackFunction) -> LogSource {
        LogSource::example(function)
    }

    fn event(index: usize, id: &str, timestamp_ms: i64) -> ShownEvent {
        let function = StackFunction::ALL[index];
        shown(
            &source(function),
            index,
            StoredEvent {
                event_id: id.into(),
                log_stream: "2026/12/03/[$LATEST]abc".into(),
                timestamp_ms,
                message: format!("{function} {id}"),
            },
        )
    }

    #[test]
    fn groups_interleave_by_time_and_ties_keep_the_groups_order() {
        let producer = vec![event(0, "p1", 1_000), event(0, "p2", 3_000)];
        // Out of order within the group, as an emulator returns one stream after another.
        let consumer = vec![event(1, "c2", 3_000), event(1, "c1", 2_000)];
        let merged = merge(vec![producer, consumer]);
        let ids: Vec<&str> = merged.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["p1", "c1", "p2", "c2"]);
    }

    #[test]
    fn an_event_is_new_once_and_forgetting_keeps_the_recent() {
        let mut seen = Seen::new(2);
        assert!(seen.first_time(&event(0, "a", 1_000)));
        assert!(!seen.first_time(&event(0, "a", 1_000)));
        // Ids are per group: another group's "a" is another event.
        assert!(seen.first_time(&event(1, "a", 5_000)));
        assert!(seen.first_time(&event(0, "b", 2_000)));
        seen.forget_before(0, 1_500);
        assert_eq!(seen.remembered(), 2);
        assert!(!seen.first_time(&event(0, "b", 2_000)));
    }

    #[test]
    fn times_are_utc_to_the_millisecond() {
        assert_eq!(rfc3339_ms(1_796_288_944_485), "2026-12-03T09:09:04.485Z");
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn a_secret_in_a_message_is_not_shown() {
        let message =
            r#"{"level":"INFO","fields":{"message":"env","session_token":"FwoGZXIvYXdzEXAMPLE"}}"#;
        let stored = StoredEvent {
            event_id: "x".into(),
            log_stream: "s".into(),
            timestamp_ms: 1,
            message: message.into(),
        };
        let leaked = shown(&source(StackFunction::Producer), 0, stored);
        for text in [&leaked.message, &leaked.line.text] {
            assert!(!text.contains("FwoGZXIvYXdzEXAMPLE"), "{text}");
        }
        assert!(
            leaked.line.text.starts_with("INFO env"),
            "{}",
            leaked.line.text
        );
    }
}
