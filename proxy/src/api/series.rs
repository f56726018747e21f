//! `GET /api/v1/series`: the data of one view.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use tlswatch_shared::api::{Series, SeriesResponse, annotate, keep_top};
use tlswatch_shared::display::Format;
use tlswatch_shared::grid::{blank_outside, fill_grid};
use tlswatch_shared::summary::summarize;
use tlswatch_shared::{Plan, TimeSpec, View};

use crate::app::AppState;
use crate::cache::Answer;
use crate::error::ApiError;
use crate::source::{Alarm, FetchRequest, Fetched};
use tlswatch_shared::annotate::{Annotation, AnnotationKind};

/// Views with more series than this do not show alarms: one
/// DescribeAlarmsForMetric call per series.
const MAX_ALARM_SERIES: usize = 20;

/// Alarms as annotations: a threshold across the range, named with the state.
fn alarm_annotations(series: &[Series], alarms: Vec<Vec<Alarm>>, plan: &Plan) -> Vec<Annotation> {
    series
        .iter()
        .zip(alarms)
        .flat_map(|(one, alarms)| {
            alarms.into_iter().map(|alarm| Annotation {
                kind: AnnotationKind::Alarm,
                series: one.id.clone(),
                t: plan.start,
                t_end: Some(plan.end),
                value: alarm.threshold,
                text: format!("alarm {} ({}): {} {}", alarm.name, alarm.state, alarm.comparison, alarm.threshold),
            })
        })
        .collect()
}

/// Marks an answer served from the last good one because the source failed.
pub const STALE_HEADER: &str = "stale";

pub async fn series(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let view = View::from_query(query.as_deref().unwrap_or(""))?;
    let region = state.regions.resolve(view.region.as_ref())?;
    let plan = Plan::new(&view, (state.clock)())?;
    let discovered =
        if view.needs_discovery() { state.upstream.list(&region, view.metric).await? } else { Arc::default() };
    let request = FetchRequest {
        metric: view.metric,
        stat: view.stat,
        period: plan.period,
        start: plan.start,
        end: plan.end,
        series: view.series(&discovered)?,
    };
    state.limits.check(&request)?;
    let series_dims = request.series.clone();
    let answer = if request.series.is_empty() {
        Answer::Fresh(Arc::new(Fetched::default()))
    } else {
        state.upstream.fetch(&region, request).await?
    };

    let mut warnings = plan.warnings.clone();
    let (fetched, covered) = match &answer {
        Answer::Fresh(fetched) => (fetched.clone(), None),
        Answer::Stale { answer, failure } => {
            warnings.push(format!(
                "{failure}; showing the answer from {} (buckets it does not cover are empty)",
                TimeSpec::At(answer.fetched_at)
            ));
            (answer.fetched.clone(), Some((answer.start, answer.end)))
        }
    };
    let timestamps: Vec<i64> = plan.timestamps().collect();
    let series = series_dims
        .iter()
        .enumerate()
        .map(|(index, dims)| {
            let datapoints = fetched.datapoints.get(index).cloned().unwrap_or_default();
            let mut values = fill_grid(&plan, datapoints, view.fill);
            if let Some((start, end)) = covered {
                blank_outside(&plan, &mut values, start, end);
            }
            Series {
                id: format!("m{index}"),
                label: dims.label(),
                metric: view.metric,
                stat: view.stat.to_string(),
                dimensions: dims.to_map(),
                timestamps: timestamps.clone(),
                values,
            }
        })
        .collect::<Vec<_>>();
    warnings.extend(fetched.warnings.iter().cloned());
    if view.needs_discovery() && series.is_empty() {
        warnings.push(format!(
            "no load balancer reported {} in the last two weeks; name one with lb= to look further back",
            view.metric.as_str()
        ));
    }
    // The summary covers every series; a breakdown draws its top ones.
    let summary = summarize(&series);
    let (series, ranking) = match view.by {
        Some(_) => keep_top(series, view.top as usize),
        None => (series, Vec::new()),
    };
    let mut annotations = annotate(&series, plan.period);
    if !series_dims.is_empty() && series_dims.len() <= MAX_ALARM_SERIES && view.by.is_none() {
        match state.upstream.alarms(&region, view.metric, &series_dims).await {
            Ok(alarms) => annotations.extend(alarm_annotations(&series, alarms, &plan)),
            Err(err) => warnings.push(format!("alarms not shown: {err}")),
        }
    }
    let body = SeriesResponse {
        view: view.to_query(),
        start: plan.start,
        end: plan.end,
        period: plan.period,
        summary,
        annotations,
        ranking,
        series,
        warnings,
    };
    let mut response = match view.format {
        Format::Json => Json(body).into_response(),
        Format::Csv => csv_response(&body)?,
    };
    if covered.is_some() {
        response.headers_mut().insert(STALE_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The series as CSV: a `time` column (ISO 8601, UTC) and one column per
/// series, named by its label; empty cells where a value is null.
fn csv_response(body: &SeriesResponse) -> Result<Response, ApiError> {
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
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition.replace(':', "-")),
        ],
        bytes,
    )
        .into_response())
}
