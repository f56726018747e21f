//! The JSON API, version 1: one module per route group.

use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::routing::get;

use crate::app::AppState;
use crate::error::ApiError;

mod catalog;
mod dimensions;
mod series;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/series", get(series::series))
        .route("/dimensions", get(dimensions::dimensions))
        .route("/catalog", get(catalog::catalog))
        .fallback(not_found)
}

/// Any path under `/api` that is not a route.
pub async fn not_found(uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(128).collect();
    ApiError::NotFound(format!("{path:?}"))
}
