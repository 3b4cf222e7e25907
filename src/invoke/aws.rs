//! Invoking on AWS: Lambda's `Invoke`, synchronous, with `LogType=Tail`, whose answer carries
//! the function's response (or its error, with `X-Amz-Function-Error: Unhandled | Handled` and
//! status 200) and the last 4 KB of the invocation's log, base64, in `X-Amz-Log-Result`.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LogType;
use base64::Engine;

use super::Invocation;
use crate::aws::AwsError;

/// The most of the log `Invoke` returns: its last 4 KB.
const TAIL_BYTES: usize = 4096;

/// Invokes `function_name` once with `payload` and waits for its answer.
pub(crate) async fn invoke(
    lambda: &Client,
    function_name: &str,
    payload: Vec<u8>,
) -> Result<Invocation, AwsError> {
    let output = lambda
        .invoke()
        .function_name(function_name)
        .log_type(LogType::Tail)
        .payload(Blob::new(payload))
        .send()
        .await
        .map_err(|err| AwsError::from_sdk(format!("invoke {function_name}"), err))?;
    let (log_lines, log_cut) = output.log_result().map(tail).unwrap_or_default();
    let answer = output
        .payload()
        .map(|p| p.as_ref().to_vec())
        .unwrap_or_default();
    Ok(Invocation {
        status_code: output.status_code(),
        executed_version: output.executed_version().map(str::to_owned),
        ..Invocation::new(
            answer,
            output.function_error().map(str::to_owned),
            log_lines,
            log_cut,
        )
    })
}

/// The log lines of `X-Amz-Log-Result`, and whether the log was longer (the first line may be
/// cut). A tail that is not base64 is shown as it came.
pub(crate) fn tail(encoded: &str) -> (Vec<String>, bool) {
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return (vec![encoded.to_owned()], false);
    };
    // A cut at 4 KB may split a character: the lossy decoding shows it as U+FFFD.
    let text = String::from_utf8_lossy(&bytes);
    let lines = (text.lines())
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect();
    (lines, bytes.len() >= TAIL_BYTES)
}

#[cfg(test)]
mod tests {
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::replay;

    /// A Text-format tail as Lambda returns it for a cold start of the consumer.
    const TAIL: &str = "START RequestId: 5b1c6e2a-8f0d-4d8e-9a51-3c2b7f4e9d10 Version: $LATEST\n\
        {\"level\":\"INFO\",\"fields\":{\"message\":\"invocation\",\"records\":3,\"written\":3,\"failed\":0,\"ms\":21.4},\"target\":\"put_item\"}\n\
        END RequestId: 5b1c6e2a-8f0d-4d8e-9a51-3c2b7f4e9d10\n\
        REPORT RequestId: 5b1c6e2a-8f0d-4d8e-9a51-3c2b7f4e9d10\tDuration: 23.71 ms\tBilled Duration: 79 ms\t\
        Memory Size: 128 MB\tMax Memory Used: 31 MB\tInit Duration: 54.62 ms\t\n";

    /// Invoke's answer as Lambda sends it: the payload as the body, the rest in headers.
    fn answer(body: &'static str, function_error: Option<&'static str>, tail: &str) -> Client {
        let encoded = base64::engine::general_purpose::STANDARD.encode(tail);
        let rule = mock!(aws_sdk_lambda::Client::invoke).then_http_response(move || {
            let mut response = replay::answer(200, "application/json", body);
            let headers = response.headers_mut();
            headers.insert("X-Amz-Executed-Version", "$LATEST");
            headers.insert("X-Amz-Log-Result", encoded.clone());
            if let Some(kind) = function_error {
                headers.insert("X-Amz-Function-Error", kind);
            }
            response
        });
        replay::lambda("ap-southeast-2", &[&rule])
    }

    #[tokio::test]
    async fn a_response_comes_back_with_its_log_lines_and_report_figures() {
        let lambda = answer(r#"{"batchItemFailures":[]}"#, None, TAIL);
        let invocation = invoke(&lambda, "s-put-item-1", b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(invocation.payload, br#"{"batchItemFailures":[]}"#);
        assert_eq!(invocation.function_error, None);
        assert_eq!(invocation.status_code, 200);
        assert_eq!(invocation.executed_version.as_deref(), Some("$LATEST"));
        assert_eq!(invocation.log_lines.len(), 4);
        assert!(!invocation.log_cut);
        let report = invocation.report.unwrap();
        assert_eq!(report.duration_ms, 23.71);
        assert_eq!(report.billed_duration_ms, 79);
        assert_eq!(report.memory_size_mb, 128);
        assert_eq!(report.max_memory_used_mb, 31);
        assert_eq!(report.init_duration_ms, Some(54.62));
    }

    #[tokio::test]
    async fn a_function_error_keeps_its_kind_and_payload() {
        let error = r#"{"errorType":"&str","errorMessage":"TABLE_NAME is not set"}"#;
        let lambda = answer(error, Some("Unhandled"), TAIL);
        let invocation = invoke(&lambda, "s-put-item-1", b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(invocation.function_error.as_deref(), Some("Unhandled"));
        assert_eq!(invocation.payload, error.as_bytes());
        assert!(invocation.report.is_some());
    }

    #[tokio::test]
    async fn a_json_format_tail_gives_the_same_figures() {
        let tail = "{\"time\":\"2026-12-03T09:10:11.100Z\",\"type\":\"platform.start\",\"record\":{\"requestId\":\"r1\",\"version\":\"$LATEST\"}}\n\
            {\"time\":\"2026-12-03T09:10:11.130Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"r1\",\"metrics\":{\"durationMs\":23.71,\"billedDurationMs\":79,\"memorySizeMB\":128,\"maxMemoryUsedMB\":31,\"initDurationMs\":54.62},\"status\":\"success\"}}\n";
        let lambda = answer("{}", None, tail);
        let invocation = invoke(&lambda, "s-put-item-1", b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(invocation.report.unwrap().max_memory_used_mb, 31);
    }

    #[tokio::test]
    async fn a_refused_call_names_the_function_and_lambdas_reason() {
        // What Lambda answers a payload over 6 MB (status 413, REST-JSON error).
        let rule = mock!(aws_sdk_lambda::Client::invoke).then_http_response(|| {
            replay::rest_json(
                413,
                Some("RequestEntityTooLargeException"),
                r#"{"Type":"User","message":"Request must be smaller than 6291456 bytes for the InvokeFunction operation"}"#,
            )
        });
        let lambda = replay::lambda("ap-southeast-2", &[&rule]);
        let err = invoke(&lambda, "s-put-item-1", vec![b' '; 16])
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("could not invoke s-put-item-1"), "{text}");
        assert!(text.contains("RequestEntityTooLargeException"), "{text}");
        assert!(!err.is_environment());
    }

    #[test]
    fn a_full_tail_may_start_mid_line() {
        let long = format!("{}\nREPORT RequestId: r1\n", "x".repeat(TAIL_BYTES));
        let encoded = base64::engine::general_purpose::STANDARD.encode(&long);
        let (lines, cut) = tail(&encoded);
        assert!(cut);
        assert_eq!(lines.len(), 2);
        let (lines, cut) = tail("not base64!");
        assert_eq!((lines, cut), (vec!["not base64!".to_owned()], false));
    }
}
