//! One log event's message as a person reads it. With the template's `LogFormat: JSON`, Lambda
//! writes its own lines as JSON platform records: they are shown as the Text format's lines
//! (`START RequestId: …`, `END …`, `REPORT … Duration: …`). The functions' own JSON lines
//! (tracing's, or a managed runtime's `{"level", "message"}`) are shown as `LEVEL target:
//! message key=value …`. Anything else, a Text-format line or a shape not known here, is shown
//! as it is.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::local::host::ReportFigures;

/// What kind of line a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// One of Lambda's own records (START, END, REPORT, INIT_START …).
    Platform,
    /// A line the function wrote, with its level.
    Function,
    /// Neither recognised: shown as it is.
    Other,
}

/// A level a function's line carries, for colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum Level {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// A message made readable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Readable {
    pub(crate) kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) level: Option<Level>,
    pub(crate) text: String,
}

/// Top-level keys of a function's JSON line that are shown otherwise, or not at all (the
/// time: CloudWatch's own timestamp is shown).
const SHOWN_APART: [&str; 8] = [
    "level",
    "fields",
    "message",
    "target",
    "timestamp",
    "time",
    "span",
    "spans",
];

/// `message` as a person reads it (see the module's comment).
pub(crate) fn readable(message: &str) -> Readable {
    let trimmed = message.trim_end();
    let parsed = (trimmed.starts_with('{'))
        .then(|| serde_json::from_str::<Map<String, Value>>(trimmed).ok())
        .flatten();
    let shown = parsed.as_ref().and_then(|object| {
        platform_line(object)
            .map(|text| (Kind::Platform, None, text))
            .or_else(|| function_line(object).map(|(level, text)| (Kind::Function, level, text)))
    });
    match shown {
        Some((kind, level, text)) => Readable { kind, level, text },
        None => Readable {
            kind: text_kind(trimmed),
            level: text_level(trimmed),
            text: trimmed.to_owned(),
        },
    }
}

/// A JSON platform record as the Text format writes it; None for a shape not known here.
fn platform_line(object: &Map<String, Value>) -> Option<String> {
    let kind = object.get("type")?.as_str()?;
    let record = object.get("record")?;
    let text = |key: &str| record[key].as_str().unwrap_or("-").to_owned();
    match kind {
        "platform.initStart" => Some(format!(
            "INIT_START Runtime Version: {} Runtime Version ARN: {}",
            text("runtimeVersion"),
            text("runtimeVersionArn")
        )),
        "platform.start" => Some(format!(
            "START RequestId: {} Version: {}",
            text("requestId"),
            text("version")
        )),
        "platform.runtimeDone" => Some(format!("END RequestId: {}", text("requestId"))),
        "platform.report" => {
            let figures = ReportFigures::from_record(&Value::Object(object.clone()))?;
            Some(figures.text_line().trim_end().to_owned())
        }
        "platform.initReport" => {
            let duration = record["metrics"]["durationMs"].as_f64()?;
            Some(format!(
                "INIT_REPORT Init Duration: {duration:.2} ms Phase: {} Status: {}",
                text("initializationType"),
                text("status")
            ))
        }
        _ => None,
    }
}

/// A function's JSON line with a level: tracing's (`fields.message`) or a managed runtime's
/// (`message`), with its other fields as `key=value`.
fn function_line(object: &Map<String, Value>) -> Option<(Option<Level>, String)> {
    let level_text = object.get("level")?.as_str()?;
    let fields = object.get("fields").and_then(Value::as_object);
    let message = (fields.and_then(|f| f.get("message")))
        .or_else(|| object.get("message"))
        .map(value_text)?;
    let mut line = level_text.to_ascii_uppercase();
    if let Some(target) = object.get("target").and_then(Value::as_str) {
        line.push_str(&format!(" {target}:"));
    }
    line.push(' ');
    line.push_str(&message);
    let extra = (fields.into_iter().flatten())
        .filter(|(key, _)| key.as_str() != "message")
        .chain((object.iter()).filter(|(key, _)| !SHOWN_APART.contains(&key.as_str())));
    for (key, value) in extra {
        line.push_str(&format!(" {key}={}", field_value(value)));
    }
    Some((level(level_text), line))
}

/// A message value: a string as it is, anything else as JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// A field's value: bare when that cannot be misread, else as JSON (quoted).
fn field_value(value: &Value) -> String {
    match value {
        Value::String(text)
            if !text.is_empty() && !text.contains(|c: char| c.is_whitespace() || c == '"') =>
        {
            text.clone()
        }
        other => other.to_string(),
    }
}

fn level(text: &str) -> Option<Level> {
    match text.to_ascii_uppercase().as_str() {
        "ERROR" | "FATAL" | "CRITICAL" => Some(Level::Error),
        "WARN" | "WARNING" => Some(Level::Warn),
        "INFO" => Some(Level::Info),
        "DEBUG" => Some(Level::Debug),
        "TRACE" => Some(Level::Trace),
        _ => None,
    }
}

/// The Text format's own lines are Lambda's.
fn text_kind(line: &str) -> Kind {
    let platform = ["START ", "END ", "REPORT ", "INIT_START ", "INIT_REPORT "];
    if platform.iter().any(|prefix| line.starts_with(prefix)) {
        Kind::Platform
    } else {
        Kind::Other
    }
}

/// A Text-format line's level where a managed runtime writes one (`<time>\t<id>\tERROR\t…`).
fn text_level(line: &str) -> Option<Level> {
    line.split('\t').nth(2).and_then(level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(message: &str) -> (Kind, Option<Level>, String) {
        let readable = readable(message);
        (readable.kind, readable.level, readable.text)
    }

    #[test]
    fn platform_records_read_as_the_text_formats_lines() {
        let start = r#"{"time":"2026-12-03T09:10:11.000Z","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}}"#;
        assert_eq!(
            shown(start),
            (
                Kind::Platform,
                None,
                "START RequestId: r1 Version: $LATEST".into()
            )
        );
        let end = r#"{"time":"t","type":"platform.runtimeDone","record":{"requestId":"r1","status":"success"}}"#;
        assert_eq!(shown(end).2, "END RequestId: r1");
        let report = r#"{"time":"t","type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":2.26,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":18},"status":"success"}}"#;
        assert_eq!(
            shown(report).2,
            "REPORT RequestId: r1\tDuration: 2.26 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 18 MB"
        );
        let init = r#"{"time":"t","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"provided:al2023.v100","runtimeVersionArn":"arn:aws:lambda:ap-southeast-2::runtime:abc"}}"#;
        assert_eq!(
            shown(init).2,
            "INIT_START Runtime Version: provided:al2023.v100 Runtime Version ARN: \
             arn:aws:lambda:ap-southeast-2::runtime:abc"
        );
    }

    #[test]
    fn the_functions_tracing_lines_read_as_level_target_message_and_fields() {
        let line = r#"{"level":"INFO","fields":{"message":"invocation","records":10,"written":10,"failed":0,"ms":12.5},"target":"put_item"}"#;
        assert_eq!(
            shown(line),
            (
                Kind::Function,
                Some(Level::Info),
                "INFO put_item: invocation records=10 written=10 failed=0 ms=12.5".into()
            )
        );
        let error = r#"{"level":"ERROR","fields":{"message":"PutRecord failed","reason":"throttled by Kinesis","orderid":"o-1"},"target":"put_record"}"#;
        assert_eq!(
            shown(error),
            (
                Kind::Function,
                Some(Level::Error),
                "ERROR put_record: PutRecord failed reason=\"throttled by Kinesis\" orderid=o-1"
                    .into()
            )
        );
    }

    #[test]
    fn a_managed_runtimes_json_line_reads_the_same_way() {
        let line = r#"{"timestamp":"2026-12-03T09:10:11Z","level":"WARN","message":"slow","requestId":"r1"}"#;
        assert_eq!(
            shown(line),
            (
                Kind::Function,
                Some(Level::Warn),
                "WARN slow requestId=r1".into()
            )
        );
    }

    #[test]
    fn unknown_shapes_and_text_lines_are_shown_as_they_are() {
        for message in [
            r#"{"type":"platform.logsDropped","record":{"reason":"x"}}"#,
            r#"{"type":"platform.report","record":{"requestId":"r1"}}"#,
            r#"{"orderid":"o-1"}"#,
            "{ not json",
            "plain words\n",
        ] {
            let (kind, level, text) = shown(message);
            assert_eq!((kind, level), (Kind::Other, None), "{message}");
            assert_eq!(text, message.trim_end());
        }
        let text_start = "START RequestId: r1 Version: $LATEST\n";
        assert_eq!(
            shown(text_start),
            (Kind::Platform, None, text_start.trim_end().into())
        );
        let managed = "2026-12-03T09:10:11.000Z\tr1\tERROR\tInvoke Error";
        assert_eq!(shown(managed).1, Some(Level::Error));
    }
}
