//! The report's time series, shaped for the chart: function cost, duration and network per
//! period, one line per function, like the original's three Lambda Insights panels.

use super::chart::{Chart, Panel, Series};
use super::metrics::Figure;
use super::{BilledSource, Context, Readings, Report, cost};

use crate::epoch;

/// The three panels of the window: cost, duration and network, a line per function.
pub(crate) fn chart(context: &Context, readings: &Readings, report: &Report) -> Chart {
    let lines = Lines::of(context, readings, report);
    let estimated = report
        .functions
        .iter()
        .any(|f| f.billed.source == BilledSource::EstimatedFromAverageDuration);
    Chart {
        caption: format!(
            "stack {}, {}: {} → {}",
            report.stack, report.region, report.window.start, report.window.end
        ),
        window_seconds: context.window.seconds() as f64,
        panels: vec![
            Panel {
                title: if estimated {
                    "Function cost (MB-ms, estimated from duration)".into()
                } else {
                    "Function cost (MB-ms)".into()
                },
                unit: "MB-ms".into(),
                series: lines.cost,
            },
            Panel {
                title: "Duration (ms, avg)".into(),
                unit: "ms".into(),
                series: lines.duration,
            },
            Panel {
                title: "Network (bytes)".into(),
                unit: "bytes".into(),
                series: lines.network,
            },
        ],
    }
}

/// Each panel's lines, one per function in the report's order.
#[derive(Default)]
struct Lines {
    cost: Vec<Series>,
    duration: Vec<Series>,
    network: Vec<Series>,
}

impl Lines {
    fn of(context: &Context, readings: &Readings, report: &Report) -> Lines {
        let start = epoch::seconds(context.window.start);
        let relative = |points: Vec<(i64, f64)>| -> Vec<(f64, f64)> {
            points
                .into_iter()
                .map(|(at, v)| ((at - start).max(0) as f64, v))
                .collect()
        };
        let mut lines = Lines::default();
        for (index, function) in report.functions.iter().enumerate() {
            let label = label(function);
            let cost_points = match function.billed.source {
                BilledSource::LambdaInsightsLogs => readings
                    .billed
                    .get(&function.function)
                    .map(|b| b.series.clone())
                    .unwrap_or_default(),
                _ => estimated_cost(readings, index, context.memory_mb),
            };
            lines.cost.push(Series {
                label: label.clone(),
                points: relative(cost_points),
            });
            lines.duration.push(Series {
                label: label.clone(),
                points: relative(average_duration(readings, index)),
            });
            lines.network.push(Series {
                label,
                points: relative(readings.series.points(index, Figure::NetworkBytes).to_vec()),
            });
        }
        lines
    }
}

fn label(function: &super::FunctionReport) -> String {
    match function.batching {
        Some(b) => format!("{} ({})", function.function, b.label()),
        None => function.function.clone(),
    }
}

/// Per period: Duration Sum ÷ SampleCount.
fn average_duration(readings: &Readings, index: usize) -> Vec<(i64, f64)> {
    per_period(readings, index, |sum, count| sum / count)
}

/// Per period, the same estimate as the totals: count × ceil(average) × memory.
fn estimated_cost(readings: &Readings, index: usize, memory_mb: f64) -> Vec<(i64, f64)> {
    per_period(readings, index, |sum, count| {
        cost::estimated_mb_ms(count, sum / count, memory_mb)
    })
}

fn per_period(
    readings: &Readings,
    index: usize,
    combine: impl Fn(f64, f64) -> f64,
) -> Vec<(i64, f64)> {
    let counts = readings.series.points(index, Figure::DurationCount);
    readings
        .series
        .points(index, Figure::DurationSum)
        .iter()
        .filter_map(|(at, sum)| {
            let (_, count) = counts.iter().find(|(t, _)| t == at)?;
            (*count > 0.0).then(|| (*at, combine(*sum, *count)))
        })
        .collect()
}
