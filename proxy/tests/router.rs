//! The router in-process, on the demo source with a fixed clock: routes,
//! error shapes and the frontend fallback, without opening a port.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tlswatch::app::{AppState, Regions, router};
use tlswatch::auth::Auth;
use tlswatch::cache::{CacheConfig, Upstream};
use tlswatch::limits::Limits;
use tlswatch::metrics::Metrics;
use tlswatch::source::demo::DemoSource;
use tlswatch_shared::Region;
use tower::ServiceExt;

/// 2026-11-28T12:00:00Z.
const NOW: i64 = 1_795_867_200;

fn clock() -> i64 {
    NOW
}

fn state(frontend: Option<PathBuf>) -> AppState {
    let region = Region::parse("us-east-1").unwrap();
    let metrics = Arc::new(Metrics::default());
    let cache = CacheConfig { max_bytes: 16 << 20, max_upstream_calls: 4 };
    AppState {
        upstream: Upstream::new(Arc::new(DemoSource::new(NOW, clock)), cache, metrics.clone(), clock),
        regions: Regions { default: region.clone(), allowed: vec![region] },
        frontend,
        clock,
        auth: Auth::open(),
        limits: Limits::default(),
        rate_limit: None,
        metrics,
    }
}

async fn get(state: AppState, uri: &str) -> (StatusCode, String, String) {
    let response = router(state).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
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
            let response = router(state).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
            response.headers()[header::CACHE_CONTROL].to_str().unwrap().to_string()
        }
    };
    assert_eq!(cache("/app-0123456789abcdef.js").await, "public, max-age=31536000, immutable");
    assert_eq!(cache("/?stat=Maximum").await, "no-cache");
    let compressed = router(state(Some(dist.clone())))
        .oneshot(Request::get("/").header(header::ACCEPT_ENCODING, "br").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "br");

    let (status, _, body) = get(state(None), "/").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("cargo xtask dist"));
    std::fs::remove_dir_all(dist).unwrap();
}
