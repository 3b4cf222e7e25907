//! `demo load`: send orders to the stack's API, summarise, and optionally verify they landed.

use crate::error::CliError;
use crate::load::error::LoadError;
use crate::load::progress::ProgressMode;
use crate::load::report::LoadReport;
use crate::load::run::{self, LoadPlan};
use crate::load::verify::{self, VerifyPlan};
use crate::load::{ids, target};
use crate::output;
use crate::settings::{LoadSettings, Settings};

pub async fn run(settings: &Settings, args: LoadSettings) -> Result<(), CliError> {
    // Everything that can be wrong with the flags is found before the first order is sent.
    let url = target::resolve_url(&settings.aws, args.url.as_ref()).await?;
    let verification = match &args.verify {
        Some(verify) => {
            let tables = target::resolve_tables(&settings.aws, &verify.tables).await?;
            let clients = crate::aws::connect(&settings.aws)
                .await
                .map_err(LoadError::from)?;
            Some((tables, verify.timeout, clients.dynamodb))
        }
        None => None,
    };
    let ids_file = args.ids_file.as_deref().map(ids::create).transpose()?;
    target::check_reachable(&url).await?;

    let plan = LoadPlan {
        url,
        orders: args.orders,
        duration: args.duration,
        concurrency: args.concurrency,
        rate: args.rate,
        seed: args.seed,
        timeout: args.timeout,
        max_attempts: args.max_attempts,
    };
    let mode = ProgressMode::for_stderr(settings.verbosity);
    let outcome = run::run(&plan, mode).await?;
    if let (Some(file), Some(path)) = (ids_file, &args.ids_file) {
        ids::write(file, path, &outcome.tally.accepted)?;
    }
    let mut report = LoadReport::new(&plan, &outcome, args.ids_file.clone());
    if let Some((tables, timeout, client)) = verification {
        let expected = outcome
            .tally
            .accepted
            .iter()
            .map(|accepted| ids::Expected {
                orderid: accepted.orderid.clone(),
                sent_at_ms: Some(accepted.sent_at_ms),
            })
            .collect();
        let plan = VerifyPlan {
            tables,
            expected,
            timeout,
        };
        report.verify = Some(verify::verify(&client, &plan, mode).await?);
    }
    output::emit(settings.output, &report)?;
    Ok(report.outcome()?)
}
