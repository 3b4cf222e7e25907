//! `demo up`: build, upload, deploy through a change set with live progress, print the stack.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Instant, SystemTime};

use crate::aws::{Clients, connect};
use crate::deploy::bucket::ObjectState;
use crate::deploy::plan::{self, DeployedState, Plan};
use crate::deploy::stack;
use crate::deploy::{DeployError, StackAt, bucket, mapping, teardown};
use crate::deploy::{interrupt, preflight, quota};
use crate::error::CliError;
use crate::insights;
use crate::model::template;
use crate::model::{Consumer, Override, Parameter, ParameterValues, StackState, StackStatus};
use crate::output;
use crate::settings::{Settings, UpSettings};
use crate::terminal;

mod dry_run;
mod job;
mod mappings;
mod report;

use job::{Job, StackView, build};
use mappings::{mappings_not_enabled, settle_mappings};
use report::{Outcome, Phases, UpReport, Upload};

/// Most rounds of deciding one `up` needs: wait for a running operation, delete a failed
/// create, then create or update; one to spare. More means someone else keeps changing it.
const MAX_PASSES: usize = 4;

impl UpSettings {
    /// The template parameters given on the command line (checked by `settings`).
    pub(crate) fn overrides(&self) -> Vec<Override> {
        let numbers = [
            (Parameter::MemorySize, self.memory),
            (Parameter::ShardCount, self.shards),
        ];
        let numbers = numbers
            .into_iter()
            .filter_map(|(parameter, value)| Some(Override::new(parameter, value?)));
        let batching = Consumer::ALL
            .into_iter()
            .flat_map(|consumer| self.batching[consumer.index()].parameters(consumer));
        numbers.chain(batching).collect()
    }
}

pub(crate) async fn run(settings: &Settings, up: UpSettings) -> Result<(), CliError> {
    let started = Instant::now();
    let overrides = up.overrides();
    let clients = connect(&settings.aws).await?;
    interrupt::install();
    interrupt::doing("nothing was deployed; `demo up` again starts over");
    let built = build(settings, &clients, &up).await?;
    let build_seconds = built.seconds;
    let (job, current) = Job::prepare(settings, &clients, &up, built, overrides).await?;
    let mut report = start_report(&job, build_seconds);
    let mut view = job.view(current);
    let not_enabled_before = converge(&job, &mut view, &mut report).await?;
    let stopped = if up.dry_run {
        Vec::new()
    } else {
        settle(&job, &view.desired, not_enabled_before, &mut report).await?
    };
    report.seconds = started.elapsed().as_secs_f64();
    report.phases.deploy = (report.seconds - report.phases.build - report.phases.upload).max(0.0);
    output::emit(settings.output, &report)?;
    // Deployed, but a consumer gets no records: the summary above shows it, the error says why.
    if !stopped.is_empty() {
        return Err(DeployError::MappingsStopped(stopped).into());
    }
    Ok(())
}

fn start_report(job: &Job<'_>, build_seconds: f64) -> UpReport {
    UpReport {
        stack: job.names.stack.clone(),
        region: job.clients.region.clone(),
        outcome: Outcome::UpToDate,
        seconds: 0.0,
        phases: Phases {
            build: build_seconds,
            ..Phases::default()
        },
        uploads: Vec::new(),
        insights_layer: job.layer.clone(),
        deployed: None,
        notes: Vec::new(),
        plan: None,
    }
}

/// Decides and acts until the stack is deployed (or planned, on a dry run): waits for a running
/// operation, deletes a failed create, then creates or updates. Returns the consumers whose
/// mapping was not Enabled before this run changed the stack (`None` while it changed nothing).
async fn converge(
    job: &Job<'_>,
    view: &mut StackView,
    report: &mut UpReport,
) -> Result<Option<BTreeSet<Consumer>>, DeployError> {
    for _ in 0..MAX_PASSES {
        match plan::decide(view.current.as_ref(), template::TEMPLATE, &view.desired) {
            Plan::UpToDate => return Ok(None),
            Plan::Blocked { .. } => {
                let current = view.current.as_ref().expect("a blocked plan has a stack");
                let clients = job.clients;
                let cfn = &clients.cloudformation;
                return Err(stack::stuck(cfn, &job.names.stack, &clients.region, current).await);
            }
            decision if job.up.dry_run => {
                report.plan = Some(plan_dry_run(job, view, &decision).await?);
                report.outcome = Outcome::DryRun;
                return Ok(None);
            }
            Plan::Wait { status } => wait_for_running(job, view.current.as_ref(), &status).await?,
            Plan::Recreate { status } => recreate(job, view.current.as_ref(), &status).await?,
            Plan::Create | Plan::Update => return deploy(job, view, report).await.map(Some),
        }
        *view = job.read().await?;
    }
    Err(DeployError::Blocked {
        stack: job.names.stack.clone(),
        status: (view.current.take()).map_or(StackAt::Gone, |c| StackAt::Status(c.status)),
        guidance: format!(
            "it was still changing after {MAX_PASSES} rounds of waiting (is another deploy \
             running?): check `demo status`, then rerun `demo up`"
        ),
    })
}

/// Reads what `up` would do, after the same checks as a deploy, and shows it.
async fn plan_dry_run(
    job: &Job<'_>,
    view: &StackView,
    decision: &Plan,
) -> Result<dry_run::Plan, DeployError> {
    // A stack that would be deleted and created again has no shards to step from.
    let from = view
        .current
        .as_ref()
        .filter(|_| !matches!(decision, Plan::Recreate { .. }));
    check_limits(job.clients, from, &view.desired, job.layer.as_deref()).await?;
    let inputs = dry_run::Inputs {
        clients: job.clients,
        stack_name: &job.names.stack,
        store: &job.store,
        named_bucket: job.named_bucket,
        artifacts: &job.artifacts,
        current: view.current.as_ref(),
        desired: &view.desired,
    };
    let plan = dry_run::plan(&inputs, decision).await?;
    terminal::line(plan.to_string().trim_end());
    Ok(plan)
}

/// Waits for the operation running on the stack to finish.
async fn wait_for_running(
    job: &Job<'_>,
    current: Option<&DeployedState>,
    status: &StackStatus,
) -> Result<(), DeployError> {
    let stack_name = &job.names.stack;
    terminal::note(format!(
        "stack {stack_name} is {status}; waiting for that to finish first"
    ));
    interrupt::doing(format!(
        "CloudFormation goes on with stack {stack_name} ({status}); `demo up` again waits for \
         it and then deploys"
    ));
    let id = current.map_or(stack_name.clone(), |c| c.stack_id.clone());
    stack::wait(&job.clients.cloudformation, &id, SystemTime::now(), "up").await?;
    Ok(())
}

/// Checks, uploads and deploys through a change set. Returns the consumers whose mapping was
/// not Enabled before.
async fn deploy(
    job: &Job<'_>,
    view: &StackView,
    report: &mut UpReport,
) -> Result<BTreeSet<Consumer>, DeployError> {
    let (clients, stack_name) = (job.clients, &job.names.stack);
    let current = view.current.as_ref();
    check_limits(clients, current, &view.desired, job.layer.as_deref()).await?;
    interrupt::doing(
        "nothing was deployed (a zip uploaded already is checked before reuse); \
         `demo up` again starts over",
    );
    let uploading = Instant::now();
    report.uploads = upload_artifacts(job).await?;
    report.phases.upload += uploading.elapsed().as_secs_f64();
    let not_enabled_before = mappings_not_enabled(clients, &job.names, current).await;
    interrupt::doing(format!(
        "CloudFormation goes on deploying stack {stack_name} if it had started (it cannot be \
         stopped from here); `demo up` again waits for it and finishes, `demo down` removes \
         the stack"
    ));
    let applied = stack::apply(
        &clients.cloudformation,
        &clients.region,
        stack_name,
        template::TEMPLATE,
        current,
        &view.desired,
        job.up.yes,
    )
    .await?;
    report.outcome = applied.into();
    Ok(not_enabled_before)
}

/// The end of a deploy: mappings put back and judged (see `mappings::settle_mappings`).
/// Returns the consumers that get no records.
async fn settle(
    job: &Job<'_>,
    desired: &BTreeMap<String, String>,
    not_enabled_before: Option<BTreeSet<Consumer>>,
    report: &mut UpReport,
) -> Result<Vec<mapping::Stopped>, DeployError> {
    let (deployed, verdicts) =
        settle_mappings(job.clients, &job.names, desired, not_enabled_before).await?;
    if verdicts.put_back {
        report.outcome = Outcome::Updated;
    }
    report.notes = verdicts.judged.notes;
    report.deployed = Some(deployed);
    Ok(verdicts.judged.stopped)
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
    job: &Job<'_>,
    current: Option<&DeployedState>,
    status: &StackStatus,
) -> Result<(), DeployError> {
    let (clients, names) = (job.clients, &job.names);
    terminal::note(format!(
        "stack {} is {status} (a failed or interrupted create leaves nothing usable): deleting it to create it again",
        names.stack
    ));
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
    if finished.state() != StackState::Deleted {
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

/// Makes sure the artifact bucket exists and holds each zip at its content-hash key.
async fn upload_artifacts(job: &Job<'_>) -> Result<Vec<Upload>, DeployError> {
    let (store, bucket_name) = (&job.store, &job.store.name);
    let region = &job.clients.region;
    if store
        .ensure(region, &job.names.stack, job.named_bucket)
        .await?
    {
        terminal::note(format!("created artifact bucket {bucket_name}"));
    }
    let mut uploads = Vec::new();
    for artifact in &job.artifacts {
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
