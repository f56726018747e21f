//! `GET /api/v1/overview?<query>`: every load balancer of every account
//! and region the caller may read, ranked by errors or findings. Per
//! account and region: one ListMetrics (cached) and one GetMetricData per
//! 500 load balancers, all through the same cache, coalescing and
//! concurrency limit as the charts; beside them, the scope's reviewed fleet
//! (see [`super::fleet`]) for the findings. An account or region whose
//! errors fail is a scope in error; one whose findings fail keeps its rows,
//! with a warning. The rest of the overview is answered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use futures_util::future::{join, join_all};
use tlswatch_shared::fleet_summary::{FleetSummary, summarize};
use tlswatch_shared::overview::{
    OverviewQuery, OverviewResponse, OverviewRow, RowFindings, RowSource, ScopeState, ScopeStatus, rank, row,
};
use tlswatch_shared::review::{Finding, LoadBalancerReview};
use tlswatch_shared::{Dimensions, ErrorCode, LoadBalancer, Plan, Query, Region, ViewError};

use super::fleet::{ReviewedFleet, reviewed_fleet};

use crate::accounts::Scope;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::source::{FetchRequest, SourceError, listed_load_balancers};
use crate::state::AppState;

pub async fn overview(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<OverviewResponse>, ApiError> {
    let query = OverviewQuery::from_query(query.as_deref().unwrap_or(""))?;
    let now = (state.clock)();
    let plan = query.plan(now)?;
    let scopes = scopes(&state, &query, &caller)?;

    let answers = join_all(scopes.iter().map(|scope| scope_rows(&state, &query, &plan, now, scope))).await;
    let mut response = OverviewResponse {
        view: query.to_query(),
        start: plan.start,
        end: plan.end,
        period: plan.period,
        rows: Vec::new(),
        fleet: FleetSummary::default(),
        scopes: Vec::new(),
        warnings: plan.warnings.clone(),
    };
    let mut reviewed: Vec<(String, LoadBalancerReview)> = Vec::new();
    let mut pending = 0;
    for (scope, answer) in scopes.iter().zip(answers) {
        let (account, region) = (scope.account.to_string(), scope.region.to_string());
        let status = match answer {
            Ok(ScopeRows { rows, load_balancers, stale, warnings, reviewed: in_scope, findings_pending }) => {
                pending += usize::from(findings_pending);
                response.rows.extend(rows);
                reviewed.extend(in_scope.into_iter().map(|lb| (scope.account.to_string(), lb)));
                response.warnings.extend(warnings.into_iter().map(|warning| format!("{scope}: {warning}")));
                let status = if stale.is_some() { ScopeState::Error } else { ScopeState::Ok };
                ScopeStatus { account, region, status, message: stale, load_balancers }
            }
            Err(err) => ScopeStatus::failed(account, region, err.to_string()),
        };
        response.scopes.push(status);
    }
    if pending > 0 {
        response.warnings.push(format!(
            "findings are still being read for {pending} of {} accounts and regions (Elastic Load Balancing is read \
             at --elb-calls-per-second calls a second, in the background every --fleet-refresh-seconds): the \
             others' are shown; reload in a moment to see the rest",
            scopes.len()
        ));
    }
    rank(&mut response.rows, query.sort);
    response.fleet = summarize(reviewed.iter().map(|(account, lb)| (account.as_str(), lb)));
    Ok(Json(response))
}

/// The accounts and regions the overview reads: every one the caller may
/// read, narrowed to the accounts and regions the query names. Naming an
/// account the caller may not read is refused as a view of it would be,
/// and so is a caller who may read none.
pub(super) fn scopes(state: &AppState, query: &OverviewQuery, caller: &Caller) -> Result<Vec<Scope>, ApiError> {
    state.accounts.readable(None, caller)?;
    for name in &query.accounts {
        state.accounts.readable(Some(name), caller)?;
    }
    let scopes: Vec<Scope> = state
        .accounts
        .readable_by(caller)
        .filter(|account| query.accounts.is_empty() || query.accounts.contains(&account.name))
        .flat_map(|account| account.scopes())
        .filter(|scope| query.regions.is_empty() || query.regions.contains(&scope.region))
        .collect();
    let read: BTreeSet<&Region> = scopes.iter().map(|scope| &scope.region).collect();
    if let Some(region) = query.regions.iter().find(|region| !read.contains(region)) {
        return Err(ViewError::new(
            ErrorCode::InvalidParameter,
            "region",
            format!("`region`: {region} is not read in any account you may read (the catalog lists their regions)"),
        )
        .into());
    }
    Ok(scopes)
}

/// How long the overview waits for a scope's findings; a slower read goes
/// on in the background, and a later overview is served from the cache.
const FINDINGS_WAIT: Duration = Duration::from_secs(5);

/// The errors of one account and region.
struct ErrorRows {
    rows: Vec<OverviewRow>,
    load_balancers: usize,
    /// Why the rows are the last good ones, when the source failed.
    stale: Option<String>,
}

/// What one account and region answered: its errors, and its findings.
struct ScopeRows {
    rows: Vec<OverviewRow>,
    load_balancers: usize,
    stale: Option<String>,
    /// What could not be read beside the errors (the findings).
    warnings: Vec<String>,
    /// Every load balancer of the scope, reviewed (for the summary).
    reviewed: Vec<LoadBalancerReview>,
    /// Whether its findings were still being read when the overview stopped waiting.
    findings_pending: bool,
}

/// The rows of every load balancer that reported the metric in `scope`,
/// and of every other one with findings, each with its findings counted;
/// only those with findings the query asks for, if it asks.
async fn scope_rows(
    state: &Arc<AppState>,
    query: &OverviewQuery,
    plan: &Plan,
    now: i64,
    scope: &Scope,
) -> Result<ScopeRows, SourceError> {
    // Its own task: a big scope's first read at the Elastic Load Balancing
    // pace outlasts the wait, and goes on filling the cache for the next
    // request. Boxed: its future nests the SDK's, too deep for a worker's stack.
    let (owned_state, owned_scope, owned_plan) = (state.clone(), scope.clone(), plan.clone());
    let fleet = tokio::spawn(async move { Box::pin(reviewed_fleet(&owned_state, &owned_scope, &owned_plan)).await });
    let errors = Box::pin(error_rows(state, query, plan, now, scope));
    let (errors, fleet) = join(errors, tokio::time::timeout(FINDINGS_WAIT, fleet)).await;
    let ErrorRows { mut rows, load_balancers, stale } = errors?;
    let mut warnings = Vec::new();
    let mut findings_pending = false;
    let reviewed = match fleet {
        Ok(Ok(Ok(ReviewedFleet { reviewed, warnings: missing, .. }))) => {
            warnings.extend(missing);
            reviewed
        }
        Ok(Ok(Err(err))) => {
            warnings.push(format!("findings not shown: {err}"));
            Vec::new()
        }
        Ok(Err(err)) => {
            tracing::error!(%err, "reviewing a fleet failed");
            warnings.push("findings not shown: tlswatch failed internally; the server log has details".to_string());
            Vec::new()
        }
        Err(_) => {
            findings_pending = true;
            Vec::new()
        }
    };
    let findings: BTreeMap<&str, &[Finding]> =
        reviewed.iter().map(|lb| (lb.value.as_str(), &lb.findings[..])).collect();
    // A plaintext hop fails no handshake: its load balancer reports nothing.
    let quiet: Vec<LoadBalancer> = findings
        .iter()
        .filter(|(value, found)| !found.is_empty() && !rows.iter().any(|row| row.load_balancer.value == **value))
        .filter_map(|(value, _)| LoadBalancer::parse(value).ok())
        .collect();
    let final_points = plan.final_points(now);
    for lb in &quiet {
        let source = RowSource { account: &scope.account, region: &scope.region, load_balancer: lb, datapoints: &[] };
        rows.push(row(query, plan, final_points, source));
    }
    for row in &mut rows {
        row.findings = findings.get(row.load_balancer.value.as_str()).map(|found| RowFindings::of(found));
    }
    if query.filter.is_set() {
        rows.retain(|row| {
            findings
                .get(row.load_balancer.value.as_str())
                .is_some_and(|found| found.iter().any(|f| query.filter.admits(f)))
        });
    }
    Ok(ScopeRows { rows, load_balancers, stale, warnings, reviewed, findings_pending })
}

/// The rows of every load balancer that reported the metric in `scope`.
async fn error_rows(
    state: &AppState,
    query: &OverviewQuery,
    plan: &Plan,
    now: i64,
    scope: &Scope,
) -> Result<ErrorRows, SourceError> {
    let listed = state.cache.list(scope, query.metric).await?;
    let series: Vec<Query> = listed_load_balancers(&listed)
        .into_iter()
        .map(|lb| Query {
            metric: query.metric,
            dims: Dimensions { load_balancer: lb.clone(), target_group: None, availability_zone: None },
        })
        .collect();
    if series.is_empty() {
        return Ok(ErrorRows { rows: Vec::new(), load_balancers: 0, stale: None });
    }
    let request = FetchRequest {
        stat: query.stat,
        period: plan.period,
        start: plan.start,
        end: plan.end,
        series: series.clone(),
    };
    let answer = state.cache.fetch(scope, request).await?;
    let stale = answer.stale().map(|(failure, _)| format!("{failure}; showing the figures read before"));
    let fetched = answer.fetched();
    let final_points = plan.final_points(now);
    let rows = series
        .iter()
        .zip(&fetched.datapoints)
        .map(|(query_of_lb, datapoints)| {
            let source = RowSource {
                account: &scope.account,
                region: &scope.region,
                load_balancer: &query_of_lb.dims.load_balancer,
                datapoints,
            };
            row(query, plan, final_points, source)
        })
        .collect();
    Ok(ErrorRows { rows, load_balancers: series.len(), stale })
}
