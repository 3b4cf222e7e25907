//! A deployed function run offline as Lambda runs it: its own processes, speaking the Lambda
//! Runtime API to a stand-in of this host, with the Lambda environment, the function's timeout
//! as the deadline, and what Lambda measures and logs.
//!
//! ```text
//! let host = FunctionHost::start(&clients, "demo", "put-item-1", HostOptions::default()).await?;
//! let invocation = host.invoke(serde_json::json!({"Records": []})).await?;
//! // invocation.outcome: Outcome::Response(json) | Outcome::Error(FunctionError)
//! // invocation.logs:    START, the function's lines, END, REPORT
//! // invocation.report:  Duration, Billed Duration, Memory Size, Max Memory Used, Init Duration
//! host.replace_binary(Path::new("target/…/bootstrap")).await?; // next invocations: new code
//! host.shutdown().await?;                                      // processes ended, logs sent
//! ```
//!
//! - [`FunctionHost::start`] reads the function from the emulator (`GetFunctionConfiguration`;
//!   what moto leaves out, from the stack's template) and fetches the zip `up` deployed from the
//!   emulator's S3, checked against the function's `CodeSha256`: what runs is that zip's
//!   `bootstrap`, under qemu-user when it is built for another CPU ([`Binary`] says which).
//! - [`FunctionHost::invoke`] runs one invocation in an idle environment, or starts one (a cold
//!   start, with its Init Duration) while fewer than [`HostOptions::max_environments`] exist; an
//!   invocation waits for a free one past that. A function error, a timeout (the process is
//!   killed), a crash or a failed init is an `Ok` [`Invocation`] whose outcome is the error Lambda
//!   would answer; the environment is then replaced on the next invocation, as Lambda replaces
//!   it. `Err` means the host itself could not run it.
//! - Each process's stdout and stderr go, one event per line, to the function's log group in the
//!   emulator's CloudWatch Logs (`LoggingConfig.LogGroup`), one stream per environment named as
//!   Lambda names them, with the START/END/REPORT lines (or `platform.*` events with the JSON
//!   log format); the metrics (`Invocations`, `Duration`, `Errors`, and `used_memory_max`,
//!   `init_duration` as Lambda Insights names them) go to the recorder.
//! - [`FunctionHost::replace_binary`] swaps the code between invocations: those in flight
//!   finish on the old processes, which are then ended; every later one runs the new binary.
//! - [`FunctionHost::follow_deployed`] (`follow.rs`) runs the function's new code when the
//!   emulator reports another `CodeSha256` (`demo watch --local`, `demo up --local`), as
//!   `replace_binary` does.
//! - [`FunctionHost::inject`] queues a [`Fault`] for the next invocation: the stand-in delays
//!   the event, kills the process mid-invocation, or answers in its place. The functions carry
//!   no test code of their own.
//!
//! The figures are of a process on this machine (under qemu if so), not of Lambda.

pub(crate) mod code;
mod environment;
mod follow;
mod invocation;
mod log_pipe;
mod logs;
pub mod platform;
mod report;
mod runtime_api;
pub(crate) mod spec;

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

pub(crate) use self::code::Binary;
pub use self::invocation::{Invocation, Outcome};
pub use self::logs::LogLine;
pub(crate) use self::logs::Shipped;
pub use self::platform::{ReportFigures, Status};
pub(crate) use self::spec::FunctionSpec;

use self::environment::{Blueprint, Environment};
use self::logs::Shipper;
use super::recorder::Recorder;
use crate::aws::AwsError;
use crate::aws::Clients;
use crate::deploy::DeployError;

/// Lambda's limit on the init phase of an on-demand environment.
pub(crate) const INIT_LIMIT: Duration = Duration::from_secs(10);

/// How a host runs its function.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Environments (processes) at most at once: the function's concurrency here.
    pub max_environments: usize,
    /// Variables added to every process after Lambda's (the runner's endpoints).
    pub extra_env: Vec<(String, String)>,
    /// Where the metrics go; None: the host keeps its own and sends them at shutdown.
    pub recorder: Option<Recorder>,
    /// Run this executable instead of the deployed zip's `bootstrap`.
    pub binary: Option<PathBuf>,
}

impl Default for HostOptions {
    fn default() -> Self {
        HostOptions {
            max_environments: 1,
            extra_env: Vec::new(),
            recorder: None,
            binary: None,
        }
    }
}

/// Every service at the emulator, as the CLI itself reaches it: the variables a function's
/// processes need beside Lambda's (`HostOptions::extra_env`).
pub(crate) fn emulator_env(clients: &Clients) -> Vec<(String, String)> {
    clients
        .endpoint_url
        .iter()
        .map(|url| ("AWS_ENDPOINT_URL".to_owned(), url.clone()))
        .collect()
}

/// A fault the stand-in injects into the next invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Hold the event this long before handing it over.
    Delay(Duration),
    /// Kill the process this long after it got the event: a crash mid-invocation.
    Kill { after: Duration },
    /// Answer in the process's place, without handing it the event.
    Answer(Outcome),
}

/// Why a host could not run its function (a function's own failure is an [`Invocation`]).
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "the stack {stack} has no function {role}; the functions are put-record, put-item-1 and \
         put-item-2 (`demo status --local` lists them)"
    )]
    NoFunction { role: String, stack: String },
    #[error("cannot run {function} offline: {detail}")]
    Code { function: String, detail: String },
    #[error(
        "the function is built for {cpu} and this machine is not: no {tried} on PATH \
         (`scripts/setup` installs qemu-user-static; on Debian `sudo apt-get install qemu-user-static`)"
    )]
    NoEmulator { cpu: String, tried: String },
    #[error("could not start {function} ({binary}): {detail}")]
    Spawn {
        function: String,
        binary: String,
        detail: String,
    },
    #[error(
        "functions run offline only against the emulator (--local), never with AWS credentials"
    )]
    NotEmulator,
    #[error("{function} is shut down")]
    Stopped { function: String },
}

/// One deployed function, run offline. Cheap to share: invocations may run concurrently.
pub struct FunctionHost {
    inner: Arc<Inner>,
}

struct Inner {
    spec: Arc<FunctionSpec>,
    current: Mutex<Blueprint>,
    idle: Mutex<Vec<Environment>>,
    slots: Semaphore,
    max_environments: usize,
    faults: Mutex<VecDeque<Fault>>,
    pids: Mutex<BTreeSet<u32>>,
    recorder: Recorder,
    owns_recorder: bool,
    cloudwatch: aws_sdk_cloudwatch::Client,
    shipper: Shipper,
    /// How the host keeps to the deployed code; None when it runs a binary given by path.
    following: Option<Mutex<follow::Following>>,
    /// Where the deployed zip's bootstrap is unpacked; removed with the host.
    _code_dir: tempfile::TempDir,
}

impl FunctionHost {
    /// The function `function` (`put-record`, `put-item-1`, `put-item-2`) of stack `stack`, as
    /// deployed in the emulator `clients` point at.
    pub async fn start(
        clients: &Clients,
        stack: &str,
        function: &str,
        options: HostOptions,
    ) -> Result<FunctionHost, HostError> {
        if !clients.is_emulator() {
            return Err(HostError::NotEmulator);
        }
        let (spec, code) = spec::read(clients, stack, function).await?;
        let code_dir = tempfile::Builder::new()
            .prefix("demo-function-")
            .tempdir()
            .map_err(|err| HostError::Code {
                function: spec.name.clone(),
                detail: format!("no directory to unpack its code into: {err}"),
            })?;
        let (binary, following) = match &options.binary {
            Some(path) => (Binary::from_path(path)?, None),
            None => {
                let (binary, following) = deployed_code(clients, &spec, code, &code_dir).await?;
                (binary, Some(Mutex::new(following)))
            }
        };
        let (shipper, sink) = Shipper::start(clients.logs.clone(), spec.log_group.clone());
        let spec = Arc::new(spec);
        let max_environments = options.max_environments.max(1);
        let blueprint = Blueprint {
            spec: Arc::clone(&spec),
            binary: Arc::new(binary),
            extra_env: Arc::new(options.extra_env),
            sink,
            generation: 0,
        };
        Ok(FunctionHost {
            inner: Arc::new(Inner {
                spec,
                current: Mutex::new(blueprint),
                idle: Mutex::new(Vec::new()),
                slots: Semaphore::new(max_environments),
                max_environments,
                faults: Mutex::new(VecDeque::new()),
                pids: Mutex::new(BTreeSet::new()),
                owns_recorder: options.recorder.is_none(),
                recorder: options.recorder.unwrap_or_default(),
                cloudwatch: clients.cloudwatch.clone(),
                shipper,
                following,
                _code_dir: code_dir,
            }),
        })
    }

    /// The function as it runs here.
    pub(crate) fn spec(&self) -> &FunctionSpec {
        &self.inner.spec
    }

    /// The executable new environments run.
    pub fn binary(&self) -> Arc<Binary> {
        Arc::clone(&lock(&self.inner.current).binary)
    }

    /// The ids of the function's processes now running.
    pub fn process_ids(&self) -> Vec<u32> {
        lock(&self.inner.pids).iter().copied().collect()
    }

    /// Queues `fault` for the next invocation that starts (one fault per invocation, in order).
    pub fn inject(&self, fault: Fault) {
        lock(&self.inner.faults).push_back(fault);
    }

    /// Runs one invocation with `payload` as its event.
    pub async fn invoke(&self, payload: serde_json::Value) -> Result<Invocation, HostError> {
        let inner = &self.inner;
        let _slot = inner
            .slots
            .acquire()
            .await
            .map_err(|_| HostError::Stopped {
                function: inner.spec.name.clone(),
            })?;
        let fault = lock(&inner.faults).pop_front();
        if let Some(Fault::Delay(delay)) = &fault {
            tokio::time::sleep(*delay).await;
        }
        let blueprint = lock(&inner.current).clone();
        let mut environment = match self.take_idle(blueprint.generation) {
            Some(environment) => environment,
            None => {
                let started = Environment::start(&blueprint).await?;
                if let Some(pid) = started.pid {
                    lock(&inner.pids).insert(pid);
                }
                started
            }
        };
        let invocation = invocation::run(
            &inner.spec,
            &mut environment,
            payload,
            fault,
            &inner.recorder,
        )
        .await;
        self.release(environment, invocation.healthy()).await;
        Ok(invocation)
    }

    /// Runs later invocations on the executable at `path`: idle environments end now, those
    /// in flight once their invocation is done; nothing in flight is lost or run twice.
    pub async fn replace_binary(&self, path: &Path) -> Result<Arc<Binary>, HostError> {
        Ok(self.swap_binary(Binary::from_path(path)?).await)
    }

    /// Runs later invocations on `binary`, as [`FunctionHost::replace_binary`] says.
    async fn swap_binary(&self, binary: Binary) -> Arc<Binary> {
        let binary = Arc::new(binary);
        {
            let mut current = lock(&self.inner.current);
            current.binary = Arc::clone(&binary);
            current.generation += 1;
        }
        let stale = std::mem::take(&mut *lock(&self.inner.idle));
        for environment in stale {
            self.stop(environment).await;
        }
        binary
    }

    /// Ends every process, sends the remaining log lines (and, if the host keeps its own
    /// recorder, the metrics), and says what was shipped.
    pub async fn shutdown(&self) -> Result<Shipped, HostError> {
        let inner = &self.inner;
        // Invocations in flight finish first: taking every slot waits for them.
        let all = inner
            .slots
            .acquire_many(inner.max_environments as u32)
            .await;
        let idle = std::mem::take(&mut *lock(&inner.idle));
        for environment in idle {
            self.stop(environment).await;
        }
        drop(all);
        inner.slots.close();
        let shipped = inner.shipper.flush().await;
        if inner.owns_recorder {
            inner.recorder.publish(&inner.cloudwatch).await?;
        }
        Ok(shipped)
    }

    fn take_idle(&self, generation: u64) -> Option<Environment> {
        let mut idle = lock(&self.inner.idle);
        let at = idle.iter().rposition(|e| e.generation == generation)?;
        Some(idle.swap_remove(at))
    }

    async fn release(&self, mut environment: Environment, healthy: bool) {
        let current = lock(&self.inner.current).generation;
        if healthy && environment.generation == current && environment.alive() {
            lock(&self.inner.idle).push(environment);
        } else {
            self.stop(environment).await;
        }
    }

    async fn stop(&self, environment: Environment) {
        if let Some(pid) = environment.pid {
            lock(&self.inner.pids).remove(&pid);
        }
        environment.stop().await;
    }
}

/// The deployed zip's bootstrap, unpacked into `code_dir`, and how to keep to the deployed code.
async fn deployed_code(
    clients: &Clients,
    spec: &FunctionSpec,
    code: spec::CodeLocation,
    code_dir: &tempfile::TempDir,
) -> Result<(Binary, follow::Following), HostError> {
    let zip = code::DeployedZip {
        function: &spec.name,
        bucket: &code.bucket,
        key: &code.key,
        code_sha256: &code.code_sha256,
    };
    let binary = code::fetch_deployed(&clients.s3, &zip, code_dir.path()).await?;
    let following = follow::Following {
        lambda: clients.lambda.clone(),
        s3: clients.s3.clone(),
        bucket: code.bucket,
        key: code.key,
        code_sha256: code.code_sha256,
        refused: None,
        dirs: Vec::new(),
    };
    Ok((binary, following))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
