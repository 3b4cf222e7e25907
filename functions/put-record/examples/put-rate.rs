//! The emulator's own sequential PutRecord rate, from one client with the producer's Kinesis
//! client (same SDK, same timeouts), so `scripts/bench-offline` can set the offline path's
//! orders/s beside it. `handler` mode runs the producer's whole handler instead, one order after
//! another, to show what the handler adds to the PutRecord it makes.
//!
//!   put-rate <endpoint-url> <stream> <count> [put|handler]
//!
//! Prints one line: `<mode> <count> <seconds> <per second> <ms each>`.

use std::time::Instant;

use aws_config::{BehaviorVersion, Region};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_sdk_kinesis::config::Credentials;
use aws_sdk_kinesis::primitives::Blob;
use put_record::{Producer, handle, kinesis_client};

/// Warm-up calls before timing (connection set up, first-call costs).
const WARM_UP: usize = 20;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [endpoint, stream, count, rest @ ..] = args.as_slice() else {
        return Err("usage: put-rate <endpoint-url> <stream> <count> [put|handler]".into());
    };
    let count: usize = count.parse()?;
    let mode = rest.first().map_or("put", String::as_str);
    let producer = Producer {
        kinesis: kinesis_client(&emulator_config(endpoint).await),
        stream_name: stream.clone(),
    };
    for i in 0..WARM_UP {
        once(&producer, mode, i).await?;
    }
    let started = Instant::now();
    for i in 0..count {
        once(&producer, mode, WARM_UP + i).await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{mode} {count} {seconds:.3} {:.1} {:.3}",
        count as f64 / seconds,
        seconds * 1000.0 / count as f64
    );
    Ok(())
}

/// The configuration `demo --local` uses: the emulator's endpoint, a region, dummy credentials.
async fn emulator_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("ap-southeast-2"))
        .credentials_provider(Credentials::new("demo", "demo", None, None, "emulator"))
        .load()
        .await
}

/// One PutRecord of an order-sized record, or one order through the handler.
async fn once(producer: &Producer, mode: &str, i: usize) -> Result<(), Box<dyn std::error::Error>> {
    let body = order(i);
    match mode {
        "put" => {
            producer
                .kinesis
                .put_record()
                .stream_name(&producer.stream_name)
                .partition_key(format!("bench-{i}"))
                .data(Blob::new(body))
                .send()
                .await?;
        }
        "handler" => {
            let mut request = ApiGatewayProxyRequest::default();
            request.body = Some(body);
            let response = handle(producer, request).await;
            if response.status_code != 200 {
                return Err(format!("handler answered {}", response.status_code).into());
            }
        }
        other => return Err(format!("unknown mode {other}: put or handler").into()),
    }
    Ok(())
}

/// An order as `demo load` sends it (about the size of the records the producer writes).
fn order(i: usize) -> String {
    format!(
        r#"{{"order": {{"accountid": "a0", "orderdate": "2021-12-01 10:11:12", "vendorid": "v{i}", "city": "Hobart", "details": {{"coffeetype": "Latte", "coffeesize": "Large", "unitprice": 4.5, "quantity": 2}}}}}}"#
    )
}
