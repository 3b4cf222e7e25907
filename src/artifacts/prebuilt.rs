//! Artifacts built earlier (`demo build`, or CI): read from a directory instead of building,
//! so one build can be deployed many times. Each must be a zip with a `bootstrap`, and one
//! built as an ELF for the other architecture is refused before anything is deployed: Lambda
//! would take it and fail every invocation with `exec format error`.

use std::path::Path;

use super::bootstrap::{self, ElfProblem};
use super::{Arch, Artifact, BuildError, FUNCTIONS};

/// Reads `<dir>/<function>/bootstrap.zip` for every function, checking each is code Lambda
/// runs on `arch`.
pub(crate) fn from_dir(dir: &Path, arch: Arch) -> Result<Vec<Artifact>, BuildError> {
    FUNCTIONS
        .iter()
        .map(|function| {
            let path = dir.join(function).join("bootstrap.zip");
            let bytes = std::fs::read(&path).map_err(|source| BuildError::Io {
                action: "read the prebuilt artifact",
                path: path.clone(),
                source,
            })?;
            runs_on(&path, &bytes, arch)?;
            Ok(Artifact {
                function: (*function).to_owned(),
                arch,
                size: bytes.len() as u64,
                sha256: super::sha256_hex(&bytes),
                path,
            })
        })
        .collect()
}

/// Whether the zip at `path` holds a `bootstrap` that runs on `arch`. A bootstrap that is no
/// ELF (a script, which custom runtimes allow) is taken as it is.
fn runs_on(path: &Path, zip: &[u8], arch: Arch) -> Result<(), BuildError> {
    let refuse = |problem: String| BuildError::NotABootstrapZip {
        path: path.to_owned(),
        problem,
    };
    let bootstrap = bootstrap::unzip(zip).map_err(|problem| refuse(problem.to_string()))?;
    match bootstrap::elf_arch(&bootstrap) {
        Ok(built) if built == arch => Ok(()),
        Ok(built) => Err(BuildError::WrongArch {
            path: path.to_owned(),
            built,
            deploying: arch,
        }),
        Err(ElfProblem::NotElf { .. }) => Ok(()),
        Err(problem) => Err(refuse(format!("holds a bootstrap that {problem}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::bootstrap::tests::{elf, zip_of};
    use crate::artifacts::bootstrap::{EM_AARCH64, EM_X86_64};

    fn write(dir: &Path, function: &str, bytes: &[u8]) {
        std::fs::create_dir_all(dir.join(function)).unwrap();
        std::fs::write(dir.join(function).join("bootstrap.zip"), bytes).unwrap();
    }

    #[test]
    fn reads_and_hashes_every_function_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let put_record = zip_of("bootstrap", &elf(EM_AARCH64));
        write(dir.path(), "put-record", &put_record);
        let err = from_dir(dir.path(), Arch::Arm64).unwrap_err();
        assert!(err.to_string().contains("put-item"), "{err}");

        // A script is a bootstrap custom runtimes run, whatever the architecture.
        write(dir.path(), "put-item", &zip_of("bootstrap", b"#!/bin/sh\n"));
        let artifacts = from_dir(dir.path(), Arch::Arm64).unwrap();
        assert_eq!(
            artifacts[0].sha256,
            crate::artifacts::sha256_hex(&put_record)
        );
        assert_eq!(artifacts[0].size, put_record.len() as u64);
        assert_eq!(artifacts[1].function, "put-item");
    }

    #[test]
    fn a_bootstrap_built_for_the_other_architecture_is_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "put-record",
            &zip_of("bootstrap", &elf(EM_X86_64)),
        );
        write(
            dir.path(),
            "put-item",
            &zip_of("bootstrap", &elf(EM_X86_64)),
        );
        assert!(from_dir(dir.path(), Arch::X86_64).is_ok());
        let err = from_dir(dir.path(), Arch::Arm64).unwrap_err();
        assert!(err.is_environment());
        let said = err.to_string();
        assert!(
            said.contains("put-record/bootstrap.zip is built for x86_64"),
            "{said}"
        );
        assert!(said.contains("deployed for arm64"), "{said}");
        assert!(said.contains("--arch x86_64"), "{said}");
        assert!(said.contains("demo build --arch arm64"), "{said}");
    }

    #[test]
    fn a_file_that_is_no_zip_of_a_bootstrap_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "put-record", b"abc");
        write(dir.path(), "put-item", &zip_of("handler", b"x"));
        let not_zip = from_dir(dir.path(), Arch::Arm64).unwrap_err().to_string();
        assert!(
            not_zip.contains("put-record/bootstrap.zip is not a zip"),
            "{not_zip}"
        );
        write(dir.path(), "put-record", &zip_of("bootstrap", &elf(0x28)));
        let arm32 = from_dir(dir.path(), Arch::Arm64).unwrap_err().to_string();
        assert!(arm32.contains("ELF machine 0x28"), "{arm32}");
        write(
            dir.path(),
            "put-record",
            &zip_of("bootstrap", &elf(EM_AARCH64)),
        );
        let no_bootstrap = from_dir(dir.path(), Arch::Arm64).unwrap_err().to_string();
        assert!(
            no_bootstrap.contains("put-item/bootstrap.zip has no `bootstrap`"),
            "{no_bootstrap}"
        );
    }
}
