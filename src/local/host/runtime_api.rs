//! The Lambda Runtime API that one execution environment's process talks to, on its own port of
//! 127.0.0.1: `GET …/invocation/next` hands it the event assigned to it (and its first call ends
//! the init phase), `POST …/invocation/{id}/response` and `…/{id}/error` answer it, and
//! `POST …/init/error` reports a failed init. One process per API, so every call is known to
//! come from that environment.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::{mpsc, oneshot};

/// Lambda's limit on a synchronous invocation's response.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;
const PREFIX: &str = "/2018-06-01/runtime/";

/// One invocation handed to the process.
pub(crate) struct Assignment {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    pub(crate) deadline: SystemTime,
    pub(crate) trace_id: String,
    /// When the event left for the process (Duration counts from here).
    pub(crate) delivered: oneshot::Sender<Instant>,
    /// What the process posted back.
    pub(crate) posted: oneshot::Sender<Posted>,
}

/// What the process answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Posted {
    Response(Bytes),
    /// `…/error`: the body Lambda passes on, and the `Lambda-Runtime-Function-Error-Type` header.
    Error {
        body: Bytes,
        error_type: Option<String>,
    },
}

/// What the process said outside an invocation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Signal {
    /// Its first `next`: the init phase is over.
    Ready,
    /// `…/init/error`: the init failed; the body and error-type header.
    InitError {
        body: Bytes,
        error_type: Option<String>,
    },
}

/// Called as an event is handed over, before the process can see it (the log's START mark).
pub(crate) type OnDeliver = Arc<dyn Fn(&str) + Send + Sync>;

struct Shared {
    function_arn: String,
    assignments: tokio::sync::Mutex<mpsc::Receiver<Assignment>>,
    current: Mutex<Option<(String, oneshot::Sender<Posted>)>>,
    signals: mpsc::UnboundedSender<Signal>,
    ready: AtomicBool,
    on_deliver: OnDeliver,
}

/// A running Runtime API; it stops taking connections when dropped.
pub(crate) struct RuntimeApi {
    pub(crate) address: SocketAddr,
    _stop: oneshot::Sender<()>,
}

/// The channels an environment drives its API with.
pub(crate) struct Channels {
    pub(crate) assign: mpsc::Sender<Assignment>,
    pub(crate) signals: mpsc::UnboundedReceiver<Signal>,
}

impl RuntimeApi {
    pub(crate) async fn start(
        function_arn: &str,
        on_deliver: OnDeliver,
    ) -> std::io::Result<(RuntimeApi, Channels)> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let (assign, assignments) = mpsc::channel(1);
        let (signal_tx, signals) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            function_arn: function_arn.to_owned(),
            assignments: tokio::sync::Mutex::new(assignments),
            current: Mutex::new(None),
            signals: signal_tx,
            ready: AtomicBool::new(false),
            on_deliver,
        });
        let (stop, stopped) = oneshot::channel();
        let answer = move |request| route(Arc::clone(&shared), request);
        tokio::spawn(crate::local::http::serve(listener, answer, stopped));
        Ok((
            RuntimeApi {
                address,
                _stop: stop,
            },
            Channels { assign, signals },
        ))
    }
}

type Reply = Response<Full<Bytes>>;

async fn route(shared: Arc<Shared>, request: Request<Incoming>) -> Result<Reply, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let error_type = request
        .headers()
        .get("Lambda-Runtime-Function-Error-Type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, "unknown path"));
    };
    let segments: Vec<&str> = rest.split('/').collect();
    if method == Method::GET && segments == ["invocation", "next"] {
        return Ok(next(&shared).await);
    }
    let body = match Limited::new(request.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(too_large(&shared, &segments)),
    };
    Ok(match (method, segments.as_slice()) {
        (Method::POST, ["invocation", id, "response"]) => {
            answered(&shared, id, Posted::Response(body))
        }
        (Method::POST, ["invocation", id, "error"]) => {
            answered(&shared, id, Posted::Error { body, error_type })
        }
        (Method::POST, ["init", "error"]) => {
            let _ = shared.signals.send(Signal::InitError { body, error_type });
            accepted()
        }
        _ => reply(StatusCode::NOT_FOUND, "unknown path"),
    })
}

/// Hands the process its next event, waiting for one to be assigned.
async fn next(shared: &Shared) -> Reply {
    if !shared.ready.swap(true, Ordering::SeqCst) {
        let _ = shared.signals.send(Signal::Ready);
    }
    let assignment = shared.assignments.lock().await.recv().await;
    let Some(assignment) = assignment else {
        // The environment is going away: keep the process waiting until it is stopped.
        std::future::pending::<()>().await;
        unreachable!("a pending future never completes")
    };
    (shared.on_deliver)(&assignment.request_id);
    let deadline_ms = assignment
        .deadline
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let response = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("Lambda-Runtime-Aws-Request-Id", &assignment.request_id)
        .header("Lambda-Runtime-Deadline-Ms", deadline_ms.to_string())
        .header("Lambda-Runtime-Invoked-Function-Arn", &shared.function_arn)
        .header("Lambda-Runtime-Trace-Id", &assignment.trace_id)
        .body(Full::new(assignment.payload));
    *shared.current.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((assignment.request_id, assignment.posted));
    let _ = assignment.delivered.send(Instant::now());
    response.unwrap_or_else(|_| reply(StatusCode::INTERNAL_SERVER_ERROR, "bad header"))
}

/// The answer to the current invocation, if `id` is it.
fn answered(shared: &Shared, id: &str, posted: Posted) -> Reply {
    let mut current = shared.current.lock().unwrap_or_else(|p| p.into_inner());
    match current.take() {
        Some((request_id, sender)) if request_id == id => {
            let _ = sender.send(posted);
            accepted()
        }
        other => {
            *current = other;
            reply(
                StatusCode::BAD_REQUEST,
                r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
            )
        }
    }
}

/// A response over Lambda's 6 MB limit: the invocation fails, as on Lambda.
fn too_large(shared: &Shared, segments: &[&str]) -> Reply {
    if let ["invocation", id, "response"] = segments {
        let body = Bytes::from(format!(
            r#"{{"errorType":"Function.ResponseSizeTooLarge","errorMessage":"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."}}"#
        ));
        let error = Posted::Error {
            body,
            error_type: Some("Function.ResponseSizeTooLarge".into()),
        };
        answered(shared, id, error);
    }
    reply(
        StatusCode::PAYLOAD_TOO_LARGE,
        r#"{"errorMessage":"Payload too large","errorType":"RequestEntityTooLarge"}"#,
    )
}

fn accepted() -> Reply {
    reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

fn reply(status: StatusCode, body: &'static str) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response
}
