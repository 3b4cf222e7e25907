//! Which architecture to build for and which Insights layer to attach, decided before anything
//! is built: arm64 where an arm64 layer is verified (or a disputed candidate is answered for by
//! Lambda), else x86_64, whose layer is known for every region, said in one line. An explicit
//! `--arch arm64` never falls back: it stops with the three ways out.

use super::{InsightsError, LayerCheck, arm64_candidates, check, layer_arn};
use crate::artifacts::Arch;

/// Whether and which Lambda Insights layer to attach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum InsightsChoice {
    /// The published layer for the region and architecture (none against an emulator).
    #[default]
    Auto,
    Off,
    Arn(String),
}

/// What to build and attach, and what the user should be told about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) arch: Arch,
    pub(crate) layer: Option<String>,
    /// One line for the user when the tool chose for them (x86_64, a candidate layer).
    pub(crate) note: Option<String>,
}

/// What the table alone says for an automatic layer on AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    Use {
        arch: Arch,
        layer: String,
    },
    /// No verified arm64 row: try these live, then fall back (or refuse when there is none).
    Try {
        candidates: Vec<String>,
        fallback: Option<String>,
    },
}

fn plan(region: &str, requested: Option<Arch>) -> Result<Plan, InsightsError> {
    if requested == Some(Arch::X86_64) {
        let layer = layer_arn(region, Arch::X86_64)?;
        return Ok(Plan::Use {
            arch: Arch::X86_64,
            layer,
        });
    }
    match layer_arn(region, Arch::Arm64) {
        Ok(layer) => Ok(Plan::Use {
            arch: Arch::Arm64,
            layer,
        }),
        Err(InsightsError::NoArm64 { .. }) => Ok(Plan::Try {
            candidates: arm64_candidates(region),
            fallback: match requested {
                Some(Arch::Arm64) => None,
                _ => Some(layer_arn(region, Arch::X86_64)?),
            },
        }),
        Err(unknown) => Err(unknown),
    }
}

/// Decides the architecture and layer; `on_aws` is false against an emulator, which cannot host
/// the published layers (so the layer is left out there).
pub(crate) async fn choose(
    lambda: &aws_sdk_lambda::Client,
    region: &str,
    on_aws: bool,
    requested: Option<Arch>,
    insights: &InsightsChoice,
) -> Result<Choice, InsightsError> {
    if let Some(choice) = without_layer_table(on_aws, requested, insights) {
        return Ok(choice);
    }
    match plan(region, requested)? {
        Plan::Use { arch, layer } => Ok(Choice {
            arch,
            layer: Some(layer),
            note: None,
        }),
        Plan::Try {
            candidates,
            fallback,
        } => try_candidates(lambda, region, candidates, fallback).await,
    }
}

/// The choice when the layer is not looked up: none asked for, an ARN given, or an emulator.
fn without_layer_table(
    on_aws: bool,
    requested: Option<Arch>,
    insights: &InsightsChoice,
) -> Option<Choice> {
    // Offline the functions run on this machine: built for its CPU they run natively (arm64
    // under qemu runs at about two thirds of the rate); `--arch arm64` builds what AWS runs.
    let default_arch = match on_aws {
        true => Arch::Arm64,
        false => Arch::of_this_machine().unwrap_or(Arch::Arm64),
    };
    let plain = |layer| Choice {
        arch: requested.unwrap_or(default_arch),
        layer,
        note: None,
    };
    match insights {
        InsightsChoice::Off => Some(plain(None)),
        InsightsChoice::Arn(arn) => Some(plain(Some(arn.clone()))),
        InsightsChoice::Auto if !on_aws => Some(Choice {
            note: Some(
                "note: against an emulator the Lambda Insights layer is left out (the \
                 AWS-published layer cannot exist there)"
                    .into(),
            ),
            ..plain(None)
        }),
        InsightsChoice::Auto => None,
    }
}

/// The first arm64 candidate Lambda answers for, else x86_64 with its layer (`fallback`), else
/// (`--arch arm64` asked for) the refusal.
async fn try_candidates(
    lambda: &aws_sdk_lambda::Client,
    region: &str,
    candidates: Vec<String>,
    fallback: Option<String>,
) -> Result<Choice, InsightsError> {
    for candidate in candidates {
        if check(lambda, &candidate).await == LayerCheck::Exists {
            return Ok(Choice {
                arch: Arch::Arm64,
                note: Some(format!(
                    "note: using the arm64 Lambda Insights layer {candidate}: the tool has no \
                     verified arm64 row for {region}, and Lambda answered for this one"
                )),
                layer: Some(candidate),
            });
        }
    }
    let layer = fallback.ok_or_else(|| InsightsError::NoArm64 {
        region: region.to_owned(),
    })?;
    Ok(Choice {
        arch: Arch::X86_64,
        note: Some(format!(
            "note: no arm64 Lambda Insights layer is available in {region}: building and \
             deploying x86_64 (about 20% dearer per GB-second); `--arch arm64` with \
             `--no-insights` or `--insights-layer-arn ARN` keeps arm64"
        )),
        layer: Some(layer),
    })
}

#[cfg(test)]
mod tests {
    use aws_smithy_mocks::mock;

    use super::super::check::tests::{NOT_SHARED, lambda_answering};
    use super::*;
    use crate::aws::replay;

    const CA_WEST_X86: &str =
        "arn:aws:lambda:ca-west-1:946466191631:layer:LambdaInsightsExtension:21";
    const CA_WEST_ARM: &str =
        "arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64:25";

    /// Lambda's answer for a layer version it has (REST-JSON, as GetLayerVersionByArn sends it).
    fn lambda_with_layer() -> aws_sdk_lambda::Client {
        let rule = mock!(aws_sdk_lambda::Client::get_layer_version_by_arn).then_http_response(|| {
            replay::rest_json(
                200,
                None,
                r#"{"LayerArn":"arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64","LayerVersionArn":"arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64:25","Version":25,"CompatibleArchitectures":["arm64"],"CreatedDate":"2025-06-01T00:00:00.000+0000","Content":{"CodeSize":5000000}}"#,
            )
        });
        replay::lambda("ca-west-1", &[&rule])
    }

    fn not_shared() -> aws_sdk_lambda::Client {
        lambda_answering(403, "AccessDeniedException", NOT_SHARED)
    }

    #[test]
    fn the_table_decides_where_it_can() {
        assert_eq!(
            plan("us-east-1", None),
            Ok(Plan::Use {
                arch: Arch::Arm64,
                layer: layer_arn("us-east-1", Arch::Arm64).unwrap()
            })
        );
        assert_eq!(
            plan("ca-west-1", Some(Arch::X86_64)),
            Ok(Plan::Use {
                arch: Arch::X86_64,
                layer: CA_WEST_X86.into()
            })
        );
        assert_eq!(
            plan("ca-west-1", None),
            Ok(Plan::Try {
                candidates: vec![CA_WEST_ARM.into()],
                fallback: Some(CA_WEST_X86.into())
            })
        );
        assert_eq!(
            plan("mx-central-1", Some(Arch::Arm64)),
            Ok(Plan::Try {
                candidates: vec![],
                fallback: None
            })
        );
        assert!(matches!(
            plan("xx-nowhere-1", None),
            Err(InsightsError::UnknownRegion { .. })
        ));
    }

    #[tokio::test]
    async fn without_a_verified_arm64_layer_a_plain_up_deploys_x86_64_and_says_so() {
        let choice = choose(
            &not_shared(),
            "ca-west-1",
            true,
            None,
            &InsightsChoice::Auto,
        )
        .await
        .unwrap();
        assert_eq!(choice.arch, Arch::X86_64);
        assert_eq!(choice.layer.as_deref(), Some(CA_WEST_X86));
        let note = choice.note.unwrap();
        assert!(
            note.contains("no arm64 Lambda Insights layer is available in ca-west-1")
                && note.contains("x86_64")
                && !note.contains('\n'),
            "{note}"
        );
        // A region without any candidate asks nothing of Lambda (the mock answers no call).
        let choice = choose(
            &not_shared(),
            "mx-central-1",
            true,
            None,
            &InsightsChoice::Auto,
        )
        .await
        .unwrap();
        assert_eq!(choice.arch, Arch::X86_64);
    }

    #[tokio::test]
    async fn a_candidate_lambda_answers_for_keeps_arm64() {
        let choice = choose(
            &lambda_with_layer(),
            "ca-west-1",
            true,
            None,
            &InsightsChoice::Auto,
        )
        .await
        .unwrap();
        assert_eq!(choice.arch, Arch::Arm64);
        assert_eq!(choice.layer.as_deref(), Some(CA_WEST_ARM));
        assert!(
            choice
                .note
                .unwrap()
                .contains("Lambda answered for this one")
        );
    }

    #[tokio::test]
    async fn an_explicit_arm64_there_stops_with_the_three_ways_out() {
        let refused = choose(
            &not_shared(),
            "ca-west-1",
            true,
            Some(Arch::Arm64),
            &InsightsChoice::Auto,
        )
        .await
        .unwrap_err();
        let text = refused.to_string();
        for way_out in ["--insights-layer-arn ARN", "--no-insights", "--arch x86_64"] {
            assert!(text.contains(way_out), "{way_out}: {text}");
        }
    }

    #[tokio::test]
    async fn the_users_choice_and_the_emulator_need_no_question() {
        let lambda = not_shared();
        let off = choose(
            &lambda,
            "ca-west-1",
            true,
            Some(Arch::Arm64),
            &InsightsChoice::Off,
        );
        assert_eq!(
            off.await.unwrap(),
            Choice {
                arch: Arch::Arm64,
                layer: None,
                note: None
            }
        );
        let own = InsightsChoice::Arn("arn:aws:lambda:ca-west-1:123456789012:layer:Mine:1".into());
        let given = choose(&lambda, "ca-west-1", true, None, &own)
            .await
            .unwrap();
        assert_eq!(given.arch, Arch::Arm64);
        assert_eq!(
            given.layer.as_deref(),
            Some("arn:aws:lambda:ca-west-1:123456789012:layer:Mine:1")
        );
        let emulator = choose(&lambda, "ca-west-1", false, None, &InsightsChoice::Auto)
            .await
            .unwrap();
        // Offline the functions run here: built for this machine's CPU unless asked otherwise.
        let here = Arch::of_this_machine().expect("tests run on arm64 or x86_64");
        assert_eq!((emulator.arch, emulator.layer), (here, None));
        assert!(emulator.note.unwrap().contains("emulator"));
        let asked = choose(
            &lambda,
            "ca-west-1",
            false,
            Some(Arch::Arm64),
            &InsightsChoice::Off,
        );
        assert_eq!(asked.await.unwrap().arch, Arch::Arm64);
    }
}
