//! A consumer's batching from flag to stack parameter: the change asked for (`BatchingChange`,
//! from `up` and `tune` alike) and the values a mapping has (`Batching`, as Lambda reports them):
//! batch size, batching window and parallelization (batches in flight per shard).
//!
//! A change is checked against the template's limits (AWS's for Kinesis mappings): `up`'s with
//! its other values by `plan::validate`, `tune`'s into a `tuning::Tuning`; both say a limit
//! in the template's words (`ParameterSpec::range_rule`).

use serde::Serialize;

use super::plan::Override;
use crate::model::{Consumer, Parameter, ParameterValues};

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

    /// The template parameters this change sets on `consumer`.
    pub(crate) fn overrides(self, consumer: Consumer, flags: BatchingFlags) -> Vec<Override> {
        let set = [
            (
                Parameter::BatchSize(consumer),
                flags.batch_size,
                self.batch_size,
            ),
            (Parameter::Window(consumer), flags.window, self.window),
            (
                Parameter::Parallelization(consumer),
                flags.parallelization,
                self.parallelization,
            ),
        ];
        set.into_iter()
            .filter_map(|(parameter, flag, value)| {
                Some(Override {
                    parameter,
                    flag,
                    value: value?.to_string(),
                })
            })
            .collect()
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

    fn named(
        change: BatchingChange,
        consumer: Consumer,
    ) -> Vec<(&'static str, &'static str, String)> {
        change
            .overrides(consumer, TUNE)
            .into_iter()
            .map(|o| (o.parameter.name(), o.flag, o.value))
            .collect()
    }

    #[test]
    fn overrides_name_the_consumers_parameters_and_the_flag_that_asked() {
        let all = BatchingChange {
            batch_size: Some(50),
            window: Some(5),
            parallelization: Some(4),
        };
        assert_eq!(
            named(all, Consumer::Two),
            [
                ("BatchSize2", "--batch-size", "50".to_owned()),
                ("Window2", "--window", "5".to_owned()),
                ("Parallelization2", "--parallelization", "4".to_owned()),
            ]
        );
        let one = BatchingChange {
            batch_size: Some(-5),
            ..BatchingChange::default()
        };
        assert_eq!(
            named(one, Consumer::One),
            [("BatchSize1", "--batch-size", "-5".to_owned())]
        );
        let lanes = BatchingChange {
            parallelization: Some(11),
            ..BatchingChange::default()
        };
        assert_eq!(
            named(lanes, Consumer::One),
            [("Parallelization1", "--parallelization", "11".to_owned())]
        );
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
