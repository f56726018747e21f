//! The one error type of the HTTP API and how it maps to a status and a body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tlswatch_shared::ErrorCode;
use tlswatch_shared::ViewError;
use tlswatch_shared::api::{ErrorBody, ErrorDetail};

use crate::source::SourceError;

/// Everything a request can fail with. Messages are for the user: they never
/// carry credentials, internal paths or upstream stack traces.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    View(#[from] ViewError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("no route {0}; the API lives under /api/v1 (see docs/api.md)")]
    NotFound(String),
    #[error("the URL is {0} bytes long; tlswatch accepts at most {max} bytes", max = crate::app::MAX_URI_BYTES)]
    UriTooLong(usize),
    #[error("the frontend is not built; run `cargo xtask dist` or point --dist at a built frontend")]
    FrontendMissing,
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::View(err) => (StatusCode::BAD_REQUEST, err.code),
            Self::Source(err) => {
                let code = err.code();
                let status = match code {
                    ErrorCode::UpstreamThrottled => StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
                    _ => StatusCode::BAD_GATEWAY,
                };
                (status, code)
            }
            Self::NotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::UriTooLong(_) => (StatusCode::URI_TOO_LONG, ErrorCode::UriTooLong),
            Self::FrontendMissing => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::FrontendMissing),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let param = match &self {
            Self::View(err) => Some(err.param.clone()),
            _ => None,
        };
        if status.is_server_error() {
            tracing::warn!(%status, error = %self, "request failed");
        }
        let body = ErrorBody { error: ErrorDetail { code, message: self.to_string(), param } };
        (status, Json(body)).into_response()
    }
}
