//! The functions' log setup, shared by the producer and the consumers (and their tests): one
//! JSON object per event (CloudWatch Logs keeps each as one record that Logs Insights can
//! query), no timestamp (CloudWatch adds its own), level `info` unless RUST_LOG says otherwise.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

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
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .without_time()
        .with_writer(writer)
        .finish()
}
