//! Whether records flow through a consumer's mapping, judged from what Lambda reports after
//! `up` or `tune` changed it: a mapping that is not Enabled, unless a user disabled it on
//! purpose, is a problem the user must hear about (no records reach that consumer).
//!
//! What Lambda reports (Lambda API reference, EventSourceMappingConfiguration): `State` is one
//! of Creating, Enabling, Enabled, Disabling, Disabled, Updating, Deleting;
//! `StateTransitionReason` "indicates whether a user or Lambda made the last change" (a user's
//! change reads "User action" in the Lambda developer guide's Kinesis examples, "USER_INITIATED"
//! on newer mappings, "User initiated" in moto); `LastProcessingResult` is "the result of the
//! event source mapping's last processing attempt" ("No records processed", "OK", or "PROBLEM:
//! …" such as "PROBLEM: Function call failed").
//!
//! "On purpose" needs two things: the reason says a user made the change, and the mapping was
//! already not Enabled before this run changed it. A mapping this run found Enabled and leaves
//! Disabled was not disabled by the user's choice, whatever the reason says (an emulator that
//! disables a mapping on update reports the update as the user's).

use std::collections::BTreeSet;

use serde::Serialize;

use super::Mapping;
use crate::model::Consumer;

/// The verdict on one mapping as Lambda reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Health {
    /// Enabled; its last processing attempt is not a problem.
    Flowing,
    /// Still changing (Creating, Enabling, Updating): not settled yet.
    Changing,
    /// Enabled, but the last processing attempt failed: the note says so (Lambda retries).
    Troubled(String),
    /// Disabled by a user, on purpose: the note says no records flow until it is enabled.
    Paused(String),
    /// Not Enabled, and not by the user's choice.
    Stopped(Stopped),
}

impl Health {
    /// What the user should read about it, if anything but "records flow".
    pub(crate) fn note(&self) -> Option<&str> {
        match self {
            Health::Troubled(note) | Health::Paused(note) => Some(note),
            _ => None,
        }
    }
}

/// A mapping that is not Enabled though nobody chose that: what `up` and `tune` fail with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stopped {
    pub(crate) consumer: Consumer,
    pub(crate) function: String,
    pub(crate) uuid: String,
    pub(crate) state: String,
    pub(crate) state_reason: Option<String>,
    pub(crate) last_result: Option<String>,
    /// Whether it was Enabled before this run changed it.
    pub(crate) was_enabled: bool,
}

/// Judges `mapping` as Lambda reported it; `was_enabled` says whether it was Enabled before
/// this run changed it (true for one this run created).
pub(crate) fn judge(mapping: &Mapping, was_enabled: bool) -> Health {
    match mapping.state.as_str() {
        "Enabled" => match mapping.last_result.as_deref() {
            Some(result) if is_problem(result) => Health::Troubled(troubled_note(mapping, result)),
            _ => Health::Flowing,
        },
        "Creating" | "Enabling" | "Updating" => Health::Changing,
        "Disabled" | "Disabling" if !was_enabled && by_user(mapping) => {
            Health::Paused(paused_note(mapping))
        }
        _ => Health::Stopped(Stopped {
            consumer: mapping.consumer,
            function: mapping.function.clone(),
            uuid: mapping.uuid.clone(),
            state: mapping.state.clone(),
            state_reason: mapping.state_reason.clone(),
            last_result: mapping.last_result.clone(),
            was_enabled,
        }),
    }
}

/// Whether a user made the mapping's last change, in any of the spellings Lambda and the
/// emulators use ("User action", "USER_INITIATED", "User initiated").
fn by_user(mapping: &Mapping) -> bool {
    let reason = mapping.state_reason.as_deref().unwrap_or_default();
    reason.trim().to_ascii_lowercase().starts_with("user")
}

fn is_problem(text: &str) -> bool {
    text.trim_start()
        .to_ascii_uppercase()
        .starts_with("PROBLEM")
}

/// The command that turns the mapping back on.
fn enable_command(uuid: &str) -> String {
    format!("`aws lambda update-event-source-mapping --uuid {uuid} --enabled`")
}

fn paused_note(mapping: &Mapping) -> String {
    format!(
        "note: the mapping of {} (consumer {}) is {} by a user ({:?}): no records flow to \
         consumer {} until it is enabled again ({})",
        mapping.function,
        mapping.consumer,
        mapping.state,
        mapping.state_reason.as_deref().unwrap_or_default(),
        mapping.consumer,
        enable_command(&mapping.uuid)
    )
}

fn troubled_note(mapping: &Mapping, result: &str) -> String {
    format!(
        "note: the mapping of {} (consumer {}) is Enabled, but Lambda reports its last \
         processing attempt as {result:?}: it retries the batch, and `demo failures` shows what \
         it gave up on",
        mapping.function, mapping.consumer
    )
}

/// What `up` says about the mappings it leaves: a note for each one a user disabled, still
/// changing, or whose last attempt failed; and the ones stopped, which fail it.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdicts {
    pub(crate) notes: Vec<String>,
    pub(crate) stopped: Vec<Stopped>,
}

/// Judges every mapping; `not_enabled_before` names the consumers whose mapping was not Enabled
/// before this run changed anything.
pub(crate) fn judge_all(mappings: &[Mapping], not_enabled_before: &BTreeSet<Consumer>) -> Verdicts {
    let mut verdicts = Verdicts::default();
    for mapping in mappings {
        match judge(mapping, !not_enabled_before.contains(&mapping.consumer)) {
            Health::Flowing => {}
            Health::Changing => verdicts.notes.push(changing_note(mapping)),
            Health::Troubled(note) | Health::Paused(note) => verdicts.notes.push(note),
            Health::Stopped(stopped) => verdicts.stopped.push(stopped),
        }
    }
    verdicts
}

/// The consumers whose mapping is not Enabled.
pub(crate) fn not_enabled(mappings: &[Mapping]) -> BTreeSet<Consumer> {
    (mappings.iter())
        .filter(|m| !m.is_enabled())
        .map(|m| m.consumer)
        .collect()
}

/// A short note for a mapping still changing when `up` ends.
fn changing_note(mapping: &Mapping) -> String {
    format!(
        "note: the mapping of {} (consumer {}) is {}: records flow once Lambda reports it \
         Enabled (`demo status` shows it)",
        mapping.function, mapping.consumer, mapping.state
    )
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.consumer;
        write!(
            f,
            "the mapping of {} (consumer {n}) is {}",
            self.function, self.state
        )?;
        let said: Vec<String> = [
            ("Lambda's reason", &self.state_reason),
            ("last processing", &self.last_result),
        ]
        .into_iter()
        .filter_map(|(what, text)| Some(format!("{what}: {:?}", text.as_deref()?)))
        .collect();
        if !said.is_empty() {
            write!(f, " ({})", said.join("; "))?;
        }
        if self.was_enabled {
            write!(f, ", though it was Enabled before this run")?;
        }
        write!(f, ": no records flow to consumer {n}\n  fix: ")?;
        let problem = [&self.state_reason, &self.last_result]
            .into_iter()
            .any(|text| text.as_deref().is_some_and(is_problem));
        if problem {
            write!(
                f,
                "correct what Lambda reports (often the function's permission to read the \
                 stream, or the function itself), then "
            )?;
        }
        write!(
            f,
            "enable it again: {} (with --endpoint-url against an emulator); `demo status` then \
             shows it Enabled",
            enable_command(&self.uuid)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(state: &str, reason: Option<&str>, result: Option<&str>) -> Mapping {
        Mapping {
            consumer: Consumer::Two,
            function: "demo-put-item-2".into(),
            uuid: "f89f8514-cdd9-4602-9e1f-01a5b77d449b".into(),
            batch_size: Some(10),
            window_seconds: Some(2),
            parallelization: Some(1),
            state: state.into(),
            state_reason: reason.map(str::to_owned),
            last_result: result.map(str::to_owned),
            last_modified: None,
            function_arn: String::new(),
            failure: Default::default(),
        }
    }

    #[test]
    fn enabled_flows_and_a_failed_last_attempt_is_a_note() {
        for result in [None, Some("OK"), Some("No records processed")] {
            let enabled = mapping("Enabled", Some("User action"), result);
            assert_eq!(judge(&enabled, true), Health::Flowing);
        }
        let failing = mapping(
            "Enabled",
            Some("User action"),
            Some("PROBLEM: Function call failed"),
        );
        let Health::Troubled(note) = judge(&failing, true) else {
            panic!("a failed last attempt is worth a note")
        };
        assert!(note.contains("\"PROBLEM: Function call failed\""), "{note}");
        assert_eq!(
            judge(&mapping("Updating", None, None), true),
            Health::Changing
        );
    }

    #[test]
    fn a_mapping_the_user_had_disabled_is_a_note_in_every_spelling_of_user() {
        for reason in ["User action", "USER_INITIATED", "User initiated"] {
            let paused = mapping("Disabled", Some(reason), Some("No records processed"));
            let Health::Paused(note) = judge(&paused, false) else {
                panic!("{reason}: disabled by the user on purpose")
            };
            assert!(note.contains("no records flow to consumer 2"), "{note}");
            assert!(
                note.contains("--uuid f89f8514-cdd9-4602-9e1f-01a5b77d449b --enabled"),
                "{note}"
            );
        }
    }

    #[test]
    fn disabled_by_lambda_or_by_this_run_is_stopped() {
        let by_lambda = mapping("Disabled", Some("PROBLEM: Function not found"), None);
        assert!(matches!(judge(&by_lambda, false), Health::Stopped(_)));
        // Enabled before this run, Disabled after: not the user's choice, whatever the reason.
        let after_update = mapping("Disabled", Some("User initiated"), None);
        let Health::Stopped(stopped) = judge(&after_update, true) else {
            panic!("disabled by the update")
        };
        let text = stopped.to_string();
        assert!(
            text.contains("though it was Enabled before this run"),
            "{text}"
        );
        assert!(!text.contains("correct what Lambda reports"), "{text}");
        for state in ["Disabling", "Deleting", ""] {
            assert!(matches!(
                judge(&mapping(state, None, None), true),
                Health::Stopped(_)
            ));
        }
    }

    #[test]
    fn up_fails_only_for_a_mapping_nobody_chose_to_disable() {
        let with = |consumer: Consumer, state: &str, reason: &str| Mapping {
            consumer,
            ..mapping(state, Some(reason), None)
        };
        let mappings = [
            with(Consumer::One, "Enabled", "User action"),
            with(Consumer::Two, "Disabled", "User initiated"),
        ];
        // Consumer 2 was already Disabled before this `up`: the user's, a note.
        let verdicts = judge_all(&mappings, &not_enabled(&mappings));
        assert_eq!(verdicts.stopped, []);
        assert_eq!(verdicts.notes.len(), 1, "{verdicts:?}");
        // It was Enabled before this `up` changed the stack: a problem.
        let verdicts = judge_all(&mappings, &BTreeSet::new());
        assert_eq!(verdicts.stopped.len(), 1, "{verdicts:?}");
        assert_eq!(verdicts.stopped[0].consumer, Consumer::Two);
        let updating = [with(Consumer::One, "Updating", "User action")];
        let verdicts = judge_all(&updating, &BTreeSet::new());
        assert!(
            verdicts.notes[0].contains("is Updating: records flow once"),
            "{verdicts:?}"
        );
    }

    #[test]
    fn a_stopped_mapping_names_the_function_the_reason_the_consequence_and_the_fix() {
        let stopped = mapping(
            "Disabled",
            Some("PROBLEM: Lambda couldn't read the stream"),
            Some("PROBLEM: Function call failed"),
        );
        let Health::Stopped(stopped) = judge(&stopped, true) else {
            panic!("stopped")
        };
        assert_eq!(
            stopped.to_string(),
            "the mapping of demo-put-item-2 (consumer 2) is Disabled (Lambda's reason: \
             \"PROBLEM: Lambda couldn't read the stream\"; last processing: \"PROBLEM: Function \
             call failed\"), though it was Enabled before this run: no records flow to consumer \
             2\n  fix: correct what Lambda reports (often the function's permission to read the \
             stream, or the function itself), then enable it again: `aws lambda \
             update-event-source-mapping --uuid f89f8514-cdd9-4602-9e1f-01a5b77d449b --enabled` \
             (with --endpoint-url against an emulator); `demo status` then shows it Enabled"
        );
    }
}
