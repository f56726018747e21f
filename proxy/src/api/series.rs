//! `GET /api/v1/series`: the data of one view.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tlswatch_shared::alarm::{alarm_shading, shows_alarms, threshold_mark};
use tlswatch_shared::answer::{Answered, assemble};
use tlswatch_shared::api::Annotation;
use tlswatch_shared::api::SeriesResponse;
use tlswatch_shared::display::Format;
use tlswatch_shared::queries::{series_id, with_denominators};
use tlswatch_shared::{Dimensions, Metric, Plan, Query, TimeSpec, View};

use crate::cache::{Answer, BodyKey};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::source::{FetchRequest, Fetched, Scope};
use crate::state::AppState;
use crate::work::Reservation;

/// Marks an answer served from the last good one because the source failed.
pub const STALE_HEADER: &str = "stale";

/// When a view refused as busy is asked to come back: about the time a
/// large view takes to build.
const RETRY_WHEN_BUSY_SECONDS: u64 = 5;

pub async fn series(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let view = View::from_query(query.as_deref().unwrap_or(""))?;
    let scope = state.accounts.scope(view.account.as_ref(), view.region.as_ref(), &caller)?;
    let now = (state.clock)();
    let fetched_view = fetch_view(&state, &scope, &view, now).await?;
    let (plan, answer) = (&fetched_view.plan, &fetched_view.answer);

    // A view answered before from this very answer is sent as it was built.
    let body_key = match (answer, view.format) {
        (Answer::Fresh(_), Format::Json) => {
            let (start, end, period, partial_from) = (plan.start, plan.end, plan.period, plan.partial_from(now));
            Some(BodyKey { scope: scope.clone(), view: view.to_query(), start, end, period, partial_from })
        }
        _ => None,
    };
    let fetched = answer.fetched();
    if let Some(key) = &body_key
        && let Some(body) = state.series_bodies.get(key, fetched).await
    {
        return Ok(json_response(body));
    }

    let body = assemble_view(&state, &scope, &view, now, &fetched_view).await;
    let mut response = match view.format {
        Format::Json => {
            let body = Bytes::from(serde_json::to_vec(&body).map_err(|err| ApiError::Internal(err.to_string()))?);
            state.limits.check_answer(&fetched_view.request, body.len()).map_err(ApiError::OverLimit)?;
            if let Some(key) = body_key {
                state.series_bodies.keep(key, fetched.clone(), body.clone()).await;
            }
            json_response(body)
        }
        Format::Csv => {
            let (bytes, disposition) = csv_body(&body)?;
            state.limits.check_answer(&fetched_view.request, bytes.len()).map_err(ApiError::OverLimit)?;
            csv_response(bytes, disposition)
        }
    };
    if answer.stale().is_some() {
        response.headers_mut().insert(STALE_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// What the source answered for a view: its plan, its error series, and
/// the answer (with denominators for rates).
pub struct FetchedView {
    pub plan: Plan,
    /// What was asked of the source, for the limits on the answer.
    request: FetchRequest,
    errors: Vec<Query>,
    pub answer: Answer,
    /// The view's room in the memory budget, held until its answer is written.
    _room: Reservation,
}

/// Asks the source (through the cache) for every series of `view`.
pub async fn fetch_view(state: &AppState, scope: &Scope, view: &View, now: i64) -> Result<FetchedView, ApiError> {
    let plan = Plan::new(view, now)?;
    // The error series of every metric, then (for rates) their denominators:
    // all in one request, so in one GetMetricData call.
    let mut errors = Vec::new();
    for &metric in &view.metrics {
        let discovered = if view.needs_discovery() { state.cache.list(scope, metric).await? } else { Arc::default() };
        errors.extend(view.series(&discovered)?.into_iter().map(|dims| Query { metric, dims }));
    }
    let request = FetchRequest {
        stat: view.stat,
        period: plan.period,
        start: plan.start,
        end: plan.end,
        series: with_denominators(view.rate, &errors),
    };
    state.limits.check(&request).map_err(ApiError::OverLimit)?;
    let points = request.series.len().saturating_mul(plan.points());
    let room = state.work.reserve(points).await.map_err(|busy| ApiError::Busy {
        budget_mib: state.work.bytes() >> 20,
        waited: busy.waited.as_secs(),
        retry_after: RETRY_WHEN_BUSY_SECONDS,
    })?;
    let answer = if request.series.is_empty() {
        Answer::Fresh(Arc::new(Fetched::default()))
    } else {
        state.cache.fetch(scope, request.clone()).await?
    };
    Ok(FetchedView { plan, request, errors, answer, _room: room })
}

/// The series answer of a fetched view: its series, marks (the alarms of
/// its series included) and warnings.
pub async fn assemble_view(
    state: &AppState,
    scope: &Scope,
    view: &View,
    now: i64,
    fetched_view: &FetchedView,
) -> SeriesResponse {
    let FetchedView { plan, errors, answer, .. } = fetched_view;
    let fetched = answer.fetched();
    let mut warnings = plan.warnings.clone();
    let covered = answer.stale().map(|(failure, last_good)| {
        warnings.push(format!(
            "{failure}; showing the answer from {} (buckets it does not cover are empty)",
            TimeSpec::At(last_good.fetched_at)
        ));
        (last_good.start, last_good.end)
    });
    warnings.extend(fetched.warnings.iter().cloned());
    let alarms = if shows_alarms(view, errors.len()) {
        alarm_marks(state, scope, view.metric(), errors, plan, &mut warnings).await
    } else {
        Vec::new()
    };
    let answered = Answered { datapoints: &fetched.datapoints, covered, alarms, warnings };
    assemble(view, plan, now, errors, answered)
}

fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// The alarms of the error series: their thresholds, then the periods they
/// spent in ALARM. What cannot be read becomes a warning, never a failed view.
async fn alarm_marks(
    state: &AppState,
    scope: &Scope,
    metric: Metric,
    errors: &[Query],
    plan: &Plan,
    warnings: &mut Vec<String>,
) -> Vec<Annotation> {
    let dims: Vec<Dimensions> = errors.iter().map(|q| q.dims.clone()).collect();
    let alarms = match state.cache.alarms(scope, metric, &dims).await {
        Ok(alarms) => alarms,
        Err(err) => {
            warnings.push(format!("alarms not shown: {err}"));
            return Vec::new();
        }
    };
    let mut marks = Vec::new();
    for (index, alarms) in alarms.iter().enumerate() {
        let id = series_id(index);
        for alarm in alarms {
            marks.push(threshold_mark(&id, alarm));
            match state.cache.alarm_history(scope, &alarm.name, plan.start, plan.end).await {
                Ok(history) => marks.extend(alarm_shading(&id, alarm, &history, plan.start, plan.end)),
                Err(err) => warnings.push(format!("ALARM periods of {} not shaded: {err}", alarm.name)),
            }
        }
    }
    marks
}

/// The series as CSV: a `time` column (ISO 8601, UTC) and one column per
/// series, named by its label; empty cells where a value is null. Also the
/// `Content-Disposition` that names its file.
fn csv_body(body: &SeriesResponse) -> Result<(Vec<u8>, String), ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let unwritable = |err: csv::Error| ApiError::Internal(format!("could not write CSV: {err}"));
    let mut header = vec!["time".to_string()];
    header.extend(body.series.iter().map(|s| s.label.clone()));
    writer.write_record(&header).map_err(unwritable)?;
    let timestamps = body.series.first().map(|s| s.timestamps.clone()).unwrap_or_default();
    for (row, t) in timestamps.iter().enumerate() {
        let mut record = vec![TimeSpec::At(*t).to_string()];
        record.extend(body.series.iter().map(|s| s.values[row].map(|v| v.to_string()).unwrap_or_default()));
        writer.write_record(&record).map_err(unwritable)?;
    }
    let bytes = writer.into_inner().map_err(|err| ApiError::Internal(format!("could not write CSV: {err}")))?;
    let metric = body.series.first().map_or("TargetTLSNegotiationErrorCount", |s| s.metric.as_str());
    let disposition = format!("attachment; filename=\"tlswatch-{metric}-{}.csv\"", TimeSpec::At(body.start));
    Ok((bytes, disposition.replace(':', "-")))
}

pub(super) fn csv_response(bytes: Vec<u8>, disposition: String) -> Response {
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}
