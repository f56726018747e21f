//! A test upstream between tlswatch and moto: it counts the CloudWatch calls
//! that reach it, by operation, and, when told to, misbehaves on one
//! operation (throttles, denies access, fails, answers garbage, hangs or
//! answers late) instead of forwarding.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// The operation `behave` and `get_metric_data_calls` are about.
pub const GET_METRIC_DATA: &str = "GetMetricData";

/// What the upstream does with a CloudWatch call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Forward to moto.
    Forward,
    /// Forward to moto after this many milliseconds, so that calls overlap.
    Delay(u64),
    /// Forward to moto once the test calls [`TestUpstream::release`]: calls
    /// overlap for as long as the test needs, however busy the machine.
    Hold,
    /// Answer CloudWatch's throttling error.
    Throttle,
    /// Answer every n-th call with the throttling error and forward the
    /// others: a busy account's share of throttled calls.
    ThrottleEvery(usize),
    /// Answer CloudWatch's AccessDenied error (HTTP 403).
    AccessDenied,
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

/// Writes the answer to a call from the call's form parameters.
pub type Responder = Arc<dyn Fn(&[(String, String)]) -> String + Send + Sync>;

#[derive(Default)]
struct Record {
    /// Canned answers by operation, before any behaviour.
    canned: HashMap<String, Responder>,
    /// Behaviour by operation; unlisted operations are forwarded.
    behaviours: HashMap<String, Behaviour>,
    /// Behaviour by operation and AWS account, before `behaviours`.
    account_behaviours: HashMap<(String, String), Behaviour>,
    /// Behaviour of every call, before any other (moto is down).
    every_call: Option<Behaviour>,
    /// Calls seen by each [`Behaviour::ThrottleEvery`], by operation and account.
    throttle_counts: HashMap<(String, String), usize>,
    /// The account of each access key handed out by AssumeRole.
    key_accounts: HashMap<String, String>,
    /// Access keys of a moto that restarted, and the new moto's key of the
    /// same account each call signed with one is sent with.
    rekeyed: HashMap<String, String>,
    /// Calls that reached the upstream, by operation.
    calls: HashMap<String, usize>,
    /// The form parameters of each call, by operation, in order.
    forms: HashMap<String, Vec<Vec<(String, String)>>>,
    /// Calls being answered now, and the most at once, by operation.
    in_flight: HashMap<String, usize>,
    most_in_flight: HashMap<String, usize>,
    data_calls: Vec<DataCall>,
    /// When each call arrived, by operation, in order.
    arrivals: Vec<(String, std::time::Instant)>,
}

struct Shared {
    moto: String,
    record: Mutex<Record>,
    client: reqwest::Client,
    /// Whether held calls may go on.
    released: tokio::sync::watch::Sender<bool>,
}

impl Shared {
    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.record.lock().expect("not poisoned")
    }
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
            record: Mutex::default(),
            client: reqwest::Client::new(),
            released: tokio::sync::watch::Sender::new(false),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let endpoint = format!("http://{}", listener.local_addr().expect("an address"));
        let app = axum::Router::new().fallback(handle).with_state(shared.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { shared, endpoint, server }
    }

    /// Sets what happens to GetMetricData calls.
    pub fn behave(&self, behaviour: Behaviour) {
        self.behave_on(GET_METRIC_DATA, behaviour);
    }

    /// Sets what happens to calls of `operation` (the awsQuery `Action`,
    /// e.g. `DescribeAlarmsForMetric`).
    pub fn behave_on(&self, operation: &str, behaviour: Behaviour) {
        self.shared.record().behaviours.insert(operation.to_string(), behaviour);
    }

    /// Sends calls signed with any access key handed out for `account_id`
    /// with `key` instead, a key of the same account that moto knows: moto
    /// forgets the credentials it handed out when it restarts (and files a
    /// call signed with a key it does not know under its default account),
    /// where AWS's credentials outlive an outage. moto checks no signature.
    pub fn rekey_account(&self, account_id: &str, key: &str) {
        let mut record = self.shared.record();
        let old: Vec<String> = record
            .key_accounts
            .iter()
            .filter(|(_, account)| *account == account_id)
            .map(|(old, _)| old.clone())
            .collect();
        for old in old {
            record.rekeyed.insert(old, key.to_string());
        }
    }

    /// Sets what happens to every call, whatever its operation and account,
    /// until called with `None`.
    pub fn behave_on_every_call(&self, behaviour: Option<Behaviour>) {
        self.shared.record().every_call = behaviour;
    }

    /// Sets what happens to calls of `operation` for the AWS account
    /// `account_id`: AssumeRole calls for a role in it, and calls signed
    /// with credentials assumed from such a role (the tests' own
    /// credentials are the account [`crate::DEFAULT_ACCOUNT_ID`]).
    pub fn behave_for_account(&self, operation: &str, account_id: &str, behaviour: Behaviour) {
        self.shared.record().account_behaviours.insert((operation.to_string(), account_id.to_string()), behaviour);
    }

    /// Answers calls of `operation` with the document `respond` writes from
    /// each call's form parameters (HTTP 200, `text/xml`) instead of
    /// forwarding: for what moto does not answer as CloudWatch would.
    pub fn answer_on(&self, operation: &str, respond: impl Fn(&[(String, String)]) -> String + Send + Sync + 'static) {
        self.shared.record().canned.insert(operation.to_string(), Arc::new(respond));
    }

    /// Lets calls held by [`Behaviour::Hold`] go on, and any later ones.
    pub fn release(&self) {
        self.shared.released.send_replace(true);
    }

    /// The most calls of an operation starting with `prefix` that arrived
    /// within any one second.
    pub fn busiest_second(&self, prefix: &str) -> usize {
        let record = self.shared.record();
        let times: Vec<std::time::Instant> =
            record.arrivals.iter().filter(|(op, _)| op.starts_with(prefix)).map(|(_, at)| *at).collect();
        (0..times.len())
            .map(|first| {
                times[first..].iter().take_while(|at| at.duration_since(times[first]) < Duration::from_secs(1)).count()
            })
            .max()
            .unwrap_or(0)
    }

    /// Waits until `operation` has been called `count` times.
    pub async fn until_called(&self, operation: &str, count: usize) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while self.calls(operation) < count {
            assert!(tokio::time::Instant::now() < deadline, "{operation} was not called {count} times within 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// GetMetricData calls that reached this upstream.
    pub fn get_metric_data_calls(&self) -> usize {
        self.calls(GET_METRIC_DATA)
    }

    /// Calls of `operation` that reached this upstream.
    pub fn calls(&self, operation: &str) -> usize {
        self.shared.record().calls.get(operation).copied().unwrap_or(0)
    }

    /// The form parameters (awsQuery body) of every call of `operation`, in order.
    pub fn forms(&self, operation: &str) -> Vec<Vec<(String, String)>> {
        self.shared.record().forms.get(operation).cloned().unwrap_or_default()
    }

    /// The most calls of `operation` this upstream was answering at once.
    pub fn most_in_flight(&self, operation: &str) -> usize {
        self.shared.record().most_in_flight.get(operation).copied().unwrap_or(0)
    }

    /// The GetMetricData calls that reached this upstream, in order.
    pub fn data_calls(&self) -> Vec<DataCall> {
        self.shared.record().data_calls.clone()
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
    let operation = operation(&body);
    let role_account = (operation == ASSUME_ROLE).then(|| role_account(&body)).flatten();
    let behaviour = {
        let mut record = shared.record();
        *record.calls.entry(operation.clone()).or_default() += 1;
        record.arrivals.push((operation.clone(), std::time::Instant::now()));
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&body[..]).into_owned().collect();
        record.forms.entry(operation.clone()).or_default().push(form.clone());
        let in_flight = record.in_flight.entry(operation.clone()).or_default();
        *in_flight += 1;
        let now = *in_flight;
        let most = record.most_in_flight.entry(operation.clone()).or_default();
        *most = (*most).max(now);
        if operation == GET_METRIC_DATA
            && let Some(call) = data_call(&body)
        {
            record.data_calls.push(call);
        }
        let account = role_account.clone().unwrap_or_else(|| {
            let key = access_key(&headers).unwrap_or_default();
            record.key_accounts.get(&key).cloned().unwrap_or_else(|| crate::DEFAULT_ACCOUNT_ID.to_string())
        });
        if let Some(respond) = record.canned.get(&operation).cloned() {
            drop(record);
            let _answering = Answering { shared: shared.clone(), operation: operation.clone() };
            return (StatusCode::OK, [("content-type", "text/xml")], respond(&form)).into_response();
        }
        let key = (operation.clone(), account);
        let for_account = record.account_behaviours.get(&key).copied();
        let chosen = record.every_call.or(for_account).or_else(|| record.behaviours.get(&operation).copied());
        match chosen.unwrap_or(Behaviour::Forward) {
            Behaviour::ThrottleEvery(every) => {
                let seen = record.throttle_counts.entry(key).or_default();
                *seen += 1;
                if seen.is_multiple_of(every.max(1)) { Behaviour::Throttle } else { Behaviour::Forward }
            }
            behaviour => behaviour,
        }
    };
    let _answering = Answering { shared: shared.clone(), operation: operation.clone() };
    match behaviour {
        Behaviour::Forward if role_account.is_some() => {
            let response = forward(&shared, method, uri, headers, body).await;
            remember_assumed_key(&shared, role_account.unwrap_or_default(), response).await
        }
        Behaviour::Forward => forward(&shared, method, uri, headers, body).await,
        Behaviour::Delay(milliseconds) => {
            tokio::time::sleep(Duration::from_millis(milliseconds)).await;
            forward(&shared, method, uri, headers, body).await
        }
        Behaviour::Hold => {
            let _ = shared.released.subscribe().wait_for(|released| *released).await;
            forward(&shared, method, uri, headers, body).await
        }
        misbehaviour => misbehave(misbehaviour).await,
    }
}

/// A call being answered, until dropped (answered, or given up by the caller).
struct Answering {
    shared: Arc<Shared>,
    operation: String,
}

impl Drop for Answering {
    fn drop(&mut self) {
        if let Some(count) = self.shared.record().in_flight.get_mut(&self.operation) {
            *count = count.saturating_sub(1);
        }
    }
}

/// The STS operation whose credentials belong to the role's account.
const ASSUME_ROLE: &str = "AssumeRole";

/// The account ID in the `RoleArn` of an AssumeRole body.
fn role_account(body: &[u8]) -> Option<String> {
    let (_, arn) = url::form_urlencoded::parse(body).find(|(key, _)| key == "RoleArn")?;
    arn.split(':').nth(4).map(str::to_string)
}

/// The access key a call is signed with (SigV4's `Credential=KEY/...`).
fn access_key(headers: &HeaderMap) -> Option<String> {
    let authorization = headers.get("authorization")?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    credential.split('/').next().map(str::to_string)
}

/// Notes which account the access key in an AssumeRole answer belongs to,
/// and passes the answer on.
async fn remember_assumed_key(shared: &Shared, account: String, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    if let Some(key) = text.split("<AccessKeyId>").nth(1).and_then(|rest| rest.split('<').next()) {
        shared.record().key_accounts.insert(key.trim().to_string(), account);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// The awsQuery `Action` of a call body, e.g. `GetMetricData`.
fn operation(body: &[u8]) -> String {
    url::form_urlencoded::parse(body)
        .find(|(key, _)| key == "Action")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

async fn forward(shared: &Shared, method: Method, uri: Uri, mut headers: HeaderMap, body: Bytes) -> Response {
    let new_key = access_key(&headers).and_then(|key| Some((shared.record().rekeyed.get(&key)?.clone(), key)));
    if let Some((new_key, old_key)) = new_key
        && let Some(authorization) = headers.get("authorization").and_then(|value| value.to_str().ok())
    {
        let rekeyed = authorization.replace(&format!("Credential={old_key}/"), &format!("Credential={new_key}/"));
        if let Ok(value) = rekeyed.parse() {
            headers.insert("authorization", value);
        }
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

/// CloudWatch's awsQuery error document.
fn aws_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>test</RequestId></ErrorResponse>"
    );
    (status, [("content-type", "text/xml")], body).into_response()
}

async fn misbehave(behaviour: Behaviour) -> Response {
    match behaviour {
        Behaviour::Throttle => aws_error(StatusCode::BAD_REQUEST, "Throttling", "injected by the test"),
        Behaviour::AccessDenied => aws_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/test is not authorized to perform this action",
        ),
        Behaviour::Fail => aws_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure", "injected by the test"),
        Behaviour::Garbage => (StatusCode::OK, [("content-type", "text/xml")], "<html>not CloudWatch").into_response(),
        Behaviour::Hang => {
            tokio::time::sleep(Duration::from_secs(3_600)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Behaviour::Forward | Behaviour::Delay(_) | Behaviour::Hold | Behaviour::ThrottleEvery(_) => {
            unreachable!("{behaviour:?} forwards")
        }
    }
}
