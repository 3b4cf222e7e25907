//! One change put live without a stack update in the way: build, upload the zips whose content
//! changed, point the functions at them (`UpdateFunctionCode`, then wait until Lambda reports
//! the update done), and only then record the new keys in the stack, so the stack never drifts
//! and a later `demo up` finds nothing to do. A build error leaves the running code as it is.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::artifacts::{self, Arch, Artifact, BuildError, BuildRequest, CargoVerbosity};
use crate::aws::Clients;
use crate::deploy::DeployError;
use crate::deploy::bucket::{self, Bucket, ObjectState};
use crate::deploy::plan::DeployedState;
use crate::deploy::record::{self, Recorded};
use crate::model::{Override, Parameter, ParameterValues};

/// How long Lambda may take to report a code update done.
const UPDATE_LIMIT: Duration = Duration::from_secs(120);

/// Where the new code goes: the stack's functions, its bucket, its architecture.
pub(crate) struct Target<'a> {
    pub(crate) clients: &'a Clients,
    pub(crate) stack: &'a str,
    pub(crate) bucket: &'a Bucket<'a>,
    pub(crate) arch: Arch,
    /// Each function role (`put-record`, `put-item-1`, …) and its deployed name.
    pub(crate) functions: &'a std::collections::BTreeMap<String, String>,
    pub(crate) cargo_verbosity: CargoVerbosity,
}

/// Why a change did not go live.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SwapError {
    /// The code did not build: nothing was touched.
    #[error("the build failed, the running code is kept: {0}")]
    Build(#[from] BuildError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(
        "Lambda could not update {function}: {reason} — the function keeps its previous code; fix \
         the cause and save again"
    )]
    UpdateFailed { function: String, reason: String },
    #[error(
        "{function}'s code update was still in progress after {seconds} s; `demo status` shows it"
    )]
    StillUpdating { function: String, seconds: u64 },
    #[error(
        "the functions run the new code, but stack {stack} could not record it ({cause}); `demo \
         up` records it"
    )]
    NotRecorded { stack: String, cause: DeployError },
}

/// What one change did, and how long each step took (seconds).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Swapped {
    /// The zips that changed (`put-record`, `put-item`) and their new keys.
    pub(crate) artifacts: Vec<(String, String)>,
    /// The Lambda functions now running the new code.
    pub(crate) functions: Vec<String>,
    pub(crate) build: f64,
    pub(crate) upload: f64,
    pub(crate) update: f64,
    /// From the save to the new code answering: the build plus upload and update.
    pub(crate) live_after: f64,
    pub(crate) record: f64,
}

/// The stack parameter holding the key of `function`'s zip.
fn code_key_parameter(function: &str) -> Parameter {
    match function {
        "put-record" => Parameter::PutRecordCodeKey,
        _ => Parameter::PutItemCodeKey,
    }
}

/// The Lambda functions (by role) that run `function`'s zip.
fn roles_of(function: &str) -> &'static [&'static str] {
    match function {
        "put-record" => &["put-record"],
        _ => &["put-item-1", "put-item-2"],
    }
}

/// The artifacts whose key differs from what the stack records.
pub(crate) fn changed<'a>(
    artifacts: &'a [Artifact],
    deployed: &DeployedState,
) -> Vec<&'a Artifact> {
    artifacts
        .iter()
        .filter(|a| {
            deployed.parameters.value(code_key_parameter(&a.function))
                != Some(bucket::artifact_key(a).as_str())
        })
        .collect()
}

/// Builds, and puts live what changed; None when no zip changed.
pub(crate) async fn swap(
    target: &Target<'_>,
    deployed: &DeployedState,
    saved_at: Instant,
) -> Result<Option<Swapped>, SwapError> {
    let building = Instant::now();
    let artifacts = artifacts::build(BuildRequest {
        arch: target.arch,
        cargo_verbosity: target.cargo_verbosity,
    })
    .await?;
    let build = building.elapsed().as_secs_f64();
    let changed = changed(&artifacts, deployed);
    if changed.is_empty() {
        return Ok(None);
    }
    let uploading = Instant::now();
    for artifact in &changed {
        upload(target.bucket, artifact).await?;
    }
    let upload = uploading.elapsed().as_secs_f64();
    let updating = Instant::now();
    let mut functions = Vec::new();
    for artifact in &changed {
        for role in roles_of(&artifact.function) {
            let Some(name) = target.functions.get(*role) else {
                continue;
            };
            update_code(target, name, &bucket::artifact_key(artifact)).await?;
            functions.push(name.clone());
        }
    }
    let update = updating.elapsed().as_secs_f64();
    let live_after = saved_at.elapsed().as_secs_f64();
    let recording = Instant::now();
    let keys: Vec<(String, String)> = changed
        .iter()
        .map(|a| (a.function.clone(), bucket::artifact_key(a)))
        .collect();
    record_keys(target, deployed, &keys).await?;
    Ok(Some(Swapped {
        artifacts: keys,
        functions,
        build,
        upload,
        update,
        live_after,
        record: recording.elapsed().as_secs_f64(),
    }))
}

async fn upload(store: &Bucket<'_>, artifact: &Artifact) -> Result<(), DeployError> {
    let key = bucket::artifact_key(artifact);
    if store.object(&key, artifact).await? != ObjectState::Same {
        store.upload(&key, artifact).await?;
    }
    Ok(())
}

/// Points `function` at the zip at `key` and waits until Lambda reports the update done.
async fn update_code(target: &Target<'_>, function: &str, key: &str) -> Result<(), SwapError> {
    let lambda = &target.clients.lambda;
    lambda
        .update_function_code()
        .function_name(function)
        .s3_bucket(&target.bucket.name)
        .s3_key(key)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("update the code of {function}"), err))?;
    let started = Instant::now();
    loop {
        let config = lambda
            .get_function_configuration()
            .function_name(function)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("read function {function}"), err))?;
        let status = config.last_update_status().map(|s| s.as_str().to_owned());
        match status.as_deref() {
            Some("Successful") | None => return Ok(()),
            Some("Failed") => {
                return Err(SwapError::UpdateFailed {
                    function: function.to_owned(),
                    reason: (config.last_update_status_reason())
                        .unwrap_or("no reason given")
                        .to_owned(),
                });
            }
            _ if started.elapsed() > UPDATE_LIMIT => {
                return Err(SwapError::StillUpdating {
                    function: function.to_owned(),
                    seconds: UPDATE_LIMIT.as_secs(),
                });
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Records the new keys in the stack (same template, every other parameter as it is).
async fn record_keys(
    target: &Target<'_>,
    deployed: &DeployedState,
    keys: &[(String, String)],
) -> Result<(), SwapError> {
    let overrides: Vec<Override> = keys
        .iter()
        .map(|(function, key)| Override::new(code_key_parameter(function), key))
        .collect();
    match record::record(target.clients, target.stack, deployed, &overrides).await? {
        Recorded::Done | Recorded::Unchanged => Ok(()),
        Recorded::Failed(err) => Err(SwapError::NotRecorded {
            stack: target.stack.to_owned(),
            cause: err,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(function: &str, sha256: &str) -> Artifact {
        Artifact {
            function: function.into(),
            arch: Arch::Arm64,
            path: "/nowhere".into(),
            size: 1,
            sha256: sha256.into(),
        }
    }

    #[test]
    fn only_zips_whose_key_the_stack_does_not_record_have_changed() {
        let record = artifact("put-record", "aa");
        let item = artifact("put-item", "bb");
        let deployed = DeployedState {
            parameters: [
                ("PutRecordCodeKey".to_owned(), bucket::artifact_key(&record)),
                (
                    "PutItemCodeKey".to_owned(),
                    "put-item/arm64/old.zip".to_owned(),
                ),
            ]
            .into(),
            ..DeployedState::default()
        };
        let artifacts = [record, item];
        let changed: Vec<&str> = changed(&artifacts, &deployed)
            .iter()
            .map(|a| a.function.as_str())
            .collect();
        assert_eq!(changed, ["put-item"]);
        assert_eq!(roles_of("put-item"), ["put-item-1", "put-item-2"]);
        assert_eq!(code_key_parameter("put-record").name(), "PutRecordCodeKey");
    }
}
