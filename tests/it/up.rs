//! `demo up --dry-run --output json`: the plan as data (uploads, parameter changes,
//! CloudFormation's preview), read by a script, while nothing changes.

use serde_json::{Value, json as value};

use crate::harness::cli::{json, ok_local, run_local, text, unique_stack};
use crate::harness::sdk_config;
use crate::lifecycle::{deploy_fake, derived_bucket, fake_artifacts, mapping_batching, write_zip};

/// `demo up --dry-run --output json` with `extra` flags: the report, and what stderr said.
fn dry_run_json(stack: &str, extra: &[&str]) -> (Value, String) {
    let mut args = vec!["up", "--dry-run", "--output", "json"];
    args.extend_from_slice(extra);
    let output = ok_local(stack, &args);
    (json(&output), text(&output.stderr))
}

/// The artifact bucket's keys, or `None` when there is no such bucket.
async fn bucket_keys(bucket: &str) -> Option<Vec<String>> {
    let s3 = aws_sdk_s3::Client::new(&sdk_config().await);
    let listed = s3.list_objects_v2().bucket(bucket).send().await.ok()?;
    Some(
        listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect(),
    )
}

/// Neither the artifact bucket nor the stack exists.
async fn assert_nothing_made(stack: &str) {
    assert_eq!(
        bucket_keys(&derived_bucket(stack)).await,
        None,
        "no bucket made"
    );
    let status = run_local(stack, &["status"]);
    assert_eq!(status.status.code(), Some(2), "no stack made");
}

#[tokio::test]
async fn a_dry_run_plan_carries_the_parameter_change_and_changes_nothing() {
    let stack = unique_stack();
    let artifacts = deploy_fake(&stack);
    let dir = artifacts.path().to_str().unwrap();
    let keys_before = bucket_keys(&derived_bucket(&stack)).await;

    let (report, stderr) = dry_run_json(&stack, &["--batch-size-1", "50", "--artifacts", dir]);
    assert_eq!(report["outcome"], "dry run: nothing changed", "{report}");
    let plan = &report["plan"];
    assert_eq!(plan["stack"], "update", "{plan}");
    assert_eq!(
        plan["parameters"],
        value!([{"name": "BatchSize1", "before": "100", "after": "50"}]),
        "{plan}"
    );
    assert_eq!(plan["create_bucket"], false, "{plan}");
    let uploads = plan["uploads"].as_array().expect("uploads");
    assert_eq!(uploads.len(), 2, "{plan}");
    for upload in uploads {
        assert_eq!(upload["state"], "already_there", "{upload}");
    }
    let preview = &plan["preview"];
    assert!(
        ["changes", "no_changes"].contains(&preview["result"].as_str().unwrap_or_default()),
        "CloudFormation's preview of an update: {plan}"
    );
    for change in preview["changes"].as_array().into_iter().flatten() {
        assert!(change["logical_id"].is_string(), "{change}");
        assert!(change["resource_type"].is_string(), "{change}");
    }
    // The text a person reads is the same plan, on stderr as before.
    assert!(
        stderr.contains("parameter BatchSize1: 100 → 50"),
        "{stderr}"
    );

    assert_eq!(report["uploads"], value!([]), "nothing uploaded: {report}");
    assert_eq!(bucket_keys(&derived_bucket(&stack)).await, keys_before);
    let status = json(&ok_local(&stack, &["status", "--output", "json"]));
    assert_eq!(status["parameters"]["BatchSize1"], "100", "{status}");
    assert_eq!(status["status"], "CREATE_COMPLETE", "{status}");
    assert_eq!(mapping_batching(&stack, 1).await, (100, 30));
    ok_local(&stack, &["down", "--yes"]);
}

#[tokio::test]
async fn a_first_dry_run_plans_the_bucket_the_uploads_and_the_create() {
    let stack = unique_stack();
    let artifacts = fake_artifacts();
    let dir = artifacts.path().to_str().unwrap();

    let (report, _) = dry_run_json(&stack, &["--artifacts", dir]);
    let plan = &report["plan"];
    assert_eq!(plan["stack"], "create", "{plan}");
    assert_eq!(plan["bucket"], derived_bucket(&stack).as_str(), "{plan}");
    assert_eq!(plan["create_bucket"], true, "{plan}");
    assert_eq!(
        plan["preview"],
        Value::Null,
        "no preview of a create: {plan}"
    );
    let uploads = plan["uploads"].as_array().expect("uploads");
    let functions: Vec<&str> = uploads
        .iter()
        .filter_map(|u| u["function"].as_str())
        .collect();
    assert_eq!(functions, ["put-record", "put-item"], "{plan}");
    for upload in uploads {
        let function = upload["function"].as_str().unwrap();
        let zip = artifacts.path().join(function).join("bootstrap.zip");
        let size = std::fs::metadata(zip).unwrap().len();
        assert_eq!(upload["size"], size, "{upload}");
        assert_eq!(upload["state"], "absent", "{upload}");
        let key = upload["key"].as_str().unwrap();
        assert!(key.starts_with(&format!("{function}/arm64/")), "{upload}");
    }
    let parameters = plan["parameters"].as_array().expect("parameters");
    assert!(parameters.iter().all(|p| p["before"].is_null()), "{plan}");
    assert!(
        parameters.contains(&value!({"name": "BatchSize1", "before": null, "after": "100"})),
        "{plan}"
    );

    assert_nothing_made(&stack).await;
}

/// Zips whose bootstrap is the ELF header of an x86_64 executable: what `demo build --arch
/// x86_64` writes, as far as anything reads before deploying.
fn x86_64_artifacts() -> tempfile::TempDir {
    let mut elf = b"\x7fELF".to_vec();
    elf.resize(18, 0);
    elf.extend_from_slice(&0x3E_u16.to_le_bytes());
    elf.resize(64, 0);
    let dir = tempfile::tempdir().unwrap();
    for function in ["put-record", "put-item"] {
        std::fs::create_dir_all(dir.path().join(function)).unwrap();
        write_zip(&dir.path().join(function).join("bootstrap.zip"), &elf);
    }
    dir
}

/// AWS takes a function whose bootstrap is built for the other architecture and then fails
/// every invocation ("fork/exec /var/task/bootstrap: exec format error",
/// Runtime.InvalidEntrypoint); `up` refuses such zips before it makes anything.
#[tokio::test]
async fn prebuilt_zips_for_the_other_architecture_are_refused_before_anything_is_made() {
    let stack = unique_stack();
    let artifacts = x86_64_artifacts();
    let dir = artifacts.path().to_str().unwrap();

    let refused = run_local(&stack, &["up", "--arch", "arm64", "--artifacts", dir]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    let said = text(&refused.stderr);
    assert!(
        said.contains("put-record/bootstrap.zip is built for x86_64")
            && said.contains("deployed for arm64")
            && said.contains("exec format error")
            && said.contains("--arch x86_64"),
        "{said}"
    );
    assert_nothing_made(&stack).await;

    // Deployed as what they are built for, the same zips are taken.
    let (report, _) = dry_run_json(&stack, &["--arch", "x86_64", "--artifacts", dir]);
    let uploads = report["plan"]["uploads"].as_array().expect("uploads");
    assert!(
        uploads
            .iter()
            .all(|u| u["key"].as_str().unwrap().contains("/x86_64/")),
        "{report}"
    );
}
