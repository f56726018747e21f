//! `GET /api/v1/catalog`: the menus of the frontend, with the accounts the
//! caller may read (and no other account's name).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use tlswatch_shared::Region;
use tlswatch_shared::api::{AccountInfo, CatalogResponse};
use tlswatch_shared::query::no_parameters;

use crate::accounts::Account;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::state::AppState;

pub async fn catalog(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<CatalogResponse>, ApiError> {
    no_parameters(query.as_deref().unwrap_or(""))?;
    let accounts: Vec<&Account> = state.accounts.readable_by(&caller).collect();
    // The account of views that name none, for this caller.
    let first = state.accounts.readable(None, &caller)?;
    let regions = first.regions.allowed.iter().map(Region::to_string).collect();
    let mut catalog = CatalogResponse::new(state.source_kind, regions, first.regions.default.to_string());
    catalog.default_account = first.name.to_string();
    // The limits this server applies, where they are tighter than CloudWatch's.
    catalog.limits.max_series = catalog.limits.max_series.min(state.limits.max_series);
    catalog.limits.max_points = Some(state.limits.max_points);
    catalog.accounts = accounts
        .into_iter()
        .map(|account| AccountInfo {
            name: account.name.to_string(),
            account_id: match account.role {
                Some(_) => account.role_account_id().map(str::to_string),
                None => state.own_account_id.get().cloned(),
            },
            regions: account.regions.allowed.iter().map(Region::to_string).collect(),
        })
        .collect();
    Ok(Json(catalog))
}
