//! `demo logs`: the functions' log lines from the stack's log groups, interleaved by time with
//! one prefix per function (as `sam logs`), optionally filtered, and followed until Ctrl-C.

use std::time::UNIX_EPOCH;

use crate::aws::connect;
use crate::error::CliError;
use crate::logs::LogsRequest;
use crate::logs::filter;
use crate::logs::follow::{self, now_ms};
use crate::logs::print::{GroupReport, LogsReport, Stdout, TextLines};
use crate::logs::read::{Read, Reader, Seen, rfc3339_ms};
use crate::logs::source::{self, LogSource};
use crate::output::{self, OutputFormat};
use crate::report::window::Since;
use crate::settings::Settings;
use crate::terminal;

pub(crate) async fn run(settings: &Settings, request: LogsRequest) -> Result<(), CliError> {
    // Listening from the start: Ctrl-C at any point ends the command cleanly, exit 0.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    tokio::select! {
        result = show(settings, &request) => result,
        _ = &mut interrupted => {
            terminal::note("stopped (Ctrl-C)");
            Ok(())
        }
    }
}

async fn show(settings: &Settings, request: &LogsRequest) -> Result<(), CliError> {
    let clients = connect(&settings.aws).await?;
    let stack = &settings.aws.stack_name;
    let sources = source::sources(&clients, stack, &request.functions).await?;
    let reader = Reader::new(&clients.logs, &sources, request.filter.as_deref());
    if let Some((text, plans)) = reader.filter_plans() {
        terminal::note(filter::describe(text, &plans));
    }
    let since_ms = since_ms(request.since, now_ms());
    let read = reader.read(&vec![since_ms; sources.len()]).await?;
    for group in &read.missing {
        terminal::warn(format!(
            "log group {group} does not exist (yet): nothing has been logged there"
        ));
    }
    if read.events.is_empty() {
        terminal::note(format!(
            "no log events since {} in {}",
            rfc3339_ms(since_ms),
            group_names(&sources)
        ));
    }
    let mut seen = Seen::new(sources.len());
    for event in &read.events {
        seen.first_time(event);
    }
    if settings.output == OutputFormat::Json && !request.follow {
        return Ok(output::emit(
            OutputFormat::Json,
            &report(stack, &reader, since_ms, read),
        )?);
    }
    let mut stdout = Stdout::new();
    let lines = TextLines::new(&sources);
    let mut print = |events: Vec<_>| match settings.output {
        OutputFormat::Text => stdout.text(&lines, &events),
        OutputFormat::Json => stdout.json_lines(&events),
    };
    let open = print(read.events).map_err(output::OutputError::from)?;
    if !request.follow || !open {
        return Ok(());
    }
    terminal::note(format!(
        "following {}; Ctrl-C to stop",
        group_names(&sources)
    ));
    follow::follow(&reader, seen, since_ms, &mut print)
        .await
        .map_err(CliError::from)
}

/// Milliseconds since the epoch where `--since` starts.
fn since_ms(since: Since, now_ms: i64) -> i64 {
    match since {
        Since::Ago(ago) => now_ms - i64::try_from(ago.as_millis()).unwrap_or(i64::MAX / 2),
        Since::At(at) => at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    }
}

fn group_names(sources: &[LogSource]) -> String {
    (sources.iter())
        .map(|s| format!("{} ({})", s.log_group, s.function))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report(stack: &str, reader: &Reader<'_>, since_ms: i64, read: Read) -> LogsReport {
    let plans = reader.filter_plans();
    let groups = (reader.sources().iter().enumerate())
        .map(|(index, source)| GroupReport {
            source: source.clone(),
            missing: read.missing.contains(&source.log_group),
            filter: plans.as_ref().map(|(_, plans)| plans[index].1.clone()),
        })
        .collect();
    LogsReport {
        stack: stack.to_owned(),
        since: rfc3339_ms(since_ms),
        groups,
        filter: plans.map(|(text, _)| text.to_owned()),
        events: read.events,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn since_is_a_length_back_from_now_or_a_time() {
        let now = 1_796_289_011_123;
        assert_eq!(
            since_ms(Since::Ago(Duration::from_secs(600)), now),
            now - 600_000
        );
        let at = UNIX_EPOCH + Duration::from_millis(1_796_288_000_000);
        assert_eq!(since_ms(Since::At(at), now), 1_796_288_000_000);
    }
}
