//! The harness of tlswatch's black-box tests: a real CloudWatch-compatible
//! server (moto in server mode) and the built `tlswatch` binary, each started
//! as a child process on a loopback port it picks itself and reports, and
//! stopped when dropped.
//!
//! `cargo xtask test` installs moto into `.tools/venv` and builds the binary
//! before running these tests; both locations can be overridden with
//! `TLSWATCH_MOTO_SERVER` and `TLSWATCH_BIN`. The tests of the cache that
//! replicas share start Debian's `redis-server` (`shared_cache.rs`).

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod browser;
pub mod cloudtrail;
pub mod in_process;
pub mod shared_cache;
pub mod soak;
pub mod targets;
pub mod upstream;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricDatum, Statistic};
use aws_smithy_types::DateTime;

/// The region every test uses.
pub const REGION: &str = "us-east-1";
/// How long a child process may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(60);

fn workspace_root() -> PathBuf {
    // The test runner's environment first: a target directory shared between
    // checkouts must not send tests to another checkout's files.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    PathBuf::from(manifest_dir).parent().expect("tests/ has a parent").to_path_buf()
}

/// A child process that is killed and reaped when dropped, even when a test panics.
pub(crate) struct Reaped(pub(crate) Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A moto server: a CloudWatch-compatible endpoint on loopback.
pub struct Moto {
    child: Option<Reaped>,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a port it picks itself (port 0) and reads the port
    /// from what it prints, so no other process can take the port between
    /// choosing and binding it.
    pub fn start() -> Self {
        let (child, port) = spawn_moto(0).expect("moto did not report its address");
        Self { child: Some(child), endpoint: format!("http://127.0.0.1:{port}") }
    }

    /// Kills moto (its data is gone) and starts it again on the same port,
    /// retrying while the port is still held.
    pub fn restart(&mut self) {
        let port: u16 = self.endpoint.rsplit(':').next().and_then(|port| port.parse().ok()).expect("a port");
        // The old server first: its port is the new one's.
        self.child = None;
        for _ in 0..20 {
            if let Some((child, _)) = spawn_moto(port) {
                self.child = Some(child);
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("moto did not start again on port {port}");
    }
}

/// Starts moto on `port` (0: one it picks itself, read from what it
/// prints, so no other process can take the port between choosing and
/// binding it); `None` when it reports no address (the port is taken).
fn spawn_moto(port: u16) -> Option<(Reaped, u16)> {
    let program = std::env::var_os("TLSWATCH_MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/venv/bin/moto_server"));
    assert!(program.is_file(), "{} is missing: run `cargo xtask test`, which installs it", program.display());
    let mut child = Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
    let (sender, receiver) = mpsc::channel();
    // werkzeug announces the address on one stream and logs requests on
    // it: both are read for the life of the process.
    read_lines_for_address(child.stdout.take().expect("stdout is piped"), sender.clone(), "Running on ");
    read_lines_for_address(child.stderr.take().expect("stderr is piped"), sender, "Running on ");
    let child = Reaped(child);
    let url = receiver.recv_timeout(START_TIMEOUT).ok()?;
    let port = url.rsplit(':').next().and_then(|port| port.trim_end_matches('/').parse::<u16>().ok());
    let port = port.unwrap_or_else(|| panic!("moto reported no port: {url}"));
    assert_ne!(port, 0, "moto reported the port it was asked for, not the one it took");
    Some((child, port))
}

/// Reads `stream` line by line until it closes, sending the first word after
/// `marker` (an address) on `sender`.
fn read_lines_for_address(
    stream: impl std::io::Read + Send + 'static,
    sender: mpsc::Sender<String>,
    marker: &'static str,
) {
    forward_lines(stream, sender, move |line| {
        let rest = line.split(marker).nth(1)?;
        Some(rest.split_whitespace().next().unwrap_or_default().to_string())
    });
}

/// Reads a child's `stream` line by line for as long as it is open (so the
/// child never blocks on a full pipe), sending on `sender` whatever `pick`
/// finds in a line.
pub(crate) fn forward_lines<T: Send + 'static>(
    stream: impl std::io::Read + Send + 'static,
    sender: mpsc::Sender<T>,
    mut pick: impl FnMut(&str) -> Option<T> + Send + 'static,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(found) = pick(&line) {
                let _ = sender.send(found);
            }
        }
    });
}

/// Waits until something listens on the loopback `port`.
pub(crate) fn wait_for_port(port: u16, what: &str) {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {address} within {START_TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A datapoint of `metric` (namespace `AWS/ApplicationELB`) with
/// `dimensions`, named in the order tlswatch asks for them (moto matches
/// dimensions in put order), at `t` epoch seconds.
pub fn datum(metric: &str, dimensions: &[(&str, &str)], t: i64, value: f64) -> MetricDatum {
    let dimensions = dimensions.iter().map(|(name, value)| Dimension::builder().name(*name).value(*value).build());
    MetricDatum::builder()
        .metric_name(metric)
        .set_dimensions(Some(dimensions.collect()))
        .timestamp(DateTime::from_secs(t))
        .value(value)
        .build()
}

/// A file named `name` holding `contents`, in a folder of this test process.
pub fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlswatch-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let file = dir.join(name);
    std::fs::write(&file, contents).expect("a temporary file");
    file
}

/// An HTTP Basic `Authorization` value.
pub fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// The account moto files data under when the caller assumed no role.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// The credentials of the tests' own identity (moto takes any).
fn test_identity() -> Credentials {
    Credentials::new("testing", "testing", None, None, "tlswatch-tests")
}

impl Moto {
    /// Creates the review's load balancers, listeners, rules and target
    /// groups with boto3 (tests/fixtures/review_setup.py) in [`REGION`] of
    /// the default account; what the fixture prints: the created values,
    /// and what DescribeSSLPolicies said.
    pub fn create_review_fixture(&self) -> serde_json::Value {
        self.create_review_fixture_in(REGION, None)
    }

    /// The review's fixture in `region` of the account of `role_arn` (the
    /// default account without one).
    pub fn create_review_fixture_in(&self, region: &str, role_arn: Option<&str>) -> serde_json::Value {
        let mut args = vec![region];
        args.extend(role_arn);
        self.run_review_fixture(&args)
    }

    /// A fleet of `balancers` load balancers in [`REGION`], each with an
    /// HTTPS listener forwarding to `groups` target groups (the fixture's
    /// `fleet` mode); the load balancers' values.
    pub fn create_fleet_fixture(&self, balancers: usize, groups: usize) -> Vec<String> {
        self.create_fleet_fixture_in(balancers, groups, REGION, None)
    }

    /// The same fleet in `region` of the account of `role_arn` (the default
    /// account without one).
    pub fn create_fleet_fixture_in(
        &self,
        balancers: usize,
        groups: usize,
        region: &str,
        role_arn: Option<&str>,
    ) -> Vec<String> {
        let (balancers, groups) = (balancers.to_string(), groups.to_string());
        let mut args = vec!["fleet", &balancers, &groups, region];
        args.extend(role_arn);
        let fleet = self.run_review_fixture(&args);
        serde_json::from_value(fleet).expect("the fixture prints the load balancers")
    }

    fn run_review_fixture(&self, args: &[&str]) -> serde_json::Value {
        let python = workspace_root().join(".tools/venv/bin/python");
        let output = Command::new(&python)
            .arg(workspace_root().join("tests/fixtures/review_setup.py"))
            .arg(&self.endpoint)
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("cannot run {}: {err} (run `cargo xtask test`)", python.display()));
        assert!(output.status.success(), "the fixture failed: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("the fixture prints JSON")
    }

    /// Puts `data` in [`REGION`], in batches PutMetricData accepts.
    pub async fn put(&self, data: Vec<MetricDatum>) {
        self.put_in(REGION, data).await;
    }

    /// Puts `data` in `region` of the default account.
    pub async fn put_in(&self, region: &str, data: Vec<MetricDatum>) {
        put_with(&self.client_in(region).await, data).await;
    }

    /// Puts `data` in `region` of the account of `role_arn`, with
    /// credentials of that role: moto files it under the role's account and
    /// keeps it apart from the default one.
    pub async fn put_as(&self, role_arn: &str, region: &str, data: Vec<MetricDatum>) {
        let credentials = self.assume(role_arn).await;
        put_with(&self.client_with(region, credentials), data).await;
    }

    /// Puts an alarm named `name` on the Sum of `load_balancer`'s target
    /// TLS errors per 5 minutes, over `threshold` for one period.
    pub async fn put_alarm(&self, name: &str, load_balancer: &str, threshold: f64) {
        self.client()
            .await
            .put_metric_alarm()
            .alarm_name(name)
            .namespace("AWS/ApplicationELB")
            .metric_name("TargetTLSNegotiationErrorCount")
            .dimensions(Dimension::builder().name("LoadBalancer").value(load_balancer).build())
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(threshold)
            .comparison_operator(ComparisonOperator::GreaterThanThreshold)
            .send()
            .await
            .expect("moto takes the alarm");
    }

    /// Credentials of `role_arn`, assumed through moto's STS.
    pub async fn assume(&self, role_arn: &str) -> Credentials {
        let config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(test_identity())
            .endpoint_url(&self.endpoint)
            .build();
        let assumed = aws_sdk_sts::Client::from_conf(config)
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("tlswatch-tests")
            .send()
            .await
            .expect("moto assumes the role");
        let given = assumed.credentials().expect("assumed credentials");
        Credentials::new(
            given.access_key_id(),
            given.secret_access_key(),
            Some(given.session_token().to_string()),
            None,
            "tlswatch-tests-assumed",
        )
    }

    /// An SDK client for putting test data in [`REGION`].
    pub async fn client(&self) -> Client {
        self.client_in(REGION).await
    }

    /// An SDK client for putting test data in `region` (moto keeps each
    /// region's data apart).
    pub async fn client_in(&self, region: &str) -> Client {
        self.client_with(region, test_identity())
    }

    /// An SDK client for `region` with `credentials`, with request
    /// compression off (moto's server cannot read compressed bodies).
    fn client_with(&self, region: &str, credentials: Credentials) -> Client {
        let config = aws_sdk_cloudwatch::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .credentials_provider(credentials)
            .endpoint_url(&self.endpoint)
            .disable_request_compression(true)
            .build();
        Client::from_conf(config)
    }
}

/// Puts `data` through `client`, in batches PutMetricData accepts.
async fn put_with(client: &Client, data: Vec<MetricDatum>) {
    for batch in data.chunks(500) {
        let put = client.put_metric_data().namespace("AWS/ApplicationELB").set_metric_data(Some(batch.to_vec()));
        put.send().await.expect("moto takes the test data");
    }
}

/// A running `tlswatch` binary.
pub struct Tlswatch {
    _child: Reaped,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Tlswatch {
    /// Starts `tlswatch` with `args` (plus `--listen 127.0.0.1:0`) and waits
    /// until it says where it listens.
    pub fn start(args: &[&str]) -> Self {
        Self::start_listening("127.0.0.1:0", args)
    }

    /// Starts `tlswatch` listening on `listen` with `args`.
    pub fn start_listening(listen: &str, args: &[&str]) -> Self {
        Self::start_with_env(listen, args, &[])
    }

    /// Starts `tlswatch` listening on `listen` with `args` and the
    /// environment variables `env` besides the test's own.
    pub fn start_with_env(listen: &str, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let mut all = vec!["--listen", listen];
        all.extend_from_slice(args);
        Self::spawn(&all, env)
    }

    /// Starts `tlswatch` again in place of one that listened on `listen`
    /// (a loopback address with its port) and was killed: the port it held
    /// is taken back, the one fixed port [`containment`] allows.
    pub fn start_again(listen: &str, args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        let address: SocketAddr = listen.parse().expect("the address it listened on");
        assert!(address.ip().is_loopback(), "{listen} is on loopback");
        let checked = [&["--listen", "127.0.0.1:0"], args].concat();
        if let Err(why) = containment(&checked, env) {
            panic!("tlswatch {args:?} must not start: {why}");
        }
        let mut command = command();
        command.envs(env.iter().copied()).args(["--listen", listen]).args(args);
        Self::spawn_command(command)
    }

    /// Starts `tlswatch` with exactly `args` and `env` (which must name
    /// where it listens, see [`containment`]) and waits until it says where
    /// it listens.
    pub fn spawn(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Self {
        Self::spawn_command(contained_command(args, env))
    }

    fn spawn_command(mut command: Command) -> Self {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start tlswatch: {err}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let child = Reaped(child);
        let (sender, receiver) = mpsc::channel();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        // What it writes to stderr (a panic's message) is kept too, and shown as before.
        let kept = log.clone();
        forward_lines(stderr, mpsc::channel::<()>().0, move |line| {
            eprintln!("{line}");
            kept.lock().expect("not poisoned").push(line.to_string());
            None
        });
        let kept = log.clone();
        // Keep reading the log for the life of the process so it never blocks on a full pipe.
        forward_lines(stdout, sender, move |line| {
            kept.lock().expect("not poisoned").push(line.to_string());
            let rest = line.split("listening on ").nth(1)?;
            Some(rest.split_whitespace().next().unwrap_or_default().to_string())
        });
        let url = receiver.recv_timeout(START_TIMEOUT).expect("tlswatch did not report its address");
        Self { _child: child, url, log }
    }

    /// The most memory the process has held resident so far, in MiB (Linux's
    /// `VmHWM`, the kernel's own high-water mark: no sampling can miss a peak).
    pub fn peak_resident_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self._child.0.id()))
            .expect("/proc/PID/status (Linux) is readable");
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no VmHWM in {status}"));
        kib / 1024.0
    }

    /// The lines tlswatch has logged so far (its log goes to stdout), and
    /// what it wrote to stderr.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("not poisoned").clone()
    }

    /// `http://ADDR` of the `--metrics-listen` listener, as tlswatch logged
    /// it (before it says where it listens, so it is in the log by now).
    pub fn metrics_listener(&self) -> String {
        let log = self.log();
        let line = log.iter().find_map(|line| line.split("serving /metrics without login on ").nth(1));
        let url = line
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no metrics listener: {log:?}"));
        url.trim_end_matches("/metrics").to_string()
    }

    /// Starts `tlswatch` on the demo source with the built frontend, for browser tests.
    pub fn demo_with_frontend() -> Self {
        Self::start(&["--source", "demo", "--dist", &built_frontend().to_string_lossy()])
    }

    /// Starts `tlswatch` on CloudWatch at `moto`.
    pub fn on_moto(moto: &Moto) -> Self {
        Self::on_endpoint(&moto.endpoint, &[])
    }

    /// Starts `tlswatch` on CloudWatch at `moto`, and CloudTrail at
    /// `cloudtrail` (named by `AWS_ENDPOINT_URL_CLOUDTRAIL`, as the SDKs'
    /// per-service endpoint convention has it, beside `--endpoint-url`).
    pub fn on_moto_and_cloudtrail(moto: &Moto, cloudtrail: &str) -> Self {
        let args = ["--source", "cloudwatch", "--region", REGION, "--endpoint-url", moto.endpoint.as_str()];
        let env = [("AWS_ENDPOINT_URL_CLOUDTRAIL", std::ffi::OsStr::new(cloudtrail))];
        Self::start_with_env("127.0.0.1:0", &args, &env)
    }

    /// Starts `tlswatch` on the CloudWatch-compatible server at `endpoint`
    /// (moto, or a test upstream in front of it), with `extra` flags.
    pub fn on_endpoint(endpoint: &str, extra: &[&str]) -> Self {
        let mut args = vec!["--source", "cloudwatch", "--region", REGION, "--endpoint-url", endpoint];
        args.extend_from_slice(extra);
        Self::start(&args)
    }

    /// Sends SIGTERM, as a service manager stopping it would.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends SIGINT, as Ctrl-C in a terminal would.
    pub fn interrupt(&self) {
        self.signal("INT");
    }

    fn signal(&self, name: &str) {
        let pid = self._child.0.id().to_string();
        let sent = Command::new("kill").args([&format!("-{name}"), &pid]).status().expect("kill runs");
        assert!(sent.success(), "SIG{name} delivered");
    }

    /// Waits for the process to exit; its status, or `None` after `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self._child.0.try_wait().expect("a status") {
                return Some(status);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// GETs `path_and_query` and returns the status and the JSON body.
    pub async fn get(&self, path_and_query: &str) -> (u16, serde_json::Value) {
        self.get_as(path_and_query, &[]).await
    }

    /// GETs `path_and_query` with `headers` (a user's credentials, say);
    /// its status and JSON body.
    pub async fn get_as(&self, path_and_query: &str, headers: &[(&str, String)]) -> (u16, serde_json::Value) {
        let shown: String = path_and_query.chars().take(120).collect();
        let mut request = reqwest::Client::new().get(format!("{}{path_and_query}", self.url));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .map_err(reqwest::Error::without_url)
            .unwrap_or_else(|err| panic!("{shown}: tlswatch does not answer: {err}"));
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{shown}: not JSON: {text:.300}"));
        (status, json)
    }

    /// Sends `GET <target>` as raw HTTP/1.1, for request lines no HTTP
    /// client library will build, and returns the status and the body.
    pub fn raw_get(&self, target: &str) -> (u16, String) {
        self.raw_get_addressed(target, self.address())
    }

    /// `host:port` of the listener, as a browser writes it in `Host`.
    pub fn address(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Sends `GET <target>` as raw HTTP/1.1 with `Host: <host>` (a name a
    /// browser would send after DNS rebinding, say); the status and the body.
    pub fn raw_get_addressed(&self, target: &str, host: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut stream = TcpStream::connect(self.address()).expect("tlswatch accepts connections");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout");
        write!(stream, "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("request sent");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response);
        let status = response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
        (status, body)
    }
}

/// Requests written whole on their own connections, their answers not yet read.
pub struct Sent {
    streams: Vec<tokio::net::TcpStream>,
}

impl Sent {
    /// Waits until tlswatch has read every request: the kernel's table of
    /// TCP sockets (Linux's `/proc/net/tcp`) lists tlswatch's end of each of
    /// these connections as established with an empty receive queue. A sign
    /// that the requests arrived that no timing on a busy machine can fake.
    pub async fn until_read(&self) {
        let ours: std::collections::HashSet<(u16, u16)> = self
            .streams
            .iter()
            .map(|stream| {
                let (client, server) = (stream.local_addr().expect("an address"), stream.peer_addr().expect("a peer"));
                (server.port(), client.port())
            })
            .collect();
        let port = |address: &str| address.rsplit(':').next().and_then(|hex| u16::from_str_radix(hex, 16).ok());
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp (Linux) is readable");
            let read = table
                .lines()
                .skip(1)
                .filter(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let (Some(local), Some(remote), Some(state), Some(queues)) =
                        (fields.get(1), fields.get(2), fields.get(3), fields.get(4))
                    else {
                        return false;
                    };
                    let unread = queues.split(':').nth(1).and_then(|rx| u64::from_str_radix(rx, 16).ok());
                    let ends = port(local).zip(port(remote));
                    *state == "01" && unread == Some(0) && ends.is_some_and(|ends| ours.contains(&ends))
                })
                .count();
            if read == ours.len() {
                return;
            }
            assert!(Instant::now() < deadline, "tlswatch read {read} of {} requests in {START_TIMEOUT:?}", ours.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The status and JSON body of each answer, in the order sent.
    pub async fn answers(self) -> Vec<(u16, serde_json::Value)> {
        use tokio::io::AsyncReadExt;
        let reads = self.streams.into_iter().map(|mut stream| async move {
            let mut response = Vec::new();
            let read = tokio::time::timeout(START_TIMEOUT, stream.read_to_end(&mut response)).await;
            assert!(matches!(read, Ok(Ok(_))), "tlswatch answered within {START_TIMEOUT:?}");
            let response = String::from_utf8_lossy(&response).into_owned();
            let status = response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
            let body = response.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
            let json = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body:.300}"));
            (status, json)
        });
        futures::future::join_all(reads).await
    }
}

impl Tlswatch {
    /// Sends `GET path_and_query` on `count` connections of their own and
    /// returns once every request is written whole (on loopback: in
    /// tlswatch's receive queue), without waiting for the answers.
    pub async fn send_together(&self, path_and_query: &str, count: usize) -> Sent {
        use tokio::io::AsyncWriteExt;
        let address = self.url.trim_start_matches("http://").to_string();
        let mut streams = Vec::with_capacity(count);
        for _ in 0..count {
            let mut stream = tokio::net::TcpStream::connect(&address).await.expect("tlswatch accepts connections");
            let request = format!("GET {path_and_query} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
            stream.write_all(request.as_bytes()).await.expect("request sent");
            streams.push(stream);
        }
        Sent { streams }
    }

    /// GETs `path_and_query` and returns the whole response, for its headers.
    pub async fn response(&self, path_and_query: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path_and_query}", self.url))
            .await
            .map_err(reqwest::Error::without_url)
            .unwrap_or_else(|err| panic!("{path_and_query:.120}: tlswatch does not answer: {err}"))
    }

    /// The value of the sample of `name` with exactly `labels` in `/metrics`;
    /// 0 when there is none yet (a counter appears on its first increment).
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let response = self.response("/metrics").await;
        assert_eq!(response.status(), 200, "/metrics answers");
        let text = response.text().await.expect("a body");
        metric_value(&text, name, labels).unwrap_or(0.0)
    }

    /// Every sample of `name` in `/metrics` (see [`samples_of`]).
    pub async fn samples(&self, name: &str) -> std::collections::BTreeMap<String, f64> {
        let response = self.response("/metrics").await;
        assert_eq!(response.status(), 200, "/metrics answers");
        samples_of(&response.text().await.expect("a body"), name)
    }
}

/// Every sample of `name` in Prometheus text, by its labels written
/// `key=value` (quotes dropped), sorted and joined with commas: for
/// asserting a whole family, so that a missing sample is not read as 0.
pub fn samples_of(text: &str, name: &str) -> std::collections::BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (sample, value) = line.rsplit_once(' ')?;
            let (sample_name, labels) = match sample.split_once('{') {
                Some((sample_name, rest)) => (sample_name, split_labels(rest.strip_suffix('}')?)),
                None => (sample, Vec::new()),
            };
            let labels: Vec<String> = labels.iter().map(|pair| pair.replace('"', "")).collect();
            (sample_name == name).then(|| Some((labels.join(","), value.parse().ok()?))).flatten()
        })
        .collect()
}

/// The value of the sample `name{labels}` in Prometheus text (labels in
/// any order), if there is one.
pub fn metric_value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(key, value)| format!("{key}=\"{value}\"")).collect();
    wanted.sort();
    text.lines().filter(|line| !line.starts_with('#')).find_map(|line| {
        let (sample, value) = line.rsplit_once(' ')?;
        let (sample_name, sample_labels) = match sample.split_once('{') {
            Some((sample_name, rest)) => (sample_name, split_labels(rest.strip_suffix('}')?)),
            None => (sample, Vec::new()),
        };
        (sample_name == name && sample_labels == wanted).then(|| value.parse().ok()).flatten()
    })
}

/// `a="x",b="y"` as sorted `key="value"` pairs (the exposition escapes
/// quotes inside values, and tlswatch's label values have no commas).
fn split_labels(labels: &str) -> Vec<String> {
    let mut pairs: Vec<String> = labels.split(',').filter(|pair| !pair.is_empty()).map(str::to_string).collect();
    pairs.sort();
    pairs
}

/// Runs `tlswatch` with `args` until it exits (for start-up refusals) and
/// returns whether it succeeded and what it wrote to stderr.
pub fn run_to_exit(args: &[&str]) -> (bool, String) {
    run_to_exit_with_env(args, &[])
}

/// Runs `tlswatch` with `args` and the environment variables `env` until it
/// exits; whether it succeeded and what it wrote to stderr.
pub fn run_to_exit_with_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> (bool, String) {
    let mut child = contained_command(args, env)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tlswatch starts");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("a status") {
            let mut stderr = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut stderr).expect("stderr");
            return (status.success(), stderr);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tlswatch {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The built binary with `args`, `env`, a clean environment and test
/// credentials, once [`containment`] has found that it can reach nothing
/// but loopback.
fn contained_command(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Command {
    if let Err(why) = containment(args, env) {
        panic!("tlswatch {args:?} must not start: {why}");
    }
    let mut command = command();
    command.envs(env.iter().copied()).args(args);
    command
}

/// Whether tlswatch started with `args` and `env` stays off the network:
/// its data comes from the demo or from a loopback `--endpoint-url`, never
/// from AWS (a start-up refusal that regressed would otherwise call STS and
/// CloudWatch), and it listens on a port of its choosing (port 0), not on a
/// fixed one another test or service may hold. A fixed port is accepted
/// only while something already holds it (a test of the bind failure), an
/// address that does not parse only because tlswatch refuses it.
pub fn containment(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Result<(), String> {
    if args.iter().any(|arg| matches!(*arg, "--help" | "-h" | "--version" | "-V")) {
        return Ok(());
    }
    let variable = |variable: &str| -> Option<String> {
        let value = env.iter().rev().find(|(name, _)| *name == variable)?.1;
        Some(value.to_string_lossy().into_owned())
    };
    let setting = |flag: &str, name: &str| -> Option<String> {
        let mut given = args.iter().enumerate().filter_map(|(index, arg)| match arg.strip_prefix(flag) {
            Some("") => args.get(index + 1).map(|value| value.to_string()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        });
        given.next_back().or_else(|| variable(name))
    };
    let on_loopback = |endpoint: &str| {
        let host = url::Url::parse(endpoint).ok().and_then(|url| url.host_str().map(str::to_string));
        host.as_deref().is_some_and(|host| {
            host == "localhost"
                || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        })
    };
    // The SDK's own endpoint variables (`AWS_ENDPOINT_URL`, and one per
    // service) must name loopback too; the general one stands in for
    // `--endpoint-url`, so no service is left to AWS's endpoint.
    for (name, value) in env.iter().filter(|(name, _)| name.starts_with("AWS_ENDPOINT_URL")) {
        if !on_loopback(&value.to_string_lossy()) {
            return Err(format!("{name} {} is not on loopback", value.to_string_lossy()));
        }
    }
    if setting("--source", "TLSWATCH_SOURCE").as_deref() != Some("demo") {
        let endpoint =
            setting("--endpoint-url", "TLSWATCH_ENDPOINT_URL").or_else(|| variable("AWS_ENDPOINT_URL")).ok_or(
                "it would read AWS itself: pass --source demo or a loopback --endpoint-url (moto, closed_endpoint())",
            )?;
        if !on_loopback(&endpoint) {
            return Err(format!("--endpoint-url {endpoint} is not on loopback"));
        }
    }
    // The probe connects to what its allow-list admits: loopback only.
    let given = args.iter().enumerate().filter_map(|(index, arg)| match arg.strip_prefix("--probe-targets") {
        Some("") => args.get(index + 1).map(|value| value.to_string()),
        Some(rest) => rest.strip_prefix('=').map(str::to_string),
        None => None,
    });
    let from_env = env.iter().filter(|(name, _)| *name == "TLSWATCH_PROBE_TARGETS");
    let lists: Vec<String> = given.chain(from_env.map(|(_, value)| value.to_string_lossy().into_owned())).collect();
    for cidr in lists.iter().flat_map(|list| list.split(',')) {
        let network = cidr.trim().split('/').next().unwrap_or_default();
        let bits = cidr.trim().split('/').nth(1).map_or(Ok(32), str::parse::<u8>);
        let inside =
            network.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.octets()[0] == 127) && bits.is_ok_and(|b| b >= 8);
        if !inside {
            return Err(format!("--probe-targets {cidr} reaches beyond 127.0.0.0/8"));
        }
    }
    let listen = setting("--listen", "TLSWATCH_LISTEN")
        .ok_or("it would listen on the fixed default 127.0.0.1:8080: pass --listen 127.0.0.1:0")?;
    match listen.parse::<SocketAddr>() {
        Ok(address) if address.port() != 0 && std::net::TcpListener::bind(address).is_ok() => {
            Err(format!("--listen {listen} is a fixed port: pass port 0"))
        }
        _ => Ok(()),
    }
}

/// A loopback endpoint nothing listens on: for tests that start tlswatch on
/// CloudWatch but expect it to refuse before any call (or to fail the calls).
pub fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("an address").port();
    format!("http://127.0.0.1:{port}")
}

/// What `tlswatch --help` prints: every flag, its variable and its default.
pub fn help() -> String {
    let output = contained_command(&["--help"], &[]).stdin(Stdio::null()).output().expect("tlswatch --help runs");
    assert!(output.status.success(), "tlswatch --help succeeds");
    String::from_utf8(output.stdout).expect("UTF-8 help")
}

/// The built binary with a clean environment and test credentials.
fn command() -> Command {
    let program = std::env::var_os("TLSWATCH_BIN").map(PathBuf::from).unwrap_or_else(default_binary);
    assert!(program.is_file(), "{} is missing: run `cargo xtask test`, which builds it", program.display());
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // No background passes over the fleet: a test counts the calls its
        // own requests make; the tests of the passes turn them on.
        .env("TLSWATCH_FLEET_REFRESH_SECONDS", "0")
        .env("RUST_LOG", "info");
    command
}

fn default_binary() -> PathBuf {
    // target/<profile>/deps/<test> or target/<profile>/<binary> -> target/<profile>/tlswatch
    let exe = std::env::current_exe().expect("the running binary's path");
    let dir = exe.parent().expect("target/<profile>");
    let dir = if dir.ends_with("deps") { dir.parent().expect("target/<profile>") } else { dir };
    dir.join("tlswatch")
}

/// The built frontend: `dist/`, or `TLSWATCH_DIST`.
pub fn built_frontend() -> PathBuf {
    let dist = std::env::var_os("TLSWATCH_DIST").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("dist"));
    for page in ["index.html", "overview.html"] {
        assert!(dist.join(page).is_file(), "{} has no {page}: run `cargo xtask test`", dist.display());
    }
    dist
}

/// Epoch seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

#[cfg(test)]
mod tests {
    use super::{containment, metric_value};

    #[test]
    fn the_guard_refuses_a_child_that_could_reach_aws_or_a_fixed_port() {
        let closed = super::closed_endpoint();
        let local = ["--listen", "127.0.0.1:0"];
        let refused: [&[&str]; 8] = [
            &["--listen", "127.0.0.1:0", "--account", "payments=arn:aws:iam::111111111111:role/x"],
            &[
                "--listen",
                "127.0.0.1:0",
                "--source",
                "cloudwatch",
                "--endpoint-url",
                "https://monitoring.amazonaws.com",
            ],
            &["--listen", "127.0.0.1:0", "--source", "demo", "--source", "cloudwatch"],
            &["--source", "demo"],
            &["--source", "demo", "--listen", "127.0.0.1:8080"],
            &["--source=demo", "--listen=0.0.0.0:8080"],
            &["--listen", "127.0.0.1:0", "--source", "demo", "--probe-targets", "10.0.0.0/8"],
            &["--listen", "127.0.0.1:0", "--source", "demo", "--probe-targets", "127.0.0.0/8,0.0.0.0/0"],
        ];
        for args in refused {
            assert!(containment(args, &[]).is_err(), "{args:?} must be refused");
        }
        let env_endpoint = [("TLSWATCH_ENDPOINT_URL", std::ffi::OsStr::new(&closed))];
        assert!(containment(&local, &env_endpoint).is_ok(), "an endpoint from the environment counts");
        let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let held = held.local_addr().unwrap().to_string();
        let accepted: [&[&str]; 6] = [
            &["--listen", "127.0.0.1:0", "--source", "demo"],
            &["--source=demo", "--listen=[::ffff:127.0.0.1]:0"],
            &["--listen", "127.0.0.1:0", "--endpoint-url", &closed],
            &["--listen", "127.0.0.1:0", "--endpoint-url", "http://localhost:4566"],
            &["--source", "demo", "--listen", &held],
            &["--help"],
        ];
        for args in accepted {
            assert_eq!(containment(args, &[]), Ok(()), "{args:?}");
        }
    }

    #[test]
    fn reads_a_sample_by_name_and_exact_labels() {
        let text = "# TYPE tlswatch_cache_lookups counter\n\
                    tlswatch_cache_lookups_total{outcome=\"miss\"} 1\n\
                    tlswatch_cache_lookups_total{outcome=\"coalesced\"} 39\n\
                    tlswatch_http_requests_total{route=\"/metrics\",status=\"200\"} 2\n\
                    tlswatch_cloudwatch_metrics_requested_total 520\n";
        assert_eq!(metric_value(text, "tlswatch_cache_lookups_total", &[("outcome", "coalesced")]), Some(39.0));
        assert_eq!(metric_value(text, "tlswatch_cache_lookups_total", &[("outcome", "hit")]), None);
        let labels = [("status", "200"), ("route", "/metrics")];
        assert_eq!(metric_value(text, "tlswatch_http_requests_total", &labels), Some(2.0));
        assert_eq!(metric_value(text, "tlswatch_http_requests_total", &labels[..1]), None, "labels must all match");
        assert_eq!(metric_value(text, "tlswatch_cloudwatch_metrics_requested_total", &[]), Some(520.0));
        assert_eq!(metric_value(text, "tlswatch_cloudwatch_metrics_requested", &[]), None, "names match whole");
        let lookups = super::samples_of(text, "tlswatch_cache_lookups_total");
        assert_eq!(lookups, [("outcome=miss".to_string(), 1.0), ("outcome=coalesced".to_string(), 39.0)].into());
        let requests = super::samples_of(text, "tlswatch_http_requests_total");
        assert_eq!(requests, [("route=/metrics,status=200".to_string(), 2.0)].into());
    }
}
