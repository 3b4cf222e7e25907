//! What `demo invoke` prints: the function and its event, its response (or error), its log
//! lines made readable, and its REPORT figures; text for people, all of it in JSON.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use super::Invocation;
use super::prepare::{EventKind, EventSummary};
use super::target::Target;
use crate::local::host::ReportFigures;
use crate::logging;
use crate::logs::StackFunction;
use crate::logs::message::{self, Readable};

/// One invocation, as printed.
#[derive(Debug, Serialize)]
pub(crate) struct InvokeResult {
    pub(crate) function: StackFunction,
    pub(crate) function_name: String,
    /// Where it ran, so figures are never taken for another place's.
    pub(crate) ran_on: String,
    pub(crate) event: EventSummary,
    pub(crate) status_code: i32,
    pub(crate) executed_version: Option<String>,
    /// `Unhandled` or `Handled` when the function failed; `response` is then its error.
    pub(crate) function_error: Option<String>,
    /// The response as JSON when it is JSON, else as text.
    pub(crate) response: Value,
    /// The log lines as written.
    pub(crate) log_lines: Vec<String>,
    /// The same lines as people read them.
    pub(crate) log: Vec<Readable>,
    /// Only the log's last 4 KB came back: its first line may be cut.
    pub(crate) log_cut: bool,
    pub(crate) report: Option<ReportFigures>,
}

impl InvokeResult {
    /// The result of `invocation` of `target` with the event `event`, run on `ran_on`; every
    /// text scrubbed as stderr is (a function may log a secret).
    pub(crate) fn new(
        target: &Target,
        event: EventSummary,
        invocation: Invocation,
        ran_on: &str,
    ) -> Self {
        let text = logging::scrub(&String::from_utf8_lossy(&invocation.payload));
        let response = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let log_lines: Vec<String> = (invocation.log_lines.iter())
            .map(|line| logging::scrub(line))
            .collect();
        let log = log_lines
            .iter()
            .map(|line| message::readable(line))
            .collect();
        InvokeResult {
            function: target.function,
            function_name: target.function_name.clone(),
            ran_on: ran_on.to_owned(),
            event,
            status_code: invocation.status_code,
            executed_version: invocation.executed_version,
            function_error: invocation.function_error,
            response,
            log_lines,
            log,
            log_cut: invocation.log_cut,
            report: invocation.report,
        }
    }
}

impl fmt::Display for InvokeResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version =
            (self.executed_version.as_deref()).map_or(String::new(), |v| format!(", version {v}"));
        writeln!(
            f,
            "{} ({}{version}) on {}: {}",
            self.function,
            self.function_name,
            self.ran_on,
            describe_event(&self.event)
        )?;
        match &self.function_error {
            Some(kind) => writeln!(f, "error ({kind}):")?,
            None => writeln!(f, "response:")?,
        }
        let response = match &self.response {
            Value::String(text) => text.clone(),
            json => serde_json::to_string_pretty(json).unwrap_or_default(),
        };
        for line in response.lines() {
            writeln!(f, "  {line}")?;
        }
        match (self.log.is_empty(), self.log_cut) {
            (true, _) => writeln!(f, "log: none came back")?,
            (false, true) => writeln!(f, "log (its last 4 KB: the first line may be cut):")?,
            (false, false) => writeln!(f, "log:")?,
        }
        for line in &self.log {
            writeln!(f, "  {}", line.text)?;
        }
        match &self.report {
            Some(report) => writeln!(f, "REPORT: {report}"),
            None => writeln!(f, "REPORT: none in the log"),
        }
    }
}

/// `a Kinesis batch of 3 orders (2.1 KB) from arn:…`, `an API Gateway request …`, `event.json`.
fn describe_event(event: &EventSummary) -> String {
    let size = format!("{:.1} KB", event.bytes as f64 / 1024.0);
    match event.kind {
        EventKind::KinesisBatch => format!(
            "a Kinesis batch of {} order(s) ({size}) from {}",
            event.order_ids.len(),
            event.origin
        ),
        EventKind::ApiGatewayRequest => format!(
            "an API Gateway request POST /prod/order ({size}) through API {}, order {}",
            event.origin,
            event.order_ids.first().map_or("-", String::as_str)
        ),
        EventKind::File => format!("the event in {} ({size})", event.origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::invoke::event::StreamSource;
    use crate::invoke::target::EventSource;

    fn target() -> Target {
        Target {
            function: StackFunction::Consumer1,
            function_name: "s-put-item-1".into(),
            source: EventSource::Stream(StreamSource {
                stream_arn: "arn:aws:kinesis:ap-southeast-2:123456789012:stream/s-orders".into(),
                region: "ap-southeast-2".into(),
                shard_id: "shardId-000000000000".into(),
                invoke_identity_arn: String::new(),
            }),
        }
    }

    fn summary() -> EventSummary {
        EventSummary {
            kind: EventKind::KinesisBatch,
            bytes: 2150,
            order_ids: vec!["o-1".into(), "o-2".into()],
            origin: "arn:aws:kinesis:ap-southeast-2:123456789012:stream/s-orders".into(),
        }
    }

    const LOG: [&str; 2] = [
        r#"{"time":"t","type":"platform.start","record":{"requestId":"r1","version":"$LATEST"}}"#,
        "REPORT RequestId: r1\tDuration: 23.71 ms\tBilled Duration: 79 ms\tMemory Size: 128 MB\t\
         Max Memory Used: 31 MB\tInit Duration: 54.62 ms\t",
    ];

    #[test]
    fn a_response_its_log_and_figures_read_in_order() {
        let log = LOG.map(str::to_owned).to_vec();
        let invocation = Invocation::new(br#"{"batchItemFailures":[]}"#.to_vec(), None, log, false);
        let text = InvokeResult::new(&target(), summary(), invocation, "AWS Lambda").to_string();
        let expected = "consumer-1 (s-put-item-1) on AWS Lambda: a Kinesis batch of 2 order(s) \
             (2.1 KB) from arn:aws:kinesis:ap-southeast-2:123456789012:stream/s-orders\n\
             response:\n  {\n    \"batchItemFailures\": []\n  }\n\
             log:\n  START RequestId: r1 Version: $LATEST\n  REPORT RequestId: r1\tDuration: 23.71 ms\t\
             Billed Duration: 79 ms\tMemory Size: 128 MB\tMax Memory Used: 31 MB\tInit Duration: 54.62 ms\n\
             REPORT: duration 23.71 ms, billed 79 ms, memory 128 MB (max used 31 MB), init 54.62 ms\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn an_error_is_shown_as_the_error_and_json_has_everything() {
        let error = br#"{"errorType":"&str","errorMessage":"boom"}"#.to_vec();
        let invocation = Invocation::new(error, Some("Unhandled".into()), vec![], true);
        let result = InvokeResult::new(&target(), summary(), invocation, "AWS Lambda");
        let text = result.to_string();
        assert!(text.contains("error (Unhandled):\n  {\n"), "{text}");
        assert!(text.contains("\n    \"errorMessage\": \"boom\""), "{text}");
        assert!(
            text.contains("log: none came back\nREPORT: none in the log"),
            "{text}"
        );
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(json["function_error"], "Unhandled");
        assert_eq!(json["response"]["errorMessage"], "boom");
        assert_eq!(json["event"]["order_ids"][1], "o-2");
        assert_eq!(json["report"], Value::Null);
    }

    #[test]
    fn a_response_that_is_not_json_is_text_and_secrets_are_not_shown() {
        let invocation = Invocation::new(
            b"plain answer session_token=FwoGZXIvYXdzEXAMPLE".to_vec(),
            None,
            vec!["aws_secret_access_key=wJalrXUtnFEMIEXAMPLEKEY".into()],
            false,
        );
        let result = InvokeResult::new(&target(), summary(), invocation, "AWS Lambda");
        let text = result.to_string();
        assert!(
            text.contains("  plain answer session_token=<redacted>"),
            "{text}"
        );
        assert!(!text.contains("wJalrXUtnFEMIEXAMPLEKEY"), "{text}");
    }
}
