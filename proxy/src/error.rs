//! The one error type of the HTTP API and how it maps to a status and a body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tlswatch_shared::ErrorCode;
use tlswatch_shared::ViewError;
use tlswatch_shared::api::{ErrorBody, ErrorDetail};

use crate::accounts::{AccountRefused, ScopeError};
use crate::auth::AuthError;
use crate::source::SourceError;

/// Everything a request can fail with. Messages are for the user: they never
/// carry credentials, internal paths or upstream stack traces.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    View(#[from] ViewError),
    /// A view this server's limits refuse (`--max-series`, `--max-points`,
    /// `--max-answer-mib`): well-formed, but more than it builds.
    #[error(transparent)]
    OverLimit(ViewError),
    #[error(
        "this tlswatch is building as many large views as its memory budget holds ({budget_mib} MiB, from \
         --cache-mib) and this one waited {waited} seconds for room; try again in {retry_after} seconds, or ask \
         for a smaller view (a longer period, a shorter range or fewer series)"
    )]
    Busy { budget_mib: usize, waited: u64, retry_after: u64 },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("no route {0}; the API lives under /api/v1 (see docs/api.md)")]
    NotFound(String),
    #[error("no file {} in the frontend; its pages are / and /overview", tlswatch_shared::error::quote(.0))]
    FileNotFound(String),
    #[error("method {0} is not served; tlswatch answers GET and HEAD only")]
    MethodNotAllowed(String),
    #[error("the URL is {length} bytes long; tlswatch accepts at most {max} bytes")]
    UriTooLong { length: usize, max: usize },
    #[error("the request headers are {length} bytes long; tlswatch accepts at most {max} bytes")]
    HeadersTooLarge { length: usize, max: usize },
    #[error(
        "this tlswatch runs without authentication, so it answers only requests addressed to it ({allowed}): a \
         page of another site could otherwise point its own name at this address and read the API from your \
         browser. This request was addressed to {host}; to serve that name, start tlswatch with --allowed-host NAME \
         (TLSWATCH_ALLOWED_HOST)"
    )]
    HostNotAllowed { host: String, allowed: String },
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    AccountRefused(#[from] AccountRefused),
    #[error(
        "too many requests from you (each user is counted, or each address where nobody logs in); try again in {0} \
         seconds"
    )]
    RateLimited(u64),
    #[error(
        "/metrics is for operators: it is served to the users and groups of --metrics-readers, and on the \
         --metrics-listen address"
    )]
    MetricsRefused,
    #[error("no route {0}; this listener (--metrics-listen) serves /metrics only")]
    OnlyMetrics(String),
    #[error("{0}")]
    Internal(String),
    #[error("the frontend is not built; run `cargo xtask dist` or point --dist at a built frontend")]
    FrontendMissing,
    #[error(
        "the target probe is off: start tlswatch with --probe-targets CIDR (TLSWATCH_PROBE_TARGETS), the address \
         ranges of your targets, to let it handshake with them (see docs/deploy.md)"
    )]
    ProbeDisabled,
    #[error("too many probes from you: at most {1} a minute; try again in {0} seconds (answers are cached 5 minutes)")]
    ProbeRateLimited(u64, u32),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::View(err) => (StatusCode::BAD_REQUEST, err.code),
            Self::OverLimit(err) => (StatusCode::UNPROCESSABLE_ENTITY, err.code),
            Self::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Busy),
            Self::Source(err) => {
                let code = err.code();
                let status = match code {
                    ErrorCode::UpstreamThrottled => StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
                    ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::BAD_GATEWAY,
                };
                (status, code)
            }
            Self::NotFound(_) | Self::FileNotFound(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, ErrorCode::MethodNotAllowed),
            Self::HostNotAllowed { .. } => (StatusCode::MISDIRECTED_REQUEST, ErrorCode::HostNotAllowed),
            Self::UriTooLong { .. } => (StatusCode::URI_TOO_LONG, ErrorCode::UriTooLong),
            Self::HeadersTooLarge { .. } => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, ErrorCode::HeadersTooLarge),
            Self::Auth(err) if err.asks_for_password() || matches!(err, AuthError::MissingCredentials) => {
                (StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized)
            }
            Self::Auth(AuthError::Ambiguous { .. }) => (StatusCode::BAD_REQUEST, ErrorCode::AmbiguousIdentity),
            Self::Auth(AuthError::TooManyPasswordChecks(_)) | Self::RateLimited(_) => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
            }
            Self::Auth(_) | Self::AccountRefused(_) | Self::MetricsRefused => {
                (StatusCode::FORBIDDEN, ErrorCode::Forbidden)
            }
            Self::OnlyMetrics(_) => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            Self::FrontendMissing => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::FrontendMissing),
            Self::ProbeDisabled => (StatusCode::NOT_IMPLEMENTED, ErrorCode::ProbeDisabled),
            Self::ProbeRateLimited(..) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
        }
    }
}

impl From<ScopeError> for ApiError {
    fn from(err: ScopeError) -> Self {
        match err {
            ScopeError::Account(refused) => Self::AccountRefused(refused),
            ScopeError::Region(err) => Self::View(err),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let param = match &self {
            Self::View(err) | Self::OverLimit(err) => Some(err.param.clone()),
            Self::AccountRefused(AccountRefused::Named(_)) => Some("account".to_string()),
            _ => None,
        };
        if status.is_server_error() && !matches!(self, Self::ProbeDisabled) {
            tracing::warn!(%status, error = %self, "request failed");
        }
        let body = ErrorBody { error: ErrorDetail { code, message: self.to_string(), param } };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Auth(err) if err.asks_for_password() => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"tlswatch\", charset=\"UTF-8\""),
                );
            }
            Self::RateLimited(seconds)
            | Self::Busy { retry_after: seconds, .. }
            | Self::ProbeRateLimited(seconds, _)
            | Self::Auth(AuthError::TooManyPasswordChecks(seconds)) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
            }
            Self::MethodNotAllowed(_) => {
                headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            }
            _ => {}
        }
        response
    }
}
