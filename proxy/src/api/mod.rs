//! The JSON API, version 1: one module per route group.

use axum::http::Uri;

use crate::error::ApiError;

pub mod alarm;
pub mod catalog;
pub mod changes;
pub mod dimensions;
pub mod fleet;
pub mod fleet_review;
pub mod overview;
pub mod probe;
mod probe_rows;
pub mod review;
pub mod series;

/// Any path under `/api` that is not a route.
pub async fn not_found(uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(128).collect();
    ApiError::NotFound(format!("{path:?}"))
}
