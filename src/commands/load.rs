//! `demo load`: send orders to the stack's API, summarise, and optionally verify they landed.

use crate::aws::{Clients, connect};
use crate::deploy::{resources, stack};
use crate::error::CliError;
use crate::load::error::LoadError;
use crate::load::ids;
use crate::load::report::{LoadReport, LocalReport};
use crate::load::run::{self, LoadPlan};
use crate::load::stats::Accepted;
use crate::load::target::{self, StackNames};
use crate::load::verify::{self, VerifyPlan};
use crate::local::{LocalOptions, LocalRun};
use crate::output;
use crate::settings::Settings;
use crate::terminal::{self, ProgressMode};

pub(crate) async fn run(settings: &Settings, plan: LoadPlan) -> Result<(), CliError> {
    // Everything that can be wrong with the flags is found before the first order is sent.
    let local = plan.url.is_none() && settings.aws.local;
    let tables_given = plan.verify.as_ref().is_none_or(|v| v.tables.complete());
    let needs_stack = local || plan.url.is_none() || !tables_given;
    let clients = match needs_stack || plan.verify.is_some() {
        true => Some(connect(&settings.aws).await?),
        false => None,
    };
    let name = &settings.aws.stack_name;
    let (local_run, stack) = match &clients {
        Some(clients) if local => {
            let (run, names) = start_local(clients, name).await?;
            (Some(run), Some(names))
        }
        Some(clients) if needs_stack => (None, Some(StackNames::look_up(clients, name).await?)),
        _ => (None, None),
    };
    let url = match &local_run {
        Some(run) => reqwest::Url::parse(&run.url()).map_err(|_| LoadError::NoUrl)?,
        None => target::resolve_url(plan.url.as_ref(), stack.as_ref())?,
    };
    let verification = match (&plan.verify, &clients) {
        (Some(verify), Some(clients)) => {
            let tables = target::resolve_tables(&verify.tables, stack.as_ref())?;
            Some((tables, verify.timeout, clients.dynamodb.clone()))
        }
        _ => None,
    };
    let ids_file = plan.ids_file.as_deref().map(ids::create).transpose()?;
    target::check_reachable(&url).await?;

    let mode = ProgressMode::current();
    let outcome = run::run(&plan, &url, mode).await?;
    if let (Some(file), Some(path)) = (ids_file, &plan.ids_file) {
        ids::write(file, path, &outcome.tally.accepted)?;
    }
    let mut report = LoadReport::new(&plan, &url, &outcome);
    if let Some((tables, timeout, client)) = verification {
        let plan = VerifyPlan {
            tables,
            expected: expected(&outcome.tally.accepted),
            timeout,
        };
        report.verify = Some(verify::verify(&client, &plan, mode).await?);
    }
    if let Some(run) = local_run {
        report.local = Some(finish_local(run).await?);
    }
    output::emit(settings.output, &report)?;
    Ok(report.outcome()?)
}

/// The orders to look for in the tables: every one the API accepted, and when it was sent.
fn expected(accepted: &[Accepted]) -> Vec<ids::Expected> {
    accepted
        .iter()
        .map(|accepted| ids::Expected {
            orderid: accepted.orderid.clone(),
            sent_at_ms: Some(accepted.sent_at_ms),
        })
        .collect()
}

/// The local runner (the functions' processes, the API and the mappings; see `crate::local`),
/// and the stack's names read on the way.
async fn start_local(clients: &Clients, name: &str) -> Result<(LocalRun, StackNames), CliError> {
    stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(clients, name).await?;
    let names = StackNames::of(&deployed, &clients.region);
    let run = LocalRun::start(clients, name, &deployed, LocalOptions::default()).await?;
    Ok((run, names))
}

/// Lets the consumers' batching windows pass, then says what each consumer did, what ran, and
/// what the figures are.
async fn finish_local(run: LocalRun) -> Result<LocalReport, CliError> {
    terminal::note(format!(
        "waiting for the consumers to hand over what they have read (batching windows up to {} s)",
        run.longest_window().as_secs()
    ));
    let binaries = run.binaries();
    let figures = run.figures_note();
    let consumers = run.finish().await?;
    for summary in &consumers {
        terminal::note(summary);
    }
    terminal::note(&figures);
    terminal::note(
        "measurements sent to the emulator's CloudWatch and the functions' output to its \
         CloudWatch Logs: `demo report --local` compares the consumers",
    );
    Ok(LocalReport {
        binaries,
        consumers,
        figures,
    })
}
