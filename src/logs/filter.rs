//! `--filter TEXT`: the events whose line contains TEXT (case-sensitive, as CloudWatch
//! matches), and who does the matching.
//!
//! CloudWatch's filter pattern `"TEXT"` (an exact phrase) matches the message as stored. Where
//! the message is what is shown, that means the same, and FilterLogEvents does the work (only
//! matching events travel). With `LogFormat: JSON` (the template's), Lambda stores its own lines
//! as JSON records (`{"type":"platform.report",…}`) that are shown as `REPORT … Duration: …`:
//! CloudWatch would match the JSON, not the line shown (`REPORT` or `Duration` is not in it), so
//! every event is read and matched here, against the line shown and the message stored. A TEXT
//! holding a double quote has no exact-phrase pattern, so it is matched here too.

use serde::Serialize;

use super::source::LogFormat;

/// Who matches `--filter` for one log group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "matched_by", rename_all = "snake_case")]
pub(crate) enum FilterPlan {
    /// FilterLogEvents, with this pattern.
    Cloudwatch { pattern: String },
    /// `demo`, on each event read.
    Demo,
}

impl FilterPlan {
    /// How `text` is matched in a group whose functions log in `format`.
    pub(crate) fn for_group(text: &str, format: LogFormat) -> FilterPlan {
        match (format, exact_phrase(text)) {
            (LogFormat::Text, Some(pattern)) => FilterPlan::Cloudwatch { pattern },
            _ => FilterPlan::Demo,
        }
    }

    /// The pattern for FilterLogEvents, if CloudWatch matches.
    pub(crate) fn pattern(&self) -> Option<&str> {
        match self {
            FilterPlan::Cloudwatch { pattern } => Some(pattern),
            FilterPlan::Demo => None,
        }
    }

    /// Whether an event CloudWatch returned is shown: all of them when CloudWatch matched,
    /// else those whose stored message or shown line contains `text`.
    pub(crate) fn keeps(&self, text: &str, message: &str, shown: &str) -> bool {
        match self {
            FilterPlan::Cloudwatch { .. } => true,
            FilterPlan::Demo => message.contains(text) || shown.contains(text),
        }
    }
}

/// CloudWatch's exact-phrase pattern for `text`: none for text a pattern cannot quote.
fn exact_phrase(text: &str) -> Option<String> {
    let quotable = !text.is_empty() && !text.contains(|c: char| c == '"' || c.is_control());
    quotable.then(|| format!("\"{text}\""))
}

/// The sentence saying who matched: each group's plan, for the note on stderr.
pub(crate) fn describe(text: &str, plans: &[(String, FilterPlan)]) -> String {
    let by_cloudwatch: Vec<&str> = (plans.iter())
        .filter(|(_, plan)| plan.pattern().is_some())
        .map(|(group, _)| group.as_str())
        .collect();
    let quoted = format!("{text:?}");
    match (by_cloudwatch.len(), plans.len()) {
        (0, _) => format!(
            "--filter {quoted}: matched here against each line as shown (and its message as \
             stored): the functions log in JSON, where CloudWatch's pattern would see the \
             JSON record, not the line shown"
        ),
        (n, total) if n == total => format!(
            "--filter {quoted}: matched by CloudWatch (FilterLogEvents pattern {}, an exact \
             phrase, case-sensitive)",
            exact_phrase(text).unwrap_or_default()
        ),
        _ => format!(
            "--filter {quoted}: matched by CloudWatch in {} (Text log format), here in the other \
             groups (JSON log format)",
            by_cloudwatch.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format_groups_are_filtered_by_cloudwatch_with_an_exact_phrase() {
        assert_eq!(
            FilterPlan::for_group("order refused", LogFormat::Text),
            FilterPlan::Cloudwatch {
                pattern: "\"order refused\"".into()
            }
        );
        // A term CloudWatch would read as an operator is a phrase once quoted.
        assert_eq!(
            FilterPlan::for_group("-x ?y {z}", LogFormat::Text).pattern(),
            Some("\"-x ?y {z}\"")
        );
    }

    #[test]
    fn json_groups_and_unquotable_text_are_matched_here() {
        assert_eq!(
            FilterPlan::for_group("REPORT", LogFormat::Json),
            FilterPlan::Demo
        );
        assert_eq!(
            FilterPlan::for_group("say \"hi\"", LogFormat::Text),
            FilterPlan::Demo
        );
        assert_eq!(
            FilterPlan::for_group("tab\there", LogFormat::Text),
            FilterPlan::Demo
        );
    }

    #[test]
    fn matching_here_looks_at_the_line_shown_and_the_message_stored() {
        let plan = FilterPlan::Demo;
        let stored = r#"{"type":"platform.report","record":{"requestId":"r1"}}"#;
        let shown = "REPORT RequestId: r1\tDuration: 2.26 ms";
        assert!(plan.keeps("REPORT", stored, shown));
        assert!(plan.keeps("platform.report", stored, shown));
        assert!(!plan.keeps("Report", stored, "START RequestId: r1"));
        assert!(!plan.keeps("Duration", stored, "START RequestId: r1"));
        let by_cloudwatch = FilterPlan::for_group("x", LogFormat::Text);
        assert!(by_cloudwatch.keeps("x", "anything", "anything"));
    }

    #[test]
    fn the_note_says_who_matched() {
        let json = [("/g1".to_owned(), FilterPlan::Demo)];
        assert!(describe("REPORT", &json).contains("matched here"));
        let text = [(
            "/g1".to_owned(),
            FilterPlan::for_group("REPORT", LogFormat::Text),
        )];
        assert!(describe("REPORT", &text).contains("matched by CloudWatch"));
        let mixed = [text[0].clone(), ("/g2".to_owned(), FilterPlan::Demo)];
        let note = describe("REPORT", &mixed);
        assert!(note.contains("in /g1 (Text log format)"), "{note}");
    }
}
