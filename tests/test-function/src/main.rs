//! A Lambda function for the local runner's tests, never deployed: each event says how to
//! behave, so the tests can make a real runtime panic, hang, crash, fail its init or print,
//! while the shipped functions carry no fault injection.
//!
//! Events: `{"echo": V}` answers V; `{"print": ["line", …]}` prints the lines first;
//! `{"sleep_ms": N}` sleeps first; `{"allocate_mb": N}` touches N MB first; `{"env": ["NAME",
//! …]}` answers those variables; `{"error": "message"}` returns an error; `{"panic": "message"}`
//! panics; `{"exit": N}` exits the process with status N. `TEST_FUNCTION_INIT` set to `error`
//! posts `/runtime/init/error` and exits, `exit` exits at once, `hang` never calls `next`.

use std::io::{Read, Write};
use std::time::Duration;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    match std::env::var("TEST_FUNCTION_INIT").as_deref() {
        Ok("error") => {
            post_init_error()?;
            std::process::exit(1);
        }
        Ok("exit") => std::process::exit(2),
        Ok("hang") => loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        },
        _ => {}
    }
    println!("test-function ready");
    lambda_runtime::run(service_fn(handle)).await
}

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Error> {
    let event = event.payload;
    if let Some(lines) = event["print"].as_array() {
        for line in lines {
            println!("{}", line.as_str().unwrap_or_default());
        }
    }
    if let Some(ms) = event["sleep_ms"].as_u64() {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut held = Vec::new();
    if let Some(mb) = event["allocate_mb"].as_u64() {
        held = vec![1u8; (mb as usize) * 1024 * 1024];
    }
    if let Some(message) = event["error"].as_str() {
        return Err(message.into());
    }
    if let Some(message) = event["panic"].as_str() {
        panic!("{message}");
    }
    if let Some(code) = event["exit"].as_i64() {
        std::process::exit(code as i32);
    }
    if let Some(names) = event["env"].as_array() {
        let values: serde_json::Map<String, Value> = names
            .iter()
            .filter_map(Value::as_str)
            .map(|name| (name.to_owned(), json!(std::env::var(name).ok())))
            .collect();
        return Ok(Value::Object(values));
    }
    Ok(json!({"echo": event["echo"], "held": held.len()}))
}

/// What a runtime whose init failed does: `POST /runtime/init/error`, then exit.
fn post_init_error() -> Result<(), Error> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API")?;
    let body = r#"{"errorType":"TestInitError","errorMessage":"init failed on purpose"}"#;
    let mut stream = std::net::TcpStream::connect(&api)?;
    write!(
        stream,
        "POST /2018-06-01/runtime/init/error HTTP/1.1\r\nHost: {api}\r\n\
         Lambda-Runtime-Function-Error-Type: TestInitError\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    eprintln!(
        "init error posted: {}",
        answer.lines().next().unwrap_or_default()
    );
    Ok(())
}
