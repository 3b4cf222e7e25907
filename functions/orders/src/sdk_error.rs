//! One short line for a failed AWS SDK call, for the functions' logs and failure reasons:
//! `Code: message` for a service error, the kind of failure and its causes otherwise
//! (`TimeoutError: operation timeout … occurred after 5s`). Never the SDK's debug dump, and
//! never long: a proxy's HTML error page must not fill the log.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Longest line [`describe`] returns (a `…` marks a cut).
pub const MAX_DESCRIBED_CHARS: usize = 300;

/// `err` in one short line.
pub fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: fmt::Debug,
{
    let line = match err {
        SdkError::ServiceError(service) => match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_owned(),
            _ => service.err().to_string(),
        },
        SdkError::ConstructionFailure(_) => format!("ConstructionFailure: {}", causes(err)),
        SdkError::TimeoutError(_) => format!("TimeoutError: {}", causes(err)),
        SdkError::DispatchFailure(_) => format!("DispatchFailure: {}", causes(err)),
        SdkError::ResponseError(_) => format!("ResponseError: {}", causes(err)),
        _ => format!("SdkError: {}", causes(err)),
    };
    one_line(&line)
}

/// The Display of every error in the source chain below `err`, joined by `: `.
fn causes(err: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut source = err.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

/// `text` on one line, at most [`MAX_DESCRIBED_CHARS`] characters.
fn one_line(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(MAX_DESCRIBED_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}
