//! Classifiers over the codes and messages of CloudFormation errors: which ones mean "nothing
//! to do" or "no such stack". (Connection problems: `crate::aws::error`.)
//!
//! They take plain strings (the code from `ProvideErrorMetadata::code()`, the message, or the
//! whole `DisplayErrorContext` text) so they can be tested without the SDK.

/// Whether CloudFormation is saying the submitted template and parameters change nothing.
///
/// It says so in two ways: a change set that ends FAILED with the status reason "The submitted
/// information didn't contain changes. Submit different information to create a change set."
/// (or, from some code paths, "No updates are to be performed."), which has no error code; and
/// an `UpdateStack`-style ValidationError "No updates are to be performed.". The third signal,
/// a change set that succeeds with an empty list of changes, is checked where the changes are
/// read.
pub(crate) fn is_no_changes(code: Option<&str>, message: &str) -> bool {
    let code_fits = matches!(code, None | Some("ValidationError"));
    code_fits
        && (message.contains("didn't contain changes")
            || message.contains("No updates are to be performed"))
}

/// Whether the error says the stack does not exist: "Stack with id demo does not exist"
/// (DescribeStacks, DescribeStackEvents, DeleteChangeSet …) or "Stack [demo] does not exist"
/// (an UPDATE change set for a missing stack).
pub(crate) fn is_stack_missing(code: Option<&str>, message: &str) -> bool {
    let code_fits = matches!(code, None | Some("ValidationError"));
    let names_stack = message.contains("Stack with id ") || message.contains("Stack [");
    code_fits && names_stack && message.contains("does not exist")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_no_change_signals_are_recognised() {
        let change_set = "The submitted information didn't contain changes. Submit different \
                          information to create a change set.";
        assert!(is_no_changes(None, change_set));
        assert!(is_no_changes(None, "No updates are to be performed."));
        assert!(is_no_changes(
            Some("ValidationError"),
            "No updates are to be performed."
        ));
        assert!(!is_no_changes(
            Some("ValidationError"),
            "Template format error: unsupported structure."
        ));
        assert!(!is_no_changes(
            Some("AccessDenied"),
            "No updates are to be performed."
        ));
    }

    #[test]
    fn a_missing_stack_is_recognised_in_both_wordings() {
        assert!(is_stack_missing(
            Some("ValidationError"),
            "Stack with id demo does not exist"
        ));
        assert!(is_stack_missing(
            Some("ValidationError"),
            "Stack [demo] does not exist"
        ));
        assert!(!is_stack_missing(
            Some("ChangeSetNotFound"),
            "ChangeSet [demo-1] does not exist"
        ));
        assert!(!is_stack_missing(
            Some("ValidationError"),
            "Parameter 'ShardCount' must be a number."
        ));
    }
}
