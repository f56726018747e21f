//! `GET /api/v1/dimensions`: the load balancers, target groups and zones that
//! reported a metric, for the frontend's pickers.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use tlswatch_shared::api::DimensionsResponse;
use tlswatch_shared::view::DimensionsQuery;

use crate::error::ApiError;
use crate::identity::Caller;
use crate::state::AppState;

pub async fn dimensions(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<DimensionsResponse>, ApiError> {
    let query = DimensionsQuery::from_query(query.as_deref().unwrap_or(""))?;
    let scope = state.accounts.scope(query.account.as_ref(), query.region.as_ref(), &caller)?;
    let listed = state.cache.list(&scope, query.metric).await?;
    Ok(Json(DimensionsResponse::from_listed(query.metric, scope.region.to_string(), &listed)))
}
