//! One execution environment: the function's own process, started with the Lambda environment
//! (`AWS_LAMBDA_*`, `_HANDLER`, `LAMBDA_TASK_ROOT`, the function's variables) and nothing of the
//! CLI's, its Runtime API, and its output pipe. It runs one invocation at a time, as a Lambda
//! execution environment does, and is killed when its invocation outlives the function's
//! timeout.

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hyper::body::Bytes;
use tokio::sync::oneshot;

use super::HostError;
use super::code::Binary;
use super::log_pipe::{Destination, LogPipe};
use super::logs::LogLine;
use super::logs::LogSink;
use super::platform;
use super::runtime_api::{Assignment, Channels, OnDeliver, Posted, RuntimeApi, Signal};
use super::spec::FunctionSpec;

/// What every environment of a function shares.
#[derive(Clone)]
pub(crate) struct Blueprint {
    pub(crate) spec: Arc<FunctionSpec>,
    pub(crate) binary: Arc<Binary>,
    /// Variables the local runner adds (the emulator's endpoints).
    pub(crate) extra_env: Arc<Vec<(String, String)>>,
    pub(crate) sink: LogSink,
    pub(crate) generation: u64,
}

/// Why an environment did not answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// The process exited or was killed: `exit status 3`, `signal: killed`.
    Exited(String),
    /// The invocation outlived the timeout; the process was killed.
    TimedOut,
    /// `…/init/error` was posted.
    InitError {
        body: Bytes,
        error_type: Option<String>,
    },
    /// No first `next` within the init limit; the process was killed.
    InitTimedOut,
}

/// One invocation handed to the process.
pub(crate) struct Request {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    /// Kill the process this long after handing it the event (a fault injected from outside).
    pub(crate) kill_after: Option<Duration>,
}

/// What became of it.
pub(crate) struct Answer {
    pub(crate) outcome: Result<Posted, Failure>,
    /// From handing the event over to the answer (or the kill).
    pub(crate) duration: Duration,
}

pub(crate) struct Environment {
    pub(crate) generation: u64,
    pub(crate) stream: Arc<str>,
    pub(crate) pid: Option<u32>,
    /// From starting the process to its first `next`, once it came.
    pub(crate) init: Option<Duration>,
    child: tokio::process::Child,
    channels: Channels,
    pipe: Arc<LogPipe>,
    spawned: Instant,
    timeout: Duration,
    peak_kb: u64,
    _api: RuntimeApi,
}

impl Environment {
    /// Starts the process; it is ready once [`Environment::ready`] says so.
    pub(crate) async fn start(blueprint: &Blueprint) -> Result<Environment, HostError> {
        let spec = &blueprint.spec;
        let spawn_error = |detail: String| HostError::Spawn {
            function: spec.name.clone(),
            binary: blueprint.binary.describe(),
            detail,
        };
        let token = uuid::Uuid::new_v4().simple().to_string();
        let stream: Arc<str> = Arc::from(stream_name(&spec.version).as_str());
        let destination = Destination {
            sink: blueprint.sink.clone(),
            stream: Arc::clone(&stream),
        };
        let (pipe, [out, err]) =
            LogPipe::open(&token, destination).map_err(|e| spawn_error(e.to_string()))?;
        let pipe = Arc::new(pipe);
        let on_deliver: OnDeliver = {
            let pipe = Arc::clone(&pipe);
            let (format, version) = (spec.log_format, spec.version.clone());
            Arc::new(move |request_id: &str| {
                let at = SystemTime::now();
                pipe.begin(vec![platform::start_line(format, at, request_id, &version)]);
            })
        };
        let (api, channels) = RuntimeApi::start(&spec.arn, on_deliver)
            .await
            .map_err(|e| spawn_error(format!("no port for its Runtime API: {e}")))?;
        let task_root = blueprint
            .binary
            .path
            .parent()
            .unwrap_or(std::path::Path::new("/"));
        let mut command = blueprint.binary.command();
        command
            .env_clear()
            .envs(lambda_environment(
                blueprint,
                &api.address.to_string(),
                &stream,
            ))
            .current_dir(task_root)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| spawn_error(e.to_string()))?;
        Ok(Environment {
            generation: blueprint.generation,
            pid: child.id(),
            stream,
            init: None,
            child,
            channels,
            pipe,
            spawned: Instant::now(),
            timeout: spec.timeout,
            peak_kb: 0,
            _api: api,
        })
    }

    /// Waits for the init phase to end: the first `next`, an init error, an exit, or `limit`.
    pub(crate) async fn ready(&mut self, limit: Duration) -> Result<Duration, Failure> {
        let outcome = tokio::select! {
            signal = self.channels.signals.recv() => match signal {
                Some(Signal::Ready) => Ok(self.spawned.elapsed()),
                Some(Signal::InitError { body, error_type }) => Err(Failure::InitError { body, error_type }),
                None => Err(Failure::Exited("its Runtime API stopped".into())),
            },
            status = self.child.wait() => Err(Failure::Exited(exit_reason(status))),
            _ = tokio::time::sleep(limit) => Err(Failure::InitTimedOut),
        };
        match &outcome {
            Ok(init) => {
                self.init = Some(*init);
                self.sample_memory();
            }
            Err(Failure::InitTimedOut) => self.kill_now().await,
            Err(_) => {}
        }
        outcome
    }

    /// Hands `request` to the process and waits for its answer, its exit, or the deadline.
    pub(crate) async fn invoke(&mut self, request: Request) -> Answer {
        let (delivered, on_delivery) = oneshot::channel();
        let (posted, on_post) = oneshot::channel();
        let assignment = Assignment {
            request_id: request.request_id,
            payload: request.payload,
            deadline: SystemTime::now() + self.timeout,
            trace_id: trace_id(),
            delivered,
            posted,
        };
        let asked = Instant::now();
        if self.channels.assign.send(assignment).await.is_err() {
            return failed(Failure::Exited("its Runtime API stopped".into()), asked);
        }
        let started = tokio::select! {
            at = on_delivery => at.unwrap_or(asked),
            status = self.child.wait() => return failed(Failure::Exited(exit_reason(status)), asked),
        };
        let deadline = tokio::time::Instant::from_std(started + self.timeout);
        let kill_at = request.kill_after.map(|after| started + after);
        let outcome = tokio::select! {
            answer = on_post => answer.map_err(|_| Failure::Exited("its Runtime API stopped".into())),
            status = self.child.wait() => Err(Failure::Exited(exit_reason(status))),
            _ = tokio::time::sleep_until(deadline) => Err(Failure::TimedOut),
            _ = sleep_until_some(kill_at) => {
                self.kill_now().await;
                Err(Failure::Exited("signal: killed".into()))
            }
        };
        let duration = started.elapsed();
        match &outcome {
            Ok(_) => self.sample_memory(),
            Err(Failure::TimedOut) => self.kill_now().await,
            Err(_) => {}
        }
        Answer { outcome, duration }
    }

    /// Writes the START mark by hand, for an invocation the process never got (a failed init,
    /// an answer from the stand-in).
    pub(crate) fn begin(&self, lines: Vec<String>) {
        self.pipe.begin(lines);
    }

    /// The init phase's length, or how long the process has run if it never finished it.
    pub(crate) fn init_or_elapsed(&self) -> Duration {
        self.init.unwrap_or_else(|| self.spawned.elapsed())
    }

    /// Writes END (the lines in `end`) after everything the process wrote so far; the lines of
    /// the invocation since its START.
    pub(crate) async fn end(&self, end: Vec<String>) -> Vec<LogLine> {
        let lines = self.pipe.end(end);
        tokio::time::timeout(Duration::from_secs(10), lines)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// The process's peak resident memory so far, in kB (the last reading once it is gone).
    pub(crate) fn peak_kb(&mut self) -> u64 {
        self.sample_memory();
        self.peak_kb
    }

    /// Whether the process still runs.
    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    fn sample_memory(&mut self) {
        if let Some(kb) = self.pid.and_then(peak_resident_kb) {
            self.peak_kb = self.peak_kb.max(kb);
        }
    }

    async fn kill_now(&mut self) {
        self.sample_memory();
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Ends the process and waits (a little) for its last lines to be read.
    pub(crate) async fn stop(mut self) {
        self.kill_now().await;
        if let Some(reader) = self.pipe.close() {
            let joined = tokio::task::spawn_blocking(move || reader.join());
            let _ = tokio::time::timeout(Duration::from_secs(2), joined).await;
        }
    }
}

fn failed(failure: Failure, since: Instant) -> Answer {
    Answer {
        outcome: Err(failure),
        duration: since.elapsed(),
    }
}

async fn sleep_until_some(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// `exit status 3`, `signal: killed`: how Lambda words a runtime's exit.
fn exit_reason(status: std::io::Result<std::process::ExitStatus>) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(9)) => "signal: killed".into(),
            (None, Some(signal)) => format!("signal: {signal}"),
            (None, None) => status.to_string(),
        },
        Err(err) => format!("its exit could not be read: {err}"),
    }
}

/// VmHWM of `/proc/<pid>/status`: the peak resident set, in kB.
fn peak_resident_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm(&status)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse().ok())
}

/// `2021/12/01/[$LATEST]<32 hex>`: how Lambda names an environment's log stream.
fn stream_name(version: &str) -> String {
    let day = chrono::Utc::now().format("%Y/%m/%d");
    format!("{day}/[{version}]{}", uuid::Uuid::new_v4().simple())
}

/// An X-Ray trace header for the invocation (not sampled: there is no daemon to send to).
fn trace_id() -> String {
    let epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!(
        "Root=1-{epoch:08x}-{};Parent={};Sampled=0",
        &random[..24],
        &random[24..]
    )
}

/// The variables Lambda sets (its reserved ones win over the function's), the function's own,
/// and the runner's endpoints. Credentials are the emulator's dummy ones: the CLI's own
/// environment (and any real credentials in it) never reaches the function.
fn lambda_environment(blueprint: &Blueprint, api: &str, stream: &str) -> Vec<(String, String)> {
    let spec = &blueprint.spec;
    let task_root = blueprint
        .binary
        .path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut variables: Vec<(String, String)> = spec
        .variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reserved = [
        ("_HANDLER", spec.handler.clone()),
        ("AWS_REGION", spec.region.clone()),
        ("AWS_DEFAULT_REGION", spec.region.clone()),
        ("AWS_LAMBDA_FUNCTION_NAME", spec.name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_mb.to_string(),
        ),
        ("AWS_LAMBDA_FUNCTION_VERSION", spec.version.clone()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", spec.log_group.clone()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream.to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", spec.log_format.env_value().into()),
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("LAMBDA_TASK_ROOT", task_root),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".into()),
        ("AWS_ACCESS_KEY_ID", "demo".into()),
        ("AWS_SECRET_ACCESS_KEY", "demo".into()),
        ("AWS_SESSION_TOKEN", "demo-local".into()),
        ("TZ", ":UTC".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("PATH", "/usr/local/bin:/usr/bin/:/bin:/opt/bin".into()),
    ];
    variables.retain(|(k, _)| !reserved.iter().any(|(r, _)| r == k));
    variables.extend(reserved.into_iter().map(|(k, v)| (k.to_owned(), v)));
    variables.extend(blueprint.extra_env.iter().cloned());
    variables
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_memory_is_read_from_vm_hwm() {
        let status = "Name:\tqemu-aarch64-st\nVmPeak:\t  300000 kB\nVmHWM:\t   23456 kB\nVmRSS:\t 20000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(23_456));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
        let own = peak_resident_kb(std::process::id()).unwrap();
        assert!(own > 0);
    }

    #[test]
    fn streams_are_named_as_lambda_names_them() {
        let name = stream_name("$LATEST");
        let (day, rest) = name.split_at(10);
        assert_eq!(day.len(), 10);
        assert_eq!(&day[4..5], "/");
        let hex = rest.strip_prefix("/[$LATEST]").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn exits_are_worded_as_lambda_words_them() {
        use std::os::unix::process::ExitStatusExt;
        let status = |raw| Ok(std::process::ExitStatus::from_raw(raw));
        assert_eq!(exit_reason(status(3 << 8)), "exit status 3");
        assert_eq!(exit_reason(status(9)), "signal: killed");
        assert_eq!(exit_reason(status(6)), "signal: 6");
    }
}
