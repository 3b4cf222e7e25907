//! The report's chart of a short window: the two consumers side by side on what batching
//! trades — Lambda cost per million orders, stream → table delay, records per invocation.

use super::chart::bars::{Bar, BarGroup, BarPanel, Comparison};
use plotters::style::RGBColor;

use super::chart::PALETTE;
use super::numbers::{compact_number, dollars, usd};
use super::role::Role;
use super::{BilledSource, FunctionReport, Report};

/// A consumer's figures, in the colour the time series give its function (by its place among
/// the report's functions).
type Shown<'a> = (RGBColor, &'a FunctionReport);

/// The consumers' bars, with the producer's cost and the figures' provenance underneath.
pub(crate) fn comparison(report: &Report) -> Comparison {
    let consumers: Vec<Shown> = report
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| f.role.consumer().is_some())
        .map(|(place, f)| (PALETTE[place % PALETTE.len()], f))
        .collect();
    let estimated = consumers
        .iter()
        .any(|(_, f)| f.billed.source == BilledSource::EstimatedFromAverageDuration);
    Comparison {
        caption: format!(
            "stack {}, {}: {} → {}, the consumers side by side",
            report.stack, report.region, report.window.start, report.window.end
        ),
        panels: vec![
            cost_panel(&consumers, estimated),
            delay_panel(&consumers),
            records_panel(&consumers),
        ],
        footnote: Some(footnote(report, estimated)),
    }
}

fn cost_panel(consumers: &[Shown], estimated: bool) -> BarPanel {
    BarPanel {
        title: if estimated {
            "Lambda cost per million orders (estimated)".into()
        } else {
            "Lambda cost per million orders".into()
        },
        unit: "USD".into(),
        ticks: dollars,
        measures: vec!["cost".into()],
        groups: groups(consumers, |f| {
            vec![f.cost.per_million_orders_usd.map(|v| bar(v, usd(v)))]
        }),
    }
}

fn delay_panel(consumers: &[Shown]) -> BarPanel {
    let seconds = |ms: f64| bar(ms / 1000.0, format!("{} s", compact_number(ms / 1000.0)));
    BarPanel {
        title: "Stream → table delay".into(),
        unit: "seconds".into(),
        ticks: compact_number,
        measures: vec!["p50".into(), "p99".into()],
        groups: groups(consumers, |f| {
            let summary = f.stream_to_table_ms;
            vec![
                summary.map(|s| seconds(s.p50_ms)),
                summary.map(|s| seconds(s.p99_ms)),
            ]
        }),
    }
}

fn records_panel(consumers: &[Shown]) -> BarPanel {
    let mut panel = BarPanel {
        title: "Records per invocation".into(),
        unit: "records".into(),
        ticks: compact_number,
        measures: vec!["records".into()],
        groups: groups(consumers, |f| {
            vec![f.records_per_invocation.map(|v| bar(v, compact_number(v)))]
        }),
    };
    for (group, (_, function)) in panel.groups.iter_mut().zip(consumers) {
        group.limit = function.batching.map(|b| {
            let size = f64::from(b.batch_size);
            (size, format!("batch size {}", b.batch_size))
        });
    }
    panel
}

/// One group per consumer, in the colour the time series give its function.
fn groups(
    consumers: &[Shown],
    bars: impl Fn(&FunctionReport) -> Vec<Option<Bar>>,
) -> Vec<BarGroup> {
    consumers
        .iter()
        .map(|(colour, function)| BarGroup {
            label: label(function),
            colour: *colour,
            bars: bars(function),
            limit: None,
        })
        .collect()
}

/// The function's name over its batching.
fn label(function: &FunctionReport) -> Vec<String> {
    let mut lines = vec![function.function.clone()];
    lines.extend(function.batching.map(|b| b.label()));
    lines
}

fn bar(value: f64, text: String) -> Bar {
    Bar { value, text }
}

/// Orders, what the producer costs (the same whichever consumer reads), what is counted.
fn footnote(report: &Report, estimated: bool) -> String {
    let mut parts = vec![format!("{} orders", report.orders)];
    let producer = report.functions.iter().find(|f| f.role == Role::Producer);
    if let Some(cost) = producer.and_then(|p| p.cost.per_million_orders_usd) {
        parts.push(format!(
            "producer: {} per million orders, whichever consumer",
            usd(cost)
        ));
    }
    parts.push("Lambda compute and requests only".into());
    if estimated {
        parts.push("billed time estimated from average duration".into());
    }
    parts.join(" · ")
}
