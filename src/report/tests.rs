//! Putting readings together: per-function figures, estimates, and the cheaper/faster marks.

use super::*;
use crate::artifacts::Arch;
use crate::model::Consumer;
use crate::report::cost::{PUBLISHED, PriceOverrides};
use crate::report::window::Window;
use std::time::{Duration, SystemTime};

fn context() -> Context {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let subject =
        |role: Role, function: &str, uuid: Option<&str>, batch: Option<(i32, i32)>| Subject {
            role,
            function: function.into(),
            mapping_uuid: uuid.map(str::to_owned),
            batching: batch.map(|(batch_size, window_seconds)| Batching {
                batch_size,
                window_seconds,
                parallelization: 1,
            }),
            table: uuid.map(|_| format!("{function}-table")),
        };
    Context {
        stack: "s".into(),
        region: "ap-southeast-2".into(),
        window: Window {
            start,
            end: start + Duration::from_secs(3600),
        },
        window_basis: "from --since".into(),
        memory_mb: 128.0,
        prices: PUBLISHED.for_arch(Arch::Arm64, PriceOverrides::default()),
        subjects: vec![
            subject(Role::Producer, "s-put-record", None, None),
            subject(
                Role::Consumer(Consumer::One),
                "s-put-item-1",
                Some("u1"),
                Some((100, 30)),
            ),
            subject(
                Role::Consumer(Consumer::Two),
                "s-put-item-2",
                Some("u2"),
                Some((10, 2)),
            ),
        ],
        on_lambda: true,
    }
}

/// 1000 orders; consumer 1: 10 invocations of 40 ms reading 1000 records, iterator age up to
/// 30 s; consumer 2: 100 invocations of 8 ms, iterator age up to 2 s.
fn readings() -> Readings {
    let mut series = Measured::default();
    let t = 1_800_000_000;
    for (index, invocations, duration_sum, age) in [
        (0, 1000.0, 3000.0, None),
        (1, 10.0, 400.0, Some(30_000.0)),
        (2, 100.0, 800.0, Some(2_000.0)),
    ] {
        series.insert(index, Figure::Invocations, &[(t, invocations)]);
        series.insert(index, Figure::DurationSum, &[(t, duration_sum)]);
        series.insert(index, Figure::DurationCount, &[(t, invocations)]);
        if let Some(age) = age {
            series.insert(index, Figure::IteratorAgeMax, &[(t, age)]);
            series.insert(index, Figure::RecordsRead, &[(t, 1000.0)]);
        }
    }
    Readings {
        series,
        ..Readings::default()
    }
}

#[test]
fn estimates_cost_from_average_duration_without_insights_events() {
    let report = build(&context(), &readings());
    assert!(report.has_data);
    assert_eq!(report.orders, 1000);
    let c1 = &report.functions[1];
    assert_eq!(c1.invocations, 10);
    assert_eq!(c1.duration_ms.average, Some(40.0));
    assert_eq!(c1.records_per_invocation, Some(100.0));
    // 10 × 40 ms × 128 MB.
    assert_eq!(c1.billed.mb_ms, 51_200.0);
    assert_eq!(c1.billed.source, BilledSource::EstimatedFromAverageDuration);
    // 100 × 8 ms × 128 MB = 102,400 MB-ms: consumer 2 costs more and waits less.
    assert_eq!(report.functions[2].billed.mb_ms, 102_400.0);
    assert_eq!(report.cheaper.as_deref(), Some("s-put-item-1"));
    assert_eq!(report.faster.as_deref(), Some("s-put-item-2"));
    assert_eq!(report.faster_basis.as_deref(), Some("average duration"));
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("estimated from average duration"))
    );
    // The producer has no mapping, hence no iterator age or records.
    assert_eq!(report.functions[0].iterator_age_ms, None);
    assert_eq!(report.functions[0].records_read, None);
}

#[test]
fn billed_figures_from_insights_events_win_over_the_estimate() {
    let mut readings = readings();
    readings.billed.insert(
        "s-put-item-1".into(),
        Billed {
            invocations: 10.0,
            billed_ms: 410.0,
            mb_ms: 52_480.0,
            series: vec![],
        },
    );
    let report = build(&context(), &readings);
    let c1 = &report.functions[1];
    assert_eq!(c1.billed.source, BilledSource::LambdaInsightsLogs);
    assert_eq!(c1.billed.mb_ms, 52_480.0);
    assert_eq!(c1.billed.billed_ms, Some(410.0));
    // 52,480 MB-ms = 0.05125 GB-s.
    assert!((c1.cost.gb_seconds - 0.051_25).abs() < 1e-12);
    let per_million = c1.cost.per_million_orders_usd.unwrap();
    let expected = (0.051_25 * 0.000_013_333_4 + 10.0 * 0.2 / 1e6) / 1000.0 * 1e6;
    assert!((per_million - expected).abs() < 1e-12);
}

#[test]
fn no_invocations_means_no_data_and_no_marks() {
    let report = build(&context(), &Readings::default());
    assert!(!report.has_data);
    assert_eq!(report.cheaper, None);
    assert_eq!(report.faster, None);
    assert!(
        report
            .functions
            .iter()
            .all(|f| f.billed.source == BilledSource::None)
    );
    let text = report.to_string();
    assert!(text.contains("Run `demo load` first"), "{text}");
}

#[test]
fn the_text_table_marks_the_cheaper_and_the_faster_consumer() {
    let text = build(&context(), &readings()).to_string();
    let marks = text.lines().find(|l| l.contains("✓")).unwrap();
    let cheaper = marks.find("✓ cheaper").unwrap();
    let faster = marks.find("✓ faster").unwrap();
    assert!(cheaper < faster, "{marks}");
    assert!(
        text.contains("100 / 30 s") && text.contains("10 / 2 s"),
        "{text}"
    );
    assert!(text.contains("51,200 (est.)"), "{text}");
}

#[test]
fn the_text_report_reads_as_reviewed() {
    insta::assert_snapshot!(build(&context(), &readings()).to_string());
}

#[test]
fn the_originals_durations_are_shown_only_beside_lambdas_with_the_same_batching() {
    let report = build(&context(), &readings());
    assert_eq!(report.original_average_ms, Some([216.0, 430.0, 202.0]));
    assert!(report.to_string().contains("averaged 216 / 430 / 202 ms"));
    let emulator = Context {
        on_lambda: false,
        ..context()
    };
    assert_eq!(build(&emulator, &readings()).original_average_ms, None);
    let mut tuned = context();
    tuned.subjects[1].batching = Some(Batching {
        batch_size: 50,
        window_seconds: 5,
        parallelization: 1,
    });
    assert_eq!(build(&tuned, &readings()).original_average_ms, None);
    assert_eq!(
        build(&context(), &Readings::default()).original_average_ms,
        None
    );
}

#[test]
fn faster_is_judged_on_the_tables_delays_when_there_are_items() {
    use crate::load::stats::LatencySummary;
    use crate::report::latency::TableLatency;
    let delay = |p50_ms: f64| TableLatency {
        summary: Some(LatencySummary {
            count: 1000,
            mean_ms: p50_ms,
            p50_ms,
            p90_ms: p50_ms,
            p99_ms: p50_ms,
            max_ms: p50_ms,
        }),
        sampled: false,
    };
    let mut readings = readings();
    // Consumer 1's invocations are longer, but here its records reach the table first.
    readings.latency.insert("s-put-item-1".into(), delay(400.0));
    readings
        .latency
        .insert("s-put-item-2".into(), delay(1_900.0));
    let report = build(&context(), &readings);
    assert_eq!(report.faster.as_deref(), Some("s-put-item-1"));
    assert_eq!(report.faster_basis.as_deref(), Some("stream → table p50"));
    assert_eq!(
        report.functions[1].stream_to_table_ms.unwrap().p50_ms,
        400.0
    );
    assert!(report.to_string().contains("400 / 400"));
}

#[test]
fn a_window_with_invocations_in_few_periods_is_charted_side_by_side() {
    use crate::report::view::{ChartView, MIN_PERIODS_FOR_LINES, choose};
    // The fixture's invocations all fall in one period.
    assert_eq!(choose(&readings(), 3), (ChartView::SideBySide, 1));
    let minutes = |count: i64, first_value: f64| -> Readings {
        let mut series = Measured::default();
        let points: Vec<(i64, f64)> = (0..count)
            .map(|m| {
                (
                    1_800_000_000 + 60 * m,
                    if m == 0 { first_value } else { 5.0 },
                )
            })
            .collect();
        series.insert(2, Figure::Invocations, &points);
        Readings {
            series,
            ..Readings::default()
        }
    };
    let enough = MIN_PERIODS_FOR_LINES as i64;
    assert_eq!(
        choose(&minutes(enough, 5.0), 3),
        (ChartView::TimeSeries, MIN_PERIODS_FOR_LINES)
    );
    // A period CloudWatch answered with zero invocations holds no data to draw.
    assert_eq!(
        choose(&minutes(enough, 0.0), 3),
        (ChartView::SideBySide, MIN_PERIODS_FOR_LINES - 1)
    );
    // Only the functions asked about count.
    assert_eq!(choose(&minutes(enough, 5.0), 2).1, 0);
}

#[test]
fn the_side_by_side_chart_shows_each_consumers_own_figures() {
    use crate::load::stats::LatencySummary;
    use crate::report::latency::TableLatency;
    let mut readings = readings();
    readings.latency.insert(
        "s-put-item-1".into(),
        TableLatency {
            summary: Some(LatencySummary {
                count: 1000,
                mean_ms: 14_000.0,
                p50_ms: 15_000.0,
                p90_ms: 27_000.0,
                p99_ms: 29_500.0,
                max_ms: 30_100.0,
            }),
            sampled: false,
        },
    );
    let report = build(&context(), &readings);
    let picture = crate::report::compare::comparison(&report);
    let [cost, delay, records] = &picture.panels[..] else {
        panic!("{} panels", picture.panels.len())
    };
    let value = |panel: &chart::bars::BarPanel, group: usize, bar: usize| {
        panel.groups[group].bars[bar].as_ref().map(|b| b.value)
    };
    // Consumers only, in the time series' colours, named with their batching.
    assert_eq!(cost.groups.len(), 2);
    assert_eq!(cost.groups[0].label, ["s-put-item-1", "100 / 30 s"]);
    assert_eq!(cost.groups[1].colour, chart::PALETTE[2]);
    for group in 0..2 {
        let function = &report.functions[group + 1];
        assert_eq!(
            value(cost, group, 0),
            function.cost.per_million_orders_usd,
            "consumer {}",
            group + 1
        );
        assert_eq!(
            value(records, group, 0),
            function.records_per_invocation,
            "consumer {}",
            group + 1
        );
    }
    assert_eq!(value(records, 0, 0), Some(100.0));
    assert_eq!(value(records, 1, 0), Some(10.0));
    let limit = |group: usize| records.groups[group].limit.as_ref().map(|l| l.0);
    assert_eq!((limit(0), limit(1)), (Some(100.0), Some(10.0)));
    // Delays in seconds; consumer 2 has no items, so no bars rather than zeros.
    assert_eq!(value(delay, 0, 0), Some(15.0));
    assert_eq!(value(delay, 0, 1), Some(29.5));
    assert_eq!(delay.groups[0].bars[1].as_ref().unwrap().text, "29.5 s");
    assert_eq!((value(delay, 1, 0), value(delay, 1, 1)), (None, None));
    // The fixture has no Insights events: the cost is an estimate, and says so.
    assert!(cost.title.contains("estimated"), "{}", cost.title);
    let footnote = picture.footnote.unwrap();
    assert!(footnote.starts_with("1000 orders"), "{footnote}");
    assert!(footnote.contains("producer: $"), "{footnote}");
}
