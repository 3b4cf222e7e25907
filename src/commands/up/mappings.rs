//! The end of `up` for the consumers' mappings: one whose values drifted from the stack's is
//! put back, and each is judged (`mapping::judge_all`): not Enabled, unless the user disabled it
//! before this run, fails `up` after its summary.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::aws::Clients;
use crate::deploy::mapping::{self, Mapping};
use crate::deploy::names::StackNames;
use crate::deploy::plan::DeployedState;
use crate::deploy::resources::{self, Deployed};
use crate::deploy::{DeployError, interrupt, tuning};
use crate::model::Consumer;
use crate::model::batching::Batching;
use crate::terminal;

/// What `up` found of the mappings at its end.
pub(crate) struct Settled {
    /// Whether a mapping was put back to the stack's values.
    pub(crate) put_back: bool,
    pub(crate) judged: mapping::Verdicts,
}

/// Reads what is deployed, puts a mapping whose values drifted from the stack's back, and
/// judges every mapping (`mapping::judge_all`) against `not_enabled_before` (`None`: this run
/// changed nothing, so a mapping not Enabled now was so before).
pub(crate) async fn settle_mappings(
    clients: &Clients,
    names: &StackNames,
    desired: &BTreeMap<String, String>,
    not_enabled_before: Option<BTreeSet<Consumer>>,
) -> Result<(Deployed, Settled), DeployError> {
    let deployed = resources::deployed(clients, &names.stack).await?;
    let before = not_enabled_before.unwrap_or_else(|| mapping::not_enabled(&deployed.mappings));
    let drifted = tuning::drift(desired, &deployed.mappings);
    let put_back = !drifted.is_empty();
    let deployed = if put_back {
        put_mappings_back(clients, names, &deployed.mappings, &drifted).await?;
        resources::deployed(clients, &names.stack).await?
    } else {
        deployed
    };
    let judged = mapping::judge_all(&deployed.mappings, &before);
    Ok((deployed, Settled { put_back, judged }))
}

/// The consumers whose mapping is not Enabled before this run updates the stack (none on a
/// create). A mapping the user disabled stays so through an update, and is then theirs; one
/// this run finds Enabled and leaves Disabled is a problem. If they cannot be read, every
/// mapping counts as Enabled, so that one left Disabled is reported rather than excused.
pub(crate) async fn mappings_not_enabled(
    clients: &Clients,
    names: &StackNames,
    current: Option<&DeployedState>,
) -> BTreeSet<Consumer> {
    if current.is_none() {
        return BTreeSet::new();
    }
    match resources::deployed(clients, &names.stack).await {
        Ok(deployed) => mapping::not_enabled(&deployed.mappings),
        Err(err) => {
            tracing::debug!(error = %err, "could not read the mappings before the update");
            BTreeSet::new()
        }
    }
}

/// Puts each drifted mapping back to the values the stack's parameters give it: CloudFormation
/// sees no change in a parameter that did not change, so it would leave the mapping as it is.
async fn put_mappings_back(
    clients: &Clients,
    names: &StackNames,
    mappings: &[Mapping],
    drifted: &[tuning::Drift],
) -> Result<(), DeployError> {
    interrupt::doing(format!(
        "Lambda goes on updating the mappings of stack {}; `demo up` again finishes that",
        names.stack
    ));
    let started = Instant::now();
    for drift in drifted {
        let Some(mapping) = mappings.iter().find(|m| m.consumer == drift.consumer) else {
            continue;
        };
        let (live, stack) = Batching::describe_pair(drift.live, drift.stack);
        terminal::note(format!(
            "mapping {} is live at {live}, the stack says {stack}: putting it back",
            drift.consumer
        ));
        mapping::update_mapping(clients, mapping, drift.stack).await?;
        match mapping::wait_for_effect(clients, mapping, drift.stack, started).await {
            // Judged with the others once `up` has read them all.
            Ok(_) | Err(DeployError::MappingsStopped(_)) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
