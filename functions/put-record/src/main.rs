//! Lambda entry point of the producer: set up once, then serve invocations.

use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use put_record::{Producer, handle, kinesis_client};

#[tokio::main]
async fn main() -> Result<(), Error> {
    orders::lambda_log::init();
    let stream_name = std::env::var("STREAM_NAME").map_err(|_| "STREAM_NAME is not set")?;
    let config = aws_config::load_from_env().await;
    let producer = Producer {
        kinesis: kinesis_client(&config),
        stream_name,
    };
    let producer = &producer;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            Ok::<_, Error>(handle(producer, event.payload).await)
        },
    ))
    .await
}
