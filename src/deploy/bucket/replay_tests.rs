//! The artifact bucket's create path over S3's answers as they come over the wire (REST-XML,
//! with S3's `x-amz-request-id` and `x-amz-id-2`): in us-east-1 a 200 to CreateBucket is not
//! proof that the bucket is new, so a bucket that turns out to be another stack's, or to hold
//! objects, is refused without being tagged or locked down; a new one is.

use aws_sdk_s3::config::http::HttpResponse;
use aws_smithy_mocks::{Rule, mock};

use super::*;
use crate::aws::replay::{self, interceptor};

const BUCKET: &str = "demo-artifacts-123456789012-us-east-1";
const ACCOUNT: &str = "123456789012";
const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// An S3 answer: the status, XML (or nothing) and S3's two request ids.
fn s3_answer(status: u16, body: &str) -> HttpResponse {
    let mut response = replay::answer(status, "application/xml", body);
    let headers = response.headers_mut();
    headers.insert("x-amz-request-id", "4B3A2C1D0E9F8A7B");
    headers.insert(
        "x-amz-id-2",
        "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVk",
    );
    response
}

fn s3_error(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}\
         </Message><BucketName>{BUCKET}</BucketName><RequestId>4B3A2C1D0E9F8A7B</RequestId>\
         <HostId>Zm9vYmFy</HostId></Error>"
    );
    s3_answer(status, &body)
}

/// GetBucketTagging: the tag set, or S3's NoSuchTagSet for a bucket without tags.
fn tagging(tags: &[(&str, &str)]) -> HttpResponse {
    if tags.is_empty() {
        return s3_error(404, "NoSuchTagSet", "The TagSet does not exist");
    }
    let tags: String = (tags.iter())
        .map(|(key, value)| format!("<Tag><Key>{key}</Key><Value>{value}</Value></Tag>"))
        .collect();
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Tagging xmlns=\"{XMLNS}\"><TagSet>{tags}\
         </TagSet></Tagging>"
    );
    s3_answer(200, &body)
}

/// ListObjectVersions with max-keys 1: one object's version, or none.
fn versions(holds_one: bool) -> HttpResponse {
    let version = "<Version><Key>put-item/arm64/9f86d081884c7d65.zip</Key><VersionId>null\
        </VersionId><IsLatest>true</IsLatest><LastModified>2026-11-20T03:14:15.000Z\
        </LastModified><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>2571234\
        </Size><StorageClass>STANDARD</StorageClass></Version>";
    let (truncated, listed) = if holds_one {
        ("true", version)
    } else {
        ("false", "")
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult xmlns=\"{XMLNS}\">\
         <Name>{BUCKET}</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker>\
         </VersionIdMarker><MaxKeys>1</MaxKeys><IsTruncated>{truncated}</IsTruncated>{listed}\
         </ListVersionsResult>"
    );
    s3_answer(200, &body)
}

/// The calls that would tag and lock the bucket down, to count.
struct LockDown {
    block: Rule,
    encrypt: Rule,
    tag: Rule,
}

impl LockDown {
    fn new() -> LockDown {
        LockDown {
            block: mock!(aws_sdk_s3::Client::put_public_access_block)
                .then_http_response(|| s3_answer(200, "")),
            encrypt: mock!(aws_sdk_s3::Client::put_bucket_encryption)
                .then_http_response(|| s3_answer(200, "")),
            tag: mock!(aws_sdk_s3::Client::put_bucket_tagging)
                .match_requests(|input| {
                    let tags = input.tagging().map(|t| t.tag_set()).unwrap_or_default();
                    tags.len() == 1 && tags[0].key() == OWNER_TAG && tags[0].value() == "demo"
                })
                .then_http_response(|| s3_answer(204, "")),
        }
    }

    fn calls(&self) -> [usize; 3] {
        [&self.block, &self.encrypt, &self.tag].map(Rule::num_calls)
    }
}

/// `up` in us-east-1 for stack "demo": HeadBucket finds nothing, then CreateBucket answers 200
/// (as S3 does there for a bucket the account already owns, too), and the bucket's tags and
/// objects are as given.
async fn ensure_after_a_200(
    tags: &[(&str, &str)],
    holds_objects: bool,
) -> (Result<bool, DeployError>, LockDown) {
    let tags: Vec<(String, String)> = (tags.iter())
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lock_down = LockDown::new();
    let rules = [
        mock!(aws_sdk_s3::Client::head_bucket).then_http_response(|| s3_answer(404, "")),
        mock!(aws_sdk_s3::Client::create_bucket).then_http_response(|| {
            let mut created = s3_answer(200, "");
            created
                .headers_mut()
                .insert("Location", "/demo-artifacts-123456789012-us-east-1");
            created
        }),
        mock!(aws_sdk_s3::Client::get_bucket_tagging).then_http_response(move || {
            let pairs: Vec<(&str, &str)> =
                tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            tagging(&pairs)
        }),
        mock!(aws_sdk_s3::Client::list_object_versions)
            .then_http_response(move || versions(holds_objects)),
        lock_down.block.clone(),
        lock_down.encrypt.clone(),
        lock_down.tag.clone(),
    ];
    let rules: Vec<&Rule> = rules.iter().collect();
    let config = aws_sdk_s3::config::Builder::from(&replay::sdk_config("us-east-1"))
        .interceptor(interceptor(&rules))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    let bucket = Bucket {
        s3: &s3,
        name: BUCKET.into(),
        owner: ACCOUNT.into(),
    };
    (bucket.ensure("us-east-1", "demo", false).await, lock_down)
}

#[tokio::test]
async fn a_200_for_another_stacks_bucket_is_refused_and_nothing_is_tagged() {
    let (outcome, lock_down) = ensure_after_a_200(&[(OWNER_TAG, "other")], true).await;
    let err = outcome.unwrap_err();
    assert!(
        err.is_environment(),
        "refused like any bucket not ours: {err}"
    );
    let text = err.to_string();
    assert!(
        text.contains(BUCKET) && text.contains("names stack \"other\""),
        "{text}"
    );
    assert!(text.contains("--artifact-bucket NAME"), "{text}");
    assert_eq!(lock_down.calls(), [0, 0, 0]);
}

#[tokio::test]
async fn a_200_for_an_untagged_bucket_holding_objects_is_refused_and_nothing_is_tagged() {
    let (outcome, lock_down) = ensure_after_a_200(&[], true).await;
    let text = outcome.unwrap_err().to_string();
    assert!(
        text.contains(BUCKET) && text.contains("no demo:stack tag"),
        "{text}"
    );
    assert_eq!(lock_down.calls(), [0, 0, 0]);
}

#[tokio::test]
async fn a_200_for_a_bucket_with_other_tags_is_refused_though_empty() {
    let (outcome, lock_down) = ensure_after_a_200(&[("team", "data")], false).await;
    assert!(
        outcome
            .unwrap_err()
            .to_string()
            .contains("--artifact-bucket NAME")
    );
    assert_eq!(lock_down.calls(), [0, 0, 0]);
}

#[tokio::test]
async fn a_200_for_this_stacks_bucket_uses_it_as_it_is() {
    // A concurrent `up` of the same stack made and tagged it since this run looked.
    let (outcome, lock_down) = ensure_after_a_200(&[(OWNER_TAG, "demo")], true).await;
    assert!(!outcome.unwrap(), "not created by this run");
    assert_eq!(lock_down.calls(), [0, 0, 0]);
}

#[tokio::test]
async fn a_new_bucket_is_locked_down_and_tagged_for_the_stack() {
    let (outcome, lock_down) = ensure_after_a_200(&[], false).await;
    assert!(outcome.unwrap(), "created by this run");
    assert_eq!(lock_down.calls(), [1, 1, 1]);
}

#[test]
fn only_an_empty_untagged_bucket_counts_as_new() {
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build().unwrap();
    assert_eq!(create::judge_new(Some(&[]), false, "demo"), None);
    assert_eq!(
        create::judge_new(Some(&[]), true, "demo"),
        Some(Standing::Untagged)
    );
    assert_eq!(
        create::judge_new(Some(&[tag(OWNER_TAG, "other")]), false, "demo"),
        Some(Standing::TaggedFor("other".into()))
    );
    assert_eq!(
        create::judge_new(Some(&[tag(OWNER_TAG, "demo")]), false, "demo"),
        Some(Standing::Ours)
    );
    assert_eq!(
        create::judge_new(None, false, "demo"),
        Some(Standing::OtherAccount)
    );
}
