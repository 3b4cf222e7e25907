use super::*;

const CONFIG: &str = r#"
[default]
region = ap-southeast-2

[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile old]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[profile ci]
credential_process = /opt/bin/creds --secret-arg s3cr3t

[profile deploy]
role_arn = arn:aws:iam::111122223333:role/Deploy
source_profile = dev

[profile ops]
role_arn = arn:aws:iam::111122223333:role/Ops
credential_source = Ec2InstanceMetadata

[profile pod]
role_arn = arn:aws:iam::111122223333:role/Pod
web_identity_token_file = /var/run/token

[profile console]
login_session = arn:aws:iam::111122223333:user/admin

[profile regional]
region = eu-west-1
"#;

const CREDENTIALS: &str =
    "[keys]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s3cr3t\n";

async fn profiles(env: &[(&str, &str)], chosen: Option<&str>) -> Profiles {
    let fs = Fs::from_slice(&[
        ("/home/u/.aws/config", CONFIG),
        ("/home/u/.aws/credentials", CREDENTIALS),
    ]);
    let mut vars = vec![("HOME", "/home/u")];
    vars.extend_from_slice(env);
    Profiles::load_from(&fs, &Env::from_slice(&vars), chosen)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_profile_in_use_is_the_flag_then_aws_profile_then_default() {
    assert_eq!(profiles(&[], None).await.in_use(), "default");
    assert_eq!(
        profiles(&[("AWS_PROFILE", "ci")], None).await.in_use(),
        "ci"
    );
    assert_eq!(
        profiles(&[("AWS_PROFILE", "ci")], Some("dev"))
            .await
            .in_use(),
        "dev"
    );
}

#[tokio::test]
async fn each_profile_says_how_it_signs_in() {
    let profiles = profiles(&[], None).await;
    let method = |name| profiles.method(name).unwrap().to_string();
    assert_eq!(method("dev"), "IAM Identity Center (sso_session corp)");
    assert_eq!(
        method("old"),
        "IAM Identity Center (sso_start_url https://old.awsapps.com/start)"
    );
    assert_eq!(method("ci"), "credential_process");
    assert_eq!(method("deploy"), "role_arn via source_profile dev");
    assert_eq!(
        method("ops"),
        "role_arn via credential_source Ec2InstanceMetadata"
    );
    assert_eq!(method("pod"), "web identity (web_identity_token_file)");
    assert_eq!(method("console"), "aws login (console session)");
    assert_eq!(method("keys"), "access keys (aws_access_key_id)");
    assert_eq!(method("regional"), "no credentials in the profile");
    assert_eq!(profiles.method("nope"), None);
    // The command's arguments (which may hold a secret) are not part of the label.
    assert!(!method("ci").contains("s3cr3t"));
}

#[tokio::test]
async fn both_files_are_read_and_listed() {
    let names = profiles(&[], None).await.names().join(",");
    assert_eq!(
        names,
        "ci,console,default,deploy,dev,keys,old,ops,pod,regional"
    );
}

#[tokio::test]
async fn an_unknown_profile_is_named_with_the_profiles_found_and_the_files() {
    let err = profiles(&[("AWS_PROFILE", "prod")], None)
        .await
        .check_in_use_exists()
        .unwrap_err();
    assert!(err.is_environment());
    let text = err.to_string();
    assert!(
        text.starts_with(
            "AWS profile `prod` is not in /home/u/.aws/config or /home/u/.aws/credentials"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "(profiles found: ci, console, default, deploy, dev, keys, old, ops, pod, regional)"
        ),
        "{text}"
    );
    assert!(
        text.contains("`aws configure sso --profile prod`"),
        "{text}"
    );

    for known in [Some("dev"), Some("keys"), None] {
        profiles(&[], known).await.check_in_use_exists().unwrap();
    }
}

#[tokio::test]
async fn an_absent_default_profile_is_not_an_error() {
    let fs = Fs::from_slice(&[(
        "/home/u/.aws/config",
        "[profile only]\nregion = eu-west-1\n",
    )]);
    let env = Env::from_slice(&[("HOME", "/home/u")]);
    let profiles = Profiles::load_from(&fs, &env, None).await.unwrap();
    profiles.check_in_use_exists().unwrap();
    let env = Env::from_slice(&[("HOME", "/home/u")]);
    let missing = Profiles::load_from(&Fs::from_slice(&[]), &env, Some("x"))
        .await
        .unwrap()
        .check_in_use_exists()
        .unwrap_err()
        .to_string();
    assert!(missing.contains("(profiles found: none)"), "{missing}");
}

#[tokio::test]
async fn the_files_named_are_those_the_environment_points_at() {
    let fs = Fs::from_slice(&[
        ("/etc/aws/config", "[profile a]\nregion = eu-west-1\n"),
        ("/home/u/creds", "[b]\naws_access_key_id = x\n"),
    ]);
    let env = Env::from_slice(&[
        ("HOME", "/home/u"),
        ("AWS_CONFIG_FILE", "/etc/aws/config"),
        ("AWS_SHARED_CREDENTIALS_FILE", "~/creds"),
    ]);
    let text = Profiles::load_from(&fs, &env, Some("c"))
        .await
        .unwrap()
        .check_in_use_exists()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("is not in /etc/aws/config or /home/u/creds (profiles found: a, b)"),
        "{text}"
    );
}

#[tokio::test]
async fn sso_login_names_the_profile_that_holds_the_sso_settings() {
    assert_eq!(profiles(&[], Some("dev")).await.sso_login_profile(), "dev");
    assert_eq!(profiles(&[], Some("old")).await.sso_login_profile(), "old");
    assert_eq!(
        profiles(&[], Some("deploy")).await.sso_login_profile(),
        "dev"
    );
    assert_eq!(profiles(&[], Some("ci")).await.sso_login_profile(), "ci");
}

#[tokio::test]
async fn a_source_profile_loop_ends() {
    let config = "[profile a]\nrole_arn = r\nsource_profile = b\n\
                  [profile b]\nrole_arn = r\nsource_profile = a\n";
    let fs = Fs::from_slice(&[("/home/u/.aws/config", config)]);
    let env = Env::from_slice(&[("HOME", "/home/u")]);
    let profiles = Profiles::load_from(&fs, &env, Some("a")).await.unwrap();
    assert_eq!(profiles.sso_login_profile(), "a");
}

#[tokio::test]
async fn a_broken_config_file_is_named() {
    let fs = Fs::from_slice(&[("/home/u/.aws/config", "[profile a\nregion = x\n")]);
    let env = Env::from_slice(&[("HOME", "/home/u")]);
    let err = Profiles::load_from(&fs, &env, None).await.unwrap_err();
    assert!(err.is_environment());
    let text = err.to_string();
    assert!(text.contains("/home/u/.aws/config"), "{text}");
}
