//! The router in-process, on the demo source with a fixed clock: routes,
//! error shapes and the frontend fallback, without opening a port.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tlswatch::{AppState, Auth, Config, DEFAULT_LISTEN, Sources, router};
use tower::ServiceExt;

/// 2026-11-28T12:00:00Z.
const NOW: i64 = 1_795_867_200;

fn clock() -> i64 {
    NOW
}

/// `GET uri` addressed to the default listener, as a browser addresses it
/// (without authentication, other names are refused).
fn addressed(uri: &str) -> axum::http::request::Builder {
    Request::get(uri).header(header::HOST, DEFAULT_LISTEN.to_string())
}

fn config() -> Config {
    Config { clock, rate_limit_per_minute: 0, ..Config::default() }
}

fn state(frontend: Option<PathBuf>) -> AppState {
    AppState::new(Config { frontend, ..config() }, Sources::demo(NOW, clock))
}

async fn get(state: AppState, uri: &str) -> (StatusCode, String, String) {
    let response = router(state).oneshot(addressed(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, String::from_utf8_lossy(&body).into_owned())
}

async fn get_json(uri: &str) -> (StatusCode, serde_json::Value) {
    let (status, content_type, body) = get(state(None), uri).await;
    assert!(content_type.starts_with("application/json"), "{uri}: {content_type}");
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn health_is_plain_ok() {
    let (status, _, body) = get(state(None), "/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn the_default_view_shows_every_demo_balancer_for_the_last_day() {
    let (status, body) = get_json("/api/v1/series").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["view"], "");
    assert_eq!(body["period"], 300);
    assert_eq!(body["start"], NOW - 86_400);
    assert_eq!(body["end"], NOW);
    let series = body["series"].as_array().unwrap();
    let labels: Vec<&str> = series.iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert_eq!(labels, vec!["edge-alb", "internal-api", "payments-alb"]);
    for one in series {
        assert_eq!(one["timestamps"].as_array().unwrap().len(), 288);
        assert_eq!(one["values"].as_array().unwrap().len(), 288);
        assert!(one["values"].as_array().unwrap().iter().all(|v| v.is_number()), "Sum fills with zero");
    }
}

#[tokio::test]
async fn the_canonical_view_is_echoed() {
    let (status, body) =
        get_json("/api/v1/series?to=now&stat=Maximum&lb=app/payments-alb/3e9c1f0a7b2d4c68&period=3600&from=now-7d")
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["view"], "lb=app/payments-alb/3e9c1f0a7b2d4c68&stat=Maximum&period=3600&from=now-7d");
    assert_eq!(body["series"][0]["dimensions"]["LoadBalancer"], "app/payments-alb/3e9c1f0a7b2d4c68");
    assert_eq!(body["series"][0]["stat"], "Maximum");
}

#[tokio::test]
async fn retention_raises_the_period_with_a_warning() {
    let (status, body) = get_json("/api/v1/series?period=60&from=now-20d").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["period"], 300);
    assert!(body["warnings"][0].as_str().unwrap().contains("raised from 60 to 300"), "{body}");
}

#[tokio::test]
async fn refused_views_name_the_parameter() {
    let (status, body) = get_json("/api/v1/series?period=61").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
    assert_eq!(body["error"]["param"], "period");
}

#[tokio::test]
async fn the_catalog_describes_the_demo_source_and_both_metrics() {
    let (status, body) = get_json("/api/v1/catalog").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["source"], "demo");
    assert_eq!(body["default_region"], "us-east-1");
    let metrics: Vec<&str> = body["metrics"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
    assert_eq!(metrics, vec!["TargetTLSNegotiationErrorCount", "ClientTLSNegotiationErrorCount"]);
    assert_eq!(body["metrics"][0]["namespace"], "AWS/ApplicationELB");
    assert!(body["periods"].as_array().unwrap().iter().any(|p| p["value"] == "auto"));
}

#[tokio::test]
async fn dimensions_lists_the_demo_topology() {
    let (status, body) = get_json("/api/v1/dimensions").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["load_balancers"].as_array().unwrap().len(), 3);
    assert_eq!(body["target_groups"].as_array().unwrap().len(), 6);
    assert_eq!(body["availability_zones"], serde_json::json!(["us-east-1a", "us-east-1b", "us-east-1c"]));
    let (status, body) = get_json("/api/v1/dimensions?colour=red").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "unknown_parameter");
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    for uri in ["/api/v1/nope", "/api/v2/series", "/api", "/api/"] {
        let (status, body) = get_json(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(body["error"]["code"], "not_found");
    }
}

#[tokio::test]
async fn the_frontend_is_served_with_the_index_for_every_page_path() {
    let dist = std::env::temp_dir().join(format!("tlswatch-router-test-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>tlswatch</title>").unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js"), "console.log(1)").unwrap();

    let (status, content_type, body) = get(state(Some(dist.clone())), "/?lb=app/edge-alb/50dc6c495c0c9188").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"));
    assert!(body.contains("<title>tlswatch</title>"));
    let (status, _, body) = get(state(Some(dist.clone())), "/some/page?stat=Maximum").await;
    assert_eq!((status, body.contains("tlswatch")), (StatusCode::OK, true));
    let (status, content_type, _) = get(state(Some(dist.clone())), "/app-0123456789abcdef.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.contains("javascript"), "{content_type}");
    let cache = |uri: &'static str| {
        let state = state(Some(dist.clone()));
        async move {
            let response = router(state).oneshot(addressed(uri).body(Body::empty()).unwrap()).await.unwrap();
            response.headers()[header::CACHE_CONTROL].to_str().unwrap().to_string()
        }
    };
    assert_eq!(cache("/app-0123456789abcdef.js").await, "public, max-age=31536000, immutable");
    assert_eq!(cache("/?stat=Maximum").await, "no-cache");
    let compressed = router(state(Some(dist.clone())))
        .oneshot(addressed("/").header(header::ACCEPT_ENCODING, "br").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "br");
    std::fs::remove_dir_all(dist).unwrap();
}

#[tokio::test]
async fn precompressed_files_are_served_as_they_are() {
    let dist = std::env::temp_dir().join(format!("tlswatch-router-precompressed-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<!doctype html><title>tlswatch</title>").unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js"), "console.log(1)").unwrap();
    // Not real compressed data: the test checks these bytes go out untouched.
    std::fs::write(dist.join("app-0123456789abcdef.js.br"), "brotli bytes").unwrap();
    std::fs::write(dist.join("app-0123456789abcdef.js.gz"), "gzip bytes").unwrap();
    std::fs::write(dist.join("index.html.br"), "brotli index").unwrap();
    let fetch = |uri: &'static str, accept: &'static str| {
        let state = state(Some(dist.clone()));
        async move {
            let request = addressed(uri).header(header::ACCEPT_ENCODING, accept).body(Body::empty()).unwrap();
            let response = router(state).oneshot(request).await.unwrap();
            let encoding = response.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_string());
            let cache = response.headers()[header::CACHE_CONTROL].to_str().unwrap().to_string();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (encoding, String::from_utf8_lossy(&body).into_owned(), cache)
        }
    };
    let immutable = "public, max-age=31536000, immutable".to_string();
    assert_eq!(
        fetch("/app-0123456789abcdef.js", "gzip, br").await,
        (Some("br".into()), "brotli bytes".into(), immutable.clone())
    );
    assert_eq!(fetch("/app-0123456789abcdef.js", "gzip").await, (Some("gzip".into()), "gzip bytes".into(), immutable));
    assert_eq!(fetch("/?stat=Maximum", "br").await, (Some("br".into()), "brotli index".into(), "no-cache".into()));
    let (encoding, body, _) = fetch("/app-0123456789abcdef.js", "identity").await;
    assert_eq!((encoding, body), (None, "console.log(1)".to_string()));

    let (status, _, body) = get(state(None), "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("cargo xtask dist"));
    std::fs::remove_dir_all(dist).unwrap();
}

fn with_auth(auth: Auth) -> AppState {
    AppState::new(Config { auth, ..config() }, Sources::demo(NOW, clock))
}

/// A request from `peer`, as the server records it.
fn request_from(uri: &str, peer: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = addressed(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let mut request = builder.body(Body::empty()).unwrap();
    let address: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    request.extensions_mut().insert(axum::extract::ConnectInfo(address));
    request
}

/// Every path the router serves: each protected route (with a sample for
/// catch-alls), the frontend fallback and the public health check.
fn every_path() -> Vec<String> {
    let mut paths: Vec<String> =
        tlswatch::protected_routes().into_iter().map(|(path, _)| path.replace("{*rest}", "anything/below")).collect();
    paths.extend(["/".to_string(), "/index.html".to_string(), "/some/page?stat=Sum".to_string()]);
    paths
}

fn htpasswd_file(lines: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlswatch-router-auth-{}-{}", std::process::id(), lines.len()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("htpasswd");
    std::fs::write(&file, lines).unwrap();
    file
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

#[tokio::test]
async fn every_route_but_the_health_check_requires_authentication() {
    let hash = bcrypt::hash("correct horse", 4).unwrap();
    let file = htpasswd_file(&format!("ana:{hash}\n"));
    let shared = router(with_auth(Auth::htpasswd(&file, vec![], vec![]).unwrap()));
    let app = || shared.clone();
    for path in every_path() {
        let response = app().oneshot(request_from(&path, "127.0.0.1", &[])).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(response.headers().contains_key(header::WWW_AUTHENTICATE), "{path}");
        let wrong = app().oneshot(request_from(&path, "127.0.0.1", &[("authorization", &basic("ana", "nope"))])).await;
        assert_eq!(wrong.unwrap().status(), StatusCode::UNAUTHORIZED, "{path}");
        let right =
            app().oneshot(request_from(&path, "127.0.0.1", &[("authorization", &basic("ana", "correct horse"))]));
        let status = right.await.unwrap().status();
        assert!(status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN, "{path}: {status}");
    }
    let health = app().oneshot(request_from("/healthz", "127.0.0.1", &[])).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_trusted_header_is_believed_only_from_the_trusted_proxy() {
    let auth = || {
        let proxies = vec!["10.1.0.0/16".parse().unwrap()];
        Auth::trusted_header("x-forwarded-user", "x-forwarded-groups", proxies, vec![], vec!["tls-team".into()])
            .unwrap()
    };
    let call = |peer: &'static str, headers: &'static [(&'static str, &'static str)]| async move {
        router(with_auth(auth())).oneshot(request_from("/api/v1/catalog", peer, headers)).await.unwrap().status()
    };
    let member: &[(&str, &str)] = &[("x-forwarded-user", "ana"), ("x-forwarded-groups", "ops, tls-team")];
    assert_eq!(call("10.1.2.3", member).await, StatusCode::OK);
    assert_eq!(call("192.168.7.7", member).await, StatusCode::FORBIDDEN, "spoofed from an untrusted address");
    assert_eq!(
        call("10.1.2.3", &[("x-forwarded-user", "bob"), ("x-forwarded-groups", "ops")]).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(call("10.1.2.3", &[]).await, StatusCode::FORBIDDEN, "no user header from the proxy");
    assert_eq!(call("192.168.7.7", &[]).await, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let dist = std::env::temp_dir().join(format!("tlswatch-router-csp-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<script type=\"module\">boot()</script>").unwrap();
    for path in ["/healthz", "/api/v1/catalog", "/api/v1/series?period=61", "/api/nope", "/"] {
        let response =
            router(state(Some(dist.clone()))).oneshot(addressed(path).body(Body::empty()).unwrap()).await.unwrap();
        let headers = response.headers();
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("'sha256-"), "the inline boot script is allowed by hash: {csp}");
        assert!(!csp.contains(" 'unsafe-eval'"), "{csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{path}");
    }
    std::fs::remove_dir_all(dist).unwrap();
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let limited = || AppState::new(Config { rate_limit_per_minute: 2, ..config() }, Sources::demo(NOW, clock));
    let app = router(limited());
    for _ in 0..2 {
        let ok = app.clone().oneshot(request_from("/api/v1/catalog", "127.0.0.1", &[])).await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let refused = app.clone().oneshot(request_from("/api/v1/catalog", "127.0.0.1", &[])).await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let other = app.oneshot(request_from("/api/v1/catalog", "127.0.0.2", &[])).await.unwrap();
    assert_eq!(other.status(), StatusCode::OK, "the limit is per client");
}

#[tokio::test]
async fn metrics_count_requests_and_cache_outcomes() {
    let app = router(state(None));
    for _ in 0..3 {
        let response = app.clone().oneshot(addressed("/api/v1/series?from=now-1h").body(Body::empty()).unwrap());
        assert_eq!(response.await.unwrap().status(), StatusCode::OK);
    }
    let response = app.oneshot(addressed("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains("tlswatch_http_requests_total{route=\"/api/v1/series\",status=\"200\"} 3"), "{text}");
    assert!(text.contains("tlswatch_cache_lookups_total{outcome=\"miss\"} 1"), "{text}");
    assert!(text.contains("tlswatch_cache_lookups_total{outcome=\"hit\"} 2"), "{text}");
    assert!(text.contains("tlswatch_upstream_calls_total{operation=\"GetMetricData\"} 1"), "{text}");
    assert!(text.contains("tlswatch_upstream_duration_seconds"), "{text}");
}

#[tokio::test]
async fn every_cache_together_stays_within_the_budget_over_ten_thousand_views() {
    let max_bytes = 1 << 20;
    let mut config = config();
    config.cache.max_bytes = max_bytes;
    let app = router(AppState::new(config, Sources::demo(NOW, clock)));
    let alarmed = "lb=app/payments-alb/3e9c1f0a7b2d4c68&tg=targetgroup/checkout-tls/4b1e8d2c9f0a7365";
    for view in 0..10_000i64 {
        // Distinct one-hour ranges at one-minute buckets, of three kinds that
        // fill every cache: answers, last good answers, final buckets and built
        // bodies; alarms and their history; the list of reporting balancers.
        let start = NOW - 86_400 * 10 + view * 60;
        let range = format!("period=60&from={start}&to={}", start + 3_600);
        let uri = match view % 3 {
            0 => format!("/api/v1/series?{alarmed}&{range}"),
            1 => format!("/api/v1/series?by=az&{range}"),
            _ => format!("/api/v1/series?lb=app/edge-alb/50dc6c495c0c9188&stat=Maximum&{range}"),
        };
        let response = app.clone().oneshot(addressed(uri.as_str()).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
    }
    let response = app.oneshot(addressed("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let text = String::from_utf8(response.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let held: u64 = text
        .lines()
        .find_map(|line| line.strip_prefix("tlswatch_cache_bytes "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no cache size in {text}"));
    assert!(held <= max_bytes, "the caches hold {held} bytes, over their budget of {max_bytes}");
    assert!(held > max_bytes / 4, "the cache is used: {held} bytes");
}

/// Views made from the view's own grammar, every parameter name a real one,
/// with hostile values: each request reaches validation, and is answered or
/// refused with a JSON error naming a real parameter, never a server error.
mod fuzz {
    use super::*;
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use proptest::prelude::*;
    use tlswatch_shared::view::PARAMETERS;

    /// Values a person, a script or an attacker might put in a link.
    fn hostile_value() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "",
                "now",
                "now-1h",
                "now-455d",
                "now-0m",
                "Sum",
                "p99.9",
                "p0",
                "300",
                "60",
                "61",
                "auto",
                "0",
                "on",
                "off",
                "tg",
                "az",
                "utc",
                "1m",
                "csv",
                "zero",
                "none",
                "us-east-1",
                "eu-west-9",
                "app/edge-alb/50dc6c495c0c9188",
                "targetgroup/api/73e2d6bc24d8a067",
                "us-east-1a",
                "TargetTLSNegotiationErrorCount",
                "2026-11-28T11:00:00Z",
                "1795867200",
                "-1",
                "99999999999999999999",
            ])
            .prop_map(str::to_string),
            "now-[0-9]{1,9}[mhdwsy]?",
            "[0-9]{1,25}",
            "p[0-9.]{0,8}",
            "app/[a-z-]{0,40}/[0-9a-f]{0,20}",
            any::<String>().prop_map(|s| s.chars().take(300).collect()),
        ]
    }

    fn view_query() -> impl Strategy<Value = Vec<(String, String)>> {
        let name = prop::sample::select(PARAMETERS.to_vec()).prop_map(str::to_string);
        prop::collection::vec((name, hostile_value()), 0..6)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn every_view_is_answered_or_refused_by_name(pairs in view_query()) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let query: Vec<String> = pairs
                .iter()
                .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
                .collect();
            let uri = format!("/api/v1/series?{}", query.join("&"));
            let request = addressed(uri.as_str()).body(Body::empty()).expect("percent-encoded URIs parse");
            let response = runtime.block_on(router(state(None)).oneshot(request)).unwrap();
            let status = response.status();
            let body = runtime.block_on(response.into_body().collect()).unwrap().to_bytes();
            // An account that is not configured is refused as one the caller may not read.
            let refusals = [StatusCode::BAD_REQUEST, StatusCode::FORBIDDEN];
            prop_assert!(status == StatusCode::OK || refusals.contains(&status), "{uri}: {status}");
            if status == StatusCode::FORBIDDEN {
                let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
                prop_assert_eq!(&json["error"]["param"], "account", "{}", uri);
            }
            if status == StatusCode::BAD_REQUEST {
                let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error");
                let param = json["error"]["param"].as_str().unwrap_or_default();
                prop_assert!(PARAMETERS.contains(&param), "{uri}: refused without naming a parameter: {json}");
                prop_assert_ne!(&json["error"]["code"], "unknown_parameter", "{}", uri);
            }
        }
    }
}

#[tokio::test]
async fn the_demo_onset_and_bursts_are_annotated() {
    let checkout = "lb=app/payments-alb/3e9c1f0a7b2d4c68&tg=targetgroup/checkout-tls/4b1e8d2c9f0a7365";
    let (status, body) = get_json(&format!("/api/v1/series?{checkout}&from=now-24h")).await;
    assert_eq!(status, StatusCode::OK);
    let onset = NOW - 6 * 3_600;
    let annotations = body["annotations"].as_array().unwrap();
    let onsets: Vec<&serde_json::Value> = annotations.iter().filter(|a| a["kind"] == "onset").collect();
    assert_eq!(onsets.len(), 1, "{annotations:?}");
    assert_eq!(onsets[0]["t"], onset);
    assert_eq!(onsets[0]["series"], "m0");
    assert_eq!(body["summary"]["onset"], onset);
    assert!(annotations.iter().all(|a| a["kind"] != "spike"), "the onset is not a spike: {annotations:?}");
    let alarm = annotations.iter().find(|a| a["kind"] == "alarm").expect("the demo alarm");
    assert_eq!(alarm["value"], 50.0);
    assert!(alarm["text"].as_str().unwrap().contains("(ALARM)"), "{alarm}");
    assert!(alarm.get("t_end").is_none(), "a threshold spans the chart");
    let in_alarm: Vec<_> = annotations.iter().filter(|a| a["kind"] == "alarm" && a.get("t_end").is_some()).collect();
    assert_eq!(in_alarm.len(), 1, "{annotations:?}");
    assert_eq!((in_alarm[0]["t"].as_i64(), in_alarm[0]["t_end"].as_i64()), (Some(onset), Some(NOW)));

    let grpc = "lb=app/internal-api/a41f0c2e9d7b3586&tg=targetgroup/grpc-backend/2f8b6e1a4c9d0735";
    let (_, body) = get_json(&format!("/api/v1/series?{grpc}&period=60&from=now-24h")).await;
    let spikes: Vec<&serde_json::Value> =
        body["annotations"].as_array().unwrap().iter().filter(|a| a["kind"] == "spike").collect();
    assert!(!spikes.is_empty(), "the bursts of grpc-backend are spikes");
    assert!(spikes.iter().all(|s| s["value"].as_f64().unwrap() >= 12.0), "{spikes:?}");
    assert!(body["summary"].get("onset").is_none(), "bursts are not an onset");
}

#[tokio::test]
async fn format_csv_gives_one_row_per_bucket_and_one_column_per_series() {
    let query = "lb=app/edge-alb/50dc6c495c0c9188&lb=app/payments-alb/3e9c1f0a7b2d4c68&period=3600&from=now-12h";
    let (_, json) = get_json(&format!("/api/v1/series?{query}")).await;
    let (status, content_type, csv) = get(state(None), &format!("/api/v1/series?{query}&format=csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "time,edge-alb,payments-alb");
    assert_eq!(rows.len(), 1 + json["series"][0]["timestamps"].as_array().unwrap().len());
    let last = rows.last().unwrap().split(',').collect::<Vec<_>>();
    let t = json["series"][1]["timestamps"].as_array().unwrap().last().unwrap().as_i64().unwrap();
    assert_eq!(last[0], tlswatch_shared::TimeSpec::At(t).to_string());
    let value = json["series"][1]["values"].as_array().unwrap().last().unwrap().as_f64().unwrap();
    assert_eq!(last[2].parse::<f64>().unwrap(), value);
    let (status, body) = get_json("/api/v1/series?format=xml").await;
    assert_eq!((status, body["error"]["param"].as_str()), (StatusCode::BAD_REQUEST, Some("format")));
}

#[tokio::test]
async fn a_breakdown_by_target_group_ranks_every_group_and_draws_the_top_ones() {
    let (status, body) = get_json("/api/v1/series?by=tg&top=2&period=3600&from=now-24h").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ranking = body["ranking"].as_array().unwrap();
    assert_eq!(ranking.len(), 6, "every demo target group");
    assert_eq!(ranking[0]["label"], "payments-alb · checkout-tls", "the failing group leads");
    let totals: Vec<f64> = ranking.iter().map(|r| r["total"].as_f64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");
    let drawn: Vec<&str> = body["series"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(drawn.len(), 3);
    assert_eq!(drawn[2], "others");
    let sum = |s: &serde_json::Value| s["values"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).sum::<f64>();
    let others = sum(&body["series"][2]);
    let ranked_rest: f64 = totals[2..].iter().sum();
    assert!((others - ranked_rest).abs() < 1e-9, "others sums the rest: {others} vs {ranked_rest}");
    assert_eq!(
        body["summary"]["total"].as_f64().unwrap(),
        totals.iter().sum::<f64>(),
        "the summary covers every group"
    );
    let (_, zones) = get_json("/api/v1/series?lb=app/edge-alb/50dc6c495c0c9188&by=az").await;
    assert_eq!(zones["ranking"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_buckets_still_filling_are_marked_partial() {
    let (status, body) = get_json("/api/v1/series?lb=app/payments-alb/3e9c1f0a7b2d4c68&from=now-2h").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A bucket is final ten minutes after it ends: 11:50 and 11:55 are still filling at 12:00.
    assert_eq!(body["partial_from"], NOW - 600);
    let past = "/api/v1/series?lb=app/payments-alb/3e9c1f0a7b2d4c68&from=now-3h&to=now-1h";
    let (status, body) = get_json(past).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("partial_from").is_none(), "every bucket of a range that ended an hour ago is final: {body}");
}

#[tokio::test]
async fn other_methods_than_get_are_refused_with_a_json_405() {
    for (method, uri) in [("POST", "/api/v1/series"), ("DELETE", "/api/v1/catalog"), ("PUT", "/"), ("PATCH", "/nope")] {
        let request = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
        let response = router(state(None)).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "method_not_allowed", "{method} {uri}");
        assert!(json["error"]["message"].as_str().unwrap().contains(method));
    }
    let head = Request::builder().method("HEAD").uri("/healthz").body(Body::empty()).unwrap();
    assert_eq!(router(state(None)).oneshot(head).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn the_review_of_the_demo_explains_the_failing_group() {
    let payments = "lb=app/payments-alb/3e9c1f0a7b2d4c68";
    let (status, body) = get_json(&format!("/api/v1/review?{payments}&from=now-24h")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lb = &body["load_balancers"][0];
    assert_eq!(lb["value"], "app/payments-alb/3e9c1f0a7b2d4c68");
    let https = lb["listeners"].as_array().unwrap().iter().find(|l| l["protocol"] == "HTTPS").unwrap();
    assert_eq!(https["ssl_policy"], "ELBSecurityPolicy-2016-08");
    assert_eq!(https["backend_policy"], "ELBSecurityPolicy-2016-08");
    assert_eq!(https["backend_tls_versions"], serde_json::json!(["TLSv1", "TLSv1.1", "TLSv1.2"]));
    let checkout = "targetgroup/checkout-tls/4b1e8d2c9f0a7365";
    let group = lb["target_groups"].as_array().unwrap().iter().find(|g| g["value"] == checkout).unwrap();
    assert!(group["errors"]["total"].as_f64().unwrap() > 100.0, "the onset's errors: {group}");
    let codes_of = |tg: &str| -> Vec<String> {
        lb["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["target_group"] == tg)
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    // The demo's ModifyListener two minutes before the onset is named too.
    assert_eq!(
        codes_of(checkout),
        ["health-check-skips-tls", "backend-without-tls13", "tls-errors", "changed-before-onset"]
    );
    assert_eq!(codes_of("targetgroup/ledger-api/9c7a2e5f1d3b8046"), ["plaintext-targets"]);
    assert_eq!(group["targets"]["healthy"], 3, "an HTTP health check passes whatever TLS does");
    // The series answer the chart would show has the same total.
    let (_, series) = get_json(&format!("/api/v1/series?{payments}&tg={checkout}&from=now-24h")).await;
    assert_eq!(group["errors"]["total"], series["summary"]["total"]);
}

#[tokio::test]
async fn targets_failing_health_checks_are_named_with_their_reasons() {
    let (status, body) = get_json("/api/v1/review?lb=app/internal-api/a41f0c2e9d7b3586").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lb = &body["load_balancers"][0];
    let unhealthy: Vec<&serde_json::Value> =
        lb["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "unhealthy-targets").collect();
    assert_eq!(unhealthy.len(), 1, "{lb}");
    assert_eq!(unhealthy[0]["target_group"], "targetgroup/grpc-backend/2f8b6e1a4c9d0735");
    assert!(unhealthy[0]["text"].as_str().unwrap().contains("Target.Timeout (1)"), "{}", unhealthy[0]);
    // A TLS 1.2-only listener policy leaves the targets without TLS 1.3.
    let https = lb["listeners"].as_array().unwrap().iter().find(|l| l["protocol"] == "HTTPS").unwrap();
    assert_eq!(https["backend_policy"], "ELBSecurityPolicy-2016-08");
}
