//! The shared config and credentials files as the SDK reads them: which profiles exist, which
//! one is in use, and how a profile signs in (its method, never its secrets).

use std::borrow::Cow;
use std::fmt;

use aws_config::profile::{Profile, ProfileSet};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::AwsError;

/// The profiles found, the one in use, and the files they came from.
#[derive(Debug)]
pub(crate) struct Profiles {
    set: ProfileSet,
    config_file: String,
    credentials_file: String,
}

/// How a profile gets its credentials, in the order aws-config's profile provider decides
/// (aws-config `profile/credentials/repr.rs`): a `role_arn` first, then `credential_source`,
/// web identity, IAM Identity Center, `aws login`, `credential_process`, access keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SignInMethod {
    RoleViaSourceProfile {
        source_profile: String,
    },
    RoleViaCredentialSource {
        source: String,
    },
    /// `credential_source` without a role: that source's own credentials.
    CredentialSource {
        source: String,
    },
    WebIdentity,
    /// IAM Identity Center with an `[sso-session]` section (refreshable token).
    SsoSession {
        session: String,
    },
    /// IAM Identity Center with `sso_start_url` in the profile (the older, legacy form).
    SsoLegacy {
        start_url: String,
    },
    /// `aws login`: a console session (`login_session`).
    Login,
    CredentialProcess,
    AccessKeys,
    /// The profile holds nothing to sign in with (perhaps only a region).
    Nothing,
}

impl Profiles {
    /// Reads the files the SDK reads (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, else
    /// `~/.aws/config` and `~/.aws/credentials`); `chosen` is `--profile` (or `DEMO_PROFILE`),
    /// which wins over `AWS_PROFILE`.
    pub(crate) async fn load(chosen: Option<&str>) -> Result<Self, AwsError> {
        Self::load_from(&Fs::real(), &Env::real(), chosen).await
    }

    pub(crate) async fn load_from(
        fs: &Fs,
        env: &Env,
        chosen: Option<&str>,
    ) -> Result<Self, AwsError> {
        let chosen = chosen.map(|name| Cow::Owned(name.to_owned()));
        let config_file = file_path(env, "AWS_CONFIG_FILE", "config");
        let credentials_file = file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
        let set = aws_config::profile::load(fs, env, &EnvConfigFiles::default(), chosen)
            .await
            .map_err(|err| AwsError::Environment {
                action: "read the AWS config files".into(),
                detail: err.to_string(),
                guidance: format!(
                    "could not read the AWS profiles in {config_file} and {credentials_file}: \
                     fix the file the detail below names"
                ),
            })?;
        Ok(Profiles {
            set,
            config_file,
            credentials_file,
        })
    }

    /// The profile in use: `--profile` / `DEMO_PROFILE`, else `AWS_PROFILE`, else `default`.
    pub(crate) fn in_use(&self) -> &str {
        self.set.selected_profile()
    }

    /// Every profile of both files, sorted.
    pub(crate) fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.set.profiles().collect();
        names.sort_unstable();
        names
    }

    /// A profile named by the user (anything but an absent `default`, which only means "no
    /// profile": the SDK then tries the environment, containers and instance metadata) must
    /// exist; else the error names it and lists the profiles found.
    pub(crate) fn check_in_use_exists(&self) -> Result<(), AwsError> {
        let name = self.in_use();
        if name == "default" || self.set.get_profile(name).is_some() {
            return Ok(());
        }
        let found = match self.names() {
            names if names.is_empty() => "none".to_owned(),
            names => names.join(", "),
        };
        Err(AwsError::Environment {
            action: format!("find AWS profile {name}"),
            detail: format!(
                "profiles found in {} and {}: {found}",
                self.config_file, self.credentials_file
            ),
            guidance: format!(
                "AWS profile `{name}` is not in {} or {} (profiles found: {found}): check \
                 --profile, DEMO_PROFILE and AWS_PROFILE, or create it with `aws configure sso \
                 --profile {name}` or `aws configure --profile {name}`",
                self.config_file, self.credentials_file
            ),
        })
    }

    /// How `name` signs in; `None` when there is no such profile.
    pub(crate) fn method(&self, name: &str) -> Option<SignInMethod> {
        self.set.get_profile(name).map(method_of)
    }

    /// The profile to pass to `aws sso login --profile`: the one in use, or, when it assumes a
    /// role from another profile, the first profile along `source_profile` that holds the
    /// IAM Identity Center settings (`aws sso login` reads only the profile it is given).
    pub(crate) fn sso_login_profile(&self) -> &str {
        let mut name = self.in_use();
        let mut visited = Vec::new();
        while !visited.contains(&name) {
            visited.push(name);
            match self.method(name) {
                Some(SignInMethod::SsoSession { .. } | SignInMethod::SsoLegacy { .. }) => {
                    return name;
                }
                Some(SignInMethod::RoleViaSourceProfile { .. }) => {
                    match self
                        .set
                        .get_profile(name)
                        .and_then(|p| p.get("source_profile"))
                    {
                        Some(next) => name = next,
                        None => break,
                    }
                }
                _ => break,
            }
        }
        self.in_use()
    }
}

/// The method of one profile (what `role_arn`, `sso_*`, … it sets), as the SDK reads it.
fn method_of(profile: &Profile) -> SignInMethod {
    let get = |key: &str| profile.get(key).map(str::to_owned);
    let web_identity = profile.get("web_identity_token_file").is_some();
    if profile.get("role_arn").is_some()
        && !web_identity
        && let Some(source_profile) = get("source_profile")
    {
        return SignInMethod::RoleViaSourceProfile { source_profile };
    }
    if let Some(source) = get("credential_source") {
        return match profile.get("role_arn") {
            Some(_) => SignInMethod::RoleViaCredentialSource { source },
            None => SignInMethod::CredentialSource { source },
        };
    }
    if web_identity {
        return SignInMethod::WebIdentity;
    }
    if let Some(session) = get("sso_session") {
        return SignInMethod::SsoSession { session };
    }
    if let Some(start_url) = get("sso_start_url") {
        return SignInMethod::SsoLegacy { start_url };
    }
    if profile.get("login_session").is_some() {
        SignInMethod::Login
    } else if profile.get("credential_process").is_some() {
        SignInMethod::CredentialProcess
    } else if profile.get("aws_access_key_id").is_some() {
        SignInMethod::AccessKeys
    } else {
        SignInMethod::Nothing
    }
}

impl fmt::Display for SignInMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignInMethod::RoleViaSourceProfile { source_profile } => {
                write!(f, "role_arn via source_profile {source_profile}")
            }
            SignInMethod::RoleViaCredentialSource { source } => {
                write!(f, "role_arn via credential_source {source}")
            }
            SignInMethod::CredentialSource { source } => write!(f, "credential_source {source}"),
            SignInMethod::WebIdentity => f.write_str("web identity (web_identity_token_file)"),
            SignInMethod::SsoSession { session } => {
                write!(f, "IAM Identity Center (sso_session {session})")
            }
            SignInMethod::SsoLegacy { start_url } => {
                write!(f, "IAM Identity Center (sso_start_url {start_url})")
            }
            SignInMethod::Login => f.write_str("aws login (console session)"),
            SignInMethod::CredentialProcess => f.write_str("credential_process"),
            SignInMethod::AccessKeys => f.write_str("access keys (aws_access_key_id)"),
            SignInMethod::Nothing => f.write_str("no credentials in the profile"),
        }
    }
}

/// The file the SDK reads for `variable`, as a person would type it (`~` expanded).
fn file_path(env: &Env, variable: &str, file: &str) -> String {
    let path = env
        .get(variable)
        .ok()
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| format!("~/.aws/{file}"));
    match (path.strip_prefix("~/"), env.get("HOME")) {
        (Some(rest), Ok(home)) => format!("{}/{rest}", home.trim_end_matches('/')),
        _ => path,
    }
}

#[cfg(test)]
mod tests;
