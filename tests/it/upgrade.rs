//! An update that deletes data asks first: a stack an earlier template version made, whose
//! tables this version replaces (new logical ids, keyed by orderid), is updated only once the
//! user agrees; without a terminal `up` needs `--yes` and changes nothing until given it.

use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{Capability, Parameter};

use crate::harness::cli::{json, ok_local, run_local, text, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{create_bucket, derived_bucket, fake_artifacts, stack_tables, up_json};

const TEMPLATE: &str = include_str!("../../templates/stack.yaml");
const EARLIER_PUT_RECORD: &str = "put-record/arm64/earlier.zip";
const EARLIER_PUT_ITEM: &str = "put-item/arm64/earlier.zip";

/// Creates the stack from `template` directly through CloudFormation, as an earlier `demo` would
/// have left it (its bucket tagged for it, holding some code), and waits for it. Not an update
/// of a stack `demo` made: moto then brings back the old tables' ids without their tables.
async fn create_directly(stack: &str, template: &str) {
    let config = sdk_config().await;
    let s3 = aws_sdk_s3::Client::new(&config);
    let bucket = derived_bucket(stack);
    create_bucket(&s3, &bucket, Some(stack)).await;
    for key in [EARLIER_PUT_RECORD, EARLIER_PUT_ITEM] {
        s3.put_object()
            .bucket(&bucket)
            .key(key)
            .body(b"earlier code".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let cfn = aws_sdk_cloudformation::Client::new(&config);
    let parameter = |key: &str, value: &str| {
        Parameter::builder()
            .parameter_key(key)
            .parameter_value(value)
            .build()
    };
    cfn.create_stack()
        .stack_name(stack)
        .template_body(template)
        .parameters(parameter("ArtifactBucket", &bucket))
        .parameters(parameter("PutRecordCodeKey", EARLIER_PUT_RECORD))
        .parameters(parameter("PutItemCodeKey", EARLIER_PUT_ITEM))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let described = cfn
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .unwrap();
        let status = described.stacks()[0].stack_status().unwrap().as_str();
        if status == "CREATE_COMPLETE" {
            return;
        }
        assert!(
            !status.ends_with("FAILED") && Instant::now() < deadline,
            "{status}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn deployed_template(stack: &str) -> String {
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config().await);
    cfn.get_template()
        .stack_name(stack)
        .send()
        .await
        .unwrap()
        .template_body
        .unwrap()
}

#[tokio::test]
async fn an_update_that_deletes_tables_needs_yes_and_changes_nothing_until_given() {
    let stack = unique_stack();
    let artifacts = fake_artifacts();
    let artifacts = artifacts.path().to_str().unwrap();
    let earlier = TEMPLATE.replace("OrderTable", "Table");
    create_directly(&stack, &earlier).await;
    let before = stack_tables(&stack).await;
    assert!(
        before.iter().all(|t| t.contains("-Table")) && before.len() == 2,
        "{before:?}"
    );

    let preview = ok_local(&stack, &["up", "--dry-run", "--artifacts", artifacts]);
    let said = text(&preview.stderr);
    assert!(
        said.contains(
            "would delete data: table Table1 is removed: its items are deleted (`demo up` asks first"
        ),
        "{said}"
    );

    let refused = run_local(&stack, &["up", "--artifacts", artifacts]);
    let said = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{said}");
    for part in [
        "refusing to update stack",
        "table Table1 is removed: its items are deleted",
        "table Table2 is removed: its items are deleted",
        "pass --yes",
    ] {
        assert!(said.contains(part), "{part:?} not in:\n{said}");
    }
    assert_eq!(stack_tables(&stack).await, before, "nothing changed");
    assert_eq!(deployed_template(&stack).await, earlier);

    let updated = up_json(&stack, &["--yes", "--artifacts", artifacts]);
    assert_eq!(updated["outcome"], "updated", "{updated}");
    let after = stack_tables(&stack).await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(
        after[0].starts_with(&format!("{stack}-OrderTable1-"))
            && after[1].starts_with(&format!("{stack}-OrderTable2-")),
        "{after:?}"
    );
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["deployed"]["tables"], serde_json::json!(after));
    ok_local(&stack, &["down", "--yes"]);
}
