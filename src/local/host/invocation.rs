//! One invocation in one environment, start to end: the init phase on a cold start, the event
//! handed over (or a fault applied), the answer turned into what Lambda would return, the
//! END/REPORT lines after the function's own, and the metrics.

use std::time::{Duration, SystemTime};

use hyper::body::Bytes;
use serde::Serialize;
use serde_json::Value;

use super::environment::{Answer, Environment, Failure, Request};
use super::logs::LogLine;
use super::platform::{self, FunctionError, ReportFigures, Status};
use super::runtime_api::Posted;
use super::spec::FunctionSpec;
use super::{Fault, INIT_LIMIT};
use crate::local::recorder::{LocalMetric, Recorder};

/// What one invocation returned, logged and measured.
#[derive(Debug, Clone, Serialize)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    /// The invocation's lines: START, the function's own, END, REPORT.
    pub logs: Vec<LogLine>,
    pub report: ReportFigures,
    /// The environment's log stream, in the function's log group.
    pub log_stream: String,
}

/// The function's answer, or the error Lambda answers for it (`FunctionError: Unhandled`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Response(Value),
    Error(FunctionError),
}

impl Invocation {
    /// Whether the environment can serve the next invocation: it answered (a function error
    /// included), rather than timing out, crashing or failing its init.
    pub(crate) fn healthy(&self) -> bool {
        matches!(self.report.status, Status::Success | Status::Error)
    }
}

/// Runs `payload` in `environment`, applying `fault` if one was injected.
pub(crate) async fn run(
    spec: &FunctionSpec,
    environment: &mut Environment,
    payload: Value,
    fault: Option<Fault>,
    recorder: &Recorder,
) -> Invocation {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut init_lines = Vec::new();
    let cold = environment.init.is_none();
    let mut answer = None;
    if cold && let Err(failure) = environment.ready(INIT_LIMIT).await {
        init_lines = init_report(spec, environment, &failure);
        answer = Some(Answer {
            outcome: Err(failure),
            duration: Duration::ZERO,
        });
    }
    let answer = match (answer, fault) {
        (Some(failed_init), _) => {
            init_lines.push(start(spec, &request_id));
            environment.begin(init_lines);
            failed_init
        }
        (None, Some(Fault::Answer(outcome))) => {
            environment.begin(vec![start(spec, &request_id)]);
            Answer {
                outcome: Ok(posted(outcome)),
                duration: Duration::ZERO,
            }
        }
        (None, fault) => {
            let kill_after = match fault {
                Some(Fault::Kill { after }) => Some(after),
                _ => None,
            };
            let request = Request {
                request_id: request_id.clone(),
                payload: Bytes::from(payload.to_string()),
                kill_after,
            };
            environment.invoke(request).await
        }
    };
    conclude(spec, environment, request_id, answer, cold, recorder).await
}

async fn conclude(
    spec: &FunctionSpec,
    environment: &mut Environment,
    request_id: String,
    answer: Answer,
    cold: bool,
    recorder: &Recorder,
) -> Invocation {
    let init = cold.then(|| environment.init_or_elapsed());
    let (outcome, status) = outcome_of(spec, &request_id, answer.outcome);
    let report = ReportFigures {
        request_id: Some(request_id.clone()),
        duration_ms: millis(answer.duration),
        billed_duration_ms: platform::billed_ms(answer.duration, init),
        memory_size_mb: spec.memory_mb,
        max_memory_used_mb: platform::megabytes(environment.peak_kb()),
        init_duration_ms: init.map(millis),
        error_type: match &outcome {
            Outcome::Error(error) => Some(error.error_type.clone()),
            Outcome::Response(_) => None,
        },
        status,
    };
    let end = platform::end_lines(spec.log_format, SystemTime::now(), &report);
    let logs = environment.end(end).await;
    record(recorder, &spec.name, &report);
    Invocation {
        request_id,
        outcome,
        logs,
        report,
        log_stream: environment.stream.to_string(),
    }
}

/// What Lambda returns for `answer`, and the status its REPORT carries.
fn outcome_of(
    spec: &FunctionSpec,
    request_id: &str,
    answer: Result<Posted, Failure>,
) -> (Outcome, Status) {
    match answer {
        Ok(Posted::Response(body)) => (Outcome::Response(json_or_text(&body)), Status::Success),
        Ok(Posted::Error { body, error_type }) => (
            Outcome::Error(posted_error(&body, error_type)),
            Status::Error,
        ),
        Err(Failure::TimedOut) => (
            Outcome::Error(platform::timed_out(request_id, spec.timeout)),
            Status::Timeout,
        ),
        Err(Failure::InitTimedOut) => (
            Outcome::Error(FunctionError {
                error_type: "Sandbox.Timedout".into(),
                error_message: format!(
                    "RequestId: {request_id} Error: INIT timed out after {:.2} seconds",
                    INIT_LIMIT.as_secs_f64()
                ),
            }),
            Status::Timeout,
        ),
        Err(Failure::Exited(how)) => (
            Outcome::Error(platform::runtime_exited(request_id, &how)),
            Status::Failure,
        ),
        Err(Failure::InitError { body, error_type }) => (
            Outcome::Error(posted_error(&body, error_type)),
            Status::Failure,
        ),
    }
}

/// The error a runtime posted: its `errorType` and `errorMessage`, else the header's type.
fn posted_error(body: &[u8], header_type: Option<String>) -> FunctionError {
    let json = json_or_text(body);
    FunctionError {
        error_type: json["errorType"]
            .as_str()
            .map(str::to_owned)
            .or(header_type)
            .unwrap_or_else(|| "Unhandled".into()),
        error_message: json["errorMessage"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned()),
    }
}

/// The stand-in's answer as the process would have posted it.
fn posted(outcome: Outcome) -> Posted {
    match outcome {
        Outcome::Response(value) => Posted::Response(Bytes::from(value.to_string())),
        Outcome::Error(error) => Posted::Error {
            body: Bytes::from(serde_json::to_string(&error).unwrap_or_default()),
            error_type: Some(error.error_type),
        },
    }
}

fn json_or_text(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

fn start(spec: &FunctionSpec, request_id: &str) -> String {
    platform::start_line(
        spec.log_format,
        SystemTime::now(),
        request_id,
        &spec.version,
    )
}

/// Lambda's note on a failed init phase.
fn init_report(
    spec: &FunctionSpec,
    environment: &mut Environment,
    failure: &Failure,
) -> Vec<String> {
    let (status, error_type) = match failure {
        Failure::InitTimedOut => ("timeout", "Sandbox.Timedout".to_owned()),
        Failure::InitError { body, error_type } => {
            ("error", posted_error(body, error_type.clone()).error_type)
        }
        _ => ("error", "Runtime.ExitError".to_owned()),
    };
    vec![platform::init_report_line(
        spec.log_format,
        SystemTime::now(),
        environment.init_or_elapsed(),
        status,
        &error_type,
    )]
}

/// The metrics Lambda (and Lambda Insights) would publish for the invocation.
fn record(recorder: &Recorder, function: &str, report: &ReportFigures) {
    recorder.record(LocalMetric::Invocations, function, 1.0);
    recorder.record(LocalMetric::Duration, function, report.duration_ms);
    if report.status != Status::Success {
        recorder.record(LocalMetric::Errors, function, 1.0);
    }
    recorder.record(
        LocalMetric::UsedMemoryMax,
        function,
        report.max_memory_used_mb as f64,
    );
    if let Some(init) = report.init_duration_ms {
        recorder.record(LocalMetric::InitDuration, function, init);
    }
}

/// Milliseconds to two decimals, as the REPORT line carries them.
fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 100_000.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_posted_error_keeps_the_runtimes_type_and_message() {
        let body =
            br#"{"errorType":"&alloc::string::String","errorMessage":"Lambda panicked: boom"}"#;
        let error = posted_error(body, Some("Unhandled".into()));
        assert_eq!(error.error_type, "&alloc::string::String");
        assert_eq!(error.error_message, "Lambda panicked: boom");
        let bare = posted_error(b"not json", Some("Runtime.InitError".into()));
        assert_eq!(bare.error_type, "Runtime.InitError");
        assert_eq!(bare.error_message, "not json");
    }

    #[test]
    fn the_stand_ins_answer_reads_as_the_process_would_have_posted_it() {
        let error = FunctionError {
            error_type: "Injected".into(),
            error_message: "answered by the stand-in".into(),
        };
        let Posted::Error { body, error_type } = posted(Outcome::Error(error.clone())) else {
            panic!("an error posts an error")
        };
        assert_eq!(posted_error(&body, error_type), error);
        assert_eq!(
            posted(Outcome::Response(serde_json::json!({"ok": true}))),
            Posted::Response(Bytes::from_static(br#"{"ok":true}"#))
        );
    }
}
