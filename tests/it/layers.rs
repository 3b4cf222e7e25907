//! The architecture's import rules, checked on the source: the ground floor imports nothing
//! above it, and only `settings`, `commands` and `main` see clap's types or the settings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Plain vocabulary: these import no other module of the crate but each other.
const GROUND: [&str; 6] = ["model", "aws", "output", "terminal", "logging", "emulator"];
/// The work: never sees clap (`cli`), the translator (`settings`) or `commands`.
const MIDDLE: [&str; 12] = [
    "artifacts",
    "deploy",
    "doctor",
    "load",
    "local",
    "report",
    "failures",
    "insights",
    "sweep",
    "watch",
    "logs",
    "invoke",
];
const TOP: [&str; 3] = ["cli", "settings", "commands"];

#[test]
fn no_module_imports_a_floor_above_its_own() {
    let mut broken = Vec::new();
    for file in rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")) {
        let module = top_module(&file);
        let forbidden: Vec<&str> = if GROUND.contains(&module.as_str()) {
            MIDDLE
                .iter()
                .chain(&TOP)
                .chain(&["error"])
                .copied()
                .collect()
        } else if MIDDLE.contains(&module.as_str()) {
            TOP.to_vec()
        } else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in crate_modules(&text) {
            if forbidden.contains(&used.as_str()) {
                broken.push(format!("{} uses crate::{used}", file.display()));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// The rule finds what it is meant to find.
#[test]
fn the_import_scan_sees_paths_and_groups_but_not_comments() {
    let text = "//! see crate::settings\nuse crate::{aws::Clients, cli::Cli};\n\
                fn f() { crate::commands::run(); }\n";
    let found: Vec<String> = crate_modules(text).into_iter().collect();
    assert_eq!(found, ["aws", "cli", "commands"]);
}

/// The top-level modules of `crate::` paths in `text`, outside comments.
fn crate_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(group.split(',').filter_map(|part| first_name(part.trim())));
        } else {
            found.extend(first_name(rest));
        }
    }
    found
}

fn first_name(path: &str) -> Option<String> {
    let name: String = path
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty() && name != "self").then_some(name)
}

/// `src/deploy/stack.rs` → `deploy`; `src/aws.rs` → `aws`.
fn top_module(file: &Path) -> String {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let relative = file.strip_prefix(&src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
