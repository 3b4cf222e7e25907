//! The chart's files, layout helpers and font search.

use super::font::*;
use super::*;

fn wave(phase: f64, scale: f64) -> Vec<(f64, f64)> {
    (0..60)
        .map(|i| {
            let t = f64::from(i) * 60.0;
            (t, scale * (1.2 + (t / 600.0 + phase).sin()))
        })
        .collect()
}

fn sample_chart() -> Chart {
    let labels = [
        "put-record",
        "put-item-1 (100 / 30 s)",
        "put-item-2 (10 / 2 s)",
    ];
    let panel = |title: &str, unit: &str, scale: f64| Panel {
        title: title.to_string(),
        unit: unit.to_string(),
        series: labels
            .iter()
            .enumerate()
            .map(|(i, label)| Series {
                label: label.to_string(),
                points: wave(i as f64, scale * (i + 1) as f64),
            })
            .collect(),
    };
    Chart {
        caption: "stack demo, ap-southeast-2, 2026-11-26 07:00 → 08:00 UTC".to_string(),
        window_seconds: 3600.0,
        panels: vec![
            panel("Function cost (MB-ms)", "MB-ms", 2_000_000.0),
            panel("Duration (ms, avg)", "ms", 40.0),
            panel("Network (bytes)", "bytes", 15_000.0),
        ],
    }
}

#[test]
fn svg_has_every_panel_and_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.svg");
    let chart = sample_chart();
    write(&path, &chart).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.len() > 5 * 1024, "svg only {} bytes", svg.len());
    for panel in &chart.panels {
        assert!(svg.contains(&panel.title), "missing title {}", panel.title);
        for series in &panel.series {
            assert!(
                svg.contains(&series.label),
                "missing label {}",
                series.label
            );
        }
    }
    let lines = svg.matches("<polyline").count() + svg.matches("<path").count();
    assert!(lines >= 9, "only {lines} polylines/paths");
    assert!(svg.contains("minutes since start"));
    // Tick labels are compact: the cost panel reaches millions of MB-ms.
    let compact = |l: &str| {
        l.trim()
            .strip_suffix('M')
            .is_some_and(|n| n.parse::<f64>().is_ok())
    };
    assert!(svg.lines().any(compact), "no compact y labels");
    // The temporary sibling was renamed away.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn empty_series_still_render() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("EMPTY.SVG");
    let mut chart = sample_chart();
    for panel in &mut chart.panels {
        panel.series.iter_mut().for_each(|s| s.points.clear());
    }
    chart.panels[2].series.clear();
    write(&path, &chart).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert_eq!(svg.matches("no data").count(), 3);

    chart.panels.clear();
    write(&path, &chart).unwrap();
}

#[test]
fn png_has_signature_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.png");
    write(&path, &sample_chart()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(bytes.len() > 10 * 1024, "png only {} bytes", bytes.len());
}

#[test]
fn unsupported_extension_names_path_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.jpg");
    let err = write(&path, &sample_chart()).unwrap_err();
    assert!(matches!(err, ChartError::UnsupportedExtension { .. }));
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(
        message.contains(".svg") && message.contains(".png"),
        "{message}"
    );
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn failed_write_names_path_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("report.svg");
    let err = write(&path, &sample_chart()).unwrap_err();
    assert!(matches!(err, ChartError::Draw { .. }), "{err:?}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn no_font_message_is_actionable() {
    let err = ChartError::NoFont {
        searched: vec![
            PathBuf::from("/usr/share/fonts"),
            PathBuf::from("/Library/Fonts"),
        ],
    };
    let message = err.to_string();
    assert!(
        message.contains("/usr/share/fonts, /Library/Fonts"),
        "{message}"
    );
    assert!(
        message.contains("apt install fonts-dejavu-core"),
        "{message}"
    );
    assert!(message.contains(".svg"), "{message}");
}

#[test]
fn font_search_without_fonts_reports_dirs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Fake-Sans.ttf"), b"not a font").unwrap();
    let dirs = vec![dir.path().to_path_buf(), dir.path().join("absent")];
    assert_eq!(register_font_from(dirs.clone()), Err(dirs));
}

#[test]
fn font_preference() {
    assert_eq!(font_rank("DejaVuSans.ttf"), Some(0));
    assert_eq!(font_rank("LiberationSans-Regular.ttf"), Some(1));
    assert_eq!(font_rank("NotoSans-Regular.otf"), Some(3));
    assert_eq!(font_rank("DejaVuSerif.ttf"), Some(4));
    assert_eq!(font_rank("DejaVuSans-Bold.ttf"), Some(5));
    assert_eq!(font_rank("fonts.dir"), None);
}

#[test]
fn ranges_cover_data() {
    let chart = sample_chart();
    assert_eq!(x_range_minutes(&chart), 60.0);
    let panel = &chart.panels[1];
    let max = panel
        .series
        .iter()
        .flat_map(finite_points)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    assert_eq!(y_range(panel), (0.0, max * 1.1));
    let empty = Panel {
        title: String::new(),
        unit: String::new(),
        series: vec![],
    };
    assert_eq!(y_range(&empty), (0.0, 1.0));
}
