//! CloudFormation stack events: live progress lines, the root cause of a failed operation, and
//! what to do about a stack status that needs a person (the statuses themselves: `model`).
//!
//! Pure code over plain types: the caller converts the SDK's `StackEvent` into [`StackEvent`].

use std::collections::HashSet;

use crate::model::{ResourceStatus, StackState, StackStatus, StuckIn};

/// The resource type of the stack's own events (as opposed to its resources').
const STACK_TYPE: &str = "AWS::CloudFormation::Stack";

/// One entry of DescribeStackEvents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StackEvent {
    pub(crate) event_id: String,
    /// Milliseconds since the Unix epoch (`aws_smithy_types::DateTime::to_millis`).
    pub(crate) timestamp_ms: i64,
    pub(crate) logical_id: String,
    pub(crate) resource_type: String,
    pub(crate) status: ResourceStatus,
    pub(crate) reason: Option<String>,
}

impl StackEvent {
    /// Whether the event is about the stack itself, so its status is the stack's status.
    pub(crate) fn is_stack(&self) -> bool {
        self.resource_type == STACK_TYPE
    }
}

const STATUS_WIDTH: usize = 28;
const LOGICAL_WIDTH: usize = 24;
const TYPE_WIDTH: usize = 31;

/// One progress line: UTC time, status, logical id, type, and the reason if there is one.
pub(crate) fn render(event: &StackEvent) -> String {
    let mut line = format!(
        "{}  {:<STATUS_WIDTH$}  {:<LOGICAL_WIDTH$}  {:<TYPE_WIDTH$}",
        clock(event.timestamp_ms),
        event.status,
        event.logical_id,
        event.resource_type,
    );
    if let Some(reason) = event.reason.as_deref().filter(|reason| !reason.is_empty()) {
        line.push_str("  ");
        // Reasons occasionally carry newlines (nested service messages); keep one line.
        line.push_str(&reason.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    line.truncate(line.trim_end().len());
    line
}

/// `HH:MM:SSZ` of a Unix time in milliseconds.
fn clock(timestamp_ms: i64) -> String {
    let second_of_day = timestamp_ms.div_euclid(1000).rem_euclid(86_400);
    let (hours, minutes, seconds) = (
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
    );
    format!("{hours:02}:{minutes:02}:{seconds:02}Z")
}

/// The events of `page` not yet in `seen` and not older than `since_ms`, oldest first.
///
/// DescribeStackEvents answers newest first; the caller reads the first page at each poll, so
/// polls must come often enough for a page to cover the events between them. Pass as `since_ms` the operation's
/// start minus a few seconds for clock skew between this machine and AWS: `seen` keeps the
/// margin from printing anything twice, and the margin at worst shows one event of the
/// previous operation.
pub(crate) fn new_events(
    seen: &mut HashSet<String>,
    page: Vec<StackEvent>,
    since_ms: i64,
) -> Vec<StackEvent> {
    let mut fresh: Vec<StackEvent> = page
        .into_iter()
        .filter(|event| event.timestamp_ms >= since_ms)
        .filter(|event| seen.insert(event.event_id.clone()))
        .collect();
    // Reverse first so that events with equal timestamps keep their order after the
    // (stable) sort.
    fresh.reverse();
    fresh.sort_by_key(|event| event.timestamp_ms);
    fresh
}

/// What to do next, for the states that need the user (or `up`) to act.
pub(crate) fn guidance(state: StackState, stack: &str, region: &str) -> Option<String> {
    match state {
        StackState::RolledBack => Some(format!(
            "the change was rolled back and stack {stack} is as it was: fix the cause above \
             and rerun `demo up`"
        )),
        StackState::NeedsRecreate => Some(format!(
            "stack {stack} failed to create and must be deleted before it can be created \
             again: `demo up` does both, `demo down` only deletes it"
        )),
        StackState::Stuck => Some(format!(
            "the rollback of stack {stack} failed: run `aws cloudformation \
             continue-update-rollback --stack-name {stack} --region {region}` (add \
             `--resources-to-skip LOGICAL_ID` for a resource that cannot roll back), wait \
             for UPDATE_ROLLBACK_COMPLETE, then rerun `demo up`"
        )),
        StackState::Failed => Some(format!(
            "stack {stack} is in a failed state: fix the cause above and rerun the command"
        )),
        StackState::Unknown => Some(format!(
            "stack {stack} is in a state this tool does not know: check it with `aws \
             cloudformation describe-stacks --stack-name {stack} --region {region}`"
        )),
        _ => None,
    }
}

/// What keeps a stuck stack stuck: in its latest operation, the newest resource failure that is
/// not merely a consequence of another (the delete or rollback step that failed, not the
/// create or update failure that started the rollback). Events may be in any order.
pub(crate) fn blocking_failure(events: &[StackEvent]) -> Option<&StackEvent> {
    let start = events
        .iter()
        .filter(|e| e.is_stack() && e.status.opens_operation())
        .map(|e| e.timestamp_ms)
        .max()
        .unwrap_or(i64::MIN);
    events
        .iter()
        .filter(|e| !e.is_stack() && e.timestamp_ms >= start && e.status.is_failed())
        .filter(|e| !is_cascade(e.reason.as_deref().unwrap_or_default()))
        .max_by_key(|e| e.timestamp_ms)
}

/// The way out of a stuck status, naming the resource (`logical_id`) when known.
pub(crate) fn stuck_guidance(
    status: &StackStatus,
    stack: &str,
    region: &str,
    logical_id: Option<&str>,
) -> Option<String> {
    let resource = logical_id.unwrap_or("LOGICAL_ID");
    let retain = format!(
        "`aws cloudformation delete-stack --stack-name {stack} --region {region} \
         --retain-resources {resource}` (the console's \"retain\"), then remove it by hand"
    );
    match status.stuck()? {
        StuckIn::Delete => Some(format!(
            "remove what keeps {resource} from being deleted (see the reason) and run `demo down` \
             again; or delete the stack but keep {resource}: {retain}"
        )),
        StuckIn::CreateRollback => Some(format!(
            "the create failed and its rollback could not delete {resource}: fix what the reason \
             says and run `demo down` (it deletes the stack again), or keep {resource}: {retain}; \
             then `demo up`"
        )),
        StuckIn::UpdateRollback => Some(format!(
            "the rollback could not restore {resource}: fix what the reason says and run `aws \
             cloudformation continue-update-rollback --stack-name {stack} --region {region}` (add \
             `--resources-to-skip {resource}` if it cannot be restored), wait for \
             UPDATE_ROLLBACK_COMPLETE, then rerun `demo up`"
        )),
    }
}

/// Reasons CloudFormation gives to resources it stopped because another one failed.
const CASCADE_REASONS: [&str; 5] = [
    "Resource creation cancelled",
    "Resource update cancelled",
    "Resource deletion cancelled",
    "The following resource(s) failed to ",
    "Rollback requested by user",
];

fn is_cascade(reason: &str) -> bool {
    CASCADE_REASONS
        .iter()
        .any(|cascade| reason.starts_with(cascade))
}

/// The root cause of a failed operation: the oldest `*_FAILED` event whose reason is not
/// merely a consequence of another failure. Events may be in any order.
pub(crate) fn first_failure(events: &[StackEvent]) -> Option<&StackEvent> {
    events
        .iter()
        .filter(|event| event.status.is_failed())
        .filter(|event| !is_cascade(event.reason.as_deref().unwrap_or_default()))
        .min_by_key(|event| event.timestamp_ms)
}

/// The failing resource, its status and reason, then a hint for reasons known to be opaque.
pub(crate) fn explain_failure(event: &StackEvent) -> String {
    let reason = event.reason.as_deref().unwrap_or("no reason given");
    let mut text = format!(
        "{} ({}) {}: {reason}",
        event.logical_id, event.resource_type, event.status
    );
    if let Some(hint) = hint(reason) {
        text.push_str("\n  hint: ");
        text.push_str(&hint);
    }
    text
}

/// What a failure reason usually means here, when the reason alone does not say.
fn hint(reason: &str) -> Option<String> {
    let lower = reason.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    package_hint(&has)
        .or_else(|| propagation_hint(&has))
        .or_else(|| account_hint(reason, &has))
}

/// The functions' code and layer: a wrong layer ARN, a missing or oversized package.
fn package_hint(has: &dyn Fn(&str) -> bool) -> Option<String> {
    // Before the generic permission case: a layer that does not exist (or is not published in
    // this region) shows up as either a missing version or a denied GetLayerVersion.
    if has("lambdainsightsextension")
        || (has("layer") && (has("invalidparametervalue") || has("does not exist")))
    {
        return Some(
            "the Lambda Insights layer ARN is wrong for this region or architecture: pass \
             `--insights-layer-arn ARN` with the ARN from the CloudWatch page \"Available \
             versions of the Lambda Insights extension\", or `--no-insights`"
                .into(),
        );
    }
    if has("s3 key does not exist") || has("error occurred while getobject") || has("nosuchkey") {
        return Some(
            "the function's code is missing from the artifact bucket: rerun `demo up`, which \
             uploads it again"
                .into(),
        );
    }
    if has("unzipped size must be smaller than") {
        return Some(
            "the function package is over Lambda's 250 MB unzipped limit: check that \
             `demo build` produced a stripped release binary"
                .into(),
        );
    }
    None
}

/// Names and permissions AWS has not caught up with yet: wait, then rerun.
fn propagation_hint(has: &dyn Fn(&str) -> bool) -> Option<String> {
    // SQS keeps a deleted queue's name for 60 s (AWS.SimpleQueueService.QueueDeletedRecently).
    // This template lets CloudFormation name the queue; a stack of an earlier version, or one
    // deployed from another template, can still meet it.
    if has("queuedeletedrecently") || has("wait 60 seconds after deleting a queue") {
        return Some(
            "SQS refuses a queue named as one deleted in the last 60 seconds: wait a minute, then rerun `demo up` (it deletes the failed stack and creates it again)"
                .into(),
        );
    }
    // Lambda checks the role when it creates a mapping; the template grants these actions, so
    // what fails is IAM not having propagated the role's new statements yet.
    if has("please ensure the role can perform") {
        return Some(
            "Lambda could not yet see the role's stream permissions (IAM propagates new statements in seconds): rerun `demo up`"
                .into(),
        );
    }
    if has("cannot be assumed by lambda") {
        return Some("IAM had not yet propagated the new role to Lambda: rerun `demo up`".into());
    }
    None
}

/// What the account allows: names taken, permissions, quotas, throttling.
fn account_hint(reason: &str, has: &dyn Fn(&str) -> bool) -> Option<String> {
    if has("already exists") {
        return Some(
            "a resource with that name already exists outside this stack: delete it, or deploy \
             under another `--stack-name`"
                .into(),
        );
    }
    if has("not authorized to perform") || has("accessdenied") || has("access denied") {
        return Some(match denied_action(reason) {
            Some(action) => format!(
                "the credentials lack the permission `{action}`: grant it to the caller's \
                 role or user, or deploy with credentials that have it"
            ),
            None => "the credentials lack a permission this resource needs (see the reason): \
                     grant it, or deploy with credentials that have it"
                .into(),
        });
    }
    if has("limit exceeded") || has("limitexceeded") || has("quota") {
        return Some(
            "an account quota is reached: delete unused resources of this type, or request an \
             increase in the Service Quotas console"
                .into(),
        );
    }
    if has("rate exceeded") || has("throttl") {
        return Some("AWS throttled the request: wait a minute and rerun the command".into());
    }
    None
}

/// `iam:CreateRole` from "... is not authorized to perform: iam:CreateRole on resource ...".
fn denied_action(reason: &str) -> Option<&str> {
    let (_, rest) = reason.split_once("not authorized to perform: ")?;
    let action = rest.split_whitespace().next()?;
    let action = action.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '*');
    action.contains(':').then_some(action)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The events of a recorded DescribeStackEvents response, in its order (newest first).
    fn fixture(json: &str) -> Vec<StackEvent> {
        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let text = |event: &serde_json::Value, key: &str| event[key].as_str().map(str::to_owned);
        value["StackEvents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|event| StackEvent {
                event_id: text(event, "EventId").unwrap(),
                timestamp_ms: millis(event["Timestamp"].as_str().unwrap()),
                logical_id: text(event, "LogicalResourceId").unwrap(),
                resource_type: text(event, "ResourceType").unwrap(),
                status: text(event, "ResourceStatus").unwrap().as_str().into(),
                reason: text(event, "ResourceStatusReason"),
            })
            .collect()
    }

    /// Milliseconds of `2025-03-01T10:00:03.120Z` (the only timestamp form AWS returns).
    fn millis(iso: &str) -> i64 {
        let num = |range: std::ops::Range<usize>| iso[range].parse::<i64>().unwrap();
        let (year, month, day) = (num(0..4), num(5..7), num(8..10));
        // Days from civil (Howard Hinnant's algorithm).
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
        let seconds = days * 86_400 + num(11..13) * 3600 + num(14..16) * 60 + num(17..19);
        seconds * 1000 + num(20..23)
    }

    const CREATE_OK: &str = include_str!("fixtures/create_ok.json");
    const CREATE_ROLLBACK: &str = include_str!("fixtures/create_rollback.json");
    const UPDATE_ROLLBACK: &str = include_str!("fixtures/update_rollback.json");
    const DELETE: &str = include_str!("fixtures/delete.json");
    const DELETE_FAILED: &str = include_str!("fixtures/delete_failed.json");
    const ROLLBACK_FAILED: &str = include_str!("fixtures/rollback_failed.json");

    /// Everything of a recorded operation, as the progress display would print it.
    fn replay(json: &str, since: &str) -> (Vec<StackEvent>, String) {
        let mut seen = HashSet::new();
        let events = new_events(&mut seen, fixture(json), millis(since));
        let text = events.iter().map(render).collect::<Vec<_>>().join("\n");
        (events, text)
    }

    fn final_state(events: &[StackEvent]) -> StackState {
        let last = events.iter().rev().find(|event| event.is_stack()).unwrap();
        classify(last.status.as_str())
    }

    /// What a stack-level status means, as `stack::wait` judges it.
    fn classify(status: &str) -> StackState {
        StackStatus::from(status).state()
    }

    #[test]
    fn timestamps_parse_to_unix_millis() {
        assert_eq!(millis("1970-01-01T00:00:00.000Z"), 0);
        assert_eq!(millis("2025-03-01T10:00:03.120Z"), 1_740_823_203_120);
        assert_eq!(clock(1_740_823_203_120), "10:00:03Z");
    }

    #[test]
    fn a_successful_create_renders_in_order_and_succeeds() {
        let (events, text) = replay(CREATE_OK, "2025-03-01T10:00:00.000Z");
        let expected = "\
10:00:00Z  CREATE_IN_PROGRESS            demo                      AWS::CloudFormation::Stack       User Initiated
10:00:03Z  CREATE_IN_PROGRESS            OrdersStream              AWS::Kinesis::Stream
10:00:03Z  CREATE_IN_PROGRESS            PutRecordRole             AWS::IAM::Role
10:00:04Z  CREATE_IN_PROGRESS            OrdersStream              AWS::Kinesis::Stream             Resource creation Initiated
10:00:04Z  CREATE_IN_PROGRESS            PutRecordRole             AWS::IAM::Role                   Resource creation Initiated
10:00:20Z  CREATE_COMPLETE               PutRecordRole             AWS::IAM::Role
10:00:24Z  CREATE_COMPLETE               OrdersStream              AWS::Kinesis::Stream
10:00:26Z  CREATE_IN_PROGRESS            PutRecordFunction         AWS::Lambda::Function
10:00:26Z  CREATE_IN_PROGRESS            PutRecordFunction         AWS::Lambda::Function            Resource creation Initiated
10:00:33Z  CREATE_COMPLETE               PutRecordFunction         AWS::Lambda::Function
10:00:35Z  CREATE_COMPLETE               demo                      AWS::CloudFormation::Stack";
        assert_eq!(text, expected);
        assert_eq!(final_state(&events), StackState::Succeeded);
        assert_eq!(first_failure(&events), None);
    }

    #[test]
    fn a_failed_create_points_at_the_existing_table_not_the_cancellations() {
        let (events, text) = replay(CREATE_ROLLBACK, "2025-03-01T11:00:00.000Z");
        assert_eq!(events.len(), 10);
        assert!(text.ends_with("11:00:08Z  ROLLBACK_COMPLETE             demo                      AWS::CloudFormation::Stack"), "{text}");
        assert_eq!(final_state(&events), StackState::NeedsRecreate);

        let cause = first_failure(&events).unwrap();
        assert_eq!(
            (cause.logical_id.as_str(), cause.status.as_str()),
            ("OrdersTable1", "CREATE_FAILED")
        );
        let explained = explain_failure(cause);
        assert!(explained.starts_with("OrdersTable1 (AWS::DynamoDB::Table) CREATE_FAILED: Resource handler returned message: \"Resource of type 'AWS::DynamoDB::Table' with identifier 'demo-orders-1' already exists."), "{explained}");
        assert!(
            explained.contains("hint: a resource with that name already exists outside this stack"),
            "{explained}"
        );
        // Newest-first input gives the same root cause.
        assert_eq!(first_failure(&fixture(CREATE_ROLLBACK)), Some(cause));
    }

    #[test]
    fn a_failed_update_is_a_rollback_with_the_layer_as_root_cause() {
        let (events, text) = replay(UPDATE_ROLLBACK, "2025-03-01T12:00:00.000Z");
        // The CREATE_COMPLETE of the previous operation is older than the start: left out.
        assert_eq!(events.len(), 12);
        assert!(text.starts_with("12:00:00Z  UPDATE_IN_PROGRESS"), "{text}");
        assert!(
            text.contains("\n12:00:13Z  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS  demo"),
            "{text}"
        );
        assert_eq!(final_state(&events), StackState::RolledBack);

        let cause = first_failure(&events).unwrap();
        assert_eq!(cause.logical_id, "PutItemFunction1");
        let explained = explain_failure(cause);
        assert!(
            explained.contains("LambdaInsightsExtension:99 does not exist"),
            "{explained}"
        );
        assert!(
            explained.contains("--insights-layer-arn ARN"),
            "{explained}"
        );
        assert!(explained.contains("--no-insights"), "{explained}");
    }

    #[test]
    fn a_delete_ends_deleted_without_failure() {
        let (events, text) = replay(DELETE, "2025-03-01T13:00:00.000Z");
        assert_eq!(text.lines().count(), 8);
        assert!(text.contains("13:00:09Z  DELETE_COMPLETE               OrdersStream              AWS::Kinesis::Stream"), "{text}");
        assert_eq!(final_state(&events), StackState::Deleted);
        assert_eq!(first_failure(&events), None);
    }

    #[test]
    fn a_failed_delete_is_blamed_on_the_resource_it_could_not_delete() {
        let events = fixture(DELETE_FAILED);
        assert!(StackStatus::from(&events[0].status).is_stuck());
        let culprit = blocking_failure(&events).unwrap();
        // Not the update failure of the operation before.
        assert_eq!(
            (culprit.logical_id.as_str(), culprit.status.as_str()),
            ("PutRecordRole", "DELETE_FAILED")
        );
        assert!(explain_failure(culprit).contains("must detach all policies first"));
        let fix = stuck_guidance(
            &"DELETE_FAILED".into(),
            "demo",
            "ap-southeast-2",
            Some("PutRecordRole"),
        )
        .unwrap();
        assert!(fix.contains("run `demo down` again"), "{fix}");
        assert!(
            fix.contains("--retain-resources PutRecordRole` (the console's \"retain\")"),
            "{fix}"
        );
    }

    #[test]
    fn a_failed_rollback_is_blamed_on_the_rollback_step_not_the_create() {
        let events = fixture(ROLLBACK_FAILED);
        assert_eq!(classify(events[0].status.as_str()), StackState::Failed);
        let culprit = blocking_failure(&events).unwrap();
        assert_eq!(
            (culprit.logical_id.as_str(), culprit.status.as_str()),
            ("OrdersStream", "DELETE_FAILED")
        );
        assert!(explain_failure(culprit).contains("permission `kinesis:DeleteStream`"));
        // The create's own root cause is still what first_failure reports.
        assert_eq!(first_failure(&events).unwrap().logical_id, "OrdersTable1");
        let fix = stuck_guidance(
            &"ROLLBACK_FAILED".into(),
            "demo",
            "ap-southeast-2",
            Some("OrdersStream"),
        )
        .unwrap();
        assert!(
            fix.contains("run `demo down`") && fix.contains("then `demo up`"),
            "{fix}"
        );
        let stuck_update = stuck_guidance(
            &"UPDATE_ROLLBACK_FAILED".into(),
            "demo",
            "ap-southeast-2",
            None,
        )
        .unwrap();
        assert!(
            stuck_update.contains("--resources-to-skip LOGICAL_ID"),
            "{stuck_update}"
        );
        assert_eq!(
            stuck_guidance(&"UPDATE_ROLLBACK_COMPLETE".into(), "d", "r", None),
            None
        );
    }

    #[test]
    fn pages_seen_again_print_nothing_new() {
        let mut seen = HashSet::new();
        let since = millis("2025-03-01T12:00:00.000Z");
        let page = fixture(UPDATE_ROLLBACK);
        let (_, older) = page.split_at(5);
        // A first poll saw only the older half; the next poll sees everything again.
        let first = new_events(&mut seen, older.to_vec(), since);
        assert_eq!(first.first().unwrap().status.as_str(), "UPDATE_IN_PROGRESS");
        let second = new_events(&mut seen, page.clone(), since);
        assert_eq!(second.len(), 5);
        assert_eq!(
            second.last().unwrap().status.as_str(),
            "UPDATE_ROLLBACK_COMPLETE"
        );
        assert!(new_events(&mut seen, page, since).is_empty());
    }

    #[test]
    fn reasons_render_on_one_line() {
        let mut event = fixture(CREATE_OK).remove(0);
        event.reason = Some("first line\n  second line".into());
        assert!(render(&event).ends_with("first line second line"));
    }

    #[test]
    fn a_stuck_stack_gets_the_exact_continue_rollback_command() {
        let text = guidance(StackState::Stuck, "demo", "ap-southeast-2").unwrap();
        assert!(text.contains("`aws cloudformation continue-update-rollback --stack-name demo --region ap-southeast-2`"), "{text}");
        assert!(guidance(StackState::Succeeded, "demo", "ap-southeast-2").is_none());
    }

    #[test]
    fn opaque_reasons_get_hints() {
        let cases = [
            (
                "API: iam:CreateRole User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/demo-put-record because no identity-based policy allows the iam:CreateRole action",
                "permission `iam:CreateRole`",
            ),
            (
                "Resource handler returned message: \"Access Denied (Service: S3, Status Code: 403)\"",
                "lack a permission",
            ),
            (
                "Resource handler returned message: \"Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.\"",
                "rerun `demo up`",
            ),
            (
                "Resource handler returned message: \"Unzipped size must be smaller than 262144000 bytes\"",
                "250 MB",
            ),
            ("Resource limit exceeded", "quota"),
            (
                "Resource handler returned message: \"The role defined for the function cannot be assumed by Lambda.\"",
                "propagated",
            ),
            (
                "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: lambda:GetLayerVersion on resource: arn:aws:lambda:us-west-1:580247275435:layer:LambdaInsightsExtension-Arm64:5",
                "--insights-layer-arn",
            ),
            ("Rate exceeded", "throttled"),
            // What CloudFormation relays from SQS (AWS's wording; the code is
            // AWS.SimpleQueueService.QueueDeletedRecently).
            (
                "Resource handler returned message: \"You must wait 60 seconds after deleting a queue before you can create another with the same name. (Service: Sqs, Status Code: 400, Request ID: 9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e)\" (RequestToken: 0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f, HandlerErrorCode: GeneralServiceException)",
                "wait a minute",
            ),
            // Lambda's answer to CreateEventSourceMapping before IAM propagated the role
            // (aws-samples/cross-account-amazon-dynamodb-replication#11, amplify-cli#12965).
            (
                "Resource handler returned message: \"Invalid request provided: Cannot access stream arn:aws:kinesis:eu-west-1:123456789012:stream/demo-orders. Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, ListShards, and ListStreams Actions on your stream in IAM. (Service: Lambda, Status Code: 400, Request ID: 1a2b3c4d)\" (RequestToken: 5e6f, HandlerErrorCode: InvalidRequest)",
                "IAM propagates",
            ),
        ];
        for (reason, expected) in cases {
            let hint = hint(reason).unwrap_or_else(|| panic!("no hint for {reason}"));
            assert!(hint.contains(expected), "{reason} => {hint}");
        }
        assert_eq!(
            hint("Properties validation failed for resource OrdersStream"),
            None
        );
    }
}
