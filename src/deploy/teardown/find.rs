//! Finds, service by service, what is named for the stack, with the tags each carries, and
//! gathers what proves ownership (the stack's ids and what it listed as made by it). An answer
//! is judged by what it means (`answers`); one that is neither "here it is" nor "it does not
//! exist" is noted as a check not made, and the search goes on.

use std::collections::BTreeMap;

use super::answers::{Service, present};
use super::ownership::{Found, Owner, recordable};
use super::{Findings, Leftover};
use crate::aws::Clients;
use crate::deploy::DeployError;
use crate::deploy::names::{FUNCTIONS, NamePattern, StackNames};
use crate::deploy::plan::DeployedState;
use crate::deploy::resources::{self, Resource};

type Tags = BTreeMap<String, String>;

/// The live stack's resources (none while it is still under review: it has made nothing, and
/// the emulator cannot list them then).
pub(crate) async fn listed(
    clients: &Clients,
    live: Option<&DeployedState>,
) -> Result<Vec<Resource>, DeployError> {
    match live {
        Some(live) if !live.status.is_review() => {
            resources::resources(clients, &live.stack_id).await
        }
        _ => Ok(Vec::new()),
    }
}

/// What proves ownership for this run: every id the stack's name has had here (ListStacks keeps
/// deleted stacks for 90 days), and the physical ids the live stack lists (`held`, read before
/// anything deletes it).
pub(crate) async fn owner(
    clients: &Clients,
    names: &StackNames,
    live: Option<&DeployedState>,
    held: &[Resource],
) -> Result<Owner, DeployError> {
    let mut owner = Owner::default();
    let mut pages = clients.cloudformation.list_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| DeployError::aws("list stacks", err))?;
        owner.stack_ids.extend(
            page.stack_summaries()
                .iter()
                .filter(|s| s.stack_name() == Some(names.stack.as_str()))
                .filter_map(|s| s.stack_id().map(str::to_owned)),
        );
    }
    owner.stack_ids.extend(live.map(|l| l.stack_id.clone()));
    owner.recorded.extend(
        held.iter()
            .filter_map(|r| recordable(&r.status, r.physical_id.as_deref())),
    );
    Ok(owner)
}

/// Everything named for the stack that exists, with its tags, and the checks that could not be
/// made. Only credentials or connection trouble stops the search (every check would fail).
pub(crate) async fn find(clients: &Clients, names: &StackNames) -> Result<Findings, DeployError> {
    let mut findings = Findings::default();
    findings.take(rest_apis(clients, &names.api()).await)?;
    for function in names.functions() {
        findings.take(function_named(clients, &function).await)?;
    }
    findings.take(stream(clients, &names.stream()).await)?;
    for pattern in names.tables() {
        findings.take(tables(clients, &pattern).await)?;
    }
    findings.take(queues(clients, &names.queue()).await)?;
    for function in FUNCTIONS {
        findings.take(log_groups(clients, &names.log_group(function)).await)?;
    }
    findings.take(dashboard(clients, &names.dashboard()).await)?;
    findings.take(alarm(clients, &names.alarm()).await)?;
    for function in FUNCTIONS {
        findings.take(role(clients, &names.role(function)).await)?;
    }
    Ok(findings)
}

/// Tags as the services that answer with a map give them (the others give a list of pairs).
fn tag_map(tags: Option<&std::collections::HashMap<String, String>>) -> Tags {
    tags.into_iter()
        .flatten()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

fn tagged(leftover: Leftover, tags: Tags) -> Found {
    Found {
        leftover,
        tags: Some(tags),
    }
}

async fn rest_apis(clients: &Clients, name: &str) -> Result<Vec<Found>, DeployError> {
    let mut pages = clients
        .apigateway
        .get_rest_apis()
        .limit(500)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|err| DeployError::aws(format!("look for REST API {name}"), err))?;
        for api in page.items().iter().filter(|api| api.name() == Some(name)) {
            let Some(id) = api.id() else { continue };
            let tags = tag_map(api.tags());
            found.push(tagged(Leftover::RestApi(id.to_owned()), tags));
        }
    }
    Ok(found)
}

async fn function_named(clients: &Clients, name: &str) -> Result<Option<Found>, DeployError> {
    let answer = clients
        .lambda
        .get_function()
        .function_name(name)
        .send()
        .await;
    let looked = present(answer, Service::Lambda, name, || {
        looking_for("function", name)
    })?;
    Ok(looked.map(|output| {
        let tags = tag_map(output.tags());
        tagged(Leftover::Function(name.to_owned()), tags)
    }))
}

async fn stream(clients: &Clients, name: &str) -> Result<Option<Found>, DeployError> {
    let kinesis = &clients.kinesis;
    let answer = kinesis
        .list_tags_for_stream()
        .stream_name(name)
        .send()
        .await;
    let looked = present(answer, Service::Kinesis, name, || {
        looking_for("stream", name)
    })?;
    Ok(looked.map(|output| {
        let tags = output
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect();
        tagged(Leftover::Stream(name.to_owned()), tags)
    }))
}

/// The tables whose names `pattern` makes, with their tags. ListTables has no prefix filter
/// (and moto answers nothing to an ExclusiveStartTableName it does not hold), so every page is
/// read.
async fn tables(clients: &Clients, pattern: &NamePattern) -> Result<Vec<Found>, DeployError> {
    let mut pages = clients.dynamodb.list_tables().into_paginator().send();
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| DeployError::aws(looking_for("tables", pattern), err))?;
        names.extend(
            page.table_names()
                .iter()
                .filter(|name| pattern.matches(name))
                .cloned(),
        );
    }
    let mut found = Vec::new();
    for name in names {
        found.extend(table_named(clients, &name).await?);
    }
    Ok(found)
}

async fn table_named(clients: &Clients, name: &str) -> Result<Option<Found>, DeployError> {
    let dynamodb = &clients.dynamodb;
    let answer = dynamodb.describe_table().table_name(name).send().await;
    let Some(described) = present(answer, Service::DynamoDb, name, || {
        looking_for("table", name)
    })?
    else {
        return Ok(None);
    };
    let arn = described
        .table()
        .and_then(|t| t.table_arn())
        .unwrap_or_default();
    let answer = dynamodb
        .list_tags_of_resource()
        .resource_arn(arn)
        .send()
        .await;
    // Gone between the two calls: nothing left to judge.
    let Some(tags) = present(answer, Service::DynamoDb, name, || tags_of("table", name))? else {
        return Ok(None);
    };
    let tags = tags
        .tags()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect();
    Ok(Some(tagged(Leftover::Table(name.to_owned()), tags)))
}

/// The queues whose names `pattern` makes, with their tags.
async fn queues(clients: &Clients, pattern: &NamePattern) -> Result<Vec<Found>, DeployError> {
    let mut pages = clients
        .sqs
        .list_queues()
        .queue_name_prefix(pattern.prefix())
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| DeployError::aws(looking_for("queues", pattern), err))?;
        for url in page.queue_urls() {
            let name = url.rsplit('/').next().unwrap_or_default();
            if pattern.matches(name) {
                found.extend(queue_tags(clients, name, url).await?);
            }
        }
    }
    Ok(found)
}

/// The queue at `url` with its tags; None when it was deleted since it was listed.
async fn queue_tags(
    clients: &Clients,
    name: &str,
    url: &str,
) -> Result<Option<Found>, DeployError> {
    let answer = clients.sqs.list_queue_tags().queue_url(url).send().await;
    let tags = present(answer, Service::Sqs, name, || tags_of("queue", name))?;
    Ok(tags.map(|tags| tagged(Leftover::Queue(url.to_owned()), tag_map(tags.tags()))))
}

/// The log groups whose names `pattern` makes, with their tags.
async fn log_groups(clients: &Clients, pattern: &NamePattern) -> Result<Vec<Found>, DeployError> {
    let mut pages = clients
        .logs
        .describe_log_groups()
        .log_group_name_prefix(pattern.prefix())
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| DeployError::aws(looking_for("log groups", pattern), err))?;
        for group in page.log_groups() {
            let (Some(name), Some(arn)) = (group.log_group_name(), group.log_group_arn()) else {
                continue;
            };
            if pattern.matches(name) {
                found.extend(log_group_tags(clients, name, arn).await?);
            }
        }
    }
    Ok(found)
}

/// The log group with its tags; None when it was deleted since it was listed.
async fn log_group_tags(
    clients: &Clients,
    name: &str,
    arn: &str,
) -> Result<Option<Found>, DeployError> {
    let answer = clients
        .logs
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    let tags = present(answer, Service::Logs, name, || tags_of("log group", name))?;
    Ok(tags.map(|tags| tagged(Leftover::LogGroup(name.to_owned()), tag_map(tags.tags()))))
}

/// Dashboards cannot carry tags: found with none (see `ownership`).
async fn dashboard(clients: &Clients, name: &str) -> Result<Option<Found>, DeployError> {
    let answer = clients
        .cloudwatch
        .get_dashboard()
        .dashboard_name(name)
        .send()
        .await;
    let looked = present(answer, Service::CloudWatch, name, || {
        looking_for("dashboard", name)
    })?;
    Ok(looked.map(|_| Found {
        leftover: Leftover::Dashboard(name.to_owned()),
        tags: None,
    }))
}

async fn alarm(clients: &Clients, name: &str) -> Result<Option<Found>, DeployError> {
    let cloudwatch = &clients.cloudwatch;
    let described = cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await
        .map_err(|err| DeployError::aws(looking_for("alarm", name), err))?;
    let Some(arn) = described
        .metric_alarms()
        .first()
        .and_then(|a| a.alarm_arn())
    else {
        return Ok(None);
    };
    let answer = cloudwatch
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    let Some(tags) = present(answer, Service::CloudWatch, name, || tags_of("alarm", name))? else {
        return Ok(None);
    };
    let tags = tags
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    Ok(Some(tagged(Leftover::Alarm(name.to_owned()), tags)))
}

async fn role(clients: &Clients, name: &str) -> Result<Option<Found>, DeployError> {
    let answer = clients.iam.list_role_tags().role_name(name).send().await;
    let looked = present(answer, Service::Iam, name, || looking_for("role", name))?;
    Ok(looked.map(|output| {
        let tags = output
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        tagged(Leftover::Role(name.to_owned()), tags)
    }))
}

fn looking_for(kind: &str, name: impl std::fmt::Display) -> String {
    format!("look for {kind} {name}")
}

fn tags_of(kind: &str, name: &str) -> String {
    format!("read the tags of {kind} {name}")
}
