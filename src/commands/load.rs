//! `demo load`: send orders to the stack's API, summarise, and optionally verify they landed.

use crate::deploy::{resources, stack};
use crate::error::CliError;
use crate::load::error::LoadError;
use crate::load::progress::ProgressMode;
use crate::load::report::LoadReport;
use crate::load::run::{self, LoadPlan};
use crate::load::verify::{self, VerifyPlan};
use crate::load::{ids, target};
use crate::local::{LocalOptions, LocalRun};
use crate::output;
use crate::settings::{LoadSettings, Settings};

pub async fn run(settings: &Settings, args: LoadSettings) -> Result<(), CliError> {
    // Everything that can be wrong with the flags is found before the first order is sent.
    let local = match (&args.url, settings.aws.local) {
        (None, true) => Some(start_local(settings).await?),
        _ => None,
    };
    let url = match &local {
        Some(run) => reqwest::Url::parse(&run.url()).map_err(|_| LoadError::NoUrl)?,
        None => target::resolve_url(&settings.aws, args.url.as_ref()).await?,
    };
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
    if let Some(run) = local {
        finish_local(run, settings).await?;
    }
    output::emit(settings.output, &report)?;
    Ok(report.outcome()?)
}

/// The in-process stand-ins for the API and the mappings (see `crate::local`).
async fn start_local(settings: &Settings) -> Result<LocalRun, CliError> {
    let clients = crate::aws::connect(&settings.aws).await?;
    let name = &settings.aws.stack_name;
    stack::describe_existing(&clients.cloudformation, name, &clients.region).await?;
    let deployed = resources::deployed(&clients, name).await?;
    Ok(LocalRun::start(&clients, &deployed, LocalOptions::default()).await?)
}

/// Lets the consumers' batching windows pass, then says what each consumer did.
async fn finish_local(run: LocalRun, settings: &Settings) -> Result<(), CliError> {
    if settings.verbosity.0 >= 0 {
        eprintln!(
            "waiting for the consumers to hand over what they have read (batching windows up to {} s)",
            run.longest_window().as_secs()
        );
    }
    let summaries = run.finish().await?;
    if settings.verbosity.0 >= 0 {
        for summary in &summaries {
            eprintln!("{summary}");
        }
        eprintln!(
            "the producer's PutRecords ran one at a time (moto's Kinesis loses records under concurrent PutRecord), so the latency and throughput below are the emulator's, not API Gateway's"
        );
        eprintln!(
            "measurements sent to the emulator's CloudWatch: `demo report --local` compares the consumers"
        );
    }
    Ok(())
}
