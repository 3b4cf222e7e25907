//! Reading S3's error answers: a HEAD has no body, so its status code is all S3 says.

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::DeployError;

/// The HTTP status of an error answer, if one arrived.
pub(crate) fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

/// The error code S3 sent, if any.
pub(crate) fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    err.code()
}

/// Present or absent from a HEAD answer; any other failure is an error on `action`.
pub(crate) fn present<T, E>(
    answer: Result<T, SdkError<E, HttpResponse>>,
    action: impl FnOnce() -> String,
) -> Result<bool, DeployError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(_) => Ok(true),
        Err(err) if status(&err) == Some(404) => Ok(false),
        Err(err) => Err(DeployError::aws(action(), err)),
    }
}
