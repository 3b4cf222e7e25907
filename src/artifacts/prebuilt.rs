//! Artifacts built earlier (`demo build`, or CI): read from a directory instead of building,
//! so one build can be deployed many times.

use std::path::Path;

use super::{Arch, Artifact, BuildError, FUNCTIONS};

/// Reads `<dir>/<function>/bootstrap.zip` for every function.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_hashes_every_function_and_names_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("put-record")).unwrap();
        std::fs::write(dir.path().join("put-record/bootstrap.zip"), b"abc").unwrap();
        let err = from_dir(dir.path(), Arch::Arm64).unwrap_err();
        assert!(err.to_string().contains("put-item"), "{err}");

        std::fs::create_dir_all(dir.path().join("put-item")).unwrap();
        std::fs::write(dir.path().join("put-item/bootstrap.zip"), b"").unwrap();
        let artifacts = from_dir(dir.path(), Arch::Arm64).unwrap();
        assert_eq!(
            artifacts[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(artifacts[0].size, 3);
        assert_eq!(artifacts[1].size, 0);
    }
}
