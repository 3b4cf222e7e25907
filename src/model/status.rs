//! A CloudFormation stack's status and its resources' (the SDK's enums, which keep a value they
//! do not know), and what each means here: in progress, done, failed, rolled back, stuck.
//! Every status this tool reasons about is named here and nowhere else.

use std::fmt;

use aws_sdk_cloudformation::types::{ResourceStatus as SdkResourceStatus, StackStatus as Sdk};
use serde::{Serialize, Serializer};

/// A stack's status, as DescribeStacks reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StackStatus(Sdk);

/// What a stack status means for an operation that was meant to succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StackState {
    /// An operation is running: keep waiting.
    InProgress,
    /// The create, update or import finished.
    Succeeded,
    /// The operation failed without a rollback (rollback disabled), or a delete or a create's
    /// rollback could not delete a resource.
    Failed,
    /// An update failed and was rolled back: the stack is usable but unchanged. This is a
    /// failure, although the SDK waiter counts `UPDATE_ROLLBACK_COMPLETE` as success.
    RolledBack,
    /// A create failed and was rolled back (`ROLLBACK_COMPLETE`): nothing can update the stack,
    /// it must be deleted before it can be created again.
    NeedsRecreate,
    /// The rollback of an update failed: only `continue-update-rollback` gets it out.
    Stuck,
    /// Created by a change set that was never executed: no resources, a new CREATE change
    /// set can still be made.
    Review,
    /// `DELETE_COMPLETE`; a stack that DescribeStacks no longer finds is the same.
    Deleted,
    /// A status this tool does not know.
    Unknown,
}

impl StackState {
    /// Whether waiting on this state can stop.
    pub(crate) fn is_terminal(self) -> bool {
        !matches!(self, StackState::InProgress)
    }
}

/// Why a stack is stuck: CloudFormation could not delete or roll back a resource, and nothing
/// proceeds until a person deals with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StuckIn {
    /// `DELETE_FAILED`.
    Delete,
    /// `ROLLBACK_FAILED`: a create's rollback.
    CreateRollback,
    /// `UPDATE_ROLLBACK_FAILED` or `IMPORT_ROLLBACK_FAILED`.
    UpdateRollback,
}

impl StackStatus {
    /// What a stack that DescribeStacks no longer finds is.
    pub(crate) fn deleted() -> Self {
        StackStatus(Sdk::DeleteComplete)
    }

    /// The status as CloudFormation spells it.
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// `DELETE_COMPLETE`: the stack is gone.
    pub(crate) fn is_deleted(&self) -> bool {
        self.0 == Sdk::DeleteComplete
    }

    /// `REVIEW_IN_PROGRESS`: made by a create change set not (yet) executed; it holds nothing.
    pub(crate) fn is_review(&self) -> bool {
        self.0 == Sdk::ReviewInProgress
    }

    /// An operation is running (any `*_IN_PROGRESS`, also one this tool does not know).
    pub(crate) fn is_in_progress(&self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }

    /// A failed or interrupted create that holds nothing: deleted and created again by `up`.
    pub(crate) fn must_be_recreated(&self) -> bool {
        matches!(self.0, Sdk::ReviewInProgress | Sdk::RollbackComplete)
    }

    /// Why the stack is stuck, if it is.
    pub(crate) fn stuck(&self) -> Option<StuckIn> {
        match self.0 {
            Sdk::DeleteFailed => Some(StuckIn::Delete),
            Sdk::RollbackFailed => Some(StuckIn::CreateRollback),
            Sdk::UpdateRollbackFailed | Sdk::ImportRollbackFailed => Some(StuckIn::UpdateRollback),
            _ => None,
        }
    }

    /// Whether a resource CloudFormation could not delete or roll back holds the stack.
    pub(crate) fn is_stuck(&self) -> bool {
        self.stuck().is_some()
    }

    /// What the status means for an operation meant to succeed.
    pub(crate) fn state(&self) -> StackState {
        match self.0 {
            Sdk::CreateComplete | Sdk::UpdateComplete | Sdk::ImportComplete => {
                StackState::Succeeded
            }
            Sdk::CreateFailed | Sdk::UpdateFailed | Sdk::DeleteFailed => StackState::Failed,
            Sdk::UpdateRollbackComplete | Sdk::ImportRollbackComplete => StackState::RolledBack,
            Sdk::RollbackComplete => StackState::NeedsRecreate,
            // The create failed and its rollback left a resource behind: only a delete clears it.
            Sdk::RollbackFailed => StackState::Failed,
            Sdk::UpdateRollbackFailed | Sdk::ImportRollbackFailed => StackState::Stuck,
            Sdk::ReviewInProgress => StackState::Review,
            Sdk::DeleteComplete => StackState::Deleted,
            _ if self.is_in_progress() => StackState::InProgress,
            _ => StackState::Unknown,
        }
    }
}

impl From<Sdk> for StackStatus {
    fn from(status: Sdk) -> Self {
        StackStatus(status)
    }
}

/// Any spelling; one the SDK does not know is kept as it is.
impl From<&str> for StackStatus {
    fn from(status: &str) -> Self {
        StackStatus(Sdk::from(status))
    }
}

/// A stack event's status is the stack's when the event is about the stack itself.
impl From<&ResourceStatus> for StackStatus {
    fn from(status: &ResourceStatus) -> Self {
        StackStatus::from(status.as_str())
    }
}

/// A resource's status, as stack events and DescribeStackResources report it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ResourceStatus(SdkResourceStatus);

impl ResourceStatus {
    /// The status as CloudFormation spells it.
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Any `*_FAILED`.
    pub(crate) fn is_failed(&self) -> bool {
        self.as_str().ends_with("_FAILED")
    }

    /// Any `*_COMPLETE`: the step on this resource is done.
    pub(crate) fn is_complete(&self) -> bool {
        self.as_str().ends_with("_COMPLETE")
    }

    /// `CREATE_FAILED`: CloudFormation tried to make the resource and did not.
    pub(crate) fn is_create_failed(&self) -> bool {
        self.0 == SdkResourceStatus::CreateFailed
    }

    /// On the stack itself, the status that opens an operation (create, update, delete, import).
    pub(crate) fn opens_operation(&self) -> bool {
        matches!(
            self.0,
            SdkResourceStatus::CreateInProgress
                | SdkResourceStatus::UpdateInProgress
                | SdkResourceStatus::DeleteInProgress
                | SdkResourceStatus::ImportInProgress
        )
    }
}

impl From<SdkResourceStatus> for ResourceStatus {
    fn from(status: SdkResourceStatus) -> Self {
        ResourceStatus(status)
    }
}

/// Any spelling; one the SDK does not know is kept as it is.
impl From<&str> for ResourceStatus {
    fn from(status: &str) -> Self {
        ResourceStatus(SdkResourceStatus::from(status))
    }
}

/// As CloudFormation spells it, padded as asked (progress lines and tables align on it).
impl fmt::Display for StackStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A string in JSON, as the outputs have always carried it.
impl Serialize for StackStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Serialize for ResourceStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stack_status_means_one_state() {
        for (status, state) in [
            ("CREATE_IN_PROGRESS", StackState::InProgress),
            (
                "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                StackState::InProgress,
            ),
            ("UPDATE_ROLLBACK_IN_PROGRESS", StackState::InProgress),
            ("DELETE_IN_PROGRESS", StackState::InProgress),
            ("SOME_FUTURE_IN_PROGRESS", StackState::InProgress),
            ("CREATE_COMPLETE", StackState::Succeeded),
            ("UPDATE_COMPLETE", StackState::Succeeded),
            ("UPDATE_ROLLBACK_COMPLETE", StackState::RolledBack),
            ("ROLLBACK_COMPLETE", StackState::NeedsRecreate),
            ("ROLLBACK_FAILED", StackState::Failed),
            ("UPDATE_ROLLBACK_FAILED", StackState::Stuck),
            ("DELETE_FAILED", StackState::Failed),
            ("REVIEW_IN_PROGRESS", StackState::Review),
            ("DELETE_COMPLETE", StackState::Deleted),
            ("SOMETHING_NEW", StackState::Unknown),
        ] {
            assert_eq!(StackStatus::from(status).state(), state, "{status}");
        }
        assert!(!StackState::InProgress.is_terminal());
        assert!(StackState::RolledBack.is_terminal());
    }

    #[test]
    fn stuck_statuses_say_what_failed() {
        let stuck = |status: &str| StackStatus::from(status).stuck();
        assert_eq!(stuck("DELETE_FAILED"), Some(StuckIn::Delete));
        assert_eq!(stuck("ROLLBACK_FAILED"), Some(StuckIn::CreateRollback));
        assert_eq!(
            stuck("IMPORT_ROLLBACK_FAILED"),
            Some(StuckIn::UpdateRollback)
        );
        assert_eq!(stuck("UPDATE_ROLLBACK_COMPLETE"), None);
        assert_eq!(stuck("CREATE_FAILED"), None);
    }

    #[test]
    fn a_status_reads_as_cloudformation_spells_it_unknown_ones_too() {
        let unknown = StackStatus::from("SOMETHING_NEW");
        assert_eq!(unknown.to_string(), "SOMETHING_NEW");
        assert_eq!(
            serde_json::to_string(&StackStatus::deleted()).unwrap(),
            "\"DELETE_COMPLETE\""
        );
        assert_eq!(
            format!("{:<12}|", ResourceStatus::from("X_FAILED")),
            "X_FAILED    |"
        );
        assert!(ResourceStatus::from("EXPORT_ROLLBACK_FAILED").is_failed());
        assert!(ResourceStatus::from("UPDATE_ROLLBACK_COMPLETE").is_complete());
        assert!(ResourceStatus::from("CREATE_FAILED").is_create_failed());
        assert!(ResourceStatus::from("IMPORT_IN_PROGRESS").opens_operation());
        assert!(!ResourceStatus::from("UPDATE_ROLLBACK_IN_PROGRESS").opens_operation());
        let of_stack = StackStatus::from(&ResourceStatus::from("REVIEW_IN_PROGRESS"));
        assert!(of_stack.is_review() && of_stack.must_be_recreated());
    }
}
