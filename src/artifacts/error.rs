//! Why a build can fail, and whether that is the environment's fault (exit 2) or the build's (1).

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// A failed `demo build`. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BuildError {
    #[error(
        "the Rust target {triple} is not installed\n  \
         help: install it with `rustup target add {triple}`"
    )]
    TargetMissing { triple: String },

    #[error("could not run `{rustc} --print sysroot` to find the installed Rust targets")]
    Rustc {
        rustc: String,
        #[source]
        source: io::Error,
    },

    #[error(
        "`{tool}` is not on PATH: it is the C compiler/linker for {triple} on this machine\n  \
         help: install it with `{install}`\n  \
         help: or, without a Debian cross compiler, use cargo-zigbuild \
         (`pip install ziglang && cargo install --locked cargo-zigbuild`, then \
         `cargo zigbuild --release --target {triple}`)"
    )]
    ToolMissing {
        tool: String,
        triple: String,
        install: String,
    },

    #[error("could not read the cargo workspace; run `demo build` inside the demo repository")]
    Workspace(#[source] cargo_metadata::Error),

    #[error(
        "the workspace at {root} has no package `{package}`; run `demo build` inside the demo repository"
    )]
    NotDemoWorkspace { root: PathBuf, package: String },

    #[error("could not start `{cargo}`")]
    CargoSpawn {
        cargo: String,
        #[source]
        source: io::Error,
    },

    #[error("cargo build failed ({status}); see cargo's messages above")]
    CargoFailed { status: ExitStatus },

    #[error("cargo finished without reporting an executable for `{function}`")]
    MissingExecutable { function: String },

    #[error("could not {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A prebuilt zip (`--artifacts`) that Lambda could not run as the function's code.
    #[error(
        "{} {problem}\n  help: `demo build --arch ARCH` writes the zips `--artifacts` takes, \
         under target/lambda/ARCH",
        path.display()
    )]
    NotABootstrapZip { path: PathBuf, problem: String },

    /// A prebuilt zip whose bootstrap is built for the other architecture: Lambda takes the
    /// deploy and then fails every invocation with `exec format error`.
    #[error(
        "the bootstrap in {} is built for {built}, but the functions would be deployed for \
         {deploying}: Lambda would accept it and fail every invocation (`exec format error`, \
         Runtime.InvalidEntrypoint)\n  help: deploy it as built with `--arch {built}`, or \
         build for {deploying} with `demo build --arch {deploying}`",
        path.display()
    )]
    WrongArch {
        path: PathBuf,
        built: super::Arch,
        deploying: super::Arch,
    },

    #[error("could not zip {}", path.display())]
    Zip {
        path: PathBuf,
        #[source]
        source: ::zip::result::ZipError,
    },
}

impl BuildError {
    /// True when the machine, not the code, is at fault: exit code 2 rather than 1.
    pub(crate) fn is_environment(&self) -> bool {
        matches!(
            self,
            BuildError::TargetMissing { .. }
                | BuildError::Rustc { .. }
                | BuildError::ToolMissing { .. }
                | BuildError::Workspace(_)
                | BuildError::NotDemoWorkspace { .. }
                | BuildError::CargoSpawn { .. }
                | BuildError::NotABootstrapZip { .. }
                | BuildError::WrongArch { .. }
        )
    }
}
