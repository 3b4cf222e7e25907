//! `demo tune`'s decisions: which mappings, which values, checked against AWS's limits (as the
//! template declares them) before any call. Pure: no AWS calls.

use std::collections::BTreeMap;

use super::DeployError;
use super::batching::{Batching, BatchingChange, BatchingFlags};
use super::plan::{self, Override};
use super::template::ParameterSpec;
use crate::model::{Consumer, Consumers, Parameter};

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
    parallelization: "--parallelization",
};

/// Checks the request against the template's limits (which are AWS's for Kinesis mappings).
pub fn validate(
    specs: &BTreeMap<Parameter, ParameterSpec>,
    request: &TuneRequest,
) -> Result<(), DeployError> {
    if request.change.is_empty() {
        return Err(DeployError::Invalid(vec![
            super::template::ParameterError {
                flag: "--batch-size/--window/--parallelization".into(),
                value: "(none given)".into(),
                rule: "give --batch-size N (1–10000), --window S (0–300 seconds), \
                       --parallelization N (1–10), or several"
                    .into(),
            },
        ]));
    }
    let overrides: Vec<Override> = request
        .consumers
        .members()
        .iter()
        .flat_map(|&consumer| overrides(request, consumer))
        .collect();
    plan::validate(specs, &overrides).map_err(DeployError::Invalid)
}

/// The template parameters a tune of `consumer` sets.
pub fn overrides(request: &TuneRequest, consumer: Consumer) -> Vec<Override> {
    request.change.overrides(consumer, FLAGS)
}

/// A mapping whose live batching differs from the values the stack's parameters give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub consumer: Consumer,
    pub live: Batching,
    pub stack: Batching,
}

/// The mappings whose live values differ from the stack's parameters (an interrupted or
/// out-of-band change): CloudFormation does not see that, so `up` must.
pub fn drift(
    parameters: &BTreeMap<String, String>,
    mappings: &[super::mapping::Mapping],
) -> Vec<Drift> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::template::parameter_specs;

    fn request(batch_size: Option<i64>, window: Option<i64>) -> TuneRequest {
        with_change(BatchingChange {
            batch_size,
            window,
            parallelization: None,
        })
    }

    fn with_change(change: BatchingChange) -> TuneRequest {
        TuneRequest {
            consumers: Consumers::Two,
            change,
            dry_run: false,
        }
    }

    fn parallelization(n: i64) -> TuneRequest {
        with_change(BatchingChange {
            parallelization: Some(n),
            ..BatchingChange::default()
        })
    }

    #[test]
    fn limits_are_awss_for_kinesis_mappings() {
        let specs = parameter_specs();
        assert!(validate(specs, &request(Some(1), Some(0))).is_ok());
        assert!(validate(specs, &request(Some(10_000), Some(300))).is_ok());
        for (batch, window, flag) in [
            (Some(0), None, "--batch-size 0"),
            (Some(10_001), None, "--batch-size 10001"),
            (None, Some(301), "--window 301"),
            (Some(-5), None, "--batch-size -5"),
        ] {
            let err = validate(specs, &request(batch, window))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(flag), "{err}");
            assert!(err.contains("allowed range"), "{err}");
        }
        let neither = validate(specs, &request(None, None))
            .unwrap_err()
            .to_string();
        assert!(neither.contains("give --batch-size"), "{neither}");
        assert!(neither.contains("--parallelization N (1–10)"), "{neither}");
    }

    #[test]
    fn parallelization_is_1_to_10_as_lambda_allows_for_kinesis() {
        let specs = parameter_specs();
        for good in [1, 10] {
            assert!(validate(specs, &parallelization(good)).is_ok(), "{good}");
        }
        for bad in [0, 11, -1] {
            let err = validate(specs, &parallelization(bad))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("--parallelization {bad} is not allowed")),
                "{err}"
            );
            assert!(err.contains("the allowed range is 1–10"), "{err}");
        }
        assert_eq!(
            overrides(&parallelization(3), Consumer::Two)
                .into_iter()
                .map(|o| (o.parameter.name(), o.value))
                .collect::<Vec<_>>(),
            [("Parallelization2", "3".to_owned())]
        );
    }

    fn mapping(consumer: Consumer, batch: i32, window: i32) -> crate::deploy::mapping::Mapping {
        crate::deploy::mapping::Mapping {
            consumer,
            function: format!("demo-put-item-{consumer}"),
            uuid: "u".into(),
            batch_size: Some(batch),
            window_seconds: Some(window),
            parallelization: Some(1),
            state: "Enabled".into(),
            state_reason: None,
            last_result: None,
            last_modified: None,
            function_arn: format!(
                "arn:aws:lambda:ap-southeast-2:123456789012:function:demo-put-item-{consumer}"
            ),
            failure: Default::default(),
        }
    }

    fn parameters(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const STACK: [(&str, &str); 6] = [
        ("BatchSize1", "100"),
        ("Window1", "30"),
        ("Parallelization1", "1"),
        ("BatchSize2", "10"),
        ("Window2", "2"),
        ("Parallelization2", "1"),
    ];

    #[test]
    fn a_live_mapping_that_differs_from_the_stack_is_drift() {
        let parameters = parameters(&STACK);
        assert_eq!(
            drift(
                &parameters,
                &[
                    mapping(Consumer::One, 100, 30),
                    mapping(Consumer::Two, 10, 2)
                ]
            ),
            []
        );
        assert_eq!(
            drift(
                &parameters,
                &[
                    mapping(Consumer::One, 100, 30),
                    mapping(Consumer::Two, 40, 2)
                ]
            ),
            [Drift {
                consumer: Consumer::Two,
                live: Batching {
                    batch_size: 40,
                    window_seconds: 2,
                    parallelization: 1,
                },
                stack: Batching {
                    batch_size: 10,
                    window_seconds: 2,
                    parallelization: 1,
                },
            }]
        );
    }

    #[test]
    fn a_parallelization_changed_outside_demo_is_drift() {
        let mut lanes = mapping(Consumer::One, 100, 30);
        lanes.parallelization = Some(4);
        let drifted = drift(
            &parameters(&STACK),
            &[lanes.clone(), mapping(Consumer::Two, 10, 2)],
        );
        assert_eq!(drifted.len(), 1, "{drifted:?}");
        assert_eq!(drifted[0].consumer, Consumer::One);
        assert_eq!(
            (
                drifted[0].live.parallelization,
                drifted[0].stack.parallelization
            ),
            (4, 1)
        );
        // The stack recorded 4: no drift.
        let mut tuned = parameters(&STACK);
        tuned.insert("Parallelization1".into(), "4".into());
        assert_eq!(drift(&tuned, &[lanes]), []);
    }

    #[test]
    fn a_stack_without_the_parallelization_parameters_expects_1() {
        let old = parameters(&STACK[..2]);
        assert_eq!(drift(&old, &[mapping(Consumer::One, 100, 30)]), []);
        let mut lanes = mapping(Consumer::One, 100, 30);
        lanes.parallelization = Some(2);
        assert_eq!(drift(&old, &[lanes]).len(), 1);
    }
}
