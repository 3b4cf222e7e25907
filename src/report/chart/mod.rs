//! Draws the report's cost / duration / network panels to an SVG or PNG file; the file
//! handling (format, font, write-then-rename) and drawing helpers serve the report's bars for
//! short windows (`bars`) and `demo sweep`'s chart too.

pub(crate) mod bars;
mod font;

use std::path::{Path, PathBuf};

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use self::font::ensure_font;
use super::numbers::compact_number;

/// One line of a panel: a function's values over time.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) label: String,
    /// (seconds since the start of the window, value); sorted by time; may be empty.
    pub(crate) points: Vec<(f64, f64)>,
}

/// One panel: a title, the unit of its y axis, and its lines.
#[derive(Debug, Clone)]
pub(crate) struct Panel {
    pub(crate) title: String,
    pub(crate) unit: String,
    pub(crate) series: Vec<Series>,
}

/// What the whole picture shows.
#[derive(Debug, Clone)]
pub(crate) struct Chart {
    /// Top caption, e.g. "stack demo, ap-southeast-2, 2026-11-26 07:00 → 08:00 UTC".
    pub(crate) caption: String,
    /// Length of the window in seconds (x axis runs 0..=window_seconds; label it in minutes).
    pub(crate) window_seconds: f64,
    pub(crate) panels: Vec<Panel>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ChartError {
    #[error("cannot draw a chart to {}: unsupported file extension, use .svg or .png", .path.display())]
    UnsupportedExtension { path: PathBuf },
    #[error(
        "no TrueType/OpenType font found to draw text in a PNG chart (searched {}); \
         install one (e.g. `apt install fonts-dejavu-core`) or write the chart as .svg",
        join_paths(.searched)
    )]
    NoFont { searched: Vec<PathBuf> },
    #[error("drawing the chart to {} failed: {cause}", .path.display())]
    Draw { path: PathBuf, cause: DrawError },
}

/// Why drawing a picture failed: plotters' error (its type depends on the backend) as its text,
/// or the drawn file could not take the target's name.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DrawError {
    #[error("{0}")]
    Plot(String),
    #[error(transparent)]
    Rename(#[from] std::io::Error),
}

/// Picture size: tall enough for three readable panels stacked vertically.
const SIZE: (u32, u32) = (1000, 900);
const CAPTION_HEIGHT: u32 = 40;
const PANEL_HEADER_HEIGHT: u32 = 26;
const LEGEND_HEIGHT: u32 = 24;
const Y_LABEL_AREA: u32 = 70;
pub(crate) const FONT: &str = "sans-serif";

/// Colours handed out to functions in order of first appearance (Tableau 10, as
/// readable on white as CloudWatch's own palette).
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Svg,
    Png,
}

/// A picture drawn on one canvas of `size()` pixels: the report's panels, the sweep's scatter.
pub(crate) trait Picture {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    /// Draws everything, text through `draw_text` only (see `draw`).
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), DrawError>;
}

impl Picture for Chart {
    fn draw_on<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        draw(root, self)
    }
}

/// Draws the chart to `path`; the format follows the extension (.svg or .png, case-insensitive).
pub(crate) fn write(path: &Path, chart: &Chart) -> Result<(), ChartError> {
    write_picture(path, chart)
}

/// Draws `picture` to `path` as `write` does a chart.
pub(crate) fn write_picture(path: &Path, picture: &impl Picture) -> Result<(), ChartError> {
    let format = format_of(path)?;
    if format == Format::Png {
        // The bitmap backend rasterises text itself, so it needs font bytes;
        // fail before touching the file system when there are none.
        ensure_font()?;
    }
    // Draw next to the target and rename, so a failed draw never leaves a
    // truncated chart where the old one (or nothing) was.
    let temp = temp_path(path, format);
    let size = picture.size();
    let drawn = match format {
        Format::Svg => picture.draw_on(SVGBackend::new(&temp, size).into_drawing_area()),
        Format::Png => picture.draw_on(BitMapBackend::new(&temp, size).into_drawing_area()),
    };
    let finished = drawn.and_then(|()| std::fs::rename(&temp, path).map_err(DrawError::from));
    finished.map_err(|cause| {
        let _ = std::fs::remove_file(&temp);
        ChartError::Draw {
            path: path.to_path_buf(),
            cause,
        }
    })
}

/// Checks, before any work, that `path` can be drawn: a known extension, and a font for PNG.
pub(crate) fn check_path(path: &Path) -> Result<(), ChartError> {
    if format_of(path)? == Format::Png {
        ensure_font()?;
    }
    Ok(())
}

fn format_of(path: &Path) -> Result<Format, ChartError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("svg") => Ok(Format::Svg),
        Some("png") => Ok(Format::Png),
        _ => Err(ChartError::UnsupportedExtension {
            path: path.to_path_buf(),
        }),
    }
}

/// A hidden sibling of `path` with the right lowercase extension: the bitmap
/// encoder picks its format from the extension.
fn temp_path(path: &Path, format: Format) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = match format {
        Format::Svg => "svg",
        Format::Png => "png",
    };
    path.with_file_name(format!(".{name}.{}.tmp.{ext}", std::process::id()))
}

fn join_paths(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(", ")
}

// ---------------------------------------------------------------- drawing

/// Any plotters error, as its text: the caller only reports it.
pub(crate) fn fail(error: impl std::fmt::Display) -> DrawError {
    DrawError::Plot(error.to_string())
}

/// A white picture with `caption` centred above the rest; returns the area below it.
pub(crate) fn captioned<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    caption: &str,
) -> Result<DrawingArea<DB, Shift>, DrawError> {
    root.fill(&WHITE).map_err(fail)?;
    let (header, body) = root.split_vertically(CAPTION_HEIGHT);
    let width = header.dim_in_pixel().0 as i32;
    let style = text_style(18, BLACK, HPos::Center, VPos::Center);
    header
        .draw_text(caption, &style, (width / 2, CAPTION_HEIGHT as i32 / 2))
        .map_err(fail)?;
    Ok(body)
}

/// Draws the whole picture. Text goes through `draw_text` only (no plotters
/// captions or series legends), because those measure text with the
/// registered font, and the SVG path must work on a machine without fonts.
fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, chart: &Chart) -> Result<(), DrawError> {
    let body = captioned(&root, &chart.caption)?;

    let colours = colour_map(chart);
    let minutes = x_range_minutes(chart);
    if chart.panels.is_empty() {
        draw_note(&body, "no data")?;
    } else {
        let areas = body.split_evenly((chart.panels.len(), 1));
        for (panel, area) in chart.panels.iter().zip(&areas) {
            draw_panel(area, panel, &colours, minutes)?;
        }
    }
    root.present().map_err(fail)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    colours: &[(String, RGBColor)],
    x_max_minutes: f64,
) -> Result<(), DrawError> {
    let (plot, legend) = titled(area, &panel.title, LEGEND_HEIGHT)?;

    let (y_min, y_max) = y_range(panel);
    let mut ctx = ChartBuilder::on(&plot)
        .margin_top(4)
        .margin_right(24)
        .x_label_area_size(40)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(0f64..x_max_minutes, y_min..y_max)
        .map_err(fail)?;
    let mut mesh = ctx.configure_mesh();
    style_mesh(&mut mesh)
        .x_desc("minutes since start")
        .y_desc(panel.unit.as_str())
        .x_labels(13)
        .y_labels(6)
        .x_label_formatter(&|m| compact_number(*m))
        .y_label_formatter(&|v| compact_number(*v))
        .draw()
        .map_err(fail)?;

    for series in &panel.series {
        draw_series(&mut ctx, series, colour_of(colours, &series.label))?;
    }
    if !panel
        .series
        .iter()
        .any(|s| finite_points(s).next().is_some())
    {
        draw_note(&ctx.plotting_area().strip_coord_spec(), "no data")?;
    }
    draw_legend(&legend, &panel.series, colours)
}

type PanelContext<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

fn draw_series<DB: DrawingBackend>(
    ctx: &mut PanelContext<'_, DB>,
    series: &Series,
    colour: RGBColor,
) -> Result<(), DrawError> {
    let points: Vec<(f64, f64)> = finite_points(series).map(|(t, v)| (t / 60.0, v)).collect();
    let line = ShapeStyle::from(&colour).stroke_width(2);
    ctx.draw_series(LineSeries::new(points.iter().copied(), line))
        .map_err(fail)?;
    // A line through one point is invisible; mark lone samples so they show.
    if points.len() == 1 {
        let dot = points.iter().map(|&p| Circle::new(p, 3, colour.filled()));
        ctx.draw_series(dot).map_err(fail)?;
    }
    Ok(())
}

/// One row under the plot: a coloured stroke then the label, for each series.
/// Widths are estimated from the character count because SVG output must not
/// depend on font metrics (see `draw`).
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    series: &[Series],
    colours: &[(String, RGBColor)],
) -> Result<(), DrawError> {
    const TEXT_SIZE: u32 = 13;
    const SWATCH: i32 = 22;
    let y = LEGEND_HEIGHT as i32 / 2;
    let mut x = Y_LABEL_AREA as i32;
    for s in series {
        let colour = colour_of(colours, &s.label);
        let stroke = ShapeStyle::from(&colour).stroke_width(3);
        area.draw(&PathElement::new(vec![(x, y), (x + SWATCH, y)], stroke))
            .map_err(fail)?;
        let style = text_style(TEXT_SIZE, BLACK, HPos::Left, VPos::Center);
        area.draw_text(&s.label, &style, (x + SWATCH + 6, y))
            .map_err(fail)?;
        let text_width = (s.label.chars().count() as f64 * f64::from(TEXT_SIZE) * 0.55) as i32;
        x += SWATCH + 6 + text_width + 28;
    }
    Ok(())
}

/// A grey note in the middle of `area`, for panels with nothing to plot.
fn draw_note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    note: &str,
) -> Result<(), DrawError> {
    let (w, h) = area.dim_in_pixel();
    let style = text_style(16, RGBColor(120, 120, 120), HPos::Center, VPos::Center);
    area.draw_text(note, &style, (w as i32 / 2, h as i32 / 2))
        .map_err(fail)
}

type Area<DB> = DrawingArea<DB, Shift>;

/// A panel's title drawn across its top; returns the plot's area and a strip of `footer`
/// pixels under it (for a legend or labels).
fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    footer: u32,
) -> Result<(Area<DB>, Area<DB>), DrawError> {
    let (header, rest) = area.split_vertically(PANEL_HEADER_HEIGHT);
    let style = TextStyle {
        font: (FONT, 15, FontStyle::Bold).into_font(),
        ..text_style(15, BLACK, HPos::Left, VPos::Center)
    };
    header
        .draw_text(title, &style, (10, PANEL_HEADER_HEIGHT as i32 / 2))
        .map_err(fail)?;
    let height = rest.dim_in_pixel().1;
    Ok(rest.split_vertically(height.saturating_sub(footer)))
}

/// Every chart's axes alike: small labels, and only the labelled grid lines in light grey (the
/// fine sub-grid crowds small panels).
pub(crate) fn style_mesh<'m, 'a, 'b, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB>,
) -> &'m mut MeshStyle<'a, 'b, RangedCoordf64, RangedCoordf64, DB> {
    mesh.label_style((FONT, 12))
        .axis_desc_style((FONT, 13))
        .max_light_lines(0)
        .bold_line_style(RGBColor(220, 220, 220))
}

pub(crate) fn text_style(size: u32, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle {
        font: (FONT, size).into_font(),
        color: colour.to_backend_color(),
        pos: Pos::new(h, v),
    }
}

// ------------------------------------------------------ scales and colours

/// Points that can be drawn: NaN or infinite values would poison the ranges.
fn finite_points(series: &Series) -> impl Iterator<Item = (f64, f64)> + '_ {
    series
        .points
        .iter()
        .copied()
        .filter(|(t, v)| t.is_finite() && v.is_finite())
}

/// The x axis covers the window, widened if some sample lies past its end
/// (so nothing is drawn outside the plot), and is never empty.
fn x_range_minutes(chart: &Chart) -> f64 {
    let window = if chart.window_seconds.is_finite() {
        chart.window_seconds
    } else {
        0.0
    };
    let last_sample = chart
        .panels
        .iter()
        .flat_map(|p| &p.series)
        .flat_map(finite_points)
        .map(|(t, _)| t)
        .fold(0.0, f64::max);
    (window.max(last_sample) / 60.0).max(1.0)
}

/// 0 to 110 % of the largest value (at least 1), so lines never touch the top;
/// extended downwards only if a value is negative.
fn y_range(panel: &Panel) -> (f64, f64) {
    let values = || panel.series.iter().flat_map(finite_points).map(|(_, v)| v);
    let max = values().fold(0.0, f64::max);
    let min = values().fold(0.0, f64::min);
    (min * 1.1, (max * 1.1).max(1.0))
}

/// One colour per function label across all panels, so a function keeps its
/// colour from panel to panel even when a panel lacks some functions.
fn colour_map(chart: &Chart) -> Vec<(String, RGBColor)> {
    let mut map: Vec<(String, RGBColor)> = Vec::new();
    for series in chart.panels.iter().flat_map(|p| &p.series) {
        if !map.iter().any(|(label, _)| *label == series.label) {
            let colour = PALETTE[map.len() % PALETTE.len()];
            map.push((series.label.clone(), colour));
        }
    }
    map
}

fn colour_of(map: &[(String, RGBColor)], label: &str) -> RGBColor {
    map.iter()
        .find(|(l, _)| l == label)
        .map_or(PALETTE[0], |(_, c)| *c)
}

#[cfg(test)]
mod tests;
