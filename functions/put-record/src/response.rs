//! The HTTP answers the producer gives: JSON bodies with the original's CORS headers.

use aws_lambda_events::apigw::ApiGatewayProxyResponse;
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use orders::OrderError;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The body of a 200: where the order went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accepted {
    pub orderid: String,
    pub shardid: String,
    pub sequencenumber: String,
}

pub(crate) fn accepted(accepted: &Accepted) -> ApiGatewayProxyResponse {
    respond(200, serde_json::to_value(accepted).expect("serialisable"))
}

pub(crate) fn refused(error: &OrderError) -> ApiGatewayProxyResponse {
    let status = if error.too_large { 413 } else { 400 };
    respond(
        status,
        json!({
            "message": format!("order refused: {error}"),
            "field": error.field,
            "rule": error.rule,
            "retryable": false,
        }),
    )
}

pub(crate) fn unavailable(orderid: Option<&str>) -> ApiGatewayProxyResponse {
    respond(
        503,
        json!({
            "message": "the order could not be recorded; retry with the same orderid, it will not be duplicated",
            "orderid": orderid,
            "retryable": true,
        }),
    )
}

fn respond(status: i64, body: serde_json::Value) -> ApiGatewayProxyResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("content-type", "application/json"),
        ("access-control-allow-origin", "*"),
        ("access-control-allow-headers", "Content-Type"),
        ("access-control-allow-methods", "OPTIONS,POST"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response
}
