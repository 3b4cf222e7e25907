//! The accept loop of a loopback HTTP/1.1 server: each connection served by `answer` until
//! `stopped` fires. Used by the API stand-in, and by the tests' and benchmark's order servers.

use std::convert::Infallible;
use std::future::Future;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// Serves every connection `listener` accepts with `answer`, until `stopped` fires (or its
/// sender is dropped). Connections already open finish their request.
pub async fn serve<A, F>(listener: TcpListener, answer: A, mut stopped: oneshot::Receiver<()>)
where
    A: Fn(Request<Incoming>) -> F + Clone + Send + 'static,
    F: Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        // Small requests and answers: Nagle's delay would be most of their time.
        let _ = stream.set_nodelay(true);
        let answer = answer.clone();
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}
