//! DNS rebinding: without authentication, tlswatch answers only requests
//! addressed to its listener by name (or to an `--allowed-host`), so a page
//! of another site whose name was pointed at 127.0.0.1 reads nothing.

use tlswatch_tests::{Tlswatch, basic, run_to_exit, temp_file};

/// Panics unless `host` is refused with the JSON 421 that names the flag.
fn assert_refused(tlswatch: &Tlswatch, target: &str, host: &str) {
    let (status, body) = tlswatch.raw_get_addressed(target, host);
    assert_eq!(status, 421, "{target} addressed to {host:?}: {body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
    assert_eq!(body["error"]["code"], "host_not_allowed", "{host}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("--allowed-host"), "the message names the flag: {message}");
}

#[test]
fn without_authentication_only_the_listeners_names_are_answered() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let port = tlswatch.address().rsplit(':').next().unwrap().to_string();
    for name in ["localhost", "127.0.0.1", "[::1]", "LocalHost"] {
        let (status, body) = tlswatch.raw_get_addressed("/api/v1/catalog", &format!("{name}:{port}"));
        assert_eq!(status, 200, "{name}:{port}: {body}");
    }
    // A rebound name, with or without the port; the listener's names at another port.
    for host in [format!("evil.example:{port}"), "evil.example".to_string(), "localhost:1".to_string()] {
        assert_refused(&tlswatch, "/api/v1/catalog", &host);
        assert_refused(&tlswatch, "/", &host);
        assert_refused(&tlswatch, "/metrics", &host);
    }
    assert_refused(&tlswatch, "/api/v1/series?from=now-1h", "127.0.0.1.nip.io");
    // An absolute request target names the host as well.
    assert_refused(&tlswatch, "http://evil.example/api/v1/catalog", &format!("localhost:{port}"));
    // Probes may address the health check by any name: it tells nothing.
    let (status, body) = tlswatch.raw_get_addressed("/healthz", "10.1.2.3:8080");
    assert_eq!((status, body.as_str()), (200, "ok"));
}

#[test]
fn allowed_host_adds_names_at_any_port_or_at_the_one_given() {
    let tlswatch = Tlswatch::start(&[
        "--source",
        "demo",
        "--allowed-host",
        "tlswatch.internal",
        "--allowed-host",
        "dash.test:8443",
    ]);
    for host in ["tlswatch.internal", "tlswatch.internal:9999", "dash.test:8443"] {
        let (status, body) = tlswatch.raw_get_addressed("/api/v1/catalog", host);
        assert_eq!(status, 200, "{host}: {body}");
    }
    assert_refused(&tlswatch, "/api/v1/catalog", "dash.test:8080");
    assert_refused(&tlswatch, "/api/v1/catalog", "evil.tlswatch.internal");

    let (started, stderr) =
        run_to_exit(&["--source", "demo", "--listen", "127.0.0.1:0", "--allowed-host", "not a host"]);
    assert!(!started, "a malformed --allowed-host is refused");
    assert!(stderr.contains("--allowed-host") && stderr.contains("not a host"), "{stderr}");
}

#[test]
fn with_authentication_every_name_is_answered_to_those_who_log_in() {
    let hash = bcrypt::hash("secret", 4).unwrap();
    let file = temp_file("rebinding-htpasswd", &format!("ana:{hash}\n"));
    let tlswatch = Tlswatch::start(&["--source", "demo", "--htpasswd", file.to_str().unwrap()]);
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(tlswatch.address()).unwrap();
    let authorization = basic("ana", "secret");
    write!(
        stream,
        "GET /api/v1/catalog HTTP/1.1\r\nHost: tlswatch.example.com\r\nAuthorization: {authorization}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response:.300}");
    let (status, _) = tlswatch.raw_get_addressed("/api/v1/catalog", "tlswatch.example.com");
    assert_eq!(status, 401, "and nothing to those who do not");
}
