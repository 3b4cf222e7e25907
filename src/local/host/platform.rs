//! What Lambda itself writes about an invocation, in the function's log format: the `START`,
//! `END` and `REPORT` lines (Text) or the `platform.start`, `platform.runtimeDone` and
//! `platform.report` events (JSON), the figures of the REPORT, and the errors Lambda answers
//! for a function that timed out or whose process exited. The REPORT's figures, and reading
//! them back ([`parse_report`]), are `report.rs`'s.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::json;

use super::report::round2;
pub use super::report::{ReportFigures, Status};

/// The function configuration's `LoggingConfig.LogFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// Lambda's own values, `Text` and `JSON`; Lambda's default (Text) for anything else.
    pub(crate) fn parse(value: &str) -> LogFormat {
        if value.eq_ignore_ascii_case("json") {
            LogFormat::Json
        } else {
            LogFormat::Text
        }
    }

    /// The value Lambda sets in `AWS_LAMBDA_LOG_FORMAT`.
    pub(crate) fn env_value(self) -> &'static str {
        match self {
            LogFormat::Text => "Text",
            LogFormat::Json => "JSON",
        }
    }
}

/// `duration + init`, rounded up to the millisecond.
pub(crate) fn billed_ms(duration: Duration, init: Option<Duration>) -> u64 {
    let total = duration + init.unwrap_or_default();
    let micros = total.as_micros();
    micros.div_ceil(1000) as u64
}

/// Peak resident memory in MB (1 MB = 1024 kB), rounded up, as a whole number like Lambda's.
pub(crate) fn megabytes(kilobytes: u64) -> u64 {
    kilobytes.div_ceil(1024)
}

/// `2021-12-01T10:11:12.123Z`: the timestamps Lambda writes.
pub(crate) fn timestamp(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at)
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The line Lambda writes when the invocation begins.
pub(crate) fn start_line(
    format: LogFormat,
    at: SystemTime,
    request_id: &str,
    version: &str,
) -> String {
    match format {
        LogFormat::Text => format!("START RequestId: {request_id} Version: {version}"),
        LogFormat::Json => json!({
            "time": timestamp(at),
            "type": "platform.start",
            "record": {"requestId": request_id, "version": version},
        })
        .to_string(),
    }
}

/// Lambda's report of a failed init phase (`INIT_REPORT`, or `platform.initReport`).
pub(crate) fn init_report_line(
    format: LogFormat,
    at: SystemTime,
    init: Duration,
    status: &str,
    error_type: &str,
) -> String {
    let ms = init.as_secs_f64() * 1000.0;
    match format {
        LogFormat::Text => format!(
            "INIT_REPORT Init Duration: {ms:.2} ms\tPhase: init\tStatus: {status}\tError Type: {error_type}"
        ),
        LogFormat::Json => json!({
            "time": timestamp(at),
            "type": "platform.initReport",
            "record": {
                "initializationType": "on-demand",
                "phase": "init",
                "status": status,
                "errorType": error_type,
                "metrics": {"durationMs": round2(ms)},
            },
        })
        .to_string(),
    }
}

/// The lines Lambda writes when the invocation ends: the timeout notice if it timed out, then
/// `END` and `REPORT` (Text), or `platform.runtimeDone` and `platform.report` (JSON).
pub(crate) fn end_lines(format: LogFormat, at: SystemTime, figures: &ReportFigures) -> Vec<String> {
    let request_id = figures.request_id.as_deref().unwrap_or("-");
    match format {
        LogFormat::Text => text_end(at, request_id, figures),
        LogFormat::Json => json_end(at, request_id, figures),
    }
}

fn text_end(at: SystemTime, request_id: &str, figures: &ReportFigures) -> Vec<String> {
    let mut lines = Vec::new();
    if figures.status == Status::Timeout {
        lines.push(format!(
            "{} {request_id} Task timed out after {:.2} seconds",
            timestamp(at),
            figures.duration_ms / 1000.0
        ));
    }
    lines.push(format!("END RequestId: {request_id}"));
    lines.push(figures.text_line());
    lines
}

fn json_end(at: SystemTime, request_id: &str, figures: &ReportFigures) -> Vec<String> {
    let time = timestamp(at);
    let mut done = json!({
        "requestId": request_id,
        "status": figures.status.as_str(),
        "metrics": {"durationMs": round2(figures.duration_ms)},
    });
    if let Some(error_type) = &figures.error_type {
        done["errorType"] = json!(error_type);
    }
    vec![
        json!({"time": time, "type": "platform.runtimeDone", "record": done}).to_string(),
        figures.record(&time).to_string(),
    ]
}

/// The figures of a REPORT line (Text) or `platform.report` event (JSON); None for any other.
pub fn parse_report(message: &str) -> Option<ReportFigures> {
    ReportFigures::parse(message)
}

/// An error Lambda answers for the function, as `Invoke` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionError {
    #[serde(rename = "errorType")]
    pub error_type: String,
    #[serde(rename = "errorMessage")]
    pub error_message: String,
}

/// The invocation outlived the timeout: Lambda kills the environment and answers this.
pub(crate) fn timed_out(request_id: &str, timeout: Duration) -> FunctionError {
    FunctionError {
        error_type: "Sandbox.Timedout".into(),
        error_message: format!(
            "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
            timeout.as_secs_f64()
        ),
    }
}

/// The process exited (or was killed) before answering: `exit status 3`, `signal: killed`.
pub(crate) fn runtime_exited(request_id: &str, how: &str) -> FunctionError {
    FunctionError {
        error_type: "Runtime.ExitError".into(),
        error_message: format!("RequestId: {request_id} Error: Runtime exited with error: {how}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(request_id: &str, init: Option<f64>, status: Status) -> ReportFigures {
        ReportFigures {
            request_id: Some(request_id.to_owned()),
            duration_ms: 12.345,
            billed_duration_ms: 13,
            memory_size_mb: 128,
            max_memory_used_mb: 21,
            init_duration_ms: init,
            status,
            error_type: (status != Status::Success).then(|| "Runtime.ExitError".to_owned()),
        }
    }

    #[test]
    fn billing_rounds_up_to_the_millisecond_and_counts_the_init_of_a_custom_runtime() {
        assert_eq!(billed_ms(Duration::from_micros(12_001), None), 13);
        assert_eq!(billed_ms(Duration::from_millis(12), None), 12);
        assert_eq!(
            billed_ms(
                Duration::from_micros(12_300),
                Some(Duration::from_micros(30_800))
            ),
            44
        );
        assert_eq!(megabytes(20 * 1024 + 1), 21);
        assert_eq!(megabytes(20 * 1024), 20);
    }

    #[test]
    fn text_lines_are_lambdas_and_read_back() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_638_330_917_123);
        assert_eq!(
            start_line(LogFormat::Text, at, "r-1", "$LATEST"),
            "START RequestId: r-1 Version: $LATEST"
        );
        let cold = figures("r-1", Some(30.5), Status::Success);
        let lines = end_lines(LogFormat::Text, at, &cold);
        assert_eq!(lines[0], "END RequestId: r-1");
        assert_eq!(
            lines[1],
            "REPORT RequestId: r-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t\
             Max Memory Used: 21 MB\tInit Duration: 30.50 ms\t"
        );
        let back = parse_report(&lines[1]).unwrap();
        assert_eq!(back.init_duration_ms, Some(30.5));
        assert_eq!(back.billed_duration_ms, 13);
        assert_eq!(back.status, Status::Success);
        assert!(parse_report("END RequestId: r-1").is_none());
    }

    #[test]
    fn a_timeout_is_noted_and_its_report_says_so() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_638_330_917_123);
        let mut timed_out = figures("r-2", None, Status::Timeout);
        timed_out.duration_ms = 1000.2;
        timed_out.error_type = Some("Sandbox.Timedout".into());
        let lines = end_lines(LogFormat::Text, at, &timed_out);
        assert_eq!(
            lines[0],
            "2021-12-01T03:55:17.123Z r-2 Task timed out after 1.00 seconds"
        );
        assert!(lines[2].ends_with("Status: timeout\tError Type: Sandbox.Timedout\t"));
        let back = parse_report(&lines[2]).unwrap();
        assert_eq!(back.status, Status::Timeout);
        assert_eq!(back.error_type.as_deref(), Some("Sandbox.Timedout"));
    }

    #[test]
    fn json_events_follow_the_telemetry_schema_and_read_back() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_638_330_917_123);
        let start: serde_json::Value =
            serde_json::from_str(&start_line(LogFormat::Json, at, "r-3", "$LATEST")).unwrap();
        assert_eq!(start["type"], "platform.start");
        assert_eq!(start["time"], "2021-12-01T03:55:17.123Z");
        assert_eq!(start["record"]["requestId"], "r-3");
        let failed = figures("r-3", Some(40.0), Status::Failure);
        let lines = end_lines(LogFormat::Json, at, &failed);
        let done: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(done["type"], "platform.runtimeDone");
        assert_eq!(done["record"]["status"], "failure");
        let report: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(report["record"]["metrics"]["billedDurationMs"], 13);
        assert_eq!(report["record"]["metrics"]["initDurationMs"], 40.0);
        // JSON carries milliseconds to two decimals, as Lambda's events do.
        let read_back = ReportFigures {
            duration_ms: 12.35,
            ..failed
        };
        assert_eq!(parse_report(&lines[1]), Some(read_back));
        assert!(parse_report(&lines[0]).is_none());
    }

    #[test]
    fn errors_read_as_lambda_answers_them() {
        let timeout = timed_out("r-4", Duration::from_secs(10));
        assert_eq!(timeout.error_type, "Sandbox.Timedout");
        assert_eq!(
            timeout.error_message,
            "RequestId: r-4 Error: Task timed out after 10.00 seconds"
        );
        let exited = runtime_exited("r-5", "signal: killed");
        assert_eq!(
            serde_json::to_value(&exited).unwrap(),
            json!({"errorType": "Runtime.ExitError",
                   "errorMessage": "RequestId: r-5 Error: Runtime exited with error: signal: killed"})
        );
    }
}
