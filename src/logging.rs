//! Tracing on stderr that never shows a credential, session token or signature, at any
//! verbosity and whatever RUST_LOG says.
//!
//! Two guards, because either alone depends on what a future SDK release chooses to log:
//! events of the SigV4 signer below INFO (its canonical request holds `x-amz-security-token` in
//! clear) are dropped by a filter RUST_LOG cannot widen, and every line written is scrubbed of
//! the values of credential-like fields and of the credentials found in the environment.

use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

use tracing::Metadata;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

use crate::terminal::{self, Verbosity};

/// What replaces a secret.
const REDACTED: &str = "<redacted>";

/// Field names whose value is a secret (compared case-insensitively), each followed in the
/// output by a separator (`:`, `=`, `>`, `"`) and then the value.
const SECRET_FIELDS: [&str; 18] = [
    "x-amz-security-token",
    "x-amz-signature",
    "signature",
    // S3's SignatureDoesNotMatch body: `<SignatureProvided>…<`.
    "signatureprovided",
    "credential",
    "sessiontoken",
    "session_token",
    "secretaccesskey",
    "secret_access_key",
    "accesskeyid",
    "access_key_id",
    // IAM Identity Center: the portal request's bearer header (its trace shows the headers),
    // and the token cache's and SSO OIDC's `accessToken`, `refreshToken`, `clientSecret`.
    "x-amz-sso_bearer_token",
    "accesstoken",
    "access_token",
    "refreshtoken",
    "refresh_token",
    "clientsecret",
    "client_secret",
];

/// Environment variables holding credentials whose values must never be printed.
const SECRET_VARIABLES: [&str; 3] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// Installs the subscriber: RUST_LOG when set, else the level `verbosity` gives.
pub(crate) fn init(verbosity: Verbosity) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(log_filter(verbosity)));
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(Scrubbed::stderr())
        // Colours only for a person: escapes in a log file or a pipe are noise.
        .with_ansi(io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .with_filter(filter_fn(|meta| !from_signer(meta)));
    tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .init();
}

/// The signer's debug and trace events: canonical requests, strings to sign, signing keys.
fn from_signer(meta: &Metadata<'_>) -> bool {
    meta.target().starts_with("aws_sigv4") && *meta.level() > tracing::Level::INFO
}

/// The default tracing filter for this level (RUST_LOG, when set, wins). The tool speaks at
/// its level; the AWS SDK's own chatter (a credential provider that did not apply, say) is
/// shown only from -v on, since the tool reports every failure that matters itself.
fn log_filter(verbosity: Verbosity) -> String {
    let level = match verbosity.0 {
        i8::MIN..=-2 => "error",
        -1 => "warn",
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    if verbosity.0 >= 1 {
        level.to_owned()
    } else {
        // The consumer's write path, run in-process by `failures --redrive`, logs a line per
        // call: its warnings are worth seeing, the rest only from -v on.
        format!("{level},aws_config=error,aws_smithy_runtime=error,aws_runtime=error,put_item=warn")
    }
}

/// Makes writers to stderr that scrub each event (the fmt layer writes one event per call).
#[derive(Clone)]
struct Scrubbed {
    known: Arc<Vec<String>>,
}

impl Scrubbed {
    fn stderr() -> Self {
        Scrubbed {
            known: Arc::new(known_secrets()),
        }
    }
}

/// The credentials in the environment, long enough to be told apart from ordinary words.
fn known_secrets() -> Vec<String> {
    SECRET_VARIABLES
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .filter(|value| value.len() >= 8)
        .collect()
}

/// `text` scrubbed as log lines are: for what is printed outside tracing (the final error).
pub(crate) fn scrub(text: &str) -> String {
    redact(text, &known_secrets())
}

impl<'a> MakeWriter<'a> for Scrubbed {
    type Writer = ScrubbedWriter;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedWriter {
            known: Arc::clone(&self.known),
        }
    }
}

struct ScrubbedWriter {
    known: Arc<Vec<String>>,
}

impl Write for ScrubbedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = redact(&text, &self.known);
        terminal::write(&mut |stderr| stderr.write_all(clean.as_bytes()));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// `text` with the values of secret fields and every `known` secret replaced by `<redacted>`.
fn redact(text: &str, known: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in known {
        out = out.replace(secret.as_str(), REDACTED);
    }
    for field in SECRET_FIELDS {
        out = redact_field(&out, field);
    }
    out
}

/// Replaces the value after each `field` + separator, e.g. `x-amz-security-token:abc`,
/// `"SessionToken": "abc"`, `<SessionToken>abc<`, `Signature=abc,`.
fn redact_field(text: &str, field: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(field) {
        let name_end = from + found + field.len();
        let rest = &text[name_end..];
        let separators = rest
            .find(|c: char| !matches!(c, ':' | '=' | '>' | '"' | '\'' | ' '))
            .unwrap_or(rest.len());
        let starts_with_separator = rest.starts_with([':', '=', '>', '"']);
        let value_start = name_end + separators;
        let value_len = text[value_start..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '&' | ';' | '<' | '}' | ')')
            })
            .unwrap_or(text.len() - value_start);
        let value = &text[value_start..value_start + value_len];
        if starts_with_separator && value_len > 0 && value != REDACTED && !value.starts_with("**") {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_start + value_len;
        }
        from = (value_start + value_len).max(name_end);
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_maps_to_filters() {
        assert!(log_filter(Verbosity(0)).starts_with("info,aws_config=error"));
        assert!(log_filter(Verbosity(-1)).starts_with("warn,"));
        assert!(log_filter(Verbosity(-5)).starts_with("error,"));
        assert_eq!(log_filter(Verbosity(1)), "debug");
        assert_eq!(log_filter(Verbosity(2)), "trace");
    }

    #[test]
    fn canonical_request_and_authorization_values_are_redacted() {
        let canonical = "canonical_request=POST\n/\n\nhost:127.0.0.1:5901\n\
                         x-amz-security-token:FwoGZXIvYXdzEXAMPLETOKEN\n\n\
                         content-length;host;x-amz-security-token\ne4636603";
        let scrubbed = redact(canonical, &[]);
        assert!(!scrubbed.contains("FwoGZXIvYXdzEXAMPLETOKEN"), "{scrubbed}");
        assert!(scrubbed.contains("x-amz-security-token:<redacted>"));
        // The list of signed headers names the header but holds no secret: left as it is.
        assert!(scrubbed.contains("content-length;host;x-amz-security-token\n"));

        let authorization = "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261202/ap-southeast-2/\
                             s3/aws4_request, SignedHeaders=host, Signature=0a1b2c3d4e5f";
        let scrubbed = redact(authorization, &[]);
        assert_eq!(
            scrubbed,
            "AWS4-HMAC-SHA256 Credential=<redacted>, SignedHeaders=host, Signature=<redacted>"
        );
        let url =
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=abcdef&X-Amz-Security-Token=tok123&x=1";
        assert_eq!(
            redact(url, &[]),
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=<redacted>&X-Amz-Security-Token=<redacted>&x=1"
        );
    }

    #[test]
    fn credential_fields_in_debug_json_and_xml_are_redacted() {
        let debug =
            r#"Credentials { access_key_id: "AKIAEXAMPLE", secret_access_key: "** redacted **" }"#;
        assert_eq!(
            redact(debug, &[]),
            r#"Credentials { access_key_id: "<redacted>", secret_access_key: "** redacted **" }"#
        );
        let json =
            r#"{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","SessionToken":"t0k"}"#;
        let scrubbed = redact(json, &[]);
        for secret in ["ASIAEXAMPLE", "s3cr3t", "t0k"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        let s3 = "<Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AKIAEXAMPLE</AWSAccessKeyId>\
                  <SignatureProvided>0a1b2c</SignatureProvided>";
        assert_eq!(
            redact(s3, &[]),
            "<Code>SignatureDoesNotMatch</Code><AWSAccessKeyId><redacted></AWSAccessKeyId>\
             <SignatureProvided><redacted></SignatureProvided>"
        );
        let xml = "<Credentials><SessionToken>t0k</SessionToken><SecretAccessKey>s3cr3t</SecretAccessKey>";
        assert_eq!(
            redact(xml, &[]),
            "<Credentials><SessionToken><redacted></SessionToken><SecretAccessKey><redacted></SecretAccessKey>"
        );
    }

    #[test]
    fn sso_bearer_header_and_token_cache_values_are_redacted() {
        let request = r#"headers: {"x-amz-sso_bearer_token": "aoaAAAAAGtok", "user-agent": "x"}"#;
        assert_eq!(
            redact(request, &[]),
            r#"headers: {"x-amz-sso_bearer_token": "<redacted>", "user-agent": "x"}"#
        );
        let cache = r#"{"accessToken":"aoaTok","refreshToken":"rTok","clientSecret":"cSec","expiresAt":"2099-01-01T00:00:00Z"}"#;
        let scrubbed = redact(cache, &[]);
        for secret in ["aoaTok", "rTok", "cSec"] {
            assert!(!scrubbed.contains(secret), "{scrubbed}");
        }
        assert!(scrubbed.contains(r#""expiresAt":"2099-01-01T00:00:00Z""#));
        assert_eq!(
            redact("the cached SSO access token expired", &[]),
            "the cached SSO access token expired"
        );
    }

    #[test]
    fn known_values_go_wherever_they_appear_and_prose_is_left_alone() {
        let known = vec!["knownSessionTokenXYZ".to_owned()];
        assert_eq!(
            redact("token knownSessionTokenXYZ in prose", &known),
            "token <redacted> in prose"
        );
        for prose in [
            "the credential provider was not enabled",
            "loaded credentials provider=EnvironmentVariable",
            "SignatureDoesNotMatch: check your key",
            "signing implementation signer=SigV4Signer",
        ] {
            assert_eq!(redact(prose, &[]), prose);
        }
    }
}
