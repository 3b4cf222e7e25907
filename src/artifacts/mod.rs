//! Lambda artifacts: cross-compile the functions and zip each one reproducibly.
//!
//! [`build`] is the single entry point; `demo build` prints its result and `demo up` will
//! upload it.

mod cargo;
mod error;
mod prebuilt;
mod toolchain;
mod zip;

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub use error::BuildError;
pub use prebuilt::from_dir;

/// The function packages of the workspace, each becoming one `bootstrap.zip`.
pub const FUNCTIONS: [&str; 2] = ["put-record", "put-item"];

/// The CPU architecture a Lambda function runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    Arm64,
    X86_64,
}

impl Arch {
    /// The Rust target: musl, so the binary is static and the runtime's glibc does not matter.
    pub fn triple(self) -> &'static str {
        match self {
            Arch::Arm64 => "aarch64-unknown-linux-musl",
            Arch::X86_64 => "x86_64-unknown-linux-musl",
        }
    }

    /// The name Lambda's `Architectures` uses, also the directory under `target/lambda/`.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Arm64 => "arm64",
            Arch::X86_64 => "x86_64",
        }
    }

    /// The CPU as Rust's `std::env::consts::ARCH` names it.
    fn cpu(self) -> &'static str {
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
pub enum CargoVerbosity {
    Quiet,
    Normal,
    Verbose,
}

/// What to build.
#[derive(Debug, Clone, Copy)]
pub struct BuildRequest {
    pub arch: Arch,
    pub cargo_verbosity: CargoVerbosity,
}

/// One function's zip, ready to upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    pub function: String,
    pub arch: Arch,
    /// `<target dir>/lambda/<arch>/<function>/bootstrap.zip`
    pub path: PathBuf,
    /// Size of the zip in bytes.
    pub size: u64,
    /// Hex SHA-256 of the zip, also written beside it as `bootstrap.zip.sha256`.
    pub sha256: String,
}

/// Cross-compile every function for `request.arch` in one cargo run and zip each binary.
///
/// Checks the Rust target and the cross C toolchain first, so a missing piece is reported with
/// the command that installs it instead of a linker error deep in cargo's output.
pub async fn build(request: BuildRequest) -> Result<Vec<Artifact>, BuildError> {
    tokio::task::spawn_blocking(move || build_blocking(request))
        .await
        .expect("the build task does not panic")
}

fn build_blocking(request: BuildRequest) -> Result<Vec<Artifact>, BuildError> {
    let arch = request.arch;
    toolchain::check_target_installed(arch.triple())?;
    let cross = toolchain::cross_env(arch, &toolchain::Host::current(), &toolchain::SystemProbe)?;
    let workspace = cargo::Workspace::locate()?;
    tracing::info!(
        "building {} for {arch} ({})",
        FUNCTIONS.join(", "),
        arch.triple()
    );
    let binaries = cargo::build_release(&workspace, arch, cross, request.cargo_verbosity)?;
    let out_dir = workspace.target_dir.join("lambda").join(arch.name());
    binaries
        .into_iter()
        .map(|(function, binary)| {
            let path = out_dir.join(&function).join("bootstrap.zip");
            let digest = zip::write_bootstrap_zip(&binary, &path)?;
            tracing::debug!(%function, path = %path.display(), "zipped");
            Ok(Artifact {
                function,
                arch,
                path,
                size: digest.size,
                sha256: digest.sha256,
            })
        })
        .collect()
}
