//! `demo report` through the real binary, on datapoints seeded into the emulator's CloudWatch
//! for the deployed functions: every figure in the JSON is checked against the seed.

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};
use serde_json::{Value, json};

use crate::harness::cli::{json, ok_local, run_local, text, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{consumer_mapping, deploy_fake, stack_tables};

/// A datapoint summarising `count` invocations: sum, minimum and maximum.
struct Seed {
    namespace: &'static str,
    metric: &'static str,
    dimension: &'static str,
    value: String,
    stats: (f64, f64, f64, f64),
    unit: StandardUnit,
}

fn seed(
    namespace: &'static str,
    metric: &'static str,
    dimension: &'static str,
    value: &str,
    (count, sum, min, max): (f64, f64, f64, f64),
    unit: StandardUnit,
) -> Seed {
    Seed {
        namespace,
        metric,
        dimension,
        value: value.to_owned(),
        stats: (count, sum, min, max),
        unit,
    }
}

/// Puts each seed once in each of the minutes `minutes_ago` back from now.
async fn put(seeds: Vec<Seed>, minutes_ago: &[u64]) {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk_config().await);
    let now = SystemTime::now();
    let times = minutes_ago
        .iter()
        .map(|m| now - Duration::from_secs(60 * m));
    for (s, at) in seeds
        .iter()
        .flat_map(|s| times.clone().map(move |at| (s, at)))
    {
        let (count, sum, min, max) = s.stats;
        let datum = MetricDatum::builder()
            .metric_name(s.metric)
            .dimensions(
                Dimension::builder()
                    .name(s.dimension)
                    .value(&s.value)
                    .build(),
            )
            .timestamp(at.into())
            .statistic_values(
                StatisticSet::builder()
                    .sample_count(count)
                    .sum(sum)
                    .minimum(min)
                    .maximum(max)
                    .build(),
            )
            .unit(s.unit.clone())
            .build();
        cloudwatch
            .put_metric_data()
            .namespace(s.namespace)
            .metric_data(datum)
            .send()
            .await
            .unwrap();
    }
}

/// The producer took 1000 orders; consumer 1 (100 / 30 s) read them in 10 invocations of 40 ms
/// on average, consumer 2 (10 / 2 s) in 100 of 8 ms; all ten minutes ago.
async fn seed_a_run(stack: &str) {
    seed_runs(stack, &[10]).await;
}

/// The same run in each of the minutes `minutes_ago`.
async fn seed_runs(stack: &str, minutes_ago: &[u64]) {
    use StandardUnit::{Bytes, Count, Milliseconds, Percent};
    let producer = format!("{stack}-put-record");
    let mut seeds = Vec::new();
    for (function, n, duration, network, errors, throttles) in [
        (producer.clone(), 1000.0, 3000.0, 2_000_000.0, 2.0, 0.0),
        (
            format!("{stack}-put-item-1"),
            10.0,
            400.0,
            300_000.0,
            0.0,
            0.0,
        ),
        (
            format!("{stack}-put-item-2"),
            100.0,
            800.0,
            900_000.0,
            0.0,
            1.0,
        ),
    ] {
        let f = function.as_str();
        let lambda =
            |metric, stats, unit| seed("AWS/Lambda", metric, "FunctionName", f, stats, unit);
        let insights =
            |metric, stats, unit| seed("LambdaInsights", metric, "function_name", f, stats, unit);
        seeds.extend([
            lambda("Invocations", (n, n, 1.0, 1.0), Count),
            lambda("Errors", (n, errors, 0.0, 1.0), Count),
            lambda("Throttles", (n, throttles, 0.0, 1.0), Count),
            lambda(
                "Duration",
                (n, duration, 1.0, duration / n * 2.0),
                Milliseconds,
            ),
            insights("memory_utilization", (n, n * 20.0, 15.0, 30.0), Percent),
            insights(
                "used_memory_max",
                (n, n * 25.0, 20.0, 38.0),
                StandardUnit::Megabytes,
            ),
            insights(
                "cpu_total_time",
                (n, duration / 2.0, 0.0, 10.0),
                Milliseconds,
            ),
            insights("rx_bytes", (n, network * 0.25, 0.0, network), Bytes),
            insights("tx_bytes", (n, network * 0.75, 0.0, network), Bytes),
            insights("total_network", (n, network, 0.0, network), Bytes),
            insights("init_duration", (2.0, 60.0, 25.0, 35.0), Milliseconds),
        ]);
    }
    for (consumer, age) in [(1, 30_000.0), (2, 2_000.0)] {
        let function = format!("{stack}-put-item-{consumer}");
        let stats = (10.0, age * 5.0, 100.0, age);
        seeds.push(seed(
            "AWS/Lambda",
            "IteratorAge",
            "FunctionName",
            &function,
            stats,
            Milliseconds,
        ));
        let uuid = consumer_mapping(stack, consumer).await.uuid.unwrap();
        let stats = (1.0, 1000.0, 1000.0, 1000.0);
        seeds.push(seed(
            "AWS/Lambda",
            "PolledEventCount",
            "EventSourceMappingUUID",
            &uuid,
            stats,
            Count,
        ));
    }
    put(seeds, minutes_ago).await;
}

fn report_json(stack: &str, extra: &[&str]) -> Value {
    let mut args = vec!["report", "--since", "1h", "--output", "json"];
    args.extend_from_slice(extra);
    json(&ok_local(stack, &args))
}

fn close(value: &Value, expected: f64) -> bool {
    value
        .as_f64()
        .is_some_and(|v| (v - expected).abs() <= 1e-9 * expected.abs().max(1.0))
}

#[tokio::test]
async fn every_figure_comes_from_the_seeded_datapoints() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    seed_a_run(&stack).await;
    let report = report_json(&stack, &[]);

    assert_eq!(report["orders"], 1000);
    assert_eq!(report["memory_mb"], 128.0);
    assert_eq!(report["prices"]["architecture"], "arm64");
    // The hour asked for, widened to whole minutes as CloudWatch reads them: 3,660 s, or 3,600
    // when the command ran exactly on a minute.
    let window = &report["window"];
    let seconds = window["seconds"].as_u64().unwrap();
    assert!(seconds == 3600 || seconds == 3660, "{window}");
    for edge in ["start", "end"] {
        assert!(window[edge].as_str().unwrap().ends_with(":00Z"), "{window}");
    }
    assert_eq!(
        window["basis"], "from --since, in whole minutes as CloudWatch reads them",
        "{window}"
    );
    let f = &report["functions"];
    assert_eq!(f[0]["function"], format!("{stack}-put-record"));
    assert_eq!(
        f[1]["batching"],
        json!({"batch_size": 100, "window_seconds": 30, "parallelization": 1})
    );
    assert_eq!(
        f[2]["batching"],
        json!({"batch_size": 10, "window_seconds": 2, "parallelization": 1})
    );
    assert!(close(&report["prices"]["gb_second"], 0.000_013_333_4));
    assert!(close(&report["prices"]["per_million_requests"], 0.2));
    for (i, invocations, errors, throttles, average, max, network) in [
        (0, 1000, 2, 0, 3.0, 6.0, 2_000_000.0),
        (1, 10, 0, 0, 40.0, 80.0, 300_000.0),
        (2, 100, 0, 1, 8.0, 16.0, 900_000.0),
    ] {
        let r = &f[i];
        assert_eq!(r["invocations"], invocations, "{r}");
        assert_eq!(r["errors"], errors, "{r}");
        assert_eq!(r["throttles"], throttles, "{r}");
        assert!(close(&r["duration_ms"]["average"], average), "{r}");
        assert!(close(&r["duration_ms"]["max"], max), "{r}");
        let n = invocations as f64;
        let insights = &r["insights"];
        assert!(close(&insights["memory_utilization_avg_pct"], 20.0), "{r}");
        assert!(close(&insights["memory_utilization_max_pct"], 30.0), "{r}");
        assert!(close(&insights["used_memory_max_mb"], 38.0), "{r}");
        assert!(close(&insights["cpu_time_ms"], average * n / 2.0), "{r}");
        assert_eq!(insights["cold_starts"], 2, "{r}");
        assert!(close(&insights["init_duration_avg_ms"], 30.0), "{r}");
        assert!(close(&insights["network_bytes"], network), "{r}");
        assert!(close(&insights["rx_bytes"], network * 0.25), "{r}");
        assert!(close(&insights["tx_bytes"], network * 0.75), "{r}");
        // The emulator computes no percentiles: shown as absent, not as zero.
        assert_eq!(r["duration_ms"]["p50"], Value::Null, "{r}");
        assert_eq!(r["duration_ms"]["p99"], Value::Null, "{r}");
        // Estimated: invocations × average (whole ms) × 128 MB.
        let mb_ms = n * average * 128.0;
        assert_eq!(
            r["billed"]["source"], "estimated-from-average-duration",
            "{r}"
        );
        assert!(close(&r["billed"]["mb_ms"], mb_ms), "{r}");
        let gb_s = mb_ms / 1024.0 / 1000.0;
        assert!(close(&r["cost"]["gb_seconds"], gb_s), "{r}");
        let (compute, requests) = (gb_s * 0.000_013_333_4, n * 0.2 / 1e6);
        assert!(close(&r["cost"]["compute_usd"], compute), "{r}");
        assert!(close(&r["cost"]["requests_usd"], requests), "{r}");
        let total = compute + requests;
        assert!(close(&r["cost"]["total_usd"], total), "{r}");
        assert!(
            close(&r["cost"]["per_million_orders_usd"], total / 1000.0 * 1e6),
            "{r}"
        );
    }
    assert_eq!(f[0]["records_read"], Value::Null);
    assert_eq!(f[0]["iterator_age_ms"], Value::Null);
    assert_eq!(f[1]["records_read"], 1000);
    assert_eq!(f[2]["records_read"], 1000);
    assert!(close(&f[1]["records_per_invocation"], 100.0));
    assert!(close(&f[2]["records_per_invocation"], 10.0));
    assert!(close(&f[1]["iterator_age_ms"]["max"], 30_000.0));
    assert!(close(&f[2]["iterator_age_ms"]["max"], 2_000.0));
    // The bigger batches cost less; the smaller ones take less time per invocation.
    assert_eq!(report["cheaper"], format!("{stack}-put-item-1"));
    assert_eq!(report["faster"], format!("{stack}-put-item-2"));
    assert_eq!(report["faster_basis"], "average duration");
    assert_eq!(report["has_data"], true);
    // The emulator's figures are not Lambda's: no comparison with the original's durations.
    assert_eq!(report["original_average_ms"], Value::Null);
}

#[tokio::test]
async fn the_text_report_marks_the_winners_and_overridden_prices_apply() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    seed_a_run(&stack).await;
    let report = report_json(
        &stack,
        &[
            "--price-gb-second",
            "0.0001",
            "--price-per-million-requests",
            "1",
        ],
    );
    let c1 = &report["functions"][1];
    // 51,200 MB-ms = 0.05 GB-s at $0.0001, plus 10 requests at $1 per million.
    assert!(
        close(&c1["cost"]["total_usd"], 0.05 * 0.0001 + 10.0 / 1e6),
        "{c1}"
    );
    assert!(
        report["prices"]["source"]
            .as_str()
            .unwrap()
            .starts_with("given on the command line")
    );

    let output = ok_local(&stack, &["report", "--since", "1h"]);
    let out = text(&output.stdout);
    let marks = out
        .lines()
        .find(|l| l.contains('✓'))
        .expect("a line of marks");
    assert!(
        marks.contains("✓ cheaper") && marks.contains("✓ faster"),
        "{out}"
    );
    assert!(out.contains("51,200 (est.)"), "{out}");
    assert!(
        out.contains("100 / 30 s") && out.contains("10 / 2 s"),
        "{out}"
    );
}

#[tokio::test]
async fn no_data_yet_is_a_sentence_and_exit_0() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    let output = ok_local(&stack, &["report"]);
    let out = text(&output.stdout);
    assert!(out.contains("No invocations of"), "{out}");
    assert!(out.contains("Run `demo load` first"), "{out}");
    let json = report_json(&stack, &[]);
    assert_eq!(json["has_data"], false);
    assert_eq!(json["cheaper"], Value::Null);
}

#[test]
fn bad_flags_are_refused_before_any_call() {
    // No stack and no emulator call needed: each is refused while reading the flags.
    for (args, expected) in [
        (
            vec!["report", "--since", "yesterday"],
            "invalid --since \"yesterday\"",
        ),
        (
            vec!["report", "--since", "2099-01-01T00:00:00Z"],
            "not in the past",
        ),
        (vec!["report", "--chart", "out.jpg"], "out.jpg"),
        (
            vec!["report", "--price-gb-second", "-1"],
            "invalid --price-gb-second -1",
        ),
    ] {
        let output = run_local("never-deployed", &args);
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

/// The texts of an SVG: plotters writes each on a line of its own.
fn svg_texts(path: &std::path::Path) -> Vec<String> {
    let drawing = std::fs::read_to_string(path).unwrap();
    assert!(drawing.len() > 5_000, "{} bytes", drawing.len());
    drawing.lines().map(|l| l.trim().to_owned()).collect()
}

#[tokio::test]
async fn a_run_over_several_minutes_is_charted_over_time() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    seed_runs(&stack, &[10, 9, 8, 7, 6]).await;
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("report.svg");
    let report = report_json(&stack, &["--chart", svg.to_str().unwrap()]);
    assert_eq!(report["chart"], svg.to_str().unwrap());
    assert_eq!(report["chart_view"], "time-series");
    let texts = svg_texts(&svg).join("\n");
    for expected in [
        "Function cost (MB-ms",
        "Duration (ms, avg)",
        "Network (bytes)",
        &format!("{stack}-put-item-1 (100 / 30 s)"),
        &format!("{stack}-put-item-2 (10 / 2 s)"),
        &format!("{stack}-put-record"),
    ] {
        assert!(texts.contains(expected), "{expected} missing from the SVG");
    }
}

#[tokio::test]
async fn a_run_within_a_minute_is_charted_as_the_consumers_side_by_side() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    seed_a_run(&stack).await;
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("report.svg");
    let report = report_json(&stack, &["--chart", svg.to_str().unwrap()]);
    assert_eq!(report["chart_view"], "side-by-side");
    let note = report["notes"].as_array().unwrap().iter().any(|n| {
        n.as_str()
            .is_some_and(|n| n.contains("side by side") && n.contains("1 metric period"))
    });
    assert!(note, "no note says why: {}", report["notes"]);
    let texts = svg_texts(&svg);
    let has = |text: &str| texts.iter().any(|t| t == text);
    // Each consumer's own figures, as the report computed them.
    let f = &report["functions"];
    for (index, batching) in [(1, "100 / 30 s"), (2, "10 / 2 s")] {
        let consumer = &f[index];
        let per_million = consumer["cost"]["per_million_orders_usd"].as_f64().unwrap();
        let records = consumer["records_per_invocation"].as_f64().unwrap();
        for expected in [
            format!("{stack}-put-item-{index}"),
            batching.to_owned(),
            demo::report::numbers::usd(per_million),
            demo::report::numbers::compact_number(records),
            format!("batch size {}", consumer["batching"]["batch_size"]),
        ] {
            assert!(has(&expected), "{expected} missing from the SVG");
        }
    }
    for title in [
        "Lambda cost per million orders (estimated)",
        "Stream → table delay",
        "Records per invocation",
    ] {
        assert!(has(title), "{title} missing from the SVG");
    }
    // The producer is no bar of its own, but its cost is said underneath.
    assert!(!has(&format!("{stack}-put-record")));
    assert!(texts.iter().any(|t| t.contains("producer: $")));
    // The text report says which chart it drew.
    let output = ok_local(
        &stack,
        &["report", "--since", "1h", "--chart", svg.to_str().unwrap()],
    );
    assert!(
        text(&output.stdout).contains(&format!(
            "chart: {} (the consumers side by side)",
            svg.display()
        )),
        "{}",
        text(&output.stdout)
    );
    let png = dir.path().join("report.png");
    report_json(&stack, &["--chart", png.to_str().unwrap()]);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
}

#[tokio::test]
async fn a_table_that_cannot_be_read_costs_a_note_not_the_report() {
    let stack = unique_stack();
    let _artifacts = deploy_fake(&stack);
    seed_a_run(&stack).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    dynamodb
        .delete_table()
        .table_name(&stack_tables(&stack).await[0])
        .send()
        .await
        .unwrap();
    let report = report_json(&stack, &[]);
    assert_eq!(report["functions"][1]["stream_to_table_ms"], Value::Null);
    assert_eq!(report["functions"][1]["invocations"], 10);
    let notes = report["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "stream → table latency of {stack}-put-item-1 unavailable"
        )),
        "{notes}"
    );
}
