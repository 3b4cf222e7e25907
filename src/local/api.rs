//! The API Gateway stand-in: `POST /prod/order` on 127.0.0.1, handed to the producer's process
//! as the Lambda proxy integration hands it (the proxy event in, the proxy response out; a
//! function error is API Gateway's 502).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use tokio::sync::oneshot;

use super::host::{FunctionHost, Outcome};

/// API Gateway refuses payloads over 10 MB before the function sees them.
const MAX_PAYLOAD: usize = 10 * 1024 * 1024;
/// The resource the template's API has, on its stage.
const ORDER_PATH: &str = "/prod/order";

/// What the stand-in needs: the producer's host.
pub(crate) struct Producer {
    pub(crate) host: Arc<FunctionHost>,
    /// One line per request (`serve`); `load` shows progress instead.
    pub(crate) log_requests: bool,
}

/// A running stand-in; dropping `stop` ends it.
pub(crate) struct LocalApi {
    pub(crate) address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl LocalApi {
    /// Takes 127.0.0.1:`port` (0: any free port), before anything else starts, so a port in use
    /// is found at once.
    pub(crate) async fn bind(port: u16) -> std::io::Result<tokio::net::TcpListener> {
        tokio::net::TcpListener::bind(("127.0.0.1", port)).await
    }

    /// Serves the producer on `listener`.
    pub(crate) fn serve(
        listener: tokio::net::TcpListener,
        producer: Producer,
    ) -> std::io::Result<LocalApi> {
        let address = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let producer = Arc::new(producer);
        let answer = move |request| answer(Arc::clone(&producer), request);
        tokio::spawn(super::http::serve(listener, answer, stopped));
        Ok(LocalApi {
            address,
            stop: Some(stop),
        })
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}{ORDER_PATH}", self.address)
    }

    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn answer(
    producer: Arc<Producer>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != hyper::Method::POST || request.uri().path() != ORDER_PATH {
        return Ok(reply(
            StatusCode::NOT_FOUND,
            format!("{{\"message\":\"only POST {ORDER_PATH} is served\"}}"),
        ));
    }
    let body = match Limited::new(request.into_body(), MAX_PAYLOAD)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Ok(reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "{\"message\":\"Request Too Long\"}".into(),
            ));
        }
    };
    let event = serde_json::to_value(proxy_request(&body)).unwrap_or_default();
    let (response, ms) = match producer.host.invoke(event).await {
        Ok(invocation) => (
            proxy_response(&invocation.outcome),
            invocation.report.duration_ms,
        ),
        Err(err) => {
            tracing::error!("the producer could not run: {err}");
            (internal_error(), 0.0)
        }
    };
    if producer.log_requests {
        tracing::info!("{}", request_line(&response, ms));
    }
    Ok(http_response(response))
}

/// The function's proxy response; API Gateway's 502 for a function error or a malformed one.
fn proxy_response(outcome: &Outcome) -> ApiGatewayProxyResponse {
    match outcome {
        Outcome::Response(value) => {
            serde_json::from_value(value.clone()).unwrap_or_else(|_| internal_error())
        }
        Outcome::Error(_) => internal_error(),
    }
}

/// `{"message": "Internal server error"}` with 502, as API Gateway answers a failed function.
fn internal_error() -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = 502;
    response.body = Some(Body::Text(
        "{\"message\": \"Internal server error\"}".into(),
    ));
    response
}

/// `POST /prod/order 200 <orderid> 12 ms`, or the refused field for a 4xx.
fn request_line(response: &ApiGatewayProxyResponse, ms: f64) -> String {
    let body: serde_json::Value = match &response.body {
        Some(Body::Text(text)) => serde_json::from_str(text).unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    let what = match (body["orderid"].as_str(), body["field"].as_str()) {
        (Some(orderid), _) => orderid.to_owned(),
        (None, Some(field)) => format!("refused: {field}"),
        (None, None) => "-".to_owned(),
    };
    format!(
        "POST {ORDER_PATH} {} {what} {ms:.0} ms",
        response.status_code
    )
}

/// The proxy event for a body, as API Gateway builds it (the handler reads the body only).
fn proxy_request(body: &[u8]) -> ApiGatewayProxyRequest {
    let mut request = ApiGatewayProxyRequest::default();
    request.http_method = hyper::Method::POST;
    request.path = Some("/order".into());
    request.resource = Some("/order".into());
    match std::str::from_utf8(body) {
        Ok(text) => request.body = Some(text.to_owned()),
        Err(_) => {
            use base64::Engine;
            request.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
            request.is_base64_encoded = true;
        }
    }
    request
}

fn http_response(proxy: ApiGatewayProxyResponse) -> Response<Full<Bytes>> {
    let body = match proxy.body {
        Some(Body::Text(text)) => Bytes::from(text),
        Some(Body::Binary(bytes)) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() =
        StatusCode::from_u16(proxy.status_code as u16).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in &proxy.headers {
        response.headers_mut().insert(name, value.clone());
    }
    response
}

fn reply(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_reach_the_handler_as_api_gateway_sends_them() {
        let request = proxy_request(b"{\"order\":{}}");
        assert_eq!(request.body.as_deref(), Some("{\"order\":{}}"));
        assert!(!request.is_base64_encoded);
        let binary = proxy_request(&[0xff, 0xfe]);
        assert!(binary.is_base64_encoded);
        assert_eq!(binary.body.as_deref(), Some("//4="));
    }

    #[test]
    fn a_request_line_names_the_order_or_the_refused_field() {
        let mut accepted = ApiGatewayProxyResponse::default();
        accepted.status_code = 200;
        accepted.body = Some(Body::Text(r#"{"orderid":"o-1","shardid":"s"}"#.into()));
        assert_eq!(
            request_line(&accepted, 12.4),
            "POST /prod/order 200 o-1 12 ms"
        );
        let mut refused = ApiGatewayProxyResponse::default();
        refused.status_code = 400;
        refused.body = Some(Body::Text(r#"{"field":"order.city","rule":"x"}"#.into()));
        assert_eq!(
            request_line(&refused, 1.0),
            "POST /prod/order 400 refused: order.city 1 ms"
        );
    }

    #[test]
    fn a_function_error_or_a_malformed_answer_is_api_gateways_502() {
        let error = Outcome::Error(crate::local::host::platform::FunctionError {
            error_type: "Runtime.ExitError".into(),
            error_message: "signal: killed".into(),
        });
        assert_eq!(proxy_response(&error).status_code, 502);
        let malformed = Outcome::Response(serde_json::json!({"statusCode": "two hundred"}));
        assert_eq!(proxy_response(&malformed).status_code, 502);
        let fine = Outcome::Response(serde_json::json!({"statusCode": 200, "body": "{}"}));
        assert_eq!(proxy_response(&fine).status_code, 200);
    }

    #[test]
    fn the_handlers_status_headers_and_body_are_passed_on() {
        let mut proxy = ApiGatewayProxyResponse::default();
        proxy.status_code = 400;
        proxy.body = Some(Body::Text("{\"field\":\"order.city\"}".into()));
        proxy
            .headers
            .insert("content-type", "application/json".parse().unwrap());
        let response = http_response(proxy);
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()["content-type"], "application/json");
    }
}
