//! The template's parameters by name: every name spelled once, here, with the limits the
//! template declares (`Parameter::check`); read from a stack's parameters (CloudFormation's
//! name → value strings) through `ParameterValues`, and set through `Override`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::Consumer;
use super::template::{ParameterError, ParameterSpec, parameter_specs};

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

    /// What the template declares for it: default and limits, read from the template once.
    pub(crate) fn spec(self) -> Option<&'static ParameterSpec> {
        parameter_specs().get(&self)
    }

    /// `value`, given on the command line as `flag`, if the template's limits allow it (a
    /// parameter it does not limit takes what AWS takes for these numbers, an i32); else the
    /// problem, naming the flag, the value and the rule.
    pub(crate) fn check(self, flag: &str, value: i64) -> Result<i32, ParameterError> {
        let refuse = |rule: String| ParameterError {
            flag: flag.to_owned(),
            value: value.to_string(),
            rule,
        };
        if let Some(spec) = self.spec()
            && let Some(rule) = spec.range_rule()
            && spec.out_of_range(value as f64)
        {
            return Err(refuse(rule));
        }
        i32::try_from(value).map_err(|_| refuse(format!("the maximum is {}", i32::MAX)))
    }
}

/// A template parameter's value set by the tool (a checked flag, a tune, a new code key), as
/// CloudFormation takes it: a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Override {
    pub(crate) parameter: Parameter,
    pub(crate) value: String,
}

impl Override {
    pub(crate) fn new(parameter: Parameter, value: impl ToString) -> Override {
        Override {
            parameter,
            value: value.to_string(),
        }
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
    fn numbers_are_checked_against_the_templates_limits() {
        let batch = Parameter::BatchSize(Consumer::One);
        assert_eq!(batch.check("--batch-size-1", 10_000), Ok(10_000));
        assert_eq!(
            batch
                .check("--batch-size-1", 20_000)
                .unwrap_err()
                .to_string(),
            "--batch-size-1 20000 is not allowed: the allowed range is 1–10000 (whole numbers)"
        );
        assert!(
            Parameter::Window(Consumer::Two)
                .check("--window", -1)
                .is_err()
        );
        assert_eq!(Parameter::MemorySize.check("--memory", 512), Ok(512));
        let huge = Parameter::ArtifactBucket.check("x", i64::MAX).unwrap_err();
        assert_eq!(huge.rule, format!("the maximum is {}", i32::MAX));
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
