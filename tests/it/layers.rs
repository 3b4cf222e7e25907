//! The architecture's import rules, checked on the source: the ground floor imports nothing
//! above it, and only `settings`, `commands` and `main` see clap's types or the settings;
//! `sweep` and `error` sit on floors of their own; no command imports another; and no modules
//! reach each other through their imports.

mod imports;

use std::collections::BTreeSet;
use std::path::Path;

use imports::{Crate, Edge, ModulePath, rust_files};

/// Plain vocabulary: these import no other module of the crate but each other.
const GROUND: [&str; 7] = [
    "model", "aws", "output", "terminal", "logging", "emulator", "epoch",
];
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

/// `sweep` drives the middle floor's work (it sets mappings, sends load, runs the stack
/// locally and reads reports): it sits on top of that floor, so nothing on it or below imports
/// `sweep`. `error` is `main`'s error and wraps each area's (deploy, load, report, sweep, …): it
/// sits above them all and below the top, so only `settings` and `commands` import it, and it
/// imports nothing of the top. Every top-level module has a floor.
#[test]
fn sweep_and_error_sit_on_their_own_floors() {
    let source = Crate::read(root());
    let mut broken = Vec::new();
    for file in &source.files {
        let Some(module) = file.module.first().map(String::as_str) else {
            continue;
        };
        let forbidden: Vec<(&str, &str)> = match module {
            "sweep" => TOP
                .iter()
                .chain(&["error"])
                .map(|m| (*m, "sweep sits below error and the top"))
                .collect(),
            "error" => TOP
                .iter()
                .map(|m| (*m, "error sits below the top"))
                .collect(),
            m if GROUND.contains(&m) || MIDDLE.contains(&m) => vec![
                ("sweep", "sweep sits above the middle floor"),
                ("error", "error sits above the middle floor"),
            ],
            m if TOP.contains(&m) => Vec::new(),
            m => {
                broken.push(format!(
                    "{}: module {m} has no floor in layers.rs",
                    file.path
                ));
                Vec::new()
            }
        };
        for used in source.top_level_uses(file) {
            if let Some((_, why)) = forbidden.iter().find(|(m, _)| *m == used) {
                broken.push(format!("{} uses crate::{used}: {why}", file.path));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// A command is a module of `commands`, run by `commands::dispatch` (mod.rs, the one place
/// that names them all); what two commands share lives below them, not in one of them.
#[test]
fn no_command_imports_another() {
    let source = Crate::read(root());
    let mut broken = Vec::new();
    for file in &source.files {
        let [first, command, ..] = file.module.as_slice() else {
            continue;
        };
        if first != "commands" {
            continue;
        }
        for target in source.imports_of(file) {
            if let [first, other, ..] = target.as_slice()
                && first == "commands"
                && other != command
                && source.modules.contains(&target[..2])
            {
                broken.push(format!("{} uses commands::{other}", file.path));
            }
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

/// No modules reach each other through their imports, among the top-level modules or among the
/// submodules of any module (`crate::a::b`, `super::x`, `self::`, groups resolved). A child
/// using its ancestor is no loop by itself; siblings that use each other are, and the piece
/// they share belongs below both.
#[test]
fn no_import_loops() {
    let source = Crate::read(root());
    let edges = source.sibling_edges();
    let found = imports::loops(&edges);
    let described: Vec<String> = found
        .iter()
        .map(|(parent, members, joining)| describe_loop(parent, members, joining))
        .collect();
    assert!(
        found.is_empty(),
        "{} import loop(s):\n{}",
        found.len(),
        described.join("\n")
    );
}

/// `crate::report: chart, render, view` then each import that joins them, with its files.
fn describe_loop(parent: &ModulePath, members: &BTreeSet<String>, joining: &[&Edge]) -> String {
    let place = if parent.is_empty() {
        "crate".to_owned()
    } else {
        format!("crate::{}", parent.join("::"))
    };
    let names: Vec<&str> = members.iter().map(String::as_str).collect();
    let mut text = format!("- in {place}: {} reach each other", names.join(", "));
    let mut pairs: Vec<(&str, &str)> = joining
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    pairs.dedup();
    for (from, to) in pairs {
        let files: Vec<&str> = joining
            .iter()
            .filter(|e| e.from == from && e.to == to)
            .map(|e| e.file.as_str())
            .collect();
        let shown = match files.len() {
            n if n > 3 => format!("{} and {} more", files[..3].join(", "), n - 3),
            _ => files.join(", "),
        };
        text.push_str(&format!("\n    {from} → {to}: {shown}"));
    }
    text
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
