//! Which credential source supplied the credentials in use, as a short label for a person
//! (`demo doctor`): "environment (AWS_ACCESS_KEY_ID)", "profile dev: IAM Identity Center
//! (sso_session corp)", "container", … Never a key, token or secret.

use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;

use super::profile::Profiles;

/// The label for `credentials`: the SDK records, on credentials it resolves, which provider
/// supplied them (`AwsCredentialFeature`); a profile's label adds how that profile signs in.
pub(crate) fn describe(credentials: &Credentials, profiles: &Profiles) -> String {
    let features: &[AwsCredentialFeature] = credentials
        .get_property::<Vec<AwsCredentialFeature>>()
        .map_or(&[], Vec::as_slice);
    let has = |feature: AwsCredentialFeature| features.contains(&feature);
    // The profile first: a profile can take its keys from the environment
    // (`credential_source = Environment`), and then both are recorded.
    if has(AwsCredentialFeature::CredentialsProfile)
        || has(AwsCredentialFeature::CredentialsProfileLogin)
    {
        let name = profiles.in_use();
        match profiles.method(name) {
            Some(method) => format!("profile {name}: {method}"),
            None => format!("profile {name}"),
        }
    } else if has(AwsCredentialFeature::CredentialsEnvVars) {
        "environment (AWS_ACCESS_KEY_ID)".to_owned()
    } else if has(AwsCredentialFeature::CredentialsProfileStsWebIdToken) {
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".to_owned()
    } else if has(AwsCredentialFeature::CredentialsHttp) {
        "container".to_owned()
    } else if has(AwsCredentialFeature::CredentialsImds) {
        "instance metadata".to_owned()
    } else {
        "credentials given in code".to_owned()
    }
}

#[cfg(test)]
mod tests;
