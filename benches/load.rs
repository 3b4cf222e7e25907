//! Benchmark of `demo load` against a local order API: orders/s at concurrency 1, 16 and 64.
//!
//! `cargo bench --bench load` runs the optimised `demo` binary against a loopback server (one
//! thread, validating every body with the shared order model) and prints throughput and
//! latency; the goal is at least 1,000 orders/s, the write limit of one Kinesis shard.
//! `BENCH_ORDERS=N` changes the number of orders per run.

#[path = "../tests/it/load/server.rs"]
#[allow(
    dead_code,
    reason = "the tests use more of the server than the benchmark does"
)]
mod server;

use std::process::Command;

use serde_json::Value;
use server::{Behaviour, OrderServer};

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) is a dry run.
    let benchmarking = std::env::args().any(|arg| arg == "--bench");
    let orders: u64 = std::env::var("BENCH_ORDERS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(if benchmarking { 10_000 } else { 200 });
    let server = OrderServer::start_with(Behaviour::Accept, false, 1);
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
