//! Lambda entry point of the consumer: set up once, then serve batches.

use aws_lambda_events::event::kinesis::KinesisEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use put_item::{Consumer, WriteSettings, handle};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_current_span(false)
        .without_time()
        .finish()
        .with(log_filter())
        .init();
    let table_name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let config = aws_config::load_from_env().await;
    let consumer = Consumer {
        dynamodb: aws_sdk_dynamodb::Client::new(&config),
        table_name,
        settings: WriteSettings::default(),
    };
    let consumer = &consumer;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<KinesisEvent>| async move {
            Ok::<_, Error>(handle(consumer, event.payload).await)
        },
    ))
    .await
}

/// `RUST_LOG` as `target=level` directives (default `info`). Targets rather than EnvFilter:
/// EnvFilter's span and field directives bring a regex engine the functions have no use for.
fn log_filter() -> Targets {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO))
}
