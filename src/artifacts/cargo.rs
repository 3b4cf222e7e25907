//! Running `cargo build` for the Lambda target: one invocation for all functions, with the
//! environment that makes it cross-link and leaves no machine paths in the binaries.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use cargo_metadata::{Message, MetadataCommand, TargetKind};

use super::toolchain::CrossEnv;
use super::{Arch, BuildError, CargoVerbosity, FUNCTIONS};
use crate::terminal;

/// The workspace the functions live in, found from the current directory.
#[derive(Debug, Clone)]
pub(crate) struct Workspace {
    pub(crate) root: PathBuf,
    pub(crate) target_dir: PathBuf,
}

impl Workspace {
    pub(crate) fn locate() -> Result<Self, BuildError> {
        let metadata = MetadataCommand::new()
            .no_deps()
            .exec()
            .map_err(BuildError::Workspace)?;
        let root = metadata.workspace_root.into_std_path_buf();
        for function in FUNCTIONS {
            if !metadata
                .packages
                .iter()
                .any(|p| p.name.as_str() == function)
            {
                return Err(BuildError::NotDemoWorkspace {
                    root,
                    package: function.to_owned(),
                });
            }
        }
        Ok(Self {
            root,
            target_dir: metadata.target_directory.into_std_path_buf(),
        })
    }
}

/// The cargo profile the functions are built with (`[profile.lambda]` in the workspace
/// manifest): release, with fat LTO, one codegen unit and size optimisation.
pub(crate) const PROFILE: &str = "lambda";

/// Everything set on the cargo child: the cross toolchain and the path remapping.
pub(crate) fn cargo_env(workspace: &Workspace, arch: Arch, mut cross: CrossEnv) -> CrossEnv {
    cross.extend(remap_env(workspace, arch.triple()));
    cross
}

/// Build every function with [`PROFILE`] for `arch`; returns (function, executable) pairs in
/// [`FUNCTIONS`] order.
pub(crate) fn build_functions(
    workspace: &Workspace,
    arch: Arch,
    env: &CrossEnv,
    verbosity: CargoVerbosity,
) -> Result<Vec<(String, PathBuf)>, BuildError> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = cargo_build(&cargo, workspace, arch, env, verbosity);
    tracing::debug!(?command, "running cargo");

    let spawn_error = |source| BuildError::CargoSpawn {
        cargo: cargo.clone(),
        source,
    };
    let mut child = command.spawn().map_err(spawn_error)?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut executables = HashMap::new();
    for message in Message::parse_stream(BufReader::new(stdout)) {
        match message.map_err(spawn_error)? {
            Message::CompilerArtifact(artifact)
                if artifact.target.is_kind(TargetKind::Bin)
                    && FUNCTIONS.contains(&artifact.target.name.as_str()) =>
            {
                if let Some(executable) = artifact.executable {
                    executables.insert(artifact.target.name, executable.into_std_path_buf());
                }
            }
            // Anything cargo prints that is not JSON (a build script's noise) belongs on stderr.
            Message::TextLine(line) => terminal::line(line),
            _ => {}
        }
    }
    let status = child.wait().map_err(spawn_error)?;
    if !status.success() {
        return Err(BuildError::CargoFailed { status });
    }
    in_functions_order(executables)
}

/// `cargo build` of every function for `arch`, its messages as JSON on stdout.
fn cargo_build(
    cargo: &str,
    workspace: &Workspace,
    arch: Arch,
    env: &CrossEnv,
    verbosity: CargoVerbosity,
) -> Command {
    let triple = arch.triple();
    let mut command = Command::new(cargo);
    command
        .current_dir(&workspace.root)
        .args([
            "build",
            "--profile",
            PROFILE,
            "--locked",
            "--target",
            triple,
        ])
        .args(FUNCTIONS.iter().flat_map(|f| ["-p", f]))
        .arg("--message-format=json-render-diagnostics")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    match verbosity {
        CargoVerbosity::Quiet => {
            command.arg("--quiet");
        }
        CargoVerbosity::Normal => {}
        CargoVerbosity::Verbose => {
            command.arg("--verbose");
        }
    }
    command
}

/// Each function's executable, in [`FUNCTIONS`] order; one cargo did not report is an error.
fn in_functions_order(
    mut executables: HashMap<String, PathBuf>,
) -> Result<Vec<(String, PathBuf)>, BuildError> {
    FUNCTIONS
        .iter()
        .map(|&function| {
            executables
                .remove(function)
                .map(|path| (function.to_owned(), path))
                .ok_or_else(|| BuildError::MissingExecutable {
                    function: function.to_owned(),
                })
        })
        .collect()
}

/// `--remap-path-prefix` for the target's rustflags, so panic locations and debug strings in
/// the binaries do not depend on where the workspace or cargo's registry is: two machines (or
/// two checkouts) build byte-identical zips.
fn remap_env(workspace: &Workspace, triple: &str) -> CrossEnv {
    let name = format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        triple.to_uppercase().replace('-', "_")
    );
    for overriding in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS"] {
        if std::env::var_os(overriding).is_some() {
            tracing::warn!(
                "{overriding} is set, so cargo ignores {name}: the binaries may embed paths of \
                 this machine and differ from a build elsewhere"
            );
        }
    }
    let mut prefixes = vec![(workspace.root.clone(), "/workspace")];
    if !workspace.target_dir.starts_with(&workspace.root) {
        prefixes.push((workspace.target_dir.clone(), "/target"));
    }
    match home::cargo_home() {
        Ok(cargo_home) => prefixes.push((cargo_home, "/cargo")),
        Err(error) => tracing::warn!(%error, "no CARGO_HOME: registry paths are not remapped"),
    }
    let existing = std::env::var(&name).unwrap_or_default();
    vec![(name, rustflags(&existing, prefixes))]
}

/// The flags, most specific prefix last (rustc applies the last matching remap).
fn rustflags(existing: &str, mut prefixes: Vec<(PathBuf, &str)>) -> String {
    prefixes.sort_by_key(|(from, _)| from.as_os_str().len());
    let mut flags: Vec<String> = existing.split_whitespace().map(str::to_owned).collect();
    for (from, to) in prefixes {
        let from = from.display().to_string();
        // Cargo splits these flags on whitespace; such a path cannot be passed this way.
        if from.contains(char::is_whitespace) {
            tracing::warn!("{from} contains whitespace and is not remapped in the binaries");
            continue;
        }
        flags.push(format!("--remap-path-prefix={from}={to}"));
    }
    flags.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_prefixes_come_last_and_user_flags_stay() {
        let flags = rustflags(
            "-C target-cpu=neoverse-n1",
            vec![
                (PathBuf::from("/home/me/.cargo"), "/cargo"),
                (PathBuf::from("/home/me/src/demo"), "/workspace"),
                (PathBuf::from("/home/me/src/demo/.cargo-home"), "/cargo"),
            ],
        );
        assert_eq!(
            flags,
            "-C target-cpu=neoverse-n1 \
             --remap-path-prefix=/home/me/.cargo=/cargo \
             --remap-path-prefix=/home/me/src/demo=/workspace \
             --remap-path-prefix=/home/me/src/demo/.cargo-home=/cargo"
        );
    }

    #[test]
    fn paths_with_spaces_are_skipped() {
        let flags = rustflags("", vec![(PathBuf::from("/Users/A B/demo"), "/workspace")]);
        assert_eq!(flags, "");
    }
}
