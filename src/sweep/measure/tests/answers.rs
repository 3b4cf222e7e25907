//! AWS's answers as they come over the wire, replayed to the SDK clients so that the SDK parses
//! them as it parses AWS's own: CloudWatch in awsQuery XML (aws-sdk-cloudwatch 1.99.0 speaks
//! awsQuery: form-encoded requests, XML answers), CloudWatch Logs in awsJson1.1 and DynamoDB in
//! awsJson1.0, each with the status, content type and request id AWS sends.

use aws_sdk_cloudwatch::config::http::HttpResponse;
use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use serde_json::{Value, json};

use crate::aws::replay::{REQUEST_ID, answer};

const CLOUDWATCH_XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// One MetricDataResult: the query's id, its label and (seconds since the epoch, value) points.
pub(crate) struct Series {
    pub(crate) id: String,
    pub(crate) label: String,
    pub(crate) points: Vec<(i64, f64)>,
}

/// GetMetricData's answer (HTTP 200, text/xml), every series complete on one page.
pub(crate) fn metric_data(results: &[Series]) -> HttpResponse {
    let members: String = results.iter().map(metric_data_result).collect();
    let body = format!(
        "<GetMetricDataResponse xmlns=\"{CLOUDWATCH_XMLNS}\">\n  <GetMetricDataResult>\n    \
         <MetricDataResults>\n{members}    </MetricDataResults>\n    <Messages/>\n  \
         </GetMetricDataResult>\n  <ResponseMetadata>\n    <RequestId>{REQUEST_ID}</RequestId>\n  \
         </ResponseMetadata>\n</GetMetricDataResponse>\n"
    );
    answer(200, "text/xml", body)
}

fn metric_data_result(series: &Series) -> String {
    let timestamps: String = (series.points.iter())
        .map(|(at, _)| format!("          <member>{}</member>\n", iso8601(*at)))
        .collect();
    let values: String = (series.points.iter())
        .map(|(_, value)| format!("          <member>{value:?}</member>\n"))
        .collect();
    format!(
        "      <member>\n        <Timestamps>\n{timestamps}        </Timestamps>\n        \
         <StatusCode>Complete</StatusCode>\n        <Values>\n{values}        </Values>\n        \
         <Id>{}</Id>\n        <Label>{}</Label>\n      </member>\n",
        series.id, series.label
    )
}

/// A CloudWatch (awsQuery) error: `<ErrorResponse>` with the fault's type, code and message.
pub(crate) fn cloudwatch_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<ErrorResponse xmlns=\"{CLOUDWATCH_XMLNS}\">\n  <Error>\n    <Type>Sender</Type>\n    \
         <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  \
         <RequestId>{REQUEST_ID}</RequestId>\n</ErrorResponse>\n"
    );
    answer(status, "text/xml", body)
}

/// StartQuery's answer: the id of the Logs Insights query.
pub(crate) fn query_started(query_id: &str) -> HttpResponse {
    logs_answer(200, &json!({ "queryId": query_id }))
}

/// GetQueryResults' answer for a finished query: each row a list of `field`/`value` pairs,
/// values as strings, as Logs Insights returns them.
pub(crate) fn query_results(rows: &[Vec<(String, String)>]) -> HttpResponse {
    let results: Vec<Value> = (rows.iter())
        .map(|row| {
            let fields = row.iter().map(|(f, v)| json!({ "field": f, "value": v }));
            Value::Array(fields.collect())
        })
        .collect();
    let matched = rows.len() as f64;
    logs_answer(
        200,
        &json!({
            "results": results,
            "statistics": {
                "recordsMatched": matched,
                "recordsScanned": matched,
                "bytesScanned": matched * 412.0,
            },
            "status": "Complete",
        }),
    )
}

/// A CloudWatch Logs (awsJson1.1) error: the status, and `__type` and `message` in the body.
pub(crate) fn logs_error(status: u16, error_type: &str, message: &str) -> HttpResponse {
    logs_answer(status, &json!({ "__type": error_type, "message": message }))
}

fn logs_answer(status: u16, body: &Value) -> HttpResponse {
    answer(status, "application/x-amz-json-1.1", body.to_string())
}

/// One page of a DynamoDB Scan (awsJson1.0): the items that passed the filter, how many were
/// scanned, and the key to go on from when there is more.
pub(crate) fn scan_page(items: &[Value], scanned: usize, last_key: Option<Value>) -> HttpResponse {
    let mut body = json!({
        "Count": items.len(),
        "Items": items,
        "ScannedCount": scanned,
    });
    if let Some(key) = last_key {
        body["LastEvaluatedKey"] = key;
    }
    answer(200, "application/x-amz-json-1.0", body.to_string())
}

/// `2026-11-26T07:00:00Z`, as CloudWatch writes timestamps.
fn iso8601(seconds: i64) -> String {
    DateTime::from_secs(seconds)
        .fmt(DateTimeFormat::DateTime)
        .expect("a time CloudWatch can hold")
}
