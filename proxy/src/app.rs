//! The router: routes and middleware over the [`AppState`], and the
//! router of the metrics' own listener (`--metrics-listen`).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Extension, Router};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::limits::Client;
use crate::metrics::RequestLabels;
use crate::request_head::Overlong;
use crate::security;
pub use crate::state::AppState;
use crate::web;

/// The one route anyone may call: load balancers and orchestrators probe it.
pub const PUBLIC_ROUTE: &str = "/healthz";

/// Every route behind authentication, by path. The frontend is served for
/// every other path as well (the fallback), also behind authentication.
pub fn protected_routes() -> Vec<(&'static str, MethodRouter<Arc<AppState>>)> {
    vec![
        ("/api/v1/series", get(api::series::series)),
        ("/api/v1/dimensions", get(api::dimensions::dimensions)),
        ("/api/v1/catalog", get(api::catalog::catalog)),
        ("/api/v1/review", get(api::review::review_route)),
        ("/api/v1/changes", get(api::changes::changes_route)),
        ("/api/v1/overview", get(api::overview::overview)),
        ("/api/v1/fleet-review", get(api::fleet_review::fleet_review)),
        ("/api/v1/alarm", get(api::alarm::alarm)),
        ("/api/v1/probe", get(api::probe::probe_route)),
        ("/api", get(api::not_found)),
        ("/api/", get(api::not_found)),
        ("/api/{*rest}", get(api::not_found)),
        ("/metrics", get(prometheus)),
    ]
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    application(Arc::new(state))
}

/// The whole application, and the router of the metrics' own listener
/// (`--metrics-listen`), over one state.
pub fn router_and_metrics(state: Arc<AppState>) -> (Router, Router) {
    (application(state.clone()), metrics_router(state))
}

fn application(state: Arc<AppState>) -> Router {
    // Every page's inline script, each page being its own app.
    let pages = state.frontend.as_deref().and_then(web::pages_html);
    let csp = security::content_security_policy(pages.as_deref());
    // Authentication first, then the rate of whoever it found: `/healthz`
    // is neither authenticated nor limited.
    let protected = protected_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| router.route(path, route))
        .fallback_service(web::frontend(state.frontend.as_deref(), !state.auth.is_open()))
        .layer(middleware::from_fn_with_state(state.clone(), rate_limit))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let mut app = Router::new()
        .route(PUBLIC_ROUTE, get(|| async { "ok" }))
        .merge(protected)
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .with_state(state.clone())
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), only_named_hosts))
        .layer(middleware::from_fn(only_reads))
        .layer(middleware::from_fn_with_state(state, limit_request_size));
    for layer in security::layers(&csp) {
        app = app.layer(layer);
    }
    app.layer(TraceLayer::new_for_http())
}

/// `/metrics` without authentication, for a listener of its own on
/// loopback (`--metrics-listen`); every other path is a JSON 404.
fn metrics_router(state: Arc<AppState>) -> Router {
    let only_metrics = |uri: Uri| async move {
        let shown: String = uri.path().chars().take(200).collect();
        ApiError::OnlyMetrics(shown)
    };
    let mut app = Router::new()
        .route("/metrics", get(exposition))
        .fallback(only_metrics)
        .with_state(state)
        .layer(middleware::from_fn(only_reads));
    for layer in security::layers(&security::content_security_policy(None)) {
        app = app.layer(layer);
    }
    app.layer(TraceLayer::new_for_http())
}

/// The client's address, when the server recorded it.
fn peer(request: &Request) -> Option<IpAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

async fn authenticate(State(state): State<Arc<AppState>>, mut request: Request, next: Next) -> Response {
    match state.auth.check(peer(&request), request.headers()).await {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

/// Counts each request against its user (users behind one authenticating
/// proxy share its address), or its address where nobody logs in.
async fn rate_limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let client = request.extensions().get::<Caller>().and_then(|caller| Client::of(caller, peer(&request)));
    if let (Some(limit), Some(client)) = (&state.rate_limit, client)
        && let Err(wait) = limit.check(&client)
    {
        return ApiError::RateLimited(wait.as_secs().max(1)).into_response();
    }
    next.run(request).await
}

async fn count_requests(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "frontend".to_string(), |path| path.as_str().to_string());
    let response = next.run(request).await;
    let labels = RequestLabels { route, status: response.status().as_u16() };
    state.metrics.requests.get_or_create(&labels).inc();
    response
}

/// Every route reads: any other method gets the JSON error every other
/// refusal has, before routing (the frontend's file service included).
async fn only_reads(request: Request, next: Next) -> Response {
    let method = request.method();
    if method == Method::GET || method == Method::HEAD {
        return next.run(request).await;
    }
    let shown: String = method.as_str().chars().take(32).collect();
    ApiError::MethodNotAllowed(shown).into_response()
}

/// Without authentication, answers only requests addressed to this server
/// by name (`Host`, and the authority of an absolute request target), so
/// that a rebound name of another site reads nothing. `/healthz` answers
/// probes under any name: it tells nothing.
async fn only_named_hosts(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(hosts) = &state.hosts else { return next.run(request).await };
    if request.uri().path() == PUBLIC_ROUTE {
        return next.run(request).await;
    }
    let named = [
        request.headers().get(header::HOST).map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned()),
        request.uri().authority().map(|authority| authority.to_string()),
    ];
    let given: Vec<&String> = named.iter().flatten().collect();
    if !given.is_empty() && given.iter().all(|name| hosts.allows(name)) {
        return next.run(request).await;
    }
    let shown = given.iter().find(|name| !hosts.allows(name)).map_or_else(
        || "no host (the request has no Host header)".to_string(),
        |name| tlswatch_shared::error::quote(name),
    );
    ApiError::HostNotAllowed { host: shown, allowed: hosts.describe() }.into_response()
}

/// Refuses overlong URLs and header sections before any parsing, and the
/// heads the server stopped before hyper read them ([`Overlong`]).
async fn limit_request_size(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    match request.extensions().get::<Overlong>() {
        Some(Overlong::Target { at_least }) => {
            return ApiError::UriTooLong { length: *at_least, max: state.limits.max_url_bytes }.into_response();
        }
        Some(Overlong::Head { at_least }) => {
            return ApiError::HeadersTooLarge { length: *at_least, max: state.limits.max_header_bytes }.into_response();
        }
        None => {}
    }
    let url = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if url > state.limits.max_url_bytes {
        return ApiError::UriTooLong { length: url, max: state.limits.max_url_bytes }.into_response();
    }
    let headers: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if headers > state.limits.max_header_bytes {
        return ApiError::HeadersTooLarge { length: headers, max: state.limits.max_header_bytes }.into_response();
    }
    next.run(request).await
}

/// `GET /metrics` on the main listener: for operators only, since its
/// labels name every account.
async fn prometheus(State(state): State<Arc<AppState>>, Extension(caller): Extension<Caller>) -> Response {
    if !state.metrics_readers.admit(&caller) {
        return ApiError::MetricsRefused.into_response();
    }
    exposition(State(state)).await
}

/// Prometheus text of every metric.
async fn exposition(State(state): State<Arc<AppState>>) -> Response {
    let cached = i64::try_from(state.cache.cached_bytes().await).unwrap_or(i64::MAX);
    state.metrics.cache_bytes.set(cached);
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], state.metrics.render()).into_response()
}
