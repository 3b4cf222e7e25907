//! The connection: where the stack lives (`AwsSettings`), one SDK configuration and one set of
//! clients per command (`Clients`), signed in before the first call, and why a call failed
//! (`AwsError`).

mod error;
pub(crate) mod profile;
#[cfg(test)]
pub(crate) mod replay;
mod signin;
pub(crate) mod source;

pub(crate) use error::AwsError;

use std::sync::OnceLock;

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Where the stack lives. `local` means "against an emulator at `endpoint_url`".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AwsSettings {
    pub(crate) profile: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) endpoint_url: Option<String>,
    pub(crate) stack_name: String,
    pub(crate) local: bool,
}

/// Region used against an emulator when none is given (the original ran in Sydney).
const LOCAL_REGION: &str = "ap-southeast-2";

/// Every service client the commands use. Built once; commands borrow what they need.
pub struct Clients {
    pub(crate) region: String,
    /// Set when talking to an emulator rather than AWS.
    pub(crate) endpoint_url: Option<String>,
    pub(crate) apigateway: aws_sdk_apigateway::Client,
    pub(crate) cloudformation: aws_sdk_cloudformation::Client,
    /// Pinned to 1.99.0, the last release moto can answer (see Cargo.toml).
    pub(crate) cloudwatch: aws_sdk_cloudwatch::Client,
    pub(crate) dynamodb: aws_sdk_dynamodb::Client,
    pub(crate) iam: aws_sdk_iam::Client,
    pub(crate) kinesis: aws_sdk_kinesis::Client,
    pub(crate) lambda: aws_sdk_lambda::Client,
    pub(crate) logs: aws_sdk_cloudwatchlogs::Client,
    pub(crate) s3: aws_sdk_s3::Client,
    pub(crate) sqs: aws_sdk_sqs::Client,
    pub(crate) sts: aws_sdk_sts::Client,
    /// Which credential source signed this run in, as a person reads it (never a secret);
    /// None for clients not made by `connect`.
    pub(crate) credential_source: Option<String>,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            // Emulators serve buckets by path, not by virtual host.
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Clients {
            region: config.region().map(ToString::to_string).unwrap_or_default(),
            endpoint_url: config.endpoint_url().map(str::to_owned),
            apigateway: aws_sdk_apigateway::Client::new(config),
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            kinesis: aws_sdk_kinesis::Client::new(config),
            lambda: aws_sdk_lambda::Client::new(config),
            logs: aws_sdk_cloudwatchlogs::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            sqs: aws_sdk_sqs::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
            credential_source: None,
        }
    }

    pub(crate) fn is_emulator(&self) -> bool {
        self.endpoint_url.is_some()
    }
}

/// Loads the SDK configuration: profile, region and endpoint from the settings, the SDK's
/// default chain for the rest. Against an emulator, fixed dummy credentials are used so that
/// real ones are never sent to it.
async fn load_config(aws: &AwsSettings, emulator_url: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &aws.profile {
        loader = loader.profile_name(profile);
    }
    let region = aws
        .region
        .clone()
        .or_else(|| emulator_url.map(|_| LOCAL_REGION.to_owned()));
    if let Some(region) = region {
        loader = loader.region(Region::new(region));
    }
    if let Some(url) = emulator_url.or(aws.endpoint_url.as_deref()) {
        loader = loader.endpoint_url(url);
    }
    if emulator_url.is_some() {
        let dummy = aws_sdk_sts::config::Credentials::new("demo", "demo", None, None, "emulator");
        loader = loader.credentials_provider(dummy);
    }
    loader.load().await
}

/// Clients for the place the settings point at: an emulator with `--local` (started if need
/// be), else AWS (or `--endpoint-url`).
pub(crate) async fn connect(aws: &AwsSettings) -> Result<Clients, AwsError> {
    let emulator = if aws.local {
        let running = crate::emulator::ensure_running().map_err(|err| AwsError::Environment {
            action: "start the local emulator".into(),
            detail: err.to_string(),
            guidance: "--local needs moto; see the detail below".into(),
        })?;
        Some(running.url)
    } else {
        None
    };
    let profiles = match emulator {
        // The emulator gets fixed dummy credentials: no profile is read or signed in with.
        Some(_) => None,
        None => {
            let profiles = profile::Profiles::load(aws.profile.as_deref()).await?;
            profiles.check_in_use_exists()?;
            Some(profiles)
        }
    };
    let config = load_config(aws, emulator.as_deref()).await;
    if config.region().is_none() {
        return Err(AwsError::Environment {
            action: "choose a region".into(),
            detail: "no region in --region, AWS_REGION or the profile".into(),
            guidance:
                "no AWS region set: pass --region (e.g. --region ap-southeast-2) or set AWS_REGION"
                    .into(),
        });
    }
    let (config, source) = match &profiles {
        Some(profiles) => {
            SIGNED_IN_PROFILE.get_or_init(|| profiles.sso_login_profile().to_owned());
            let (config, credentials) = signin::sign_in(config, profiles).await?;
            (config, source::describe(&credentials, profiles))
        }
        None => (config, "fixed dummy credentials (--local)".to_owned()),
    };
    Ok(Clients {
        credential_source: Some(source),
        ..Clients::new(&config)
    })
}

/// The profile this run signs in with (the one holding its SSO settings), for the guidance on
/// an error met after `connect`, deep in a command (an SSO session that ends during a long
/// sweep), where only the error is at hand. A run connects once.
static SIGNED_IN_PROFILE: OnceLock<String> = OnceLock::new();

fn signed_in_profile() -> Option<&'static str> {
    SIGNED_IN_PROFILE.get().map(String::as_str)
}

/// Who the credentials are, as STS says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) arn: String,
    pub(crate) account: String,
}

/// The identity the credentials belong to (`sts:GetCallerIdentity`, which needs no permission).
pub(crate) async fn caller_identity(clients: &Clients) -> Result<Identity, AwsError> {
    let identity = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|err| AwsError::from_sdk("find the AWS account (sts:GetCallerIdentity)", err))?;
    tracing::debug!(arn = identity.arn().unwrap_or_default(), "signed in as");
    Ok(Identity {
        arn: identity.arn().unwrap_or_default().to_owned(),
        account: identity.account().unwrap_or_default().to_owned(),
    })
}

/// The account the credentials belong to (names the artifact bucket).
pub(crate) async fn account_id(clients: &Clients) -> Result<String, AwsError> {
    Ok(caller_identity(clients).await?.account)
}
