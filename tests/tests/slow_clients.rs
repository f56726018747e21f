//! Slow clients: a connection that trickles its headers, or idles between
//! requests, is closed after `--header-read-timeout`, so a few slow sockets
//! cannot hold the server's connections.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tlswatch_tests::Tlswatch;

const TIMEOUT_SECONDS: u64 = 2;

fn start() -> Tlswatch {
    Tlswatch::start(&["--source", "demo", "--header-read-timeout", &TIMEOUT_SECONDS.to_string()])
}

/// Reads `stream` until the server closes it (or 15 s pass); what was read
/// and when it closed, from `since`.
fn read_until_closed(stream: &mut TcpStream, since: Instant) -> (String, Option<Duration>) {
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    while since.elapsed() < Duration::from_secs(15) {
        match stream.read(&mut buffer) {
            Ok(0) => return (String::from_utf8_lossy(&read).into_owned(), Some(since.elapsed())),
            Ok(n) => read.extend_from_slice(&buffer[..n]),
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (String::from_utf8_lossy(&read).into_owned(), Some(since.elapsed())),
        }
    }
    (String::from_utf8_lossy(&read).into_owned(), None)
}

/// Reads one whole answer (headers and a `Content-Length` body) off `stream`.
fn read_answer(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&read).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_string))
                .and_then(|length| length.trim().parse::<usize>().ok())
                .expect("a Content-Length");
            if body.len() >= length {
                return text;
            }
        }
        let n = stream.read(&mut buffer).expect("the answer arrives");
        assert!(n > 0, "the connection closed mid-answer: {text:.300}");
        read.extend_from_slice(&buffer[..n]);
    }
}

#[test]
fn a_client_trickling_its_headers_is_cut_off_after_the_timeout() {
    let tlswatch = start();
    let mut stream = TcpStream::connect(tlswatch.address()).unwrap();
    let started = Instant::now();
    write!(stream, "GET /api/v1/catalog HTTP/1.1\r\nHost: {}\r\n", tlswatch.address()).unwrap();
    // One header line every half second, for longer than the timeout, never ending the headers.
    let mut writer = stream.try_clone().unwrap();
    let trickle = std::thread::spawn(move || {
        for line in 0..20 {
            std::thread::sleep(Duration::from_millis(500));
            if write!(writer, "X-Line-{line}: slow\r\n").is_err() {
                return line;
            }
        }
        20
    });
    let (answered, closed) = read_until_closed(&mut stream, started);
    let closed = closed.expect("tlswatch closes the connection");
    assert!(
        closed >= Duration::from_secs(TIMEOUT_SECONDS) - Duration::from_millis(200)
            && closed < Duration::from_secs(TIMEOUT_SECONDS + 3),
        "closed after {closed:?}, the timeout being {TIMEOUT_SECONDS} s"
    );
    assert!(!answered.contains(" 200 "), "the request was not served: {answered:.300}");
    trickle.join().unwrap();
    // Others are still served.
    let (status, _) = tlswatch.raw_get("/healthz");
    assert_eq!(status, 200);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_timeout_and_a_busy_one_is_not() {
    let tlswatch = start();
    let mut stream = TcpStream::connect(tlswatch.address()).unwrap();
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", tlswatch.address());
    // Requests closer together than the timeout share the connection.
    for _ in 0..3 {
        stream.write_all(request.as_bytes()).unwrap();
        let answer = read_answer(&mut stream);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:.300}");
        std::thread::sleep(Duration::from_millis(TIMEOUT_SECONDS * 1_000 / 2));
    }
    // Then it idles.
    let idle_since = Instant::now();
    let (_, closed) = read_until_closed(&mut stream, idle_since);
    let closed = closed.expect("tlswatch closes an idle connection");
    assert!(closed < Duration::from_secs(TIMEOUT_SECONDS + 3), "closed after {closed:?} idle");
}

#[test]
fn a_timeout_that_is_not_a_positive_number_of_seconds_is_refused() {
    for value in ["0", "-1", "soon"] {
        let flag = format!("--header-read-timeout={value}");
        let (started, stderr) = tlswatch_tests::run_to_exit(&["--source", "demo", "--listen", "127.0.0.1:0", &flag]);
        assert!(!started, "--header-read-timeout {value} is refused");
        assert!(stderr.contains("--header-read-timeout"), "{stderr}");
    }
}
