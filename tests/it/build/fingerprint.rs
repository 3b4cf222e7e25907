//! The build fingerprint through the real binary: a repeated `up` does not start cargo, and a
//! one-line edit to one function's source rebuilds it and uploads exactly that function.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{BUILDS, Edit};
use crate::harness::cli::{demo_local, ok_local, text};

/// `demo up --output json` on the emulator (building the functions): the report and stderr.
fn up(stack: &str) -> (Value, String) {
    let output = demo_local(stack)
        .args(["up", "--output", "json"])
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "demo up failed:\n{stderr}");
    (serde_json::from_slice(&output.stdout).unwrap(), stderr)
}

/// Each function's artifact key (its content hash) and whether this `up` uploaded it.
fn uploads(report: &Value) -> BTreeMap<String, (String, bool)> {
    report["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|upload| {
            (
                upload["function"].as_str().unwrap().to_owned(),
                (
                    upload["key"].as_str().unwrap().to_owned(),
                    upload["uploaded"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn an_unchanged_up_skips_cargo_and_a_one_line_edit_uploads_only_that_function() {
    let _build = BUILDS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let stack = crate::harness::cli::unique_stack();
    let (first, _) = up(&stack);
    let first = uploads(&first);
    assert_eq!(first.len(), 2, "{first:?}");

    let (again, log) = up(&stack);
    assert!(log.contains("cargo not run"), "{log}");
    assert!(!log.contains("Compiling"), "{log}");
    assert_eq!(again["outcome"], "up to date", "{again}");
    let again = uploads(&again);
    for (function, (key, uploaded)) in &again {
        assert_eq!(key, &first[function].0, "{function}");
        assert!(!uploaded, "{function} uploaded again");
    }

    let edited = {
        let _edit = Edit::replace(
            "functions/put-item/src/main.rs",
            "\"TABLE_NAME is not set\"",
            "\"TABLE_NAME is not set (an edit by the fingerprint test)\"",
        );
        up(&stack)
    };
    let (edited, log) = edited;
    assert!(log.contains("Compiling put-item"), "{log}");
    assert!(!log.contains("cargo not run"), "{log}");
    let edited = uploads(&edited);
    let (item_key, item_uploaded) = &edited["put-item"];
    assert_ne!(item_key, &first["put-item"].0, "put-item's zip changed");
    assert!(item_uploaded, "put-item uploaded");
    let (record_key, record_uploaded) = &edited["put-record"];
    assert_eq!(
        record_key, &first["put-record"].0,
        "put-record's zip did not"
    );
    assert!(!record_uploaded, "put-record not uploaded");

    ok_local(&stack, &["down", "--yes"]);
}
