//! Ships a function's log lines to the emulator's CloudWatch Logs as Lambda does: the function's
//! log group, one stream per execution environment, one event per line, in batches about once a
//! second. A failure to ship costs the lines, not the run: it is counted and said once.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

/// How often buffered lines are sent.
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// PutLogEvents takes up to 10,000 events and 1,048,576 bytes (each event's message + 26).
const MAX_EVENTS: usize = 10_000;
const MAX_BYTES: usize = 1_048_576;
const EVENT_OVERHEAD: usize = 26;

/// One line of an invocation's log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogLine {
    /// Milliseconds since the Unix epoch, as CloudWatch Logs stamps an event.
    pub(crate) timestamp_ms: i64,
    pub message: String,
}

type Item = (Arc<str>, LogLine);

/// Where the reader of an environment's output sends each line; cheap to clone.
#[derive(Clone)]
pub(crate) struct LogSink {
    lines: mpsc::UnboundedSender<Item>,
}

impl LogSink {
    pub(crate) fn send(&self, stream: &Arc<str>, line: &LogLine) {
        let _ = self.lines.send((Arc::clone(stream), line.clone()));
    }

    /// A sink whose lines land on the returned receiver.
    #[cfg(test)]
    pub(crate) fn for_tests() -> (LogSink, mpsc::UnboundedReceiver<Item>) {
        let (lines, received) = mpsc::unbounded_channel();
        (LogSink { lines }, received)
    }
}

/// What was shipped so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shipped {
    pub events: u64,
    pub(crate) dropped: u64,
    /// The first failure, as CloudWatch Logs answered it.
    pub first_error: Option<String>,
}

/// The shipping task of one log group.
pub(crate) struct Shipper {
    flushes: mpsc::UnboundedSender<oneshot::Sender<Shipped>>,
}

impl Shipper {
    pub(crate) fn start(logs: aws_sdk_cloudwatchlogs::Client, group: String) -> (Shipper, LogSink) {
        let (lines, received) = mpsc::unbounded_channel();
        let (flushes, flush_requests) = mpsc::unbounded_channel();
        let batches = Batches {
            logs,
            group,
            pending: BTreeMap::new(),
            created: HashSet::new(),
            shipped: Shipped::default(),
        };
        tokio::spawn(batches.run(received, flush_requests));
        (Shipper { flushes }, LogSink { lines })
    }

    /// Sends every line received so far and says what was shipped in all.
    pub(crate) async fn flush(&self) -> Shipped {
        let (reply, shipped) = oneshot::channel();
        if self.flushes.send(reply).is_err() {
            return Shipped::default();
        }
        shipped.await.unwrap_or_default()
    }
}

struct Batches {
    logs: aws_sdk_cloudwatchlogs::Client,
    group: String,
    pending: BTreeMap<Arc<str>, Vec<InputLogEvent>>,
    created: HashSet<Arc<str>>,
    shipped: Shipped,
}

impl Batches {
    async fn run(
        mut self,
        mut lines: mpsc::UnboundedReceiver<Item>,
        mut flushes: mpsc::UnboundedReceiver<oneshot::Sender<Shipped>>,
    ) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tokio::select! {
                item = lines.recv() => match item {
                    Some(item) => self.add(item),
                    None => break,
                },
                _ = tick.tick() => self.flush().await,
                request = flushes.recv() => match request {
                    Some(reply) => {
                        while let Ok(item) = lines.try_recv() {
                            self.add(item);
                        }
                        self.flush().await;
                        let _ = reply.send(self.shipped.clone());
                    }
                    None => break,
                },
            }
        }
        self.flush().await;
    }

    fn add(&mut self, (stream, line): Item) {
        let event = InputLogEvent::builder()
            .timestamp(line.timestamp_ms)
            .message(if line.message.is_empty() {
                " ".into()
            } else {
                line.message
            })
            .build();
        match event {
            Ok(event) => self.pending.entry(stream).or_default().push(event),
            Err(_) => self.shipped.dropped += 1,
        }
    }

    async fn flush(&mut self) {
        for (stream, events) in std::mem::take(&mut self.pending) {
            if let Err(error) = self.put(&stream, &events).await {
                self.shipped.dropped += events.len() as u64;
                if self.shipped.first_error.is_none() {
                    tracing::warn!(group = %self.group, %stream, "log lines not shipped: {error}");
                    self.shipped.first_error = Some(error.to_string());
                }
            }
        }
    }

    async fn put(&mut self, stream: &Arc<str>, events: &[InputLogEvent]) -> Result<(), NotShipped> {
        if !self.created.contains(stream) {
            let created = self
                .logs
                .create_log_stream()
                .log_group_name(&self.group)
                .log_stream_name(&**stream)
                .send()
                .await;
            match created {
                Ok(_) => {}
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_resource_already_exists_exception()) => {}
                Err(err) => return Err(describe(&self.group, err)),
            }
            self.created.insert(Arc::clone(stream));
        }
        for batch in batches(events) {
            self.logs
                .put_log_events()
                .log_group_name(&self.group)
                .log_stream_name(&**stream)
                .set_log_events(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|err| describe(&self.group, err))?;
            self.shipped.events += batch.len() as u64;
        }
        Ok(())
    }
}

/// Why log lines did not reach CloudWatch Logs.
#[derive(Debug, thiserror::Error)]
enum NotShipped {
    #[error("the log group {group} does not exist; `demo up --local` creates it")]
    NoGroup { group: String },
    /// CloudWatch Logs' own answer.
    #[error("{0}")]
    Refused(String),
}

fn describe<E>(group: &str, err: aws_sdk_cloudwatchlogs::error::SdkError<E>) -> NotShipped
where
    E: aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match err.as_service_error().and_then(|e| e.code()) {
        Some("ResourceNotFoundException") => NotShipped::NoGroup {
            group: group.to_owned(),
        },
        _ => {
            NotShipped::Refused(aws_sdk_cloudwatchlogs::error::DisplayErrorContext(err).to_string())
        }
    }
}

/// `events` cut into PutLogEvents calls within its count and size limits.
fn batches(events: &[InputLogEvent]) -> Vec<&[InputLogEvent]> {
    let mut cuts = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, event) in events.iter().enumerate() {
        let size = event.message().len() + EVENT_OVERHEAD;
        if index > start && (index - start == MAX_EVENTS || bytes + size > MAX_BYTES) {
            cuts.push(&events[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += size;
    }
    if start < events.len() {
        cuts.push(&events[start..]);
    }
    cuts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(count: usize, size: usize) -> Vec<InputLogEvent> {
        (0..count)
            .map(|i| {
                InputLogEvent::builder()
                    .timestamp(i as i64)
                    .message("x".repeat(size))
                    .build()
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn a_batch_keeps_within_putlogevents_limits() {
        let many = events(25_000, 10);
        let cut: Vec<usize> = batches(&many).iter().map(|b| b.len()).collect();
        assert_eq!(cut, [10_000, 10_000, 5_000]);
        let big = events(5, 400_000);
        let cut: Vec<usize> = batches(&big).iter().map(|b| b.len()).collect();
        assert_eq!(cut, [2, 2, 1]);
        assert!(batches(&[]).is_empty());
    }
}
