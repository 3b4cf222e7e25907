//! `tune`'s drift, its two steps and what it records, over plain values and replayed Lambda
//! answers.

mod drift_tests {
    use std::collections::BTreeMap;

    use super::super::*;
    use crate::model::Consumer;
    use crate::model::batching::Batching;

    fn mapping(consumer: Consumer, batch: i32, window: i32) -> crate::deploy::mapping::Mapping {
        crate::deploy::mapping::Mapping {
            consumer,
            function: format!("demo-put-item-{consumer}"),
            uuid: "u".into(),
            batch_size: Some(batch),
            window_seconds: Some(window),
            parallelization: Some(1),
            state: "Enabled".into(),
            state_reason: None,
            last_result: None,
            last_modified: None,
            function_arn: format!(
                "arn:aws:lambda:ap-southeast-2:123456789012:function:demo-put-item-{consumer}"
            ),
            failure: Default::default(),
        }
    }

    fn parameters(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const STACK: [(&str, &str); 6] = [
        ("BatchSize1", "100"),
        ("Window1", "30"),
        ("Parallelization1", "1"),
        ("BatchSize2", "10"),
        ("Window2", "2"),
        ("Parallelization2", "1"),
    ];

    #[test]
    fn a_live_mapping_that_differs_from_the_stack_is_drift() {
        let parameters = parameters(&STACK);
        assert_eq!(
            drift(
                &parameters,
                &[
                    mapping(Consumer::One, 100, 30),
                    mapping(Consumer::Two, 10, 2)
                ]
            ),
            []
        );
        assert_eq!(
            drift(
                &parameters,
                &[
                    mapping(Consumer::One, 100, 30),
                    mapping(Consumer::Two, 40, 2)
                ]
            ),
            [Drift {
                consumer: Consumer::Two,
                live: Batching {
                    batch_size: 40,
                    window_seconds: 2,
                    parallelization: 1,
                },
                stack: Batching {
                    batch_size: 10,
                    window_seconds: 2,
                    parallelization: 1,
                },
            }]
        );
    }

    #[test]
    fn a_parallelization_changed_outside_demo_is_drift() {
        let mut lanes = mapping(Consumer::One, 100, 30);
        lanes.parallelization = Some(4);
        let drifted = drift(
            &parameters(&STACK),
            &[lanes.clone(), mapping(Consumer::Two, 10, 2)],
        );
        assert_eq!(drifted.len(), 1, "{drifted:?}");
        assert_eq!(drifted[0].consumer, Consumer::One);
        assert_eq!(
            (
                drifted[0].live.parallelization,
                drifted[0].stack.parallelization
            ),
            (4, 1)
        );
        // The stack recorded 4: no drift.
        let mut tuned = parameters(&STACK);
        tuned.insert("Parallelization1".into(), "4".into());
        assert_eq!(drift(&tuned, &[lanes]), []);
    }

    #[test]
    fn a_stack_without_the_parallelization_parameters_expects_1() {
        let old = parameters(&STACK[..2]);
        assert_eq!(drift(&old, &[mapping(Consumer::One, 100, 30)]), []);
        let mut lanes = mapping(Consumer::One, 100, 30);
        lanes.parallelization = Some(2);
        assert_eq!(drift(&old, &[lanes]).len(), 1);
    }
}

mod account_tests {
    use std::collections::BTreeMap;

    use aws_smithy_mocks::mock;

    use super::super::*;
    use crate::aws::replay;
    use crate::model::Consumer;
    use crate::model::batching::Batching;

    /// A Lambda client answering GetAccountSettings with `status` and `body`, as Lambda's
    /// REST-JSON protocol sends them (an HTTP-level replay the SDK parses as AWS's own).
    fn lambda_answering(status: u16, body: &'static str) -> aws_sdk_lambda::Client {
        let error_type = (status != 200).then_some("ResourceNotFoundException");
        let rule = mock!(aws_sdk_lambda::Client::get_account_settings)
            .then_http_response(move || replay::rest_json(status, error_type, body));
        replay::lambda("ap-southeast-2", &[&rule])
    }

    /// A new account: 10 concurrent executions, all unreserved.
    const NEW_ACCOUNT: &str = r#"{"AccountLimit":{"CodeSizeUnzipped":262144000,"CodeSizeZipped":52428800,"ConcurrentExecutions":10,"TotalCodeSize":80530636800,"UnreservedConcurrentExecutions":10},"AccountUsage":{"FunctionCount":3,"TotalCodeSize":7733248}}"#;

    fn stack(shards: u32) -> DeployedState {
        DeployedState {
            parameters: BTreeMap::from([
                ("ShardCount".to_owned(), shards.to_string()),
                ("Parallelization1".to_owned(), "1".to_owned()),
                ("Parallelization2".to_owned(), "1".to_owned()),
            ]),
            ..DeployedState::default()
        }
    }

    fn to(consumer: Consumer, parallelization: i32) -> MappingChange {
        let before = Batching {
            batch_size: 100,
            window_seconds: 30,
            parallelization: 1,
        };
        MappingChange {
            consumer,
            function: format!("demo-put-item-{consumer}"),
            before,
            after: Batching {
                parallelization,
                ..before
            },
        }
    }

    #[tokio::test]
    async fn a_parallelization_the_account_cannot_run_is_refused_before_any_change() {
        let lambda = lambda_answering(200, NEW_ACCOUNT);
        // One shard: consumer 1 at 8, consumer 2 at 1, put-record: 10 of 10.
        fits_the_account(&lambda, &stack(1), &[to(Consumer::One, 8)])
            .await
            .unwrap();
        // At 9 it needs 11; both consumers at 5 need 11 too.
        for changes in [
            vec![to(Consumer::One, 9)],
            vec![to(Consumer::One, 5), to(Consumer::Two, 5)],
        ] {
            let err = fits_the_account(&lambda, &stack(1), &changes)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains("--parallelization"), "{err}");
            assert!(
                err.contains("need 11") && err.contains("has 10 unreserved"),
                "{err}"
            );
        }
        // Two shards double the need: consumer 1 at 4 needs 2 × 5 + 1.
        let err = fits_the_account(&lambda, &stack(2), &[to(Consumer::One, 4)]).await;
        assert!(err.unwrap_err().to_string().contains("need 11"));
    }

    #[tokio::test]
    async fn an_endpoint_without_account_settings_checks_nothing() {
        // moto answers GetAccountSettings with a 404.
        let lambda = lambda_answering(404, r#"{"message":"not found"}"#);
        fits_the_account(
            &lambda,
            &stack(1),
            &[to(Consumer::One, 10), to(Consumer::Two, 10)],
        )
        .await
        .unwrap();
    }
}

mod mapping_tests {
    use std::time::Duration;

    use super::super::*;
    use crate::deploy::mapping::tests::{consumer_2, lambda_reporting};
    use crate::model::Consumer;
    use crate::model::batching::Batching;

    fn change(before: (i32, i32), after: (i32, i32)) -> MappingChange {
        let batching = |(batch_size, window_seconds)| Batching {
            batch_size,
            window_seconds,
            parallelization: 1,
        };
        MappingChange {
            consumer: Consumer::Two,
            function: "demo-put-item-2".into(),
            before: batching(before),
            after: batching(after),
        }
    }

    #[tokio::test]
    async fn a_mapping_lambda_disabled_fails_the_tune_at_once_and_gets_its_values_back() {
        let (clients, update) = lambda_reporting(
            (50, 5),
            "Disabled",
            "Lambda initiated",
            "PROBLEM: Function call failed",
        );
        let started = Instant::now();
        let err = go_live(
            &clients,
            &[consumer_2("Enabled")],
            &[change((10, 2), (50, 5))],
            started,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not after 5 minutes"
        );
        assert!(err.contains("no records flow to consumer 2"), "{err}");
        assert!(
            err.contains("the mapping of demo-put-item-2 is set back to"),
            "{err}"
        );
        assert_eq!(update.num_calls(), 2, "the tune, then the put-back");
    }

    #[tokio::test]
    async fn a_mapping_the_user_had_disabled_is_tuned_with_a_note() {
        let (clients, update) =
            lambda_reporting((50, 5), "Disabled", "User action", "No records processed");
        let notes = go_live(
            &clients,
            &[consumer_2("Disabled")],
            &[change((10, 2), (50, 5))],
            Instant::now(),
        )
        .await
        .unwrap();
        assert_eq!(update.num_calls(), 1);
        let [note] = notes.as_slice() else {
            panic!("one note: {notes:?}")
        };
        assert!(note.contains("Disabled by a user"), "{note}");
        let note = note.clone();
        let report = TuneReport {
            stack: "demo".into(),
            dry_run: false,
            changes: vec![change((10, 2), (50, 5))],
            effect_seconds: Some(0.3),
            stack_seconds: Some(1.0),
            notes,
        };
        let text = report.to_string();
        assert!(
            text.contains("new values reported after 0.3 s; see the notes below"),
            "{text}"
        );
        assert!(text.ends_with(&format!("{note}\n")), "{text}");
    }
}
