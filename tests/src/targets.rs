//! Targets for the probe's tests, each on an address of its own in
//! 127.0.0.0/8 (moto keeps one target per address in a group): Debian's
//! `openssl s_server` with the options a test names, a plain HTTP server
//! (Python's `http.server`), a listener that accepts and closes, one that
//! never answers, and a port nothing listens on. Processes are killed when
//! dropped; nothing listens outside loopback.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::Reaped;

/// How long a server may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A free port on the loopback address `ip` (bound, then released for the
/// server to bind: each test's servers have addresses of their own).
fn free_address(ip: [u8; 4]) -> SocketAddr {
    assert_eq!(ip[0], 127, "targets listen on loopback only");
    let listener = TcpListener::bind(SocketAddr::from((ip, 0))).expect("a loopback port");
    listener.local_addr().expect("an address")
}

/// Waits until something accepts connections on `address`.
fn wait_for(address: SocketAddr, what: &str) {
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "{what} did not listen on {address} within {START_TIMEOUT:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A certificate and its key, made with `openssl req` (and `openssl x509`
/// to backdate it).
pub struct Certificate {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Certificate {
    /// A self-signed certificate for `name` with an RSA key of `bits`;
    /// `expired`: its not-after date is yesterday.
    pub fn make(name: &str, bits: u32, expired: bool) -> Self {
        let dir = std::env::temp_dir().join(format!("tlswatch-tests-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let (cert, key) = (dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
        let run = |args: &[&str]| {
            let output = Command::new("openssl").args(args).output().expect("openssl runs (Debian's openssl package)");
            assert!(output.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&output.stderr));
        };
        let (cert_path, key_path) = (cert.to_string_lossy().into_owned(), key.to_string_lossy().into_owned());
        let subject = format!("/CN={name}");
        run(&[
            "req",
            "-x509",
            "-newkey",
            &format!("rsa:{bits}"),
            "-nodes",
            "-keyout",
            &key_path,
            "-out",
            &cert_path,
            "-days",
            "30",
            "-subj",
            &subject,
        ]);
        if expired {
            run(&["x509", "-in", &cert_path, "-signkey", &key_path, "-days", "-1", "-out", &cert_path]);
        }
        Self { cert, key }
    }
}

/// `openssl s_server` on `ip`, with `options` (`-tls1_3`, `-Verify 1`, ...).
pub struct OpensslServer {
    _child: Reaped,
    pub address: SocketAddr,
}

impl OpensslServer {
    pub fn start(ip: [u8; 4], certificate: &Certificate, options: &[&str]) -> Self {
        let address = free_address(ip);
        let child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", &address.to_string(), "-naccept", "100", "-quiet"])
            .arg("-cert")
            .arg(&certificate.cert)
            .arg("-key")
            .arg(&certificate.key)
            .args(options)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let child = Reaped(child);
        wait_for(address, "openssl s_server");
        Self { _child: child, address }
    }
}

/// Python's `http.server` on `ip`: plain HTTP where TLS is expected.
pub struct PlainHttp {
    _child: Reaped,
    pub address: SocketAddr,
}

impl PlainHttp {
    pub fn start(ip: [u8; 4]) -> Self {
        let address = free_address(ip);
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", &address.ip().to_string(), &address.port().to_string()])
            .current_dir(std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let child = Reaped(child);
        wait_for(address, "python3 -m http.server");
        Self { _child: child, address }
    }
}

/// A listener on `ip` that counts the connections it gets and does to each
/// what it was made for.
pub struct Listener {
    pub address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    /// Held: a listener that never accepts keeps its connections in the
    /// kernel's queue, silent.
    _silent: Option<TcpListener>,
}

impl Listener {
    /// Accepts, then closes at once, before any handshake.
    pub fn closing(ip: [u8; 4]) -> Self {
        Self::serving(ip, drop)
    }

    /// Accepts and reads, never answering; counts every connection (for a
    /// listener that must see none).
    pub fn watching(ip: [u8; 4]) -> Self {
        Self::serving(ip, |mut stream| {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(15)));
            let _ = stream.read(&mut [0u8; 1024]);
        })
    }

    /// Never accepts: the kernel completes the TCP handshake, then nothing.
    pub fn silent(ip: [u8; 4]) -> Self {
        let listener = TcpListener::bind(SocketAddr::from((ip, 0))).expect("a loopback port");
        let address = listener.local_addr().expect("an address");
        Self { address, accepted: Arc::default(), _silent: Some(listener) }
    }

    fn serving(ip: [u8; 4], serve: fn(TcpStream)) -> Self {
        let listener = TcpListener::bind(SocketAddr::from((ip, 0))).expect("a loopback port");
        let address = listener.local_addr().expect("an address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                counted.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || serve(stream));
            }
        });
        Self { address, accepted, _silent: None }
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// An address of `ip` where nothing listens: connections are refused.
pub fn refused(ip: [u8; 4]) -> SocketAddr {
    free_address(ip)
}
