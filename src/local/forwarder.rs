//! The producers' Kinesis endpoint offline (`AWS_ENDPOINT_URL_KINESIS`): a small forwarder on
//! 127.0.0.1 that passes every request to the emulator as it came, but PutRecord and PutRecords
//! one at a time. moto numbers a shard's records as "last + 1" without a lock, so two
//! concurrent PutRecords can get the same sequence number and one record silently replaces the
//! other, though both callers were told it was written. The turn-taking lives here, in the local
//! runner, so the functions carry no emulator workaround: on AWS they talk to Kinesis directly.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{HeaderMap, Request, Response, StatusCode};
use tokio::sync::{Mutex, oneshot};

/// Requests larger than this are refused (Kinesis's own limit on a PutRecords call is 5 MiB).
const MAX_REQUEST: usize = 10 * 1024 * 1024;

/// A running forwarder; it stops taking connections when dropped.
pub(crate) struct Forwarder {
    url: String,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

struct Shared {
    emulator: String,
    client: reqwest::Client,
    turn: Mutex<()>,
    puts: AtomicU64,
    waited_micros: AtomicU64,
}

impl Forwarder {
    /// Forwards to `emulator` (e.g. `http://127.0.0.1:4599`) from a free local port.
    pub(crate) async fn start(emulator: &str) -> std::io::Result<Forwarder> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            emulator: emulator.trim_end_matches('/').to_owned(),
            client,
            turn: Mutex::new(()),
            puts: AtomicU64::new(0),
            waited_micros: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let serving = Arc::clone(&shared);
        let answer = move |request| forward(Arc::clone(&serving), request);
        tokio::spawn(super::http::serve(listener, answer, stopped));
        Ok(Forwarder {
            url,
            shared,
            _stop: stop,
        })
    }

    /// The endpoint to give the producers.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// How many puts went through, and how long they waited for their turn on average (ms).
    pub(crate) fn turns(&self) -> (u64, f64) {
        let puts = self.shared.puts.load(Ordering::Relaxed);
        let waited = self.shared.waited_micros.load(Ordering::Relaxed) as f64 / 1000.0;
        (puts, if puts > 0 { waited / puts as f64 } else { 0.0 })
    }
}

/// Whether a Kinesis request writes records (AWS JSON's target header, or RPC v2's path).
fn is_put(headers: &HeaderMap, path: &str) -> bool {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let operation = target.rsplit('.').next().unwrap_or_default();
    let by_path = path.rsplit("/operation/").next().unwrap_or_default();
    ["PutRecord", "PutRecords"].contains(&operation)
        || (path.contains("/operation/") && ["PutRecord", "PutRecords"].contains(&by_path))
}

async fn forward(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = match http_body_util::Limited::new(body, MAX_REQUEST)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(err) => return Ok(failure(StatusCode::PAYLOAD_TOO_LARGE, &err.to_string())),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let mut outgoing = shared
        .client
        .request(parts.method, format!("{}{path}", shared.emulator))
        .body(body);
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name.as_str()) {
            outgoing = outgoing.header(name, value);
        }
    }
    let put = is_put(&parts.headers, &path);
    let answer = if put {
        let asked = Instant::now();
        let _turn = shared.turn.lock().await;
        shared.puts.fetch_add(1, Ordering::Relaxed);
        let waited = asked.elapsed().as_micros() as u64;
        shared.waited_micros.fetch_add(waited, Ordering::Relaxed);
        relay(outgoing).await
    } else {
        relay(outgoing).await
    };
    Ok(answer)
}

/// Sends the request and copies the emulator's answer back; a failure to reach it is a 502.
async fn relay(outgoing: reqwest::RequestBuilder) -> Response<Full<Bytes>> {
    let answer = match outgoing.send().await {
        Ok(answer) => answer,
        Err(err) => return failure(StatusCode::BAD_GATEWAY, &err.to_string()),
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = match answer.bytes().await {
        Ok(body) => body,
        Err(err) => return failure(StatusCode::BAD_GATEWAY, &err.to_string()),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !is_hop_by_hop(name.as_str()) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), and the length,
/// which the new message sets itself.
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "host"
            | "connection"
            | "keep-alive"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "proxy-connection"
            | "content-length"
    )
}

fn failure(status: StatusCode, detail: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({
        "__type": "InternalFailure",
        "message": format!("the local runner could not reach the emulator: {detail}"),
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", value.parse().unwrap());
        headers
    }

    #[test]
    fn only_writes_take_turns() {
        assert!(is_put(&target("Kinesis_20131202.PutRecord"), "/"));
        assert!(is_put(&target("Kinesis_20131202.PutRecords"), "/"));
        assert!(!is_put(&target("Kinesis_20131202.GetRecords"), "/"));
        assert!(!is_put(&target("Kinesis_20131202.PutResourcePolicy"), "/"));
        assert!(is_put(
            &HeaderMap::new(),
            "/service/Kinesis_20131202/operation/PutRecord"
        ));
        assert!(!is_put(&HeaderMap::new(), "/PutRecord"));
    }
}
