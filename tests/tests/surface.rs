//! Small leaks of surface: a missing file is a 404 (only navigations get
//! the page), build-time compressed copies are not served by name, the
//! catalog refuses parameters like every route, and the AWS SDK does not
//! ask the instance metadata service for the region it was given.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tlswatch_tests::{REGION, Tlswatch, closed_endpoint};

const HASHED: &str = "app-0123456789abcdef.js";

/// A stand-in for the built frontend with the `.br` and `.gz` copies a
/// release build makes.
fn small_frontend() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlswatch-surface-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for page in ["index.html", "overview.html"] {
        std::fs::write(dir.join(page), "<!doctype html><title>tlswatch</title>").unwrap();
    }
    std::fs::write(dir.join(HASHED), "console.log(1)").unwrap();
    // Not real compressed data: the test checks which bytes go out.
    std::fs::write(dir.join(format!("{HASHED}.br")), "brotli bytes").unwrap();
    std::fs::write(dir.join(format!("{HASHED}.gz")), "gzip bytes").unwrap();
    std::fs::write(dir.join("index.html.br"), "brotli index").unwrap();
    dir
}

/// The status, `Content-Encoding` and body of `GET path` accepting `encodings`.
async fn fetch(tlswatch: &Tlswatch, path: &str, encodings: &str) -> (u16, Option<String>, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", tlswatch.url))
        .header("accept-encoding", encodings)
        .send()
        .await
        .expect("tlswatch answers");
    let encoding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), encoding, response.text().await.unwrap())
}

#[tokio::test]
async fn a_missing_file_is_a_404_and_only_navigations_get_the_page() {
    let dist = small_frontend();
    let tlswatch = Tlswatch::start(&["--source", "demo", "--dist", dist.to_str().unwrap()]);
    for missing in ["/x.js", "/assets/app-ffffffffffffffff.wasm", "/favicon.ico", "/style.css"] {
        let (status, body) = tlswatch.get(missing).await;
        assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{missing}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(missing), "names the file: {body}");
    }
    for navigation in ["/", "/?lb=app/edge-alb/50dc6c495c0c9188", "/some/page", "/overview?stat=Maximum"] {
        let (status, _, body) = fetch(&tlswatch, navigation, "identity").await;
        assert_eq!((status, body.contains("<title>tlswatch</title>")), (200, true), "{navigation}");
    }
    let (status, _, body) = fetch(&tlswatch, &format!("/{HASHED}"), "identity").await;
    assert_eq!((status, body.as_str()), (200, "console.log(1)"));
}

#[tokio::test]
async fn compressed_copies_go_out_only_in_place_of_their_original() {
    let dist = small_frontend();
    let tlswatch = Tlswatch::start(&["--source", "demo", "--dist", dist.to_str().unwrap()]);
    for copy in [format!("/{HASHED}.br"), format!("/{HASHED}.gz"), "/index.html.br".to_string()] {
        let (status, _, body) = fetch(&tlswatch, &copy, "identity").await;
        assert_eq!(status, 404, "{copy} is not served by name: {body}");
        assert!(!body.contains("bytes") && !body.contains("brotli"), "{copy}: {body}");
    }
    let served = fetch(&tlswatch, &format!("/{HASHED}"), "br").await;
    assert_eq!(served, (200, Some("br".to_string()), "brotli bytes".to_string()));
}

#[tokio::test]
async fn the_catalog_refuses_unknown_parameters_like_every_route() {
    let tlswatch = Tlswatch::start(&["--source", "demo"]);
    let (status, body) = tlswatch.get("/api/v1/catalog?foo=bar").await;
    assert_eq!(
        (status, body["error"]["code"].as_str(), body["error"]["param"].as_str()),
        (400, Some("unknown_parameter"), Some("foo")),
        "{body}"
    );
    let (status, body) = tlswatch.get("/api/v1/catalog?a=%ff").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")), "{body}");
    assert_eq!(tlswatch.get("/api/v1/catalog").await.0, 200);
}

/// A stand-in for the instance metadata service on loopback that counts
/// the connections made to it and answers each with a 404.
fn metadata_service() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = stream.read(&mut [0u8; 4096]);
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (endpoint, connections)
}

#[tokio::test]
async fn the_sdk_does_not_ask_the_instance_metadata_service_for_a_given_region() {
    let (metadata, connections) = metadata_service();
    let env = [
        ("AWS_EC2_METADATA_DISABLED", OsStr::new("false")),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", OsStr::new(&metadata)),
    ];
    let closed = closed_endpoint();
    let args = ["--source", "cloudwatch", "--region", REGION, "--endpoint-url", &closed];
    let tlswatch = Tlswatch::start_with_env("127.0.0.1:0", &args, &env);
    // A call through the SDK (it fails: nothing listens at the endpoint).
    let (status, body) = tlswatch.get("/api/v1/dimensions").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(connections.load(Ordering::SeqCst), 0, "the metadata service was asked");
}
