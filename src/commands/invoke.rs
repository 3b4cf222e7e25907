//! `demo invoke`: one function, once, with the event it would receive built from the notebook's
//! orders (or a file), and its response, log lines and REPORT figures (as `sam remote invoke`
//! and `cargo lambda invoke` show them).

use std::time::SystemTime;

use crate::aws::{Clients, connect};
use crate::error::CliError;
use crate::invoke::prepare::Prepared;
use crate::invoke::result::InvokeResult;
use crate::invoke::{InvokeError, InvokeRequest, aws, target};
use crate::output;
use crate::settings::Settings;
use crate::terminal;

pub async fn run(settings: &Settings, request: InvokeRequest) -> Result<(), CliError> {
    let stack = &settings.aws.stack_name;
    let prepared = Prepared::new(&request, stack, SystemTime::now())?;
    if settings.aws.local {
        // Where the process runner plugs in: the same target (read from the emulator's stack),
        // the same payload, its host's `invoke(payload) -> Invocation` in place of `aws::invoke`,
        // and the same result.
        return Err(InvokeError::NeedsRunner.into());
    }
    let clients = connect(&settings.aws).await?;
    let target = target::resolve(&clients, stack, request.function).await?;
    let (payload, event) = prepared.payload(&target.source, SystemTime::now())?;
    terminal::note(format!(
        "invoking {} ({}) with a {}-byte event",
        target.function,
        target.function_name,
        payload.len()
    ));
    let invocation = aws::invoke(&clients.lambda, &target.function_name, payload).await?;
    let result = InvokeResult::new(&target, event, invocation, &ran_on(&clients));
    output::emit(settings.output, &result)?;
    match result.function_error {
        Some(kind) => Err(InvokeError::FunctionFailed {
            function: result.function,
            function_name: result.function_name,
            kind,
        }
        .into()),
        None => Ok(()),
    }
}

/// Where the function ran, as the result names it.
fn ran_on(clients: &Clients) -> String {
    match &clients.endpoint_url {
        Some(url) => format!("the Lambda at {url}"),
        None => format!("AWS Lambda ({})", clients.region),
    }
}
