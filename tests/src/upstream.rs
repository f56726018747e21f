//! A test upstream between tlswatch and moto: it counts the CloudWatch calls
//! that reach it and, when told to, misbehaves (throttles, fails, answers
//! garbage or hangs) instead of forwarding.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What the upstream does with a CloudWatch call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Behaviour {
    /// Forward to moto.
    Forward,
    /// Answer CloudWatch's throttling error.
    Throttle,
    /// Answer 500 InternalFailure.
    Fail,
    /// Answer 200 with a body that is not CloudWatch's.
    Garbage,
    /// Never answer.
    Hang,
}

/// What one GetMetricData call asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataCall {
    /// Epoch seconds.
    pub start: i64,
    /// Epoch seconds (exclusive).
    pub end: i64,
    /// Metric data queries in the call.
    pub queries: usize,
}

impl DataCall {
    /// Buckets asked for, over every query.
    pub fn buckets(&self, period: u32) -> i64 {
        (self.end - self.start) / i64::from(period) * self.queries as i64
    }
}

struct Shared {
    moto: String,
    behaviour: AtomicU8,
    get_metric_data: AtomicUsize,
    data_calls: Mutex<Vec<DataCall>>,
    client: reqwest::Client,
}

/// A running test upstream.
pub struct TestUpstream {
    shared: Arc<Shared>,
    pub endpoint: String,
    server: tokio::task::JoinHandle<()>,
}

impl TestUpstream {
    /// Starts in front of the moto server at `moto`.
    pub async fn start(moto: &str) -> Self {
        let shared = Arc::new(Shared {
            moto: moto.to_string(),
            behaviour: AtomicU8::new(Behaviour::Forward as u8),
            get_metric_data: AtomicUsize::new(0),
            data_calls: Mutex::default(),
            client: reqwest::Client::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let app = axum::Router::new().fallback(handle).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, endpoint, server }
    }

    pub fn behave(&self, behaviour: Behaviour) {
        self.shared.behaviour.store(behaviour as u8, Ordering::SeqCst);
    }

    /// GetMetricData calls that reached this upstream.
    pub fn get_metric_data_calls(&self) -> usize {
        self.shared.get_metric_data.load(Ordering::SeqCst)
    }

    /// The GetMetricData calls that reached this upstream, in order.
    pub fn data_calls(&self) -> Vec<DataCall> {
        self.shared.data_calls.lock().expect("not poisoned").clone()
    }
}

impl Drop for TestUpstream {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_data_call = String::from_utf8_lossy(&body).contains("Action=GetMetricData");
    if is_data_call {
        shared.get_metric_data.fetch_add(1, Ordering::SeqCst);
        if let Some(call) = data_call(&body) {
            shared.data_calls.lock().expect("not poisoned").push(call);
        }
    }
    let behaviour = shared.behaviour.load(Ordering::SeqCst);
    if is_data_call && behaviour != Behaviour::Forward as u8 {
        return misbehave(behaviour).await;
    }
    let mut forward =
        shared.client.request(method, format!("{}{}", shared.moto, uri.path_and_query().map_or("/", |p| p.as_str())));
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    match forward.body(body).send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let content_type = answer.headers().get("content-type").cloned();
            let bytes = answer.bytes().await.unwrap_or_default();
            let mut response = (status, bytes).into_response();
            if let Some(content_type) = content_type {
                response.headers_mut().insert("content-type", content_type);
            }
            response
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

/// The range and query count of an awsQuery GetMetricData body.
fn data_call(body: &[u8]) -> Option<DataCall> {
    let (mut start, mut end, mut queries) = (None, None, 0);
    let time = |value: &str| match tlswatch_shared::TimeSpec::parse("time", value) {
        Ok(tlswatch_shared::TimeSpec::At(seconds)) => Some(seconds),
        _ => None,
    };
    for (key, value) in url::form_urlencoded::parse(body) {
        match key.as_ref() {
            "StartTime" => start = time(&value),
            "EndTime" => end = time(&value),
            key if key.starts_with("MetricDataQueries.member.") && key.ends_with(".Id") => queries += 1,
            _ => {}
        }
    }
    Some(DataCall { start: start?, end: end?, queries })
}

async fn misbehave(behaviour: u8) -> Response {
    let error = |status: StatusCode, code: &str| {
        let body = format!(
            "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>injected by the test</Message></Error><RequestId>test</RequestId></ErrorResponse>"
        );
        (status, [("content-type", "text/xml")], body).into_response()
    };
    match behaviour {
        b if b == Behaviour::Throttle as u8 => error(StatusCode::BAD_REQUEST, "Throttling"),
        b if b == Behaviour::Fail as u8 => error(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
        b if b == Behaviour::Garbage as u8 => {
            (StatusCode::OK, [("content-type", "text/xml")], "<html>not CloudWatch").into_response()
        }
        _ => {
            tokio::time::sleep(Duration::from_secs(3_600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
    }
}
