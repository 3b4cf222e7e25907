//! Where each function's log events are: the log group Lambda names in the function's
//! `LoggingConfig` (GetFunctionConfiguration), else the stack's own AWS::Logs::LogGroup for it
//! (an emulator may not report LoggingConfig). The template names the groups
//! `/aws/lambda/<stack>-<function>-<instance>`: never `/aws/lambda/<function>`, which is only
//! Lambda's default for a function without a group of its own.

use serde::Serialize;

use super::LogsError;
use super::function::{NotDeployed, StackFunction};
use crate::aws::{AwsError, Clients};
use crate::deploy::resources::{self, Resource};
use crate::deploy::{log_group, stack};
use crate::terminal;

/// How a function's platform lines are stored (its LoggingConfig's LogFormat).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    /// JSON records (`{"type":"platform.start",…}`), as the template sets.
    Json,
    /// Lambda's plain lines (`START RequestId: …`), its default.
    Text,
}

/// Who named the log group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FoundBy {
    /// The function's LoggingConfig, as Lambda reports it.
    Lambda,
    /// The stack's AWS::Logs::LogGroup for the function.
    Stack,
    /// The group `up` made for the function, proven the stack's by its `demo:stack-id` tag
    /// (moto drops the group from the stack's resources after a stack update).
    Tag,
}

/// One function's log group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LogSource {
    pub(crate) function: StackFunction,
    pub(crate) function_name: String,
    pub(crate) log_group: String,
    pub(crate) log_format: LogFormat,
    found_by: FoundBy,
}

#[cfg(test)]
impl LogSource {
    /// A function's source in stack `s`, as the stack names its group (for tests).
    pub(crate) fn example(function: StackFunction) -> LogSource {
        LogSource {
            function,
            function_name: format!("s-{}", function.template_name()),
            log_group: format!("/aws/lambda/s-{}-1234abcd", function.template_name()),
            log_format: LogFormat::Json,
            found_by: FoundBy::Stack,
        }
    }
}

/// What Lambda says of a function's logging: None when it says nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Configured {
    pub(crate) log_group: Option<String>,
    pub(crate) log_format: Option<LogFormat>,
}

/// The log groups of `functions` in `stack`, in that order.
pub(crate) async fn sources(
    clients: &Clients,
    stack: &str,
    functions: &[StackFunction],
) -> Result<Vec<LogSource>, LogsError> {
    let state = stack::describe_existing(&clients.cloudformation, stack, &clients.region).await?;
    let resources = resources::resources(clients, stack).await?;
    let mut sources = Vec::new();
    for &function in functions {
        let physical = |logical: &str| physical_id(&resources, logical);
        let function_name =
            physical(function.function_logical_id()).ok_or_else(|| NotDeployed {
                stack: stack.to_owned(),
                function,
            })?;
        let configured = configured(clients, &function_name).await?;
        let stack_group = physical(function.log_group_logical_id());
        let chosen = match choose(&configured, stack_group) {
            Some(chosen) => Some(chosen),
            None => log_group::owned(clients, &function_name, &state.stack_id)
                .await?
                .map(|group| {
                    (
                        group,
                        configured.log_format.unwrap_or(LogFormat::Json),
                        FoundBy::Tag,
                    )
                }),
        };
        let (log_group, log_format, found_by) = chosen.ok_or_else(|| LogsError::NoLogGroup {
            stack: stack.to_owned(),
            function,
            function_name: function_name.clone(),
        })?;
        sources.push(LogSource {
            function,
            function_name,
            log_group,
            log_format,
            found_by,
        });
    }
    Ok(sources)
}

fn physical_id(resources: &[Resource], logical: &str) -> Option<String> {
    (resources.iter())
        .find(|r| r.logical_id == logical)
        .and_then(|r| r.physical_id.clone())
}

/// The group and format to read: Lambda's word first (its default format is Text), else the
/// stack's group, whose functions the template sets to JSON.
pub(crate) fn choose(
    configured: &Configured,
    stack_group: Option<String>,
) -> Option<(String, LogFormat, FoundBy)> {
    match (&configured.log_group, stack_group) {
        (Some(group), _) => Some((
            group.clone(),
            configured.log_format.unwrap_or(LogFormat::Text),
            FoundBy::Lambda,
        )),
        (None, Some(group)) => Some((
            group,
            configured.log_format.unwrap_or(LogFormat::Json),
            FoundBy::Stack,
        )),
        (None, None) => None,
    }
}

/// The function's LoggingConfig. A refused or failed read is not the end: the stack still
/// names the group (said on stderr); only a sign-in or connection problem stops the command.
async fn configured(clients: &Clients, function_name: &str) -> Result<Configured, LogsError> {
    let answer = clients
        .lambda
        .get_function_configuration()
        .function_name(function_name)
        .send()
        .await;
    let output = match answer {
        Ok(output) => output,
        Err(err) => {
            let error = AwsError::from_sdk(
                format!("read the logging configuration of {function_name}"),
                err,
            );
            if error.is_environment() {
                return Err(error.into());
            }
            terminal::warn(format!("{error}; reading the stack's log group instead"));
            return Ok(Configured::default());
        }
    };
    let logging = output.logging_config();
    Ok(Configured {
        log_group: logging.and_then(|l| l.log_group()).map(str::to_owned),
        log_format: logging
            .and_then(|l| l.log_format())
            .map(|format| match format {
                aws_sdk_lambda::types::LogFormat::Json => LogFormat::Json,
                _ => LogFormat::Text,
            }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACK_GROUP: &str = "/aws/lambda/demo-put-record-56506aab";

    #[test]
    fn lambdas_logging_config_wins() {
        let configured = Configured {
            log_group: Some("/custom/group".into()),
            log_format: Some(LogFormat::Json),
        };
        assert_eq!(
            choose(&configured, Some(STACK_GROUP.into())),
            Some(("/custom/group".into(), LogFormat::Json, FoundBy::Lambda))
        );
        // Lambda's default format is Text.
        let no_format = Configured {
            log_format: None,
            ..configured
        };
        assert_eq!(choose(&no_format, None).unwrap().1, LogFormat::Text);
    }

    #[test]
    fn without_it_the_stacks_group_is_read_in_the_templates_format() {
        assert_eq!(
            choose(&Configured::default(), Some(STACK_GROUP.into())),
            Some((STACK_GROUP.into(), LogFormat::Json, FoundBy::Stack))
        );
        assert_eq!(choose(&Configured::default(), None), None);
    }
}
