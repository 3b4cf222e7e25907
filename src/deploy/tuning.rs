//! `demo tune`'s decisions: which mappings, which values, checked against AWS's limits (as the
//! template declares them) before any call. Pure: no AWS calls.

use std::collections::BTreeMap;

use super::DeployError;
use super::batching::{Batching, BatchingChange, BatchingFlags};
use super::plan::{self, Override};
use super::template::ParameterSpec;

/// Which consumer(s) to tune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumers {
    One,
    Two,
    All,
}

impl Consumers {
    /// Consumer numbers, 1-based.
    pub fn numbers(self) -> Vec<usize> {
        match self {
            Consumers::One => vec![1],
            Consumers::Two => vec![2],
            Consumers::All => vec![1, 2],
        }
    }
}

/// What `demo tune` was asked for.
#[derive(Debug, Clone)]
pub struct TuneRequest {
    pub consumers: Consumers,
    pub change: BatchingChange,
    pub dry_run: bool,
}

/// How `tune` names the values in its messages.
pub const FLAGS: BatchingFlags = BatchingFlags {
    batch_size: "--batch-size",
    window: "--window",
};

/// Checks the request against the template's limits (which are AWS's for Kinesis mappings).
pub fn validate(
    specs: &BTreeMap<String, ParameterSpec>,
    request: &TuneRequest,
) -> Result<(), DeployError> {
    if request.change.is_empty() {
        return Err(DeployError::Invalid(vec![
            super::template::ParameterError {
                flag: "--batch-size/--window".into(),
                value: "(neither given)".into(),
                rule: "give --batch-size N (1–10000), --window S (0–300 seconds), or both".into(),
            },
        ]));
    }
    let overrides: Vec<Override> = request
        .consumers
        .numbers()
        .into_iter()
        .flat_map(|consumer| overrides(request, consumer))
        .collect();
    plan::validate(specs, &overrides).map_err(DeployError::Invalid)
}

/// The template parameters a tune of `consumer` sets.
pub fn overrides(request: &TuneRequest, consumer: usize) -> Vec<Override> {
    request.change.overrides(consumer, FLAGS)
}

/// A mapping whose live batching differs from the values the stack's parameters give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub consumer: usize,
    pub live: Batching,
    pub stack: Batching,
}

/// The mappings whose live values differ from the stack's parameters (an interrupted or
/// out-of-band change): CloudFormation does not see that, so `up` must.
pub fn drift(
    parameters: &BTreeMap<String, String>,
    mappings: &[super::mapping::Mapping],
) -> Vec<Drift> {
    let value = |key: String| parameters.get(&key).and_then(|v| v.parse::<i32>().ok());
    mappings
        .iter()
        .filter_map(|m| {
            let stack = Batching {
                batch_size: value(format!("BatchSize{}", m.consumer))?,
                window_seconds: value(format!("Window{}", m.consumer))?,
            };
            let live = m.batching();
            (live != stack).then_some(Drift {
                consumer: m.consumer,
                live,
                stack,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::template::parameter_specs;

    fn request(batch_size: Option<i64>, window: Option<i64>) -> TuneRequest {
        TuneRequest {
            consumers: Consumers::Two,
            change: BatchingChange { batch_size, window },
            dry_run: false,
        }
    }

    #[test]
    fn limits_are_awss_for_kinesis_mappings() {
        let specs = parameter_specs();
        assert!(validate(&specs, &request(Some(1), Some(0))).is_ok());
        assert!(validate(&specs, &request(Some(10_000), Some(300))).is_ok());
        for (batch, window, flag) in [
            (Some(0), None, "--batch-size 0"),
            (Some(10_001), None, "--batch-size 10001"),
            (None, Some(301), "--window 301"),
            (Some(-5), None, "--batch-size -5"),
        ] {
            let err = validate(&specs, &request(batch, window))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(flag), "{err}");
            assert!(err.contains("allowed range"), "{err}");
        }
        let neither = validate(&specs, &request(None, None))
            .unwrap_err()
            .to_string();
        assert!(neither.contains("give --batch-size"), "{neither}");
    }

    fn mapping(consumer: usize, batch: i32, window: i32) -> crate::deploy::mapping::Mapping {
        crate::deploy::mapping::Mapping {
            consumer,
            function: format!("demo-put-item-{consumer}"),
            uuid: "u".into(),
            batch_size: Some(batch),
            window_seconds: Some(window),
            parallelization: Some(1),
            state: "Enabled".into(),
            last_modified: None,
            function_arn: format!(
                "arn:aws:lambda:ap-southeast-2:123456789012:function:demo-put-item-{consumer}"
            ),
            failure: Default::default(),
        }
    }

    #[test]
    fn a_live_mapping_that_differs_from_the_stack_is_drift() {
        let parameters: BTreeMap<String, String> = [
            ("BatchSize1", "100"),
            ("Window1", "30"),
            ("BatchSize2", "10"),
            ("Window2", "2"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        assert_eq!(
            drift(&parameters, &[mapping(1, 100, 30), mapping(2, 10, 2)]),
            []
        );
        assert_eq!(
            drift(&parameters, &[mapping(1, 100, 30), mapping(2, 40, 2)]),
            [Drift {
                consumer: 2,
                live: Batching {
                    batch_size: 40,
                    window_seconds: 2
                },
                stack: Batching {
                    batch_size: 10,
                    window_seconds: 2
                },
            }]
        );
    }
}
