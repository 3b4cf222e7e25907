//! Which chart a report draws: lines over time when the window's invocations span enough
//! periods to make lines, else the consumers side by side.

use std::path::Path;

use serde::Serialize;

use super::chart::{self, ChartError};
use super::metrics::Figure;
use super::{Context, Readings, Report, compare, series};

/// Fewer periods with invocations than this draw as bars: a line needs a few points, and one
/// period drawn over time is a dot per function.
pub(crate) const MIN_PERIODS_FOR_LINES: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ChartView {
    /// Cost, duration and network per period, a line per function.
    TimeSeries,
    /// The consumers' cost per million orders, delays and records per invocation as bars.
    SideBySide,
}

/// The view for these readings, and the number of periods with invocations it was chosen on.
pub(crate) fn choose(readings: &Readings, functions: usize) -> (ChartView, usize) {
    let mut periods: Vec<i64> = (0..functions)
        .flat_map(|index| readings.series.points(index, Figure::Invocations))
        .filter(|(_, invocations)| *invocations > 0.0)
        .map(|(at, _)| *at)
        .collect();
    periods.sort_unstable();
    periods.dedup();
    let view = if periods.len() >= MIN_PERIODS_FOR_LINES {
        ChartView::TimeSeries
    } else {
        ChartView::SideBySide
    };
    (view, periods.len())
}

/// Draws the chosen chart to `path` and says which it was.
pub(crate) fn write(
    path: &Path,
    context: &Context,
    readings: &Readings,
    report: &Report,
) -> Result<(ChartView, usize), ChartError> {
    let (view, periods) = choose(readings, context.subjects.len());
    match view {
        ChartView::TimeSeries => chart::write(path, &series::chart(context, readings, report))?,
        ChartView::SideBySide => chart::write_picture(path, &compare::comparison(report))?,
    }
    Ok((view, periods))
}
