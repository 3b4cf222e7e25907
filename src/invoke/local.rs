//! Invoking offline: the function's own process (the deployed zip's `bootstrap`, through the
//! local runner's Runtime API stand-in), started for this one invocation and ended after it, so
//! the answer, the log lines and the REPORT figures are those of a cold start on this machine.

use super::{Invocation, InvokeError};
use crate::aws::Clients;
use crate::local::LocalError;
use crate::local::host::{self, FunctionHost, HostOptions, Outcome};
use crate::logs::StackFunction;

/// Lambda's `X-Amz-Function-Error` for an error the function did not handle itself (a crash, a
/// timeout and an init failure included).
const UNHANDLED: &str = "Unhandled";

/// Runs `function` of `stack` once with `payload`; what it answered, and which binary ran.
pub(crate) async fn invoke(
    clients: &Clients,
    stack: &str,
    function: StackFunction,
    payload: serde_json::Value,
) -> Result<(Invocation, String), InvokeError> {
    let options = HostOptions {
        max_environments: 1,
        extra_env: host::emulator_env(clients),
        ..HostOptions::default()
    };
    let host = FunctionHost::start(clients, stack, function.template_name(), options)
        .await
        .map_err(LocalError::from)?;
    let ran = host.invoke(payload).await;
    // The process ends and its lines and metrics reach the emulator, whatever the answer.
    host.shutdown().await.map_err(LocalError::from)?;
    let ran = ran.map_err(LocalError::from)?;
    let binary = host.binary().describe();
    Ok((from_host(ran, &host.spec().version), binary))
}

/// The runner's account of an invocation, as `Invoke` gives it back.
fn from_host(ran: host::Invocation, version: &str) -> Invocation {
    let (payload, function_error) = match &ran.outcome {
        Outcome::Response(value) => (value.to_string(), None),
        Outcome::Error(error) => (
            serde_json::to_string(error).expect("an error serializes"),
            Some(UNHANDLED.to_owned()),
        ),
    };
    let log_lines = ran.logs.into_iter().map(|line| line.message).collect();
    Invocation {
        executed_version: Some(version.to_owned()),
        ..Invocation::new(payload.into_bytes(), function_error, log_lines, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::local::host::LogLine;
    use crate::local::host::platform::{FunctionError, ReportFigures, Status};

    fn ran(outcome: Outcome) -> host::Invocation {
        let line = |message: &str| LogLine {
            timestamp_ms: 0,
            message: message.to_owned(),
        };
        host::Invocation {
            request_id: "r1".into(),
            outcome,
            logs: vec![
                line("START RequestId: r1 Version: $LATEST"),
                line("END RequestId: r1"),
                line(
                    "REPORT RequestId: r1\tDuration: 1.50 ms\tBilled Duration: 2 ms\t\
                     Memory Size: 128 MB\tMax Memory Used: 20 MB\t",
                ),
            ],
            report: ReportFigures {
                request_id: Some("r1".into()),
                duration_ms: 1.5,
                billed_duration_ms: 2,
                memory_size_mb: 128,
                max_memory_used_mb: 20,
                init_duration_ms: None,
                status: Status::Success,
                error_type: None,
            },
            log_stream: "2026/12/03/[$LATEST]00".into(),
        }
    }

    #[test]
    fn a_response_and_an_error_read_as_invoke_gives_them() {
        let answered = from_host(
            ran(Outcome::Response(serde_json::json!({"a": 1}))),
            "$LATEST",
        );
        assert_eq!(answered.payload, br#"{"a":1}"#);
        assert_eq!(answered.function_error, None);
        assert_eq!(answered.report.unwrap().billed_duration_ms, 2);
        assert_eq!(answered.executed_version.as_deref(), Some("$LATEST"));

        let error = FunctionError {
            error_type: "Sandbox.Timedout".into(),
            error_message: "Task timed out after 3.00 seconds".into(),
        };
        let failed = from_host(ran(Outcome::Error(error)), "$LATEST");
        assert_eq!(failed.function_error.as_deref(), Some(UNHANDLED));
        let payload: serde_json::Value = serde_json::from_slice(&failed.payload).unwrap();
        assert_eq!(payload["errorType"], "Sandbox.Timedout");
    }
}
