//! The headers that keep the dashboard out of other sites' frames and
//! windows are on every kind of response: data, errors, refusals, the page,
//! static files, health and metrics.

use std::path::PathBuf;

use base64::Engine;
use tlswatch_tests::Tlswatch;

const LB: &str = "app/edge-alb/50dc6c495c0c9188";

/// A stand-in for the built frontend: an index page and one static file.
fn small_frontend() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlswatch-security-headers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>tlswatch</title>").unwrap();
    std::fs::write(dir.join("style.css"), "body { margin: 0 }").unwrap();
    dir
}

/// GETs `path` with `headers`; panics unless the status is `status` and both
/// headers are there.
async fn assert_protected(url: &str, path: &str, headers: &[(&str, String)], status: u16) {
    let mut request = reqwest::Client::new().get(format!("{url}{path}"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let shown: String = path.chars().take(60).collect();
    assert_response_protected(request.send().await.expect("tlswatch answers"), &shown, status);
}

/// Panics unless `response` has `status` and both headers.
fn assert_response_protected(response: reqwest::Response, shown: &str, status: u16) {
    assert_eq!(response.status(), status, "{shown}");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{shown} ({status})");
    assert_eq!(header("cross-origin-opener-policy").as_deref(), Some("same-origin"), "{shown} ({status})");
}

#[tokio::test]
async fn every_kind_of_response_forbids_framing_and_shares_no_window() {
    let dist = small_frontend();
    let open = Tlswatch::start(&["--source", "demo", "--dist", dist.to_str().unwrap(), "--rate-limit", "30"]);
    let url = open.url.as_str();
    assert_protected(url, "/api/v1/catalog", &[], 200).await;
    assert_protected(url, &format!("/api/v1/series?lb={LB}&from=now-1h"), &[], 200).await;
    assert_protected(url, "/api/v1/series?period=61", &[], 400).await;
    assert_protected(url, "/api/v1/nope", &[], 404).await;
    assert_protected(url, &format!("/api/v1/series?lb={}", "a".repeat(9_000)), &[], 414).await;
    assert_protected(url, "/api/v1/catalog", &[("x-padding", "p".repeat(20_000))], 431).await;
    assert_protected(url, "/", &[], 200).await;
    assert_protected(url, "/?lb=app/edge-alb/50dc6c495c0c9188", &[], 200).await;
    assert_protected(url, "/style.css", &[], 200).await;
    assert_protected(url, "/healthz", &[], 200).await;
    assert_protected(url, "/metrics", &[], 200).await;
    let post = reqwest::Client::new().post(format!("{url}/api/v1/catalog")).send().await.unwrap();
    assert_response_protected(post, "POST /api/v1/catalog", 405);
    // The rate limit refuses the rest of a burst.
    let mut limited = false;
    for _ in 0..40 {
        let response = reqwest::get(format!("{url}/api/v1/catalog")).await.unwrap();
        if response.status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "a burst of 40 is over 30 a minute");
    assert_protected(url, "/api/v1/catalog", &[], 429).await;

    let without_frontend = Tlswatch::start(&["--source", "demo", "--dist", "/nonexistent"]);
    assert_protected(&without_frontend.url, "/", &[], 503).await;
}

#[tokio::test]
async fn refusals_of_authentication_forbid_framing_too() {
    let hash = bcrypt::hash("ana's secret", 4).unwrap();
    let dir = std::env::temp_dir().join(format!("tlswatch-security-headers-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("htpasswd");
    std::fs::write(&file, format!("ana:{hash}\ncy:{hash}\n")).unwrap();
    let tlswatch = Tlswatch::start(&["--source", "demo", "--htpasswd", file.to_str().unwrap(), "--allow-user", "ana"]);
    let basic = |user: &str| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:ana's secret"));
        vec![("authorization", format!("Basic {encoded}"))]
    };
    assert_protected(&tlswatch.url, "/api/v1/catalog", &[], 401).await;
    assert_protected(&tlswatch.url, "/api/v1/catalog", &basic("cy"), 403).await;
    assert_protected(&tlswatch.url, "/api/v1/catalog", &basic("ana"), 200).await;
    assert_protected(&tlswatch.url, "/healthz", &[], 200).await;
}
