//! Lambda entry point of the consumer: set up once, then serve batches.

use aws_lambda_events::event::kinesis::KinesisEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use put_item::{Consumer, WriteSettings, handle};

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders::lambda_log::init();
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
