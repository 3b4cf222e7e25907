//! A host that keeps to the code deployed: when the emulator's function reports another
//! `CodeSha256` than the zip the host runs (`demo watch --local` or `demo up --local` while the
//! runner runs), the new zip — content-addressed beside the old one in the stack's bucket, as
//! `up` and `watch` upload it — is read back, checked against that `CodeSha256`, and run from
//! the next invocation on; invocations in flight finish on the old processes.

use std::sync::Arc;

use base64::Engine;

use super::code::{self, Binary, DeployedZip};
use super::{FunctionHost, HostError, lock};
use crate::aws::AwsError;

/// What a host needs to notice and fetch new code: the clients, and where its zip is.
pub(super) struct Following {
    pub(crate) lambda: aws_sdk_lambda::Client,
    pub(crate) s3: aws_sdk_s3::Client,
    pub(crate) bucket: String,
    /// The key of the zip now running (`<function>/<arch>/<hex sha256>.zip`).
    pub(crate) key: String,
    /// Its `CodeSha256` (base64), as Lambda reports it.
    pub(crate) code_sha256: String,
    /// A `CodeSha256` whose zip could not be run: not tried again.
    pub(crate) refused: Option<String>,
    /// The directories the newer bootstraps are unpacked in; removed with the host.
    pub(crate) dirs: Vec<tempfile::TempDir>,
}

impl FunctionHost {
    /// Runs the function's deployed code from the next invocation on, if it changed since the
    /// host started or last looked; the binary now run, or None when nothing changed (or the
    /// host runs a binary it was given by path). A zip that cannot be run is reported once and
    /// the running code kept.
    pub(crate) async fn follow_deployed(&self) -> Result<Option<Arc<Binary>>, HostError> {
        let Some(following) = &self.inner.following else {
            return Ok(None);
        };
        let name = self.inner.spec.name.clone();
        let (lambda, s3, bucket, key, running, refused) = {
            let f = lock(following);
            let refused = f.refused.clone();
            (
                f.lambda.clone(),
                f.s3.clone(),
                f.bucket.clone(),
                f.key.clone(),
                f.code_sha256.clone(),
                refused,
            )
        };
        let config = (lambda.get_function_configuration())
            .function_name(&name)
            .send()
            .await
            .map_err(|err| AwsError::from_sdk(format!("read the configuration of {name}"), err))?;
        let deployed = config.code_sha256().unwrap_or_default().to_owned();
        if deployed.is_empty() || deployed == running || refused.as_deref() == Some(&deployed) {
            return Ok(None);
        }
        let binary = {
            let fetched = self.fetch(&s3, &bucket, &key, &deployed).await;
            let mut f = lock(following);
            match fetched {
                Ok((binary, new_key, dir)) => {
                    f.key = new_key;
                    f.code_sha256 = deployed;
                    f.dirs.push(dir);
                    binary
                }
                Err(err) => {
                    f.refused = Some(deployed);
                    return Err(err);
                }
            }
        };
        Ok(Some(self.swap_binary(binary).await))
    }

    /// Reads the zip with `code_sha256` from beside `key` and unpacks its bootstrap.
    async fn fetch(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        key: &str,
        code_sha256: &str,
    ) -> Result<(Binary, String, tempfile::TempDir), HostError> {
        let function = &self.inner.spec.name;
        let failed = |detail: String| HostError::Code {
            function: function.clone(),
            detail,
        };
        let new_key = sibling_key(key, code_sha256).map_err(|err| failed(err.to_string()))?;
        let dir = tempfile::Builder::new()
            .prefix("demo-function-")
            .tempdir()
            .map_err(|err| failed(format!("no directory to unpack its new code into: {err}")))?;
        let zip = DeployedZip {
            function,
            bucket,
            key: &new_key,
            code_sha256,
        };
        let binary = code::fetch_deployed(s3, &zip, dir.path()).await?;
        Ok((binary, new_key, dir))
    }
}

/// A `CodeSha256` that cannot name a zip.
#[derive(Debug, thiserror::Error)]
#[error("its CodeSha256 {code_sha256} is not base64: {err}")]
struct NotBase64 {
    code_sha256: String,
    err: base64::DecodeError,
}

/// The content-addressed key of the zip with `code_sha256` (base64, as Lambda reports it) in
/// the folder of `key`.
fn sibling_key(key: &str, code_sha256: &str) -> Result<String, NotBase64> {
    let digest = base64::engine::general_purpose::STANDARD
        .decode(code_sha256)
        .map_err(|err| NotBase64 {
            code_sha256: code_sha256.to_owned(),
            err,
        })?;
    let hex = hex::encode(digest);
    let folder = key.rsplit_once('/').map_or("", |(folder, _)| folder);
    Ok(match folder {
        "" => format!("{hex}.zip"),
        folder => format!("{folder}/{hex}.zip"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_zip_is_named_by_its_sha256_beside_the_old_one() {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(b"zip");
        let base64 = base64::engine::general_purpose::STANDARD.encode(digest);
        let hex = hex::encode(digest);
        assert_eq!(
            sibling_key("put-item/arm64/00ff.zip", &base64).unwrap(),
            format!("put-item/arm64/{hex}.zip")
        );
        assert_eq!(
            sibling_key("old.zip", &base64).unwrap(),
            format!("{hex}.zip")
        );
        assert!(
            sibling_key("a/b.zip", "not base64!")
                .unwrap_err()
                .to_string()
                .contains("not base64")
        );
    }
}
