//! The template's parameters by name: every name spelled once, here, and read from a stack's
//! parameters (CloudFormation's name → value strings) through `ParameterValues`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::Consumer;

/// A parameter `templates/stack.yaml` declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Parameter {
    ArtifactBucket,
    PutRecordCodeKey,
    PutItemCodeKey,
    Architecture,
    MemorySize,
    InsightsLayerArn,
    LogRetentionDays,
    ShardCount,
    StreamRetentionHours,
    /// A consumer's mapping's batch size.
    BatchSize(Consumer),
    /// A consumer's mapping's batching window, seconds.
    Window(Consumer),
    /// A consumer's mapping's batches in flight per shard (ParallelizationFactor).
    Parallelization(Consumer),
    MaximumRetryAttempts,
}

impl Parameter {
    /// Every parameter, in the template's order.
    pub(crate) const ALL: [Parameter; 16] = [
        Parameter::ArtifactBucket,
        Parameter::PutRecordCodeKey,
        Parameter::PutItemCodeKey,
        Parameter::Architecture,
        Parameter::MemorySize,
        Parameter::InsightsLayerArn,
        Parameter::LogRetentionDays,
        Parameter::ShardCount,
        Parameter::StreamRetentionHours,
        Parameter::BatchSize(Consumer::One),
        Parameter::Window(Consumer::One),
        Parameter::Parallelization(Consumer::One),
        Parameter::BatchSize(Consumer::Two),
        Parameter::Window(Consumer::Two),
        Parameter::Parallelization(Consumer::Two),
        Parameter::MaximumRetryAttempts,
    ];

    /// Its name in the template and in the stack's parameters.
    pub(crate) fn name(self) -> &'static str {
        use Consumer::{One, Two};
        match self {
            Parameter::ArtifactBucket => "ArtifactBucket",
            Parameter::PutRecordCodeKey => "PutRecordCodeKey",
            Parameter::PutItemCodeKey => "PutItemCodeKey",
            Parameter::Architecture => "Architecture",
            Parameter::MemorySize => "MemorySize",
            Parameter::InsightsLayerArn => "InsightsLayerArn",
            Parameter::LogRetentionDays => "LogRetentionDays",
            Parameter::ShardCount => "ShardCount",
            Parameter::StreamRetentionHours => "StreamRetentionHours",
            Parameter::BatchSize(One) => "BatchSize1",
            Parameter::Window(One) => "Window1",
            Parameter::Parallelization(One) => "Parallelization1",
            Parameter::BatchSize(Two) => "BatchSize2",
            Parameter::Window(Two) => "Window2",
            Parameter::Parallelization(Two) => "Parallelization2",
            Parameter::MaximumRetryAttempts => "MaximumRetryAttempts",
        }
    }

    /// The parameter named `name`; None for a name this template does not declare.
    pub(crate) fn from_name(name: &str) -> Option<Parameter> {
        Parameter::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stack's parameters as CloudFormation reports them (name → value), read by `Parameter`.
pub(crate) trait ParameterValues {
    /// The value of `parameter`, if the stack has it.
    fn value(&self, parameter: Parameter) -> Option<&str>;

    /// The value of `parameter` as a number; None if missing or not one.
    fn number<T: FromStr>(&self, parameter: Parameter) -> Option<T> {
        self.value(parameter)?.parse().ok()
    }
}

impl ParameterValues for BTreeMap<String, String> {
    fn value(&self, parameter: Parameter) -> Option<&str> {
        self.get(parameter.name()).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_parameter() {
        for parameter in Parameter::ALL {
            assert_eq!(Parameter::from_name(parameter.name()), Some(parameter));
        }
        assert_eq!(Parameter::Window(Consumer::Two).to_string(), "Window2");
        assert_eq!(Parameter::from_name("BatchSize3"), None);
    }

    #[test]
    fn a_stacks_values_are_read_by_parameter() {
        let stack = BTreeMap::from([
            ("ShardCount".to_owned(), "2".to_owned()),
            ("Architecture".to_owned(), "arm64".to_owned()),
        ]);
        assert_eq!(stack.number::<u32>(Parameter::ShardCount), Some(2));
        assert_eq!(stack.value(Parameter::Architecture), Some("arm64"));
        assert_eq!(stack.number::<u32>(Parameter::Architecture), None);
        assert_eq!(stack.value(Parameter::MemorySize), None);
    }
}
