//! A consumer's batching from flag to stack parameter: the change asked for (`BatchingChange`,
//! from `up` and `tune` alike) and the values a mapping has (`Batching`, as Lambda reports them).
//!
//! A change is checked against the template's limits (AWS's for Kinesis mappings) by
//! `plan::validate`, so each limit has one message whichever command meets it.

use serde::Serialize;

use super::plan::Override;

/// One mapping's batching, as Lambda reports and takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Batching {
    pub batch_size: i32,
    pub window_seconds: i32,
}

/// The batching values given on the command line for one consumer; `None` keeps the value.
/// Signed and unchecked, so a negative or too large value reaches the limit check and is
/// refused by name with the allowed range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchingChange {
    pub batch_size: Option<i64>,
    pub window: Option<i64>,
}

/// The flags a command names the two values by, for its messages.
#[derive(Debug, Clone, Copy)]
pub struct BatchingFlags {
    pub batch_size: &'static str,
    pub window: &'static str,
}

impl BatchingChange {
    pub fn is_empty(self) -> bool {
        self.batch_size.is_none() && self.window.is_none()
    }

    /// The template parameters this change sets on `consumer` (1 or 2).
    pub fn overrides(self, consumer: usize, flags: BatchingFlags) -> Vec<Override> {
        let (batch, window) = parameters(consumer);
        let set = [
            (batch, flags.batch_size, self.batch_size),
            (window, flags.window, self.window),
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

    /// The batching after the change. Only for validated changes: their values fit an i32.
    pub fn applied_to(self, before: Batching) -> Batching {
        let fit = |value: i64| i32::try_from(value).expect("validated: at most 10,000");
        Batching {
            batch_size: self.batch_size.map_or(before.batch_size, fit),
            window_seconds: self.window.map_or(before.window_seconds, fit),
        }
    }
}

/// The stack parameters holding `consumer`'s batch size and window.
pub fn parameters(consumer: usize) -> (&'static str, &'static str) {
    if consumer == 1 {
        ("BatchSize1", "Window1")
    } else {
        ("BatchSize2", "Window2")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TUNE: BatchingFlags = BatchingFlags {
        batch_size: "--batch-size",
        window: "--window",
    };

    #[test]
    fn only_given_values_change() {
        let before = Batching {
            batch_size: 10,
            window_seconds: 2,
        };
        let batch = BatchingChange {
            batch_size: Some(50),
            window: None,
        };
        assert_eq!(
            batch.applied_to(before),
            Batching {
                batch_size: 50,
                window_seconds: 2
            }
        );
        let window = BatchingChange {
            batch_size: None,
            window: Some(5),
        };
        assert_eq!(window.applied_to(before).window_seconds, 5);
        assert!(BatchingChange::default().is_empty());
    }

    #[test]
    fn overrides_name_the_consumers_parameters_and_the_flag_that_asked() {
        let both = BatchingChange {
            batch_size: Some(50),
            window: Some(5),
        };
        let two: Vec<_> = both
            .overrides(2, TUNE)
            .into_iter()
            .map(|o| (o.parameter, o.flag, o.value))
            .collect();
        assert_eq!(
            two,
            [
                ("BatchSize2", "--batch-size", "50".to_owned()),
                ("Window2", "--window", "5".to_owned())
            ]
        );
        let one = BatchingChange {
            batch_size: Some(-5),
            window: None,
        };
        assert_eq!(one.overrides(1, TUNE)[0].parameter, "BatchSize1");
        assert_eq!(one.overrides(1, TUNE)[0].value, "-5");
    }
}
