//! The artifact bucket `up` owns: private, encrypted, public access blocked; zips are stored
//! under content-addressed keys and uploaded only when the key is absent.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging,
};

use super::DeployError;
use crate::artifacts::Artifact;

/// The tag that marks a bucket as this tool's, naming the stack it serves.
pub const OWNER_TAG: &str = "demo:stack";

/// The S3 key of an artifact: function name and content hash, so a key never changes meaning.
pub fn artifact_key(artifact: &Artifact) -> String {
    format!(
        "{}/{}/{}.zip",
        artifact.function, artifact.arch, artifact.sha256
    )
}

pub async fn exists(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, DeployError> {
    let answer = s3.head_bucket().bucket(bucket).send().await;
    present(answer, || format!("check bucket {bucket}"))
}

/// Present or absent from a HEAD answer: a HEAD has no body, so a 404 is all S3 says.
fn present<T, E>(
    answer: Result<T, SdkError<E, HttpResponse>>,
    action: impl FnOnce() -> String,
) -> Result<bool, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(_) => Ok(true),
        Err(err)
            if err
                .raw_response()
                .is_some_and(|r| r.status().as_u16() == 404) =>
        {
            Ok(false)
        }
        Err(err) => Err(DeployError::aws(action(), err)),
    }
}

/// Creates the bucket if it is missing, locked down. Returns whether it was created.
pub async fn ensure(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    region: &str,
    stack: &str,
) -> Result<bool, DeployError> {
    if exists(s3, bucket).await? {
        return Ok(false);
    }
    let mut create = s3.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        create = create.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match create.send().await {
        Ok(_) => {}
        // A concurrent or interrupted `up` created it first: it is ours all the same.
        Err(err) if err.code() == Some("BucketAlreadyOwnedByYou") => {}
        Err(err) => return Err(DeployError::aws(format!("create bucket {bucket}"), err)),
    }
    lock_down(s3, bucket, stack).await?;
    Ok(true)
}

async fn lock_down(s3: &aws_sdk_s3::Client, bucket: &str, stack: &str) -> Result<(), DeployError> {
    let block_all = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(block_all)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("block public access on {bucket}"), err))?;
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256)
                        .build()
                        .expect("algorithm set"),
                )
                .build(),
        )
        .build()
        .expect("rules set");
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("encrypt {bucket}"), err))?;
    let tag = Tag::builder()
        .key(OWNER_TAG)
        .value(stack)
        .build()
        .expect("key and value set");
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(Tagging::builder().tag_set(tag).build().expect("tags set"))
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("tag {bucket}"), err))?;
    Ok(())
}

/// Whether the object is already there (a content-addressed key never needs re-uploading).
pub async fn has_object(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<bool, DeployError> {
    let answer = s3.head_object().bucket(bucket).key(key).send().await;
    present(answer, || format!("check s3://{bucket}/{key}"))
}

pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    artifact: &Artifact,
) -> Result<(), DeployError> {
    let body = ByteStream::from_path(&artifact.path)
        .await
        .map_err(|err| DeployError::Local {
            action: format!("read {}", artifact.path.display()),
            detail: err.to_string(),
        })?;
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body)
        .server_side_encryption(ServerSideEncryption::Aes256)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("upload s3://{bucket}/{key}"), err))?;
    Ok(())
}

/// Deletes every object version, then the bucket. Missing bucket ⇒ Ok(false).
pub async fn empty_and_delete(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<bool, DeployError> {
    if !exists(s3, bucket).await? {
        return Ok(false);
    }
    let mut doomed = Vec::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
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
            doomed.push((
                key.unwrap_or_default().to_owned(),
                version.map(str::to_owned),
            ));
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    for (key, version) in doomed {
        s3.delete_object()
            .bucket(bucket)
            .key(&key)
            .set_version_id(version.filter(|v| v != "null"))
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("delete s3://{bucket}/{key}"), err))?;
    }
    s3.delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|err| DeployError::aws(format!("delete bucket {bucket}"), err))?;
    Ok(true)
}
