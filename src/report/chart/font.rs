//! A TrueType font for PNG charts: the bitmap backend draws text itself, so it needs font
//! bytes; one system sans font is found and registered with plotters once per process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::style::FontStyle;

use super::{ChartError, FONT};

/// Outcome of the one font search per process: the font registered, or the
/// directories that held none.
static FONT_SEARCH: OnceLock<Result<PathBuf, Vec<PathBuf>>> = OnceLock::new();

/// Registers a system sans font as plotters' "sans-serif" once per process.
pub(super) fn ensure_font() -> Result<(), ChartError> {
    match FONT_SEARCH.get_or_init(|| register_font_from(font_dirs())) {
        Ok(_) => Ok(()),
        Err(searched) => Err(ChartError::NoFont {
            searched: searched.clone(),
        }),
    }
}

pub(super) fn font_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = ["/usr/share/fonts", "/usr/local/share/fonts"]
        .iter()
        .map(PathBuf::from)
        .collect();
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        dirs.push(home.join(".local/share/fonts"));
        dirs.push(home.join(".fonts"));
        dirs.push(home.join("Library/Fonts"));
    }
    dirs.extend(
        ["/System/Library/Fonts", "/Library/Fonts"]
            .iter()
            .map(PathBuf::from),
    );
    if let Some(windir) = std::env::var_os("WINDIR") {
        dirs.push(PathBuf::from(windir).join("Fonts"));
    }
    dirs
}

/// Registers the best font found under `dirs`, or hands `dirs` back for the
/// error message when none is usable.
pub(super) fn register_font_from(dirs: Vec<PathBuf>) -> Result<PathBuf, Vec<PathBuf>> {
    let mut candidates: Vec<(u8, PathBuf)> = Vec::new();
    for dir in &dirs {
        collect_fonts(dir, 0, &mut candidates);
    }
    candidates.sort();
    // A damaged file is skipped; only a few tries, since each read is leaked.
    for (_, path) in candidates.into_iter().take(5) {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        if !looks_like_font(&bytes) {
            continue;
        }
        // plotters keeps a reference for the life of the process.
        let bytes: &'static [u8] = Vec::leak(bytes);
        if plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok() {
            return Ok(path);
        }
    }
    Err(dirs)
}

/// Walks `dir` for font files with their preference rank; bounded in depth so
/// a symlink loop cannot hang the report.
pub(super) fn collect_fonts(dir: &Path, depth: u32, found: &mut Vec<(u8, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth < 5 {
                collect_fonts(&path, depth + 1, found);
            }
        } else if let Some(rank) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(font_rank)
        {
            found.push((rank, path));
        }
    }
}

/// Lower is better: the well-known plain sans fonts, then any plain sans, then
/// any plain font, then styled ones; `None` for files that are not fonts.
pub(super) fn font_rank(file_name: &str) -> Option<u8> {
    let name = file_name.to_ascii_lowercase();
    let is_font = [".ttf", ".otf", ".ttc"]
        .iter()
        .any(|ext| name.ends_with(ext));
    if !is_font {
        return None;
    }
    let styled = [
        "bold",
        "italic",
        "oblique",
        "light",
        "thin",
        "black",
        "mono",
        "condensed",
    ]
    .iter()
    .any(|s| name.contains(s));
    let sans = name.contains("sans") || name.starts_with("arial") || name.starts_with("helvetica");
    Some(match name.as_str() {
        "dejavusans.ttf" => 0,
        "liberationsans-regular.ttf" => 1,
        "arial.ttf" | "helvetica.ttc" => 2,
        _ if sans && !styled => 3,
        _ if !styled => 4,
        _ => 5,
    })
}

/// TrueType, OpenType or collection magic, checked before leaking the bytes.
pub(super) fn looks_like_font(bytes: &[u8]) -> bool {
    matches!(
        bytes.get(..4),
        Some([0, 1, 0, 0]) | Some(b"OTTO") | Some(b"true") | Some(b"ttcf")
    )
}
