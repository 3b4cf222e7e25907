//! `up --dry-run`'s plan as data: the uploads, the parameter changes and CloudFormation's preview
//! are read first (S3 and a change set made and deleted again), then shown as text or JSON.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_cloudformation::types::{Change, ResourceChange};
use serde::{Serialize, Serializer};

use crate::artifacts::Artifact;
use crate::aws::Clients;
use crate::deploy::bucket::{self, Bucket, ObjectState};
use crate::deploy::data_loss::{self, DataLoss};
use crate::deploy::plan::{self, DeployedState};
use crate::deploy::{DeployError, changes, stack};
use crate::model::template;

/// What `up` would do, read without changing anything.
#[derive(Debug, Serialize)]
pub(crate) struct Plan {
    /// The zips this run built (or took from `--artifacts`).
    pub(crate) artifacts: usize,
    pub(crate) bucket: String,
    /// The artifact bucket does not exist yet: `up` would create it.
    pub(crate) create_bucket: bool,
    pub(crate) uploads: Vec<PlannedUpload>,
    pub(crate) stack: StackAction,
    /// The stack's template differs from the one `up` deploys.
    template_changed: bool,
    pub(crate) parameters: Vec<ParameterChange>,
    /// CloudFormation's own view of an update; `None` for anything else.
    pub(crate) preview: Option<Preview>,
}

/// One zip and what is at its content-hash key now.
#[derive(Debug, Serialize)]
pub(crate) struct PlannedUpload {
    pub(crate) function: String,
    pub(crate) key: String,
    /// Bytes.
    pub(crate) size: u64,
    pub(crate) state: KeyState,
}

/// What the artifact bucket holds at a zip's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum KeyState {
    /// The same size and SHA-256: not uploaded again.
    AlreadyThere,
    Absent,
    /// Other bytes, which the local zip would replace.
    OtherBytes,
}

/// What would happen to the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum StackAction {
    Create,
    /// Delete the stack a failed create left, then create it.
    Recreate,
    /// Wait for the operation running on it, then update it.
    WaitThenUpdate,
    Update,
}

/// A template parameter whose value would change; `before` is `None` for a new stack.
#[derive(Debug, Serialize)]
pub(crate) struct ParameterChange {
    pub(crate) name: String,
    pub(crate) before: Option<String>,
    pub(crate) after: String,
}

/// What CloudFormation's change set for the update says.
#[derive(Debug, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub(crate) enum Preview {
    /// CloudFormation refused the change set: nothing to change.
    NoChanges,
    Changes {
        #[serde(serialize_with = "resource_changes")]
        changes: Vec<Change>,
        /// What the update would delete with its data (`up` asks first).
        data_loss: Vec<DataLoss>,
    },
}

/// What `plan` reads from.
pub(crate) struct Inputs<'a> {
    pub(crate) clients: &'a Clients,
    pub(crate) stack_name: &'a str,
    pub(crate) store: &'a Bucket<'a>,
    /// The user chose the bucket (see `bucket::admit`).
    pub(crate) named_bucket: bool,
    pub(crate) artifacts: &'a [Artifact],
    pub(crate) current: Option<&'a DeployedState>,
    pub(crate) desired: &'a BTreeMap<String, String>,
}

/// Reads what `decision` would change: S3 for the bucket and the zips, and for an update a
/// change set that is made, read and deleted again. Nothing is written.
pub(crate) async fn plan(inputs: &Inputs<'_>, decision: &plan::Plan) -> Result<Plan, DeployError> {
    let store = inputs.store;
    // A bucket that is not ours is refused here too: the plan would fail at its first step.
    let standing = store.standing(inputs.stack_name).await?;
    let create_bucket = bucket::admit(
        &standing,
        &store.name,
        inputs.stack_name,
        inputs.named_bucket,
    )?;
    let none = BTreeMap::new();
    let before = inputs.current.map_or(&none, |c| &c.parameters);
    let uploads = planned_uploads(store, inputs.artifacts, create_bucket).await?;
    let preview = match decision {
        plan::Plan::Update => Some(preview_update(inputs).await?),
        _ => None,
    };
    Ok(Plan {
        artifacts: inputs.artifacts.len(),
        bucket: store.name.clone(),
        create_bucket,
        uploads,
        stack: StackAction::of(decision),
        template_changed: inputs
            .current
            .is_some_and(|c| !c.holds_template(template::TEMPLATE)),
        parameters: plan::parameter_changes(before, inputs.desired)
            .into_iter()
            .map(|(name, before, after)| ParameterChange {
                name,
                before,
                after,
            })
            .collect(),
        preview,
    })
}

/// Each zip and what its key holds; in a bucket still to be created, nothing.
async fn planned_uploads(
    store: &Bucket<'_>,
    artifacts: &[Artifact],
    create_bucket: bool,
) -> Result<Vec<PlannedUpload>, DeployError> {
    let mut uploads = Vec::new();
    for artifact in artifacts {
        let key = bucket::artifact_key(artifact);
        let state = if create_bucket {
            KeyState::Absent
        } else {
            KeyState::from(&store.object(&key, artifact).await?)
        };
        uploads.push(PlannedUpload {
            function: artifact.function.clone(),
            key,
            size: artifact.size,
            state,
        });
    }
    Ok(uploads)
}

/// CloudFormation's own view of an update (what it adds, modifies, replaces), from a change set
/// that is made, read and deleted again: the stack itself does not change.
async fn preview_update(inputs: &Inputs<'_>) -> Result<Preview, DeployError> {
    let cfn = &inputs.clients.cloudformation;
    let stack_name = inputs.stack_name;
    let outcome =
        stack::create_change_set(cfn, stack_name, template::TEMPLATE, inputs.desired, false)
            .await?;
    Ok(match outcome {
        stack::ChangeSetOutcome::NoChanges => Preview::NoChanges,
        stack::ChangeSetOutcome::Ready { name, changes } => {
            stack::delete_change_set(cfn, stack_name, &name).await;
            Preview::Changes {
                data_loss: data_loss::find(&changes),
                changes,
            }
        }
    })
}

impl From<&ObjectState> for KeyState {
    fn from(state: &ObjectState) -> Self {
        match state {
            ObjectState::Same => KeyState::AlreadyThere,
            ObjectState::Absent => KeyState::Absent,
            ObjectState::Different(_) => KeyState::OtherBytes,
        }
    }
}

impl StackAction {
    /// The action a dry run shows for what `up` decided (a stack that is up to date or blocked
    /// has no plan: `up` stops before).
    fn of(decision: &plan::Plan) -> Self {
        match decision {
            plan::Plan::Create => StackAction::Create,
            plan::Plan::Recreate { .. } => StackAction::Recreate,
            plan::Plan::Wait { .. } => StackAction::WaitThenUpdate,
            _ => StackAction::Update,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            StackAction::Create => "create it",
            StackAction::Recreate => "delete the failed stack and create it",
            StackAction::WaitThenUpdate => "wait for the running operation, then update it",
            StackAction::Update => "update it",
        }
    }
}

impl KeyState {
    fn describe(self) -> &'static str {
        match self {
            KeyState::AlreadyThere => "already there (same size and SHA-256)",
            KeyState::Absent => "would upload",
            KeyState::OtherBytes => "would upload (the object there holds other bytes)",
        }
    }
}

/// A change set's resource changes as JSON: CloudFormation's own words for the action and the
/// replacement ("Add", "True", …), as `aws cloudformation describe-change-set` shows them.
fn resource_changes<S: Serializer>(changes: &[Change], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(
        changes
            .iter()
            .filter_map(Change::resource_change)
            .map(ChangeJson::from),
    )
}

/// One resource change as `resource_changes` writes it.
#[derive(Serialize)]
struct ChangeJson<'a> {
    action: Option<&'a str>,
    logical_id: Option<&'a str>,
    resource_type: Option<&'a str>,
    replacement: Option<&'a str>,
}

impl<'a> From<&'a ResourceChange> for ChangeJson<'a> {
    fn from(change: &'a ResourceChange) -> Self {
        ChangeJson {
            action: change.action().map(|a| a.as_str()),
            logical_id: change.logical_resource_id(),
            resource_type: change.resource_type(),
            replacement: change.replacement().map(|r| r.as_str()),
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan (dry run, nothing will change):")?;
        writeln!(f, "  build: {} artifacts built locally", self.artifacts)?;
        if self.create_bucket {
            writeln!(f, "  bucket: would create {}", self.bucket)?;
        }
        for upload in &self.uploads {
            writeln!(f, "  upload: {}: {}", upload.key, upload.state.describe())?;
        }
        writeln!(f, "  stack: would {}", self.stack.describe())?;
        if self.template_changed {
            writeln!(f, "  template: changed")?;
        }
        for change in &self.parameters {
            let before = change.before.as_deref().unwrap_or("(new)");
            writeln!(
                f,
                "  parameter {}: {before} → {}",
                change.name, change.after
            )?;
        }
        match &self.preview {
            Some(preview) => write!(f, "{preview}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (changes, data_loss) = match self {
            Preview::NoChanges => return writeln!(f, "CloudFormation's preview: no changes"),
            Preview::Changes { changes, data_loss } => (changes, data_loss),
        };
        write!(
            f,
            "CloudFormation's preview (a change set, deleted again): {}",
            changes::render(changes)
        )?;
        for loss in data_loss {
            writeln!(
                f,
                "  would delete data: {loss} (`demo up` asks first; --yes answers for you)"
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::types::{ChangeAction, Replacement};

    use super::*;

    fn table_replaced() -> Change {
        Change::builder()
            .resource_change(
                ResourceChange::builder()
                    .action(ChangeAction::Modify)
                    .logical_resource_id("Table1")
                    .resource_type("AWS::DynamoDB::Table")
                    .replacement(Replacement::True)
                    .build(),
            )
            .build()
    }

    fn update_plan() -> Plan {
        let changes = vec![table_replaced()];
        Plan {
            artifacts: 2,
            bucket: "b".into(),
            create_bucket: false,
            uploads: vec![
                PlannedUpload {
                    function: "put-record".into(),
                    key: "put-record/arm64/aa.zip".into(),
                    size: 10,
                    state: KeyState::AlreadyThere,
                },
                PlannedUpload {
                    function: "put-item".into(),
                    key: "put-item/arm64/bb.zip".into(),
                    size: 20,
                    state: KeyState::OtherBytes,
                },
            ],
            stack: StackAction::Update,
            template_changed: true,
            parameters: vec![ParameterChange {
                name: "BatchSize1".into(),
                before: Some("100".into()),
                after: "50".into(),
            }],
            preview: Some(Preview::Changes {
                data_loss: data_loss::find(&changes),
                changes,
            }),
        }
    }

    #[test]
    fn the_text_is_the_plan_line_by_line() {
        assert_eq!(
            update_plan().to_string(),
            "plan (dry run, nothing will change):\n\
             \x20 build: 2 artifacts built locally\n\
             \x20 upload: put-record/arm64/aa.zip: already there (same size and SHA-256)\n\
             \x20 upload: put-item/arm64/bb.zip: would upload (the object there holds other bytes)\n\
             \x20 stack: would update it\n\
             \x20 template: changed\n\
             \x20 parameter BatchSize1: 100 → 50\n\
             CloudFormation's preview (a change set, deleted again): changes:\n\
             \x20 modify  Table1                 AWS::DynamoDB::Table (replacement)\n\
             \x20 0 to add, 1 to modify, 0 to remove\n\
             \x20 would delete data: table Table1 is replaced: its items are deleted (`demo up` \
             asks first; --yes answers for you)\n"
        );
    }

    #[test]
    fn a_create_shows_the_bucket_and_new_parameters_and_no_preview() {
        let plan = Plan {
            artifacts: 2,
            bucket: "b".into(),
            create_bucket: true,
            uploads: Vec::new(),
            stack: StackAction::Create,
            template_changed: false,
            parameters: vec![ParameterChange {
                name: "ShardCount".into(),
                before: None,
                after: "1".into(),
            }],
            preview: None,
        };
        assert_eq!(
            plan.to_string(),
            "plan (dry run, nothing will change):\n\
             \x20 build: 2 artifacts built locally\n\
             \x20 bucket: would create b\n\
             \x20 stack: would create it\n\
             \x20 parameter ShardCount: (new) → 1\n"
        );
        let no_changes = Preview::NoChanges.to_string();
        assert_eq!(no_changes, "CloudFormation's preview: no changes\n");
    }

    #[test]
    fn the_json_carries_every_part() {
        let json = serde_json::to_value(update_plan()).unwrap();
        assert_eq!(json["uploads"][0]["state"], "already_there");
        assert_eq!(json["uploads"][1]["state"], "other_bytes");
        assert_eq!(json["uploads"][1]["size"], 20);
        assert_eq!(json["stack"], "update");
        assert_eq!(
            json["parameters"][0],
            serde_json::json!({"name": "BatchSize1", "before": "100", "after": "50"})
        );
        assert_eq!(json["preview"]["result"], "changes");
        assert_eq!(
            json["preview"]["changes"][0],
            serde_json::json!({
                "action": "Modify",
                "logical_id": "Table1",
                "resource_type": "AWS::DynamoDB::Table",
                "replacement": "True",
            })
        );
        assert_eq!(json["preview"]["data_loss"][0]["how"], "replaced");
        let none = serde_json::to_value(Preview::NoChanges).unwrap();
        assert_eq!(none, serde_json::json!({"result": "no_changes"}));
    }
}
