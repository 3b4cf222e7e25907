//! The stack's three functions by the names people use (`producer`, `consumer-1`,
//! `consumer-2`), with the template's names for each: `demo logs` and `demo invoke` take them.

use std::fmt;

use serde::Serialize;

/// One of the stack's functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub(crate) enum StackFunction {
    /// put-record: API Gateway → Kinesis.
    #[serde(rename = "producer")]
    Producer,
    /// put-item-1: mapping 1 (100 / 30 s by default) → table 1.
    #[serde(rename = "consumer-1")]
    Consumer1,
    /// put-item-2: mapping 2 (10 / 2 s by default) → table 2.
    #[serde(rename = "consumer-2")]
    Consumer2,
}

impl StackFunction {
    pub(crate) const ALL: [StackFunction; 3] = [
        StackFunction::Producer,
        StackFunction::Consumer1,
        StackFunction::Consumer2,
    ];

    /// The name people type: `producer`, `consumer-1`, `consumer-2`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            StackFunction::Producer => "producer",
            StackFunction::Consumer1 => "consumer-1",
            StackFunction::Consumer2 => "consumer-2",
        }
    }

    /// The template's name for it (and the end of its physical name): `put-record`, …
    pub(crate) fn template_name(self) -> &'static str {
        match self {
            StackFunction::Producer => "put-record",
            StackFunction::Consumer1 => "put-item-1",
            StackFunction::Consumer2 => "put-item-2",
        }
    }

    /// The logical id of its AWS::Lambda::Function.
    pub(crate) fn function_logical_id(self) -> &'static str {
        match self {
            StackFunction::Producer => "PutRecordFunction",
            StackFunction::Consumer1 => "PutItem1Function",
            StackFunction::Consumer2 => "PutItem2Function",
        }
    }

    /// The logical id of the AWS::Logs::LogGroup the template gives it.
    pub(crate) fn log_group_logical_id(self) -> &'static str {
        match self {
            StackFunction::Producer => "PutRecordLogs",
            StackFunction::Consumer1 => "PutItem1Logs",
            StackFunction::Consumer2 => "PutItem2Logs",
        }
    }

    /// A consumer takes Kinesis batches; the producer API Gateway requests.
    pub(crate) fn is_consumer(self) -> bool {
        self != StackFunction::Producer
    }
}

impl fmt::Display for StackFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A function the stack does not have (yet): `demo up` creates it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "stack {stack} has no {function} function ({}): `demo up` creates it",
    function.function_logical_id()
)]
pub(crate) struct NotDeployed {
    pub(crate) stack: String,
    pub(crate) function: StackFunction,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_template() {
        for function in StackFunction::ALL {
            let logical = function.function_logical_id();
            let logs = function.log_group_logical_id();
            assert_eq!(
                logical.strip_suffix("Function"),
                logs.strip_suffix("Logs"),
                "{function}"
            );
            let json = serde_json::to_value(function).unwrap();
            assert_eq!(json, function.name());
        }
        assert!(!StackFunction::Producer.is_consumer());
        assert_eq!(StackFunction::Consumer2.template_name(), "put-item-2");
    }

    /// The template's functions and log groups are the ones named here.
    #[test]
    fn the_template_declares_each_function_and_its_log_group() {
        let template = include_str!("../../templates/stack.yaml");
        for function in StackFunction::ALL {
            for logical in [
                function.function_logical_id(),
                function.log_group_logical_id(),
            ] {
                assert!(template.contains(&format!("\n  {logical}:\n")), "{logical}");
            }
            let group = format!(
                "/aws/lambda/${{AWS::StackName}}-{}-",
                function.template_name()
            );
            assert!(template.contains(&group), "{group}");
        }
    }
}
