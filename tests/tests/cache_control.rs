//! What caches may keep: API answers and refusals nothing (they are one
//! caller's data), the frontend's hashed files a year and its pages until
//! revalidated; behind authentication only the browser (`private`), never a
//! shared cache.

use std::path::PathBuf;

use tlswatch_tests::{Tlswatch, basic, temp_file};

const HASHED: &str = "/app-0123456789abcdef.js";
const NOT_STORED: &str = "private, no-store";

/// A stand-in for the built frontend: the pages and a content-hashed file.
fn small_frontend() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlswatch-cache-control-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for page in ["index.html", "overview.html"] {
        std::fs::write(dir.join(page), "<!doctype html><title>tlswatch</title>").unwrap();
    }
    std::fs::write(dir.join(&HASHED[1..]), "console.log(1)").unwrap();
    dir
}

/// The status and `Cache-Control` of `GET path` with `headers`.
async fn cache_control(url: &str, path: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut request = reqwest::Client::new().get(format!("{url}{path}"));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.expect("tlswatch answers");
    let policy = response.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string());
    (response.status().as_u16(), policy.unwrap_or_else(|| "(none)".to_string()))
}

const API: [(&str, u16); 6] = [
    ("/api/v1/catalog", 200),
    ("/api/v1/series?from=now-1h", 200),
    ("/api/v1/dimensions", 200),
    ("/api/v1/series?period=61", 400),
    ("/api/v1/nope", 404),
    ("/metrics", 200),
];

#[tokio::test]
async fn without_authentication_answers_are_not_stored_and_hashed_files_are_public() {
    let dist = small_frontend();
    let tlswatch = Tlswatch::start(&["--source", "demo", "--dist", dist.to_str().unwrap()]);
    for (path, status) in API {
        assert_eq!(cache_control(&tlswatch.url, path, &[]).await, (status, NOT_STORED.to_string()), "{path}");
    }
    let hashed = cache_control(&tlswatch.url, HASHED, &[]).await;
    assert_eq!(hashed, (200, "public, max-age=31536000, immutable".to_string()));
    assert_eq!(cache_control(&tlswatch.url, "/?lb=x", &[]).await, (200, "no-cache".to_string()));
}

#[tokio::test]
async fn behind_authentication_nothing_is_for_shared_caches() {
    let dist = small_frontend();
    let hash = bcrypt::hash("secret", 4).unwrap();
    let file = temp_file("cache-control-htpasswd", &format!("ana:{hash}\n"));
    let tlswatch =
        // ana reads /metrics too (an operator), so every route of API answers her.
        Tlswatch::start(&[
            "--source",
            "demo",
            "--dist",
            dist.to_str().unwrap(),
            "--htpasswd",
            file.to_str().unwrap(),
            "--metrics-readers",
            "ana",
        ]);
    let ana = [("authorization", basic("ana", "secret"))];
    for (path, status) in API {
        assert_eq!(cache_control(&tlswatch.url, path, &ana).await, (status, NOT_STORED.to_string()), "{path}");
    }
    let hashed = cache_control(&tlswatch.url, HASHED, &ana).await;
    assert_eq!(hashed, (200, "private, max-age=31536000, immutable".to_string()));
    for page in ["/", "/overview"] {
        assert_eq!(cache_control(&tlswatch.url, page, &ana).await, (200, "private, no-cache".to_string()), "{page}");
    }
    // Refusals are not stored either.
    assert_eq!(cache_control(&tlswatch.url, HASHED, &[]).await, (401, NOT_STORED.to_string()));
}
