//! `demo sweep --chart F.svg|.png`: cost per million orders against stream → table p99, one
//! labelled point per configuration (filled if measured, hollow if predicted), the Pareto
//! frontier drawn through its points, the choice ringed. Files are written by the report's
//! chart code (format from the extension, font for PNG, write then rename).

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::choose::Point;
use super::pareto;
use super::results::SweepResults;
use crate::report::chart::{
    ChartError, DrawError, PALETTE, Picture, captioned, fail, style_mesh, text_style, write_picture,
};
use crate::report::numbers::{compact_number, dollars};

const SIZE: (u32, u32) = (1000, 700);
const LEGEND_HEIGHT: u32 = 30;
const MEASURED: RGBColor = PALETTE[0];
const PREDICTED: RGBColor = PALETTE[1];
const FRONTIER: RGBColor = PALETTE[7];
const CHOSEN: RGBColor = PALETTE[3];

/// What the chart shows: every point, the frontier through some of them, the chosen one.
struct Scatter {
    caption: String,
    points: Vec<Point>,
    frontier: Vec<Point>,
    chosen: Option<Point>,
}

/// Draws the sweep's chart to `path` (.svg or .png).
pub(crate) fn write(path: &Path, results: &SweepResults) -> Result<(), ChartError> {
    let points = results.points();
    let chosen = results
        .choice
        .config()
        .and_then(|c| points.iter().find(|p| p.config == c).copied());
    let scatter = Scatter {
        caption: format!(
            "stack {}: cost against stream → table p99, {} orders/s",
            results.stack, results.traffic.rate_per_second
        ),
        frontier: pareto::frontier(&points),
        points,
        chosen,
    };
    write_picture(path, &scatter)
}

impl Picture for Scatter {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let body = captioned(&root, &self.caption)?;
        let height = body.dim_in_pixel().1;
        let (plot, legend) = body.split_vertically(height.saturating_sub(LEGEND_HEIGHT));
        self.draw_plot(&plot)?;
        draw_legend(&legend)?;
        root.present().map_err(fail)
    }
}

impl Scatter {
    fn draw_plot<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawError> {
        let x_max = upper(self.points.iter().map(|p| p.p99_ms / 1000.0));
        let y_max = upper(self.points.iter().map(|p| p.cost_per_million_orders_usd));
        let mut ctx = ChartBuilder::on(area)
            .margin(12)
            .margin_right(40)
            .x_label_area_size(40)
            .y_label_area_size(80)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(fail)?;
        let mut mesh = ctx.configure_mesh();
        style_mesh(&mut mesh)
            .x_desc("stream → table p99 (s)")
            .y_desc("per million orders (Lambda)")
            .x_label_formatter(&|v| compact_number(*v))
            .y_label_formatter(&|v| dollars(*v))
            .draw()
            .map_err(fail)?;
        let at = |p: &Point| (p.p99_ms / 1000.0, p.cost_per_million_orders_usd);
        let mut front: Vec<(f64, f64)> = self.frontier.iter().map(at).collect();
        front.sort_by(|a, b| a.0.total_cmp(&b.0));
        let line = ShapeStyle::from(&FRONTIER).stroke_width(2);
        ctx.draw_series(LineSeries::new(front, line))
            .map_err(fail)?;
        if let Some(chosen) = &self.chosen {
            let ring = ShapeStyle::from(&CHOSEN).stroke_width(3);
            ctx.draw_series(std::iter::once(Circle::new(at(chosen), 10, ring)))
                .map_err(fail)?;
        }
        let mut placed: Vec<Box> = Vec::new();
        let marks: Vec<_> = self
            .points
            .iter()
            .map(|p| {
                let style = if p.measured {
                    MEASURED.filled()
                } else {
                    ShapeStyle::from(&PREDICTED).stroke_width(2)
                };
                let label = p.config.label();
                let offset = free_offset(ctx.backend_coord(&at(p)), &label, &mut placed);
                let text = text_style(12, BLACK, HPos::Left, VPos::Top);
                EmptyElement::at(at(p))
                    + Circle::new((0, 0), 5, style)
                    + Text::new(label, offset, text)
            })
            .collect();
        ctx.draw_series(marks).map_err(fail)?;
        Ok(())
    }
}

/// A label's box in pixels: left, top, right, bottom.
type Box = (i32, i32, i32, i32);

/// Where to put a point's label so it overlaps no label placed before: above right, below
/// right, above left, below left, else above right anyway. Widths are estimated from the
/// character count, as the legend's are.
fn free_offset(at: (i32, i32), label: &str, placed: &mut Vec<Box>) -> (i32, i32) {
    let (width, height) = (label.chars().count() as i32 * 7, 14);
    let candidates = [(8, -18), (8, 4), (-8 - width, -18), (-8 - width, 4)];
    let boxed =
        |(dx, dy): (i32, i32)| (at.0 + dx, at.1 + dy, at.0 + dx + width, at.1 + dy + height);
    let apart = |a: Box, b: Box| a.2 <= b.0 || b.2 <= a.0 || a.3 <= b.1 || b.3 <= a.1;
    let offset = candidates
        .into_iter()
        .find(|&c| placed.iter().all(|&p| apart(boxed(c), p)))
        .unwrap_or(candidates[0]);
    placed.push(boxed(offset));
    offset
}

/// 110 % of the largest finite value, at least a small positive span.
fn upper(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(0.0, f64::max);
    if max > 0.0 { max * 1.1 } else { 1.0 }
}

/// One row under the plot: what the marks mean. Text widths are estimated from the character
/// count, so the SVG does not depend on font metrics (as the report's legend does).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
    let y = LEGEND_HEIGHT as i32 / 2;
    let style = text_style(13, BLACK, HPos::Left, VPos::Center);
    let mut x = 80;
    let entries = [
        ("measured", MEASURED.filled(), 5),
        ("predicted", ShapeStyle::from(&PREDICTED).stroke_width(2), 5),
        ("chosen", ShapeStyle::from(&CHOSEN).stroke_width(3), 9),
    ];
    for (text, mark, radius) in entries {
        area.draw(&Circle::new((x + 10, y), radius, mark))
            .map_err(fail)?;
        area.draw_text(text, &style, (x + 24, y)).map_err(fail)?;
        x += 24 + text.len() as i32 * 8 + 30;
    }
    let line = ShapeStyle::from(&FRONTIER).stroke_width(2);
    area.draw(&PathElement::new(vec![(x, y), (x + 22, y)], line))
        .map_err(fail)?;
    area.draw_text("Pareto frontier", &style, (x + 28, y))
        .map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::results::tests::sample;

    #[test]
    fn the_svg_labels_every_configuration_and_marks_the_choice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.svg");
        let results = sample();
        write(&path, &results).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        // plotters writes each text on a line of its own.
        let has_text = |text: &str| svg.lines().any(|l| l.trim() == text);
        for row in &results.rows {
            let label = row.config.label();
            assert!(has_text(&label), "no label {label}");
        }
        assert!(has_text("stream → table p99 (s)"));
        for legend in ["measured", "predicted", "chosen", "Pareto frontier"] {
            assert!(has_text(legend), "no legend {legend}");
        }
        // Hollow predicted points: two rows are predicted only.
        let hollow = svg.matches("fill=\"none\" stroke=\"#FF7F0E\"").count();
        assert!(hollow >= 2, "{hollow} hollow points");
        assert!(svg.contains("stroke=\"#D62728\""), "no ring for the choice");
        assert!(svg.contains("<polyline"), "no frontier line");
    }

    #[test]
    fn labels_of_close_points_go_different_ways_and_ticks_read_as_dollars() {
        let mut placed = Vec::new();
        let first = free_offset((100, 100), "10 / 1 s", &mut placed);
        let second = free_offset((104, 100), "10 / 5 s", &mut placed);
        let far = free_offset((400, 300), "100 / 5 s", &mut placed);
        assert_ne!(first, second);
        assert_eq!(far, first);
        assert_eq!(dollars(0.005), "$0.005");
        assert_eq!(dollars(0.0125), "$0.0125");
        assert_eq!(dollars(0.0), "$0");
    }

    #[test]
    fn the_png_is_a_png_of_the_chart_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.png");
        write(&path, &sample()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        // IHDR: width and height, big-endian, after the signature and chunk header.
        let dimension = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!((dimension(16), dimension(20)), SIZE);
        assert!(bytes.len() > 10 * 1024, "png only {} bytes", bytes.len());
    }
}
