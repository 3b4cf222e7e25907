//! `handle_in_turn`: for a Kinesis that must take one PutRecord at a time (moto), the turn is held
//! for the PutRecord and nothing else, and concurrent invocations never overlap their PutRecords.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_lambda_events::apigw::ApiGatewayProxyRequest;
use aws_sdk_kinesis::config::Credentials;
use aws_sdk_kinesis::operation::put_record::PutRecordOutput;
use aws_smithy_mocks::{mock, mock_client};
use put_record::{Producer, handle_in_turn, kinesis_client};
use tokio::sync::Mutex;

/// How long the slow Kinesis takes over each PutRecord.
const PUT_TAKES: Duration = Duration::from_millis(40);

fn order(id: &str) -> ApiGatewayProxyRequest {
    let mut request = ApiGatewayProxyRequest::default();
    request.body = Some(format!(
        r#"{{"order": {{"orderid": "{id}", "accountid": "a0", "orderdate": "t", "vendorid": "v1",
        "city": "Perth", "details": {{"coffeetype": "Latte", "coffeesize": "Small", "unitprice": 3.5, "quantity": 1}}}}}}"#
    ));
    request
}

/// Requests in flight now, the most ever in flight at once, and how many were answered.
#[derive(Default)]
struct Overlap {
    now: AtomicUsize,
    most: AtomicUsize,
    answered: AtomicUsize,
}

/// A Kinesis that takes [`PUT_TAKES`] over every PutRecord, answers on its own thread per
/// connection (so it could serve them concurrently), and counts how many overlap.
fn slow_kinesis() -> (SocketAddr, Arc<Overlap>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let overlap = Arc::new(Overlap::default());
    let counted = Arc::clone(&overlap);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let counted = Arc::clone(&counted);
            std::thread::spawn(move || answer_slowly(stream, &counted));
        }
    });
    (address, overlap)
}

fn answer_slowly(stream: TcpStream, overlap: &Overlap) {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let now = overlap.now.fetch_add(1, Ordering::SeqCst) + 1;
    overlap.most.fetch_max(now, Ordering::SeqCst);
    std::thread::sleep(PUT_TAKES);
    overlap.now.fetch_sub(1, Ordering::SeqCst);
    overlap.answered.fetch_add(1, Ordering::SeqCst);
    let answer = r#"{"ShardId":"shardId-000000000000","SequenceNumber":"1"}"#;
    let _ = write!(
        reader.get_mut(),
        "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
}

async fn producer_for(address: SocketAddr) -> Producer {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("ap-southeast-2"))
        .endpoint_url(format!("http://{address}"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    Producer {
        kinesis: kinesis_client(&config),
        stream_name: "orders".into(),
    }
}

/// Runs `orders` invocations at once, each taking `turn` if given; returns their statuses.
async fn at_once(producer: Arc<Producer>, turn: Option<Arc<Mutex<()>>>, orders: usize) -> Vec<i64> {
    let mut invocations = tokio::task::JoinSet::new();
    for i in 0..orders {
        let (producer, turn) = (Arc::clone(&producer), turn.clone());
        invocations.spawn(async move {
            let request = order(&format!("order-{i}"));
            handle_in_turn(&producer, request, turn.as_deref())
                .await
                .response
                .status_code
        });
    }
    invocations.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_taking_turns_never_overlap_their_putrecords() {
    let (address, overlap) = slow_kinesis();
    let producer = Arc::new(producer_for(address).await);
    let statuses = at_once(Arc::clone(&producer), Some(Arc::new(Mutex::new(()))), 8).await;
    assert_eq!(statuses, vec![200; 8]);
    assert_eq!(overlap.answered.load(Ordering::SeqCst), 8);
    assert_eq!(
        overlap.most.load(Ordering::SeqCst),
        1,
        "two PutRecords overlapped"
    );

    // Without turns the same invocations do overlap: the server would have shown it.
    let (address, overlap) = slow_kinesis();
    let statuses = at_once(Arc::new(producer_for(address).await), None, 8).await;
    assert_eq!(statuses, vec![200; 8]);
    assert!(
        overlap.most.load(Ordering::SeqCst) > 1,
        "the check cannot fail"
    );
}

#[tokio::test]
async fn only_the_putrecord_waits_for_the_turn_and_the_wait_is_reported() {
    let rule = mock!(aws_sdk_kinesis::Client::put_record).then_output(|| {
        PutRecordOutput::builder()
            .shard_id("shardId-000000000000")
            .sequence_number("1")
            .build()
            .unwrap()
    });
    let producer = Arc::new(Producer {
        kinesis: mock_client!(aws_sdk_kinesis, [&rule]),
        stream_name: "orders".into(),
    });
    let turn = Arc::new(Mutex::new(()));
    let held = turn.lock().await;

    // A refused order needs no turn: it is answered while another invocation holds it.
    let mut refused = order("bad");
    refused.body = Some(r#"{"order": {"city": "Atlantis"}}"#.into());
    let answered = tokio::time::timeout(
        Duration::from_secs(5),
        handle_in_turn(&producer, refused, Some(&turn)),
    )
    .await
    .expect("a refusal waited for the turn");
    assert_eq!(answered.response.status_code, 400);
    assert_eq!(answered.waited, Duration::ZERO);

    // An accepted order waits for the turn, and says how long.
    let waiting = {
        let (producer, turn) = (Arc::clone(&producer), Arc::clone(&turn));
        tokio::spawn(async move { handle_in_turn(&producer, order("o-1"), Some(&turn)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "put without its turn");
    assert_eq!(rule.num_calls(), 0);
    drop(held);
    let handled = waiting.await.unwrap();
    assert_eq!(handled.response.status_code, 200);
    assert_eq!(rule.num_calls(), 1);
    assert!(handled.waited >= Duration::from_millis(200), "{handled:?}");
}
