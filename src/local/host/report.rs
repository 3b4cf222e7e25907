//! Lambda's REPORT figures for one invocation (Duration, Billed Duration, Memory Size, Max
//! Memory Used, Init Duration, and how it ended): read from a REPORT line in either of Lambda's
//! log formats and written back in both. One type, one parser and one pair of writers, so the
//! offline runner (which writes REPORT lines itself), `demo invoke` (Invoke's log tail) and
//! `demo logs` (a JSON `platform.report` record shown as Lambda's REPORT line) agree on them.
//!
//! The Text format is Lambda's `REPORT RequestId: <id>\tDuration: 2.26 ms\tBilled Duration: 3
//! ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\tInit Duration: 30.21 ms\t` (tabs; some
//! consoles show spaces, which are read too), with `Status: timeout\tError Type: …` after a
//! failed invocation; the JSON format is the Telemetry API's `platform.report` record
//! (`{"time", "type": "platform.report", "record": {"requestId", "metrics": {"durationMs",
//! "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB", "initDurationMs"}, "status",
//! "errorType"}}`).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The figures of one REPORT.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFigures {
    pub(crate) request_id: Option<String>,
    /// From handing the event to the runtime (`next`) to its response or error (`Duration`).
    pub duration_ms: f64,
    /// What is charged, rounded up to the millisecond (`Billed Duration`); with the init phase
    /// on a cold start, which Lambda bills for custom runtimes (`provided.*`).
    pub billed_duration_ms: u64,
    /// The function's configured memory (`Memory Size`).
    pub memory_size_mb: u64,
    /// The peak the execution environment used (`Max Memory Used`); offline, the process's
    /// peak resident memory (VmHWM).
    pub max_memory_used_mb: u64,
    /// Set on a cold start: from starting the runtime to its first `next` (`Init Duration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_duration_ms: Option<f64>,
    /// How the invocation ended; only written when not success.
    #[serde(default, skip_serializing_if = "Status::is_success")]
    pub status: Status,
    /// Set when the status is not success, e.g. `Runtime.ExitError`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

/// How the invocation ended, as `platform.report`'s `status` names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Success,
    /// The function answered with an error (the runtime posted `…/error`).
    Error,
    /// The invocation outlived the function's timeout; its process was killed.
    Timeout,
    /// The process exited (or was killed) before answering, or failed its init.
    Failure,
}

impl Status {
    /// Lambda's word for it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Error => "error",
            Status::Timeout => "timeout",
            Status::Failure => "failure",
        }
    }

    fn is_success(&self) -> bool {
        *self == Status::Success
    }

    /// Lambda's word read back; a word it does not use means something went wrong.
    fn parse(value: &str) -> Status {
        match value {
            "success" => Status::Success,
            "error" => Status::Error,
            "timeout" => Status::Timeout,
            _ => Status::Failure,
        }
    }
}

/// The Text format's labels, longest first where one ends another ("Billed Duration: " holds
/// "Duration: "). Those the figures do not keep still mark where the value before them ends.
const LABELS: [&str; 10] = [
    "Billed Restore Duration: ",
    "Restore Duration: ",
    "Max Memory Used: ",
    "Billed Duration: ",
    "Init Duration: ",
    "Memory Size: ",
    "Error Type: ",
    "Duration: ",
    "RequestId: ",
    "Status: ",
];

impl ReportFigures {
    /// The figures of a REPORT line in either format; None for any other line, and for a
    /// REPORT line that lacks one of the four figures every REPORT carries.
    pub(crate) fn parse(line: &str) -> Option<Self> {
        let line = line.trim();
        if line.starts_with('{') {
            Self::from_record(&serde_json::from_str(line).ok()?)
        } else {
            Self::from_text(line)
        }
    }

    /// The last REPORT among an invocation's `lines` (Lambda writes it last).
    pub(crate) fn find<'a>(lines: impl DoubleEndedIterator<Item = &'a str>) -> Option<Self> {
        lines.rev().find_map(Self::parse)
    }

    /// A Text-format line: `REPORT RequestId: …` (only its first line: an `XRAY TraceId`
    /// line may follow).
    fn from_text(line: &str) -> Option<Self> {
        let first = line.lines().next()?.trim();
        let rest = first.strip_prefix("REPORT")?;
        let fields = labelled(rest);
        let value = |label: &str| {
            (fields.iter())
                .find(|(found, _)| *found == label)
                .map(|(_, value)| *value)
        };
        Some(ReportFigures {
            request_id: value("RequestId: ").map(str::to_owned),
            duration_ms: number(value("Duration: ")?, "ms")?,
            billed_duration_ms: whole(number(value("Billed Duration: ")?, "ms")?),
            memory_size_mb: whole(number(value("Memory Size: ")?, "MB")?),
            max_memory_used_mb: whole(number(value("Max Memory Used: ")?, "MB")?),
            init_duration_ms: value("Init Duration: ").and_then(|v| number(v, "ms")),
            status: value("Status: ").map_or(Status::Success, Status::parse),
            error_type: value("Error Type: ").map(str::to_owned),
        })
    }

    /// A JSON-format `platform.report` record.
    pub(crate) fn from_record(value: &Value) -> Option<Self> {
        if value["type"] != "platform.report" {
            return None;
        }
        let record = &value["record"];
        let metrics = &record["metrics"];
        let figure = |name: &str| metrics[name].as_f64();
        Some(ReportFigures {
            request_id: record["requestId"].as_str().map(str::to_owned),
            duration_ms: figure("durationMs")?,
            billed_duration_ms: whole(figure("billedDurationMs")?),
            memory_size_mb: whole(figure("memorySizeMB")?),
            max_memory_used_mb: whole(figure("maxMemoryUsedMB")?),
            init_duration_ms: figure("initDurationMs"),
            status: record["status"]
                .as_str()
                .map_or(Status::Success, Status::parse),
            error_type: record["errorType"].as_str().map(str::to_owned),
        })
    }

    /// The Text-format REPORT line, as Lambda writes it (tab-separated, a tab at the end).
    pub(crate) fn text_line(&self) -> String {
        let mut line = format!(
            "REPORT RequestId: {}\tDuration: {:.2} ms\tBilled Duration: {} ms\tMemory Size: {} MB\t\
             Max Memory Used: {} MB\t",
            self.request_id.as_deref().unwrap_or("-"),
            self.duration_ms,
            self.billed_duration_ms,
            self.memory_size_mb,
            self.max_memory_used_mb
        );
        if let Some(init) = self.init_duration_ms {
            line.push_str(&format!("Init Duration: {init:.2} ms\t"));
        }
        if !self.status.is_success() {
            line.push_str(&format!("Status: {}\t", self.status.as_str()));
            if let Some(error_type) = &self.error_type {
                line.push_str(&format!("Error Type: {error_type}\t"));
            }
        }
        line
    }

    /// The JSON-format `platform.report` record, `time` being RFC 3339
    /// (`2026-12-03T09:10:11.123Z`); milliseconds to two decimals, as Lambda's events carry them.
    pub(crate) fn record(&self, time: &str) -> Value {
        let mut metrics = json!({
            "durationMs": round2(self.duration_ms),
            "billedDurationMs": self.billed_duration_ms,
            "memorySizeMB": self.memory_size_mb,
            "maxMemoryUsedMB": self.max_memory_used_mb,
        });
        if let Some(init) = self.init_duration_ms {
            metrics["initDurationMs"] = json!(round2(init));
        }
        let mut record = json!({
            "requestId": self.request_id,
            "metrics": metrics,
            "status": self.status.as_str(),
        });
        if let Some(error_type) = &self.error_type {
            record["errorType"] = json!(error_type);
        }
        json!({"time": time, "type": "platform.report", "record": record})
    }
}

/// Milliseconds to two decimals.
pub(crate) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// For people: `duration 2.26 ms, billed 3 ms, memory 128 MB (max used 18 MB), init 30.21 ms`.
impl fmt::Display for ReportFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "duration {:.2} ms, billed {} ms, memory {} MB (max used {} MB)",
            self.duration_ms, self.billed_duration_ms, self.memory_size_mb, self.max_memory_used_mb
        )?;
        if let Some(init) = self.init_duration_ms {
            write!(f, ", init {init:.2} ms")?;
        }
        if !self.status.is_success() {
            write!(f, ", status {}", self.status.as_str())?;
        }
        Ok(())
    }
}

/// Each label of `text` with its value: what follows it up to the next label, trimmed. A label
/// starts the text or follows whitespace; at each such place the longest label is taken.
fn labelled(text: &str) -> Vec<(&'static str, &str)> {
    let mut found: Vec<(&'static str, usize, usize)> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let starts_word = at == 0 || text[..at].ends_with(char::is_whitespace);
        let label = LABELS
            .iter()
            .find(|label| starts_word && text[at..].starts_with(**label));
        match label {
            Some(label) => {
                found.push((label, at, at + label.len()));
                at += label.len();
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    (found.iter().enumerate())
        .map(|(index, (label, _, value_start))| {
            let value_end = found.get(index + 1).map_or(text.len(), |next| next.1);
            (*label, text[*value_start..value_end].trim())
        })
        .collect()
}

/// `12.34 ms` → 12.34 (the unit must be the one expected).
fn number(value: &str, unit: &str) -> Option<f64> {
    let figure = value.strip_suffix(unit)?.trim();
    figure
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0)
}

fn whole(value: f64) -> u64 {
    // Figures are small and non-negative; a fraction (never sent for these) is rounded.
    value.round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A REPORT line as Lambda writes it in the Text format: tab-separated, cold start.
    const TEXT: &str = "REPORT RequestId: 8e8ebc0f-9a3c-4c1d-b5e6-0f1e2d3c4b5a\tDuration: 2.26 ms\t\
                        Billed Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t\
                        Init Duration: 30.21 ms\t\n";

    fn cold() -> ReportFigures {
        ReportFigures {
            request_id: Some("8e8ebc0f-9a3c-4c1d-b5e6-0f1e2d3c4b5a".into()),
            duration_ms: 2.26,
            billed_duration_ms: 3,
            memory_size_mb: 128,
            max_memory_used_mb: 18,
            init_duration_ms: Some(30.21),
            status: Status::Success,
            error_type: None,
        }
    }

    #[test]
    fn a_text_report_line_gives_its_figures() {
        assert_eq!(ReportFigures::parse(TEXT), Some(cold()));
    }

    #[test]
    fn a_space_separated_warm_line_with_an_xray_line_after_it_is_read_too() {
        // As consoles and many blog posts show it: spaces, no Init Duration, an XRAY line.
        let line = "REPORT RequestId: f420d819-d07e-11e8-9ef2-4d8f649fd167 Duration: 158.15 ms \
                    Billed Duration: 200 ms Memory Size: 128 MB Max Memory Used: 38 MB\n\
                    XRAY TraceId: 1-5e5f-0e1b SegmentId: 2c4e Sampled: true";
        let figures = ReportFigures::parse(line).unwrap();
        assert_eq!(figures.duration_ms, 158.15);
        assert_eq!(figures.billed_duration_ms, 200);
        assert_eq!(figures.max_memory_used_mb, 38);
        assert_eq!(figures.init_duration_ms, None);
        assert_eq!(
            figures.request_id.as_deref(),
            Some("f420d819-d07e-11e8-9ef2-4d8f649fd167")
        );
    }

    #[test]
    fn a_timeout_keeps_its_status_and_error_type_ends_it() {
        let line = "REPORT RequestId: r1\tDuration: 3003.38 ms\tBilled Duration: 3000 ms\t\
                    Memory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout\t\
                    Error Type: Runtime.ExitError";
        let figures = ReportFigures::parse(line).unwrap();
        assert_eq!(figures.status, Status::Timeout);
        assert_eq!(figures.duration_ms, 3003.38);
    }

    #[test]
    fn a_json_platform_report_record_gives_the_same_figures() {
        let record = r#"{"time":"2026-12-03T09:10:11.123Z","type":"platform.report","record":{"requestId":"8e8ebc0f-9a3c-4c1d-b5e6-0f1e2d3c4b5a","metrics":{"durationMs":2.26,"billedDurationMs":3,"memorySizeMB":128,"maxMemoryUsedMB":18,"initDurationMs":30.21},"status":"success"}}"#;
        assert_eq!(ReportFigures::parse(record), Some(cold()));
        let timeout = record.replace("\"success\"", "\"timeout\"");
        assert_eq!(
            ReportFigures::parse(&timeout).unwrap().status,
            Status::Timeout
        );
    }

    #[test]
    fn other_lines_and_incomplete_reports_are_not_reports() {
        for line in [
            "START RequestId: r1 Version: $LATEST",
            "END RequestId: r1",
            "REPORTING for duty",
            "REPORT RequestId: r1\tDuration: 2.26 ms",
            "REPORT RequestId: r1\tDuration: fast ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 18 MB",
            r#"{"type":"platform.start","record":{"requestId":"r1"}}"#,
            r#"{"type":"platform.report","record":{"metrics":{"durationMs":1}}}"#,
            "{not json",
            "",
        ] {
            assert_eq!(ReportFigures::parse(line), None, "{line}");
        }
    }

    #[test]
    fn the_writers_give_lines_the_parser_reads_back() {
        let warm = ReportFigures {
            init_duration_ms: None,
            status: Status::Timeout,
            error_type: Some("Sandbox.Timedout".into()),
            ..cold()
        };
        for figures in [cold(), warm] {
            assert_eq!(
                ReportFigures::parse(&figures.text_line()),
                Some(figures.clone())
            );
            let record = figures.record("2026-12-03T09:10:11.123Z").to_string();
            assert_eq!(ReportFigures::parse(&record), Some(figures));
        }
        assert_eq!(cold().text_line(), TEXT.trim_end_matches('\n'));
    }

    #[test]
    fn the_last_report_of_a_log_is_found() {
        let log = [
            "START RequestId: r1 Version: $LATEST",
            TEXT,
            "START RequestId: r2 Version: $LATEST",
            "REPORT RequestId: r2\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 19 MB\t",
            "END RequestId: r2",
        ];
        let found = ReportFigures::find(log.into_iter()).unwrap();
        assert_eq!(found.request_id.as_deref(), Some("r2"));
        assert_eq!(ReportFigures::find(log[..1].iter().copied()), None);
    }

    #[test]
    fn people_read_the_figures_in_one_line() {
        assert_eq!(
            cold().to_string(),
            "duration 2.26 ms, billed 3 ms, memory 128 MB (max used 18 MB), init 30.21 ms"
        );
    }
}
