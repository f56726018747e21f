//! `GET /api/v1/dimensions`: the load balancers, target groups and zones that
//! reported a metric, for the frontend's pickers.

use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State};
use tlswatch_shared::api::DimensionsResponse;
use tlswatch_shared::view::DimensionsQuery;

use crate::app::AppState;
use crate::error::ApiError;

pub async fn dimensions(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Json<DimensionsResponse>, ApiError> {
    let query = DimensionsQuery::from_query(query.as_deref().unwrap_or(""))?;
    let region = state.regions.resolve(query.region.as_ref())?;
    let listed = state.upstream.list(&region, query.metric).await?;
    Ok(Json(DimensionsResponse::from_listed(query.metric, region.to_string(), &listed)))
}
