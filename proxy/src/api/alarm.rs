//! `GET /api/v1/alarm`: a view as CloudWatch alarms, written as JSON,
//! CloudFormation, Terraform or AWS CLI command lines
//! (see [`tlswatch_shared::alarm_export`]).

use std::sync::Arc;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Json, Response};
use tlswatch_shared::View;
use tlswatch_shared::alarm_export::{ExportFormat, alarms_of, cli, cloudformation, split_query, terraform};
use tlswatch_shared::display::AlarmFormat;

use super::series::{assemble_view, fetch_view};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::state::AppState;

pub async fn alarm(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (view_query, format, grouping) = split_query(query.as_deref().unwrap_or(""))?;
    let view = View::from_query(&view_query)?;
    let scope = state.accounts.scope(view.account.as_ref(), view.region.as_ref(), &caller)?;
    let now = (state.clock)();
    let fetched = fetch_view(&state, &scope, &view, now).await?;
    let answer = assemble_view(&state, &scope, &view, now, &fetched).await;
    let export = alarms_of(&answer, grouping, &view_link(&headers, &answer.view));
    let form = match format {
        ExportFormat::Json => return Ok(Json(export).into_response()),
        ExportFormat::Text(form) => form,
    };
    let (text, content_type) = match form {
        AlarmFormat::CloudFormation => (cloudformation(&export), "application/yaml; charset=utf-8"),
        AlarmFormat::Terraform => (terraform(&export), "text/plain; charset=utf-8"),
        AlarmFormat::Cli => (cli(&export, scope.region.as_str()), "text/plain; charset=utf-8"),
    };
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], text).into_response())
}

/// The dashboard's link to `view` as the caller reached this server: its
/// `Host`, over HTTPS where the proxy in front says so.
fn view_link(headers: &HeaderMap, view: &str) -> String {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let host = header("host").unwrap_or("localhost");
    let scheme = if header("x-forwarded-proto") == Some("https") { "https" } else { "http" };
    format!("{scheme}://{host}/?{view}")
}
