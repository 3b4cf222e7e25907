//! `demo build` through the real binary: reproducible zips of static aarch64 binaries, and
//! errors that name the fix. `invoke` runs the built bootstraps.

use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

use serde_json::Value;
use sha2::{Digest, Sha256};

mod fingerprint;
mod invoke;

const DEMO: &str = env!("CARGO_BIN_EXE_demo");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TRIPLE: &str = "aarch64-unknown-linux-musl";
const FUNCTIONS: [&str; 2] = ["put-record", "put-item"];
/// The cargo profile `demo build` builds the functions with.
const PROFILE: &str = "lambda";

/// Builds share the target directory and the zips: one test builds at a time.
pub static BUILDS: Mutex<()> = Mutex::new(());

fn demo() -> Command {
    let mut command = Command::new(DEMO);
    command.current_dir(ROOT).stdin(Stdio::null());
    command
}

/// Where cargo puts its output: `$CARGO_TARGET_DIR`, else `target/` in the workspace.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| Path::new(ROOT).join(dir))
        .unwrap_or_else(|| Path::new(ROOT).join("target"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `demo build --output json` for arm64; the artifacts it reports, by function.
pub fn build_arm64() -> Vec<Value> {
    artifacts_of(&build_arm64_with(&[]))
}

/// `demo -v build --output json` for arm64 with `env` set; its output, stderr captured.
fn build_arm64_with(env: &[(&str, &str)]) -> Output {
    let output = demo()
        .args(["-v", "build", "--output", "json"])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(output.status.success(), "demo build failed: {output:?}");
    output
}

/// The artifacts a `demo build --output json` reports, checked to be the functions in order.
fn artifacts_of(output: &Output) -> Vec<Value> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let artifacts = report["artifacts"].as_array().unwrap().clone();
    let functions: Vec<&str> = artifacts
        .iter()
        .map(|a| a["function"].as_str().unwrap())
        .collect();
    assert_eq!(functions, FUNCTIONS);
    artifacts
}

/// The `bootstrap` inside a zip, after checking the zip's one entry and its metadata.
pub fn bootstrap_of(zip_path: &Path) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(fs::read(zip_path).unwrap())).unwrap();
    assert_eq!(
        archive.len(),
        1,
        "{}: exactly one entry",
        zip_path.display()
    );
    let mut entry = archive.by_index(0).unwrap();
    assert_eq!(&*entry.name().unwrap(), "bootstrap");
    let mode = entry.unix_mode().expect("a unix mode");
    assert_eq!(mode & 0o777, 0o755, "mode {mode:o}");
    assert!(
        mode & 0o170000 == 0 || mode & 0o170000 == 0o100000,
        "a regular file: {mode:o}"
    );
    assert_eq!(entry.last_modified(), Some(zip::DateTime::default()));
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).unwrap();
    bytes
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn two_builds_give_byte_identical_zips() {
    let _build = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let first = build_arm64();
    // Throw away the functions' compiled crates and binaries so the second build really
    // recompiles and relinks them rather than reusing the first build's output.
    let clean = Command::new(env!("CARGO"))
        .current_dir(ROOT)
        .args(["clean", "--profile", PROFILE, "--target", TRIPLE])
        .args(FUNCTIONS.iter().flat_map(|f| ["-p", f]))
        .status()
        .unwrap();
    assert!(clean.success());
    let target_dir = target_dir();
    let binary = target_dir.join(TRIPLE).join(PROFILE).join("put-item");
    assert!(!binary.exists(), "cargo clean removed {}", binary.display());
    // The inputs are the same, so only this switch makes `demo build` run cargo again.
    let second = build_arm64_with(&[("DEMO_NO_FINGERPRINT", "1")]);
    assert!(
        stderr(&second).contains("Compiling put-item"),
        "cargo rebuilt the functions: {}",
        stderr(&second)
    );
    let second = artifacts_of(&second);

    for (one, two) in first.iter().zip(&second) {
        assert_eq!(one["sha256"], two["sha256"], "{}", one["function"]);
        let path = PathBuf::from(two["path"].as_str().unwrap());
        assert_eq!(
            path,
            target_dir.join(format!(
                "lambda/arm64/{}/bootstrap.zip",
                two["function"].as_str().unwrap()
            ))
        );
        let bytes = fs::read(&path).unwrap();
        let sha256 = sha256_hex(&bytes);
        assert_eq!(two["sha256"], sha256.as_str());
        assert_eq!(two["size"], bytes.len() as u64);
        assert_eq!(
            fs::read_to_string(path.with_file_name("bootstrap.zip.sha256")).unwrap(),
            format!("{sha256}  bootstrap.zip\n")
        );
    }
}

#[test]
fn zips_hold_one_static_aarch64_bootstrap_without_machine_paths() {
    let artifacts = {
        let _build = BUILDS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        build_arm64()
    };
    let cargo_home = std::env::var("CARGO_HOME")
        .unwrap_or_else(|_| format!("{}/.cargo", std::env::var("HOME").unwrap()));
    for artifact in &artifacts {
        let elf = bootstrap_of(Path::new(artifact["path"].as_str().unwrap()));
        assert_static_aarch64_elf(&elf);
        for machine_path in [ROOT, cargo_home.as_str()] {
            assert!(
                !contains(&elf, machine_path.as_bytes()),
                "{} embeds {machine_path}: the build is not path-independent",
                artifact["function"]
            );
        }
    }
}

/// The shipped functions carry no emulator workaround and no fault injection (the local runner
/// takes PutRecord turns and injects faults from outside): no word of moto, of the runner's
/// turn-taking, or of a test switch in either binary.
#[test]
fn the_shipped_functions_carry_no_emulator_or_test_code() {
    let artifacts = {
        let _build = BUILDS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        build_arm64()
    };
    for artifact in &artifacts {
        let elf = bootstrap_of(Path::new(artifact["path"].as_str().unwrap()));
        for word in [
            "moto",
            "emulator",
            "DEMO_",
            "PANIC_IN_HANDLER",
            "in_turn",
            "put_turn",
        ] {
            assert!(
                !contains(&elf, word.as_bytes()),
                "{} contains {word:?}",
                artifact["function"]
            );
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// 64-bit little-endian ELF for aarch64 (e_machine 183) with no PT_INTERP: nothing to load it.
fn assert_static_aarch64_elf(elf: &[u8]) {
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "ELFCLASS64");
    assert_eq!(elf[5], 1, "little endian");
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
    assert_eq!(u16_at(18), 183, "e_machine EM_AARCH64");
    let (phoff, phentsize, phnum) = (u64_at(32) as usize, u16_at(54) as usize, u16_at(56));
    assert!(phnum > 0);
    const PT_INTERP: u32 = 3;
    for i in 0..usize::from(phnum) {
        assert_ne!(
            u32_at(phoff + i * phentsize),
            PT_INTERP,
            "a dynamic loader is requested"
        );
    }
}

#[test]
fn an_unknown_arch_is_a_usage_error() {
    let output = demo().args(["build", "--arch", "bogus"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = stderr(&output);
    assert!(
        stderr.contains("invalid value 'bogus' for '--arch"),
        "{stderr}"
    );
    assert!(
        stderr.contains("arm64") && stderr.contains("x86_64"),
        "{stderr}"
    );
}

#[test]
fn a_missing_rust_target_names_the_rustup_command() {
    // A rustc whose sysroot has no targets: `echo --print sysroot` prints a sysroot that does
    // not exist. (Not a script written here: another test's fork can still hold the script's
    // write handle when `demo` executes it, and Linux then refuses with "Text file busy".)
    let fake_rustc = which::which("echo").unwrap();
    let output = demo()
        .arg("build")
        .env("RUSTC", &fake_rustc)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = stderr(&output);
    assert!(
        stderr.contains("rustup target add aarch64-unknown-linux-musl"),
        "{stderr}"
    );
    assert!(!stderr.contains("backtrace"), "{stderr}");
}

/// On an x86_64 host both targets need a C toolchain beyond rustc's: hide it from PATH.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn a_missing_cross_linker_names_the_install_command() {
    let bin = tempfile::tempdir().unwrap();
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .unwrap();
    let sysroot = PathBuf::from(String::from_utf8(sysroot.stdout).unwrap().trim());
    std::os::unix::fs::symlink(sysroot.join("bin/rustc"), bin.path().join("rustc")).unwrap();
    std::os::unix::fs::symlink(env!("CARGO"), bin.path().join("cargo")).unwrap();
    for (arch, install) in [
        (
            "arm64",
            "sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
        ),
        ("x86_64", "sudo apt-get install musl-tools"),
    ] {
        let mut command = demo();
        command
            .args(["build", "--arch", arch])
            .env("PATH", bin.path())
            .env_remove("RUSTC");
        for triple in ["aarch64_unknown_linux_musl", "x86_64_unknown_linux_musl"] {
            command
                .env_remove(format!("CARGO_TARGET_{}_LINKER", triple.to_uppercase()))
                .env_remove(format!("CC_{triple}"))
                .env_remove(format!("AR_{triple}"));
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{arch}: {output:?}");
        let stderr = stderr(&output);
        assert!(stderr.contains(install), "{arch}: {stderr}");
        assert!(stderr.contains("cargo zigbuild"), "{arch}: {stderr}");
        assert!(
            !stderr.contains("Compiling"),
            "stops before cargo: {stderr}"
        );
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}
