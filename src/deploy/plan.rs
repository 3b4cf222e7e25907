//! Decides what `up` must do, from what the stack is and what is wanted. Pure: no AWS calls.
//!
//! "Nothing changed" is decided here, before CloudFormation is asked anything that writes:
//! same template body and same parameter values (artifact keys are content-addressed, so code
//! changes show up as parameter changes) ⇒ up to date.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::artifacts::Arch;
use crate::model::template::parameter_specs;
use crate::model::{Override, Parameter, ParameterValues, StackStatus};

/// The stack as CloudFormation reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeployedState {
    pub(crate) stack_id: String,
    pub(crate) status: StackStatus,
    pub(crate) parameters: BTreeMap<String, String>,
    pub(crate) template_body: Option<String>,
    /// The last update, else the creation (`demo report`'s default window starts there).
    pub(crate) last_changed: Option<std::time::SystemTime>,
}

impl DeployedState {
    /// Whether the stack was deployed from `template` (CloudFormation may trim its ends).
    pub(crate) fn holds_template(&self, template: &str) -> bool {
        self.template_body
            .as_deref()
            .is_some_and(|body| body.trim() == template.trim())
    }

    /// The architecture its functions run on (arm64 unless the stack says x86_64).
    pub(crate) fn arch(&self) -> Arch {
        match self.parameters.value(Parameter::Architecture) {
            Some(name) if name == Arch::X86_64.name() => Arch::X86_64,
            _ => Arch::Arm64,
        }
    }
}

/// What `up` will do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum Plan {
    Create,
    Update,
    UpToDate,
    /// A failed create left the stack in `status`; it holds nothing and must be deleted first.
    Recreate {
        status: StackStatus,
    },
    /// Another operation is running; wait for it, then decide again.
    Wait {
        status: StackStatus,
    },
    /// A delete or rollback failed: the stack needs a person, told what by its events.
    Blocked {
        status: StackStatus,
    },
}

/// The full parameter set to deploy. For each parameter: what the tool manages (bucket, code
/// keys, architecture, layer), else a value given on the command line, else the value the stack
/// already has (so a tuned batch size is not reverted by a plain `up`), else the default.
pub(crate) fn desired_parameters(
    managed: &BTreeMap<Parameter, String>,
    overrides: &[Override],
    previous: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    parameter_specs()
        .iter()
        .filter_map(|(parameter, spec)| {
            let value = managed
                .get(parameter)
                .cloned()
                .or_else(|| {
                    overrides
                        .iter()
                        .find(|o| o.parameter == *parameter)
                        .map(|o| o.value.clone())
                })
                .or_else(|| previous.and_then(|p| p.get(parameter.name())).cloned())
                .or_else(|| spec.default.clone())?;
            Some((parameter.name().to_owned(), value))
        })
        .collect()
}

/// What to do given the current stack (None: there is none) and the wanted template and values.
pub(crate) fn decide(
    current: Option<&DeployedState>,
    template: &str,
    parameters: &BTreeMap<String, String>,
) -> Plan {
    let Some(current) = current else {
        return Plan::Create;
    };
    let status = &current.status;
    match status {
        s if s.is_deleted() => Plan::Create,
        // REVIEW_IN_PROGRESS: a create change set was made but not (successfully) executed, e.g.
        // an interrupted `up`. It holds no resources; starting afresh converges on AWS and moto.
        // Only a stack that holds nothing is deleted and created again by `up` itself.
        s if s.must_be_recreated() => Plan::Recreate {
            status: status.clone(),
        },
        // A resource CloudFormation could not delete or roll back is still there: deleting the
        // stack again would fail again, so the person must act (the events say on what).
        s if s.is_stuck() => Plan::Blocked {
            status: status.clone(),
        },
        s if s.is_in_progress() => Plan::Wait {
            status: status.clone(),
        },
        _ => {
            if current.holds_template(template) && &current.parameters == parameters {
                Plan::UpToDate
            } else {
                Plan::Update
            }
        }
    }
}

/// The parameters whose values differ, as (name, before, after); for the plan printout.
pub(crate) fn parameter_changes(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<(String, Option<String>, String)> {
    after
        .iter()
        .filter(|(name, value)| before.get(*name) != Some(*value))
        .map(|(name, value)| (name.clone(), before.get(name).cloned(), value.clone()))
        .collect()
}

/// For tests: a created stack with nothing else known, to fill in what a test does not set.
#[cfg(test)]
impl Default for DeployedState {
    fn default() -> Self {
        DeployedState {
            stack_id: String::new(),
            status: "CREATE_COMPLETE".into(),
            parameters: BTreeMap::new(),
            template_body: None,
            last_changed: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Consumer::Two;
    use crate::model::template::TEMPLATE;

    fn deployed(status: &str, parameters: &BTreeMap<String, String>) -> DeployedState {
        DeployedState {
            stack_id: "arn:stack".into(),
            status: status.into(),
            parameters: parameters.clone(),
            template_body: Some(TEMPLATE.to_owned()),
            last_changed: None,
        }
    }

    fn managed() -> BTreeMap<Parameter, String> {
        BTreeMap::from([
            (Parameter::ArtifactBucket, "bucket".to_owned()),
            (Parameter::PutRecordCodeKey, "put-record/aa.zip".to_owned()),
            (Parameter::PutItemCodeKey, "put-item/bb.zip".to_owned()),
        ])
    }

    fn tune(parameter: Parameter, value: &str) -> Override {
        Override::new(parameter, value)
    }

    #[test]
    fn same_template_and_values_is_up_to_date_whatever_the_stable_status() {
        let params = desired_parameters(&managed(), &[], None);
        for status in [
            "CREATE_COMPLETE",
            "UPDATE_COMPLETE",
            "UPDATE_ROLLBACK_COMPLETE",
        ] {
            assert_eq!(
                decide(Some(&deployed(status, &params)), TEMPLATE, &params),
                Plan::UpToDate
            );
        }
    }

    #[test]
    fn a_changed_key_value_or_template_is_an_update() {
        let params = desired_parameters(&managed(), &[], None);
        let current = deployed("UPDATE_COMPLETE", &params);
        let mut code_changed = managed();
        code_changed.insert(Parameter::PutItemCodeKey, "put-item/cc.zip".into());
        let new_code = desired_parameters(&code_changed, &[], Some(&params));
        assert_eq!(decide(Some(&current), TEMPLATE, &new_code), Plan::Update);
        assert_eq!(
            parameter_changes(&params, &new_code),
            vec![(
                "PutItemCodeKey".into(),
                Some("put-item/bb.zip".into()),
                "put-item/cc.zip".into()
            )]
        );
        let edited = format!("{TEMPLATE}\n# edited\n");
        assert_eq!(decide(Some(&current), &edited, &params), Plan::Update);
    }

    #[test]
    fn tuned_values_are_kept_by_a_plain_up_and_changed_by_a_flag() {
        let first = desired_parameters(&managed(), &[], None);
        assert_eq!(first["BatchSize2"], "10");
        let mut tuned = first.clone();
        tuned.insert("BatchSize2".into(), "50".into());
        let plain_up = desired_parameters(&managed(), &[], Some(&tuned));
        assert_eq!(
            plain_up["BatchSize2"], "50",
            "a plain up must not revert a tune"
        );
        let flagged = desired_parameters(
            &managed(),
            &[tune(Parameter::BatchSize(Two), "7")],
            Some(&tuned),
        );
        assert_eq!(flagged["BatchSize2"], "7");
    }

    #[test]
    fn unstable_states_are_recreated_waited_for_or_explained() {
        let params = BTreeMap::new();
        let plan = |status| decide(Some(&deployed(status, &params)), TEMPLATE, &params);
        assert_eq!(decide(None, TEMPLATE, &params), Plan::Create);
        assert!(matches!(plan("REVIEW_IN_PROGRESS"), Plan::Recreate { .. }));
        assert!(matches!(plan("ROLLBACK_COMPLETE"), Plan::Recreate { .. }));
        assert!(matches!(plan("UPDATE_IN_PROGRESS"), Plan::Wait { .. }));
        assert!(matches!(
            plan("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS"),
            Plan::Wait { .. }
        ));
        for stuck in ["DELETE_FAILED", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED"] {
            assert!(matches!(plan(stuck), Plan::Blocked { .. }), "{stuck}");
        }
    }

    #[test]
    fn a_stack_runs_arm64_unless_it_says_x86_64() {
        let with = |arch: &str| DeployedState {
            parameters: BTreeMap::from([("Architecture".to_owned(), arch.to_owned())]),
            ..DeployedState::default()
        };
        assert_eq!(with("x86_64").arch(), Arch::X86_64);
        assert_eq!(with("arm64").arch(), Arch::Arm64);
        assert_eq!(DeployedState::default().arch(), Arch::Arm64);
    }
}
