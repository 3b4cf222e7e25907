//! A local stand-in for the IAM Identity Center (SSO) portal's one call the SDK makes,
//! GetRoleCredentials, answered as the service answers it, recording what it was asked.
//!
//! Wire format (AWS's Portal API reference, GetRoleCredentials): `GET
//! /federation/credentials?account_id=…&role_name=…` with the access token in the
//! `x-amz-sso_bearer_token` header; `200` with `{"roleCredentials": {"accessKeyId",
//! "secretAccessKey", "sessionToken", "expiration" (epoch milliseconds)}}`, or `401`
//! `UnauthorizedException` when the token is invalid or expired.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;

/// The role credentials the portal hands out for the one token it accepts.
#[derive(Debug, Clone)]
pub struct RoleCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
}

/// One request the portal received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub method: String,
    pub path: String,
    pub account_id: Option<String>,
    pub role_name: Option<String>,
    pub token: Option<String>,
}

struct Shared {
    valid_token: String,
    credentials: RoleCredentials,
    asked: Mutex<Vec<Asked>>,
}

/// A running stand-in on 127.0.0.1; stops when dropped.
pub struct SsoPortal {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl SsoPortal {
    /// Accepts `valid_token` (any other gets 401) and hands out `credentials` for it.
    pub async fn start(valid_token: &str, credentials: RoleCredentials) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port");
        let address = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            valid_token: valid_token.to_owned(),
            credentials,
            asked: Mutex::new(Vec::new()),
        });
        let serving = shared.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| answer(shared.clone(), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        SsoPortal {
            address,
            shared,
            server,
        }
    }

    /// The value for `AWS_ENDPOINT_URL_SSO`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request so far, in order.
    pub fn asked(&self) -> Vec<Asked> {
        self.shared.asked.lock().unwrap().clone()
    }
}

impl Drop for SsoPortal {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let query = |name: &str| {
        request.uri().query().and_then(|query| {
            query.split('&').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                (key == name).then(|| percent_decode_str(value).decode_utf8_lossy().into_owned())
            })
        })
    };
    let asked = Asked {
        method: request.method().to_string(),
        path: request.uri().path().to_owned(),
        account_id: query("account_id"),
        role_name: query("role_name"),
        token: request
            .headers()
            .get("x-amz-sso_bearer_token")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
    };
    let accepted = asked.token.as_deref() == Some(shared.valid_token.as_str());
    shared.asked.lock().unwrap().push(asked);
    let response = if accepted {
        let expiration = SystemTime::now() + Duration::from_secs(3600);
        let credentials = &shared.credentials;
        let body = serde_json::json!({
            "roleCredentials": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
                "expiration": expiration.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64,
            }
        });
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
    } else {
        Response::builder()
            .status(StatusCode::UNAUTHORIZED)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", "UnauthorizedException")
            .body(Full::new(Bytes::from_static(
                br#"{"message":"Session token not found or invalid"}"#,
            )))
    };
    Ok(response.unwrap())
}
