//! A real Redis-protocol server for the tests of the cache replicas share
//! (`--cache-url`): Debian's `redis-server` (or `valkey-server` where it is
//! installed), on a free loopback port, without persistence, killed and
//! reaped when dropped. `cargo xtask test` installs it; `TLSWATCH_REDIS_SERVER`
//! overrides where it is taken from.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::Reaped;

/// How long the server may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Ports tried before giving up (another process may take a free port
/// between finding it and the server binding it).
const ATTEMPTS: usize = 5;

/// A running Redis-protocol server on loopback.
pub struct RedisServer {
    child: Option<Reaped>,
    pub port: u16,
    tls: Option<Tls>,
}

/// A server speaking TLS only, with a password.
struct Tls {
    /// Holds the test authority, and the server's certificate and key.
    dir: PathBuf,
    password: String,
}

impl Drop for Tls {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl RedisServer {
    /// Starts the server on a free loopback port, retrying on another port
    /// when the one found is taken before the server binds it.
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts a server that speaks only TLS, with a certificate for
    /// `127.0.0.1` signed by a test authority ([`Self::certificate_authority`]),
    /// and asks for `password`.
    pub fn start_tls(password: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tlswatch-redis-tls-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).expect("a folder for the certificate");
        // A certificate authority, and the server's certificate signed by
        // it (TLS clients refuse a CA certificate as the server's own).
        let extensions = dir.join("server.ext");
        let lines = "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
        std::fs::write(&extensions, lines).expect("extensions written");
        let steps: [Vec<&str>; 3] = [
            vec!["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=tlswatch test CA"],
            vec!["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"],
            vec!["x509", "-req", "-days", "1", "-CAcreateserial"],
        ];
        let files: [&[&str]; 3] = [
            &["-keyout", "ca.key", "-out", "ca.pem"],
            &["-keyout", "key.pem", "-out", "server.csr"],
            &["-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-extfile", "server.ext", "-out", "cert.pem"],
        ];
        for (step, files) in steps.iter().zip(files) {
            let made = Command::new("openssl")
                .args(step)
                .args(files)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl runs");
            assert!(made.success(), "openssl {step:?} {files:?}");
        }
        Self::start_with(Some(Tls { dir, password: password.to_string() }))
    }

    fn start_with(tls: Option<Tls>) -> Self {
        for _ in 0..ATTEMPTS {
            let port = free_port();
            if let Some(child) = spawn(port, tls.as_ref()) {
                return Self { child: Some(child), port, tls };
            }
        }
        panic!("the Redis server did not start on any of {ATTEMPTS} free ports");
    }

    /// `redis://127.0.0.1:PORT`, for `--cache-url`; for a TLS server,
    /// `rediss://:PASSWORD@127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        match &self.tls {
            None => format!("redis://127.0.0.1:{}", self.port),
            Some(tls) => format!("rediss://:{}@127.0.0.1:{}", tls.password, self.port),
        }
    }

    /// The authority that signed a TLS server's certificate (for `SSL_CERT_FILE`).
    pub fn certificate_authority(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|tls| tls.dir.join("ca.pem"))
    }

    /// Kills the server (as a crash would) and reaps it; its data is gone.
    pub fn kill(&mut self) {
        self.child = None;
    }

    /// Starts the server again on the same port, after [`Self::kill`].
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "restart follows kill");
        for _ in 0..ATTEMPTS * 4 {
            if let Some(child) = spawn(self.port, self.tls.as_ref()) {
                self.child = Some(child);
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("the Redis server did not start again on port {}", self.port);
    }

    /// Runs one command with `redis-cli` and returns what it printed.
    pub fn cli(&self, args: &[&str]) -> String {
        let mut command = Command::new(cli_program());
        command.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "--raw"]);
        if let Some(tls) = &self.tls {
            command.arg("--tls").arg("--cacert").arg(tls.dir.join("ca.pem")).args(["--no-auth-warning", "-a"]);
            command.arg(&tls.password);
        }
        let out = command.args(args).stdin(Stdio::null()).output().expect("redis-cli runs");
        assert!(out.status.success(), "redis-cli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        // redis-cli exits 0 on an error reply.
        assert!(!said.starts_with("ERR ") && !said.starts_with("NOPERM "), "redis-cli {args:?}: {said}");
        said
    }

    /// The keys matching `pattern`.
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        let mut keys: Vec<String> = self.cli(&["KEYS", pattern]).lines().map(str::to_string).collect();
        keys.retain(|key| !key.is_empty());
        keys.sort();
        keys
    }
}

/// The server program: `TLSWATCH_REDIS_SERVER`, else `valkey-server` or
/// `redis-server` from Debian's packages.
fn server_program() -> PathBuf {
    if let Some(program) = std::env::var_os("TLSWATCH_REDIS_SERVER") {
        return PathBuf::from(program);
    }
    let installed = ["/usr/bin/valkey-server", "/usr/bin/redis-server"].into_iter().map(PathBuf::from);
    installed
        .into_iter()
        .find(|program| program.is_file())
        .expect("/usr/bin/redis-server is missing: run `cargo xtask test`, which installs it")
}

fn cli_program() -> PathBuf {
    let beside = server_program().with_file_name("redis-cli");
    if beside.is_file() { beside } else { server_program().with_file_name("valkey-cli") }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("an address").port()
}

/// The server on `port`, once it says it accepts connections; `None` when
/// it exits first (the port was taken).
fn spawn(port: u16, tls: Option<&Tls>) -> Option<Reaped> {
    let program = server_program();
    let mut command = Command::new(&program);
    match tls {
        None => command.args(["--port", &port.to_string()]),
        Some(tls) => command
            .args(["--port", "0", "--tls-port", &port.to_string(), "--tls-auth-clients", "no"])
            .arg("--tls-cert-file")
            .arg(tls.dir.join("cert.pem"))
            .arg("--tls-key-file")
            .arg(tls.dir.join("key.pem"))
            .arg("--tls-ca-cert-file")
            .arg(tls.dir.join("ca.pem"))
            .args(["--requirepass", &tls.password]),
    };
    let mut child = command
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--daemonize", "no", "--protected-mode", "yes", "--dir", &std::env::temp_dir().to_string_lossy()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {}: {err}", program.display()));
    let stdout = child.stdout.take().expect("stdout is piped");
    let child = Reaped(child);
    let (sender, receiver) = mpsc::channel();
    crate::forward_lines(stdout, sender, |line| line.contains("Ready to accept connections").then_some(()));
    // A server that exits (port taken) closes its log, which ends the wait.
    receiver.recv_timeout(READY_TIMEOUT).ok().map(|()| child)
}
