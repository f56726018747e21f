//! `GET /api/v1/catalog`: the menus of the frontend.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use tlswatch_shared::Region;
use tlswatch_shared::api::CatalogResponse;

use crate::app::AppState;

pub async fn catalog(State(state): State<Arc<AppState>>) -> Json<CatalogResponse> {
    let regions = state.regions.allowed.iter().map(Region::to_string).collect();
    Json(CatalogResponse::new(state.upstream.kind(), regions, state.regions.default.to_string()))
}
