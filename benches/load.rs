//! Benchmark of `demo load` against a local order API: orders/s at concurrency 1, 16 and 64.
//!
//! `cargo bench --bench load` runs the optimised `demo` binary against a loopback server (one
//! thread, validating every body with the shared order model) and prints throughput and
//! latency; the goal is at least 1,000 orders/s, the write limit of one Kinesis shard.
//! `BENCH_ORDERS=N` changes the number of orders per run.

use std::convert::Infallible;
use std::process::Command;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use orders::Order;
use serde_json::Value;

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) is a dry run.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let orders: u64 = std::env::var("BENCH_ORDERS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(if benchmarking { 10_000 } else { 200 });
    let server = OrderServer::start();
    println!("demo load against {} ({orders} orders per run)", server.url);
    println!(
        "{:>11}  {:>10}  {:>9}  {:>9}  {:>9}",
        "concurrency", "orders/s", "p50", "p99", "max"
    );
    for concurrency in [1, 16, 64] {
        let output = Command::new(env!("CARGO_BIN_EXE_demo"))
            .args(["load", "--url", &server.url, "--output", "json", "-q"])
            .args(["--orders", &orders.to_string()])
            .args(["--concurrency", &concurrency.to_string()])
            .output()
            .expect("run demo load");
        assert!(
            output.status.success(),
            "demo load failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
        assert_eq!(report["accepted"], orders);
        let ms = |name: &str| format!("{:.2} ms", report["latency"][name].as_f64().unwrap());
        println!(
            "{concurrency:>11}  {:>10.0}  {:>9}  {:>9}  {:>9}",
            report["throughput_per_s"].as_f64().unwrap(),
            ms("p50_ms"),
            ms("p99_ms"),
            ms("max_ms"),
        );
    }
}

/// An order endpoint on one thread, answering as the producer does to a valid order (200 with
/// the id) or an invalid one (400), with nothing behind it: the figures are `demo load`'s.
struct OrderServer {
    url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl OrderServer {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}/prod/order", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                demo::local::http::serve(listener, answer, stopped).await;
            });
        });
        OrderServer { url, _stop: stop }
    }
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let body = Limited::new(request.into_body(), 64 * 1024).collect().await;
    let (status, text) = match body.map(|b| Order::from_request_body(&b.to_bytes())) {
        Ok(Ok(order)) => (
            StatusCode::OK,
            format!("{{\"orderid\": \"{}\"}}", order.orderid.unwrap_or_default()),
        ),
        Ok(Err(error)) => (
            StatusCode::BAD_REQUEST,
            format!("{{\"error\": \"{error}\"}}"),
        ),
        Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body too large".to_owned()),
    };
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    Ok(response)
}
