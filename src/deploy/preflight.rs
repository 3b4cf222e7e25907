//! Limits `up` checks before it writes anything: the stream's resharding step and the account's
//! Lambda concurrency, each refused with the limit and the fix rather than failing mid-update.
//!
//! What can be checked and what cannot:
//! - The shard step: `UpdateShardCount` goes at most to double, or down to half, the current
//!   count per call; CloudFormation makes one call, so a bigger step fails the stack update
//!   (and a plain `up` would retry it). The current count is the stack's `ShardCount`.
//! - Concurrency: Lambda's `GetAccountSettings` gives the account's concurrency in the region
//!   (`AccountLimit.UnreservedConcurrentExecutions`, a new account may have 10). Each mapping
//!   runs up to its ParallelizationFactor invocations per shard at a time, plus the producer.
//! - Memory: the 3,008 MB cap a new account may have is not in `GetAccountSettings` (nor any
//!   other API), so it cannot be checked; above it `up` prints a note and lets AWS decide.
//! - An endpoint without `GetAccountSettings` (moto answers 404) or a caller not allowed to call
//!   it leaves the account's limits unknown: logged at debug, and `up` goes on.

use std::collections::BTreeMap;

use aws_sdk_lambda::error::DisplayErrorContext;

use super::DeployError;
use crate::model::template::ParameterError;
use crate::model::{Consumer, Parameter, ParameterValues};

/// The largest memory a new account may be capped at, and what `GetAccountSettings` omits.
const NEW_ACCOUNT_MEMORY_CAP_MB: u32 = 3008;

/// The account's Lambda limits in the region, as `GetAccountSettings` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AccountLimits {
    pub(crate) concurrent_executions: i32,
    /// What functions without reserved concurrency (all of ours) share.
    pub(crate) unreserved_concurrent_executions: Option<i32>,
}

/// The account's limits, or None when the endpoint cannot tell (then nothing is checked).
pub(crate) async fn account_limits(lambda: &aws_sdk_lambda::Client) -> Option<AccountLimits> {
    match lambda.get_account_settings().send().await {
        Ok(settings) => settings.account_limit().map(|limit| AccountLimits {
            concurrent_executions: limit.concurrent_executions(),
            unreserved_concurrent_executions: limit.unreserved_concurrent_executions(),
        }),
        Err(err) => {
            tracing::debug!(
                error = %DisplayErrorContext(&err),
                "Lambda GetAccountSettings is not available: the account's concurrency is unknown and not checked"
            );
            None
        }
    }
}

/// Every limit the wanted parameters break, all at once; `current` is the stack's parameters.
pub(crate) fn check(
    current: Option<&BTreeMap<String, String>>,
    desired: &BTreeMap<String, String>,
    limits: Option<AccountLimits>,
) -> Result<(), Vec<ParameterError>> {
    let Some(shards) = desired.number(Parameter::ShardCount) else {
        return Ok(());
    };
    let from = current.and_then(|c| c.number(Parameter::ShardCount));
    let consumers = Concurrency::of(desired);
    let problems: Vec<ParameterError> = [
        from.and_then(|from| shard_step(from, shards).err()),
        limits.and_then(|limits| concurrency(limits, consumers).err()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Whether one `UpdateShardCount` call can go from `from` shards to `to`.
fn shard_step(from: u32, to: u32) -> Result<(), ParameterError> {
    let (low, high) = (from.div_ceil(2), from.saturating_mul(2));
    if (low..=high).contains(&to) {
        return Ok(());
    }
    let next = to.clamp(low, high);
    Err(ParameterError {
        flag: "--shards".into(),
        value: to.to_string(),
        rule: format!(
            "the stream has {from} shard(s) and Kinesis UpdateShardCount goes at most to double \
             or down to half per step ({low}..={high} from here); go in steps: \
             `demo up --shards {next}` first, then on from there"
        ),
    })
}

/// What the consumers run at once: the stream's shards and each mapping's batches in flight
/// per shard (ParallelizationFactor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Concurrency {
    pub(crate) shards: u32,
    pub(crate) parallelization: [u32; 2],
}

impl Concurrency {
    /// What a stack with `parameters` runs; a value it lacks (an older template) is 1.
    pub(crate) fn of(parameters: &BTreeMap<String, String>) -> Concurrency {
        let number = |parameter| parameters.number(parameter).unwrap_or(1);
        Concurrency {
            shards: number(Parameter::ShardCount),
            parallelization: Consumer::ALL.map(|c| number(Parameter::Parallelization(c))),
        }
    }

    /// Batches in flight per shard, both mappings together.
    fn per_shard(self) -> u32 {
        self.parallelization[0].saturating_add(self.parallelization[1])
    }

    /// Concurrent executions the stack can use at once: shards × (parallelization 1 +
    /// parallelization 2) for the mappings, and at least one for the producer.
    pub(crate) fn concurrency_needed(self) -> u32 {
        self.shards
            .saturating_mul(self.per_shard())
            .saturating_add(1)
    }

    /// The flag(s) the need comes from, and their values, for the message.
    fn flags(self) -> (String, String) {
        let [one, two] = self.parallelization;
        if self.per_shard() == 2 {
            ("--shards".into(), self.shards.to_string())
        } else {
            (
                "--shards/--parallelization-1/--parallelization-2".into(),
                format!("{}/{one}/{two}", self.shards),
            )
        }
    }
}

/// What functions without reserved concurrency (all of ours) can run at once.
fn available(limits: AccountLimits) -> u32 {
    limits
        .unreserved_concurrent_executions
        .unwrap_or(limits.concurrent_executions)
        .max(0) as u32
}

/// Whether the account's unreserved concurrency covers what the stack needs.
pub(crate) fn concurrency(
    limits: AccountLimits,
    consumers: Concurrency,
) -> Result<(), ParameterError> {
    let available = available(limits);
    let needed = consumers.concurrency_needed();
    if needed <= available {
        return Ok(());
    }
    let (flag, value) = consumers.flags();
    let Concurrency {
        shards,
        parallelization: [one, two],
    } = consumers;
    Err(ParameterError {
        flag,
        value,
        rule: format!(
            "{shards} shard(s) × ({one} + {two}) batches in flight per shard need {needed} \
             concurrent Lambda executions (the 2 mappings' parallelization, plus put-record), \
             and the account has {available} unreserved in this region (Lambda \
             GetAccountSettings, of {} in all): {}request more in Service Quotas (Lambda, \
             \"Concurrent executions\")",
            limits.concurrent_executions,
            fixes(consumers, available)
        ),
    })
}

/// `tune --parallelization` and a sweep's factors: each of `wanted` against the account's
/// concurrency, read once, before any mapping changes (nothing is checked where
/// `GetAccountSettings` cannot answer, as for `up`).
pub(crate) async fn check_parallelization(
    lambda: &aws_sdk_lambda::Client,
    wanted: impl IntoIterator<Item = Concurrency>,
) -> Result<(), DeployError> {
    let Some(limits) = account_limits(lambda).await else {
        return Ok(());
    };
    for consumers in wanted {
        parallelization(limits, consumers, "--parallelization")
            .map_err(|problem| DeployError::Invalid(vec![problem]))?;
    }
    Ok(())
}

/// The same check when only the mappings' parallelization changes (`tune --parallelization`,
/// a sweep's factors), refused under the flag that asked and with the fix in its terms.
pub(crate) fn parallelization(
    limits: AccountLimits,
    consumers: Concurrency,
    flag: &str,
) -> Result<(), ParameterError> {
    let available = available(limits);
    let needed = consumers.concurrency_needed();
    if needed <= available {
        return Ok(());
    }
    let Concurrency {
        shards,
        parallelization: [one, two],
    } = consumers;
    let in_all = available.saturating_sub(1) / shards.max(1);
    Err(ParameterError {
        flag: flag.to_owned(),
        value: format!("(consumer 1 at {one}, consumer 2 at {two})"),
        rule: format!(
            "{shards} shard(s) × ({one} + {two}) batches in flight per shard need {needed} \
             concurrent Lambda executions (plus put-record), and the account has {available} \
             unreserved in this region (Lambda GetAccountSettings): keep the two consumers' \
             parallelization to {in_all} in all, or request more in Service Quotas (Lambda, \
             \"Concurrent executions\")"
        ),
    })
}

/// The smaller settings that would fit `available`, each as the flag to use, then ", or ".
fn fixes(consumers: Concurrency, available: u32) -> String {
    let room = available.saturating_sub(1);
    let mut fixes = Vec::new();
    let shards = room / consumers.per_shard().max(1);
    if shards >= 1 {
        fixes.push(format!("use `--shards {shards}`"));
    }
    let per_shard = room / consumers.shards.max(1);
    if consumers.per_shard() > 2 && per_shard >= 2 {
        fixes.push(format!(
            "lower `--parallelization-1` + `--parallelization-2` to {per_shard} in all"
        ));
    }
    fixes.iter().map(|fix| format!("{fix}, or ")).collect()
}

/// A note when `memory` is above what a new account may be capped at, which no API reports.
pub(crate) fn memory_note(memory: u32) -> Option<String> {
    (memory > NEW_ACCOUNT_MEMORY_CAP_MB).then(|| {
        format!(
            "note: --memory {memory} is above {NEW_ACCOUNT_MEMORY_CAP_MB} MB, the cap a new \
             account may have, which AWS does not report before the deploy; if the functions \
             fail with a MemorySize error, request the increase in Service Quotas or use \
             `--memory {NEW_ACCOUNT_MEMORY_CAP_MB}`"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parallelization_beyond_the_account_is_refused_under_the_flag_that_asked() {
        let account = AccountLimits {
            concurrent_executions: 10,
            unreserved_concurrent_executions: Some(10),
        };
        let one_shard = |one, two| Concurrency {
            shards: 1,
            parallelization: [one, two],
        };
        // 1 × (4 + 5) + 1 = 10 fits; 1 × (5 + 5) + 1 = 11 does not.
        assert_eq!(
            parallelization(account, one_shard(4, 5), "--parallelization"),
            Ok(())
        );
        let error = parallelization(account, one_shard(5, 5), "--parallelization").unwrap_err();
        assert_eq!(error.flag, "--parallelization");
        assert!(
            error.value.contains("consumer 1 at 5, consumer 2 at 5"),
            "{error}"
        );
        for part in [
            "need 11",
            "has 10 unreserved",
            "to 9 in all",
            "Service Quotas",
        ] {
            assert!(error.to_string().contains(part), "{part}: {error}");
        }
        // Two shards halve what each may have.
        let two_shards = Concurrency {
            shards: 2,
            parallelization: [3, 3],
        };
        let error = parallelization(account, two_shards, "--parallelization").unwrap_err();
        assert!(error.to_string().contains("to 4 in all"), "{error}");
    }

    fn shards(count: u32) -> BTreeMap<String, String> {
        BTreeMap::from([("ShardCount".to_owned(), count.to_string())])
    }

    fn one_lane(shards: u32) -> Concurrency {
        Concurrency {
            shards,
            parallelization: [1, 1],
        }
    }

    fn new_account() -> AccountLimits {
        AccountLimits {
            concurrent_executions: 10,
            unreserved_concurrent_executions: Some(10),
        }
    }

    #[test]
    fn a_shard_change_within_double_and_half_is_one_step() {
        for (from, to) in [
            (1, 1),
            (1, 2),
            (2, 4),
            (4, 2),
            (3, 2),
            (3, 6),
            (5, 3),
            (100, 50),
        ] {
            assert_eq!(shard_step(from, to), Ok(()), "{from} -> {to}");
        }
    }

    #[test]
    fn a_shard_change_beyond_one_step_names_the_range_and_the_next_step() {
        let error = shard_step(1, 3).unwrap_err();
        assert_eq!(error.flag, "--shards");
        assert_eq!(error.value, "3");
        assert!(error.rule.contains("1..=2 from here"), "{}", error.rule);
        assert!(
            error.rule.contains("`demo up --shards 2`"),
            "{}",
            error.rule
        );
        let down = shard_step(10, 4).unwrap_err();
        assert!(down.rule.contains("5..=20"), "{}", down.rule);
        assert!(down.rule.contains("`demo up --shards 5`"), "{}", down.rule);
        // Half of an odd count rounds up: 5 cannot go to 2 in one step.
        assert!(shard_step(5, 2).is_err());
    }

    #[test]
    fn a_new_stack_has_no_shard_step_to_check() {
        assert_eq!(check(None, &shards(100), None), Ok(()));
        assert!(check(Some(&shards(1)), &shards(3), None).is_err());
        assert_eq!(check(Some(&shards(2)), &shards(3), None), Ok(()));
    }

    #[test]
    fn concurrency_beyond_the_accounts_unreserved_pool_is_refused_with_a_size_that_fits() {
        assert_eq!(
            concurrency(new_account(), one_lane(4)),
            Ok(()),
            "4 shards need 9 of 10"
        );
        let error = concurrency(new_account(), one_lane(5)).unwrap_err();
        assert_eq!(error.flag, "--shards");
        assert_eq!(error.value, "5");
        for part in [
            "need 11",
            "has 10 unreserved",
            "`--shards 4`",
            "Service Quotas",
        ] {
            assert!(error.rule.contains(part), "{part}: {}", error.rule);
        }
        let reserved_elsewhere = AccountLimits {
            concurrent_executions: 1000,
            unreserved_concurrent_executions: Some(2),
        };
        let error = concurrency(reserved_elsewhere, one_lane(1)).unwrap_err();
        assert!(!error.rule.contains("use `--shards"), "{}", error.rule);
    }

    #[test]
    fn each_mappings_parallelization_multiplies_what_a_shard_needs() {
        let lanes = |shards, one, two| Concurrency {
            shards,
            parallelization: [one, two],
        };
        assert_eq!(lanes(1, 1, 1).concurrency_needed(), 3);
        assert_eq!(lanes(2, 1, 3).concurrency_needed(), 9);
        assert_eq!(lanes(3, 10, 10).concurrency_needed(), 61);
        assert_eq!(
            concurrency(new_account(), lanes(2, 1, 3)),
            Ok(()),
            "9 of 10"
        );
        let error = concurrency(new_account(), lanes(2, 2, 3)).unwrap_err();
        assert_eq!(
            error.flag,
            "--shards/--parallelization-1/--parallelization-2"
        );
        assert_eq!(error.value, "2/2/3");
        for part in [
            "2 shard(s) × (2 + 3)",
            "need 11",
            "has 10 unreserved",
            "`--shards 1`",
            "`--parallelization-1` + `--parallelization-2` to 4 in all",
            "Service Quotas",
        ] {
            assert!(error.rule.contains(part), "{part}: {}", error.rule);
        }
    }

    #[test]
    fn up_reads_the_parallelization_from_the_wanted_parameters() {
        let mut desired = shards(1);
        assert_eq!(check(None, &desired, Some(new_account())), Ok(()));
        desired.insert("Parallelization2".into(), "10".into());
        let problems = check(None, &desired, Some(new_account())).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].value, "1/1/10");
        assert!(problems[0].rule.contains("need 12"), "{}", problems[0].rule);
        desired.insert("Parallelization2".into(), "8".into());
        assert_eq!(
            check(None, &desired, Some(new_account())),
            Ok(()),
            "10 of 10"
        );
    }

    #[test]
    fn unknown_account_limits_check_only_the_shard_step() {
        assert_eq!(check(Some(&shards(50)), &shards(100), None), Ok(()));
        let problems = check(Some(&shards(1)), &shards(5), Some(new_account())).unwrap_err();
        assert_eq!(
            problems.len(),
            2,
            "the step and the concurrency: {problems:?}"
        );
    }

    #[test]
    fn memory_above_a_new_accounts_cap_gets_a_note_not_a_refusal() {
        assert_eq!(memory_note(3008), None);
        let note = memory_note(4096).unwrap();
        assert!(note.contains("4096") && note.contains("3008"), "{note}");
    }
}
