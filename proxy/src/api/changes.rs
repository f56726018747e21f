//! `GET /api/v1/changes?<view>`: the calls that changed the TLS path of the
//! view's load balancers over its range, from CloudTrail. A failed or
//! refused read is a warning: the chart and the review never depend on it.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use tlswatch_shared::api::ChangesResponse;
use tlswatch_shared::changes::{Change, changes};
use tlswatch_shared::review::LoadBalancerConfig;
use tlswatch_shared::{LoadBalancer, Plan, TimeSpec, View};

use super::review::wanted_load_balancers;
use crate::cache::MAX_EVENTS_PER_SPAN;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::source::{Scope, SourceError};
use crate::state::AppState;

pub async fn changes_route(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<ChangesResponse>, ApiError> {
    let view = View::from_query(query.as_deref().unwrap_or(""))?;
    let scope = state.accounts.scope(view.account.as_ref(), view.region.as_ref(), &caller)?;
    let plan = Plan::new(&view, (state.clock)())?;
    let (_, wanted) = wanted_load_balancers(&state, &scope, &view).await?;
    let mut response = ChangesResponse {
        view: view.to_query(),
        account: scope.account.to_string(),
        region: scope.region.to_string(),
        start: plan.start,
        end: plan.end,
        changes: Vec::new(),
        complete_from: None,
        warnings: plan.warnings.clone(),
    };
    if wanted.is_empty() {
        return Ok(Json(response));
    }
    // Target groups are matched through the configuration; without it,
    // changes to listeners, rules and the load balancers are still found.
    let configs = match state.cache.load_balancers(&scope, &wanted).await {
        Ok(configs) => configs,
        Err(err) => {
            response.warnings.push(format!("changes to target groups not shown: {err}"));
            Arc::default()
        }
    };
    let found = changes_of(&state, &scope, &wanted, &configs, (plan.start, plan.end), &mut response.warnings).await;
    (response.changes, response.complete_from) = found;
    Ok(Json(response))
}

/// The changes to `wanted` (whose configuration, as far as it could be
/// read, is `configs`) over `range`, newest first, and where they are
/// complete from; what could not be read is a warning.
pub(super) async fn changes_of(
    state: &AppState,
    scope: &Scope,
    wanted: &[LoadBalancer],
    configs: &[LoadBalancerConfig],
    (start, end): (i64, i64),
    warnings: &mut Vec<String>,
) -> (Vec<Change>, Option<i64>) {
    let trail = match state.cache.trail(scope, start, end).await {
        Ok(trail) => trail,
        Err(err) => {
            warnings.push(trail_warning(&err));
            return (Vec::new(), None);
        }
    };
    // A load balancer not described still has its own ARNs matched.
    let configs: Vec<LoadBalancerConfig> = wanted
        .iter()
        .map(|lb| {
            let known = configs.iter().find(|c| c.value == lb.as_str()).cloned();
            known.unwrap_or_else(|| LoadBalancerConfig { value: lb.to_string(), ..LoadBalancerConfig::default() })
        })
        .collect();
    if let Some(from) = trail.complete_from {
        warnings.push(format!(
            "CloudTrail holds more than {MAX_EVENTS_PER_SPAN} Elastic Load Balancing events in part of the range: \
             changes before {} may be missing; narrow the range to see them",
            TimeSpec::At(from)
        ));
    }
    (changes(&trail.events, &configs, &scope.region.to_string()), trail.complete_from)
}

/// A failed CloudTrail read, worded for the page.
fn trail_warning(err: &SourceError) -> String {
    match err {
        SourceError::AccessDenied(_, detail) => format!(
            "what changed is not shown: the proxy's AWS identity may not read CloudTrail ({detail}); it needs \
             cloudtrail:LookupEvents (see docs/deploy.md)"
        ),
        _ => format!("what changed is not shown: {err}"),
    }
}
