//! Which saved files matter to `demo watch`, and what each change needs: a function's sources
//! (or the shared `orders` crate, or the workspace's manifests) need a build; the template needs
//! `demo up`. Editors' swap and backup files, hidden files and `target/` are noise.

use std::collections::BTreeSet;
use std::path::Path;

/// What a batch of saved files asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Wanted {
    /// A build: some function's inputs changed. Which zips changed is known after the build.
    pub(crate) build: bool,
    /// The template changed (watch swaps code only; `demo up` deploys templates).
    pub(crate) template: bool,
    /// The files, relative to the workspace, for the progress line.
    pub(crate) files: BTreeSet<String>,
}

/// Sorts `paths` (absolute, as the watcher reports them) under the workspace `root`.
pub(crate) fn wanted<'a>(root: &Path, paths: impl IntoIterator<Item = &'a Path>) -> Wanted {
    let mut wanted = Wanted::default();
    for path in paths {
        let Ok(relative) = path.strip_prefix(root) else {
            continue;
        };
        if is_noise(relative) {
            continue;
        }
        let text = relative.to_string_lossy().into_owned();
        match relative.components().next().map(|c| c.as_os_str()) {
            Some(dir) if dir == "functions" => wanted.build = true,
            Some(dir) if dir == "templates" => wanted.template = true,
            _ if text == "Cargo.toml" || text == "Cargo.lock" => wanted.build = true,
            _ => continue,
        }
        wanted.files.insert(text);
    }
    wanted
}

/// Hidden files and directories, `target/`, and the files editors write beside the real one.
fn is_noise(relative: &Path) -> bool {
    let hidden_or_target = relative.components().any(|c| {
        let name = c.as_os_str().to_string_lossy();
        name.starts_with('.') || name == "target"
    });
    let name = relative
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    hidden_or_target
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with("#")
        || name == "4913"
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn sort(paths: &[&str]) -> Wanted {
        let root = PathBuf::from("/w");
        let full: Vec<PathBuf> = paths.iter().map(|p| root.join(p)).collect();
        wanted(&root, full.iter().map(PathBuf::as_path))
    }

    #[test]
    fn function_sources_and_manifests_need_a_build_and_the_template_needs_up() {
        let source = sort(&["functions/put-item/src/write.rs"]);
        assert!(source.build && !source.template);
        assert!(sort(&["functions/orders/src/lib.rs"]).build);
        assert!(sort(&["Cargo.lock"]).build);
        let template = sort(&["templates/stack.yaml"]);
        assert!(template.template && !template.build);
        assert_eq!(
            template.files.into_iter().collect::<Vec<_>>(),
            ["templates/stack.yaml"]
        );
    }

    #[test]
    fn editor_files_hidden_files_target_and_the_rest_of_the_tree_are_ignored() {
        for noise in [
            "functions/put-item/src/.write.rs.swp",
            "functions/put-item/src/write.rs~",
            "functions/put-item/src/#write.rs#",
            "functions/put-item/4913",
            "functions/put-item/target/debug/x",
            "functions/.git/index",
            "src/main.rs",
            "README.md",
        ] {
            assert_eq!(sort(&[noise]), Wanted::default(), "{noise}");
        }
        assert_eq!(
            wanted(Path::new("/w"), [Path::new("/elsewhere/functions/x.rs")]),
            Wanted::default()
        );
    }
}
