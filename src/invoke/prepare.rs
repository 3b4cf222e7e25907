//! The event of one `demo invoke`, prepared before any call: the file read and checked, or the
//! orders drawn and their event's size checked against a stack with the longest names AWS
//! could give; then built for the stack as it is.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use orders::Order;
use serde::Serialize;
use serde_json::Value;

use super::event::{self, ApiSource, MAX_PAYLOAD_BYTES, StreamSource};
use super::target::EventSource;
use super::{EventSpec, InvokeError, InvokeRequest};
use crate::logs::StackFunction;
use crate::terminal;

/// The event, before the stack is read.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    Orders { orders: Vec<Order> },
    File { path: PathBuf, bytes: Vec<u8> },
}

/// What was sent, for the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct EventSummary {
    pub(crate) kind: EventKind,
    pub(crate) bytes: usize,
    /// The orders' ids, as they will land in the tables (none for a file).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) order_ids: Vec<String>,
    /// The stream ARN, the API id, or the file.
    pub(crate) origin: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventKind {
    ApiGatewayRequest,
    KinesisBatch,
    File,
}

impl Prepared {
    /// Reads and checks the file, or draws the orders and checks that their event fits.
    pub(crate) fn new(
        request: &InvokeRequest,
        stack: &str,
        now: SystemTime,
    ) -> Result<Self, InvokeError> {
        let prepared = match &request.event {
            EventSpec::File(path) => Prepared::File {
                path: path.clone(),
                bytes: read_event_file(path, request.function)?,
            },
            EventSpec::Orders(n) => Prepared::Orders {
                orders: event::draw_orders(*n, now),
            },
        };
        let longest = longest_source(request.function, stack);
        prepared.payload(&longest, now)?;
        Ok(prepared)
    }

    /// The payload for the stack's `source`, checked against Lambda's 6 MB.
    pub(crate) fn payload(
        &self,
        source: &EventSource,
        now: SystemTime,
    ) -> Result<(Vec<u8>, EventSummary), InvokeError> {
        let (bytes, kind, order_ids, origin) = match (self, source) {
            (Prepared::File { path, bytes }, _) => (
                bytes.clone(),
                EventKind::File,
                vec![],
                path.display().to_string(),
            ),
            (Prepared::Orders { orders }, EventSource::Stream(stream)) => (
                to_json(&event::kinesis_batch(orders, stream, now)),
                EventKind::KinesisBatch,
                ids(orders),
                stream.stream_arn.clone(),
            ),
            (Prepared::Orders { orders }, EventSource::Api(api)) => {
                let order = orders.first().ok_or_else(|| {
                    InvokeError::Invalid("invalid --orders 0: give at least one order".into())
                })?;
                (
                    to_json(&event::api_request(order, api, now)),
                    EventKind::ApiGatewayRequest,
                    ids(orders),
                    api.api_id.clone(),
                )
            }
        };
        let records = match (self, kind) {
            (Prepared::Orders { orders }, EventKind::KinesisBatch) => orders.len(),
            _ => 0,
        };
        event::check_size(&bytes, records)?;
        let summary = EventSummary {
            kind,
            bytes: bytes.len(),
            order_ids,
            origin,
        };
        Ok((bytes, summary))
    }
}

fn to_json<T: Serialize>(event: &T) -> Vec<u8> {
    serde_json::to_vec(event).expect("an event serializes to JSON")
}

fn ids(orders: &[Order]) -> Vec<String> {
    (orders.iter())
        .filter_map(|order| order.orderid.clone())
        .collect()
}

/// The event's origin with the longest names any region and partition give, so that an event
/// that fits it fits the real one.
fn longest_source(function: StackFunction, stack: &str) -> EventSource {
    let (partition, region, account) = ("aws-iso-b", "ap-southeast-5", "123456789012");
    if function.is_consumer() {
        EventSource::Stream(StreamSource {
            stream_arn: format!("arn:{partition}:kinesis:{region}:{account}:stream/{stack}-orders"),
            region: region.to_owned(),
            shard_id: "shardId-000000000099".to_owned(),
            invoke_identity_arn: format!(
                "arn:{partition}:iam::{account}:role/{stack}-{}-{region}",
                function.template_name()
            ),
        })
    } else {
        EventSource::Api(ApiSource {
            api_id: "a".repeat(10),
            account_id: account.to_owned(),
            region: region.to_owned(),
        })
    }
}

/// The file's bytes: there, at most 6 MB, JSON. An event of another shape than `function`
/// takes is sent all the same (to see how the function fails), with a warning.
fn read_event_file(path: &Path, function: StackFunction) -> Result<Vec<u8>, InvokeError> {
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|err| {
            InvokeError::Invalid(format!(
                "invalid --event {shown}: {err}; give the path of a JSON event file"
            ))
        })?
        .len();
    if size > MAX_PAYLOAD_BYTES as u64 {
        return Err(InvokeError::Invalid(format!(
            "invalid --event {shown}: {size} bytes, over Lambda's {MAX_PAYLOAD_BYTES}-byte \
             (6 MB) limit on a synchronous invocation's payload; send a smaller event"
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|err| InvokeError::Invalid(format!("invalid --event {shown}: {err}")))?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|err| {
        InvokeError::Invalid(format!(
            "invalid --event {shown}: not JSON ({err}); Lambda hands a function a JSON event"
        ))
    })?;
    if let Some(expected) = shape_mismatch(&value, function) {
        terminal::warn(format!(
            "--event {shown} is not {expected}, which {function} takes: sending it as it is"
        ));
    }
    Ok(bytes)
}

/// What `function` takes, when `value` is not that.
fn shape_mismatch(value: &Value, function: StackFunction) -> Option<&'static str> {
    use aws_lambda_events::apigw::ApiGatewayProxyRequest;
    use aws_lambda_events::event::kinesis::KinesisEvent;
    let fits = if function.is_consumer() {
        serde_json::from_value::<KinesisEvent>(value.clone()).is_ok()
    } else {
        serde_json::from_value::<ApiGatewayProxyRequest>(value.clone()).is_ok()
    };
    match (fits, function.is_consumer()) {
        (true, _) => None,
        (false, true) => Some("a Kinesis event ({\"Records\": [...]})"),
        (false, false) => Some("an API Gateway proxy request"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(function: StackFunction, event: EventSpec) -> InvokeRequest {
        InvokeRequest { function, event }
    }

    #[test]
    fn a_file_must_be_there_and_json() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.json");
        let spec = |path: &Path| request(StackFunction::Consumer1, EventSpec::File(path.into()));
        let err = Prepared::new(&spec(&missing), "s", SystemTime::now()).unwrap_err();
        assert!(
            err.to_string().contains("invalid --event") && err.is_environment(),
            "{err}"
        );
        let not_json = dir.path().join("event.txt");
        std::fs::write(&not_json, "Records: []").unwrap();
        let err = Prepared::new(&spec(&not_json), "s", SystemTime::now()).unwrap_err();
        assert!(err.to_string().contains("not JSON"), "{err}");
        let too_big = dir.path().join("big.json");
        let big = format!("\"{}\"", "x".repeat(MAX_PAYLOAD_BYTES));
        std::fs::write(&too_big, big).unwrap();
        let err = Prepared::new(&spec(&too_big), "s", SystemTime::now()).unwrap_err();
        assert!(err.to_string().contains("6291456-byte"), "{err}");
        let good = dir.path().join("event.json");
        std::fs::write(&good, r#"{"Records":[]}"#).unwrap();
        let prepared = Prepared::new(&spec(&good), "s", SystemTime::now()).unwrap();
        let stream = longest_source(StackFunction::Consumer1, "s");
        let (bytes, summary) = prepared.payload(&stream, SystemTime::now()).unwrap();
        assert_eq!(bytes, br#"{"Records":[]}"#);
        assert_eq!(summary.kind, EventKind::File);
    }

    #[test]
    fn an_event_of_another_shape_is_told_apart() {
        let kinesis = serde_json::json!({"Records": []});
        assert_eq!(shape_mismatch(&kinesis, StackFunction::Consumer2), None);
        assert!(shape_mismatch(&kinesis, StackFunction::Producer).is_some());
        assert!(shape_mismatch(&serde_json::json!([1]), StackFunction::Consumer1).is_some());
    }

    #[test]
    fn too_many_orders_are_refused_before_the_stack_is_read() {
        let spec = request(StackFunction::Consumer1, EventSpec::Orders(10_000));
        let err = Prepared::new(&spec, "s", SystemTime::now()).unwrap_err();
        assert!(err.to_string().contains("use --orders"), "{err}");
        let spec = request(StackFunction::Consumer1, EventSpec::Orders(100));
        let prepared = Prepared::new(&spec, "s", SystemTime::now()).unwrap();
        let stream = longest_source(StackFunction::Consumer1, "s");
        let (_, summary) = prepared.payload(&stream, SystemTime::now()).unwrap();
        assert_eq!(summary.order_ids.len(), 100);
        assert_eq!(summary.kind, EventKind::KinesisBatch);
    }
}
