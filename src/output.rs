//! Results go to stdout: human text by default, one JSON document with `--output json`.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

/// How results are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

/// Stdout could not take the result (closed pipe, full disk).
#[derive(Debug, thiserror::Error)]
#[error("could not write the result to stdout")]
pub(crate) struct OutputError(#[from] std::io::Error);

pub(crate) fn emit<T: Serialize + Display>(
    format: OutputFormat,
    value: &T,
) -> Result<(), OutputError> {
    let text = match format {
        OutputFormat::Text => value.to_string(),
        OutputFormat::Json => {
            let json = serde_json::to_string_pretty(value).expect("results serialize to JSON");
            json + "\n"
        }
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(OutputError::from)
}

/// Writes one result of a stream of them (e.g. one per change) to stdout as one line: text, or
/// one compact JSON document per line (JSON Lines), flushed at once.
pub(crate) fn emit_line<T: Serialize + Display>(
    format: OutputFormat,
    value: &T,
) -> Result<(), OutputError> {
    let line = match format {
        OutputFormat::Text => value.to_string(),
        OutputFormat::Json => serde_json::to_string(value).expect("results serialize to JSON"),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .map_err(OutputError::from)
}
