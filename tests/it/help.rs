//! The help texts, as people read them: a change to a flag or its wording shows up here for
//! review (`cargo insta review`).

use std::process::Command;

fn help(args: &[&str]) -> String {
    // No environment: the texts show `[env: DEMO_…=]` values, and the terminal width wraps them.
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env_clear()
        .args(args)
        .output()
        .expect("run demo");
    assert!(output.status.success(), "{args:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn command_help() {
    for command in [
        "up", "down", "status", "tune", "load", "verify", "report", "build", "failures", "serve",
    ] {
        insta::assert_snapshot!(format!("{command}_help"), help(&[command, "--help"]));
    }
}
