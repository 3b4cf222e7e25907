//! Asks Lambda whether a layer version can be used here, and judges its answer as AWS means it:
//! for a version of another account's layer that does not exist or is not shared, Lambda
//! answers AccessDeniedException ("… because no resource-based policy allows the
//! lambda:GetLayerVersion action"), not a 404. Every Insights layer is another account's.

use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata};

use super::is_aws_published;
use crate::model::template::ParameterError;

/// What Lambda said when asked for the chosen layer version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LayerCheck {
    Exists,
    /// No such layer version here, or not shared with this account: the deploy would fail.
    Missing(String),
    /// These credentials may not read layers (lambda:GetLayerVersion is not allowed to them):
    /// CloudFormation, acting with the same credentials, would fail creating the functions.
    Denied(String),
    /// The check itself could not be made (throttled, an unexpected answer): go on, with a note.
    Unknown(String),
}

/// Judges a failed `GetLayerVersionByArn` by the service's error code and message.
pub(crate) fn judge(arn: &str, code: Option<&str>, message: &str, detail: String) -> LayerCheck {
    match code {
        Some("ResourceNotFoundException" | "InvalidParameterValueException") => {
            LayerCheck::Missing(detail)
        }
        // The layer's own policy does not let this account have that version: not published
        // here, or not public.
        Some("AccessDeniedException") if message.contains("resource-based policy") => {
            LayerCheck::Missing(detail)
        }
        Some("AccessDeniedException") if message.contains("identity-based policy") => {
            LayerCheck::Denied(detail)
        }
        // AWS's published layers are public: a refusal without a named reason means the
        // version is not there for anyone.
        Some("AccessDeniedException") if is_aws_published(arn) => LayerCheck::Missing(detail),
        _ => LayerCheck::Unknown(detail),
    }
}

/// Asks Lambda whether the layer version `arn` exists and can be read by this account (the
/// AWS-published layers are public). Only for AWS: an emulator cannot host them.
pub(crate) async fn check(lambda: &aws_sdk_lambda::Client, arn: &str) -> LayerCheck {
    match lambda.get_layer_version_by_arn().arn(arn).send().await {
        Ok(_) => LayerCheck::Exists,
        Err(err) => {
            let message = err.message().unwrap_or_default().to_owned();
            let detail = match err.code() {
                Some(code) => format!("{code}: {message}"),
                None => DisplayErrorContext(&err).to_string(),
            };
            judge(arn, err.code(), &message, detail)
        }
    }
}

/// The refusal of a layer Lambda will not give this deploy, naming the ARN and the ways out;
/// None when the check found nothing against it.
pub(crate) fn refusal(arn: &str, check: &LayerCheck, arm64: bool) -> Option<ParameterError> {
    let x86 = if arm64 { ", or `--arch x86_64`" } else { "" };
    let rule = match check {
        LayerCheck::Exists | LayerCheck::Unknown(_) => return None,
        LayerCheck::Missing(detail) => format!(
            "Lambda has no such layer version for this account here ({detail}): pass \
             `--insights-layer-arn ARN` with a version published for this region and \
             architecture (CloudWatch page \"Available versions of the Lambda Insights \
             extension\"), `--no-insights`{x86}"
        ),
        LayerCheck::Denied(detail) => format!(
            "these credentials may not read it ({detail}), and CloudFormation would fail \
             creating the functions with it: allow lambda:GetLayerVersion on it, or pass \
             `--no-insights`"
        ),
    };
    Some(ParameterError {
        flag: "Lambda Insights layer".into(),
        value: arn.to_owned(),
        rule,
    })
}

#[cfg(test)]
pub(super) mod tests {
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::aws::replay;

    const CANDIDATE: &str =
        "arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64:25";
    /// What Lambda answers for a version of another account's layer that is not shared with
    /// the caller (the message as aws-sdk-pandas#1357, datadog-lambda-python#404 and
    /// sample-serverless-mcp-servers#7 quote it; HTTP 403, Lambda's REST-JSON error shape).
    pub(crate) const NOT_SHARED: &str = r#"{"Type":"User","Message":"User: arn:aws:iam::123456789012:user/dev is not authorized to perform: lambda:GetLayerVersion on resource: arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64:25 because no resource-based policy allows the lambda:GetLayerVersion action"}"#;

    pub(crate) fn lambda_answering(
        status: u16,
        error_type: &'static str,
        body: &'static str,
    ) -> aws_sdk_lambda::Client {
        let rule = mock!(aws_sdk_lambda::Client::get_layer_version_by_arn)
            .then_http_response(move || replay::rest_json(status, Some(error_type), body));
        replay::lambda("ca-west-1", &[&rule])
    }

    #[tokio::test]
    async fn access_denied_for_a_published_layer_is_a_missing_layer_and_the_refusal_says_why() {
        let lambda = lambda_answering(403, "AccessDeniedException", NOT_SHARED);
        let found = check(&lambda, CANDIDATE).await;
        let LayerCheck::Missing(detail) = &found else {
            panic!("AccessDenied for another account's version means it is not here: {found:?}");
        };
        assert!(
            detail.starts_with("AccessDeniedException: User: "),
            "{detail}"
        );
        let text = refusal(CANDIDATE, &found, true).unwrap().to_string();
        for part in [
            CANDIDATE,
            "--insights-layer-arn ARN",
            "--no-insights",
            "--arch x86_64",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        let x86 = refusal(CANDIDATE, &found, false).unwrap().to_string();
        assert!(!x86.contains("--arch x86_64"), "{x86}");
    }

    #[tokio::test]
    async fn a_404_is_missing_too() {
        let lambda = lambda_answering(
            404,
            "ResourceNotFoundException",
            r#"{"Type":"User","message":"Layer version arn:aws:lambda:ca-west-1:946466191631:layer:LambdaInsightsExtension:999 does not exist."}"#,
        );
        let arn = "arn:aws:lambda:ca-west-1:946466191631:layer:LambdaInsightsExtension:999";
        assert!(matches!(check(&lambda, arn).await, LayerCheck::Missing(_)));
    }

    #[tokio::test]
    async fn credentials_without_the_permission_are_denied_and_the_refusal_names_it() {
        let lambda = lambda_answering(
            403,
            "AccessDeniedException",
            r#"{"Type":"User","Message":"User: arn:aws:iam::123456789012:user/dev is not authorized to perform: lambda:GetLayerVersion on resource: arn:aws:lambda:ca-west-1:761377655185:layer:LambdaInsightsExtension-Arm64:25 because no identity-based policy allows the lambda:GetLayerVersion action"}"#,
        );
        let found = check(&lambda, CANDIDATE).await;
        assert!(matches!(found, LayerCheck::Denied(_)), "{found:?}");
        let text = refusal(CANDIDATE, &found, true).unwrap().to_string();
        assert!(text.contains("allow lambda:GetLayerVersion"), "{text}");
    }

    #[test]
    fn only_throttling_and_the_unexpected_let_the_deploy_go_on() {
        let own = "arn:aws:lambda:ca-west-1:123456789012:layer:Mine:3";
        let judged = |arn, code, message: &str| judge(arn, code, message, "d".into());
        assert_eq!(
            judged(own, Some("AccessDeniedException"), "not authorized"),
            LayerCheck::Unknown("d".into()),
            "the user's own layer: a refusal we cannot read is no reason to stop"
        );
        assert_eq!(
            judged(CANDIDATE, Some("AccessDeniedException"), "not authorized"),
            LayerCheck::Missing("d".into())
        );
        for (code, message) in [(Some("TooManyRequestsException"), "slow down"), (None, "")] {
            assert_eq!(
                judged(CANDIDATE, code, message),
                LayerCheck::Unknown("d".into())
            );
            assert!(refusal(CANDIDATE, &judged(CANDIDATE, code, message), true).is_none());
        }
    }
}
