//! A local order API for the `demo load` tests: loopback only, bodies capped,
//! stopped when dropped. It validates each body with the shared order model, like the producer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use orders::Order;

/// How the server answers.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// 200 for every valid order, 400 for an invalid one.
    Accept,
    /// 503 for this percentage of requests (chosen at random), otherwise as `Accept`.
    Flaky { percent: u32 },
    /// 400 with a reason for orders from this city, otherwise as `Accept`.
    RejectCity(&'static str),
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Bodies of accepted orders, in arrival order.
    pub accepted: Vec<Vec<u8>>,
    /// How many times each order id was accepted.
    pub accepted_ids: HashMap<String, u32>,
    pub unavailable: u64,
    pub rejected: u64,
}

struct State {
    behaviour: Behaviour,
    seen: Mutex<Seen>,
    requests: AtomicU64,
    rng: Mutex<fastrand::Rng>,
    /// Record bodies, or just count.
    record: bool,
}

pub struct OrderServer {
    pub url: String,
    state: Arc<State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

const MAX_BODY: usize = 64 * 1024;

impl OrderServer {
    pub fn start(behaviour: Behaviour) -> Self {
        Self::start_with(behaviour, true, 1)
    }

    pub fn start_with(behaviour: Behaviour, record: bool, threads: usize) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let address: SocketAddr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            behaviour,
            seen: Mutex::new(Seen::default()),
            requests: AtomicU64::new(0),
            rng: Mutex::new(fastrand::Rng::with_seed(20211201)),
            record,
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = Arc::clone(&state);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let answer = move |request| answer(Arc::clone(&shared), request);
                demo::local::http::serve(listener, answer, stopped).await;
            });
        });
        Self {
            url: format!("http://{address}/prod/order"),
            state,
            stop: Some(stop),
        }
    }

    pub fn requests(&self) -> u64 {
        self.state.requests.load(Ordering::Relaxed)
    }

    pub fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.state.seen.lock().unwrap()
    }
}

impl Drop for OrderServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn answer(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let reply = |status: StatusCode, text: String| {
        let mut response = Response::new(Full::new(Bytes::from(text)));
        *response.status_mut() = status;
        Ok(response)
    };
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return reply(StatusCode::PAYLOAD_TOO_LARGE, "body too large".into()),
    };
    if let Behaviour::Flaky { percent } = state.behaviour
        && state.rng.lock().unwrap().u32(0..100) < percent
    {
        state.seen.lock().unwrap().unavailable += 1;
        return reply(StatusCode::SERVICE_UNAVAILABLE, "try again".into());
    }
    let order = match Order::from_request_body(&body) {
        Ok(order) => order,
        Err(error) => {
            state.seen.lock().unwrap().rejected += 1;
            return reply(
                StatusCode::BAD_REQUEST,
                format!("{{\"error\": \"{error}\"}}"),
            );
        }
    };
    if let Behaviour::RejectCity(city) = state.behaviour
        && order.city == city
    {
        state.seen.lock().unwrap().rejected += 1;
        return reply(
            StatusCode::BAD_REQUEST,
            format!("{{\"error\": \"no deliveries to {city}\"}}"),
        );
    }
    let orderid = order.orderid.clone().unwrap_or_default();
    if state.record {
        let mut seen = state.seen.lock().unwrap();
        seen.accepted.push(body.to_vec());
        *seen.accepted_ids.entry(orderid.clone()).or_default() += 1;
    }
    reply(StatusCode::OK, format!("{{\"orderid\": \"{orderid}\"}}"))
}
