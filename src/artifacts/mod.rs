//! Lambda artifacts: cross-compile the functions and zip each one reproducibly.
//!
//! [`build`] is the single entry point; `demo build` prints its result and `demo up` will
//! upload it.

pub(crate) mod bootstrap;
mod cargo;
mod error;
mod fingerprint;
mod prebuilt;
mod toolchain;
mod zip;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub(crate) use error::BuildError;
pub(crate) use prebuilt::from_dir;

/// The function packages of the workspace, each becoming one `bootstrap.zip`.
pub(crate) const FUNCTIONS: [&str; 2] = ["put-record", "put-item"];

/// The CPU architecture a Lambda function runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Arch {
    Arm64,
    X86_64,
}

impl Arch {
    /// The Rust target: musl, so the binary is static and the runtime's glibc does not matter.
    pub(crate) fn triple(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-unknown-linux-musl",
            Arch::X86_64 => "x86_64-unknown-linux-musl",
        }
    }

    /// The name Lambda's `Architectures` uses, also the directory under `target/lambda/`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }

    /// This machine's CPU, where Lambda has it (arm64 or x86_64): what runs here without an
    /// emulator of another CPU.
    pub(crate) fn of_this_machine() -> Option<Arch> {
        [Arch::Arm64, Arch::X86_64]
            .into_iter()
            .find(|arch| arch.cpu() == std::env::consts::ARCH)
    }

    /// The CPU as Rust's `std::env::consts::ARCH` (and qemu-user) names it.
    pub(crate) fn cpu(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64",
            Arch::X86_64 => "x86_64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Lowercase hex SHA-256 of `bytes`: the content address of an artifact.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// How much cargo itself prints on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CargoVerbosity {
    Quiet,
    Normal,
    Verbose,
}

/// What to build.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BuildRequest {
    pub(crate) arch: Arch,
    pub(crate) cargo_verbosity: CargoVerbosity,
}

/// One function's zip, ready to upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Artifact {
    pub(crate) function: String,
    pub(crate) arch: Arch,
    /// `<target dir>/lambda/<arch>/<function>/bootstrap.zip`
    pub(crate) path: PathBuf,
    /// Size of the zip in bytes.
    pub(crate) size: u64,
    /// Hex SHA-256 of the zip, also written beside it as `bootstrap.zip.sha256`.
    pub(crate) sha256: String,
}

/// The workspace whose `functions/` the zips are built from (`cargo metadata`).
pub(crate) fn workspace_root() -> Result<std::path::PathBuf, BuildError> {
    Ok(cargo::Workspace::locate()?.root)
}

/// Cross-compile every function for `request.arch` in one cargo run and zip each binary.
///
/// Checks the Rust target and the cross C toolchain first, so a missing piece is reported with
/// the command that installs it instead of a linker error deep in cargo's output. When the
/// fingerprint of the build's inputs matches the one recorded beside the zips, the zips are
/// reused and cargo is not started (`DEMO_NO_FINGERPRINT=1` starts it anyway).
pub(crate) async fn build(request: BuildRequest) -> Result<Vec<Artifact>, BuildError> {
    tokio::task::spawn_blocking(move || build_blocking(request))
        .await
        .expect("the build task does not panic")
}

fn build_blocking(request: BuildRequest) -> Result<Vec<Artifact>, BuildError> {
    let arch = request.arch;
    toolchain::check_target_installed(arch.triple())?;
    let cross = toolchain::cross_env(arch, &toolchain::Host::current(), &toolchain::SystemProbe)?;
    let workspace = cargo::Workspace::locate()?;
    let cargo_env = cargo::cargo_env(&workspace, arch, cross);
    let out_dir = workspace.target_dir.join("lambda").join(arch.name());
    let fingerprint = fingerprint::Inputs::gather(&workspace, arch, &cargo_env)
        .map(|inputs| fingerprint::compute(&inputs))
        .transpose()?;
    if let Some(artifacts) = reuse(&out_dir, arch, fingerprint.as_ref()) {
        return Ok(artifacts);
    }
    tracing::info!(
        "building {} for {arch} ({})",
        FUNCTIONS.join(", "),
        arch.triple()
    );
    let binaries = cargo::build_functions(&workspace, arch, &cargo_env, request.cargo_verbosity)?;
    let artifacts = binaries
        .into_iter()
        .map(|(function, binary)| zip_one(function, &binary, &out_dir, arch))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(fingerprint) = &fingerprint {
        fingerprint::save(&out_dir, fingerprint, &artifacts)?;
    }
    Ok(artifacts)
}

/// The zips of the last build, if its inputs were the same and the zips are untouched.
fn reuse(
    out_dir: &Path,
    arch: Arch,
    fingerprint: Option<&fingerprint::Fingerprint>,
) -> Option<Vec<Artifact>> {
    if fingerprint::disabled() {
        tracing::debug!(
            "{}: running cargo whatever the fingerprint says",
            fingerprint::DISABLE_VAR
        );
        return None;
    }
    let artifacts = fingerprint::reusable(out_dir, arch, fingerprint?)?;
    tracing::info!(
        "{} unchanged since the last build ({}): cargo not run",
        FUNCTIONS.join(", "),
        out_dir.display()
    );
    Some(artifacts)
}

fn zip_one(
    function: String,
    binary: &Path,
    out_dir: &Path,
    arch: Arch,
) -> Result<Artifact, BuildError> {
    let path = out_dir.join(&function).join("bootstrap.zip");
    let digest = zip::write_bootstrap_zip(binary, &path)?;
    tracing::debug!(%function, path = %path.display(), "zipped");
    Ok(Artifact {
        function,
        arch,
        path,
        size: digest.size,
        sha256: digest.sha256,
    })
}
