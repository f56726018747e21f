//! The built frontend: static files, and the index page for every other path
//! so that a shared link (`/?lb=...`) opens the app with its query intact.

use std::convert::Infallible;
use std::path::Path;

use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any_service};
use tower::service_fn;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

pub fn frontend<S: Clone + Send + Sync + 'static>(dist: Option<&Path>) -> MethodRouter<S> {
    match dist.filter(|dir| dir.join("index.html").is_file()) {
        Some(dir) => any_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => any_service(service_fn(|_request| async {
            Ok::<Response, Infallible>(ApiError::FrontendMissing.into_response())
        })),
    }
}
