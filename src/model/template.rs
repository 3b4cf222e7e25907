//! The stack template, compiled into the tool, and its parameters: defaults and limits are read
//! from the template itself, so the tool validates values against the same rules CloudFormation
//! (and AWS behind it) will apply, before any call.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_yaml::Value;

use crate::model::Parameter;

/// `templates/stack.yaml`, passed as the template body (no S3 round trip; it stays well under
/// CloudFormation's 51,200-byte limit for a body).
pub(crate) const TEMPLATE: &str = include_str!("../../templates/stack.yaml");

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
        let range = match (self.min, self.max) {
            (Some(min), Some(max)) => format!("the allowed range is {min}–{max}"),
            (Some(min), None) => format!("the minimum is {min}"),
            (None, Some(max)) => format!("the maximum is {max}"),
            (None, None) => return None,
        };
        Some(format!("{range} (whole numbers)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Consumer::{One, Two};

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
