//! Reading one log group's events from a time on (FilterLogEvents, every page).

use aws_sdk_cloudwatchlogs::Client;

use crate::aws::AwsError;

/// An event as CloudWatch Logs stores it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoredEvent {
    pub(crate) event_id: String,
    pub(crate) log_stream: String,
    pub(crate) timestamp_ms: i64,
    pub(crate) message: String,
}

/// A group's events, or the word that the group is not there (yet).
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub(crate) events: Vec<StoredEvent>,
    /// CloudWatch has no such group: nothing was ever written to a group Lambda creates on the
    /// first write, or it was deleted.
    pub(crate) missing: bool,
}

/// The events of `group` from `start_ms` (milliseconds since the epoch) on, matching `pattern`
/// when given, in CloudWatch's order.
pub(crate) async fn fetch(
    logs: &Client,
    group: &str,
    start_ms: i64,
    pattern: Option<&str>,
) -> Result<Fetched, AwsError> {
    let mut pages = logs
        .filter_log_events()
        .log_group_name(group)
        .start_time(start_ms)
        .set_filter_pattern(pattern.map(str::to_owned))
        .into_paginator()
        .send();
    let mut fetched = Fetched::default();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                fetched.missing = true;
                return Ok(fetched);
            }
            Err(err) => {
                return Err(AwsError::from_sdk(
                    format!("read the log events of {group}"),
                    err,
                ));
            }
        };
        for event in page.events() {
            let log_stream = event.log_stream_name().unwrap_or_default().to_owned();
            let timestamp_ms = event.timestamp().unwrap_or_default();
            let message = event.message().unwrap_or_default().to_owned();
            // Every event has an id; should one not, where and when it was written stands in.
            let event_id = (event.event_id().map(str::to_owned))
                .unwrap_or_else(|| format!("{log_stream}/{timestamp_ms}/{message}"));
            fetched.events.push(StoredEvent {
                event_id,
                log_stream,
                timestamp_ms,
                message,
            });
        }
    }
    Ok(fetched)
}
