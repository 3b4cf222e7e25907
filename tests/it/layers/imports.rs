//! The library's imports, read from its source without a parser: each file's module, the `use`
//! trees and `crate::` / `super::` / `self::` paths of its production code resolved to the
//! modules they name, and the loops those make among sibling modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path from the crate root (`["report", "chart"]`); the root's is empty.
pub type ModulePath = Vec<String>;

/// One file of the library's production code.
pub struct SourceFile {
    /// As the repository names it: `src/report/chart/mod.rs`.
    pub path: String,
    pub module: ModulePath,
    /// Comment lines and `#[cfg(test)]` items left out.
    code: String,
}

/// The library (`src/` but `main.rs`, a crate of its own), without its test modules.
pub struct Crate {
    pub files: Vec<SourceFile>,
    pub modules: BTreeSet<ModulePath>,
}

/// `from` imports its sibling `to` (both children of `parent`), in `file`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub parent: ModulePath,
    pub from: String,
    pub to: String,
    pub file: String,
}

impl Crate {
    pub fn read(root: &Path) -> Crate {
        let mut files = Vec::new();
        let mut test_modules = BTreeSet::new();
        for path in rust_files(&root.join("src")) {
            let relative = path.strip_prefix(root).unwrap();
            let Some(module) = module_of(relative) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap();
            let (code, tests) = production_code(&text);
            test_modules.extend(tests.into_iter().map(|name| child(&module, &name)));
            files.push(SourceFile {
                path: relative.display().to_string(),
                module,
                code,
            });
        }
        files.retain(|f| !test_modules.iter().any(|t| f.module.starts_with(t)));
        let modules = files.iter().map(|f| f.module.clone()).collect();
        Crate { files, modules }
    }

    /// Each import of `file` between two sibling modules (not to its own ancestors or
    /// descendants, which are no loop by themselves).
    pub fn sibling_edges(&self) -> BTreeSet<Edge> {
        let mut edges = BTreeSet::new();
        for file in &self.files {
            for target in imports(&file.module, &file.code) {
                let shared = common_prefix(&file.module, &target);
                if shared == file.module.len() || shared == target.len() {
                    continue;
                }
                let parent = file.module[..shared].to_vec();
                // `super::Context` names an item of the parent, not a sibling.
                if !self.modules.contains(&child(&parent, &target[shared])) {
                    continue;
                }
                edges.insert(Edge {
                    parent,
                    from: file.module[shared].clone(),
                    to: target[shared].clone(),
                    file: file.path.clone(),
                });
            }
        }
        edges
    }

    /// The modules `file` names, as paths from the root (which may end in an item's name).
    pub fn imports_of(&self, file: &SourceFile) -> BTreeSet<ModulePath> {
        imports(&file.module, &file.code)
    }

    /// The top-level modules `file` uses, besides its own.
    pub fn top_level_uses(&self, file: &SourceFile) -> BTreeSet<String> {
        self.imports_of(file)
            .into_iter()
            .filter_map(|target| target.first().cloned())
            .filter(|top| self.modules.contains(&vec![top.clone()]))
            .filter(|top| file.module.first() != Some(top))
            .collect()
    }
}

/// Sibling modules that reach each other through their imports: each group, and the imports
/// that join it.
pub fn loops(edges: &BTreeSet<Edge>) -> Vec<(ModulePath, BTreeSet<String>, Vec<&Edge>)> {
    let mut graphs: BTreeMap<&ModulePath, BTreeMap<&str, BTreeSet<&str>>> = BTreeMap::new();
    for edge in edges {
        let graph = graphs.entry(&edge.parent).or_default();
        graph.entry(&edge.from).or_default().insert(&edge.to);
    }
    let mut found = Vec::new();
    for (parent, graph) in graphs {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for &start in graph.keys() {
            if seen.contains(start) {
                continue;
            }
            let from_start = reachable(&graph, start);
            let group: BTreeSet<String> = from_start
                .iter()
                .filter(|&&other| reachable(&graph, other).contains(start))
                .map(|m| (*m).to_owned())
                .collect();
            if group.len() < 2 {
                continue;
            }
            seen.extend(graph.keys().filter(|k| group.contains(**k)));
            let joining = edges
                .iter()
                .filter(|e| &e.parent == parent && group.contains(&e.from) && group.contains(&e.to))
                .collect();
            found.push((parent.clone(), group, joining));
        }
    }
    found
}

/// The modules `start` imports, directly or through others (itself included only through a
/// loop).
fn reachable<'a>(
    graph: &BTreeMap<&'a str, BTreeSet<&'a str>>,
    start: &'a str,
) -> BTreeSet<&'a str> {
    let mut reached = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(module) = todo.pop() {
        for &next in graph.get(module).into_iter().flatten() {
            if reached.insert(next) {
                todo.push(next);
            }
        }
    }
    reached
}

/// `src/lib.rs` → the root; `src/report/mod.rs` → report; `src/report/chart/bars.rs` →
/// report::chart::bars; None for `src/main.rs` (the binary's own crate).
fn module_of(relative: &Path) -> Option<ModulePath> {
    let mut parts: Vec<String> = relative
        .components()
        .skip(1)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop()?;
    match last.trim_end_matches(".rs") {
        "main" if parts.is_empty() => None,
        "lib" if parts.is_empty() => Some(parts),
        "mod" => Some(parts),
        name => Some(child(&parts, name)),
    }
}

/// The code without comment lines and without `#[cfg(test)]` items, and the names of the
/// test-only modules it declares (whose files are test code too).
fn production_code(text: &str) -> (String, Vec<String>) {
    let mut code = Vec::new();
    let mut test_modules = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if !trimmed.starts_with("#[cfg(test)]") {
            code.push(line);
            continue;
        }
        // Skip the item: its attributes and doc, then one line (`mod x;`) or a braced block.
        while lines
            .peek()
            .is_some_and(|l| l.trim_start().starts_with("#[") || l.trim_start().starts_with("//"))
        {
            lines.next();
        }
        let Some(item) = lines.next() else { break };
        if let Some(name) = declared_module(item) {
            test_modules.push(name);
        }
        let mut depth = braces(item);
        while depth > 0 {
            let Some(next) = lines.next() else { break };
            depth += braces(next);
        }
    }
    (code.join("\n"), test_modules)
}

/// `mod tests;`, `pub mod replay;` → its name.
fn declared_module(line: &str) -> Option<String> {
    let at = line.find("mod ")?;
    let name: String = line[at + 4..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

fn braces(line: &str) -> i64 {
    line.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// What `code` (of `module`) names through `use` trees and `crate::` / `super::` / `self::`
/// paths, resolved from the root. Names brought in scope otherwise (a child's `x::` or an
/// external crate's) are left out: a child is never a sibling, a crate is not ours.
pub fn imports(module: &[String], code: &str) -> BTreeSet<ModulePath> {
    let mut paths: Vec<Vec<String>> = use_trees(code).iter().flat_map(|t| expand(t)).collect();
    paths.extend(inline_paths(code));
    paths
        .iter()
        .filter_map(|path| resolve(module, path))
        .collect()
}

/// The tree of each `use` declaration (`crate::{a::B, c}`), from `use` to `;`.
fn use_trees(code: &str) -> Vec<&str> {
    let mut trees = Vec::new();
    let mut offset = 0;
    for line in code.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let declaration = trimmed
            .strip_prefix("pub")
            .map(|rest| rest.trim_start_matches(|c| c != ' ').trim_start())
            .unwrap_or(trimmed);
        if let Some(tree) = declaration.strip_prefix("use ") {
            let start = offset + (line.len() - tree.len());
            let end = code[start..].find(';').map_or(code.len(), |e| start + e);
            let tree = &code[start..end];
            // A line of text that starts with "use " is no declaration.
            if tree
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c.is_whitespace() || "_:{},*".contains(c))
            {
                trees.push(tree);
            }
        }
        offset += line.len();
    }
    trees
}

/// `a::{b, c::{self, D}}` → `a::b`, `a::c`, `a::c::D`; `x as y` → `x`; globs end at their
/// module.
fn expand(tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let path = tree.split(" as ").next().unwrap_or(tree);
        return vec![segments(path)];
    };
    let prefix = segments(&tree[..open]);
    let close = tree.rfind('}').unwrap_or(tree.len());
    split_top_level(&tree[open + 1..close])
        .into_iter()
        .flat_map(expand)
        .map(|rest| {
            let mut path = prefix.clone();
            // `{self, …}` names the group's own module.
            path.extend(rest.into_iter().filter(|s| s != "self"));
            path
        })
        .collect()
}

/// Path segments, without the `self` that closes a group's own module and without `*`.
fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .enumerate()
        .filter(|(i, s)| !s.is_empty() && *s != "*" && !(*i > 0 && *s == "self"))
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn split_top_level(group: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&group[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `crate::a::b(…)`, `super::x::Y` written in the code, outside `use`.
fn inline_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(segments(&path));
        }
    }
    paths
}

/// A path as written in `module`, from the root; None if it starts elsewhere.
fn resolve(module: &[String], path: &[String]) -> Option<ModulePath> {
    let (first, rest) = path.split_first()?;
    match first.as_str() {
        "crate" => Some(rest.to_vec()),
        "self" => Some([module, rest].concat()),
        "super" => {
            let mut base = module.to_vec();
            let mut rest = path;
            while let Some(("super", after)) = rest.split_first().map(|(s, r)| (s.as_str(), r)) {
                base.pop()?;
                rest = after;
            }
            Some([base.as_slice(), rest].concat())
        }
        _ => None,
    }
}

fn common_prefix(a: &[String], b: &[String]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

fn child(parent: &[String], name: &str) -> ModulePath {
    let mut path = parent.to_vec();
    path.push(name.to_owned());
    path
}

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(paths: BTreeSet<ModulePath>) -> Vec<String> {
        paths.into_iter().map(|p| p.join("::")).collect()
    }

    /// The scan finds what the rules are meant to see.
    #[test]
    fn use_trees_and_paths_resolve_from_the_module() {
        let module: ModulePath = vec!["report".into(), "chart".into()];
        let code = "use super::{numbers::usd, view::{self, ChartView}};\n\
                    pub(crate) use crate::model::Consumer;\n\
                    use self::font::*;\n\
                    use plotters::prelude::*;\n\
                    fn f() { super::super::sweep::run(); crate::load::x(); }";
        assert_eq!(
            names(imports(&module, code)),
            [
                "load::x",
                "model::Consumer",
                "report",
                "report::chart::font",
                "report::numbers::usd",
                "report::view",
                "report::view::ChartView",
                "sweep::run",
            ]
        );
    }

    #[test]
    fn test_items_and_comments_are_not_production_code() {
        let text = "use a::b;\n// use crate::c;\n#[cfg(test)]\nmod tests;\n\
                    #[cfg(test)]\npub fn helper() {\n    crate::d();\n}\nfn kept() {}\n";
        let (code, tests) = production_code(text);
        assert_eq!(code, "use a::b;\nfn kept() {}");
        assert_eq!(tests, ["tests"]);
    }
}
