//! Panels of bars side by side, a group of bars for each function: the report's chart of a
//! short window, where a time series would be one dot per function.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::{DrawError, Picture, captioned, fail, style_mesh, text_style, titled};

/// Wide rather than tall: three panels next to each other.
const SIZE: (u32, u32) = (1200, 560);
const GROUP_LABEL_HEIGHT: u32 = 58;
const FOOTNOTE_HEIGHT: u32 = 28;
/// The part of a group's slot its bars fill; the rest is space between groups.
const GROUP_WIDTH: f64 = 0.5;
/// Wider than the time series' tick area: dollar ticks run to seven characters.
const BAR_Y_LABEL_AREA: u32 = 84;
const NO_DATA: RGBColor = RGBColor(120, 120, 120);
const LIMIT: RGBColor = RGBColor(90, 90, 90);

/// What the picture shows: a caption, panels left to right, a line of notes under them.
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    pub(crate) caption: String,
    pub(crate) panels: Vec<BarPanel>,
    pub(crate) footnote: Option<String>,
}

/// One panel: its title, the y axis, and a group of bars for each function.
#[derive(Debug, Clone)]
pub(crate) struct BarPanel {
    pub(crate) title: String,
    /// The y axis' description, e.g. "seconds".
    pub(crate) unit: String,
    /// How the y axis' ticks read, e.g. dollars.
    pub(crate) ticks: fn(f64) -> String,
    /// What each bar of a group measures, e.g. ["p50", "p99"]; with one measure the bars are
    /// not named.
    pub(crate) measures: Vec<String>,
    pub(crate) groups: Vec<BarGroup>,
}

/// One function's bars in a panel.
#[derive(Debug, Clone)]
pub(crate) struct BarGroup {
    /// Who the bars are for, a line each, e.g. ["demo-put-item-1", "100 / 30 s"].
    pub(crate) label: Vec<String>,
    pub(crate) colour: RGBColor,
    /// One for each of the panel's measures; None when it was not measured.
    pub(crate) bars: Vec<Option<Bar>>,
    /// A bound drawn across the group, e.g. the batch size, with its text.
    pub(crate) limit: Option<(f64, String)>,
}

/// A bar's height and the text written above it.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    pub(crate) value: f64,
    pub(crate) text: String,
}

impl Picture for Comparison {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let body = captioned(&root, &self.caption)?;
        let height = body.dim_in_pixel().1;
        let (panels, footnote) = body.split_vertically(height.saturating_sub(FOOTNOTE_HEIGHT));
        let count = self.panels.len().max(1);
        for (panel, area) in self.panels.iter().zip(panels.split_evenly((1, count))) {
            draw_panel(&area, panel)?;
        }
        if let Some(text) = &self.footnote {
            let style = text_style(13, NO_DATA, HPos::Left, VPos::Center);
            footnote
                .draw_text(text, &style, (16, FOOTNOTE_HEIGHT as i32 / 2))
                .map_err(fail)?;
        }
        root.present().map_err(fail)
    }
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &BarPanel,
) -> Result<(), DrawError> {
    let (plot, labels) = titled(area, &panel.title, GROUP_LABEL_HEIGHT)?;
    let slots = panel.groups.len().max(1) as f64;
    let mut ctx = ChartBuilder::on(&plot)
        .margin_top(18)
        .margin_left(8)
        // Room right of the last group for its limit's text.
        .margin_right(60)
        .y_label_area_size(BAR_Y_LABEL_AREA)
        .build_cartesian_2d(0f64..slots, 0f64..y_top(panel))
        .map_err(fail)?;
    let mut mesh = ctx.configure_mesh();
    style_mesh(&mut mesh)
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(panel.unit.as_str())
        .y_labels(6)
        .y_label_formatter(&|v| (panel.ticks)(*v))
        .draw()
        .map_err(fail)?;
    for (slot, group) in panel.groups.iter().enumerate() {
        draw_group(&mut ctx, slot as f64, group)?;
    }
    draw_labels(&labels, &ctx, panel)
}

/// Under the plot: each bar's measure (with several measures), then each group's lines.
fn draw_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    ctx: &BarContext<'_, DB>,
    panel: &BarPanel,
) -> Result<(), DrawError> {
    let left_of_area = area.get_base_pixel().0;
    let x = |at: f64| ctx.backend_coord(&(at, 0.0)).0 - left_of_area;
    let named = panel.measures.len() > 1;
    for (slot, group) in panel.groups.iter().enumerate() {
        if named {
            for (index, name) in panel.measures.iter().enumerate() {
                let (left, width) = bar_span(slot as f64, group.bars.len(), index);
                let style = text_style(11, BLACK, HPos::Center, VPos::Top);
                area.draw_text(name, &style, (x(left + width / 2.0), 3))
                    .map_err(fail)?;
            }
        }
        let first_line = if named { 20 } else { 4 };
        for (line, text) in group.label.iter().enumerate() {
            let style = text_style(13, BLACK, HPos::Center, VPos::Top);
            let y = first_line + 17 * line as i32;
            area.draw_text(text, &style, (x(slot as f64 + 0.5), y))
                .map_err(fail)?;
        }
    }
    Ok(())
}

type BarContext<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Where bar `index` of a group of `count` in `slot` stands: its left edge and width.
fn bar_span(slot: f64, count: usize, index: usize) -> (f64, f64) {
    let width = GROUP_WIDTH / count.max(1) as f64;
    (group_left(slot) + width * index as f64, width)
}

/// The left edge of the bars of the group in `slot`.
fn group_left(slot: f64) -> f64 {
    slot + (1.0 - GROUP_WIDTH) / 2.0
}

/// A group's bars, each with its value (or "no data") above it, then the group's limit with
/// its text to the right.
fn draw_group<DB: DrawingBackend>(
    ctx: &mut BarContext<'_, DB>,
    slot: f64,
    group: &BarGroup,
) -> Result<(), DrawError> {
    for (index, bar) in group.bars.iter().enumerate() {
        let (x0, width) = bar_span(slot, group.bars.len(), index);
        let middle = x0 + width / 2.0;
        let above = text_style(12, BLACK, HPos::Center, VPos::Bottom);
        match bar {
            Some(bar) if bar.value.is_finite() => {
                let fill = shade(group.colour, index).filled();
                let gap = width * 0.08;
                ctx.draw_series(std::iter::once(Rectangle::new(
                    [(x0 + gap, 0.0), (x0 + width - gap, bar.value.max(0.0))],
                    fill,
                )))
                .map_err(fail)?;
                let text = EmptyElement::at((middle, bar.value.max(0.0)))
                    + Text::new(bar.text.clone(), (0, -3), above);
                ctx.draw_series(std::iter::once(text)).map_err(fail)?;
            }
            _ => {
                let grey = text_style(12, NO_DATA, HPos::Center, VPos::Bottom);
                let text = EmptyElement::at((middle, 0.0)) + Text::new("no data", (0, -3), grey);
                ctx.draw_series(std::iter::once(text)).map_err(fail)?;
            }
        }
    }
    if let Some((value, text)) = &group.limit {
        let (left, right) = (group_left(slot), group_left(slot) + GROUP_WIDTH);
        let line = ShapeStyle::from(&LIMIT).stroke_width(2);
        ctx.draw_series(LineSeries::new([(left, *value), (right, *value)], line))
            .map_err(fail)?;
        let style = text_style(11, LIMIT, HPos::Left, VPos::Center);
        let label = EmptyElement::at((right, *value)) + Text::new(text.clone(), (4, 0), style);
        ctx.draw_series(std::iter::once(label)).map_err(fail)?;
    }
    Ok(())
}

/// The first measure in the group's colour, the next ones paler, so p50 and p99 read apart.
fn shade(colour: RGBColor, index: usize) -> RGBColor {
    let pale = |c: u8| -> u8 {
        let towards_white = (255.0 - f64::from(c)) * 0.45 * index.min(2) as f64;
        (f64::from(c) + towards_white).round().min(255.0) as u8
    };
    RGBColor(pale(colour.0), pale(colour.1), pale(colour.2))
}

/// Room above the tallest bar or limit for the text written over it; at least 1.
fn y_top(panel: &BarPanel) -> f64 {
    let bars = panel
        .groups
        .iter()
        .flat_map(|g| g.bars.iter().flatten().map(|b| b.value));
    let limits = panel
        .groups
        .iter()
        .filter_map(|g| g.limit.as_ref().map(|(v, _)| *v));
    let max = bars
        .chain(limits)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if max > 0.0 { max * 1.15 } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::super::{PALETTE, write_picture};
    use super::*;
    use crate::report::numbers::compact_number;

    fn bar(value: f64) -> Option<Bar> {
        Some(Bar {
            value,
            text: format!("{value} s"),
        })
    }

    fn comparison() -> Comparison {
        let group = |name: &str, colour, bars, limit| BarGroup {
            label: vec![name.to_owned(), "100 / 30 s".to_owned()],
            colour,
            bars,
            limit,
        };
        Comparison {
            caption: "stack s, ap-southeast-2: the consumers side by side".into(),
            panels: vec![
                BarPanel {
                    title: "Stream → table delay".into(),
                    unit: "seconds".into(),
                    ticks: compact_number,
                    measures: vec!["p50".into(), "p99".into()],
                    groups: vec![
                        group("s-put-item-1", PALETTE[1], vec![bar(2.0), bar(4.0)], None),
                        group("s-put-item-2", PALETTE[2], vec![bar(1.0), None], None),
                    ],
                },
                BarPanel {
                    title: "Records per invocation".into(),
                    unit: "records".into(),
                    ticks: compact_number,
                    measures: vec!["records read".into()],
                    groups: vec![group(
                        "s-put-item-1",
                        PALETTE[1],
                        vec![bar(75.0)],
                        Some((100.0, "batch size 100".into())),
                    )],
                },
            ],
            footnote: Some("costs estimated from average duration".into()),
        }
    }

    /// (height, fill) of each `<rect>` plotters wrote, in order.
    fn rects(svg: &str) -> Vec<(f64, String)> {
        let attribute = |tag: &str, name: &str| -> Option<String> {
            let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
            let end = start + tag[start..].find('"')?;
            Some(tag[start..end].to_owned())
        };
        svg.split("<rect")
            .skip(1)
            .filter_map(|tag| {
                let height = attribute(tag, "height")?.parse().ok()?;
                Some((height, attribute(tag, "fill")?))
            })
            .collect()
    }

    #[test]
    fn the_svg_names_every_panel_group_measure_and_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("side.svg");
        write_picture(&path, &comparison()).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let has_text = |text: &str| svg.lines().any(|l| l.trim() == text);
        for text in [
            "Stream → table delay",
            "Records per invocation",
            "s-put-item-1",
            "s-put-item-2",
            "100 / 30 s",
            "p50",
            "p99",
            "2 s",
            "4 s",
            "75 s",
            "no data",
            "batch size 100",
            "costs estimated from average duration",
        ] {
            assert!(has_text(text), "no {text:?} in the SVG");
        }
        // A single measure is not named under its bar.
        assert!(!has_text("records read"), "a lone measure was named");
    }

    #[test]
    fn bars_stand_on_zero_in_proportion_to_their_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("side.svg");
        write_picture(&path, &comparison()).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let colour = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        let heights = |fill: String| -> Vec<f64> {
            rects(&svg)
                .into_iter()
                .filter(|(_, f)| *f == fill)
                .map(|(h, _)| h)
                .collect()
        };
        // Consumer 1's p50 (2 s) and p99 (4 s, paler); consumer 2's p50 (1 s).
        let p50_1 = heights(colour(PALETTE[1]));
        let p99_1 = heights(colour(shade(PALETTE[1], 1)));
        let p50_2 = heights(colour(PALETTE[2]));
        assert_eq!(p50_1.len(), 2, "{p50_1:?}"); // both panels draw consumer 1's colour
        assert_eq!((p99_1.len(), p50_2.len()), (1, 1));
        let ratio = |a: f64, b: f64| a / b;
        assert!(
            (ratio(p99_1[0], p50_1[0]) - 2.0).abs() < 0.05,
            "{p99_1:?} {p50_1:?}"
        );
        assert!(
            (ratio(p50_1[0], p50_2[0]) - 2.0).abs() < 0.05,
            "{p50_1:?} {p50_2:?}"
        );
    }

    #[test]
    fn the_png_has_the_pictures_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("side.png");
        write_picture(&path, &comparison()).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let dimension = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!((dimension(16), dimension(20)), SIZE);
    }

    #[test]
    fn later_measures_are_paler_and_the_top_leaves_room() {
        let base = RGBColor(31, 119, 180);
        let paler = shade(base, 1);
        assert_eq!(shade(base, 0), base);
        assert!(paler.0 > base.0 && paler.1 > base.1 && paler.2 > base.2);
        let panel = &comparison().panels[1];
        assert!(
            (y_top(panel) - 115.0).abs() < 1e-9,
            "limit 100 sets the top"
        );
        let empty = BarPanel {
            groups: vec![],
            ..panel.clone()
        };
        assert_eq!(y_top(&empty), 1.0);
    }
}
