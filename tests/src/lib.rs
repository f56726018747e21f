//! The harness of tlswatch's black-box tests: a real CloudWatch-compatible
//! server (moto in server mode) and the built `tlswatch` binary, each started
//! as a child process on a free loopback port and stopped when dropped.
//!
//! `cargo xtask test` installs moto into `.tools/venv` and builds the binary
//! before running these tests; both locations can be overridden with
//! `TLSWATCH_MOTO_SERVER` and `TLSWATCH_BIN`.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod browser;
pub mod upstream;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};

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

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()).expect("a free port").port()
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
    _child: Reaped,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Self {
        let program = std::env::var_os("TLSWATCH_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_root().join(".tools/venv/bin/moto_server"));
        assert!(program.is_file(), "{} is missing: run `cargo xtask test`, which installs it", program.display());
        let port = free_port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
        let child = Reaped(child);
        wait_for_port(port, "moto");
        Self { _child: child, endpoint: format!("http://127.0.0.1:{port}") }
    }
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

impl Moto {
    /// An SDK client for putting test data, with request compression off
    /// (moto's server cannot read compressed bodies).
    pub async fn client(&self) -> Client {
        let config = aws_sdk_cloudwatch::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "tlswatch-tests"))
            .endpoint_url(&self.endpoint)
            .disable_request_compression(true)
            .build();
        Client::from_conf(config)
    }
}

/// A running `tlswatch` binary.
pub struct Tlswatch {
    _child: Reaped,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl Tlswatch {
    /// Starts `tlswatch` with `args` (plus `--listen 127.0.0.1:0`) and waits
    /// until it says where it listens.
    pub fn start(args: &[&str]) -> Self {
        Self::start_listening("127.0.0.1:0", args)
    }

    /// Starts `tlswatch` listening on `listen` with `args`.
    pub fn start_listening(listen: &str, args: &[&str]) -> Self {
        let mut child = command()
            .args(["--listen", listen])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start tlswatch: {err}"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let child = Reaped(child);
        let (sender, receiver) = mpsc::channel();
        // Keep reading the log for the life of the process so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on ").nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or_default().to_string();
                    let _ = sender.send(url);
                }
            }
        });
        let url = receiver.recv_timeout(START_TIMEOUT).expect("tlswatch did not report its address");
        Self { _child: child, url }
    }

    /// Starts `tlswatch` on the demo source with the built frontend, for browser tests.
    pub fn demo_with_frontend() -> Self {
        Self::start(&["--source", "demo", "--dist", &built_frontend().to_string_lossy()])
    }

    /// Starts `tlswatch` on CloudWatch at `moto`.
    pub fn on_moto(moto: &Moto) -> Self {
        Self::on_endpoint(&moto.endpoint, &[])
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
        let pid = self._child.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success(), "SIGTERM delivered");
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
        let shown: String = path_and_query.chars().take(120).collect();
        let response = reqwest::get(format!("{}{path_and_query}", self.url))
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
        use std::io::{Read, Write};
        let address = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("tlswatch accepts connections");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("a timeout");
        write!(stream, "GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("request sent");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let response = String::from_utf8_lossy(&response);
        let status = response.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
        let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
        (status, body)
    }
}

/// Runs `tlswatch` with `args` until it exits (for start-up refusals) and
/// returns whether it succeeded and what it wrote to stderr.
pub fn run_to_exit(args: &[&str]) -> (bool, String) {
    let mut child = command()
        .args(args)
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
    assert!(dist.join("index.html").is_file(), "{} has no built frontend: run `cargo xtask test`", dist.display());
    dist
}

/// Epoch seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}
