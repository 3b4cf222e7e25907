//! Finds or starts the moto emulator the integration tests run against.
//!
//! `DEMO_EMULATOR_URL` wins (CI starts one moto for the whole run). Otherwise the first test to
//! ask starts `moto_server` from the project's `.venv` (or PATH) on a free port, once per test
//! binary; the server dies with the test process. Tests share it and isolate themselves with
//! unique resource names rather than resets, so they can run in parallel.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// A running emulator.
pub struct Emulator {
    pub url: String,
}

const INSTALL_HINT: &str = "the integration tests need the moto emulator: run `scripts/setup` \
     (or `python3 -m venv .venv && .venv/bin/pip install 'moto[server]==5.2.5'`), \
     or point DEMO_EMULATOR_URL at a running one";

/// The emulator for this test process, started on first use.
pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let url = match std::env::var("DEMO_EMULATOR_URL") {
            Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_owned(),
            _ => start_moto(),
        };
        wait_until_answering(&url);
        Emulator { url }
    })
}

/// SDK configuration for the emulator: fixed region, dummy credentials.
pub async fn sdk_config() -> SdkConfig {
    let credentials =
        aws_sdk_kinesis::config::Credentials::new("testing", "testing", None, None, "tests");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("ap-southeast-2"))
        .endpoint_url(&emulator().url)
        .credentials_provider(credentials)
        .load()
        .await
}

/// A resource name no other test in this run uses.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn moto_server() -> PathBuf {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    if local.exists() {
        return local;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("moto_server"))
        .find(|candidate| candidate.exists());
    on_path.unwrap_or_else(|| panic!("{INSTALL_HINT}"))
}

/// Starts moto from a thread that lives as long as the process, so that the parent-death signal
/// (which follows the spawning thread) only fires when the test process ends.
fn start_moto() -> String {
    let binary = moto_server();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port();
    let (started, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut command = Command::new(&binary);
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        die_with_parent(&mut command);
        let spawned = command.spawn();
        let ok = spawned.is_ok();
        started
            .send(
                spawned
                    .map(|_| ())
                    .map_err(|err| format!("{}: {err}", binary.display())),
            )
            .ok();
        if ok {
            loop {
                std::thread::park();
            }
        }
    });
    if let Err(err) = result.recv().expect("moto starter thread") {
        panic!("could not start moto ({err}); {INSTALL_HINT}");
    }
    format!("http://127.0.0.1:{port}")
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_command: &mut Command) {}

fn wait_until_answering(url: &str) {
    let address = url.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(address).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the emulator at {url} did not answer within 20 s; {INSTALL_HINT}");
}
