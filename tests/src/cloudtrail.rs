//! A CloudTrail-compatible test server (moto lacks LookupEvents): the
//! JSON 1.1 protocol with `X-Amz-Target`, lookup by event source,
//! `StartTime`/`EndTime`, `MaxResults` pages with `NextToken`, and
//! `ThrottlingException` above two calls a second, as AWS's API reference
//! describes. Each test seeds it with events shaped like AWS's records and
//! reads back when every call came.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The operation the server answers, as JSON 1.1 names it in
/// `X-Amz-Target`: the API reference writes it with the namespace
/// (`com.amazonaws.cloudtrail.v20131101.`), the SDKs without.
const TARGET: &str = "CloudTrail_20131101.LookupEvents";
/// CloudTrail's rate for LookupEvents per account and region.
const CALLS_PER_SECOND: usize = 2;

/// An event the server holds.
#[derive(Debug, Clone)]
pub struct SeededEvent {
    pub id: String,
    pub name: String,
    /// Epoch seconds.
    pub time: i64,
    /// The record, sent as the `CloudTrailEvent` string.
    pub record: Value,
}

/// One LookupEvents call as it reached the server.
#[derive(Debug, Clone)]
pub struct TrailCall {
    pub at: Instant,
    pub start: i64,
    pub end: i64,
    pub throttled: bool,
}

#[derive(Default)]
struct Trail {
    events: Vec<SeededEvent>,
    calls: Vec<TrailCall>,
    /// Calls still to be throttled whatever their rate.
    throttle_next: usize,
}

/// The running server.
pub struct CloudTrailServer {
    pub endpoint: String,
    trail: Arc<Mutex<Trail>>,
}

impl CloudTrailServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> Self {
        let trail = Arc::new(Mutex::new(Trail::default()));
        let app = Router::new().fallback(lookup_events).with_state(trail.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the CloudTrail test server runs") });
        Self { endpoint, trail }
    }

    /// Adds events to what the server holds.
    pub fn seed(&self, events: impl IntoIterator<Item = SeededEvent>) {
        self.trail.lock().unwrap().events.extend(events);
    }

    /// Throttles the next `count` calls, however slowly they come.
    pub fn throttle_next(&self, count: usize) {
        self.trail.lock().unwrap().throttle_next = count;
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<TrailCall> {
        self.trail.lock().unwrap().calls.clone()
    }

    /// The most calls that reached the server within any one second.
    pub fn most_calls_in_a_second(&self) -> usize {
        let calls = self.calls();
        (0..calls.len())
            .map(|i| calls[i..].iter().take_while(|c| c.at - calls[i].at < Duration::from_secs(1)).count())
            .max()
            .unwrap_or(0)
    }
}

/// An event shaped like AWS's sample records of Elastic Load Balancing calls.
pub fn elb_event(id: &str, name: &str, time: i64, user: &str, request: Value, response: Value) -> SeededEvent {
    let record = json!({
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAJDPLRKLG7UEXAMPLE",
            "arn": format!("arn:aws:iam::123456789012:user/{user}"),
            "accountId": "123456789012",
            "userName": user,
        },
        "eventTime": time,
        "eventSource": "elasticloadbalancing.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.1",
        "userAgent": "aws-cli/2.13.5",
        "requestParameters": request,
        "responseElements": response,
        "requestID": format!("req-{id}"),
        "eventID": id,
        "eventType": "AwsApiCall",
        "apiVersion": "2015-12-01",
        "recipientAccountId": "123456789012",
    });
    SeededEvent { id: id.to_string(), name: name.to_string(), time, record }
}

async fn lookup_events(State(trail): State<Arc<Mutex<Trail>>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if target != TARGET && target != format!("com.amazonaws.cloudtrail.v20131101.{TARGET}") {
        return error(StatusCode::BAD_REQUEST, "UnknownOperationException", "only LookupEvents is served");
    }
    let Ok(input) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "SerializationException", "the body is not JSON");
    };
    let time = |field: &str| input[field].as_f64().map(|t| t as i64);
    let (start, end) = (time("StartTime").unwrap_or(i64::MIN), time("EndTime").unwrap_or(i64::MAX));
    let mut trail = trail.lock().unwrap();
    let now = Instant::now();
    let recent = trail.calls.iter().filter(|c| !c.throttled && now - c.at < Duration::from_secs(1)).count();
    let throttled = trail.throttle_next > 0 || recent >= CALLS_PER_SECOND;
    trail.throttle_next = trail.throttle_next.saturating_sub(1);
    trail.calls.push(TrailCall { at: now, start, end, throttled });
    if throttled {
        return error(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded");
    }
    let source = input["LookupAttributes"][0]["AttributeValue"].as_str().unwrap_or_default().to_string();
    let mut matching: Vec<&SeededEvent> = trail
        .events
        .iter()
        .filter(|e| (start..=end).contains(&e.time))
        .filter(|e| e.record["eventSource"] == source.as_str())
        .collect();
    matching.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.id.cmp(&b.id)));
    let page_size = input["MaxResults"].as_u64().unwrap_or(50).clamp(1, 50) as usize;
    let from: usize = input["NextToken"].as_str().and_then(|t| t.strip_prefix("page-")?.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = matching
        .iter()
        .skip(from)
        .take(page_size)
        .map(|e| {
            json!({
                "EventId": e.id,
                "EventName": e.name,
                "EventTime": e.time,
                "EventSource": source,
                "Username": e.record["userIdentity"]["userName"],
                "Resources": [],
                "CloudTrailEvent": e.record.to_string(),
            })
        })
        .collect();
    let mut output = json!({ "Events": page });
    if from + page_size < matching.len() {
        output["NextToken"] = json!(format!("page-{}", from + page_size));
    }
    ([("content-type", "application/x-amz-json-1.1")], output.to_string()).into_response()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "__type": code, "message": message }).to_string();
    (status, [("content-type", "application/x-amz-json-1.1"), ("x-amzn-errortype", code)], body).into_response()
}
