//! Prints what a change set will do: add / modify / remove, and which modifications replace.

use aws_sdk_cloudformation::types::{Change, ChangeAction, Replacement};

/// One line per resource change, then a count line.
pub(crate) fn render(changes: &[Change]) -> String {
    let mut text = String::from("changes:\n");
    let (mut add, mut modify, mut remove) = (0, 0, 0);
    for change in changes {
        let Some(resource) = change.resource_change() else {
            continue;
        };
        let (word, count) = match resource.action() {
            Some(ChangeAction::Add) => ("add", &mut add),
            Some(ChangeAction::Remove) => ("remove", &mut remove),
            _ => ("modify", &mut modify),
        };
        *count += 1;
        let replacement = match resource.replacement() {
            Some(Replacement::True) => " (replacement)",
            Some(Replacement::Conditional) => " (may replace)",
            _ => "",
        };
        text.push_str(&format!(
            "  {word:<7} {:<22} {}{replacement}\n",
            resource.logical_resource_id().unwrap_or("?"),
            resource.resource_type().unwrap_or("?"),
        ));
    }
    if changes.is_empty() {
        text.push_str("  no resource changes listed (parameter values only)\n");
    }
    text.push_str(&format!(
        "  {add} to add, {modify} to modify, {remove} to remove\n"
    ));
    text
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use aws_sdk_cloudformation::types::ResourceChange;

    /// A change as DescribeChangeSet lists it (the emulator gives no physical id).
    pub(crate) fn change_of(
        action: ChangeAction,
        logical: &str,
        kind: &str,
        replacement: Option<Replacement>,
        physical: Option<&str>,
    ) -> Change {
        Change::builder()
            .resource_change(
                ResourceChange::builder()
                    .action(action)
                    .logical_resource_id(logical)
                    .resource_type(kind)
                    .set_replacement(replacement)
                    .set_physical_resource_id(physical.map(str::to_owned))
                    .build(),
            )
            .build()
    }

    fn change(
        action: ChangeAction,
        logical: &str,
        kind: &str,
        replacement: Option<Replacement>,
    ) -> Change {
        change_of(action, logical, kind, replacement, None)
    }

    #[test]
    fn renders_each_change_and_counts() {
        let text = render(&[
            change(ChangeAction::Add, "Stream", "AWS::Kinesis::Stream", None),
            change(
                ChangeAction::Modify,
                "PutItem1Function",
                "AWS::Lambda::Function",
                Some(Replacement::False),
            ),
            change(
                ChangeAction::Modify,
                "Table1",
                "AWS::DynamoDB::Table",
                Some(Replacement::True),
            ),
            change(ChangeAction::Remove, "Old", "AWS::SQS::Queue", None),
        ]);
        assert_eq!(
            text,
            "changes:\n\
             \x20 add     Stream                 AWS::Kinesis::Stream\n\
             \x20 modify  PutItem1Function       AWS::Lambda::Function\n\
             \x20 modify  Table1                 AWS::DynamoDB::Table (replacement)\n\
             \x20 remove  Old                    AWS::SQS::Queue\n\
             \x20 1 to add, 2 to modify, 1 to remove\n"
        );
    }
}
