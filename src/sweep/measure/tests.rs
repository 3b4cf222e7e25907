//! One run's AWS side without AWS: `read_back` over clients that replay AWS-shaped HTTP
//! answers of the run (`replay`, `answers`), the wait after sending, and the whole minutes a run
//! starts and ends on.

mod answers;
mod replay;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::primitives::{DateTime, DateTimeFormat};
use aws_smithy_mocks::mock;

use super::*;
use crate::artifacts::Arch;
use crate::deploy::mapping::FailureHandling;
use crate::report::cost::{PUBLISHED, PriceOverrides};
use replay::{
    Activity, CONSUMERS, MEMORY_MB, PRODUCER, REGION, Recorded, Replay, TABLES, UUIDS, replaying,
};

const STACK: &str = "demo";
const ORDERS: u64 = 300;

/// The run of the brief: 300 orders; consumer 1 at 100 / 5 s made 4 invocations reading all
/// 300 records, consumer 2 at 10 / 1 s made 30 (one failed), reading 300 too.
fn recorded() -> Recorded {
    let start = at("2026-11-26T07:00:00Z");
    Recorded {
        window: Window {
            start,
            end: start + Duration::from_secs(240),
        },
        producer: Activity {
            invocations: vec![120.0, 120.0, 60.0],
            errors: vec![0.0, 0.0, 0.0],
            duration_sum_ms: vec![1_020.0, 996.0, 510.0],
            records_polled: vec![],
            billed_ms: vec![1_080.0, 1_062.0, 540.0],
            delays_ms: vec![],
        },
        consumers: [
            Activity {
                invocations: vec![2.0, 2.0],
                errors: vec![0.0, 0.0],
                duration_sum_ms: vec![123.0, 97.0],
                records_polled: vec![200.0, 100.0],
                billed_ms: vec![124.0, 106.0],
                // Up to the 5 s window.
                delays_ms: (0..300).map(|i| 200 + 16 * i).collect(),
            },
            Activity {
                invocations: vec![10.0, 12.0, 8.0],
                errors: vec![0.0, 1.0, 0.0],
                duration_sum_ms: vec![210.0, 258.0, 168.0],
                records_polled: vec![100.0, 120.0, 80.0],
                billed_ms: vec![224.0, 270.0, 178.0],
                // Up to the 1 s window.
                delays_ms: (0..300).map(|i| 40 + 3 * i).collect(),
            },
        ],
    }
}

fn at(rfc3339: &str) -> SystemTime {
    let time = DateTime::from_str(rfc3339, DateTimeFormat::DateTime).expect("an RFC 3339 time");
    SystemTime::try_from(time).expect("a time after the epoch")
}

fn config(batch_size: u32, window_seconds: u32) -> Config {
    Config {
        batch_size,
        window_seconds,
        parallelization: 1,
    }
}

fn planned() -> Run {
    Run {
        consumer_1: config(100, 5),
        consumer_2: Some(config(10, 1)),
        estimated_seconds: 0.0,
    }
}

fn mapping(consumer: Consumer, config: Config) -> Mapping {
    let function = CONSUMERS[consumer.index()];
    Mapping {
        consumer,
        function: function.into(),
        uuid: UUIDS[consumer.index()].into(),
        batch_size: Some(config.batch_size as i32),
        window_seconds: Some(config.window_seconds as i32),
        parallelization: Some(config.parallelization as i32),
        state: "Enabled".into(),
        state_reason: None,
        last_result: None,
        last_modified: None,
        function_arn: format!("arn:aws:lambda:{REGION}:123456789012:function:{function}"),
        failure: FailureHandling::default(),
    }
}

fn mappings(planned: &Run) -> [Mapping; 2] {
    let second = planned.consumer_2.expect("both consumers run");
    [
        mapping(Consumer::One, planned.consumer_1),
        mapping(Consumer::Two, second),
    ]
}

fn deployed(mappings: &[Mapping; 2]) -> Deployed {
    let functions = [("put-record", PRODUCER)]
        .into_iter()
        .chain([("put-item-1", CONSUMERS[0]), ("put-item-2", CONSUMERS[1])]);
    Deployed {
        api_url: Some(format!(
            "https://a1b2c3d4e5.execute-api.{REGION}.amazonaws.com/prod/order"
        )),
        stream: Some("demo-orders".into()),
        functions: functions
            .map(|(role, name)| (role.to_owned(), name.to_owned()))
            .collect::<BTreeMap<_, _>>(),
        tables: TABLES.map(str::to_owned).to_vec(),
        queue: None,
        mappings: mappings.to_vec(),
        dashboard: None,
        resources: Vec::new(),
        in_emulator: false,
    }
}

fn sweep<'a>(clients: &'a Clients, mappings: &'a [Mapping; 2]) -> Sweep<'a> {
    Sweep {
        clients,
        stack: STACK,
        mappings,
        traffic: Traffic {
            rate_per_second: 40.0,
            amount: Amount::Orders(ORDERS),
        },
        memory_mb: MEMORY_MB,
        prices: PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default()),
    }
}

/// Lambda's bill per million orders: GB-seconds (MB-ms ÷ 1024 ÷ 1000) at the GB-second price,
/// plus the requests at the per-million price, over the run's orders.
fn cost_per_million_orders(mb_ms: f64, invocations: f64, prices: &Prices) -> f64 {
    let compute = mb_ms / 1024.0 / 1000.0 * prices.gb_second;
    let requests = invocations / 1e6 * prices.per_million_requests;
    (compute + requests) / ORDERS as f64 * 1e6
}

/// The nearest-rank percentile: the smallest delay with at least `q` of them at or below it.
fn nearest_rank(delays_ms: &[i64], q: f64) -> f64 {
    let mut sorted = delays_ms.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
    sorted[rank - 1] as f64
}

fn assert_close(what: &str, actual: f64, expected: f64, relative: f64) {
    assert!(
        (actual - expected).abs() <= relative * expected.abs(),
        "{what}: {actual} ≠ {expected}"
    );
}

/// The counts of `measurement` are `activity`'s, over the run's orders.
fn assert_counts(measurement: &Measurement, activity: &Activity) {
    let measured = &measurement.measured;
    let what = format!("consumer {}", measurement.consumer);
    assert_eq!(measured.orders, ORDERS, "{what}");
    assert_eq!(
        measured.invocations as f64,
        activity.invocations(),
        "{what}"
    );
    assert_eq!(measured.records as f64, activity.records(), "{what}");
    assert_eq!(
        measured.records_per_invocation,
        Some(activity.records() / activity.invocations()),
        "{what}"
    );
    assert_eq!(
        measured.errors as f64,
        activity.errors.iter().sum::<f64>(),
        "{what}"
    );
}

/// Its stream → table p50 and p99 are those of `activity`'s delays, to the histogram's three
/// significant digits.
fn assert_delays(measurement: &Measurement, activity: &Activity) {
    let measured = &measurement.measured;
    let what = format!("consumer {}", measurement.consumer);
    for (q, percentile) in [
        (0.50, measured.stream_to_table_p50_ms),
        (0.99, measured.stream_to_table_p99_ms),
    ] {
        let actual = percentile.unwrap_or_else(|| panic!("{what}: no delay p{}", q * 100.0));
        assert_close(&what, actual, nearest_rank(&activity.delays_ms, q), 1e-3);
    }
}

fn assert_priced(measurement: &Measurement, mb_ms: f64, invocations: f64, prices: &Prices) {
    let measured = &measurement.measured;
    let what = format!("consumer {}", measurement.consumer);
    assert_eq!(measured.billed_mb_ms, mb_ms, "{what}");
    let cost = measured
        .cost_per_million_orders_usd
        .expect("orders were sent");
    let expected = cost_per_million_orders(mb_ms, invocations, prices);
    assert_close(&what, cost, expected, 1e-12);
}

/// The planned run read back over `window` from `clients`: the sweep's prices and the
/// measurements.
async fn read_the_run(clients: &Clients, window: Window) -> (Prices, Vec<Measurement>) {
    let planned = planned();
    let mappings = mappings(&planned);
    let sweep = sweep(clients, &mappings);
    let read = read_back(&sweep, &deployed(&mappings), &planned, window, ORDERS)
        .await
        .unwrap();
    (sweep.prices, read.measurements)
}

#[tokio::test]
async fn each_consumer_is_measured_from_its_metrics_insights_and_table() {
    let recorded = recorded();
    let replay = Replay::of(&recorded);
    let clients = replay.clients();
    let (prices, measurements) = read_the_run(&clients, recorded.window).await;
    assert_eq!(measurements.len(), 2);
    for ((measurement, activity), config) in measurements
        .iter()
        .zip(&recorded.consumers)
        .zip(planned().configs())
    {
        assert_eq!(measurement.config, config);
        assert_counts(measurement, activity);
        assert!(
            !measurement.measured.billed_estimated,
            "billed from Insights"
        );
        let (mb_ms, invocations) = (activity.billed_mb_ms(), activity.invocations());
        assert_priced(measurement, mb_ms, invocations, &prices);
        assert_delays(measurement, activity);
    }
    assert_eq!(
        measurements
            .iter()
            .map(|m| m.consumer.number())
            .collect::<Vec<_>>(),
        [1, 2]
    );
    // Series, then percentiles; each table read in two Scan pages.
    assert_eq!(replay.metrics.num_calls(), 2);
    assert_eq!(replay.tables[0].num_calls(), 2);
    assert_eq!(replay.tables[1].num_calls(), 2);
}

#[tokio::test]
async fn records_are_each_mappings_own() {
    // PolledEventCount is per mapping UUID: figures that differ, so that a consumer credited
    // with the other's mapping shows.
    let mut recorded = recorded();
    recorded.consumers[1].records_polled = vec![90.0, 110.0, 70.0];
    let replay = Replay::of(&recorded);
    let clients = replay.clients();
    let planned = planned();
    let mappings = mappings(&planned);
    let measurements = read_back(
        &sweep(&clients, &mappings),
        &deployed(&mappings),
        &planned,
        recorded.window,
        ORDERS,
    )
    .await
    .unwrap()
    .measurements;
    let records: Vec<f64> = (measurements.iter())
        .map(|m| m.measured.records as f64)
        .collect();
    let polled: Vec<f64> = recorded.consumers.iter().map(Activity::records).collect();
    assert_ne!(polled[0], polled[1]);
    assert_eq!(records, polled);
    // Consumer 2's metrics count 270 of the 300 orders: a run read too early, said so.
    assert!(measurements[0].measured.complete());
    assert!(!measurements[1].measured.complete());
    let short = incomplete(&measurements).expect("consumer 2 is short");
    assert_eq!(short, "consumer 2 at 10 / 1 s read 270 of 300 orders");
}

#[test]
fn a_runs_notes_keep_what_went_wrong_and_drop_what_every_run_repeats() {
    let notes = [
        "percentiles (p50, p99) unavailable: the emulator does not compute them".to_owned(),
        "billed MB-ms of demo-put-item-1 estimated from average duration".to_owned(),
        "stream → table latency of demo-put-item-2 unavailable: AccessDeniedException".to_owned(),
        "billed durations from Lambda Insights unavailable: query q-1 Failed".to_owned(),
    ];
    assert_eq!(run_notes(&notes), notes[2..].to_vec());
}

#[tokio::test]
async fn without_insights_the_billed_figure_is_estimated_and_the_run_goes_on() {
    let recorded = recorded();
    let replay = Replay::of(&recorded);
    let no_log_group =
        mock!(aws_sdk_cloudwatchlogs::Client::start_query).then_http_response(|| {
            answers::logs_error(
                400,
                "ResourceNotFoundException",
                "The specified log group does not exist.",
            )
        });
    let clients = replaying(
        &[&replay.metrics],
        &[&no_log_group, &replay.query_results],
        &[&replay.tables[0], &replay.tables[1]],
    );
    let (prices, measurements) = read_the_run(&clients, recorded.window).await;
    assert_eq!(measurements.len(), 2);
    for (measurement, activity) in measurements.iter().zip(&recorded.consumers) {
        assert!(measurement.measured.billed_estimated);
        // Each invocation billed the average duration rounded up to the ms, at the memory.
        let invocations = activity.invocations();
        let estimate = invocations * activity.average_ms().ceil() * MEMORY_MB;
        assert_ne!(
            estimate,
            activity.billed_mb_ms(),
            "the test tells them apart"
        );
        assert_priced(measurement, estimate, invocations, &prices);
        assert_counts(measurement, activity);
    }
    assert_eq!(no_log_group.num_calls(), 1);
    assert_eq!(replay.query_results.num_calls(), 0);
}

#[tokio::test]
async fn a_throttled_metrics_read_fails_the_run_naming_the_call() {
    let recorded = recorded();
    let window = recorded.window;
    let throttled = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
        .then_http_response(|| answers::cloudwatch_error(400, "Throttling", "Rate exceeded"));
    let clients = replaying(&[&throttled], &[], &[]);
    let planned = planned();
    let mappings = mappings(&planned);
    let sweep = sweep(&clients, &mappings);
    let err = read_back(&sweep, &deployed(&mappings), &planned, window, ORDERS)
        .await
        .expect_err("no figures is an error, not zeros");
    let text = err.to_string();
    assert!(
        text.contains("cloudwatch:GetMetricData") && text.contains("Throttling"),
        "{text}"
    );
}

#[test]
fn on_aws_the_wait_is_the_longest_window_and_the_metrics_delay() {
    let run = |consumer_1, consumer_2| Run {
        consumer_1,
        consumer_2,
        estimated_seconds: 0.0,
    };
    let both = run(config(100, 30), Some(config(10, 2)));
    assert_eq!(aws_wait(&both), Duration::from_secs(180));
    let reversed = run(config(10, 2), Some(config(100, 30)));
    assert_eq!(aws_wait(&reversed), Duration::from_secs(180));
    // No window: the mapping still hands over on its 1 s poll.
    let alone = run(config(100, 0), None);
    assert_eq!(aws_wait(&alone), Duration::from_secs(151));
}

#[test]
fn runs_start_and_end_on_whole_minutes() {
    let at = |s: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
    assert_eq!(minute_after(at(120)), at(180));
    assert_eq!(minute_after(at(121)), at(180));
    assert_eq!(minute_after(at(179)), at(180));
}
