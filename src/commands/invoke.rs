//! `demo invoke`: one function, once, with the event it would receive built from the notebook's
//! orders (or a file), and its response, log lines and REPORT figures (as `sam remote invoke`
//! and `cargo lambda invoke` show them).

use std::time::SystemTime;

use crate::aws::{Clients, connect};
use crate::error::CliError;
use crate::invoke::prepare::Prepared;
use crate::invoke::result::InvokeResult;
use crate::invoke::{InvokeError, InvokeRequest, aws, local, target};
use crate::output;
use crate::settings::Settings;
use crate::terminal;

pub(crate) async fn run(settings: &Settings, request: InvokeRequest) -> Result<(), CliError> {
    let stack = &settings.aws.stack_name;
    let prepared = Prepared::new(&request, stack, SystemTime::now())?;
    let clients = connect(&settings.aws).await?;
    let target = target::resolve(&clients, stack, request.function).await?;
    let (payload, event) = prepared.payload(&target.source, SystemTime::now())?;
    terminal::note(format!(
        "invoking {} ({}) with a {}-byte event",
        target.function,
        target.function_name,
        payload.len()
    ));
    let (invocation, ran_on) = if settings.aws.local {
        let payload = serde_json::from_slice(&payload)
            .map_err(|err| InvokeError::Invalid(format!("the event is not JSON: {err}")))?;
        let (invocation, binary) =
            local::invoke(&clients, stack, request.function, payload).await?;
        (invocation, format!("a process on this machine: {binary}"))
    } else {
        let invocation = aws::invoke(&clients.lambda, &target.function_name, payload).await?;
        (invocation, ran_on(&clients))
    };
    let result = InvokeResult::new(&target, event, invocation, &ran_on);
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
