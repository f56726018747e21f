//! The one error a view can fail with, and the codes the API reports.

use serde::{Deserialize, Serialize};

/// Machine-readable error codes of the API (`error.code` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A parameter's value is malformed or out of range.
    InvalidParameter,
    /// A parameter the API does not know.
    UnknownParameter,
    /// A single-valued parameter given more than once, or a list that is too long.
    RepeatedParameter,
    /// `from`/`to` do not form a usable range.
    InvalidRange,
    /// The range holds more points per series than CloudWatch returns.
    TooManyPoints,
    /// The view expands to more series than one view may hold.
    TooManySeries,
    /// The view's answer would be larger than this server sends
    /// (`--max-answer-mib`).
    AnswerTooLarge,
    /// The server is building as many large answers as its memory budget
    /// holds; `Retry-After` says when to retry.
    Busy,
    /// The request's URL is longer than the proxy accepts.
    UriTooLong,
    /// The request's headers are larger than the proxy accepts.
    HeadersTooLarge,
    /// The request carries no valid credentials.
    Unauthorized,
    /// The request carries more than one identity, groups or authorization header.
    AmbiguousIdentity,
    /// The request's user or source may not use this proxy.
    Forbidden,
    /// The client sent too many requests; `Retry-After` says when to retry.
    RateLimited,
    /// No such route.
    NotFound,
    /// The HTTP method is not served on this route.
    MethodNotAllowed,
    /// Without authentication, the request named a host other than this
    /// server's (`--allowed-host` adds names).
    HostNotAllowed,
    /// CloudWatch refused because of its request rate.
    UpstreamThrottled,
    /// The proxy's AWS credentials may not do this.
    UpstreamAccessDenied,
    /// CloudWatch could not be reached.
    UpstreamUnreachable,
    /// CloudWatch did not answer in time.
    UpstreamTimeout,
    /// CloudWatch answered with an error or an answer the proxy could not read.
    UpstreamError,
    /// The server has no frontend to serve.
    FrontendMissing,
    /// The target probe is off: no `--probe-targets` allow-list.
    ProbeDisabled,
    /// The server failed to write its answer.
    Internal,
}

impl ErrorCode {
    /// The code as the API writes it (`error.code`), e.g. for a metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidParameter => "invalid_parameter",
            Self::UnknownParameter => "unknown_parameter",
            Self::RepeatedParameter => "repeated_parameter",
            Self::InvalidRange => "invalid_range",
            Self::TooManyPoints => "too_many_points",
            Self::TooManySeries => "too_many_series",
            Self::AnswerTooLarge => "answer_too_large",
            Self::Busy => "busy",
            Self::UriTooLong => "uri_too_long",
            Self::HeadersTooLarge => "headers_too_large",
            Self::Unauthorized => "unauthorized",
            Self::AmbiguousIdentity => "ambiguous_identity",
            Self::Forbidden => "forbidden",
            Self::RateLimited => "rate_limited",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::HostNotAllowed => "host_not_allowed",
            Self::UpstreamThrottled => "upstream_throttled",
            Self::UpstreamAccessDenied => "upstream_access_denied",
            Self::UpstreamUnreachable => "upstream_unreachable",
            Self::UpstreamTimeout => "upstream_timeout",
            Self::UpstreamError => "upstream_error",
            Self::FrontendMissing => "frontend_missing",
            Self::ProbeDisabled => "probe_disabled",
            Self::Internal => "internal",
        }
    }
}

/// Why a query string is not a valid view, worded for the person who wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ViewError {
    pub code: ErrorCode,
    /// The parameter at fault, as the user wrote it.
    pub param: String,
    /// What was wrong and what is accepted.
    pub message: String,
}

/// Longest excerpt of a user's value quoted back in an error message.
const QUOTE_LIMIT: usize = 64;

impl ViewError {
    pub fn new(code: ErrorCode, param: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code, param: param.into(), message: message.into() }
    }

    /// `param` has a malformed value: says what was given and what is accepted.
    pub fn invalid(param: &str, given: &str, accepted: &str) -> Self {
        Self::new(
            ErrorCode::InvalidParameter,
            quote_key(param),
            format!("`{}`: got {}; expected {accepted}", quote_key(param), quote(given)),
        )
    }
}

/// A user's value, shortened and with control characters escaped, ready to be
/// quoted in a message.
pub fn quote(value: &str) -> String {
    let mut shown: String = value.chars().take(QUOTE_LIMIT).flat_map(char::escape_debug).collect();
    let total = value.chars().count();
    if total > QUOTE_LIMIT {
        shown.push_str(&format!("… ({total} characters)"));
    }
    format!("\"{shown}\"")
}

/// A parameter name as quoted in messages: short and printable.
pub fn quote_key(key: &str) -> String {
    let mut shown: String = key.chars().take(QUOTE_LIMIT).flat_map(char::escape_debug).collect();
    if key.chars().count() > QUOTE_LIMIT {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code (a new one is added here too).
    const EVERY_CODE: [ErrorCode; 25] = [
        ErrorCode::InvalidParameter,
        ErrorCode::UnknownParameter,
        ErrorCode::RepeatedParameter,
        ErrorCode::InvalidRange,
        ErrorCode::TooManyPoints,
        ErrorCode::TooManySeries,
        ErrorCode::AnswerTooLarge,
        ErrorCode::Busy,
        ErrorCode::UriTooLong,
        ErrorCode::HeadersTooLarge,
        ErrorCode::Unauthorized,
        ErrorCode::AmbiguousIdentity,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::HostNotAllowed,
        ErrorCode::UpstreamThrottled,
        ErrorCode::UpstreamAccessDenied,
        ErrorCode::UpstreamUnreachable,
        ErrorCode::UpstreamTimeout,
        ErrorCode::UpstreamError,
        ErrorCode::FrontendMissing,
        ErrorCode::ProbeDisabled,
        ErrorCode::Internal,
    ];

    #[test]
    fn quoting_shortens_long_values_and_escapes_control_characters() {
        let long = "x".repeat(100_000);
        let quoted = quote(&long);
        assert!(quoted.len() < 120, "{quoted}");
        assert!(quoted.contains("100000 characters"));
        assert_eq!(quote("a\u{1}b"), "\"a\\u{1}b\"");
    }

    #[test]
    fn every_code_is_named_as_json_writes_it() {
        for code in EVERY_CODE {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str(), "{code:?}");
        }
    }
}
