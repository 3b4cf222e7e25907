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
        "up",
        "down",
        "status",
        "tune",
        "load",
        "verify",
        "report",
        "build",
        "failures",
        "serve",
        "completions",
        "sweep",
        "logs",
        "invoke",
    ] {
        insta::assert_snapshot!(format!("{command}_help"), help(&[command, "--help"]));
    }
}

/// Each shell's script names every command, so a new command is completed without more work.
#[test]
fn completions_cover_every_command_in_each_shell() {
    for (shell, opening) in [
        ("bash", "_demo()"),
        ("zsh", "#compdef demo"),
        ("fish", "complete -c demo"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = help(&["completions", shell]);
        assert!(script.contains(opening), "{shell}: {script:.200}");
        for command in [
            "up",
            "tune",
            "load",
            "failures",
            "serve",
            "completions",
            "logs",
            "invoke",
        ] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
        assert!(script.contains("batch-size"), "{shell} lacks tune's flags");
    }
    let unknown = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("possible values"));
}
