//! `--local`: find the emulator, or install and start moto, so the demo runs with no AWS account.
//!
//! The emulator at `DEMO_EMULATOR_URL` wins; otherwise moto (pinned) is installed on first use
//! into the project's `.venv` and started on 127.0.0.1 in the background, where it keeps running
//! for the next commands (`demo status --local`, `demo down --local`).

use crate::terminal;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The emulator the tool installs and starts.
const MOTO_REQUIREMENT: &str = "moto[server]==5.2.5";
/// Where it listens unless `DEMO_EMULATOR_URL` says otherwise.
const DEFAULT_URL: &str = "http://127.0.0.1:4599";

#[derive(Debug, thiserror::Error)]
pub(crate) enum EmulatorError {
    #[error("DEMO_EMULATOR_URL={0:?} is not a URL like http://127.0.0.1:4599")]
    BadUrl(String),
    #[error(
        "nothing answers at {url} and the tool only starts moto on 127.0.0.1; start your \
         emulator there, or unset DEMO_EMULATOR_URL"
    )]
    NotLocal { url: String },
    #[error(
        "could not {action}: {detail}\n  fix: install Python 3 with venv and pip (Debian: `apt-get install python3-venv`), then retry"
    )]
    Install { action: String, detail: String },
    #[error("moto did not answer at {url} within {seconds} s; its log is {log}")]
    NoAnswer {
        url: String,
        seconds: u64,
        log: String,
    },
}

/// Where the emulator is.
#[derive(Debug, Clone)]
pub(crate) struct Emulator {
    pub(crate) url: String,
}

/// Returns a running emulator, starting moto if nothing answers at the configured URL.
pub(crate) fn ensure_running() -> Result<Emulator, EmulatorError> {
    let url = std::env::var("DEMO_EMULATOR_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    let url = url.trim_end_matches('/').to_owned();
    let address = socket_address(&url)?;
    if answers(address) {
        return Ok(Emulator { url });
    }
    if !address.ip().is_loopback() {
        return Err(EmulatorError::NotLocal { url });
    }
    let root = project_root();
    let moto = install_moto(&root)?;
    let log = root.join("target").join("moto.log");
    let pid = start_moto(&moto, address.port(), &log)?;
    wait_until_answering(&url, address, &log)?;
    terminal::note(format!(
        "started moto at {url} (pid {pid}); it keeps running for later commands — stop it with `kill {pid}`"
    ));
    Ok(Emulator { url })
}

fn socket_address(url: &str) -> Result<SocketAddr, EmulatorError> {
    let bad = || EmulatorError::BadUrl(url.to_owned());
    let host_port = url.strip_prefix("http://").ok_or_else(bad)?;
    let host_port = host_port.split('/').next().unwrap_or_default();
    host_port
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

fn answers(address: SocketAddr) -> bool {
    TcpStream::connect_timeout(&address, Duration::from_millis(300)).is_ok()
}

/// The checkout the tool was built from: it holds `.venv` and `target/`.
fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn install_moto(root: &Path) -> Result<PathBuf, EmulatorError> {
    let venv = root.join(".venv");
    let moto = venv.join("bin").join("moto_server");
    if moto.exists() {
        return Ok(moto);
    }
    terminal::note(format!(
        "installing {MOTO_REQUIREMENT} into {} (first use only)…",
        venv.display()
    ));
    run(
        Command::new("python3").args(["-m", "venv"]).arg(&venv),
        "create a Python virtualenv",
    )?;
    run(
        Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", MOTO_REQUIREMENT]),
        &format!("pip install {MOTO_REQUIREMENT}"),
    )?;
    Ok(moto)
}

fn run(command: &mut Command, action: &str) -> Result<(), EmulatorError> {
    let failed = |detail: String| EmulatorError::Install {
        action: action.to_owned(),
        detail,
    };
    let status = command.status().map_err(|err| failed(err.to_string()))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("exited with {status}")))
    }
}

fn start_moto(moto: &Path, port: u16, log: &Path) -> Result<u32, EmulatorError> {
    use std::os::unix::process::CommandExt;
    let failed = |detail: String| EmulatorError::Install {
        action: "start moto".into(),
        detail,
    };
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|err| failed(err.to_string()))?;
    }
    let log_file = std::fs::File::create(log).map_err(|err| failed(err.to_string()))?;
    let child = Command::new(moto)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(
            log_file
                .try_clone()
                .map_err(|err| failed(err.to_string()))?,
        )
        .stderr(log_file)
        // Its own process group: a Ctrl-C in this terminal stops `demo`, not the emulator.
        .process_group(0)
        .spawn()
        .map_err(|err| failed(format!("{}: {err}", moto.display())))?;
    Ok(child.id())
}

fn wait_until_answering(url: &str, address: SocketAddr, log: &Path) -> Result<(), EmulatorError> {
    let limit = Duration::from_secs(30);
    let started = Instant::now();
    while started.elapsed() < limit {
        if answers(address) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(EmulatorError::NoAnswer {
        url: url.to_owned(),
        seconds: limit.as_secs(),
        log: log.display().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_to_socket_addresses() {
        assert_eq!(
            socket_address("http://127.0.0.1:4599").unwrap().port(),
            4599
        );
        assert_eq!(
            socket_address("http://127.0.0.1:5000/").unwrap().port(),
            5000
        );
        assert!(socket_address("https://127.0.0.1:4599").is_err());
        assert!(socket_address("127.0.0.1:4599").is_err());
        assert!(
            socket_address("http://127.0.0.1").is_err(),
            "a port is required"
        );
    }
}
