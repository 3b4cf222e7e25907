//! What an update would delete along with the data it holds: a table, the stream, the queue or a
//! log group that a change set removes or replaces (a changed table key replaces the table).
//! `up` says so and asks before executing such a change set; without a terminal it needs `--yes`.

use std::fmt;

use aws_sdk_cloudformation::types::{Change, ChangeAction, Replacement};
use serde::Serialize;

use super::DeployError;
use crate::terminal;

/// The resource types whose deletion deletes data, and what goes with each.
const DATA_HOLDERS: [(&str, &str, &str); 4] = [
    ("AWS::DynamoDB::Table", "table", "its items"),
    ("AWS::Kinesis::Stream", "stream", "the records it holds"),
    (
        "AWS::SQS::Queue",
        "queue",
        "the given-up batches waiting in it",
    ),
    ("AWS::Logs::LogGroup", "log group", "its logs"),
];

/// One resource a change set would delete with its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DataLoss {
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    /// Its name, where CloudFormation gives it (AWS does; the emulator does not).
    pub(crate) physical_id: Option<String>,
    /// "removed", "replaced" or "may be replaced".
    pub(crate) how: &'static str,
    /// What is deleted with it.
    pub(crate) holds: &'static str,
    #[serde(skip)]
    kind: &'static str,
}

/// The data-holding resources `changes` remove or replace.
pub(crate) fn find(changes: &[Change]) -> Vec<DataLoss> {
    changes
        .iter()
        .filter_map(Change::resource_change)
        .filter_map(|change| {
            let resource_type = change.resource_type()?;
            let (_, kind, holds) = DATA_HOLDERS.iter().find(|(t, ..)| *t == resource_type)?;
            let how = match (change.action(), change.replacement()) {
                (Some(ChangeAction::Remove), _) => "removed",
                (Some(ChangeAction::Modify), Some(Replacement::True)) => "replaced",
                (Some(ChangeAction::Modify), Some(Replacement::Conditional)) => "may be replaced",
                _ => return None,
            };
            Some(DataLoss {
                logical_id: change.logical_resource_id().unwrap_or("?").to_owned(),
                resource_type: resource_type.to_owned(),
                physical_id: change
                    .physical_resource_id()
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned),
                how,
                holds,
                kind,
            })
        })
        .collect()
}

impl fmt::Display for DataLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.logical_id)?;
        if let Some(id) = &self.physical_id {
            write!(f, " ({id})")?;
        }
        let verb = if self.how == "may be replaced" {
            ""
        } else {
            "is "
        };
        write!(f, " {verb}{}: {} are deleted", self.how, self.holds)
    }
}

/// The losses as the prompt and the refusal list them, one per line.
fn listed(losses: &[DataLoss]) -> String {
    losses.iter().map(|loss| format!("  {loss}\n")).collect()
}

/// Goes on only when nothing is lost, `--yes` was given, or the person at the terminal agrees.
pub(crate) fn confirm(losses: &[DataLoss], yes: bool, stack: &str) -> Result<(), DeployError> {
    if losses.is_empty() {
        return Ok(());
    }
    if yes {
        terminal::warn(format!(
            "updating stack {stack} deletes data (--yes given):\n{}",
            listed(losses).trim_end()
        ));
        return Ok(());
    }
    let prompt = format!(
        "this update of stack {stack} deletes data:\n{}go on? [y/N] ",
        listed(losses)
    );
    match terminal::ask(&prompt) {
        Some(true) => Ok(()),
        Some(false) => Err(DeployError::Incomplete(format!(
            "stack {stack} not updated: you said no (nothing changed)"
        ))),
        None => Err(DeployError::WouldLoseData {
            stack: stack.to_owned(),
            losses: listed(losses),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::changes::tests::change_of as change;

    #[test]
    fn removed_and_replaced_data_holders_are_losses_and_nothing_else_is() {
        let losses = find(&[
            // A key change: AWS replaces the table (the emulator lists no replacement at all).
            change(
                ChangeAction::Modify,
                "OrderTable1",
                "AWS::DynamoDB::Table",
                Some(Replacement::True),
                Some("demo-OrderTable1-ABC"),
            ),
            // An earlier version's table, gone under its old logical id.
            change(
                ChangeAction::Remove,
                "Table2",
                "AWS::DynamoDB::Table",
                None,
                None,
            ),
            change(
                ChangeAction::Modify,
                "Stream",
                "AWS::Kinesis::Stream",
                Some(Replacement::Conditional),
                Some("demo-orders"),
            ),
            change(
                ChangeAction::Modify,
                "OnFailureDestination",
                "AWS::SQS::Queue",
                Some(Replacement::False),
                None,
            ),
            change(
                ChangeAction::Add,
                "OrderTable2",
                "AWS::DynamoDB::Table",
                None,
                None,
            ),
            change(
                ChangeAction::Remove,
                "Old",
                "AWS::Lambda::Function",
                None,
                None,
            ),
        ]);
        let said: Vec<String> = losses.iter().map(ToString::to_string).collect();
        assert_eq!(
            said,
            [
                "table OrderTable1 (demo-OrderTable1-ABC) is replaced: its items are deleted",
                "table Table2 is removed: its items are deleted",
                "stream Stream (demo-orders) may be replaced: the records it holds are deleted",
            ]
        );
    }

    #[test]
    fn nothing_lost_needs_no_answer_and_yes_answers_for_the_user() {
        assert!(confirm(&[], false, "demo").is_ok());
        let loss = find(&[change(
            ChangeAction::Remove,
            "Table1",
            "AWS::DynamoDB::Table",
            None,
            None,
        )]);
        assert!(confirm(&loss, true, "demo").is_ok());
    }
}
