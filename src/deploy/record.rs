//! Record values already live (a tune's batching on the mappings, `watch`'s new code keys) as
//! the stack's parameters, with a change set that keeps the deployed template and every other
//! parameter's deployed value, so a stack deployed by another version of the tool is recorded
//! as it is.

use std::collections::BTreeMap;
use std::time::SystemTime;

use aws_sdk_cloudformation::types::Parameter;

use super::plan::DeployedState;
use super::stack::{self, ChangeSetOutcome, Finished, TemplateSource};
use super::{DeployError, interrupt};
use crate::aws::Clients;
use crate::model::{Override, StackState};

/// How the recording ended.
#[derive(Debug)]
pub(crate) enum Recorded {
    /// The stack holds the new values.
    Done,
    /// It already held them.
    Unchanged,
    /// CloudFormation refused or rolled back; its rollback restores the mappings too.
    Failed(DeployError),
}

/// The change set's parameters: the tuned ones with their new values, every other parameter the
/// stack has with `UsePreviousValue`. None when the stack already holds every tuned value.
pub(crate) fn parameters(
    deployed: &BTreeMap<String, String>,
    tuned: &[Override],
) -> Option<Vec<Parameter>> {
    let changes: BTreeMap<&str, &str> = tuned
        .iter()
        .filter(|o| deployed.get(o.parameter.name()) != Some(&o.value))
        .map(|o| (o.parameter.name(), o.value.as_str()))
        .collect();
    if changes.is_empty() {
        return None;
    }
    let parameter = |key: &str| {
        let builder = Parameter::builder().parameter_key(key);
        match changes.get(key) {
            Some(value) => builder.parameter_value(*value).build(),
            None => builder.use_previous_value(true).build(),
        }
    };
    Some(deployed.keys().map(|key| parameter(key)).collect())
}

/// Records `tuned` in the stack. Ctrl-C while CloudFormation works exits 130, saying that it goes
/// on and that its outcome leaves stack and mappings agreeing either way.
pub(crate) async fn record(
    clients: &Clients,
    stack_name: &str,
    current: &DeployedState,
    tuned: &[Override],
) -> Result<Recorded, DeployError> {
    let Some(parameters) = parameters(&current.parameters, tuned) else {
        return Ok(Recorded::Unchanged);
    };
    let cfn = &clients.cloudformation;
    // On AWS the stack's own template, by reference. moto stores the Python repr of a template
    // reused that way (measured), which would make the next `up` see a changed template, so
    // against an emulator the deployed body, read back, is sent instead.
    let source = match (&current.template_body, clients.is_emulator()) {
        (Some(body), true) => TemplateSource::Body(body),
        _ => TemplateSource::Previous,
    };
    let outcome =
        match stack::create_change_set_from(cfn, stack_name, source, parameters, false).await {
            Ok(outcome) => outcome,
            Err(err) => return Ok(Recorded::Failed(err)),
        };
    let ChangeSetOutcome::Ready { name, .. } = outcome else {
        return Ok(Recorded::Unchanged);
    };
    let since = SystemTime::now();
    if let Err(err) = stack::execute_change_set(cfn, stack_name, &name).await {
        return Ok(Recorded::Failed(err));
    }
    interrupt::doing(interrupt_note(stack_name));
    let finished = tokio::select! {
        finished = stack::wait(cfn, &current.stack_id, since, "tune") => finished?,
        () = interrupt::requested() => interrupt::exit(&interrupt_note(stack_name)),
    };
    Ok(judge(stack_name, &clients.region, &finished))
}

fn interrupt_note(stack_name: &str) -> String {
    format!(
        "CloudFormation goes on recording the new values in stack {stack_name}; should that \
         update fail, its rollback puts the mapping back too, so the two agree either way. \
         `demo status` shows the outcome"
    )
}

fn judge(stack_name: &str, region: &str, finished: &Finished) -> Recorded {
    if finished.state() == StackState::Succeeded {
        Recorded::Done
    } else {
        Recorded::Failed(stack::failure(stack_name, region, finished))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Consumer, Parameter};

    fn deployed() -> BTreeMap<String, String> {
        [
            ("BatchSize2", "10"),
            ("Window2", "2"),
            ("MemorySize", "128"),
            ("SomeOlderParameter", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn tuned(batch: &str, window: &str) -> Vec<Override> {
        vec![
            Override::new(Parameter::BatchSize(Consumer::Two), batch),
            Override::new(Parameter::Window(Consumer::Two), window),
        ]
    }

    #[test]
    fn only_tuned_values_are_sent_and_every_other_deployed_parameter_keeps_its_value() {
        let parameters = parameters(&deployed(), &tuned("50", "2")).unwrap();
        let sent: Vec<_> = parameters
            .iter()
            .map(|p| {
                (
                    p.parameter_key().unwrap(),
                    p.parameter_value(),
                    p.use_previous_value(),
                )
            })
            .collect();
        assert_eq!(
            sent,
            [
                ("BatchSize2", Some("50"), None),
                ("MemorySize", None, Some(true)),
                ("SomeOlderParameter", None, Some(true)),
                ("Window2", None, Some(true)),
            ]
        );
    }

    #[test]
    fn values_the_stack_already_holds_need_no_change_set() {
        assert!(parameters(&deployed(), &tuned("10", "2")).is_none());
    }
}
