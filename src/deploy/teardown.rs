//! After the stack is deleted: checks, service by service, that nothing named for the stack is
//! left (moto keeps the REST API; AWS may keep log groups a function wrote to after their
//! deletion; a failed create may leave a dashboard) and removes such stragglers. Only exact
//! names the template gives are touched.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use super::DeployError;
use super::names::{FUNCTIONS, StackNames};
use crate::aws::Clients;

/// Everything of the stack still present, as "kind name" strings.
pub async fn leftovers(
    clients: &Clients,
    names: &StackNames,
) -> Result<Vec<Leftover>, DeployError> {
    let mut found = Vec::new();
    for id in rest_api_ids(clients, &names.api()).await? {
        found.push(Leftover::RestApi(id));
    }
    for function in names.functions() {
        if exists(
            clients
                .lambda
                .get_function()
                .function_name(&function)
                .send()
                .await,
            "ResourceNotFoundException",
            &function,
        )? {
            found.push(Leftover::Function(function));
        }
    }
    let stream = names.stream();
    if exists(
        clients
            .kinesis
            .describe_stream_summary()
            .stream_name(&stream)
            .send()
            .await,
        "ResourceNotFoundException",
        &stream,
    )? {
        found.push(Leftover::Stream(stream));
    }
    for table in names.tables() {
        if exists(
            clients
                .dynamodb
                .describe_table()
                .table_name(&table)
                .send()
                .await,
            "ResourceNotFoundException",
            &table,
        )? {
            found.push(Leftover::Table(table));
        }
    }
    let queue = names.queue();
    match clients.sqs.get_queue_url().queue_name(&queue).send().await {
        Ok(output) => found.push(Leftover::Queue(output.queue_url.unwrap_or(queue))),
        Err(err)
            if is_code(
                &err,
                &[
                    "AWS.SimpleQueueService.NonExistentQueue",
                    "QueueDoesNotExist",
                ],
            ) => {}
        Err(err) => return Err(DeployError::aws(format!("look for queue {queue}"), err)),
    }
    for function in FUNCTIONS {
        let group = names.log_group(function);
        let output = clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(&group)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("look for log group {group}"), err))?;
        if output
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group.as_str()))
        {
            found.push(Leftover::LogGroup(group));
        }
    }
    let dashboard = names.dashboard();
    if exists(
        clients
            .cloudwatch
            .get_dashboard()
            .dashboard_name(&dashboard)
            .send()
            .await,
        "ResourceNotFound",
        &dashboard,
    )? {
        found.push(Leftover::Dashboard(dashboard));
    }
    for function in FUNCTIONS {
        let role = names.role(function);
        if exists(
            clients.iam.get_role().role_name(&role).send().await,
            "NoSuchEntity",
            &role,
        )? {
            found.push(Leftover::Role(role));
        }
    }
    Ok(found)
}

/// A resource of the stack that outlived it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Leftover {
    RestApi(String),
    Function(String),
    Stream(String),
    Table(String),
    Queue(String),
    LogGroup(String),
    Dashboard(String),
    Role(String),
}

impl std::fmt::Display for Leftover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, name) = match self {
            Leftover::RestApi(n) => ("REST API", n),
            Leftover::Function(n) => ("function", n),
            Leftover::Stream(n) => ("stream", n),
            Leftover::Table(n) => ("table", n),
            Leftover::Queue(n) => ("queue", n),
            Leftover::LogGroup(n) => ("log group", n),
            Leftover::Dashboard(n) => ("dashboard", n),
            Leftover::Role(n) => ("role", n),
        };
        write!(f, "{kind} {name}")
    }
}

/// Removes one leftover.
pub async fn remove(clients: &Clients, leftover: &Leftover) -> Result<(), DeployError> {
    let failed = |err| DeployError::Incomplete(format!("could not remove {leftover}: {err}"));
    match leftover {
        Leftover::RestApi(id) => clients
            .apigateway
            .delete_rest_api()
            .rest_api_id(id)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Function(name) => {
            let mappings = clients
                .lambda
                .list_event_source_mappings()
                .function_name(name)
                .send()
                .await
                .map_err(|e| failed(display(e)))?;
            for mapping in mappings.event_source_mappings() {
                if let Some(uuid) = mapping.uuid() {
                    clients
                        .lambda
                        .delete_event_source_mapping()
                        .uuid(uuid)
                        .send()
                        .await
                        .map_err(|e| failed(display(e)))?;
                }
            }
            clients
                .lambda
                .delete_function()
                .function_name(name)
                .send()
                .await
                .map(drop)
                .map_err(|e| failed(display(e)))
        }
        Leftover::Stream(name) => clients
            .kinesis
            .delete_stream()
            .stream_name(name)
            .enforce_consumer_deletion(true)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Table(name) => clients
            .dynamodb
            .delete_table()
            .table_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Queue(url) => clients
            .sqs
            .delete_queue()
            .queue_url(url)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::LogGroup(name) => clients
            .logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Dashboard(name) => clients
            .cloudwatch
            .delete_dashboards()
            .dashboard_names(name)
            .send()
            .await
            .map(drop)
            .map_err(|e| failed(display(e))),
        Leftover::Role(name) => remove_role(clients, name).await.map_err(failed),
    }
}

async fn remove_role(clients: &Clients, role: &str) -> Result<(), String> {
    let iam = &clients.iam;
    let inline = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(display)?;
    for policy in inline.policy_names() {
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(display)?;
    }
    let attached = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(display)?;
    for policy in attached.attached_policies() {
        if let Some(arn) = policy.policy_arn() {
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(arn)
                .send()
                .await
                .map_err(display)?;
        }
    }
    iam.delete_role()
        .role_name(role)
        .send()
        .await
        .map(drop)
        .map_err(display)
}

async fn rest_api_ids(clients: &Clients, name: &str) -> Result<Vec<String>, DeployError> {
    let mut pages = clients
        .apigateway
        .get_rest_apis()
        .limit(500)
        .into_paginator()
        .send();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| DeployError::aws("list REST APIs", err))?;
        ids.extend(
            page.items()
                .iter()
                .filter(|api| api.name() == Some(name))
                .filter_map(|api| api.id().map(str::to_owned)),
        );
    }
    Ok(ids)
}

fn exists<T, E>(
    result: Result<T, SdkError<E, HttpResponse>>,
    missing_code: &str,
    name: &str,
) -> Result<bool, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if is_code(&err, &[missing_code]) => Ok(false),
        Err(err) => Err(DeployError::aws(format!("look for {name}"), err)),
    }
}

fn is_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>, codes: &[&str]) -> bool {
    err.code().is_some_and(|code| codes.contains(&code))
}

fn display<E: std::error::Error + 'static>(err: E) -> String {
    aws_sdk_iam::error::DisplayErrorContext(err).to_string()
}
