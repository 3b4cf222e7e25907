use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature::{self, *};
use aws_types::os_shim_internal::{Env, Fs};

use super::*;

const CONFIG: &str = "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n\
                      [sso-session corp]\nsso_start_url = https://corp/start\nsso_region = us-east-1\n\
                      [profile ci]\ncredential_process = /bin/creds\n\
                      [profile x]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = y\n\
                      [profile y]\naws_access_key_id = AKIDY\naws_secret_access_key = SECRETY\n\
                      [profile envrole]\nrole_arn = arn:aws:iam::1:role/R\ncredential_source = Environment\n";

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";

async fn label(profile: Option<&str>, features: &[AwsCredentialFeature]) -> String {
    let fs = Fs::from_slice(&[("/home/u/.aws/config", CONFIG)]);
    let env = Env::from_slice(&[("HOME", "/home/u")]);
    let profiles = Profiles::load_from(&fs, &env, profile).await.unwrap();
    let mut credentials =
        Credentials::new("ASIAEXAMPLEKEYID", SECRET, Some(TOKEN.into()), None, "test");
    credentials.set_property(features.to_vec());
    let label = describe(&credentials, &profiles);
    for secret in ["ASIAEXAMPLEKEYID", SECRET, TOKEN] {
        assert!(!label.contains(secret), "{label}");
    }
    label
}

#[tokio::test]
async fn each_source_has_its_label() {
    assert_eq!(
        label(None, &[CredentialsEnvVars]).await,
        "environment (AWS_ACCESS_KEY_ID)"
    );
    assert_eq!(
        label(Some("dev"), &[CredentialsSso, CredentialsProfile]).await,
        "profile dev: IAM Identity Center (sso_session corp)"
    );
    assert_eq!(
        label(Some("ci"), &[CredentialsProcess, CredentialsProfile]).await,
        "profile ci: credential_process"
    );
    assert_eq!(
        label(Some("x"), &[CredentialsStsAssumeRole, CredentialsProfile]).await,
        "profile x: role_arn via source_profile y"
    );
    assert_eq!(
        label(None, &[CredentialsProfileStsWebIdToken]).await,
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)"
    );
    assert_eq!(label(None, &[CredentialsHttp]).await, "container");
    assert_eq!(label(None, &[CredentialsImds]).await, "instance metadata");
    assert_eq!(label(None, &[]).await, "credentials given in code");
}

#[tokio::test]
async fn a_profile_taking_its_keys_from_the_environment_is_labelled_as_the_profile() {
    assert_eq!(
        label(
            Some("envrole"),
            &[
                CredentialsEnvVars,
                CredentialsStsAssumeRole,
                CredentialsProfile
            ]
        )
        .await,
        "profile envrole: role_arn via credential_source Environment"
    );
}
