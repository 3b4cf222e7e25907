//! The build fingerprint: one digest of everything that goes into the zips, recorded beside
//! them, so a build whose inputs have not changed reuses the zips without starting cargo.
//!
//! Cargo itself takes about a second to find out that nothing needs building; hashing the
//! functions' few dozen source files and asking `rustc -vV` takes a few milliseconds. The digest
//! is computed before cargo runs, so a source edited during a build makes the next build run
//! cargo again rather than trust zips of the older source.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::cargo::{PROFILE, Workspace};
use super::toolchain::CrossEnv;
use super::{Arch, Artifact, BuildError};

/// Set (to anything but `0`) to run cargo even when the fingerprint matches.
pub(crate) const DISABLE_VAR: &str = "DEMO_NO_FINGERPRINT";

/// The record beside the zips: `<target dir>/lambda/<arch>/fingerprint`.
const RECORD_FILE: &str = "fingerprint";

/// Workspace files outside the function packages that change what cargo builds.
const WORKSPACE_FILES: [&str; 4] = [
    "Cargo.toml",
    "Cargo.lock",
    "rust-toolchain",
    "rust-toolchain.toml",
];

/// Cargo's configuration files, looked for where cargo looks: in `.cargo/` of the workspace
/// root and every directory above it, and in `$CARGO_HOME`.
const CARGO_CONFIG_FILES: [&str; 2] = ["config", "config.toml"];

/// The directory holding every package the functions are built from (`orders` included).
const FUNCTIONS_DIR: &str = "functions";

/// Environment variables (exact names, or prefixes ending in `_`) that cargo, rustc or the C
/// builds of the TLS crates read, so that change the binaries.
/// (`cargo run` sets `CARGO` and rustup's proxy `RUSTUP_TOOLCHAIN` for the programs they start,
/// so those two are left out: the compiler is known from `rustc -vV` instead.)
const BUILD_ENV: [&str; 18] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_",
    "CARGO_PROFILE_",
    "CARGO_TARGET_",
    "RUSTC",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CC",
    "CC_",
    "CFLAGS",
    "CFLAGS_",
    "TARGET_CC",
    "TARGET_CFLAGS",
    "AR",
    "AR_",
    "AWS_LC_SYS_",
    "SOURCE_DATE_EPOCH",
];

/// A hex SHA-256 of the build's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fingerprint(String);

/// What a fingerprint is computed from, besides the files under the workspace root.
pub(crate) struct Inputs<'a> {
    pub(crate) workspace: &'a Workspace,
    pub(crate) arch: Arch,
    /// The linker / C compiler variables handed to cargo, and the rustflags.
    pub(crate) cargo_env: &'a CrossEnv,
    /// `rustc -vV`: the compiler cargo will use.
    pub(crate) rustc_version: String,
    /// The environment variables of [`BUILD_ENV`], sorted.
    pub(crate) build_env: Vec<(String, String)>,
    /// Identifies the `demo` executable, whose code writes the zips.
    pub(crate) zipper: String,
}

impl<'a> Inputs<'a> {
    /// Reads the compiler version, the build environment and this executable's identity; `None`
    /// when `rustc -vV` cannot be run (then cargo runs, as without a fingerprint).
    pub(crate) fn gather(
        workspace: &'a Workspace,
        arch: Arch,
        cargo_env: &'a CrossEnv,
    ) -> Option<Self> {
        Some(Inputs {
            workspace,
            arch,
            cargo_env,
            rustc_version: rustc_version(&workspace.root)?,
            build_env: build_env(std::env::vars()),
            zipper: this_executable(),
        })
    }
}

/// Whether `DEMO_NO_FINGERPRINT` asks for cargo whatever the fingerprint says.
pub(crate) fn disabled() -> bool {
    std::env::var(DISABLE_VAR).is_ok_and(|value| !value.is_empty() && value != "0")
}

/// The digest of `inputs` and of every file under `functions/` and the workspace files.
pub(crate) fn compute(inputs: &Inputs<'_>) -> Result<Fingerprint, BuildError> {
    let mut hasher = FieldHasher::default();
    hasher.field("triple", inputs.arch.triple());
    hasher.field("profile", PROFILE);
    hasher.field("root", inputs.workspace.root.to_string_lossy().as_ref());
    hasher.field(
        "target",
        inputs.workspace.target_dir.to_string_lossy().as_ref(),
    );
    hasher.field("rustc", &inputs.rustc_version);
    hasher.field("zipper", &inputs.zipper);
    for (name, value) in inputs.cargo_env.iter().chain(&inputs.build_env) {
        hasher.field("env", name);
        hasher.field("value", value);
    }
    let root = &inputs.workspace.root;
    let mut files: Vec<PathBuf> = WORKSPACE_FILES
        .iter()
        .map(|name| root.join(name))
        .chain(cargo_config_files(root))
        .filter(|path| path.is_file())
        .collect();
    collect_files(&root.join(FUNCTIONS_DIR), &mut files)?;
    for path in files {
        let bytes = fs::read(&path).map_err(io_error("read", &path))?;
        let relative = path.strip_prefix(root).unwrap_or(&path);
        hasher.field("file", relative.to_string_lossy().as_ref());
        hasher.field("content", &bytes);
    }
    Ok(Fingerprint(hex::encode(hasher.0.finalize())))
}

/// The zips recorded with `fingerprint` in `out_dir`, if the record matches and every zip is
/// still the one built then (same SHA-256).
pub(crate) fn reusable(
    out_dir: &Path,
    arch: Arch,
    fingerprint: &Fingerprint,
) -> Option<Vec<Artifact>> {
    let record = fs::read_to_string(out_dir.join(RECORD_FILE)).ok()?;
    let mut lines = record.lines();
    if lines.next()? != fingerprint.0 {
        return None;
    }
    let recorded: Vec<(&str, &str)> = lines.filter_map(|line| line.split_once(' ')).collect();
    super::FUNCTIONS
        .iter()
        .map(|&function| {
            let &(_, sha256) = recorded.iter().find(|(name, _)| *name == function)?;
            let path = out_dir.join(function).join("bootstrap.zip");
            let bytes = fs::read(&path).ok()?;
            let artifact = Artifact {
                function: function.to_owned(),
                arch,
                size: bytes.len() as u64,
                sha256: super::sha256_hex(&bytes),
                path,
            };
            (artifact.sha256 == sha256).then_some(artifact)
        })
        .collect()
}

/// Records `fingerprint` and the zips built from those inputs.
pub(crate) fn save(
    out_dir: &Path,
    fingerprint: &Fingerprint,
    artifacts: &[Artifact],
) -> Result<(), BuildError> {
    let mut record = format!("{}\n", fingerprint.0);
    for artifact in artifacts {
        record.push_str(&format!("{} {}\n", artifact.function, artifact.sha256));
    }
    let path = out_dir.join(RECORD_FILE);
    super::zip::write_atomically(&path, record.as_bytes()).map_err(io_error("write", &path))
}

/// SHA-256 over length-prefixed fields, so no two different sequences of fields collide.
#[derive(Default)]
struct FieldHasher(Sha256);

impl FieldHasher {
    fn field(&mut self, name: &str, value: impl AsRef<[u8]>) {
        let value = value.as_ref();
        for part in [name.as_bytes(), value] {
            self.0.update((part.len() as u64).to_le_bytes());
            self.0.update(part);
        }
    }
}

/// Every file below `dir`, in a stable order, skipping hidden entries and `target` directories.
fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), BuildError> {
    let entries = fs::read_dir(dir).map_err(io_error("read", dir))?;
    let mut paths = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_error("read", dir))?;
    paths.sort();
    for path in paths {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if path.is_dir() {
            collect_files(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Where cargo may find configuration for a build in `root` (whether or not the files exist).
fn cargo_config_files(root: &Path) -> Vec<PathBuf> {
    let dirs = root
        .ancestors()
        .map(|dir| dir.join(".cargo"))
        .chain(home::cargo_home().ok());
    dirs.flat_map(|dir| CARGO_CONFIG_FILES.map(|name| dir.join(name)))
        .collect()
}

/// `rustc -vV` run where cargo runs it (a `rust-toolchain.toml` there picks the toolchain).
fn rustc_version(root: &Path) -> Option<String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = Command::new(&rustc)
        .arg("-vV")
        .current_dir(root)
        .output()
        .inspect_err(|error| tracing::debug!(%error, "could not run `{rustc} -vV`"))
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The variables among `vars` that [`BUILD_ENV`] names, sorted by name.
fn build_env(vars: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = vars
        .filter(|(name, _)| {
            BUILD_ENV
                .iter()
                .any(|wanted| match wanted.strip_suffix('_') {
                    Some(_) => name.starts_with(wanted),
                    None => name == wanted,
                })
        })
        .collect();
    env.sort();
    env
}

/// Path, size and modification time of this executable: a rebuilt `demo` may zip differently.
fn this_executable() -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let metadata = fs::metadata(&exe).ok();
    let size = metadata.as_ref().map(fs::Metadata::len);
    let modified = metadata.and_then(|m| m.modified().ok());
    format!("{} {size:?} {modified:?}", exe.display())
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BuildError {
    let path = path.to_owned();
    move |source| BuildError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
mod tests;
