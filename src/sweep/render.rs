//! The sweep as text: one row per configuration, measured figures with the model's prediction
//! beside them, the choice and the Pareto frontier marked, the original demo's two
//! configurations named; then the choice, the model and its fit.

use std::fmt;

use super::choose::Point;
use super::pareto;
use super::results::{Kind, Row, SweepResults};
use crate::report::numbers::{number, usd};
use crate::report::render::align;

const NONE: &str = "–";

impl fmt::Display for SweepResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "sweep of stack {} in {}: {} orders per configuration at {} orders/s\n",
            self.stack,
            self.region,
            self.traffic.orders(),
            self.traffic.rate_per_second
        )?;
        write!(f, "{}", table(self))?;
        writeln!(
            f,
            "\nfigures: measured (predicted for a run of these orders); ~ predicted only; * chosen; ◆ on the Pareto frontier"
        )?;
        writeln!(f, "{}", self.choice)?;
        model(f, self)?;
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
    }
}

fn table(results: &SweepResults) -> String {
    let front: Vec<Point> = pareto::frontier(&results.points());
    let chosen = results.choice.config();
    let header = [
        "kind",
        "rec/inv",
        "inv/M orders",
        "$/M orders",
        "p50 ms",
        "p99 ms",
        "errors",
        "",
    ];
    let mut lines = vec![(
        "configuration".to_owned(),
        header.iter().map(|h| (*h).to_owned()).collect(),
    )];
    for row in &results.rows {
        let mark = if chosen == Some(row.config) { "*" } else { " " };
        let label = format!("{mark} {}", row.config.label());
        let on_front = front.iter().any(|p| p.config == row.config);
        lines.push((label, cells(row, on_front)));
    }
    left_align_last(&mut lines);
    align(&lines)
}

/// The notes read better flush left: pad them to one width, so `align` leaves them be.
fn left_align_last(lines: &mut [(String, Vec<String>)]) {
    let last = |cells: &mut Vec<String>| cells.last_mut().map(std::mem::take);
    let notes: Vec<String> = lines.iter_mut().filter_map(|(_, c)| last(c)).collect();
    let width = notes.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    for ((_, cells), note) in lines.iter_mut().zip(notes) {
        let pad = width - note.chars().count();
        if let Some(cell) = cells.last_mut() {
            *cell = format!("{note}{}", " ".repeat(pad));
        }
    }
}

fn cells(row: &Row, on_front: bool) -> Vec<String> {
    let m = row.measured.as_ref();
    let p = row.predicted.as_ref();
    let partial = m.filter(|m| !m.complete());
    let kind = match (row.kind, partial) {
        (Kind::Measured, Some(_)) => "partial",
        (Kind::Measured, None) => "measured",
        (Kind::Predicted, _) => "predicted",
    };
    let mut notes = Vec::new();
    if on_front {
        notes.push("◆".to_owned());
    }
    if let Some(m) = partial {
        notes.push(format!("read {} of {} orders", m.records, m.orders));
    }
    if let Some(n) = row.config.original() {
        notes.push(format!("the original's consumer {n}"));
    }
    vec![
        kind.to_owned(),
        pair(
            row.kind,
            m.and_then(|m| m.records_per_invocation),
            p.map(|p| p.records_per_invocation),
            number,
        ),
        pair(
            row.kind,
            m.and_then(|m| m.invocations_per_million_orders),
            p.map(|p| p.invocations_per_million_orders),
            number,
        ),
        pair(
            row.kind,
            m.and_then(|m| m.cost_per_million_orders_usd),
            p.map(|p| p.cost_per_million_orders_usd),
            usd,
        ),
        pair(
            row.kind,
            m.and_then(|m| m.stream_to_table_p50_ms),
            None,
            number,
        ),
        pair(
            row.kind,
            m.and_then(|m| m.stream_to_table_p99_ms),
            p.map(|p| p.delay_p99_ms),
            number,
        ),
        m.map_or(NONE.into(), |m| m.errors.to_string()),
        notes.join(" "),
    ]
}

/// `measured (predicted)` for a measured row, `~predicted` for a predicted one.
fn pair(
    kind: Kind,
    measured: Option<f64>,
    predicted: Option<f64>,
    show: fn(f64) -> String,
) -> String {
    let shown = |v: Option<f64>| v.map_or(NONE.into(), show);
    match (kind, predicted) {
        (Kind::Measured, Some(p)) => format!("{} ({})", shown(measured), show(p)),
        (Kind::Measured, None) => shown(measured),
        (Kind::Predicted, p) => p.map_or(NONE.into(), |p| format!("~{}", show(p))),
    }
}

fn model(f: &mut fmt::Formatter<'_>, results: &SweepResults) -> fmt::Result {
    let Some(model) = &results.model else {
        return writeln!(f, "model: none (nothing measured to fit it to)");
    };
    let fit = model.fit;
    let r2 = fit.r_squared.map_or(NONE.into(), |r| format!("{r:.3}"));
    writeln!(
        f,
        "model: duration = {:.2} ms + {:.4} ms × records (R² {r2}, {} invocations over {} \
         configuration(s)); {:.1} orders/s over {} shard(s), {} MB, {} ${} per GB-second, ${} per \
         million requests",
        fit.intercept_ms,
        fit.per_record_ms,
        fit.invocations,
        fit.observations,
        model.rate_per_second,
        model.shards,
        model.memory_mb,
        model.prices.architecture,
        model.prices.gb_second,
        model.prices.per_million_requests
    )?;
    for consumer in &results.fits {
        writeln!(
            f,
            "  consumer {}: {:.2} ms + {:.4} ms × records",
            consumer.consumer, consumer.fit.intercept_ms, consumer.fit.per_record_ms
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::sweep::choose;
    use crate::sweep::results::tests::sample;

    #[test]
    fn a_run_read_before_its_metrics_arrived_is_shown_partial_and_not_chosen() {
        let mut results = sample();
        // The sample chooses 100 / 1 s by cost; its consumer's metrics now count 240 of 300.
        assert_eq!(results.choice.config(), Some(results.rows[1].config));
        let partial = results.rows[1].measured.as_mut().unwrap();
        partial.records = 240;
        partial.cost_per_million_orders_usd = Some(0.000_001);
        assert!(results.rows[1].point().is_none());
        results.choice = choose::choose(&results.points(), results.strategy, results.budget_p99_ms);
        assert_ne!(results.choice.config(), Some(results.rows[1].config));
        let text = results.to_string();
        let row = text
            .lines()
            .find(|l| l.trim_start_matches(['*', ' ']).starts_with("100 / 1 s"))
            .unwrap();
        assert!(
            row.contains("partial") && row.contains("read 240 of 300 orders"),
            "{row}"
        );
        assert!(!row.starts_with('*') && !row.contains('◆'), "{row}");
    }

    #[test]
    fn one_row_per_configuration_with_the_choice_and_the_originals_marked() {
        let results = sample();
        let text = results.to_string();
        let lines: Vec<&str> = text.lines().collect();
        let row = |label: &str| {
            *lines
                .iter()
                .find(|l| l.trim_start_matches(['*', ' ']).starts_with(label))
                .unwrap_or_else(|| panic!("no row {label}:\n{text}"))
        };
        for r in &results.rows {
            row(&r.config.label());
        }
        assert!(row("100 / 1 s").starts_with("* 100 / 1 s"), "{text}");
        assert!(row("10 / 1 s").starts_with("  10 / 1 s"), "{text}");
        assert!(
            row("100 / 30 s").contains("the original's consumer 1"),
            "{text}"
        );
        assert!(
            row("10 / 2 s").contains("the original's consumer 2"),
            "{text}"
        );
        assert!(row("100 / 30 s").contains("predicted"), "{text}");
        // Measured beside predicted: 300 records in 30 invocations, predicted 10.
        assert!(row("10 / 1 s").contains("10 (10)"), "{text}");
        assert!(row("10 / 2 s").contains("~"), "{text}");
        assert!(text.contains("chosen: 100 / 1 s"), "{text}");
        assert!(text.contains("model: duration = "), "{text}");
        assert!(text.contains("note: durations are the handlers'"), "{text}");
    }
}
