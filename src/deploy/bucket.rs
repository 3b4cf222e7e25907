//! The artifact bucket: used only when it is provably this stack's (tagged `demo:stack` with
//! exactly this stack's name, in the caller's account), created private, encrypted and tagged
//! when missing. Every call but CreateBucket passes `ExpectedBucketOwner`, so a bucket of the
//! same name in another account is never read, written or deleted.

mod create;
#[cfg(test)]
mod replay_tests;

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ServerSideEncryption, Tag};
use base64::Engine;

use super::DeployError;
use super::s3_answers::{code, present, status};
use crate::artifacts::Artifact;
use crate::model::{Parameter, ParameterValues};

/// The tag that marks a bucket as this tool's, naming the stack it serves (case and all).
pub(crate) const OWNER_TAG: &str = "demo:stack";

/// The S3 key of an artifact: function name and content hash, so a key never changes meaning.
pub(crate) fn artifact_key(artifact: &Artifact) -> String {
    format!(
        "{}/{}/{}.zip",
        artifact.function, artifact.arch, artifact.sha256
    )
}

/// S3's rules for a bucket name (3–63 lowercase letters, digits, dots and hyphens, starting and
/// ending with a letter or digit), checked before any call.
pub(crate) fn check_name(
    flag: &str,
    name: &str,
) -> Result<(), crate::model::template::ParameterError> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let valid = (3..=63).contains(&name.len())
        && chars_ok
        && edge_ok(name.chars().next())
        && edge_ok(name.chars().last())
        && !name.contains("..");
    if valid {
        return Ok(());
    }
    Err(crate::model::template::ParameterError {
        flag: flag.to_owned(),
        value: name.to_owned(),
        rule: "S3 bucket names are 3–63 lowercase letters, digits, dots and hyphens, starting \
               and ending with a letter or digit"
            .into(),
    })
}

/// The bucket to use: `--artifact-bucket`, else the one the stack's `deployed` parameters
/// record, else the tool's derived name. The flag says whether the user chose it (any name but
/// the derived one).
pub(crate) fn choose(
    flag: Option<&str>,
    deployed: Option<&BTreeMap<String, String>>,
    derived: &str,
) -> (String, bool) {
    let recorded = deployed.and_then(|p| p.value(Parameter::ArtifactBucket));
    let name = flag.or(recorded).unwrap_or(derived);
    (name.to_owned(), name != derived)
}

/// A bucket name and the account that must own it.
pub(crate) struct Bucket<'a> {
    pub(crate) s3: &'a aws_sdk_s3::Client,
    pub(crate) name: String,
    /// The caller's account (sts:GetCallerIdentity), sent as `ExpectedBucketOwner`.
    pub(crate) owner: String,
}

/// What the bucket of that name is, as far as this stack is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing {
    Missing,
    /// Tagged for exactly this stack.
    Ours,
    /// In the caller's account, without the tag.
    Untagged,
    /// Tagged for another stack (perhaps one whose name differs only in case).
    TaggedFor(String),
    /// Owned by another account, or not readable with these credentials.
    OtherAccount,
}

/// What an object already at an artifact's key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ObjectState {
    Absent,
    /// The same size and SHA-256 as the local zip (S3's own checksum of the stored bytes).
    Same,
    /// Something else; the text says what differs.
    Different(String),
}

/// Whether `up` may use the bucket; `Ok(true)` when it must be created first. `named` is true
/// when the user chose the bucket (`--artifact-bucket`, or recorded in the stack that way): an
/// untagged bucket of their own account is then theirs to use, though `down` never deletes it.
pub(crate) fn admit(
    standing: &Standing,
    bucket: &str,
    stack: &str,
    named: bool,
) -> Result<bool, DeployError> {
    let why = match standing {
        Standing::Missing => return Ok(true),
        Standing::Ours => return Ok(false),
        Standing::Untagged if named => return Ok(false),
        Standing::Untagged => {
            format!("it has no {OWNER_TAG} tag, so it was not made for stack {stack}")
        }
        Standing::TaggedFor(other) => format!(
            "its {OWNER_TAG} tag names stack {other:?}, not {stack:?} (stack names that differ \
             only in case share a bucket name)"
        ),
        Standing::OtherAccount => {
            "it belongs to another AWS account (or these credentials cannot read it)".to_owned()
        }
    };
    Err(DeployError::NotOurs(format!(
        "artifact bucket {bucket} already exists and {why}: refusing to upload to it; pass \
         --artifact-bucket NAME to use another bucket (a new name is created and tagged for \
         this stack)"
    )))
}

/// The standing a bucket's tags give it: its `OWNER_TAG` names this stack, another, or is absent.
fn standing_from_tags(tags: &[Tag], stack: &str) -> Standing {
    match tags.iter().find(|t| t.key() == OWNER_TAG) {
        Some(tag) if tag.value() == stack => Standing::Ours,
        Some(tag) => Standing::TaggedFor(tag.value().to_owned()),
        None => Standing::Untagged,
    }
}

/// Compares what HeadObject reported with the local zip.
pub(crate) fn compare(
    size: Option<i64>,
    checksum_sha256: Option<&str>,
    artifact: &Artifact,
) -> ObjectState {
    let expected = sha256_base64(&artifact.sha256);
    let size_ok = size.and_then(|s| u64::try_from(s).ok()) == Some(artifact.size);
    match checksum_sha256 {
        Some(found) if size_ok && found == expected => ObjectState::Same,
        Some(found) => ObjectState::Different(format!(
            "{} bytes with SHA-256 {found}, the local zip {} bytes with {expected}",
            size.unwrap_or_default(),
            artifact.size
        )),
        None => ObjectState::Different("no SHA-256 checksum stored with it".into()),
    }
}

/// The base64 form S3 uses for a SHA-256 given in hex.
fn sha256_base64(hex_digest: &str) -> String {
    let bytes = hex::decode(hex_digest).unwrap_or_default();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Bucket<'_> {
    pub(crate) async fn standing(&self, stack: &str) -> Result<Standing, DeployError> {
        let name = &self.name;
        let head = self
            .s3
            .head_bucket()
            .bucket(name)
            .expected_bucket_owner(&self.owner)
            .send()
            .await;
        if head.as_ref().err().and_then(status) == Some(403) {
            return Ok(Standing::OtherAccount);
        }
        if !present(head, || format!("check bucket {name}"))? {
            return Ok(Standing::Missing);
        }
        Ok(match self.tags().await? {
            Some(tags) => standing_from_tags(&tags, stack),
            None => Standing::OtherAccount,
        })
    }

    /// The bucket's tags (none: S3's NoSuchTagSet); `None` when S3 refuses to show them (403:
    /// another account's, or not readable with these credentials).
    async fn tags(&self) -> Result<Option<Vec<Tag>>, DeployError> {
        let name = &self.name;
        let answer = self
            .s3
            .get_bucket_tagging()
            .bucket(name)
            .expected_bucket_owner(&self.owner)
            .send()
            .await;
        match answer {
            Ok(tags) => Ok(Some(tags.tag_set)),
            Err(err) if code(&err) == Some("NoSuchTagSet") => Ok(Some(Vec::new())),
            Err(err) if status(&err) == Some(403) => Ok(None),
            Err(err) => Err(DeployError::aws(
                format!("read the tags of bucket {name}"),
                err,
            )),
        }
    }

    /// What is at `key` already: absent, the same bytes as `artifact`, or something else.
    pub(crate) async fn object(
        &self,
        key: &str,
        artifact: &Artifact,
    ) -> Result<ObjectState, DeployError> {
        let answer = self
            .s3
            .head_object()
            .bucket(&self.name)
            .key(key)
            .expected_bucket_owner(&self.owner)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await;
        let head = match answer {
            Ok(head) => head,
            Err(err) if status(&err) == Some(404) => return Ok(ObjectState::Absent),
            Err(err) => {
                return Err(DeployError::aws(
                    format!("check s3://{}/{key}", self.name),
                    err,
                ));
            }
        };
        Ok(compare(
            head.content_length(),
            head.checksum_sha256(),
            artifact,
        ))
    }

    /// Uploads with the zip's SHA-256, which S3 checks on arrival and keeps with the object.
    pub(crate) async fn upload(&self, key: &str, artifact: &Artifact) -> Result<(), DeployError> {
        let body =
            ByteStream::from_path(&artifact.path)
                .await
                .map_err(|err| DeployError::Local {
                    action: format!("read {}", artifact.path.display()),
                    detail: err.to_string(),
                })?;
        self.s3
            .put_object()
            .bucket(&self.name)
            .key(key)
            .expected_bucket_owner(&self.owner)
            .body(body)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(sha256_base64(&artifact.sha256))
            .metadata("sha256", &artifact.sha256)
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("upload s3://{}/{key}", self.name), err))?;
        Ok(())
    }

    /// Deletes every object version, then the bucket. The caller has checked it is ours.
    pub(crate) async fn empty_and_delete(&self) -> Result<(), DeployError> {
        let bucket = &self.name;
        for (key, version) in self.versions().await? {
            self.s3
                .delete_object()
                .bucket(bucket)
                .key(&key)
                .expected_bucket_owner(&self.owner)
                .set_version_id(version.filter(|v| v != "null"))
                .send()
                .await
                .map_err(|err| DeployError::aws(format!("delete s3://{bucket}/{key}"), err))?;
        }
        self.s3
            .delete_bucket()
            .bucket(bucket)
            .expected_bucket_owner(&self.owner)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("delete bucket {bucket}"), err))?;
        Ok(())
    }

    /// Every object version and delete marker, as (key, version id).
    async fn versions(&self) -> Result<Vec<(String, Option<String>)>, DeployError> {
        let bucket = &self.name;
        let mut all = Vec::new();
        let (mut key_marker, mut version_marker) = (None, None);
        loop {
            let page = self
                .s3
                .list_object_versions()
                .bucket(bucket)
                .expected_bucket_owner(&self.owner)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|err| DeployError::aws(format!("list s3://{bucket}"), err))?;
            let versions = page.versions().iter().map(|v| (v.key(), v.version_id()));
            let markers = page
                .delete_markers()
                .iter()
                .map(|m| (m.key(), m.version_id()));
            for (key, version) in versions.chain(markers) {
                all.push((
                    key.unwrap_or_default().to_owned(),
                    version.map(str::to_owned),
                ));
            }
            if page.is_truncated() != Some(true) {
                return Ok(all);
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            version_marker = page.next_version_id_marker().map(str::to_owned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::Arch;

    fn zip() -> Artifact {
        Artifact {
            function: "put-item".into(),
            arch: Arch::Arm64,
            path: "/nowhere/bootstrap.zip".into(),
            size: 11,
            // SHA-256 of "hello world".
            sha256: "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9".into(),
        }
    }

    #[test]
    fn only_this_stacks_exact_tag_admits_a_bucket_the_tool_named() {
        let bucket = "demo-artifacts-123456789012-ap-southeast-2";
        assert!(admit(&Standing::Missing, bucket, "Demo", false).unwrap());
        assert!(!admit(&Standing::Ours, bucket, "Demo", false).unwrap());
        for refused in [
            Standing::Untagged,
            Standing::TaggedFor("demo".into()),
            Standing::OtherAccount,
        ] {
            let err = admit(&refused, bucket, "Demo", false).unwrap_err();
            assert!(err.is_environment(), "{refused:?} must exit 2");
            let text = err.to_string();
            assert!(
                text.contains(bucket) && text.contains("--artifact-bucket NAME"),
                "{text}"
            );
        }
        let case = admit(&Standing::TaggedFor("demo".into()), bucket, "Demo", false)
            .unwrap_err()
            .to_string();
        assert!(
            case.contains("names stack \"demo\", not \"Demo\""),
            "{case}"
        );
    }

    #[test]
    fn the_flag_wins_then_the_stacks_record_then_the_derived_name() {
        let derived = "demo-artifacts-123456789012-ap-southeast-2";
        let recording =
            |name: &str| BTreeMap::from([("ArtifactBucket".to_owned(), name.to_owned())]);
        assert_eq!(choose(None, None, derived), (derived.to_owned(), false));
        assert_eq!(
            choose(None, Some(&BTreeMap::new()), derived),
            (derived.to_owned(), false)
        );
        assert_eq!(
            choose(None, Some(&recording(derived)), derived),
            (derived.to_owned(), false)
        );
        assert_eq!(
            choose(None, Some(&recording("mine")), derived),
            ("mine".to_owned(), true)
        );
        assert_eq!(
            choose(Some("new"), Some(&recording("mine")), derived),
            ("new".to_owned(), true)
        );
        assert!(check_name("--artifact-bucket", "my-bucket.1").is_ok());
        for bad in [
            "ab",
            "My-Bucket",
            "-bucket",
            "bucket-",
            "a..b",
            &"a".repeat(64),
        ] {
            let err = check_name("--artifact-bucket", bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("--artifact-bucket {bad} is not allowed")),
                "{err}"
            );
        }
    }

    #[test]
    fn a_bucket_the_user_named_may_be_untagged_but_not_another_stacks() {
        assert!(!admit(&Standing::Untagged, "mine", "demo", true).unwrap());
        assert!(admit(&Standing::TaggedFor("other".into()), "mine", "demo", true).is_err());
        assert!(admit(&Standing::OtherAccount, "mine", "demo", true).is_err());
    }

    #[test]
    fn an_object_is_trusted_only_with_the_same_size_and_sha256() {
        let artifact = zip();
        let right = "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=";
        assert_eq!(sha256_base64(&artifact.sha256), right);
        assert_eq!(compare(Some(11), Some(right), &artifact), ObjectState::Same);
        let planted = compare(Some(11), Some("AAAA"), &artifact);
        assert!(
            matches!(planted, ObjectState::Different(ref d) if d.contains("AAAA")),
            "{planted:?}"
        );
        assert!(matches!(
            compare(Some(12), Some(right), &artifact),
            ObjectState::Different(_)
        ));
        // Uploaded by something else, without a SHA-256: its bytes are unknown, so not trusted.
        assert!(matches!(
            compare(Some(11), None, &artifact),
            ObjectState::Different(_)
        ));
    }
}
