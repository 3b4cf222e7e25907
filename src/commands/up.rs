//! `demo up`: build, upload, deploy through a change set with live progress, print the stack.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Instant, SystemTime};

use serde::Serialize;

use crate::artifacts::{self, Arch, Artifact, BuildRequest};
use crate::aws::{Clients, account_id, connect};
use crate::deploy::batching::BatchingFlags;
use crate::deploy::bucket::{Bucket, ObjectState};
use crate::deploy::plan::{self, DeployedState, Override, Plan};
use crate::deploy::resources::Deployed;
use crate::deploy::stack;
use crate::deploy::{
    DeployError, bucket, changes, data_loss, names::StackNames, teardown, template,
};
use crate::deploy::{interrupt, preflight, quota};
use crate::error::CliError;
use crate::insights;
use crate::model::{Consumer, Parameter, ParameterValues, StackState};
use crate::output;
use crate::settings::{Settings, UpSettings};
use crate::terminal;

mod mappings;

use mappings::{mappings_not_enabled, settle_mappings};

/// Most rounds of deciding one `up` needs: wait for a running operation, delete a failed
/// create, then create or update; one to spare. More means someone else keeps changing it.
const MAX_PASSES: usize = 4;

/// How `up` names each consumer's batching values in its messages.
const FLAGS_1: BatchingFlags = BatchingFlags {
    batch_size: "--batch-size-1",
    window: "--window-1",
    parallelization: "--parallelization-1",
};
const FLAGS_2: BatchingFlags = BatchingFlags {
    batch_size: "--batch-size-2",
    window: "--window-2",
    parallelization: "--parallelization-2",
};

impl UpSettings {
    /// The template parameters given on the command line.
    pub fn overrides(&self) -> Vec<Override> {
        let mut overrides = Vec::new();
        let mut add = |parameter, flag, value: Option<u32>| {
            if let Some(value) = value {
                overrides.push(Override {
                    parameter,
                    flag,
                    value: value.to_string(),
                });
            }
        };
        add(Parameter::MemorySize, "--memory", self.memory);
        add(Parameter::ShardCount, "--shards", self.shards);
        for (consumer, flags) in [(Consumer::One, FLAGS_1), (Consumer::Two, FLAGS_2)] {
            overrides.extend(self.batching[consumer.index()].overrides(consumer, flags));
        }
        overrides
    }
}

/// Seconds per phase: building the zips, uploading them, and deploying (reading the stack,
/// the change set and the wait, putting mappings back).
#[derive(Debug, Default, Serialize)]
pub struct Phases {
    pub build: f64,
    pub upload: f64,
    pub deploy: f64,
}

/// What `demo up` did.
#[derive(Debug, Serialize)]
pub struct UpReport {
    pub stack: String,
    pub region: String,
    pub outcome: &'static str,
    /// The whole run, and the part of it each phase took.
    pub seconds: f64,
    pub phases: Phases,
    pub uploads: Vec<Upload>,
    pub insights_layer: Option<String>,
    pub deployed: Option<Deployed>,
    /// What the user must know about the mappings: one a user disabled (no records flow to it),
    /// one still changing, a failed last processing attempt.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Upload {
    pub function: String,
    pub key: String,
    pub uploaded: bool,
}

pub async fn run(settings: &Settings, up: UpSettings) -> Result<(), CliError> {
    let started = Instant::now();
    let specs = template::parameter_specs();
    let overrides = up.overrides();
    plan::validate(specs, &overrides).map_err(DeployError::Invalid)?;
    if let Some(name) = &up.artifact_bucket {
        bucket::check_name("--artifact-bucket", name).map_err(|e| DeployError::Invalid(vec![e]))?;
    }
    let clients = connect(&settings.aws).await?;
    interrupt::install();
    interrupt::doing("nothing was deployed; `demo up` again starts over");
    let insights::Choice { arch, layer, .. } = choose_arch_and_layer(&clients, &up).await?;
    let building = Instant::now();
    let artifacts = match &up.artifacts {
        Some(dir) => artifacts::from_dir(dir, arch)?,
        None => {
            artifacts::build(BuildRequest {
                arch,
                cargo_verbosity: settings.cargo_verbosity(),
            })
            .await?
        }
    };
    let build_seconds = building.elapsed().as_secs_f64();
    let names = StackNames::new(&settings.aws.stack_name, &clients.region);
    let account = account_id(&clients).await?;
    let mut current = stack::describe(&clients.cloudformation, &names.stack).await?;
    let (bucket_name, named_bucket) = bucket::choose(
        up.artifact_bucket.as_deref(),
        current
            .as_ref()
            .and_then(|c| c.parameters.value(Parameter::ArtifactBucket)),
        &names.bucket(&account),
    );
    let store = Bucket {
        s3: &clients.s3,
        name: bucket_name.clone(),
        owner: account,
    };
    let managed = managed_parameters(&bucket_name, &artifacts, arch, layer.as_deref());
    let mut desired = plan::desired_parameters(
        specs,
        &managed,
        &overrides,
        current.as_ref().map(|c| &c.parameters),
    );
    let mut report = UpReport {
        stack: names.stack.clone(),
        region: clients.region.clone(),
        outcome: "up to date",
        seconds: 0.0,
        phases: Phases {
            build: build_seconds,
            ..Phases::default()
        },
        uploads: Vec::new(),
        insights_layer: layer.clone(),
        deployed: None,
        notes: Vec::new(),
    };
    // Consumers whose mapping was not Enabled before this run changed the stack (on an update);
    // `None` while this run has changed nothing.
    let mut not_enabled_before: Option<BTreeSet<Consumer>> = None;
    for pass in 1.. {
        if pass > MAX_PASSES {
            return Err(DeployError::Blocked {
                stack: names.stack.clone(),
                status: current.map_or_else(|| "gone".into(), |c| c.status.to_string()),
                guidance: format!(
                    "it was still changing after {MAX_PASSES} rounds of waiting (is another deploy \
                     running?): check `demo status`, then rerun `demo up`"
                ),
            }
            .into());
        }
        match plan::decide(current.as_ref(), template::TEMPLATE, &desired) {
            Plan::UpToDate => break,
            Plan::Wait { status } if !up.dry_run => {
                terminal::note(format!(
                    "stack {} is {status}; waiting for that to finish first",
                    names.stack
                ));
                interrupt::doing(format!(
                    "CloudFormation goes on with stack {} ({status}); `demo up` again waits for \
                     it and then deploys",
                    names.stack
                ));
                let id = current
                    .as_ref()
                    .map_or(names.stack.clone(), |c| c.stack_id.clone());
                stack::wait(&clients.cloudformation, &id, SystemTime::now(), "up").await?;
            }
            Plan::Recreate { status } if !up.dry_run => {
                terminal::note(format!(
                    "stack {} is {status} (a failed or interrupted create leaves nothing usable): deleting it to create it again",
                    names.stack
                ));
                recreate(&clients, &names, current.as_ref()).await?;
            }
            Plan::Blocked { .. } => {
                let current = current.as_ref().expect("a blocked plan has a stack");
                let cfn = &clients.cloudformation;
                return Err(stack::stuck(cfn, &names.stack, &clients.region, current)
                    .await
                    .into());
            }
            plan if up.dry_run => {
                // A stack that would be deleted and created again has no shards to step from.
                let from = current
                    .as_ref()
                    .filter(|_| !matches!(plan, Plan::Recreate { .. }));
                check_limits(&clients, from, &desired, layer.as_deref()).await?;
                print_dry_run(
                    &clients,
                    &names.stack,
                    (&store, named_bucket),
                    &artifacts,
                    &plan,
                    current.as_ref(),
                    &desired,
                )
                .await?;
                report.outcome = "dry run: nothing changed";
                break;
            }
            Plan::Create | Plan::Update => {
                check_limits(&clients, current.as_ref(), &desired, layer.as_deref()).await?;
                interrupt::doing(
                    "nothing was deployed (a zip uploaded already is checked before reuse); \
                     `demo up` again starts over",
                );
                let uploading = Instant::now();
                report.uploads = upload_artifacts(
                    &clients.region,
                    &store,
                    named_bucket,
                    &names.stack,
                    &artifacts,
                )
                .await?;
                report.phases.upload += uploading.elapsed().as_secs_f64();
                not_enabled_before =
                    Some(mappings_not_enabled(&clients, &names, current.as_ref()).await);
                interrupt::doing(format!(
                    "CloudFormation goes on deploying stack {} if it had started (it cannot be \
                     stopped from here); `demo up` again waits for it and finishes, `demo down` \
                     removes the stack",
                    names.stack
                ));
                report.outcome = stack::apply(
                    &clients.cloudformation,
                    &clients.region,
                    &names.stack,
                    template::TEMPLATE,
                    current.as_ref(),
                    &desired,
                    up.yes,
                )
                .await?;
                break;
            }
            Plan::Wait { .. } | Plan::Recreate { .. } => {
                unreachable!("handled above unless dry run")
            }
        }
        current = stack::describe(&clients.cloudformation, &names.stack).await?;
        desired = plan::desired_parameters(
            specs,
            &managed,
            &overrides,
            current.as_ref().map(|c| &c.parameters),
        );
    }
    let mut stopped = Vec::new();
    if !up.dry_run {
        let (deployed, verdicts) =
            settle_mappings(&clients, &names, &desired, not_enabled_before).await?;
        if verdicts.put_back {
            report.outcome = "updated";
        }
        (report.notes, stopped) = (verdicts.judged.notes, verdicts.judged.stopped);
        report.deployed = Some(deployed);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.phases.deploy = (report.seconds - report.phases.build - report.phases.upload).max(0.0);
    output::emit(settings.output, &report)?;
    // Deployed, but a consumer gets no records: the summary above shows it, the error says why.
    if !stopped.is_empty() {
        return Err(DeployError::MappingsStopped(stopped).into());
    }
    Ok(())
}

/// Refuses, before anything is written, values AWS would refuse halfway through the deploy:
/// limits (the shard step, Lambda concurrency, the Kinesis shard quota), and an Insights layer
/// Lambda does not have (checked on AWS only: an emulator cannot host the published layers, and
/// `up` leaves the layer out there). `demo doctor` runs the same checks.
async fn check_limits(
    clients: &Clients,
    current: Option<&DeployedState>,
    desired: &BTreeMap<String, String>,
    layer: Option<&str>,
) -> Result<(), DeployError> {
    if let Some(arn) = layer.filter(|_| !clients.is_emulator()) {
        let found = insights::check(&clients.lambda, arn).await;
        let arm64 = desired.value(Parameter::Architecture) == Some("arm64");
        if let Some(refused) = insights::refusal(arn, &found, arm64) {
            return Err(DeployError::Invalid(vec![refused]));
        }
        if let insights::LayerCheck::Unknown(detail) = found {
            terminal::warn(format!(
                "note: could not check that the Lambda Insights layer {arn} exists ({detail}); \
                 deploying with it"
            ));
        }
    }
    let limits = preflight::account_limits(&clients.lambda).await;
    let mut problems = preflight::check(current.map(|c| &c.parameters), desired, limits)
        .err()
        .unwrap_or_default();
    if let Some(quota) = quota::shard_quota(&clients.kinesis).await {
        let wanted = desired.number(Parameter::ShardCount).unwrap_or(1);
        let from = current.and_then(|c| c.parameters.number(Parameter::ShardCount));
        problems.extend(quota::check_shards(quota, from, wanted).err());
    }
    if !problems.is_empty() {
        return Err(DeployError::Invalid(problems));
    }
    let memory = desired.number(Parameter::MemorySize);
    if let Some(note) = memory.and_then(preflight::memory_note) {
        terminal::note(note);
    }
    Ok(())
}

/// Deletes a stack left by a failed create, then removes what that create left behind under
/// the stack's names (it would make the next create fail with "already exists"), but only
/// what is provably the stack's: anything else is left alone and named.
async fn recreate(
    clients: &Clients,
    names: &StackNames,
    current: Option<&DeployedState>,
) -> Result<(), DeployError> {
    let id = current.map_or(names.stack.clone(), |c| c.stack_id.clone());
    let held = teardown::listed(clients, current).await?;
    let owner = teardown::owner(clients, names, current, &held).await?;
    let since = SystemTime::now();
    interrupt::doing(format!(
        "CloudFormation goes on deleting the failed stack {}; `demo up` again waits for that \
         and creates it",
        names.stack
    ));
    stack::delete(&clients.cloudformation, &id).await?;
    let finished = stack::wait(&clients.cloudformation, &id, since, "up").await?;
    if finished.state != StackState::Deleted {
        return Err(stack::failure(&names.stack, &clients.region, &finished));
    }
    let swept = teardown::sweep(clients, names, &owner).await?;
    for (leftover, _) in swept.not_ours.iter().filter(|(l, _)| l.blocks_create()) {
        terminal::warn(format!(
            "note: {leftover} holds a name the stack needs and is not this stack's: the create \
             fails until it is renamed or removed, or choose another --stack-name"
        ));
    }
    Ok(())
}

/// The architecture to build for and the layer to attach (see `insights::choose`); a choice
/// the tool made for the user is said in one line.
async fn choose_arch_and_layer(
    clients: &Clients,
    up: &UpSettings,
) -> Result<insights::Choice, DeployError> {
    let choice = insights::choose(
        &clients.lambda,
        &clients.region,
        !clients.is_emulator(),
        up.arch,
        &up.insights,
    )
    .await
    .map_err(|err| {
        DeployError::Invalid(vec![template::ParameterError {
            flag: "--region".into(),
            value: clients.region.clone(),
            rule: err.to_string(),
        }])
    })?;
    if let Some(note) = &choice.note {
        terminal::warn(note);
    }
    Ok(choice)
}

fn artifact<'a>(artifacts: &'a [Artifact], function: &str) -> &'a Artifact {
    artifacts
        .iter()
        .find(|a| a.function == function)
        .expect("build makes every function")
}

fn managed_parameters(
    bucket_name: &str,
    artifacts: &[Artifact],
    arch: Arch,
    layer: Option<&str>,
) -> BTreeMap<Parameter, String> {
    BTreeMap::from([
        (Parameter::ArtifactBucket, bucket_name.to_owned()),
        (
            Parameter::PutRecordCodeKey,
            bucket::artifact_key(artifact(artifacts, "put-record")),
        ),
        (
            Parameter::PutItemCodeKey,
            bucket::artifact_key(artifact(artifacts, "put-item")),
        ),
        (Parameter::Architecture, arch.name().to_owned()),
        (
            Parameter::InsightsLayerArn,
            layer.unwrap_or_default().to_owned(),
        ),
    ])
}

async fn upload_artifacts(
    region: &str,
    store: &Bucket<'_>,
    named: bool,
    stack: &str,
    artifacts: &[Artifact],
) -> Result<Vec<Upload>, DeployError> {
    let bucket_name = &store.name;
    if store.ensure(region, stack, named).await? {
        terminal::note(format!("created artifact bucket {bucket_name}"));
    }
    let mut uploads = Vec::new();
    for artifact in artifacts {
        let key = bucket::artifact_key(artifact);
        let state = store.object(&key, artifact).await?;
        if let ObjectState::Different(what) = &state {
            terminal::warn(format!(
                "s3://{bucket_name}/{key} holds other bytes than the local zip ({what}): not \
                 trusted, uploading the local zip over it"
            ));
        }
        let upload = state != ObjectState::Same;
        if upload {
            terminal::note(format!(
                "uploading {} ({} bytes) to s3://{bucket_name}/{key}",
                artifact.function, artifact.size
            ));
            store.upload(&key, artifact).await?;
        }
        uploads.push(Upload {
            function: artifact.function.clone(),
            key,
            uploaded: upload,
        });
    }
    Ok(uploads)
}

async fn print_dry_run(
    clients: &Clients,
    stack_name: &str,
    (store, named): (&Bucket<'_>, bool),
    artifacts: &[Artifact],
    plan: &Plan,
    current: Option<&DeployedState>,
    desired: &BTreeMap<String, String>,
) -> Result<(), DeployError> {
    terminal::line("plan (dry run, nothing will change):");
    terminal::line(format!(
        "  build: {} artifacts built locally",
        artifacts.len()
    ));
    // A bucket that is not ours is refused here too: the plan would fail at its first step.
    let create = bucket::admit(
        &store.standing(stack_name).await?,
        &store.name,
        stack_name,
        named,
    )?;
    if create {
        terminal::line(format!("  bucket: would create {}", store.name));
    }
    for artifact in artifacts {
        let key = bucket::artifact_key(artifact);
        let state = if create {
            ObjectState::Absent
        } else {
            store.object(&key, artifact).await?
        };
        terminal::line(format!(
            "  upload: {key}: {}",
            match state {
                ObjectState::Same => "already there (same size and SHA-256)",
                ObjectState::Absent => "would upload",
                ObjectState::Different(_) => "would upload (the object there holds other bytes)",
            }
        ));
    }
    let before = current.map(|c| c.parameters.clone()).unwrap_or_default();
    terminal::line(format!(
        "  stack: would {}",
        match plan {
            Plan::Create => "create it",
            Plan::Recreate { .. } => "delete the failed stack and create it",
            Plan::Wait { .. } => "wait for the running operation, then update it",
            _ => "update it",
        }
    ));
    if current.is_some_and(|c| {
        c.template_body.as_deref().map(str::trim) != Some(template::TEMPLATE.trim())
    }) {
        terminal::line("  template: changed");
    }
    for (name, old, new) in plan::parameter_changes(&before, desired) {
        terminal::line(format!(
            "  parameter {name}: {} → {new}",
            old.as_deref().unwrap_or("(new)")
        ));
    }
    if matches!(plan, Plan::Update) {
        preview_update(clients, stack_name, desired).await?;
    }
    Ok(())
}

/// CloudFormation's own view of an update (what it adds, modifies, replaces), from a change set
/// that is made, read and deleted again: the stack itself does not change.
async fn preview_update(
    clients: &Clients,
    stack_name: &str,
    desired: &BTreeMap<String, String>,
) -> Result<(), DeployError> {
    let cfn = &clients.cloudformation;
    let outcome =
        stack::create_change_set(cfn, stack_name, template::TEMPLATE, desired, false).await?;
    match outcome {
        stack::ChangeSetOutcome::NoChanges => {
            terminal::line("CloudFormation's preview: no changes");
        }
        stack::ChangeSetOutcome::Ready { name, changes } => {
            eprint!(
                "CloudFormation's preview (a change set, deleted again): {}",
                changes::render(&changes)
            );
            for loss in data_loss::find(&changes) {
                terminal::line(format!(
                    "  would delete data: {loss} (`demo up` asks first; --yes answers for you)"
                ));
            }
            stack::delete_change_set(cfn, stack_name, &name).await;
        }
    }
    Ok(())
}

impl fmt::Display for UpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Phases {
            build,
            upload,
            deploy,
        } = self.phases;
        writeln!(
            f,
            "stack {} in {}: {} ({:.1} s: build {build:.1} s, upload {upload:.1} s, deploy {deploy:.1} s)",
            self.stack, self.region, self.outcome, self.seconds
        )?;
        for upload in self.uploads.iter().filter(|u| u.uploaded) {
            writeln!(f, "  uploaded {} as {}", upload.function, upload.key)?;
        }
        match &self.insights_layer {
            Some(layer) => writeln!(f, "  insights layer: {layer}")?,
            None => writeln!(f, "  insights layer: none")?,
        }
        if let Some(deployed) = &self.deployed {
            write!(f, "{deployed}")?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}
