//! The router: routes, middleware and the state they share.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tlswatch_shared::{ErrorCode, Region, ViewError};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

use crate::api;
use crate::error::ApiError;
use crate::source::MetricSource;
use crate::web;

/// What every handler can reach.
pub struct AppState {
    pub source: Arc<dyn MetricSource>,
    pub regions: Regions,
    /// The built frontend (`dist/`), if there is one.
    pub frontend: Option<PathBuf>,
    /// The current time in epoch seconds; a function so tests can fix it.
    pub clock: fn() -> i64,
}

/// The regions the proxy answers for; the first is the default.
#[derive(Debug, Clone)]
pub struct Regions {
    pub default: Region,
    pub allowed: Vec<Region>,
}

impl Regions {
    /// The region a request asks for, if the proxy is configured for it.
    pub fn resolve(&self, asked: Option<&Region>) -> Result<Region, ViewError> {
        let Some(asked) = asked else {
            return Ok(self.default.clone());
        };
        if self.allowed.contains(asked) {
            return Ok(asked.clone());
        }
        let allowed: Vec<&str> = self.allowed.iter().map(Region::as_str).collect();
        Err(ViewError::new(
            ErrorCode::InvalidParameter,
            "region",
            format!("`region`: {asked} is not served by this proxy; configured regions: {}", allowed.join(", ")),
        ))
    }
}

/// Longest request URL (path and query) accepted. A view with 20 load
/// balancers, 20 target groups and every other parameter fits in a third of it.
pub const MAX_URI_BYTES: usize = 8_192;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api/v1", api::routes())
        .route("/api", get(api::not_found))
        .route("/api/", get(api::not_found))
        .route("/api/{*rest}", get(api::not_found))
        .fallback_service(web::frontend(state.frontend.as_deref()))
        .with_state(state)
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(limit_uri))
        .layer(TraceLayer::new_for_http())
}

/// Refuses overlong URLs before any parsing.
async fn limit_uri(request: Request, next: Next) -> Response {
    let length = request.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if length > MAX_URI_BYTES {
        return ApiError::UriTooLong(length).into_response();
    }
    next.run(request).await
}

/// The current time from the system clock.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}
