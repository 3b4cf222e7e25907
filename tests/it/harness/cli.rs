//! Runs the real `demo` binary against the test emulator.

use std::process::{Command, Output, Stdio};

use super::emulator;

/// `demo` with `--local` pointed at the test emulator, no stdin (as in CI).
pub fn demo_local(stack: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_demo"));
    command
        .env("DEMO_EMULATOR_URL", &emulator().url)
        .env_remove("DEMO_STACK_NAME")
        .env_remove("DEMO_OUTPUT")
        // The tests' real zips are arm64 (run under qemu on x86_64), what AWS runs; offline
        // `up` would otherwise build for this machine (`up_builds_for_this_machine_offline`).
        .env("DEMO_ARCH", "arm64")
        .args(["--local", "--stack-name", stack])
        .stdin(Stdio::null());
    command
}

/// Runs `demo --local --stack-name <stack> <args>` and returns what it printed.
pub fn run_local(stack: &str, args: &[&str]) -> Output {
    demo_local(stack).args(args).output().expect("run demo")
}

/// Runs it, expecting success; panics with its stderr otherwise.
pub fn ok_local(stack: &str, args: &[&str]) -> Output {
    let output = run_local(stack, args);
    assert!(
        output.status.success(),
        "demo {args:?} failed ({}):\n{}",
        output.status,
        text(&output.stderr)
    );
    output
}

/// A command's stdout as JSON; else a failure showing what it printed instead.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}):\n{}\nstderr:\n{}",
            text(&output.stdout),
            text(&output.stderr)
        )
    })
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A stack name no other test uses, within the tool's 38-character limit.
pub fn unique_stack() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("t{}", &id[..12])
}
