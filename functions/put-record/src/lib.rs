//! The producer: takes an order from API Gateway, validates it, and puts it on the Kinesis stream.
//!
//! Every answer is an HTTP response: a bad order is the client's fault (4xx, nothing written), a
//! Kinesis failure is ours (503, retryable with the same `orderid`), and neither is a silent 200.
//! A hung Kinesis is a failure like any other: the client from [`kinesis_client`] gives up well
//! before Lambda would time the function out. Refusals and log lines quote client text only as
//! a short prefix ([`orders::shorten`]).

mod client;
mod response;

use std::time::Instant;

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_sdk_kinesis::primitives::Blob;
use base64::Engine;
use orders::sdk_error::describe;
use orders::{Order, OrderError};

pub use client::{
    ATTEMPT_TIMEOUT, OPERATION_TIMEOUT, Timeouts, kinesis_client, kinesis_client_with,
    with_timeouts,
};
pub use response::Accepted;

/// What the handler needs: a Kinesis client and the stream to write to. Built once in `main`.
pub struct Producer {
    pub kinesis: aws_sdk_kinesis::Client,
    pub stream_name: String,
}

/// Handles one API Gateway proxy request and logs one line describing it.
pub async fn handle(
    producer: &Producer,
    request: ApiGatewayProxyRequest,
) -> ApiGatewayProxyResponse {
    let started = Instant::now();
    let (response, written) = match accept(&request) {
        Err(refused) => {
            tracing::info!(field = %refused.field, rule = %refused.rule, "order refused");
            (response::refused(&refused), 0)
        }
        Ok(order) => record(producer, &order).await,
    };
    tracing::info!(
        records = 1,
        written,
        failed = 1 - written,
        status = response.status_code,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "invocation"
    );
    response
}

/// Decodes and validates the body and makes sure the order has its id. Pure: no I/O.
pub fn accept(request: &ApiGatewayProxyRequest) -> Result<Order, OrderError> {
    let body = request
        .body
        .as_deref()
        .ok_or_else(|| OrderError::new("body", "is required: send {\"order\": {...}}"))?;
    let bytes = if request.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|err| {
                OrderError::new("body", format!("is flagged base64 but is not ({err})"))
            })?
    } else {
        body.as_bytes().to_vec()
    };
    let mut order = Order::from_request_body(&bytes)?;
    order.ensure_id();
    Ok(order)
}

/// Puts an accepted order on the stream: a 200 saying where it went, or a 503 with the `orderid`
/// to retry with. Also says whether it was written.
async fn record(producer: &Producer, order: &Order) -> (ApiGatewayProxyResponse, i32) {
    match put(producer, order).await {
        Ok(accepted) => (response::accepted(&accepted), 1),
        Err(reason) => {
            tracing::error!(orderid = order.partition_key(), %reason, "PutRecord failed");
            (response::unavailable(order.partition_key()), 0)
        }
    }
}

async fn put(producer: &Producer, order: &Order) -> Result<Accepted, String> {
    let orderid = order.partition_key().expect("accept() assigns an id");
    let output = producer
        .kinesis
        .put_record()
        .stream_name(&producer.stream_name)
        .partition_key(orderid)
        .data(Blob::new(order.to_record()))
        .send()
        .await
        .map_err(|err| describe(&err))?;
    Ok(Accepted {
        orderid: orderid.to_owned(),
        shardid: output.shard_id,
        sequencenumber: output.sequence_number,
    })
}
