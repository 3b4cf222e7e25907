//! Creating the artifact bucket, then locking it down (public access blocked, encrypted, tagged
//! for the stack), and never doing that to a bucket this run did not create.
//!
//! CreateBucket on a bucket the account already owns answers `BucketAlreadyOwnedByYou` in every
//! region but us-east-1, where, "for legacy compatibility", it answers 200 OK (and resets the
//! bucket's ACLs): see S3's CreateBucket API reference and the `BucketAlreadyOwnedByYou` error
//! it documents. So in us-east-1 a 200 does not prove the bucket is new: `up` reads its standing
//! again (`judge_new`) before it tags and locks it down.

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging,
};

use super::{Bucket, Standing, admit, standing_from_tags};
use crate::deploy::DeployError;
use crate::deploy::s3_answers::code;

/// The region where S3 answers 200 to a CreateBucket of a bucket the caller already owns.
const LEGACY_CREATE_REGION: &str = "us-east-1";

/// What CreateBucket did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Created {
    /// Made by this call.
    New,
    /// It was there already: its standing, for `admit` to judge.
    Existing(Standing),
}

/// Whether a bucket S3 answered 200 for in us-east-1 was made by that call. A bucket made a
/// moment ago has no tags and holds no object (nor an old version or delete marker); one with
/// either was there before, and is judged by its standing like any existing bucket. `tags` is
/// `None` when S3 would not show them (another account's).
///
/// What this cannot tell apart: a bucket someone else in the same account created, empty and
/// untagged, in the instant between this run's HeadBucket and its CreateBucket. Such a bucket
/// holds nothing of theirs yet, and gets this stack's tag and lock-down.
pub(crate) fn judge_new(
    tags: Option<&[Tag]>,
    holds_objects: bool,
    stack: &str,
) -> Option<Standing> {
    match tags {
        None => Some(Standing::OtherAccount),
        Some([]) if !holds_objects => None,
        Some(tags) => Some(standing_from_tags(tags, stack)),
    }
}

impl Bucket<'_> {
    /// Checks the bucket may be used and creates it if missing. Returns whether it was created.
    pub(crate) async fn ensure(
        &self,
        region: &str,
        stack: &str,
        named: bool,
    ) -> Result<bool, DeployError> {
        if !admit(&self.standing(stack).await?, &self.name, stack, named)? {
            return Ok(false);
        }
        match self.create(region, stack).await? {
            Created::New => {}
            // Created since the check (a concurrent `up`?): used only if `admit` says so, and
            // then as it is: this run did not make it, so it does not tag or lock it down.
            Created::Existing(standing) => {
                admit(&standing, &self.name, stack, named)?;
                return Ok(false);
            }
        }
        self.lock_down(stack).await?;
        Ok(true)
    }

    async fn create(&self, region: &str, stack: &str) -> Result<Created, DeployError> {
        let mut create = self.s3.create_bucket().bucket(&self.name);
        if region != LEGACY_CREATE_REGION {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) if region == LEGACY_CREATE_REGION => Ok(match self.was_there(stack).await? {
                Some(standing) => Created::Existing(standing),
                None => Created::New,
            }),
            Ok(_) => Ok(Created::New),
            Err(err) if code(&err) == Some("BucketAlreadyOwnedByYou") => {
                Ok(Created::Existing(self.standing(stack).await?))
            }
            Err(err) if code(&err) == Some("BucketAlreadyExists") => {
                Ok(Created::Existing(Standing::OtherAccount))
            }
            Err(err) => Err(DeployError::aws(
                format!("create bucket {}", self.name),
                err,
            )),
        }
    }

    /// After a 200 in us-east-1: the bucket's standing if it was there before (see `judge_new`).
    async fn was_there(&self, stack: &str) -> Result<Option<Standing>, DeployError> {
        let tags = self.tags().await?;
        let holds_objects = self.holds_objects().await?;
        Ok(judge_new(tags.as_deref(), holds_objects, stack))
    }

    /// Whether it holds any object version or delete marker.
    async fn holds_objects(&self) -> Result<bool, DeployError> {
        let bucket = &self.name;
        let page = self
            .s3
            .list_object_versions()
            .bucket(bucket)
            .expected_bucket_owner(&self.owner)
            .max_keys(1)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("list s3://{bucket}"), err))?;
        Ok(!page.versions().is_empty() || !page.delete_markers().is_empty())
    }

    async fn lock_down(&self, stack: &str) -> Result<(), DeployError> {
        let bucket = &self.name;
        let block_all = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        self.s3
            .put_public_access_block()
            .bucket(bucket)
            .expected_bucket_owner(&self.owner)
            .public_access_block_configuration(block_all)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("block public access on {bucket}"), err))?;
        self.encrypt().await?;
        let tag = Tag::builder()
            .key(super::OWNER_TAG)
            .value(stack)
            .build()
            .expect("key and value set");
        self.s3
            .put_bucket_tagging()
            .bucket(bucket)
            .expected_bucket_owner(&self.owner)
            .tagging(Tagging::builder().tag_set(tag).build().expect("tags set"))
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("tag {bucket}"), err))?;
        Ok(())
    }

    async fn encrypt(&self) -> Result<(), DeployError> {
        let bucket = &self.name;
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::Aes256)
            .build()
            .expect("algorithm set");
        let rule = ServerSideEncryptionRule::builder()
            .apply_server_side_encryption_by_default(by_default)
            .build();
        let encryption = ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build()
            .expect("rules set");
        self.s3
            .put_bucket_encryption()
            .bucket(bucket)
            .expected_bucket_owner(&self.owner)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(|err| DeployError::aws(format!("encrypt {bucket}"), err))?;
        Ok(())
    }
}
