//! `demo down` then `demo up` at once: the new stack instance names its queue, tables and log
//! groups afresh, so nothing AWS holds back after a delete (SQS keeps a deleted queue's name for
//! 60 s; a log group may be made again after its delete) stands in the way. moto enforces
//! neither rule, so the test checks what AWS's rules need: no name is taken again.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::cli::{json, ok_local, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{fake_artifacts, up_json};

/// The queue, tables and log groups the stack holds now.
async fn instance_names(stack: &str) -> BTreeSet<String> {
    let status: Value = json(&ok_local(stack, &["status", "--output", "json"]));
    let deployed = &status["deployed"];
    let mut names: BTreeSet<String> = deployed["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    names.insert(deployed["queue"].as_str().unwrap().to_owned());
    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(format!("/aws/lambda/{stack}-"))
        .send()
        .await
        .unwrap();
    names.extend(
        groups
            .log_groups()
            .iter()
            .filter_map(|g| g.log_group_name().map(str::to_owned)),
    );
    names
}

#[tokio::test]
async fn down_then_up_at_once_takes_no_name_of_the_last_instance() {
    let stack = unique_stack();
    let artifacts = fake_artifacts();
    let dir = artifacts.path().to_str().unwrap();
    up_json(&stack, &["--artifacts", dir]);
    let first = instance_names(&stack).await;
    assert_eq!(
        first.len(),
        2 + 1 + 3,
        "tables, queue, log groups: {first:?}"
    );

    ok_local(&stack, &["down", "--yes"]);
    let again = up_json(&stack, &["--artifacts", dir]);
    assert_eq!(again["outcome"], "created", "{again}");
    let second = instance_names(&stack).await;
    assert_eq!(second.len(), first.len(), "{second:?}");
    assert!(
        first.is_disjoint(&second),
        "a name of the last instance is taken again: {:?}",
        first.intersection(&second).collect::<Vec<_>>()
    );
    ok_local(&stack, &["down", "--yes"]);
}
