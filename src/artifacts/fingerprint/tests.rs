//! The fingerprint's unit tests: which changes it sees, which it ignores, and when zips are reused.

use super::*;

/// A workspace with a function's source, the manifests and a lock file.
fn workspace() -> (tempfile::TempDir, Workspace) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let write = |relative: &str, content: &str| {
        let path = root.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    };
    write("Cargo.toml", "[workspace]\n");
    write("Cargo.lock", "version = 4\n");
    write("functions/put-item/Cargo.toml", "[package]\n");
    write("functions/put-item/src/main.rs", "fn main() {}\n");
    write("functions/orders/src/lib.rs", "pub struct Order;\n");
    let workspace = Workspace {
        target_dir: root.join("target"),
        root,
    };
    (dir, workspace)
}

fn inputs<'a>(workspace: &'a Workspace, cargo_env: &'a CrossEnv) -> Inputs<'a> {
    Inputs {
        workspace,
        arch: Arch::Arm64,
        cargo_env,
        rustc_version: "rustc 1.95.0 (abc 2026-01-01)\nhost: x86_64-unknown-linux-gnu\n".into(),
        build_env: Vec::new(),
        zipper: "/usr/bin/demo Some(1) None".into(),
    }
}

#[test]
fn an_edit_to_any_input_changes_the_fingerprint() {
    let (_dir, workspace) = workspace();
    let env = CrossEnv::new();
    let first = compute(&inputs(&workspace, &env)).unwrap();
    assert_eq!(first, compute(&inputs(&workspace, &env)).unwrap());

    let main = workspace.root.join("functions/put-item/src/main.rs");
    fs::write(&main, "fn main() { println!(); }\n").unwrap();
    let edited = compute(&inputs(&workspace, &env)).unwrap();
    assert_ne!(first, edited, "a source edit");
    fs::write(&main, "fn main() {}\n").unwrap();
    assert_eq!(first, compute(&inputs(&workspace, &env)).unwrap(), "undone");

    fs::write(workspace.root.join("Cargo.lock"), "version = 3\n").unwrap();
    let locked = compute(&inputs(&workspace, &env)).unwrap();
    assert_ne!(first, locked, "the lock file");

    let mut other = inputs(&workspace, &env);
    other.rustc_version = other.rustc_version.replace("1.95.0", "1.96.0");
    assert_ne!(locked, compute(&other).unwrap(), "the compiler");
    let mut other = inputs(&workspace, &env);
    other.arch = Arch::X86_64;
    assert_ne!(locked, compute(&other).unwrap(), "the target");
    let mut other = inputs(&workspace, &env);
    other.build_env = vec![("CARGO_PROFILE_LAMBDA_OPT_LEVEL".into(), "3".into())];
    assert_ne!(locked, compute(&other).unwrap(), "a profile override");
    let linker = vec![("CARGO_TARGET_X_LINKER".into(), "clang".into())];
    assert_ne!(
        locked,
        compute(&inputs(&workspace, &linker)).unwrap(),
        "the linker"
    );
}

#[test]
fn a_new_file_counts_but_hidden_and_target_directories_do_not() {
    let (_dir, workspace) = workspace();
    let env = CrossEnv::new();
    let first = compute(&inputs(&workspace, &env)).unwrap();
    let functions = workspace.root.join("functions");
    fs::create_dir_all(functions.join("put-item/target/debug")).unwrap();
    fs::write(functions.join("put-item/target/debug/x"), "build output").unwrap();
    fs::write(functions.join(".DS_Store"), "finder").unwrap();
    assert_eq!(first, compute(&inputs(&workspace, &env)).unwrap());
    fs::write(functions.join("put-item/src/write.rs"), "").unwrap();
    assert_ne!(first, compute(&inputs(&workspace, &env)).unwrap());
}

#[test]
fn moving_bytes_between_fields_changes_the_fingerprint() {
    let (_dir, workspace) = workspace();
    let one = vec![("CC_x".to_owned(), "ab".to_owned())];
    let two = vec![("CC_xa".to_owned(), "b".to_owned())];
    assert_ne!(
        compute(&inputs(&workspace, &one)).unwrap(),
        compute(&inputs(&workspace, &two)).unwrap()
    );
}

/// Zips as a build leaves them: `<out>/<function>/bootstrap.zip`, recorded with `fingerprint`.
fn saved_build(out_dir: &Path, fingerprint: &Fingerprint) -> Vec<Artifact> {
    let artifacts: Vec<Artifact> = crate::artifacts::FUNCTIONS
        .iter()
        .map(|function| {
            let path = out_dir.join(function).join("bootstrap.zip");
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, function.as_bytes()).unwrap();
            Artifact {
                function: (*function).to_owned(),
                arch: Arch::Arm64,
                size: function.len() as u64,
                sha256: crate::artifacts::sha256_hex(function.as_bytes()),
                path,
            }
        })
        .collect();
    save(out_dir, fingerprint, &artifacts).unwrap();
    artifacts
}

#[test]
fn zips_are_reused_only_for_the_recorded_fingerprint_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("lambda/arm64");
    let fingerprint = Fingerprint("f1".repeat(32));
    assert_eq!(
        reusable(&out_dir, Arch::Arm64, &fingerprint),
        None,
        "no record"
    );

    let artifacts = saved_build(&out_dir, &fingerprint);
    assert_eq!(
        reusable(&out_dir, Arch::Arm64, &fingerprint),
        Some(artifacts.clone())
    );
    let other = Fingerprint("e2".repeat(32));
    assert_eq!(
        reusable(&out_dir, Arch::Arm64, &other),
        None,
        "other inputs"
    );

    fs::write(&artifacts[1].path, b"replaced").unwrap();
    assert_eq!(
        reusable(&out_dir, Arch::Arm64, &fingerprint),
        None,
        "a zip changed since"
    );
    fs::remove_file(&artifacts[1].path).unwrap();
    assert_eq!(
        reusable(&out_dir, Arch::Arm64, &fingerprint),
        None,
        "a zip is gone"
    );
}

#[test]
fn only_the_build_variables_are_taken_sorted() {
    let vars = [
        ("PATH", "/usr/bin"),
        ("RUSTFLAGS", "-C opt-level=1"),
        ("CC_aarch64_unknown_linux_musl", "clang"),
        ("CARGO", "/usr/bin/cargo"),
        ("CARGO_PKG_NAME", "demo"),
        ("CARGO_PROFILE_LAMBDA_LTO", "thin"),
        ("CCACHE_DIR", "/tmp"),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let names: Vec<String> = build_env(vars.into_iter())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        names,
        [
            "CARGO_PROFILE_LAMBDA_LTO",
            "CC_aarch64_unknown_linux_musl",
            "RUSTFLAGS"
        ]
    );
}
