//! The AWS configuration `demo verify` reads DynamoDB with, from the global flags.

use aws_config::SdkConfig;

use crate::settings::AwsSettings;

/// Profile, region and endpoint from `--profile/--region/--endpoint-url`; credentials and the
/// rest from the SDK's default chain. Delegates to the CLI's shared loader so every command
/// reaches AWS (or the emulator) the same way.
pub async fn sdk_config(aws: &AwsSettings) -> SdkConfig {
    crate::aws::load_config(aws, None).await
}
