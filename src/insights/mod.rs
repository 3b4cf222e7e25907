//! The CloudWatch Lambda Insights extension layer: its ARN for a region and architecture.
//!
//! AWS publishes the layer from a different account in some regions and at a different
//! layer version in every region and architecture, so the ARN is looked up in a table, and
//! the CLI offers `--insights-layer-arn` for a region the table does not know. Where no arm64
//! row is verified, `up` tries the disputed candidates live and otherwise deploys x86_64
//! (`choose`); whatever ARN is chosen is asked of Lambda before anything is written (`check`).

mod check;
mod choose;

pub(crate) use check::{LayerCheck, check, refusal};
pub(crate) use choose::{Choice, InsightsChoice, choose};

use crate::artifacts::Arch;

/// The AWS account that publishes the layer in most regions of the `aws` partition.
const DEFAULT_ACCOUNT: &str = "580247275435";

/// One region's layer: the publishing account and the layer version per architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    region: &'static str,
    account: &'static str,
    x86_64: u32,
    /// `None` where AWS publishes no arm64 layer (or none we could verify).
    arm64: Option<u32>,
}

const fn entry(
    region: &'static str,
    account: &'static str,
    x86_64: u32,
    arm64: Option<u32>,
) -> Entry {
    Entry {
        region,
        account,
        x86_64,
        arm64,
    }
}

/// Layer versions per region, from the AWS CloudWatch page "Available versions of the Lambda
/// Insights extension" (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
/// Lambda-Insights-extension-versions.html) as mirrored in the AWS CDK's region-info fact table
/// `CLOUDWATCH_LAMBDA_INSIGHTS_ARNS` (aws/aws-cdk, fact-tables.ts, stored copy read 2026-11-26;
/// AWS may have published newer layers since, which `--insights-layer-arn` can select):
///
/// - x86_64: extension 1.0.498.0, the newest version the table holds.
/// - arm64: extension 1.0.404.0. The CDK's 1.0.498.0 arm64 rows are known to be wrong (every
///   region pinned to layer 25; aws/aws-cdk#36867, fix pending in #37463 — the AWS page gives
///   e.g. us-east-1 :27, us-east-2 :29, ap-northeast-1 :38), so arm64 stays on the newest
///   version whose rows were verified. Older layer versions stay published and usable.
///
/// Regions without an arm64 row (`None`): ap-east-2, ap-southeast-4, ap-southeast-5,
/// ap-southeast-6, ap-southeast-7, ca-west-1, eu-central-2, il-central-1, me-central-1,
/// mx-central-1, cn-north-1, cn-northwest-1. Issue 11 says AWS publishes arm64 layers for
/// several of them. AWS's page "Available versions of the Lambda Insights extension"
/// (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Lambda-Insights-extension-versions.html,
/// with its x86_64 and ARM64 sub-pages) was searched for again on 2026-12-02 through the
/// reference index this project uses: it holds that page's title and summary but none of its
/// ARN rows (nor does any other stored copy hold rows for these regions), so neither table
/// changed and these stay out rather than guessed: an invented layer version would fail the
/// deploy, or pick an unknown layer.
/// There `up` tries [`ARM64_CANDIDATES`] live and otherwise builds and deploys x86_64, whose
/// rows are known for every region; an explicit `--arch arm64` stops there instead, naming
/// `--insights-layer-arn`, `--no-insights` and `--arch x86_64`. Whatever ARN is chosen is
/// checked with `GetLayerVersionByArn` before the change set ([`check`]).
///
/// China and GovCloud live in their own partitions (`aws-cn`, `aws-us-gov`); [`partition`]
/// picks the ARN prefix. Regions missing here get an error naming the override flags.
#[rustfmt::skip]
const TABLE: &[Entry] = &[
    entry("af-south-1",     "012438385374", 52, Some(21)),
    entry("ap-east-1",      "519774774795", 52, Some(21)),
    entry("ap-east-2",      "145023102084",  8, None),
    entry("ap-northeast-1", DEFAULT_ACCOUNT, 87, Some(34)),
    entry("ap-northeast-2", DEFAULT_ACCOUNT, 59, Some(22)),
    entry("ap-northeast-3", "194566237122", 41, Some(20)),
    entry("ap-south-1",     DEFAULT_ACCOUNT, 58, Some(25)),
    entry("ap-south-2",     "891564319516", 34, Some(9)),
    entry("ap-southeast-1", DEFAULT_ACCOUNT, 60, Some(23)),
    entry("ap-southeast-2", DEFAULT_ACCOUNT, 60, Some(23)),
    entry("ap-southeast-3", "439286490199", 36, Some(21)),
    entry("ap-southeast-4", "158895979263", 29, None),
    entry("ap-southeast-5", "590183865173",  9, None),
    entry("ap-southeast-6", "727646510379",  1, None),
    entry("ap-southeast-7", "761018874580",  8, None),
    entry("ca-central-1",   DEFAULT_ACCOUNT, 59, Some(21)),
    entry("ca-west-1",      "946466191631", 21, None),
    entry("cn-north-1",     "488211338238", 48, None),
    entry("cn-northwest-1", "488211338238", 48, None),
    entry("eu-central-1",   DEFAULT_ACCOUNT, 60, Some(23)),
    entry("eu-central-2",   "033019950311", 35, None),
    entry("eu-north-1",     DEFAULT_ACCOUNT, 57, Some(21)),
    entry("eu-south-1",     "339249233099", 52, Some(21)),
    entry("eu-south-2",     "352183217350", 36, Some(9)),
    entry("eu-west-1",      DEFAULT_ACCOUNT, 60, Some(23)),
    entry("eu-west-2",      DEFAULT_ACCOUNT, 60, Some(23)),
    entry("eu-west-3",      DEFAULT_ACCOUNT, 59, Some(21)),
    entry("il-central-1",   "459530977127", 29, None),
    entry("me-central-1",   "732604637566", 35, None),
    entry("me-south-1",     "285320876703", 52, Some(21)),
    entry("mx-central-1",   "879381266642",  8, None),
    entry("sa-east-1",      DEFAULT_ACCOUNT, 59, Some(21)),
    entry("us-east-1",      DEFAULT_ACCOUNT, 60, Some(23)),
    entry("us-east-2",      DEFAULT_ACCOUNT, 60, Some(25)),
    entry("us-gov-east-1",  "122132214140", 24, Some(6)),
    entry("us-gov-west-1",  "751350123760", 24, Some(6)),
    entry("us-west-1",      DEFAULT_ACCOUNT, 60, Some(21)),
    entry("us-west-2",      DEFAULT_ACCOUNT, 60, Some(23)),
];

/// The arm64 rows the AWS CDK's newest table (1.0.498.0) gives for regions without a verified
/// row, disputed (aws/aws-cdk#36867: every region pinned to layer 25, wrong accounts in
/// ap-southeast-4, ca-west-1 and il-central-1; fixes open in #36887 and #37463; one user saw
/// AccessDenied for eu-central-2's). Never trusted: used only when Lambda answers for them.
/// ap-southeast-5, ap-southeast-7 and mx-central-1 have none.
#[rustfmt::skip]
const ARM64_CANDIDATES: &[(&str, &str, u32)] = &[
    ("ap-southeast-4", "605207715842", 25),
    ("ca-west-1",      "761377655185", 25),
    ("eu-central-2",   "033019950311", 25),
    ("il-central-1",   "066549572091", 25),
    ("me-central-1",   "732604637566", 25),
];

/// Layer names the extension is published under, per architecture.
const X86_64_NAME: &str = "LambdaInsightsExtension";
const ARM64_NAME: &str = "LambdaInsightsExtension-Arm64";

/// Why no layer ARN could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum InsightsError {
    #[error(
        "no Lambda Insights layer is known for region {region}: pass \
         `--insights-layer-arn ARN` (see the CloudWatch page \"Available versions of the \
         Lambda Insights extension\") or `--no-insights`"
    )]
    UnknownRegion { region: String },

    #[error(
        "no arm64 Lambda Insights layer is available in region {region} (none is verified, \
         and Lambda answered for no candidate): pass `--insights-layer-arn ARN` with an arm64 \
         layer version published there, `--no-insights`, or `--arch x86_64`"
    )]
    NoArm64 { region: String },
}

/// The layer version ARN of the Lambda Insights extension for `region` and `arch`, from the
/// verified table.
pub(crate) fn layer_arn(region: &str, arch: Arch) -> Result<String, InsightsError> {
    let entry = TABLE
        .iter()
        .find(|entry| entry.region == region)
        .ok_or_else(|| InsightsError::UnknownRegion {
            region: region.to_owned(),
        })?;
    let (name, version) = match arch {
        Arch::X86_64 => (X86_64_NAME, entry.x86_64),
        Arch::Arm64 => {
            let version = entry.arm64.ok_or_else(|| InsightsError::NoArm64 {
                region: region.to_owned(),
            })?;
            (ARM64_NAME, version)
        }
    };
    Ok(arn(region, entry.account, name, version))
}

/// The disputed arm64 ARNs for `region`, to be tried live (none for most regions).
pub(crate) fn arm64_candidates(region: &str) -> Vec<String> {
    ARM64_CANDIDATES
        .iter()
        .filter(|(candidate, ..)| *candidate == region)
        .map(|(_, account, version)| arn(region, account, ARM64_NAME, *version))
        .collect()
}

/// Whether `arn` names a version of the extension as AWS publishes it: one of the publishing
/// accounts, one of the two layer names. Lambda answers AccessDeniedException, not a 404, for a
/// version of another account's layer that does not exist or is not shared.
pub(crate) fn is_aws_published(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let [_, _, "lambda", _, account, "layer", name, _] = parts[..] else {
        return false;
    };
    let publishers = TABLE
        .iter()
        .map(|entry| entry.account)
        .chain(ARM64_CANDIDATES.iter().map(|(_, account, _)| *account));
    (name == X86_64_NAME || name == ARM64_NAME) && publishers.into_iter().any(|p| p == account)
}

fn arn(region: &str, account: &str, name: &str, version: u32) -> String {
    format!(
        "arn:{}:lambda:{region}:{account}:layer:{name}:{version}",
        partition(region)
    )
}

/// The ARN partition a region belongs to.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_give_the_published_arn_for_each_architecture() {
        let cases = [
            (
                "ap-southeast-2",
                Arch::X86_64,
                "arn:aws:lambda:ap-southeast-2:580247275435:layer:LambdaInsightsExtension:60",
            ),
            (
                "ap-southeast-2",
                Arch::Arm64,
                "arn:aws:lambda:ap-southeast-2:580247275435:layer:LambdaInsightsExtension-Arm64:23",
            ),
            (
                "us-east-1",
                Arch::X86_64,
                "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension:60",
            ),
            (
                "us-east-1",
                Arch::Arm64,
                "arn:aws:lambda:us-east-1:580247275435:layer:LambdaInsightsExtension-Arm64:23",
            ),
            (
                "af-south-1",
                Arch::X86_64,
                "arn:aws:lambda:af-south-1:012438385374:layer:LambdaInsightsExtension:52",
            ),
            (
                "af-south-1",
                Arch::Arm64,
                "arn:aws:lambda:af-south-1:012438385374:layer:LambdaInsightsExtension-Arm64:21",
            ),
            (
                "ap-northeast-3",
                Arch::X86_64,
                "arn:aws:lambda:ap-northeast-3:194566237122:layer:LambdaInsightsExtension:41",
            ),
            (
                "ap-northeast-3",
                Arch::Arm64,
                "arn:aws:lambda:ap-northeast-3:194566237122:layer:LambdaInsightsExtension-Arm64:20",
            ),
            (
                "eu-south-1",
                Arch::Arm64,
                "arn:aws:lambda:eu-south-1:339249233099:layer:LambdaInsightsExtension-Arm64:21",
            ),
            (
                "ap-northeast-1",
                Arch::X86_64,
                "arn:aws:lambda:ap-northeast-1:580247275435:layer:LambdaInsightsExtension:87",
            ),
            (
                "eu-central-2",
                Arch::X86_64,
                "arn:aws:lambda:eu-central-2:033019950311:layer:LambdaInsightsExtension:35",
            ),
        ];
        for (region, arch, expected) in cases {
            assert_eq!(
                layer_arn(region, arch).as_deref(),
                Ok(expected),
                "{region} {arch}"
            );
        }
    }

    #[test]
    fn other_partitions_use_their_own_arn_prefix() {
        assert_eq!(
            layer_arn("cn-north-1", Arch::X86_64).unwrap(),
            "arn:aws-cn:lambda:cn-north-1:488211338238:layer:LambdaInsightsExtension:48"
        );
        assert_eq!(
            layer_arn("us-gov-west-1", Arch::Arm64).unwrap(),
            "arn:aws-us-gov:lambda:us-gov-west-1:751350123760:layer:LambdaInsightsExtension-Arm64:6"
        );
    }

    #[test]
    fn an_unknown_region_names_itself_and_the_override_flags() {
        let error = layer_arn("xx-nowhere-9", Arch::X86_64).unwrap_err();
        assert_eq!(
            error,
            InsightsError::UnknownRegion {
                region: "xx-nowhere-9".into()
            }
        );
        let text = error.to_string();
        assert!(text.contains("xx-nowhere-9"), "{text}");
        assert!(text.contains("--insights-layer-arn ARN"), "{text}");
        assert!(text.contains("--no-insights"), "{text}");
    }

    #[test]
    fn a_region_without_an_arm64_layer_says_so() {
        let error = layer_arn("ca-west-1", Arch::Arm64).unwrap_err();
        assert_eq!(
            error,
            InsightsError::NoArm64 {
                region: "ca-west-1".into()
            }
        );
        let text = error.to_string();
        for way_out in ["--insights-layer-arn ARN", "--no-insights", "--arch x86_64"] {
            assert!(text.contains(way_out), "{way_out}: {text}");
        }
        // The same region still has an x86_64 layer.
        assert!(layer_arn("ca-west-1", Arch::X86_64).is_ok());
    }

    #[test]
    fn candidates_are_the_disputed_arm64_rows_and_count_as_aws_published() {
        assert_eq!(
            arm64_candidates("ca-west-1"),
            ["arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64:25"]
        );
        for none in [
            "ap-southeast-5",
            "ap-southeast-7",
            "mx-central-1",
            "us-east-1",
        ] {
            assert!(arm64_candidates(none).is_empty(), "{none}");
        }
        for (region, ..) in ARM64_CANDIDATES {
            assert_eq!(
                layer_arn(region, Arch::Arm64),
                Err(InsightsError::NoArm64 {
                    region: (*region).to_owned()
                }),
                "a candidate region has no verified arm64 row"
            );
            for arn in arm64_candidates(region) {
                assert!(is_aws_published(&arn), "{arn}");
            }
        }
        assert!(is_aws_published(
            &layer_arn("us-east-1", Arch::X86_64).unwrap()
        ));
        for other in [
            "arn:aws:lambda:us-east-1:123456789012:layer:LambdaInsightsExtension:60",
            "arn:aws:lambda:us-east-1:580247275435:layer:SomethingElse:1",
            "not an arn",
        ] {
            assert!(!is_aws_published(other), "{other}");
        }
    }

    #[test]
    fn region_lookup_is_exact() {
        assert!(layer_arn("US-EAST-1", Arch::X86_64).is_err());
        assert!(layer_arn("", Arch::X86_64).is_err());
    }

    #[test]
    fn the_table_is_sorted_and_has_no_duplicate_region() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].region < pair[1].region,
                "{} then {}",
                pair[0].region,
                pair[1].region
            );
        }
    }

    /// Every ARN the table can produce parses back into the parts it was built from.
    #[test]
    fn every_table_entry_parses_back() {
        for entry in TABLE {
            for arch in [Arch::X86_64, Arch::Arm64] {
                let Ok(arn) = layer_arn(entry.region, arch) else {
                    assert!(
                        arch == Arch::Arm64 && entry.arm64.is_none(),
                        "{}",
                        entry.region
                    );
                    continue;
                };
                let parts: Vec<&str> = arn.split(':').collect();
                assert_eq!(parts.len(), 8, "{arn}");
                assert_eq!(parts[0], "arn");
                assert_eq!(parts[1], partition(entry.region));
                assert_eq!(parts[2], "lambda");
                assert_eq!(parts[3], entry.region);
                let account = parts[4];
                assert!(
                    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
                    "{arn}"
                );
                assert_eq!(parts[5], "layer");
                let expected_name = match arch {
                    Arch::X86_64 => "LambdaInsightsExtension",
                    Arch::Arm64 => "LambdaInsightsExtension-Arm64",
                };
                assert_eq!(parts[6], expected_name, "{arn}");
                let version: u32 = parts[7].parse().unwrap_or_else(|_| panic!("{arn}"));
                assert!(version > 0, "{arn}");
            }
        }
    }
}
