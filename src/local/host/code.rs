//! The executable a function runs offline and how to start it here: the `bootstrap` inside the
//! zip `up` deployed (read back from the emulator's S3 and checked against the function's
//! `CodeSha256`, so it is provably the deployed one), or an executable given by path
//! (`FunctionHost::replace_binary`). A binary built for another CPU runs under qemu-user.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Serialize;

use super::HostError;
use crate::artifacts::{Arch, bootstrap};

/// What runs, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binary {
    /// The executable (for a deployed zip, its `bootstrap` unpacked on this machine).
    pub path: PathBuf,
    /// Hex SHA-256 of the executable.
    pub sha256: String,
    /// Where it came from: `s3://bucket/key` (the deployed zip) or the path it was given as.
    pub(crate) origin: String,
    /// The CPU it is built for, as Rust names it (`aarch64`, `x86_64`).
    pub(crate) cpu: String,
    /// The qemu-user emulator it runs under, when the CPU is not this machine's.
    pub runner: Option<PathBuf>,
}

impl Binary {
    /// An executable file on this machine, as is.
    pub(crate) fn from_path(path: &Path) -> Result<Binary, HostError> {
        let bytes = std::fs::read(path).map_err(|err| HostError::Code {
            function: path.display().to_string(),
            detail: format!("could not read it: {err}"),
        })?;
        let cpu =
            (bootstrap::elf_arch(&bytes).map(Arch::cpu)).map_err(|problem| HostError::Code {
                function: path.display().to_string(),
                detail: problem.to_string(),
            })?;
        Ok(Binary {
            path: path.to_owned(),
            sha256: crate::artifacts::sha256_hex(&bytes),
            origin: path.display().to_string(),
            runner: runner_for(cpu)?,
            cpu: cpu.to_owned(),
        })
    }

    /// How the process starts: the executable, or qemu with it as its first argument.
    pub(crate) fn command(&self) -> tokio::process::Command {
        match &self.runner {
            Some(qemu) => {
                let mut command = tokio::process::Command::new(qemu);
                command.arg(&self.path);
                command
            }
            None => tokio::process::Command::new(&self.path),
        }
    }

    /// `bootstrap from s3://… (sha256 …), under qemu-aarch64-static`, for people.
    pub(crate) fn describe(&self) -> String {
        let short = &self.sha256[..self.sha256.len().min(12)];
        match &self.runner {
            Some(qemu) => format!(
                "{} ({} build, sha256 {short}…), under {}",
                self.origin,
                self.cpu,
                qemu.file_name().unwrap_or_default().to_string_lossy()
            ),
            None => format!("{} ({} build, sha256 {short}…)", self.origin, self.cpu),
        }
    }
}

/// Where the deployed zip is, and what Lambda says its SHA-256 is.
pub(crate) struct DeployedZip<'a> {
    pub(crate) function: &'a str,
    pub(crate) bucket: &'a str,
    pub(crate) key: &'a str,
    /// The function configuration's `CodeSha256`: base64 of the zip's SHA-256.
    pub(crate) code_sha256: &'a str,
}

/// Reads the deployed zip back from S3, checks it is the one the function was deployed from,
/// and unpacks its `bootstrap` (mode 0755) into `dir`.
pub(crate) async fn fetch_deployed(
    s3: &aws_sdk_s3::Client,
    zip: &DeployedZip<'_>,
    dir: &Path,
) -> Result<Binary, HostError> {
    let origin = format!("s3://{}/{}", zip.bucket, zip.key);
    let failed = |detail: String| HostError::Code {
        function: zip.function.to_owned(),
        detail,
    };
    let object = s3
        .get_object()
        .bucket(zip.bucket)
        .key(zip.key)
        .send()
        .await
        .map_err(|err| {
            failed(format!(
                "could not read its code at {origin}: {}",
                aws_sdk_s3::error::DisplayErrorContext(err)
            ))
        })?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|err| failed(format!("could not read its code at {origin}: {err}")))?
        .into_bytes();
    let digest = sha2_digest(&bytes);
    if digest != zip.code_sha256 {
        return Err(failed(format!(
            "{origin} (sha256 {digest}) is not the code the function was deployed with \
             (CodeSha256 {}); run `demo up --local` again",
            zip.code_sha256
        )));
    }
    let bootstrap =
        bootstrap::unzip(&bytes).map_err(|detail| failed(format!("{origin} {detail}")))?;
    let cpu = (bootstrap::elf_arch(&bootstrap).map(Arch::cpu)).map_err(|detail| {
        failed(format!(
            "the bootstrap in {origin} {detail}; deploy a real build with `demo up --local`"
        ))
    })?;
    let path = dir.join(zip.function).join("bootstrap");
    write_executable(&path, &bootstrap).map_err(|err| {
        failed(format!(
            "could not unpack its bootstrap to {}: {err}",
            path.display()
        ))
    })?;
    Ok(Binary {
        path,
        sha256: crate::artifacts::sha256_hex(&bootstrap),
        origin,
        runner: runner_for(cpu)?,
        cpu: cpu.to_owned(),
    })
}

/// Base64 of the SHA-256, as Lambda's `CodeSha256`.
fn sha2_digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(bytes))
}

fn write_executable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // A fresh name, renamed into place: a process still running the previous file keeps it.
    let staging = path.with_extension("new");
    std::fs::write(&staging, bytes)?;
    std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&staging, path)
}

/// None when this machine runs `cpu` itself; else the qemu-user emulator for it.
fn runner_for(cpu: &str) -> Result<Option<PathBuf>, HostError> {
    if cpu == std::env::consts::ARCH {
        return Ok(None);
    }
    let candidates = [format!("qemu-{cpu}-static"), format!("qemu-{cpu}")];
    candidates
        .iter()
        .find_map(|name| which::which(name).ok())
        .map(Some)
        .ok_or_else(|| HostError::NoEmulator {
            cpu: cpu.to_owned(),
            tried: candidates.join(" or "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machines_cpu_needs_no_emulator() {
        assert_eq!(runner_for(std::env::consts::ARCH).unwrap(), None);
    }

    #[test]
    fn lambdas_code_sha256_is_base64_of_the_zips_digest() {
        // sha256("") in base64, as Lambda reports CodeSha256.
        assert_eq!(
            sha2_digest(b""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
