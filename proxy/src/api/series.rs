//! `GET /api/v1/series`: the data of one view.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use tlswatch_shared::api::{Series, SeriesResponse};
use tlswatch_shared::grid::fill_grid;
use tlswatch_shared::summary::summarize;
use tlswatch_shared::{Plan, View};

use crate::app::AppState;
use crate::error::ApiError;
use crate::source::FetchRequest;

pub async fn series(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<SeriesResponse>, ApiError> {
    let view = View::from_query(query.as_deref().unwrap_or(""))?;
    let region = state.regions.resolve(view.region.as_ref())?;
    let plan = Plan::new(&view, (state.clock)())?;
    let discovered = if view.needs_discovery() { state.source.list(&region, view.metric).await? } else { Vec::new() };
    let request = FetchRequest {
        metric: view.metric,
        stat: view.stat,
        period: plan.period,
        start: plan.start,
        end: plan.end,
        series: view.series(&discovered)?,
    };
    let fetched =
        if request.series.is_empty() { Default::default() } else { state.source.fetch(&region, &request).await? };

    let timestamps: Vec<i64> = plan.timestamps().collect();
    let series = request
        .series
        .iter()
        .zip(fetched.datapoints)
        .enumerate()
        .map(|(index, (dims, datapoints))| Series {
            id: format!("m{index}"),
            label: dims.label(),
            metric: view.metric,
            stat: view.stat.to_string(),
            dimensions: dims.to_map(),
            timestamps: timestamps.clone(),
            values: fill_grid(&plan, datapoints, view.fill),
        })
        .collect::<Vec<_>>();
    let mut warnings = plan.warnings.clone();
    warnings.extend(fetched.warnings);
    if view.needs_discovery() && request.series.is_empty() {
        warnings.push(format!(
            "no load balancer reported {} in the last two weeks; name one with lb= to look further back",
            view.metric.as_str()
        ));
    }
    Ok(Json(SeriesResponse {
        view: view.to_query(),
        start: plan.start,
        end: plan.end,
        period: plan.period,
        summary: summarize(&series),
        series,
        warnings,
    }))
}
