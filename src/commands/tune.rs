//! `demo tune`: change a consumer's batching in seconds, and keep the stack the source of truth.
//!
//! Why both a direct update and a stack update: a CloudFormation update per tune is what every
//! peer does and takes a minute on AWS; `UpdateEventSourceMapping` takes effect in seconds. So
//! the tool updates the mapping directly, waits until Lambda reports it Enabled with the new
//! values (that is the figure it reports), and then records the values as the stack's
//! parameters with a parameter-only change set. CloudFormation then agrees with the mapping, a
//! later plain `demo up` keeps the tuned values, `demo status` shows them, and `demo down`
//! deletes the stack as usual.
//!
//! The two must not end up disagreeing: the recording keeps the deployed template and every
//! other parameter's deployed value; if CloudFormation refuses or rolls it back, the mapping is
//! put back (a rollback does that itself) and the run fails; Ctrl-C before the recording puts
//! the mapping back, Ctrl-C during it lets CloudFormation finish, whose outcome agrees either way.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::aws::{Clients, connect};
use crate::deploy::batching::Batching;
use crate::deploy::mapping::{self, Mapping, update_mapping, wait_for_effect};
use crate::deploy::plan::DeployedState;
use crate::deploy::preflight::{self, Concurrency};
use crate::deploy::record::{self, Recorded};
use crate::deploy::tuning::{self, TuneRequest};
use crate::deploy::{DeployError, interrupt, stack, template};
use crate::error::CliError;
use crate::model::{Consumer, Parameter, ParameterValues};
use crate::output;
use crate::settings::Settings;
use crate::terminal;

#[derive(Debug, Serialize)]
pub struct TuneReport {
    pub stack: String,
    pub dry_run: bool,
    pub changes: Vec<MappingChange>,
    /// Seconds from the first update call until every mapping reported the new values.
    pub effect_seconds: Option<f64>,
    /// Seconds the stack took to record them as parameters.
    pub stack_seconds: Option<f64>,
    /// What Lambda reports besides the values: a mapping a user disabled (no records flow to
    /// that consumer until it is enabled), a failed last processing attempt.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct MappingChange {
    pub consumer: Consumer,
    pub function: String,
    pub before: Batching,
    pub after: Batching,
}

pub async fn run(settings: &Settings, request: TuneRequest) -> Result<(), CliError> {
    let specs = template::parameter_specs();
    tuning::validate(specs, &request)?;
    let clients = connect(&settings.aws).await?;
    let report = apply(&clients, &settings.aws.stack_name, &request).await?;
    Ok(output::emit(settings.output, &report)?)
}

/// Tunes the mappings and records the values in the stack (`demo sweep --apply` too); the
/// request is validated.
pub async fn apply(
    clients: &Clients,
    stack_name: &str,
    request: &TuneRequest,
) -> Result<TuneReport, CliError> {
    let current =
        stack::describe_existing(&clients.cloudformation, stack_name, &clients.region).await?;
    let mut changes = Vec::new();
    let mut mappings = Vec::new();
    for &consumer in request.consumers.members() {
        let mapping = mapping::of_consumer(clients, stack_name, consumer).await?;
        let before = mapping.batching();
        changes.push(MappingChange {
            consumer,
            function: mapping.function.clone(),
            before,
            after: request.change.applied_to(before),
        });
        mappings.push(mapping);
    }
    if request.change.parallelization.is_some() {
        fits_the_account(&clients.lambda, &current, &changes).await?;
    }
    let mut report = TuneReport {
        stack: stack_name.to_owned(),
        dry_run: request.dry_run,
        changes,
        effect_seconds: None,
        stack_seconds: None,
        notes: Vec::new(),
    };
    if !request.dry_run {
        interrupt::install();
        // From the first mapping update until the stack records it, Ctrl-C must not leave the
        // two disagreeing: this run ends that step itself (see `go_live` and `record`).
        let _deferred = interrupt::defer();
        // Said only on a second Ctrl-C, which stops before the mapping is put back.
        interrupt::doing(format!(
            "the mapping may hold the new values while stack {stack_name} does not: `demo up` \
             puts it back to the stack's values, `demo tune` again applies the change"
        ));
        let started = Instant::now();
        report.notes = go_live(clients, &mappings, &report.changes, started).await?;
        report.effect_seconds = Some(started.elapsed().as_secs_f64());
        terminal::note(format!(
            "mappings report the new values after {:.1} s; recording them in the stack",
            started.elapsed().as_secs_f64()
        ));
        let started = Instant::now();
        let tuned: Vec<_> = request
            .consumers
            .members()
            .iter()
            .flat_map(|&c| tuning::overrides(request, c))
            .collect();
        match record::record(clients, stack_name, &current, &tuned).await? {
            Recorded::Done | Recorded::Unchanged => {}
            Recorded::Failed(err) => {
                let back = put_back(clients, &mappings, &report.changes).await;
                return Err(not_recorded(stack_name, err, &back).into());
            }
        }
        report.stack_seconds = Some(started.elapsed().as_secs_f64());
    }
    Ok(report)
}

/// A parallelization the account's concurrency cannot run is refused before any mapping
/// changes, as `up` refuses it: the stack's shards and factors with the tune's changes.
async fn fits_the_account(
    lambda: &aws_sdk_lambda::Client,
    current: &DeployedState,
    changes: &[MappingChange],
) -> Result<(), DeployError> {
    let parameter = |parameter| current.parameters.number(parameter).unwrap_or(1);
    let mut parallelization = Consumer::ALL.map(|c| parameter(Parameter::Parallelization(c)));
    for change in changes {
        parallelization[change.consumer.index()] = change.after.parallelization.max(1) as u32;
    }
    let consumers = Concurrency {
        shards: parameter(Parameter::ShardCount),
        parallelization,
    };
    preflight::check_parallelization(lambda, [consumers]).await
}

/// Updates every mapping and waits until each reports its new values, returning what Lambda
/// reports besides (see `mapping::wait_for_effect`): a mapping the user had disabled keeps the
/// values and a note; one that is not Enabled otherwise fails the tune at once. Ctrl-C or a
/// failure on the way puts every mapping back as it was (the stack still holds those values).
async fn go_live(
    clients: &Clients,
    mappings: &[Mapping],
    changes: &[MappingChange],
    started: Instant,
) -> Result<Vec<String>, DeployError> {
    let step = async {
        for (mapping, change) in mappings.iter().zip(changes) {
            update_mapping(clients, mapping, change.after).await?;
        }
        let mut notes = Vec::new();
        for (mapping, change) in mappings.iter().zip(changes) {
            let health = wait_for_effect(clients, mapping, change.after, started).await?;
            notes.extend(health.note().map(str::to_owned));
        }
        test_pause().await;
        Ok::<_, DeployError>(notes)
    };
    let outcome = tokio::select! {
        outcome = step => Some(outcome),
        () = interrupt::requested() => None,
    };
    match outcome {
        Some(Ok(notes)) => Ok(notes),
        Some(Err(err)) => {
            let back = put_back(clients, mappings, changes).await;
            Err(DeployError::Incomplete(format!("{err}\n  {back}")))
        }
        None => {
            let back = put_back(clients, mappings, changes).await;
            interrupt::exit(&format!(
                "{back}; the stack was not changed. `demo tune` again applies the change"
            ))
        }
    }
}

/// Test-only pause between the two steps, so a test can interrupt exactly there: set
/// `DEMO_TEST_PAUSE_BEFORE_RECORD=<seconds>`. Read only by debug builds; a release build
/// ignores it.
async fn test_pause() {
    if !cfg!(debug_assertions) {
        return;
    }
    let Some(seconds) = std::env::var("DEMO_TEST_PAUSE_BEFORE_RECORD")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    else {
        return;
    };
    terminal::note(format!(
        "test pause: {seconds} s before recording in the stack"
    ));
    tokio::time::sleep(Duration::from_secs(seconds)).await;
}

/// Puts each mapping back to its values before the tune (see `mapping::put_back`).
async fn put_back(clients: &Clients, mappings: &[Mapping], changes: &[MappingChange]) -> String {
    let restores: Vec<_> = (mappings.iter().zip(changes))
        .map(|(m, c)| (m, c.before, c.after))
        .collect();
    mapping::put_back(clients, &restores).await
}

/// The error for a recording CloudFormation refused or rolled back.
fn not_recorded(stack_name: &str, err: DeployError, back: &str) -> DeployError {
    DeployError::Incomplete(format!(
        "stack {stack_name} could not record the new values, so the tune is undone: {back} \
         (a rolled-back update restores the mapping with the stack's old parameters)\n  \
         cause: {err}\n  fix: correct the cause and run `demo tune` again"
    ))
}

impl fmt::Display for TuneReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.dry_run {
            "would change"
        } else {
            "changed"
        };
        for change in &self.changes {
            let (before, after) = Batching::describe_pair(change.before, change.after);
            writeln!(
                f,
                "consumer {} ({}) {verb}: {before} → {after}",
                change.consumer, change.function
            )?;
        }
        match self.effect_seconds {
            Some(seconds) if self.notes.is_empty() => writeln!(
                f,
                "in effect after {seconds:.1} s (mapping Enabled with the new values)"
            )?,
            Some(seconds) => writeln!(
                f,
                "new values reported after {seconds:.1} s; see the notes below"
            )?,
            None => {}
        }
        if let Some(seconds) = self.stack_seconds {
            writeln!(
                f,
                "stack {} records the new values ({seconds:.1} s)",
                self.stack
            )?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod account_tests {
    use std::collections::BTreeMap;

    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::replay;

    /// A Lambda client answering GetAccountSettings with `status` and `body`, as Lambda's
    /// REST-JSON protocol sends them (an HTTP-level replay the SDK parses as AWS's own).
    fn lambda_answering(status: u16, body: &'static str) -> aws_sdk_lambda::Client {
        let error_type = (status != 200).then_some("ResourceNotFoundException");
        let rule = mock!(aws_sdk_lambda::Client::get_account_settings)
            .then_http_response(move || replay::rest_json(status, error_type, body));
        replay::lambda("ap-southeast-2", &[&rule])
    }

    /// A new account: 10 concurrent executions, all unreserved.
    const NEW_ACCOUNT: &str = r#"{"AccountLimit":{"CodeSizeUnzipped":262144000,"CodeSizeZipped":52428800,"ConcurrentExecutions":10,"TotalCodeSize":80530636800,"UnreservedConcurrentExecutions":10},"AccountUsage":{"FunctionCount":3,"TotalCodeSize":7733248}}"#;

    fn stack(shards: u32) -> DeployedState {
        DeployedState {
            parameters: BTreeMap::from([
                ("ShardCount".to_owned(), shards.to_string()),
                ("Parallelization1".to_owned(), "1".to_owned()),
                ("Parallelization2".to_owned(), "1".to_owned()),
            ]),
            ..DeployedState::default()
        }
    }

    fn to(consumer: Consumer, parallelization: i32) -> MappingChange {
        let before = Batching {
            batch_size: 100,
            window_seconds: 30,
            parallelization: 1,
        };
        MappingChange {
            consumer,
            function: format!("demo-put-item-{consumer}"),
            before,
            after: Batching {
                parallelization,
                ..before
            },
        }
    }

    #[tokio::test]
    async fn a_parallelization_the_account_cannot_run_is_refused_before_any_change() {
        let lambda = lambda_answering(200, NEW_ACCOUNT);
        // One shard: consumer 1 at 8, consumer 2 at 1, put-record: 10 of 10.
        fits_the_account(&lambda, &stack(1), &[to(Consumer::One, 8)])
            .await
            .unwrap();
        // At 9 it needs 11; both consumers at 5 need 11 too.
        for changes in [
            vec![to(Consumer::One, 9)],
            vec![to(Consumer::One, 5), to(Consumer::Two, 5)],
        ] {
            let err = fits_the_account(&lambda, &stack(1), &changes)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("--parallelization"), "{err}");
            assert!(
                err.contains("need 11") && err.contains("has 10 unreserved"),
                "{err}"
            );
        }
        // Two shards double the need: consumer 1 at 4 needs 2 × 5 + 1.
        let err = fits_the_account(&lambda, &stack(2), &[to(Consumer::One, 4)]).await;
        assert!(err.unwrap_err().to_string().contains("need 11"));
    }

    #[tokio::test]
    async fn an_endpoint_without_account_settings_checks_nothing() {
        // moto answers GetAccountSettings with a 404.
        let lambda = lambda_answering(404, r#"{"message":"not found"}"#);
        fits_the_account(
            &lambda,
            &stack(1),
            &[to(Consumer::One, 10), to(Consumer::Two, 10)],
        )
        .await
        .unwrap();
    }
}

#[cfg(test)]
mod mapping_tests {
    use std::time::Duration;

    use super::*;
    use crate::deploy::mapping::tests::{consumer_2, lambda_reporting};

    fn change(before: (i32, i32), after: (i32, i32)) -> MappingChange {
        let batching = |(batch_size, window_seconds)| Batching {
            batch_size,
            window_seconds,
            parallelization: 1,
        };
        MappingChange {
            consumer: Consumer::Two,
            function: "demo-put-item-2".into(),
            before: batching(before),
            after: batching(after),
        }
    }

    #[tokio::test]
    async fn a_mapping_lambda_disabled_fails_the_tune_at_once_and_gets_its_values_back() {
        let (clients, update) = lambda_reporting(
            (50, 5),
            "Disabled",
            "Lambda initiated",
            "PROBLEM: Function call failed",
        );
        let started = Instant::now();
        let err = go_live(
            &clients,
            &[consumer_2("Enabled")],
            &[change((10, 2), (50, 5))],
            started,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not after 5 minutes"
        );
        assert!(err.contains("no records flow to consumer 2"), "{err}");
        assert!(
            err.contains("the mapping of demo-put-item-2 is set back to"),
            "{err}"
        );
        assert_eq!(update.num_calls(), 2, "the tune, then the put-back");
    }

    #[tokio::test]
    async fn a_mapping_the_user_had_disabled_is_tuned_with_a_note() {
        let (clients, update) =
            lambda_reporting((50, 5), "Disabled", "User action", "No records processed");
        let notes = go_live(
            &clients,
            &[consumer_2("Disabled")],
            &[change((10, 2), (50, 5))],
            Instant::now(),
        )
        .await
        .unwrap();
        assert_eq!(update.num_calls(), 1);
        let [note] = notes.as_slice() else {
            panic!("one note: {notes:?}")
        };
        assert!(note.contains("Disabled by a user"), "{note}");
        let note = note.clone();
        let report = TuneReport {
            stack: "demo".into(),
            dry_run: false,
            changes: vec![change((10, 2), (50, 5))],
            effect_seconds: Some(0.3),
            stack_seconds: Some(1.0),
            notes,
        };
        let text = report.to_string();
        assert!(
            text.contains("new values reported after 0.3 s; see the notes below"),
            "{text}"
        );
        assert!(text.ends_with(&format!("{note}\n")), "{text}");
    }
}
