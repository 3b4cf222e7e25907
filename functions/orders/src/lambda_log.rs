//! The functions' log setup, shared by the producer and the consumers (and their tests): one
//! JSON object per event (CloudWatch Logs keeps each as one record that Logs Insights can
//! query), no timestamp (CloudWatch adds its own), level `info` unless RUST_LOG says otherwise.

use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Installs the subscriber writing to stdout; call once, first thing in `main`.
pub fn init() {
    tracing::subscriber::set_global_default(subscriber(std::io::stdout))
        .expect("main installs the only subscriber");
}

/// The functions' subscriber writing to `writer` (tests capture the lines this way).
pub fn subscriber<W>(writer: W) -> impl tracing::Subscriber + Send + Sync + use<W>
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .without_time()
        .with_writer(writer)
        .finish()
        .with(log_filter())
}

/// `RUST_LOG` as `target=level` directives (default `info`). Targets rather than EnvFilter:
/// EnvFilter's span and field directives bring a regex engine the functions have no use for.
fn log_filter() -> Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO))
}
