//! The stack template, compiled into the tool, and its parameters: every name spelled once, here
//! (`Parameter`), with the defaults and limits the template declares, read from it once, so the
//! tool checks values against the same rules CloudFormation (and AWS behind it) will apply,
//! before any call (`Parameter::check`). A stack's parameters (CloudFormation's name → value
//! strings) are read through `ParameterValues` and set through `Override`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde_yaml::Value;

use super::Consumer;

/// `templates/stack.yaml`, passed as the template body (no S3 round trip; it stays well under
/// CloudFormation's 51,200-byte limit for a body).
pub(crate) const TEMPLATE: &str = include_str!("../../templates/stack.yaml");

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

/// A parameter as the template declares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ParameterSpec {
    pub(crate) default: Option<String>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) allowed: Vec<String>,
}

/// A value the template would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {value} is not allowed: {rule}")]
pub struct ParameterError {
    pub(crate) flag: String,
    pub(crate) value: String,
    pub(crate) rule: String,
}

/// The template's parameters and their limits, read from the template once.
pub(crate) fn parameter_specs() -> &'static BTreeMap<Parameter, ParameterSpec> {
    static SPECS: LazyLock<BTreeMap<Parameter, ParameterSpec>> = LazyLock::new(read_specs);
    &SPECS
}

fn read_specs() -> BTreeMap<Parameter, ParameterSpec> {
    // The template is compiled in, and a unit test reads it: it is YAML, and it declares
    // exactly the parameters `Parameter` names.
    let template: Value = serde_yaml::from_str(TEMPLATE).unwrap_or(Value::Null);
    let Some(Value::Mapping(parameters)) = template.get("Parameters") else {
        return BTreeMap::new();
    };
    parameters
        .iter()
        .filter_map(|(name, spec)| Some((Parameter::from_name(name.as_str()?)?, spec_of(spec))))
        .collect()
}

fn spec_of(spec: &Value) -> ParameterSpec {
    let text = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let number = |key: &str| spec.get(key).and_then(Value::as_f64);
    ParameterSpec {
        default: spec.get("Default").and_then(text),
        min: number("MinValue"),
        max: number("MaxValue"),
        allowed: match spec.get("AllowedValues") {
            Some(Value::Sequence(values)) => values.iter().filter_map(text).collect(),
            _ => Vec::new(),
        },
    }
}

impl ParameterSpec {
    /// Whether `number` lies below the declared minimum or above the maximum.
    pub(crate) fn out_of_range(&self, number: f64) -> bool {
        self.min.is_some_and(|min| number < min) || self.max.is_some_and(|max| number > max)
    }

    /// The rule a number outside the declared limits breaks ("the allowed range is 1–10000
    /// (whole numbers)"), said alike by every check; None when the template sets no limit.
    pub(crate) fn range_rule(&self) -> Option<String> {
        let range = match (self.range(), self.min, self.max) {
            (Some(range), _, _) => format!("the allowed range is {range}"),
            (None, Some(min), _) => format!("the minimum is {min}"),
            (None, _, Some(max)) => format!("the maximum is {max}"),
            (None, None, None) => return None,
        };
        Some(format!("{range} (whole numbers)"))
    }

    /// The declared range as a flag's help says it ("1–10000"); None without both limits.
    pub(crate) fn range(&self) -> Option<String> {
        Some(format!("{}–{}", self.min?, self.max?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Consumer::{One, Two};

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

    #[test]
    fn the_template_declares_exactly_the_parameters_the_model_names() {
        let template: Value = serde_yaml::from_str(TEMPLATE).unwrap();
        let declared: Vec<&str> = match template.get("Parameters") {
            Some(Value::Mapping(parameters)) => {
                parameters.keys().filter_map(Value::as_str).collect()
            }
            _ => Vec::new(),
        };
        let named: Vec<&str> = Parameter::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(declared, named);
        assert_eq!(parameter_specs().len(), Parameter::ALL.len());
    }

    #[test]
    fn template_declares_awss_limits_for_the_mappings() {
        let specs = parameter_specs();
        let batch = &specs[&Parameter::BatchSize(One)];
        assert_eq!((batch.min, batch.max), (Some(1.0), Some(10_000.0)));
        assert_eq!(batch.default.as_deref(), Some("100"));
        assert_eq!(
            specs[&Parameter::Window(One)].default.as_deref(),
            Some("30")
        );
        assert_eq!(
            specs[&Parameter::BatchSize(Two)].default.as_deref(),
            Some("10")
        );
        assert_eq!(specs[&Parameter::Window(Two)].default.as_deref(), Some("2"));
        assert_eq!(
            (
                specs[&Parameter::Window(Two)].min,
                specs[&Parameter::Window(Two)].max
            ),
            (Some(0.0), Some(300.0))
        );
        for lanes in [
            Parameter::Parallelization(One),
            Parameter::Parallelization(Two),
        ] {
            let spec = &specs[&lanes];
            assert_eq!((spec.min, spec.max), (Some(1.0), Some(10.0)), "{lanes}");
            assert_eq!(spec.default.as_deref(), Some("1"), "{lanes}");
        }
        assert_eq!(specs[&Parameter::Architecture].allowed, ["arm64", "x86_64"]);
        assert!(TEMPLATE.len() < 51_200);
    }
}
