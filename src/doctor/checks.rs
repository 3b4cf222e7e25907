//! Each check `demo doctor` makes, read-only, through the same functions `up` calls before it
//! writes anything: the sign-in, CloudFormation and the stack's state, the Insights layer, the
//! account's Lambda concurrency and Kinesis shard quota, and the artifact bucket.

use std::collections::BTreeMap;

use super::{Check, DoctorReport};
use crate::artifacts::Arch;
use crate::aws::{self, AwsError, AwsSettings, Clients};
use crate::deploy::bucket::{self, Bucket};
use crate::deploy::names::StackNames;
use crate::deploy::plan::{self, DeployedState, Plan};
use crate::deploy::preflight::{self, Concurrency};
use crate::deploy::{DeployError, quota, stack};
use crate::insights::{self, InsightsChoice, LayerCheck};
use crate::model::template;
use crate::model::{Parameter, ParameterValues};

/// Runs every check; a check that cannot go on without an earlier one's answer is not run.
pub(crate) async fn run(aws_settings: &AwsSettings, arch: Option<Arch>) -> DoctorReport {
    let stack_name = &aws_settings.stack_name;
    let clients = match aws::connect(aws_settings).await {
        Ok(clients) => clients,
        Err(err) => {
            let checks = vec![environment("connection", &err)];
            return DoctorReport::new(stack_name, aws_settings.region.clone(), checks);
        }
    };
    let mut checks = vec![region(aws_settings, &clients)];
    let account = match aws::caller_identity(&clients).await {
        Ok(identity) => {
            let source = clients
                .credential_source
                .as_deref()
                .unwrap_or("the SDK's chain");
            checks.push(Check::pass(
                "identity",
                format!(
                    "{} (account {}), signed in with {source}",
                    identity.arn, identity.account,
                ),
            ));
            identity.account
        }
        Err(err) => {
            checks.push(environment("identity", &err));
            return DoctorReport::new(stack_name, Some(clients.region.clone()), checks);
        }
    };
    let names = StackNames::new(stack_name, &clients.region);
    let current = match stack::describe(&clients.cloudformation, &names.stack).await {
        Ok(current) => {
            checks.push(Check::pass("cloudformation", "reachable"));
            current
        }
        Err(err) => {
            checks.push(problem("cloudformation", "DescribeStacks failed", &err));
            return DoctorReport::new(stack_name, Some(clients.region.clone()), checks);
        }
    };
    checks.push(stack_state(&clients, &names, current.as_ref()).await);
    checks.push(layer(&clients, arch).await);
    let desired = deployed_or_default(current.as_ref());
    checks.push(concurrency(&clients, current.as_ref(), &desired).await);
    checks.push(shards(&clients, current.as_ref(), &desired).await);
    checks.push(artifact_bucket(&clients, &names, current.as_ref(), account).await);
    DoctorReport::new(stack_name, Some(clients.region), checks)
}

/// A problem with the environment (credentials, region, endpoint): the guidance is the fix.
fn environment(check: &'static str, err: &AwsError) -> Check {
    match err {
        AwsError::Environment {
            action,
            detail,
            guidance,
        } => Check::fail(check, format!("could not {action}: {detail}"), guidance),
        AwsError::Call { .. } => Check::fail(
            check,
            err.to_string(),
            "check the credentials' permissions, then run `demo doctor` again",
        ),
    }
}

/// A failed call or a refusal: what failed, and the tool's own message as the fix.
fn problem(check: &'static str, what: &str, err: &DeployError) -> Check {
    match err {
        DeployError::Aws(aws) => environment(check, aws),
        other => Check::fail(check, what, other.to_string()),
    }
}

fn region(aws_settings: &AwsSettings, clients: &Clients) -> Check {
    let from = match (&aws_settings.region, clients.is_emulator()) {
        (Some(_), _) => "--region / DEMO_REGION",
        (None, true) if aws_settings.local => "the emulator's default",
        (None, _) => "AWS_REGION or the profile",
    };
    let place = match &clients.endpoint_url {
        Some(url) => format!(" at {url}"),
        None => String::new(),
    };
    Check::pass("region", format!("{} (from {from}){place}", clients.region))
}

/// The stack's state, judged as `up` judges it (`plan::decide`).
async fn stack_state(
    clients: &Clients,
    names: &StackNames,
    current: Option<&DeployedState>,
) -> Check {
    let Some(current) = current else {
        return Check::pass(
            "stack",
            format!("{}: none yet, `up` creates it", names.stack),
        );
    };
    let status = current.status.as_str();
    match plan::decide(Some(current), template::TEMPLATE, &current.parameters) {
        Plan::Blocked { .. } => {
            let cfn = &clients.cloudformation;
            let stuck = stack::stuck(cfn, &names.stack, &clients.region, current).await;
            match stuck {
                DeployError::Failed { cause, fix, .. } => Check::fail(
                    "stack",
                    format!("{} is {status}: {cause}", names.stack),
                    fix,
                ),
                other => problem("stack", status, &other),
            }
        }
        Plan::Recreate { .. } => Check::note(
            "stack",
            format!(
                "{} is {status} (a failed or interrupted create): `up` deletes it and creates it \
                 again",
                names.stack
            ),
        ),
        Plan::Wait { .. } => Check::note(
            "stack",
            format!("{} is {status}: `up` waits for that to finish", names.stack),
        ),
        _ => Check::pass("stack", format!("{} is {status}", names.stack)),
    }
}

/// The Insights layer `up` would attach, chosen and asked of Lambda as `up` does.
async fn layer(clients: &Clients, arch: Option<Arch>) -> Check {
    let on_aws = !clients.is_emulator();
    let auto = &InsightsChoice::Auto;
    let choice = match insights::choose(&clients.lambda, &clients.region, on_aws, arch, auto).await
    {
        Ok(choice) => choice,
        Err(err) => {
            return Check::fail("insights layer", "no layer can be chosen", err.to_string());
        }
    };
    let Some(arn) = choice.layer else {
        return Check::note("insights layer", strip_note(choice.note.as_deref()));
    };
    let found = insights::check(&clients.lambda, &arn).await;
    if let Some(refused) = insights::refusal(&arn, &found, choice.arch == Arch::Arm64) {
        return Check::fail("insights layer", arn, refused.rule);
    }
    let detail = format!("{arn} ({})", choice.arch);
    match (found, choice.note) {
        (LayerCheck::Unknown(why), _) => Check::note(
            "insights layer",
            format!("{detail}: could not be checked ({why}); `up` deploys with it"),
        ),
        (_, Some(note)) => Check::note(
            "insights layer",
            format!("{detail}: {}", strip_note(Some(&note))),
        ),
        _ => Check::pass("insights layer", format!("{detail}: Lambda has it")),
    }
}

fn strip_note(note: Option<&str>) -> String {
    let note = note.unwrap_or("none");
    note.strip_prefix("note: ").unwrap_or(note).to_owned()
}

/// The parameters `up` would keep: the stack's, else the template's defaults.
fn deployed_or_default(current: Option<&DeployedState>) -> BTreeMap<String, String> {
    plan::desired_parameters(&BTreeMap::new(), &[], current.map(|c| &c.parameters))
}

fn number(params: &BTreeMap<String, String>, parameter: Parameter) -> Option<u32> {
    params.number(parameter)
}

/// Lambda concurrency for shards × parallelization, as `up` checks it.
async fn concurrency(
    clients: &Clients,
    current: Option<&DeployedState>,
    desired: &BTreeMap<String, String>,
) -> Check {
    let Some(limits) = preflight::account_limits(&clients.lambda).await else {
        return Check::note(
            "concurrency",
            "unknown: Lambda GetAccountSettings did not answer (an emulator, or no \
             lambda:GetAccountSettings permission); `up` does not check it either",
        );
    };
    let consumers = Concurrency::of(desired);
    let unreserved = limits
        .unreserved_concurrent_executions
        .unwrap_or(limits.concurrent_executions);
    match preflight::check(current.map(|c| &c.parameters), desired, Some(limits)) {
        Ok(()) => Check::pass(
            "concurrency",
            format!(
                "the stack needs {} concurrent executions; the account has {unreserved} \
                 unreserved here",
                consumers.concurrency_needed()
            ),
        ),
        Err(problems) => Check::fail(
            "concurrency",
            format!("needs {}", consumers.concurrency_needed()),
            joined(&problems),
        ),
    }
}

/// The account's Kinesis shard quota against the shards the stack would add.
async fn shards(
    clients: &Clients,
    current: Option<&DeployedState>,
    desired: &BTreeMap<String, String>,
) -> Check {
    let Some(quota) = quota::shard_quota(&clients.kinesis).await else {
        return Check::note(
            "shards",
            "unknown: Kinesis DescribeLimits did not answer; `up` does not check it either",
        );
    };
    let wanted = number(desired, Parameter::ShardCount).unwrap_or(1);
    let from = current.and_then(|c| number(&c.parameters, Parameter::ShardCount));
    match quota::check_shards(quota, from, wanted) {
        Ok(()) => Check::pass(
            "shards",
            format!(
                "{wanted} shard(s) fit: {} of the account's {} are free here",
                quota.free(),
                quota.limit
            ),
        ),
        Err(problem) => Check::fail("shards", format!("{wanted} shard(s)"), problem.rule),
    }
}

/// The artifact bucket `up` would use: free, this stack's, or someone else's.
async fn artifact_bucket(
    clients: &Clients,
    names: &StackNames,
    current: Option<&DeployedState>,
    account: String,
) -> Check {
    let deployed = current.map(|c| &c.parameters);
    let (name, named) = bucket::choose(None, deployed, &names.bucket(&account));
    let store = Bucket {
        s3: &clients.s3,
        name: name.clone(),
        owner: account,
    };
    let standing = match store.standing(&names.stack).await {
        Ok(standing) => standing,
        Err(err) => return problem("artifact bucket", &name, &err),
    };
    match bucket::admit(&standing, &name, &names.stack, named) {
        Ok(true) => Check::pass("artifact bucket", format!("{name}: free, `up` creates it")),
        Ok(false) => Check::pass("artifact bucket", format!("{name}: this stack's")),
        Err(err) => problem("artifact bucket", &name, &err),
    }
}

fn joined(problems: &[template::ParameterError]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests;
