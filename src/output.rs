//! Results go to stdout: human text by default, one JSON document with `--output json`.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

use crate::error::CliError;
use crate::settings::OutputFormat;

pub fn emit<T: Serialize + Display>(format: OutputFormat, value: &T) -> Result<(), CliError> {
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
        .map_err(CliError::Output)
}
