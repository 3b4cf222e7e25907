//! A consumer's batching from flag to SDK call: the values given (`BatchingChange`, from `up`,
//! `tune` and `sweep --apply` alike), checked once against the template's limits into a
//! `Tuning`, the one form they then have, which renders both the mapping update (`applied_to`
//! gives the `Batching` Lambda takes) and the change set's parameters (`parameters`). Batch
//! size, batching window and parallelization (batches in flight per shard).

use serde::Serialize;

use super::template::ParameterError;
use super::{Consumer, Override, Parameter, ParameterValues};

/// One mapping's batching, as Lambda reports and takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Batching {
    pub(crate) batch_size: i32,
    pub(crate) window_seconds: i32,
    /// Batches of one shard in flight at once (ParallelizationFactor, 1–10).
    pub(crate) parallelization: i32,
}

/// The batching values given on the command line for one consumer; `None` keeps the value.
/// Signed and unchecked, so a negative or too large value reaches the limit check and is
/// refused by name with the allowed range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BatchingChange {
    pub(crate) batch_size: Option<i64>,
    pub(crate) window: Option<i64>,
    pub(crate) parallelization: Option<i64>,
}

/// The flags a command names the two values by, for its messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchingFlags {
    pub(crate) batch_size: &'static str,
    pub(crate) window: &'static str,
    pub(crate) parallelization: &'static str,
}

impl BatchingChange {
    pub(crate) fn is_empty(self) -> bool {
        self.batch_size.is_none() && self.window.is_none() && self.parallelization.is_none()
    }
}

impl BatchingFlags {
    /// The flags in the order of `Tuning`'s slots: batch size, window, parallelization.
    fn names(self) -> [&'static str; 3] {
        [self.batch_size, self.window, self.parallelization]
    }

    /// The refusal of a change that sets no value: each flag with the range the template
    /// declares for `consumer` ("give --batch-size N (1–10000), --window S (0–300 seconds), …").
    pub(crate) fn none_given(self, consumer: Consumer) -> ParameterError {
        let how = [("N", ""), ("S", " seconds"), ("N", "")];
        let said: Vec<String> = (self.names().into_iter().zip(how).enumerate())
            .map(|(slot, (flag, (placeholder, unit)))| {
                let range = (Tuning::parameter(slot, consumer).spec())
                    .and_then(|spec| spec.range())
                    .map(|range| format!(" ({range}{unit})"))
                    .unwrap_or_default();
                format!("{flag} {placeholder}{range}")
            })
            .collect();
        ParameterError {
            flag: self.names().join("/"),
            value: "(none given)".into(),
            rule: format!("give {}, or several", said.join(", ")),
        }
    }
}

/// The batching values a change sets (`None` keeps the mapping's), each within the template's
/// limits: the one form from `settings` to the SDK. Only `check` makes one that sets a value
/// (`default()` sets none, which every limit allows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tuning {
    batch_size: Option<i32>,
    window_seconds: Option<i32>,
    parallelization: Option<i32>,
}

impl Tuning {
    /// Checks `change` (given as `flags`) for every one of `consumers` against the template's
    /// limits, which are AWS's for Kinesis mappings: every problem at once, each said once.
    pub(crate) fn check(
        consumers: &[Consumer],
        change: BatchingChange,
        flags: BatchingFlags,
    ) -> Result<Tuning, Vec<ParameterError>> {
        let given = [change.batch_size, change.window, change.parallelization];
        let mut problems = Vec::new();
        let mut checked = [None; 3];
        for (slot, (flag, value)) in flags.names().into_iter().zip(given).enumerate() {
            let Some(value) = value else { continue };
            for &consumer in consumers {
                match Tuning::parameter(slot, consumer).check(flag, value) {
                    Ok(fits) => checked[slot] = Some(fits),
                    Err(problem) if !problems.contains(&problem) => problems.push(problem),
                    Err(_) => {}
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let [batch_size, window_seconds, parallelization] = checked;
        Ok(Tuning {
            batch_size,
            window_seconds,
            parallelization,
        })
    }

    /// The parameter of `consumer` that value `slot` (batch size, window, parallelization) sets.
    fn parameter(slot: usize, consumer: Consumer) -> Parameter {
        match slot {
            0 => Parameter::BatchSize(consumer),
            1 => Parameter::Window(consumer),
            _ => Parameter::Parallelization(consumer),
        }
    }

    /// The mapping's batching after the change: what the mapping update sends.
    pub(crate) fn applied_to(self, before: Batching) -> Batching {
        Batching {
            batch_size: self.batch_size.unwrap_or(before.batch_size),
            window_seconds: self.window_seconds.unwrap_or(before.window_seconds),
            parallelization: self.parallelization.unwrap_or(before.parallelization),
        }
    }

    /// The template parameters the change sets on `consumer`, as a change set sends them.
    pub(crate) fn parameters(self, consumer: Consumer) -> Vec<Override> {
        let values = [self.batch_size, self.window_seconds, self.parallelization];
        (values.into_iter().enumerate())
            .filter_map(|(slot, value)| {
                Some(Override::new(Tuning::parameter(slot, consumer), value?))
            })
            .collect()
    }

    /// Whether the change sets how many batches of a shard run at once.
    pub(crate) fn sets_parallelization(self) -> bool {
        self.parallelization.is_some()
    }
}

/// What a mapping's ParallelizationFactor is when Lambda leaves it out, and what a stack
/// deployed before the template had the parameter holds (the template then set 1).
pub(crate) const DEFAULT_PARALLELIZATION: i32 = 1;

impl Batching {
    /// "batch 10 / window 2 s", and "/ parallelization 3" when asked or when it is not 1.
    pub(crate) fn describe(self, parallelization: bool) -> String {
        let mut text = format!(
            "batch {} / window {} s",
            self.batch_size, self.window_seconds
        );
        if parallelization || self.parallelization != DEFAULT_PARALLELIZATION {
            text.push_str(&format!(" / parallelization {}", self.parallelization));
        }
        text
    }

    /// "10 / 2 s", and " ×3" for a parallelization other than 1: the label of a consumer in
    /// tables and charts, as the local runner writes it.
    pub(crate) fn label(self) -> String {
        let lanes = match self.parallelization {
            DEFAULT_PARALLELIZATION => String::new(),
            n => format!(" ×{n}"),
        };
        format!("{} / {} s{lanes}", self.batch_size, self.window_seconds)
    }

    /// Two batchings described alike: both with their parallelization if either has one
    /// other than 1, so a change of it alone is visible.
    pub(crate) fn describe_pair(first: Batching, second: Batching) -> (String, String) {
        let show = first.parallelization != DEFAULT_PARALLELIZATION
            || second.parallelization != DEFAULT_PARALLELIZATION;
        (first.describe(show), second.describe(show))
    }

    /// The values the stack's `parameters` give `consumer`; None if a batch size or window is
    /// missing or not a number. A missing parallelization is the default the template had.
    pub(crate) fn from_parameters(
        parameters: &std::collections::BTreeMap<String, String>,
        consumer: Consumer,
    ) -> Option<Batching> {
        Some(Batching {
            batch_size: parameters.number(Parameter::BatchSize(consumer))?,
            window_seconds: parameters.number(Parameter::Window(consumer))?,
            parallelization: match parameters.value(Parameter::Parallelization(consumer)) {
                None => DEFAULT_PARALLELIZATION,
                Some(text) => text.parse().ok()?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const TUNE: BatchingFlags = BatchingFlags {
        batch_size: "--batch-size",
        window: "--window",
        parallelization: "--parallelization",
    };

    const BEFORE: Batching = Batching {
        batch_size: 10,
        window_seconds: 2,
        parallelization: 1,
    };

    fn checked(change: BatchingChange) -> Result<Tuning, String> {
        Tuning::check(&[Consumer::Two], change, TUNE).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            lines.join("\n")
        })
    }

    fn named(tuning: Tuning, consumer: Consumer) -> Vec<(&'static str, String)> {
        (tuning.parameters(consumer).into_iter())
            .map(|o| (o.parameter.name(), o.value))
            .collect()
    }

    #[test]
    fn a_checked_change_renders_the_consumers_parameters() {
        let all = BatchingChange {
            batch_size: Some(50),
            window: Some(5),
            parallelization: Some(4),
        };
        assert_eq!(
            named(checked(all).unwrap(), Consumer::Two),
            [
                ("BatchSize2", "50".to_owned()),
                ("Window2", "5".to_owned()),
                ("Parallelization2", "4".to_owned()),
            ]
        );
        let lanes = BatchingChange {
            parallelization: Some(3),
            ..BatchingChange::default()
        };
        assert_eq!(
            named(checked(lanes).unwrap(), Consumer::One),
            [("Parallelization1", "3".to_owned())]
        );
        assert_eq!(named(Tuning::default(), Consumer::One), []);
    }

    #[test]
    fn limits_are_awss_for_kinesis_mappings() {
        let ok = |batch_size, window| {
            checked(BatchingChange {
                batch_size,
                window,
                parallelization: None,
            })
        };
        assert!(ok(Some(1), Some(0)).is_ok());
        assert!(ok(Some(10_000), Some(300)).is_ok());
        for (batch, window, said) in [
            (Some(0), None, "--batch-size 0"),
            (Some(10_001), None, "--batch-size 10001"),
            (None, Some(301), "--window 301"),
            (Some(-5), None, "--batch-size -5"),
            (Some(i64::MAX), None, "--batch-size 9223372036854775807"),
        ] {
            let err = ok(batch, window).unwrap_err();
            assert!(err.starts_with(said), "{err}");
            assert!(err.contains("the allowed range is"), "{err}");
        }
        let both = ok(Some(0), Some(-1)).unwrap_err();
        assert_eq!(both.lines().count(), 2, "{both}");
    }

    #[test]
    fn parallelization_is_1_to_10_as_lambda_allows_for_kinesis() {
        let lanes = |n| {
            checked(BatchingChange {
                parallelization: Some(n),
                ..BatchingChange::default()
            })
        };
        for good in [1, 10] {
            assert!(lanes(good).is_ok(), "{good}");
        }
        for bad in [0, 11, -1] {
            let err = lanes(bad).unwrap_err();
            assert_eq!(
                err,
                format!(
                    "--parallelization {bad} is not allowed: the allowed range is 1–10 (whole numbers)"
                )
            );
        }
    }

    #[test]
    fn both_consumers_refused_alike_are_said_once() {
        let change = BatchingChange {
            batch_size: Some(0),
            ..BatchingChange::default()
        };
        let problems = Tuning::check(&Consumer::ALL, change, TUNE).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
    }

    #[test]
    fn only_given_values_change() {
        let batch = checked(BatchingChange {
            batch_size: Some(50),
            ..BatchingChange::default()
        })
        .unwrap();
        assert_eq!(
            batch.applied_to(BEFORE),
            Batching {
                batch_size: 50,
                ..BEFORE
            }
        );
        assert!(!batch.sets_parallelization());
        let lanes = checked(BatchingChange {
            parallelization: Some(3),
            ..BatchingChange::default()
        })
        .unwrap();
        assert_eq!(
            lanes.applied_to(BEFORE),
            Batching {
                parallelization: 3,
                ..BEFORE
            }
        );
        assert!(lanes.sets_parallelization());
        assert_eq!(Tuning::default().applied_to(BEFORE), BEFORE);
        assert!(BatchingChange::default().is_empty());
    }

    fn stack(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_stacks_parameters_give_each_consumers_batching() {
        let parameters = stack(&[
            ("BatchSize1", "100"),
            ("Window1", "30"),
            ("Parallelization1", "1"),
            ("BatchSize2", "10"),
            ("Window2", "2"),
            ("Parallelization2", "3"),
        ]);
        assert_eq!(
            Batching::from_parameters(&parameters, Consumer::Two),
            Some(Batching {
                parallelization: 3,
                ..BEFORE
            })
        );
        assert_eq!(
            Batching::from_parameters(&parameters, Consumer::One).map(|b| b.batch_size),
            Some(100)
        );
    }

    #[test]
    fn parallelization_is_described_when_it_is_not_1_on_either_side() {
        assert_eq!(BEFORE.describe(false), "batch 10 / window 2 s");
        assert_eq!(
            BEFORE.describe(true),
            "batch 10 / window 2 s / parallelization 1"
        );
        let lanes = Batching {
            parallelization: 3,
            ..BEFORE
        };
        assert_eq!(
            Batching::describe_pair(BEFORE, lanes),
            (
                "batch 10 / window 2 s / parallelization 1".to_owned(),
                "batch 10 / window 2 s / parallelization 3".to_owned()
            )
        );
        assert_eq!(
            Batching::describe_pair(BEFORE, BEFORE).1,
            "batch 10 / window 2 s"
        );
        assert_eq!(BEFORE.label(), "10 / 2 s");
        assert_eq!(lanes.label(), "10 / 2 s ×3");
    }

    #[test]
    fn a_stack_from_before_the_parallelization_parameter_has_the_templates_old_1() {
        let old = stack(&[("BatchSize2", "10"), ("Window2", "2")]);
        assert_eq!(Batching::from_parameters(&old, Consumer::Two), Some(BEFORE));
        assert_eq!(Batching::from_parameters(&old, Consumer::One), None);
        let garbled = stack(&[
            ("BatchSize2", "10"),
            ("Window2", "2"),
            ("Parallelization2", "many"),
        ]);
        assert_eq!(Batching::from_parameters(&garbled, Consumer::Two), None);
    }
}
