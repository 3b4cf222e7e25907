//! `demo serve --local`: the offline stack as a server any client can use, as `sam local
//! start-api` serves a template's API: the API stand-in on 127.0.0.1 and the consumers' pollers
//! run until Ctrl-C, with one line per request and per batch handed to a consumer.

use std::fmt;

use serde::Serialize;

use crate::aws::connect;
use crate::deploy::{resources, stack};
use crate::error::CliError;
use crate::local::{LocalOptions, LocalRun, RanBinary};
use crate::output;
use crate::settings::Settings;
use crate::terminal;

/// What `serve` prints on stdout once it listens: where to post, and what runs the functions.
#[derive(Debug, Serialize)]
struct Serving {
    pub(crate) stack: String,
    pub(crate) url: String,
    pub(crate) binaries: Vec<RanBinary>,
}

impl fmt::Display for Serving {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "POST {}", self.url)?;
        for ran in &self.binaries {
            writeln!(f, "  {ran}")?;
        }
        Ok(())
    }
}

pub(crate) async fn run(settings: &Settings, port: u16) -> Result<(), CliError> {
    if !settings.aws.local {
        return Err(CliError::Usage(
            "`demo serve` runs the stack offline: add --local (on AWS the stack's API Gateway \
             URL serves orders; `demo status` prints it)"
                .into(),
        ));
    }
    let clients = connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(&clients, name).await?;
    let options = LocalOptions {
        port,
        log_each: true,
    };
    let run = LocalRun::start(&clients, name, &deployed, options).await?;
    output::emit(
        settings.output,
        &Serving {
            stack: name.clone(),
            url: run.url(),
            binaries: run.binaries(),
        },
    )?;
    terminal::note(format!("serving stack {name} offline; Ctrl-C to stop"));
    // Any error of the signal handler is treated as the signal: stop cleanly rather than hang.
    let _ = tokio::signal::ctrl_c().await;
    terminal::note(
        "stopping: no more orders; the consumers get what they gathered now, without waiting \
         out their batching windows",
    );
    let figures = run.figures_note();
    let summaries = run.finish_now().await?;
    for summary in &summaries {
        terminal::note(summary);
    }
    terminal::note(figures);
    terminal::note(
        "measurements sent to the emulator's CloudWatch and the functions' output to its \
         CloudWatch Logs: `demo report --local` compares the consumers",
    );
    Ok(())
}
