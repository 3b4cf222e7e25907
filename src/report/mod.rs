//! `demo report`'s figures: what each function did and cost in a window, side by side, from
//! CloudWatch metrics, Lambda Insights and the billed durations in its log events.

pub(crate) mod billed;
pub(crate) mod chart;
pub(crate) mod compare;
pub(crate) mod cost;
pub(crate) mod error;
pub(crate) mod latency;
pub(crate) mod metrics;
pub mod numbers;
pub(crate) mod read;
pub(crate) mod render;
pub(crate) mod role;
pub(crate) mod series;
pub(crate) mod view;
pub(crate) mod window;

use std::collections::HashMap;

use serde::Serialize;

use self::billed::Billed;
use self::cost::{Cost, Prices, Usage};
pub(crate) use self::error::ReportError;
use self::metrics::{Figure, Measured};
use self::role::Role;
use crate::load::stats::LatencySummary;
use crate::model::batching::Batching;

/// What the original (Python 3.8 functions, ap-southeast-2, December 2021) averaged per
/// invocation with the default batching, from its Lambda Insights screenshots: the figures to
/// beat, for producer, consumer 1 (100 / 30 s) and consumer 2 (10 / 2 s).
const ORIGINAL_AVERAGE_MS: [f64; 3] = [216.0, 430.0, 202.0];
const ORIGINAL_BATCHING: [(i32, i32); 2] = [(100, 30), (10, 2)];

/// One function the report covers.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    pub(crate) role: Role,
    pub(crate) function: String,
    pub(crate) mapping_uuid: Option<String>,
    pub(crate) batching: Option<Batching>,
    /// The consumer's table, where its items' delays are read.
    pub(crate) table: Option<String>,
}

/// What the report is about, besides the measurements.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) window: window::Window,
    /// How the window was chosen ("from --since", "since the last up or tune") and the whole
    /// periods it is read in.
    pub(crate) window_basis: String,
    pub(crate) memory_mb: f64,
    pub(crate) prices: Prices,
    pub(crate) subjects: Vec<Subject>,
    /// Whether the durations are Lambda's (AWS), so comparable with the original's.
    pub(crate) on_lambda: bool,
}

/// Everything read from AWS for one report.
#[derive(Debug, Default)]
pub(crate) struct Readings {
    pub(crate) series: Measured,
    pub(crate) percentiles: Measured,
    pub(crate) billed: HashMap<String, Billed>,
    /// Stream → table delay of each consumer's items, by function name.
    pub(crate) latency: HashMap<String, latency::TableLatency>,
    pub(crate) notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) stack: String,
    pub(crate) region: String,
    pub(crate) window: WindowOut,
    pub(crate) memory_mb: f64,
    pub(crate) prices: Prices,
    /// Orders in the window: the producer's invocations, one per POST /order.
    pub(crate) orders: u64,
    pub(crate) functions: Vec<FunctionReport>,
    /// The consumer with the lower total cost, when both ran and they differ.
    pub(crate) cheaper: Option<String>,
    /// The consumer with the shorter average invocation, when both ran and they differ.
    pub(crate) faster: Option<String>,
    pub(crate) faster_basis: Option<String>,
    pub(crate) has_data: bool,
    /// The original's average durations, when the batching is the original's and the figures
    /// are Lambda's: producer, consumer 1, consumer 2.
    pub(crate) original_average_ms: Option<[f64; 3]>,
    pub(crate) notes: Vec<String>,
    /// The chart file written, if one was asked for.
    pub(crate) chart: Option<String>,
    /// What it shows: lines over time, or the consumers side by side (a short window).
    pub(crate) chart_view: Option<view::ChartView>,
}

#[derive(Debug, Serialize)]
pub(crate) struct WindowOut {
    pub(crate) start: String,
    pub(crate) end: String,
    pub(crate) seconds: u64,
    pub(crate) basis: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct FunctionReport {
    /// "producer", "consumer 1", "consumer 2".
    pub(crate) role: Role,
    pub(crate) function: String,
    pub(crate) batching: Option<Batching>,
    pub(crate) invocations: u64,
    pub(crate) errors: u64,
    pub(crate) throttles: u64,
    pub(crate) duration_ms: DurationStats,
    /// Records the mapping read from the stream (its PolledEventCount), consumers only.
    pub(crate) records_read: Option<u64>,
    pub(crate) records_per_invocation: Option<f64>,
    pub(crate) iterator_age_ms: Option<IteratorAge>,
    /// Kinesis arrival → DynamoDB write of the consumer's items written in the window (the
    /// batching delay), read from its table.
    pub(crate) stream_to_table_ms: Option<LatencySummary>,
    pub(crate) insights: InsightsFigures,
    pub(crate) billed: BilledOut,
    pub(crate) cost: Cost,
}

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct DurationStats {
    pub(crate) average: Option<f64>,
    pub(crate) p50: Option<f64>,
    pub(crate) p99: Option<f64>,
    pub(crate) max: Option<f64>,
}

#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct IteratorAge {
    pub(crate) p99: Option<f64>,
    pub(crate) max: Option<f64>,
}

/// Lambda Insights' figures (namespace LambdaInsights); None without the layer.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct InsightsFigures {
    pub(crate) memory_utilization_avg_pct: Option<f64>,
    pub(crate) memory_utilization_max_pct: Option<f64>,
    pub(crate) used_memory_max_mb: Option<f64>,
    pub(crate) cpu_time_ms: Option<f64>,
    pub(crate) rx_bytes: Option<f64>,
    pub(crate) tx_bytes: Option<f64>,
    pub(crate) network_bytes: Option<f64>,
    pub(crate) cold_starts: Option<u64>,
    pub(crate) init_duration_avg_ms: Option<f64>,
}

/// Billed duration × memory ("function cost" in the Insights console), and where it came from.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct BilledOut {
    pub(crate) mb_ms: f64,
    pub(crate) billed_ms: Option<f64>,
    pub(crate) source: BilledSource,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum BilledSource {
    /// Summed from the `billed_mb_ms` of the `/aws/lambda-insights` log events.
    LambdaInsightsLogs,
    /// Invocations × average duration rounded up to the ms × memory.
    EstimatedFromAverageDuration,
    /// No invocations, nothing billed.
    None,
}

/// Puts the readings together: per-function figures, costs, and which consumer wins.
pub(crate) fn build(context: &Context, readings: &Readings) -> Report {
    let orders = readings.series.total(0, Figure::Invocations).unwrap_or(0.0);
    let functions: Vec<FunctionReport> = context
        .subjects
        .iter()
        .enumerate()
        .map(|(index, subject)| function_report(context, readings, index, subject, orders))
        .collect();
    let has_data = functions.iter().any(|f| f.invocations > 0);
    let mut notes = readings.notes.clone();
    notes.extend(billing_notes(&functions));
    let (faster, faster_basis) = faster(&functions);
    Report {
        stack: context.stack.clone(),
        region: context.region.clone(),
        window: WindowOut {
            start: window::rfc3339(context.window.start),
            end: window::rfc3339(context.window.end),
            seconds: context.window.seconds(),
            basis: context.window_basis.clone(),
        },
        memory_mb: context.memory_mb,
        prices: context.prices.clone(),
        orders: orders as u64,
        cheaper: cheaper(&functions),
        faster,
        faster_basis,
        original_average_ms: comparable_with_original(context, has_data)
            .then_some(ORIGINAL_AVERAGE_MS),
        functions,
        has_data,
        notes,
        chart: None,
        chart_view: None,
    }
}

/// Same batching as the original, and measured by Lambda.
fn comparable_with_original(context: &Context, has_data: bool) -> bool {
    let batching: Vec<(i32, i32)> = context
        .subjects
        .iter()
        .filter_map(|s| s.batching.map(|b| (b.batch_size, b.window_seconds)))
        .collect();
    has_data && context.on_lambda && batching == ORIGINAL_BATCHING
}

fn function_report(
    context: &Context,
    readings: &Readings,
    index: usize,
    subject: &Subject,
    orders: f64,
) -> FunctionReport {
    let m = &readings.series;
    let p = &readings.percentiles;
    let invocations = m.total(index, Figure::Invocations).unwrap_or(0.0);
    let average = m.average(index, Figure::DurationSum, Figure::DurationCount);
    let billed = billed_usage(
        readings.billed.get(&subject.function),
        invocations,
        average,
        context.memory_mb,
    );
    let usage = Usage {
        requests: invocations,
        billed_mb_ms: billed.mb_ms,
    };
    let records_read = m.total(index, Figure::RecordsRead);
    let consumer = subject.mapping_uuid.is_some();
    FunctionReport {
        role: subject.role,
        function: subject.function.clone(),
        batching: subject.batching,
        invocations: invocations as u64,
        errors: m.total(index, Figure::Errors).unwrap_or(0.0) as u64,
        throttles: m.total(index, Figure::Throttles).unwrap_or(0.0) as u64,
        duration_ms: DurationStats {
            average,
            p50: p.max(index, Figure::DurationP50),
            p99: p.max(index, Figure::DurationP99),
            max: m.max(index, Figure::DurationMax),
        },
        records_read: records_read.map(|r| r as u64),
        records_per_invocation: records_read
            .filter(|_| invocations > 0.0)
            .map(|r| r / invocations),
        iterator_age_ms: consumer.then(|| IteratorAge {
            p99: p.max(index, Figure::IteratorAgeP99),
            max: m.max(index, Figure::IteratorAgeMax),
        }),
        stream_to_table_ms: readings
            .latency
            .get(&subject.function)
            .and_then(|l| l.summary),
        insights: insights(m, index),
        cost: cost::cost(usage, &context.prices, orders),
        billed,
    }
}

fn billed_usage(
    measured: Option<&Billed>,
    invocations: f64,
    average_ms: Option<f64>,
    memory_mb: f64,
) -> BilledOut {
    if let Some(billed) = measured.filter(|b| b.invocations > 0.0) {
        return BilledOut {
            mb_ms: billed.mb_ms,
            billed_ms: Some(billed.billed_ms),
            source: BilledSource::LambdaInsightsLogs,
        };
    }
    match average_ms.filter(|_| invocations > 0.0) {
        Some(average) => BilledOut {
            mb_ms: cost::estimated_mb_ms(invocations, average, memory_mb),
            billed_ms: None,
            source: BilledSource::EstimatedFromAverageDuration,
        },
        None => BilledOut {
            mb_ms: 0.0,
            billed_ms: None,
            source: BilledSource::None,
        },
    }
}

fn insights(m: &Measured, index: usize) -> InsightsFigures {
    InsightsFigures {
        memory_utilization_avg_pct: m.average(
            index,
            Figure::MemoryUtilizationSum,
            Figure::MemoryUtilizationCount,
        ),
        memory_utilization_max_pct: m.max(index, Figure::MemoryUtilizationMax),
        used_memory_max_mb: m.max(index, Figure::UsedMemoryMax),
        cpu_time_ms: m.total(index, Figure::CpuTimeSum),
        rx_bytes: m.total(index, Figure::RxBytes),
        tx_bytes: m.total(index, Figure::TxBytes),
        network_bytes: m.total(index, Figure::NetworkBytes),
        cold_starts: m.total(index, Figure::InitDurationCount).map(|c| c as u64),
        init_duration_avg_ms: m.average(index, Figure::InitDurationSum, Figure::InitDurationCount),
    }
}

/// The two consumers, when both ran.
fn consumers(functions: &[FunctionReport]) -> Option<(&FunctionReport, &FunctionReport)> {
    let ran: Vec<&FunctionReport> = functions
        .iter()
        .filter(|f| f.iterator_age_ms.is_some() && f.invocations > 0)
        .collect();
    match ran.as_slice() {
        [a, b] => Some((a, b)),
        _ => None,
    }
}

fn cheaper(functions: &[FunctionReport]) -> Option<String> {
    let (a, b) = consumers(functions)?;
    lower(a, b, a.cost.total_usd, b.cost.total_usd)
}

/// Faster = the consumer whose records reach its table sooner (stream → table p50, read from
/// the items); without items, the shorter average invocation, as the original judged it.
/// Iterator age is no measure of batching delay: it is the age of a batch's *last* record.
fn faster(functions: &[FunctionReport]) -> (Option<String>, Option<String>) {
    let Some((a, b)) = consumers(functions) else {
        return (None, None);
    };
    let p50 = |f: &FunctionReport| f.stream_to_table_ms.map(|l| l.p50_ms);
    let (basis, x, y) = match (p50(a), p50(b), a.duration_ms.average, b.duration_ms.average) {
        (Some(x), Some(y), _, _) => ("stream → table p50", x, y),
        (_, _, Some(x), Some(y)) => ("average duration", x, y),
        _ => return (None, None),
    };
    match lower(a, b, x, y) {
        Some(name) => (Some(name), Some(basis.to_owned())),
        None => (None, None),
    }
}

fn lower(a: &FunctionReport, b: &FunctionReport, x: f64, y: f64) -> Option<String> {
    if x < y {
        Some(a.function.clone())
    } else if y < x {
        Some(b.function.clone())
    } else {
        None
    }
}

fn billing_notes(functions: &[FunctionReport]) -> Vec<String> {
    let estimated: Vec<&str> = functions
        .iter()
        .filter(|f| f.billed.source == BilledSource::EstimatedFromAverageDuration)
        .map(|f| f.function.as_str())
        .collect();
    if estimated.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "billed MB-ms of {} estimated from average duration (invocations × average rounded up to the ms × memory): no Lambda Insights log events with billed_mb_ms in {}",
        estimated.join(", "),
        billed::LOG_GROUP
    )]
}

#[cfg(test)]
mod tests;
