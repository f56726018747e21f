//! `GET /api/v1/series`: the data of one view.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tlswatch_shared::annotate::{Annotation, AnnotationKind, alarm_periods};
use tlswatch_shared::api::{Series, SeriesResponse, annotate, keep_top, per_thousand};
use tlswatch_shared::display::Format;
use tlswatch_shared::grid::{blank_outside, fill_grid};
use tlswatch_shared::summary::summarize;
use tlswatch_shared::{Dimensions, Fill, Metric, Plan, Region, TimeSpec, View};

use crate::app::AppState;
use crate::cache::{Answer, RenderedKey};
use crate::error::ApiError;
use crate::source::{Alarm, FetchRequest, Fetched, Query};

/// Marks an answer served from the last good one because the source failed.
pub const STALE_HEADER: &str = "stale";

/// Views with more series than this do not show alarms: one
/// DescribeAlarmsForMetric call per series.
const MAX_ALARM_SERIES: usize = 20;

pub async fn series(State(state): State<Arc<AppState>>, RawQuery(query): RawQuery) -> Result<Response, ApiError> {
    let view = View::from_query(query.as_deref().unwrap_or(""))?;
    let region = state.regions.resolve(view.region.as_ref())?;
    let plan = Plan::new(&view, (state.clock)())?;

    // The error series of every metric, then (for rates) their denominators:
    // all in one request, so in one GetMetricData call.
    let mut errors = Vec::new();
    for &metric in &view.metrics {
        let discovered =
            if view.needs_discovery() { state.upstream.list(&region, metric).await? } else { Arc::default() };
        errors.extend(view.series(&discovered)?.into_iter().map(|dims| Query { metric, dims }));
    }
    let mut queries = errors.clone();
    if view.rate {
        queries.extend(
            errors.iter().filter_map(|q| Some(Query { metric: q.metric.denominator()?, dims: q.dims.clone() })),
        );
    }
    let request =
        FetchRequest { stat: view.stat, period: plan.period, start: plan.start, end: plan.end, series: queries };
    state.limits.check(&request)?;
    let answer = if request.series.is_empty() {
        Answer::Fresh(Arc::new(Fetched::default()))
    } else {
        state.upstream.fetch(&region, request).await?
    };

    // A view answered before from this very answer is sent as it was built.
    let canonical = view.to_query();
    let rendered = match (&answer, view.format) {
        (Answer::Fresh(fetched), Format::Json) => {
            let (start, end, period) = (plan.start, plan.end, plan.period);
            Some((RenderedKey { region: region.clone(), view: canonical.clone(), start, end, period }, fetched.clone()))
        }
        _ => None,
    };
    if let Some((key, fetched)) = &rendered
        && let Some(body) = state.upstream.rendered(key, fetched).await
    {
        return Ok(json_response(body));
    }

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
    let values_of = |index: usize, fill: Fill| {
        let datapoints = fetched.datapoints.get(index).cloned().unwrap_or_default();
        let mut values = fill_grid(&plan, datapoints, fill);
        if let Some((start, end)) = covered {
            blank_outside(&plan, &mut values, start, end);
        }
        values
    };
    let timestamps: Vec<i64> = plan.timestamps().collect();
    let several_metrics = view.metrics.len() > 1;
    let series = errors
        .iter()
        .enumerate()
        .map(|(index, query)| Series {
            id: format!("m{index}"),
            label: label(query, several_metrics),
            metric: query.metric,
            stat: view.stat.to_string(),
            dimensions: query.dims.to_map(),
            timestamps: timestamps.clone(),
            values: values_of(index, view.fill),
            per_thousand: None,
        })
        .collect::<Vec<_>>();

    // The summary covers every error series; a breakdown draws its top ones.
    let summary = summarize(&series);
    let (mut series, ranking) = match view.by {
        Some(_) => keep_top(series, view.top as usize),
        None => (series, Vec::new()),
    };
    let mut annotations = annotate(&series, plan.period);
    if !errors.is_empty() && errors.len() <= MAX_ALARM_SERIES && view.by.is_none() && !several_metrics {
        let dims: Vec<_> = errors.iter().map(|q| q.dims.clone()).collect();
        annotations.extend(alarm_marks(&state, &region, view.metric(), &series, &dims, &plan, &mut warnings).await);
    }
    if view.rate {
        let rates = rate_series(&series, &errors, |index| values_of(errors.len() + index, Fill::None));
        if rates.iter().any(|rate| rate.metric == Metric::TargetTlsNegotiationErrorCount) {
            warnings.push(
                "target-side rates are an approximation: errors per 1,000 requests, and a connection can carry \
                 many requests"
                    .to_string(),
            );
        }
        series.extend(rates);
    }
    warnings.extend(fetched.warnings.iter().cloned());
    if view.needs_discovery() && errors.is_empty() {
        let names: Vec<&str> = view.metrics.iter().map(|m| m.as_str()).collect();
        warnings.push(format!(
            "nothing reported {} in the last two weeks; name a load balancer with lb= to look further back",
            names.join(" or ")
        ));
    }
    let body = SeriesResponse {
        view: canonical,
        start: plan.start,
        end: plan.end,
        period: plan.period,
        summary,
        annotations,
        ranking,
        series,
        warnings,
    };
    let mut response = match (rendered, view.format) {
        (Some((key, fetched)), _) => {
            let body = Bytes::from(serde_json::to_vec(&body).map_err(|err| ApiError::Internal(err.to_string()))?);
            state.upstream.remember_rendered(key, fetched, body.clone()).await;
            json_response(body)
        }
        (None, Format::Json) => Json(body).into_response(),
        (None, Format::Csv) => csv_response(&body)?,
    };
    if covered.is_some() {
        response.headers_mut().insert(STALE_HEADER, HeaderValue::from_static("true"));
    }
    Ok(response)
}

fn json_response(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response()
}

/// A series' label: its dimensions' names, and the side when both are shown.
fn label(query: &Query, several_metrics: bool) -> String {
    let side = match query.metric {
        Metric::ClientTlsNegotiationErrorCount => "client",
        _ => "target",
    };
    if several_metrics { format!("{side} · {}", query.dims.label()) } else { query.dims.label() }
}

/// Rates of the drawn error series (not of "others"): errors per 1,000 of the
/// denominator fetched for the same series, whose values `denominator(i)`
/// gives for error query `i`.
fn rate_series(drawn: &[Series], errors: &[Query], denominator: impl Fn(usize) -> Vec<Option<f64>>) -> Vec<Series> {
    drawn
        .iter()
        .filter_map(|one| {
            let index: usize = one.id.strip_prefix('m')?.parse().ok()?;
            let of = errors.get(index)?.metric.denominator()?;
            let what = if of == Metric::RequestCount { "requests" } else { "new connections" };
            Some(Series {
                id: format!("r{index}"),
                label: format!("{} per 1,000 {what}", one.label),
                values: per_thousand(&one.values, &denominator(index)),
                per_thousand: Some(of),
                ..one.clone()
            })
        })
        .collect()
}

/// The alarms of the drawn series: their thresholds, then the periods they
/// spent in ALARM. What cannot be read becomes a warning, never a failed view.
async fn alarm_marks(
    state: &AppState,
    region: &Region,
    metric: Metric,
    series: &[Series],
    dims: &[Dimensions],
    plan: &Plan,
    warnings: &mut Vec<String>,
) -> Vec<Annotation> {
    let alarms = match state.upstream.alarms(region, metric, dims).await {
        Ok(alarms) => alarms,
        Err(err) => {
            warnings.push(format!("alarms not shown: {err}"));
            return Vec::new();
        }
    };
    let mut marks = alarm_annotations(series, &alarms);
    for (one, alarms) in series.iter().zip(alarms.iter()) {
        for alarm in alarms {
            match state.upstream.alarm_history(region, &alarm.name, plan.start, plan.end).await {
                Ok(history) => {
                    let periods = alarm_periods(&history, alarm.state == "ALARM", plan.start, plan.end);
                    marks.extend(periods.into_iter().map(|(t, t_end)| Annotation {
                        kind: AnnotationKind::Alarm,
                        series: one.id.clone(),
                        t,
                        t_end: Some(t_end),
                        value: alarm.threshold,
                        text: format!("alarm {} in ALARM", alarm.name),
                    }));
                }
                Err(err) => warnings.push(format!("ALARM periods of {} not shaded: {err}", alarm.name)),
            }
        }
    }
    marks
}

/// Alarms as annotations: a threshold (no `t_end`: it spans the chart),
/// named with the state.
fn alarm_annotations(series: &[Series], alarms: &[Vec<Alarm>]) -> Vec<Annotation> {
    series
        .iter()
        .zip(alarms)
        .flat_map(|(one, alarms)| {
            alarms.iter().map(|alarm| Annotation {
                kind: AnnotationKind::Alarm,
                series: one.id.clone(),
                t: 0,
                t_end: None,
                value: alarm.threshold,
                text: format!("alarm {} ({}): {} {}", alarm.name, alarm.state, alarm.comparison, alarm.threshold),
            })
        })
        .collect()
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
