//! The Rust target and the cross C compiler/linker a Lambda target needs on this host.
//!
//! The linker and C compiler are handed to cargo through environment variables on the child
//! process (not a committed `.cargo/config.toml`), so a machine with a different toolchain, or
//! a native aarch64 host, needs no edit to the repository.

use std::path::PathBuf;
use std::process::Command;

use super::{Arch, BuildError};

/// The machine the build runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    pub(crate) os: &'static str,
    pub(crate) cpu: &'static str,
}

impl Host {
    pub(crate) fn current() -> Self {
        Self {
            os: std::env::consts::OS,
            cpu: std::env::consts::ARCH,
        }
    }
}

/// What the toolchain decisions read from the machine; faked in unit tests.
pub(crate) trait Probe {
    fn var(&self, name: &str) -> Option<String>;
    fn has_program(&self, program: &str) -> bool;
}

/// The real environment and PATH.
pub(crate) struct SystemProbe;

impl Probe for SystemProbe {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn has_program(&self, program: &str) -> bool {
        which::which(program).is_ok()
    }
}

/// Environment variables to set on the cargo child so it links and compiles C for the target.
pub(crate) type CrossEnv = Vec<(String, String)>;

/// Programs a target needs beyond rustc, and the package that brings them.
struct Needs {
    linker: Option<&'static str>,
    cc: Option<&'static str>,
    ar: Option<&'static str>,
    install: &'static str,
}

fn needs(arch: Arch, host: &Host) -> Needs {
    let native = host.os == "linux" && host.cpu == arch.cpu();
    match (arch, native) {
        // rustc's self-contained musl linking works with the host `cc`; the C parts of the TLS
        // crates compile with it too.
        (Arch::Arm64, true) => Needs {
            linker: None,
            cc: None,
            ar: None,
            install: "",
        },
        (Arch::Arm64, false) => Needs {
            linker: Some("aarch64-linux-gnu-gcc"),
            cc: Some("aarch64-linux-gnu-gcc"),
            ar: Some("aarch64-linux-gnu-ar"),
            install: "sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
        },
        (Arch::X86_64, true) => Needs {
            linker: None,
            cc: Some("musl-gcc"),
            ar: None,
            install: "sudo apt-get install musl-tools",
        },
        (Arch::X86_64, false) => Needs {
            linker: Some("x86_64-linux-gnu-gcc"),
            cc: Some("x86_64-linux-gnu-gcc"),
            ar: Some("x86_64-linux-gnu-ar"),
            install: "sudo apt-get install gcc-x86-64-linux-gnu libc6-dev-amd64-cross",
        },
    }
}

/// The linker/CC/AR variables for `arch` on `host`, after checking each program is on PATH.
///
/// A variable the user already set is kept (and its program checked instead of ours).
pub(crate) fn cross_env(
    arch: Arch,
    host: &Host,
    probe: &dyn Probe,
) -> Result<CrossEnv, BuildError> {
    let triple = arch.triple();
    let needs = needs(arch, host);
    let cargo_triple = triple.to_uppercase().replace('-', "_");
    let cc_triple = triple.replace('-', "_");
    let wanted = [
        (format!("CARGO_TARGET_{cargo_triple}_LINKER"), needs.linker),
        (format!("CC_{cc_triple}"), needs.cc),
        (format!("AR_{cc_triple}"), needs.ar),
    ];
    let mut env = CrossEnv::new();
    for (name, default) in wanted {
        let (program, ours) = match (probe.var(&name), default) {
            (Some(user), _) => (user, false),
            (None, Some(default)) => (default.to_owned(), true),
            (None, None) => continue,
        };
        // `CC` may carry a wrapper and flags ("ccache aarch64-linux-gnu-gcc"): check the first word.
        let first = program.split_whitespace().next().unwrap_or_default();
        if !probe.has_program(first) {
            return Err(BuildError::ToolMissing {
                tool: first.to_owned(),
                triple: triple.to_owned(),
                install: if ours || !needs.install.is_empty() {
                    needs.install.to_owned()
                } else {
                    format!("install `{first}` or unset {name}")
                },
            });
        }
        if ours {
            env.push((name, program));
        }
    }
    Ok(env)
}

/// Stop early, with the fix, when the Rust standard library for `triple` is not installed.
///
/// Looks in `rustc --print sysroot`, so it works with and without rustup.
pub(crate) fn check_target_installed(triple: &str) -> Result<(), BuildError> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_error = |source| BuildError::Rustc {
        rustc: rustc.clone(),
        source,
    };
    let output = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .map_err(rustc_error)?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        return Err(rustc_error(std::io::Error::other(stderr)));
    }
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    let std_dir = sysroot.join("lib/rustlib").join(triple).join("lib");
    tracing::debug!(path = %std_dir.display(), "looking for the target's standard library");
    if std_dir.is_dir() {
        Ok(())
    } else {
        Err(BuildError::TargetMissing {
            triple: triple.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct FakeProbe {
        vars: HashMap<&'static str, &'static str>,
        programs: Vec<&'static str>,
    }

    impl Probe for FakeProbe {
        fn var(&self, name: &str) -> Option<String> {
            self.vars.get(name).map(|v| v.to_string())
        }
        fn has_program(&self, program: &str) -> bool {
            self.programs.contains(&program)
        }
    }

    fn probe(programs: &[&'static str]) -> FakeProbe {
        FakeProbe {
            vars: HashMap::new(),
            programs: programs.to_vec(),
        }
    }

    const X86_LINUX: Host = Host {
        os: "linux",
        cpu: "x86_64",
    };
    const ARM_LINUX: Host = Host {
        os: "linux",
        cpu: "aarch64",
    };

    #[test]
    fn arm64_on_x86_64_uses_the_debian_cross_gcc() {
        let env = cross_env(
            Arch::Arm64,
            &X86_LINUX,
            &probe(&["aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ar"]),
        )
        .unwrap();
        assert_eq!(
            env,
            [
                (
                    "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER".into(),
                    "aarch64-linux-gnu-gcc".into()
                ),
                (
                    "CC_aarch64_unknown_linux_musl".into(),
                    "aarch64-linux-gnu-gcc".into()
                ),
                (
                    "AR_aarch64_unknown_linux_musl".into(),
                    "aarch64-linux-gnu-ar".into()
                ),
            ]
        );
    }

    #[test]
    fn arm64_on_native_aarch64_needs_nothing() {
        assert_eq!(cross_env(Arch::Arm64, &ARM_LINUX, &probe(&[])).unwrap(), []);
    }

    #[test]
    fn x86_64_on_x86_64_needs_musl_gcc_only_for_c() {
        let env = cross_env(Arch::X86_64, &X86_LINUX, &probe(&["musl-gcc"])).unwrap();
        assert_eq!(
            env,
            [("CC_x86_64_unknown_linux_musl".into(), "musl-gcc".into())]
        );
    }

    #[test]
    fn missing_cross_gcc_names_the_apt_command_and_zigbuild() {
        let err = cross_env(Arch::Arm64, &X86_LINUX, &probe(&[])).unwrap_err();
        assert!(err.is_environment());
        let message = err.to_string();
        assert!(
            message.contains("`aarch64-linux-gnu-gcc` is not on PATH"),
            "{message}"
        );
        assert!(
            message.contains("sudo apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross"),
            "{message}"
        );
        assert!(message.contains("cargo zigbuild"), "{message}");

        let err = cross_env(Arch::X86_64, &X86_LINUX, &probe(&[])).unwrap_err();
        assert!(err.to_string().contains("sudo apt-get install musl-tools"));
    }

    #[test]
    fn a_linker_the_user_set_is_kept_and_checked() {
        let mut fake = probe(&["aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ar", "ccache"]);
        fake.vars.insert(
            "CC_aarch64_unknown_linux_musl",
            "ccache aarch64-linux-gnu-gcc",
        );
        let env = cross_env(Arch::Arm64, &X86_LINUX, &fake).unwrap();
        assert!(
            env.iter()
                .all(|(name, _)| name != "CC_aarch64_unknown_linux_musl")
        );
        assert_eq!(env.len(), 2);

        fake.programs.retain(|p| *p != "ccache");
        let err = cross_env(Arch::Arm64, &X86_LINUX, &fake).unwrap_err();
        assert!(err.to_string().contains("`ccache` is not on PATH"));
    }
}
