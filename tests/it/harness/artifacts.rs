//! Real code for the tests that run the functions offline: the functions' zips (`demo build`,
//! once per test run; the build fingerprint makes it free when nothing changed), and the
//! test-only function (`tests/test-function`, built with the functions' `lambda` profile), which
//! misbehaves on request.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A directory of this run's real zips, `<function>/bootstrap.zip`, as `up --artifacts` takes
/// them. Copied out of the build directory, so a later build cannot change them under a test.
pub fn real_artifacts() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let artifacts = {
            let _build = crate::build::BUILDS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            crate::build::build_arm64()
        };
        let dir = tempfile::tempdir().unwrap();
        for artifact in artifacts {
            let function = artifact["function"].as_str().unwrap();
            let to = dir.path().join(function).join("bootstrap.zip");
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(artifact["path"].as_str().unwrap(), &to).unwrap();
        }
        dir
    })
    .path()
}

/// The test-only function's executable, built for this machine with the `lambda` profile.
pub fn test_function() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let output = Command::new(env!("CARGO"))
            .current_dir(ROOT)
            .args([
                "build",
                "--quiet",
                "--profile",
                "lambda",
                "-p",
                "test-function",
            ])
            .args(["--message-format", "json"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "building the test function failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .find_map(|message| {
                let executable = message["executable"].as_str()?;
                (message["target"]["name"] == "test-function").then(|| PathBuf::from(executable))
            })
            .expect("cargo names the test function's executable")
    })
}
