//! A mapping whose live batching differs from what the stack's parameters give it: an
//! interrupted tune or an out-of-band change, which CloudFormation does not see, so `up` must.

use std::collections::BTreeMap;

use crate::deploy::mapping::Mapping;
use crate::model::Consumer;
use crate::model::batching::Batching;

/// A mapping whose live batching differs from the values the stack's parameters give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Drift {
    pub(crate) consumer: Consumer,
    pub(crate) live: Batching,
    pub(crate) stack: Batching,
}

/// The mappings whose live values differ from the stack's parameters.
pub(crate) fn drift(parameters: &BTreeMap<String, String>, mappings: &[Mapping]) -> Vec<Drift> {
    mappings
        .iter()
        .filter_map(|m| {
            let stack = Batching::from_parameters(parameters, m.consumer)?;
            let live = m.batching();
            (live != stack).then_some(Drift {
                consumer: m.consumer,
                live,
                stack,
            })
        })
        .collect()
}
