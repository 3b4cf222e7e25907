//! The report as text: one column per function, the cheaper and the faster consumer marked.

use std::fmt;

use super::numbers::{count, number, usd};
use super::view::ChartView;
use super::{BilledSource, FunctionReport, Report};

const NONE: &str = "–";

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stack {} in {}, {} → {} ({}, {})",
            self.stack,
            self.region,
            self.window.start,
            self.window.end,
            minutes(self.window.seconds),
            self.window.basis
        )?;
        if !self.has_data {
            let names: Vec<&str> = self.functions.iter().map(|f| f.function.as_str()).collect();
            writeln!(
                f,
                "No invocations of {} in this window yet. Run `demo load` first; Lambda's metrics reach CloudWatch a minute or two after the calls, so run `demo report` again shortly after (or widen the window with --since 1h).",
                names.join(", ")
            )?;
            return notes(f, &self.notes);
        }
        writeln!(
            f,
            "{} MB, {}; {} orders (producer invocations)\n",
            self.memory_mb,
            self.prices.architecture,
            count(self.orders)
        )?;
        write!(f, "{}", table(self))?;
        writeln!(
            f,
            "\nprices: {} ${} per GB-second, ${:.2} per million requests; source: {}",
            self.prices.architecture,
            self.prices.gb_second,
            self.prices.per_million_requests,
            self.prices.source
        )?;
        writeln!(
            f,
            "cost covers Lambda compute and requests only (not Kinesis shard-hours, API Gateway, DynamoDB or CloudWatch)"
        )?;
        if let Some([producer, one, two]) = self.original_average_ms {
            writeln!(
                f,
                "the original (Python 3.8, December 2021, same batching) averaged {producer} / {one} / {two} ms per invocation"
            )?;
        }
        if let Some(chart) = &self.chart {
            let shows = match self.chart_view {
                Some(ChartView::SideBySide) => " (the consumers side by side)",
                Some(ChartView::TimeSeries) => " (over time)",
                None => "",
            };
            writeln!(f, "chart: {chart}{shows}")?;
        }
        notes(f, &self.notes)
    }
}

fn notes(f: &mut fmt::Formatter<'_>, notes: &[String]) -> fmt::Result {
    for note in notes {
        writeln!(f, "note: {note}")?;
    }
    Ok(())
}

/// One row of the table: its label, and how it renders one function's cell.
type Row = (&'static str, fn(&FunctionReport) -> String);

/// Rows of figures, one column per function, the winners marked underneath.
fn table(report: &Report) -> String {
    let rows = [invocation_rows(), resource_rows(), cost_rows()].concat();
    let mut lines: Vec<(String, Vec<String>)> = rows
        .iter()
        .map(|(label, cell)| {
            (
                (*label).to_owned(),
                report.functions.iter().map(cell).collect(),
            )
        })
        .collect();
    lines.push((String::new(), marks(report)));
    align(&lines)
}

/// Who, with what batching, how often and how long.
fn invocation_rows() -> Vec<Row> {
    vec![
        ("", |r| r.role.to_string()),
        ("function", |r| r.function.clone()),
        ("batching", |r| {
            r.batching.map_or(NONE.into(), |b| b.label())
        }),
        ("invocations", |r| count(r.invocations)),
        ("errors / throttles", |r| {
            format!("{} / {}", count(r.errors), count(r.throttles))
        }),
        ("duration avg (ms)", |r| opt(r.duration_ms.average)),
        ("duration p50 / p99 (ms)", |r| {
            format!("{} / {}", opt(r.duration_ms.p50), opt(r.duration_ms.p99))
        }),
        ("duration max (ms)", |r| opt(r.duration_ms.max)),
        ("records read", |r| {
            r.records_read.map_or(NONE.into(), count)
        }),
        ("records / invocation", |r| opt(r.records_per_invocation)),
        ("iterator age p99 / max (ms)", |r| {
            r.iterator_age_ms
                .as_ref()
                .map_or(NONE.into(), |i| format!("{} / {}", opt(i.p99), opt(i.max)))
        }),
        ("stream → table p50 / p99 (ms)", |r| {
            r.stream_to_table_ms.map_or(NONE.into(), |l| {
                format!("{} / {}", number(l.p50_ms), number(l.p99_ms))
            })
        }),
    ]
}

/// Lambda Insights' figures: memory, CPU, network, cold starts.
fn resource_rows() -> Vec<Row> {
    vec![
        ("memory used avg / max (%)", |r| {
            format!(
                "{} / {}",
                opt(r.insights.memory_utilization_avg_pct),
                opt(r.insights.memory_utilization_max_pct)
            )
        }),
        ("memory used max (MB)", |r| {
            opt(r.insights.used_memory_max_mb)
        }),
        ("CPU time (ms)", |r| opt(r.insights.cpu_time_ms)),
        ("network rx / tx (bytes)", |r| {
            format!(
                "{} / {}",
                opt(r.insights.rx_bytes),
                opt(r.insights.tx_bytes)
            )
        }),
        ("network total (bytes)", |r| opt(r.insights.network_bytes)),
        ("cold starts, avg init (ms)", |r| {
            format!(
                "{}, {}",
                r.insights.cold_starts.map_or(NONE.into(), count),
                opt(r.insights.init_duration_avg_ms)
            )
        }),
    ]
}

/// What was billed and what it cost.
fn cost_rows() -> Vec<Row> {
    vec![
        ("function cost (MB-ms)", |r| {
            let mark = match r.billed.source {
                BilledSource::EstimatedFromAverageDuration => " (est.)",
                _ => "",
            };
            format!("{}{mark}", number(r.billed.mb_ms))
        }),
        ("GB-seconds", |r| format!("{:.3}", r.cost.gb_seconds)),
        ("compute", |r| usd(r.cost.compute_usd)),
        ("requests", |r| usd(r.cost.requests_usd)),
        ("total", |r| usd(r.cost.total_usd)),
        ("per million orders", |r| {
            r.cost.per_million_orders_usd.map_or(NONE.into(), usd)
        }),
    ]
}

/// "cheaper" and "faster" under the consumers that won.
fn marks(report: &Report) -> Vec<String> {
    report
        .functions
        .iter()
        .map(|r| {
            let mut won = Vec::new();
            if report.cheaper.as_deref() == Some(r.function.as_str()) {
                won.push("✓ cheaper");
            }
            if report.faster.as_deref() == Some(r.function.as_str()) {
                won.push("✓ faster");
            }
            won.join(", ")
        })
        .collect()
}

/// Label column left, then each column of cells right-aligned (`demo sweep`'s table too).
pub(crate) fn align(lines: &[(String, Vec<String>)]) -> String {
    let label_width = lines.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    let columns = lines.first().map_or(0, |(_, cells)| cells.len());
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            lines
                .iter()
                .map(|(_, cells)| width(&cells[c]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for (label, cells) in lines {
        let mut line = format!("{label:<label_width$}");
        for (cell, w) in cells.iter().zip(&widths) {
            let pad = w - width(cell);
            line.push_str(&format!("  {}{cell}", " ".repeat(pad)));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn width(text: &str) -> usize {
    text.chars().count()
}

fn minutes(seconds: u64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 3 * 3600 => format!("{} min", s / 60),
        s => format!("{:.1} h", s as f64 / 3600.0),
    }
}

fn opt(value: Option<f64>) -> String {
    value.map_or(NONE.into(), number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_as_seconds_minutes_or_hours() {
        assert_eq!(minutes(3600), "60 min");
        assert_eq!(minutes(45), "45 s");
    }
}
