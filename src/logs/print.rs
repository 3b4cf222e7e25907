//! Events on stdout: one line each, `<function> <time> <line>`, the function's name in its own
//! colour and errors in red on a terminal, plain text in a pipe or a file (anstream strips the
//! styles there, and honours NO_COLOR and CLICOLOR_FORCE); or JSON.

use std::fmt;
use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::filter::FilterPlan;
use super::function::StackFunction;
use super::message::{Kind, Level, Readable};
use super::read::ShownEvent;
use super::source::LogSource;

/// Text lines for the functions read: their names padded to one width.
#[derive(Debug, Clone)]
pub(crate) struct TextLines {
    width: usize,
}

impl TextLines {
    pub(crate) fn new(sources: &[LogSource]) -> Self {
        let width = (sources.iter())
            .map(|source| source.function.name().len())
            .max()
            .unwrap_or(0);
        TextLines { width }
    }

    /// The event's line, with the styles a terminal shows.
    pub(crate) fn line(&self, event: &ShownEvent) -> String {
        let prefix = function_style(event.function);
        let time = Style::new().dimmed();
        let text = line_style(&event.line);
        format!(
            "{prefix}{:<width$}{prefix:#} {time}{}{time:#} {text}{}{text:#}",
            event.function.name(),
            event.time,
            event.line.text,
            width = self.width
        )
    }
}

/// Each function's colour, the same in every run.
fn function_style(function: StackFunction) -> Style {
    let colour = match function {
        StackFunction::Producer => AnsiColor::Cyan,
        StackFunction::Consumer1 => AnsiColor::Magenta,
        StackFunction::Consumer2 => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(colour.into())).bold()
}

/// Errors in red, warnings in yellow, REPORT lines in bold, Lambda's other lines dimmed.
fn line_style(line: &Readable) -> Style {
    match (line.level, line.kind) {
        (Some(Level::Error), _) => Style::new().fg_color(Some(AnsiColor::Red.into())),
        (Some(Level::Warn), _) => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        (_, Kind::Platform) if line.text.starts_with("REPORT ") => Style::new().bold(),
        (_, Kind::Platform) => Style::new().dimmed(),
        _ => Style::new(),
    }
}

/// Stdout, styled only where it is a terminal.
pub(crate) struct Stdout {
    stream: anstream::AutoStream<io::Stdout>,
}

impl Stdout {
    pub(crate) fn new() -> Self {
        Stdout {
            stream: anstream::stdout(),
        }
    }

    /// Writes the events as text lines; false once stdout is closed (`demo logs | head`).
    pub(crate) fn text(&mut self, lines: &TextLines, events: &[ShownEvent]) -> io::Result<bool> {
        let mut text = String::new();
        for event in events {
            text.push_str(&lines.line(event));
            text.push('\n');
        }
        self.write(&text)
    }

    /// Writes the events as JSON, one object per line (`--follow --output json`).
    pub(crate) fn json_lines(&mut self, events: &[ShownEvent]) -> io::Result<bool> {
        let mut text = String::new();
        for event in events {
            text.push_str(&serde_json::to_string(event).map_err(io::Error::other)?);
            text.push('\n');
        }
        self.write(&text)
    }

    fn write(&mut self, text: &str) -> io::Result<bool> {
        match self
            .stream
            .write_all(text.as_bytes())
            .and_then(|()| self.stream.flush())
        {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl Default for Stdout {
    fn default() -> Self {
        Self::new()
    }
}

/// `demo logs --output json` without `--follow`: one document.
#[derive(Debug, Serialize)]
pub(crate) struct LogsReport {
    pub(crate) stack: String,
    /// Where the events start (RFC 3339).
    pub(crate) since: String,
    pub(crate) groups: Vec<GroupReport>,
    /// `--filter`'s text; each group says who matched it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) filter: Option<String>,
    pub(crate) events: Vec<ShownEvent>,
}

/// One group read.
#[derive(Debug, Serialize)]
pub(crate) struct GroupReport {
    #[serde(flatten)]
    pub(crate) source: LogSource,
    /// CloudWatch has no such group (yet).
    pub(crate) missing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) filter: Option<FilterPlan>,
}

/// The same lines as on a terminal, without styles.
impl fmt::Display for LogsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sources: Vec<LogSource> = self.groups.iter().map(|g| g.source.clone()).collect();
        let lines = TextLines::new(&sources);
        for event in &self.events {
            writeln!(f, "{}", anstream::adapter::strip_str(&lines.line(event)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::message;

    fn source(function: StackFunction) -> LogSource {
        LogSource::example(function)
    }

    fn event(function: StackFunction, message: &str) -> ShownEvent {
        ShownEvent {
            function,
            log_group: source(function).log_group,
            log_stream: "2026/12/03/[$LATEST]abc".into(),
            event_id: "1".into(),
            time: "2026-12-03T09:10:11.123Z".into(),
            timestamp_ms: 1_796_289_011_123,
            message: message.into(),
            line: message::readable(message),
            source: 0,
        }
    }

    #[test]
    fn a_line_is_the_padded_function_the_time_and_the_readable_message() {
        let lines = TextLines::new(&StackFunction::ALL.map(source));
        let report = r#"{"time":"t","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":2.26,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":18},"status":"success"}}"#;
        let plain =
            anstream::adapter::strip_str(&lines.line(&event(StackFunction::Producer, report)))
                .to_string();
        assert_eq!(
            plain,
            "producer   2026-12-03T09:10:11.123Z REPORT RequestId: r1\tDuration: 2.26 ms\t\
             Billed Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB"
        );
    }

    #[test]
    fn each_function_has_its_own_colour_and_errors_are_red() {
        let lines = TextLines::new(&StackFunction::ALL.map(source));
        let styled: Vec<String> = (StackFunction::ALL.iter())
            .map(|f| lines.line(&event(*f, "hello")))
            .collect();
        for (line, function) in styled.iter().zip(StackFunction::ALL) {
            let style = function_style(function).render().to_string();
            assert!(line.starts_with(&style), "{line:?}");
        }
        assert_ne!(styled[0][..12], styled[1][..12]);
        let error =
            r#"{"level":"ERROR","fields":{"message":"PutRecord failed"},"target":"put_record"}"#;
        let red = Style::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .render()
            .to_string();
        assert!(
            lines
                .line(&event(StackFunction::Producer, error))
                .contains(&red)
        );
    }
}
