//! The services' answers to teardown's calls as they come over the wire: API Gateway and
//! Lambda in REST-JSON, Kinesis and CloudWatch Logs in awsJson 1.1, DynamoDB and SQS in awsJson
//! 1.0 (SQS adds its awsQuery code in `x-amzn-query-error`), CloudWatch (the pinned 1.99.0
//! client) and IAM in awsQuery XML; each with the status, content type and request id AWS sends.

use aws_sdk_iam::config::http::HttpResponse;

use crate::aws::replay::{REQUEST_ID, answer};

const CLOUDWATCH_XMLNS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";
const IAM_XMLNS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// A REST-JSON error (API Gateway, Lambda): the type in `x-amzn-ErrorType`, the message in
/// the body (Lambda adds `Type`).
pub(crate) fn rest_json_error(
    status: u16,
    error_type: &'static str,
    message: &str,
) -> HttpResponse {
    let body = serde_json::json!({ "Type": "User", "message": message });
    let mut response = answer(status, "application/json", body.to_string());
    response
        .headers_mut()
        .insert("x-amzn-ErrorType", error_type);
    response
}

pub(crate) fn rest_json(status: u16, body: String) -> HttpResponse {
    answer(status, "application/json", body)
}

/// An awsJson error: `__type` (DynamoDB prefixes its namespace) and `message`.
pub(crate) fn aws_json_error(
    version: &str,
    status: u16,
    error_type: &str,
    message: &str,
) -> HttpResponse {
    let body = serde_json::json!({ "__type": error_type, "message": message });
    aws_json(version, status, body.to_string())
}

/// An awsJson answer of `version` "1.0" or "1.1".
pub(crate) fn aws_json(version: &str, status: u16, body: String) -> HttpResponse {
    let content_type = match version {
        "1.0" => "application/x-amz-json-1.0",
        _ => "application/x-amz-json-1.1",
    };
    answer(status, content_type, body)
}

/// SQS's "no such queue" in its JSON protocol, with the awsQuery code it keeps sending.
pub(crate) fn sqs_no_such_queue() -> HttpResponse {
    let mut response = aws_json_error(
        "1.0",
        400,
        "com.amazonaws.sqs#QueueDoesNotExist",
        "The specified queue does not exist.",
    );
    (response.headers_mut()).insert(
        "x-amzn-query-error",
        "AWS.SimpleQueueService.NonExistentQueue;Sender",
    );
    response
}

/// An awsQuery error (`<ErrorResponse>`), in CloudWatch's or IAM's namespace.
fn query_error(xmlns: &str, status: u16, code: &str, message: &str) -> HttpResponse {
    let fault = if status >= 500 { "Receiver" } else { "Sender" };
    let body = format!(
        "<ErrorResponse xmlns=\"{xmlns}\">\n  <Error>\n    <Type>{fault}</Type>\n    \
         <Code>{code}</Code>\n    <Message>{message}</Message>\n  </Error>\n  \
         <RequestId>{REQUEST_ID}</RequestId>\n</ErrorResponse>\n"
    );
    answer(status, "text/xml", body)
}

pub(crate) fn cloudwatch_error(status: u16, code: &str, message: &str) -> HttpResponse {
    query_error(CLOUDWATCH_XMLNS, status, code, message)
}

pub(crate) fn iam_error(status: u16, code: &str, message: &str) -> HttpResponse {
    query_error(IAM_XMLNS, status, code, message)
}

/// An awsQuery answer: `<{Action}Response>` around `<{Action}Result>` and the request id.
fn query_answer(xmlns: &str, action: &str, result: &str) -> HttpResponse {
    let body = format!(
        "<{action}Response xmlns=\"{xmlns}\">\n  <{action}Result>\n{result}  </{action}Result>\n  \
         <ResponseMetadata>\n    <RequestId>{REQUEST_ID}</RequestId>\n  </ResponseMetadata>\n\
         </{action}Response>\n"
    );
    answer(200, "text/xml", body)
}

/// DescribeAlarms finding no alarm of the name.
pub(crate) fn no_alarms() -> HttpResponse {
    query_answer(
        CLOUDWATCH_XMLNS,
        "DescribeAlarms",
        "    <MetricAlarms/>\n    <CompositeAlarms/>\n",
    )
}

/// ListRoleTags of a role carrying `tags`.
pub(crate) fn role_tags(tags: &[(&str, &str)]) -> HttpResponse {
    let members: String = (tags.iter())
        .map(|(key, value)| {
            format!("      <member>\n        <Key>{key}</Key>\n        <Value>{value}</Value>\n      </member>\n")
        })
        .collect();
    let result =
        format!("    <IsTruncated>false</IsTruncated>\n    <Tags>\n{members}    </Tags>\n");
    query_answer(IAM_XMLNS, "ListRoleTags", &result)
}

/// ListRolePolicies or ListAttachedRolePolicies of a role without any.
pub(crate) fn no_role_policies(action: &str) -> HttpResponse {
    let list = match action {
        "ListRolePolicies" => "PolicyNames",
        _ => "AttachedPolicies",
    };
    let result = format!("    <{list}/>\n    <IsTruncated>false</IsTruncated>\n");
    query_answer(IAM_XMLNS, action, &result)
}
