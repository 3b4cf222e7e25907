//! A local stand-in for the Lambda Runtime API, so a built `bootstrap` can serve a real
//! invocation outside Lambda.
//!
//! It hands out the queued events one per `GET …/invocation/next` (a `next` with nothing queued
//! waits forever, as on Lambda between invocations) and reports every response or error the
//! function posts back.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;

/// One invocation to hand the function.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub function_arn: String,
    pub payload: Value,
}

/// What the function posted back.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Response { request_id: String, body: Value },
    Error { request_id: String, body: Value },
    InitError { body: Value },
}

struct Shared {
    queue: Mutex<VecDeque<Invocation>>,
    outcomes: mpsc::UnboundedSender<Outcome>,
}

/// A running Runtime API on 127.0.0.1; stops when dropped.
pub struct RuntimeApi {
    address: SocketAddr,
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Serve `invocations`, in order, on a free local port.
    pub async fn start(invocations: Vec<Invocation>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let address = listener.local_addr().unwrap();
        let (sender, outcomes) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue: Mutex::new(invocations.into()),
            outcomes: sender,
        });
        let server = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| route(shared.clone(), request));
                    // A connection ends when the function exits; that is not a test failure.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            address,
            outcomes,
            server,
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// The next response or error the function posts, or `None` after `timeout`.
    pub async fn next_outcome(&mut self, timeout: Duration) -> Option<Outcome> {
        tokio::time::timeout(timeout, self.outcomes.recv())
            .await
            .ok()
            .flatten()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Reply = Response<Full<Bytes>>;

async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Reply, Infallible> {
    const PREFIX: &str = "/2018-06-01/runtime/";
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let json = || serde_json::from_slice(&body).unwrap_or(Value::String(lossy(&body)));
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, ""));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let outcome = match (method, segments.as_slice()) {
        (Method::GET, ["invocation", "next"]) => return Ok(next(&shared).await),
        (Method::POST, ["invocation", id, "response"]) => Outcome::Response {
            request_id: id.to_string(),
            body: json(),
        },
        (Method::POST, ["invocation", id, "error"]) => Outcome::Error {
            request_id: id.to_string(),
            body: json(),
        },
        (Method::POST, ["init", "error"]) => Outcome::InitError { body: json() },
        _ => return Ok(reply(StatusCode::NOT_FOUND, "")),
    };
    let _ = shared.outcomes.send(outcome);
    Ok(reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#))
}

async fn next(shared: &Shared) -> Reply {
    let invocation = shared.queue.lock().unwrap().pop_front();
    let Some(invocation) = invocation else {
        // Nothing more to do: keep the function waiting, as Lambda does until it freezes it.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = SystemTime::now() + Duration::from_secs(60);
    let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis();
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("Lambda-Runtime-Aws-Request-Id", &invocation.request_id)
        .header("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string())
        .header(
            "Lambda-Runtime-Invoked-Function-Arn",
            &invocation.function_arn,
        )
        .header(
            "Lambda-Runtime-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
        )
        .body(Full::new(Bytes::from(invocation.payload.to_string())))
        .unwrap()
}

fn reply(status: StatusCode, body: &'static str) -> Reply {
    Response::builder()
        .status(status)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
