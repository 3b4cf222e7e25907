//! Whether a resource named for the stack is provably the stack's own, decided before anything
//! outside CloudFormation deletes it. A name is never proof: names are predictable, REST API
//! names are not even unique, and the account may hold other work.
//!
//! What counts as proof, by kind:
//! - a tag naming one of this stack's ids: CloudFormation's own `aws:cloudformation:stack-id`
//!   (AWS puts it on most resource types; nobody else can set an `aws:` tag), or the template's
//!   `demo:stack-id` (`!Ref AWS::StackId`, an id with a random part, unknown before the stack
//!   exists). The emulator keeps the template's tags on streams, tables, log groups and roles,
//!   and drops them on REST APIs and functions. A tag naming another id disproves ownership.
//! - a REST API without tags: its id (random, never reused) listed by the stack itself just
//!   before this run deleted it. That is how the emulator's REST API, which outlives its stack,
//!   is recognised.
//! - a dashboard cannot carry tags at all: its name, listed by the stack just before this run
//!   deleted it (PutDashboard overwrites, so there is only ever one dashboard of a name).
//! - a log group Lambda created by itself (a function writing after its declared group was
//!   deleted) has no tags, and its name is all it has: Lambda writes `/aws/lambda/<name>` for any
//!   function of that name, ours or a later one. There is no proof to be had, so it is left
//!   alone and named, with the command to remove it.

use std::collections::{BTreeMap, BTreeSet};

use super::Leftover;
use crate::model::ResourceStatus;

/// CloudFormation's own tag on the resources it creates (AWS only).
pub(crate) const CFN_STACK_ID_TAG: &str = "aws:cloudformation:stack-id";
/// The tag the template puts on every resource type that takes tags.
pub(crate) const STACK_ID_TAG: &str = "demo:stack-id";

/// What proves a resource is this stack's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Owner {
    /// Every id the stack's name has had in this account and region, live or deleted.
    pub(crate) stack_ids: BTreeSet<String>,
    /// Physical ids the live stack listed as created by it, read before this run deleted it.
    pub(crate) recorded: BTreeSet<String>,
}

/// A resource named for the stack, with what it says about its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) leftover: Leftover,
    /// Its tags; None for a kind that cannot carry any (a dashboard).
    pub(crate) tags: Option<BTreeMap<String, String>>,
}

/// The verdict on one found resource, with the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Ours(String),
    NotOurs(String),
}

/// Decides whether `found` is provably this stack's.
pub(crate) fn judge(found: &Found, owner: &Owner) -> Verdict {
    if let Some(tags) = &found.tags {
        for key in [CFN_STACK_ID_TAG, STACK_ID_TAG] {
            if let Some(id) = tags.get(key) {
                return if owner.stack_ids.contains(id) {
                    Verdict::Ours(format!("tagged {key} with this stack's id"))
                } else {
                    Verdict::NotOurs(format!(
                        "tagged {key}={id}, another stack's: not ours: left alone"
                    ))
                };
            }
        }
    }
    if found.leftover.proven_by_record() && owner.recorded.contains(found.leftover.id()) {
        return Verdict::Ours("listed by the stack as its own before the delete".into());
    }
    let why = match &found.leftover {
        Leftover::LogGroup(name) => format!(
            "no tag of this stack (Lambda may have made it by itself; \
             `aws logs delete-log-group --log-group-name {name}` removes it if it is yours)"
        ),
        Leftover::Dashboard(_) => "cannot carry tags and the stack did not list it".into(),
        _ => "no tag of this stack".into(),
    };
    Verdict::NotOurs(format!("{why}: not ours: left alone"))
}

/// Physical ids worth recording from the stack's resource list: those CloudFormation made. A
/// failed create names what it tried to make, which may be someone else's resource of that name.
pub(crate) fn recordable(status: &ResourceStatus, physical_id: Option<&str>) -> Option<String> {
    let id = physical_id.filter(|id| !id.is_empty())?;
    (!status.is_create_failed()).then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/demo/1111";
    const OLD: &str = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/demo/0000";
    const OTHER: &str = "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/other/2222";

    fn owner(recorded: &[&str]) -> Owner {
        Owner {
            stack_ids: [OURS, OLD].into_iter().map(str::to_owned).collect(),
            recorded: recorded.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn found(leftover: Leftover, tags: &[(&str, &str)]) -> Found {
        Found {
            leftover,
            tags: Some(
                tags.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ),
        }
    }

    fn is_ours(verdict: &Verdict) -> bool {
        matches!(verdict, Verdict::Ours(_))
    }

    #[test]
    fn a_tag_with_any_id_of_this_stacks_name_proves_it() {
        let table = Leftover::Table("demo-table-1".into());
        for tags in [
            [(STACK_ID_TAG, OURS)],
            [(CFN_STACK_ID_TAG, OURS)],
            [(STACK_ID_TAG, OLD)],
        ] {
            assert!(is_ours(&judge(&found(table.clone(), &tags), &owner(&[]))));
        }
    }

    #[test]
    fn a_name_alone_or_another_stacks_tag_is_not_proof() {
        let owner = owner(&["demo-table-1", "demo-orders"]);
        let untagged = judge(&found(Leftover::Table("demo-table-1".into()), &[]), &owner);
        assert_eq!(
            untagged,
            Verdict::NotOurs("no tag of this stack: not ours: left alone".into())
        );
        let other = judge(
            &found(
                Leftover::Stream("demo-orders".into()),
                &[(STACK_ID_TAG, OTHER)],
            ),
            &owner,
        );
        assert!(
            matches!(&other, Verdict::NotOurs(why) if why.contains(OTHER)),
            "{other:?}"
        );
        // CloudFormation's own tag outranks the template's, which anyone could copy.
        let forged = found(
            Leftover::Table("demo-table-1".into()),
            &[(CFN_STACK_ID_TAG, OTHER), (STACK_ID_TAG, OURS)],
        );
        assert!(!is_ours(&judge(&forged, &owner)));
    }

    #[test]
    fn an_untagged_rest_api_is_ours_only_if_the_stack_listed_its_id() {
        let api = |id: &str| found(Leftover::RestApi(id.into()), &[]);
        assert!(is_ours(&judge(&api("abc123"), &owner(&["abc123"]))));
        assert!(!is_ours(&judge(&api("zzz999"), &owner(&["abc123"]))));
        let tagged_elsewhere = found(
            Leftover::RestApi("abc123".into()),
            &[(CFN_STACK_ID_TAG, OTHER)],
        );
        assert!(!is_ours(&judge(&tagged_elsewhere, &owner(&["abc123"]))));
    }

    #[test]
    fn a_record_proves_only_kinds_that_cannot_carry_our_tag() {
        let dashboard = Found {
            leftover: Leftover::Dashboard("demo-batching".into()),
            tags: None,
        };
        assert!(is_ours(&judge(&dashboard, &owner(&["demo-batching"]))));
        assert!(!is_ours(&judge(&dashboard, &owner(&[]))));
        // A table of the recorded name but without the tag may be someone's new table.
        let table = found(Leftover::Table("demo-table-1".into()), &[]);
        assert!(!is_ours(&judge(&table, &owner(&["demo-table-1"]))));
        let group = found(
            Leftover::LogGroup("/aws/lambda/demo-put-item-1".into()),
            &[],
        );
        let Verdict::NotOurs(why) = judge(&group, &owner(&[])) else {
            panic!("an untagged log group is not provably ours")
        };
        assert!(why.contains("aws logs delete-log-group"), "{why}");
    }

    #[test]
    fn only_what_cloudformation_made_is_recorded() {
        assert_eq!(
            recordable(&"CREATE_COMPLETE".into(), Some("abc")),
            Some("abc".into())
        );
        assert_eq!(
            recordable(&"DELETE_COMPLETE".into(), Some("abc")),
            Some("abc".into())
        );
        assert_eq!(
            recordable(&"CREATE_FAILED".into(), Some("demo-table-1")),
            None
        );
        assert_eq!(recordable(&"CREATE_COMPLETE".into(), Some("")), None);
        assert_eq!(recordable(&"CREATE_COMPLETE".into(), None), None);
    }
}
