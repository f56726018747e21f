//! `GET /api/v1/review?<view>`: each load balancer's TLS path from its
//! listeners to its targets, beside the errors of its target groups over
//! the view's range, with findings. Reading the configuration may fail (an
//! identity without `elasticloadbalancing:Describe*`): the review then
//! answers with a warning, and every chart keeps working.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::{Extension, Json};
use tlswatch_shared::annotate::onset;
use tlswatch_shared::api::ReviewResponse;
use tlswatch_shared::changes::{self, HISTORY_SECONDS, RECENT_PER_LOAD_BALANCER};
use tlswatch_shared::grid::fill_grid;
use tlswatch_shared::review::{ErrorsInRange, LoadBalancerConfig, SslPolicy, backend_policy, review};
use tlswatch_shared::{Dimensions, Fill, LoadBalancer, Metric, Plan, Query, Statistic, View};

use super::changes::changes_of;
use super::probe_rows::{ProbePlan, cite_outcomes};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::source::{FetchRequest, Scope, SourceError, listed_load_balancers};
use crate::state::AppState;

/// The step the review's change history ends on.
const HISTORY_STEP_SECONDS: i64 = 60;

/// The permissions the review needs (docs/deploy.md's IAM policy has them).
const DESCRIBE_ACTIONS: &str = "elasticloadbalancing:DescribeLoadBalancers, DescribeListeners, DescribeRules, \
    DescribeTargetGroups, DescribeTargetHealth and DescribeSSLPolicies";

pub async fn review_route(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Json<ReviewResponse>, ApiError> {
    let view = View::from_query(query.as_deref().unwrap_or(""))?;
    let scope = state.accounts.scope(view.account.as_ref(), view.region.as_ref(), &caller)?;
    let plan = Plan::new(&view, (state.clock)())?;
    let warnings = plan.warnings.clone();
    let (reported, wanted) = wanted_load_balancers(&state, &scope, &view).await?;
    let mut response = ReviewResponse {
        view: view.to_query(),
        account: scope.account.to_string(),
        region: scope.region.to_string(),
        load_balancers: Vec::new(),
        changes: Vec::new(),
        warnings,
    };
    if wanted.is_empty() {
        return Ok(Json(response));
    }

    let errors = errors_or_warning(&state, &scope, &plan, &wanted, &reported, &mut response.warnings).await;
    let Some(configs) = configs_or_warning(&state, &scope, &wanted, &mut response.warnings).await else {
        return Ok(Json(response));
    };
    let now = (state.clock)();
    // Ends at the next whole minute: every review of a minute asks CloudTrail
    // (2 LookupEvents a second per account and region) the same, cached, question.
    let history_end = (now.div_euclid(HISTORY_STEP_SECONDS) + 1) * HISTORY_STEP_SECONDS;
    let history = (history_end - HISTORY_SECONDS, history_end);
    let (recent, _) = changes_of(&state, &scope, &wanted, &configs, history, &mut response.warnings).await;
    let policies = match policies_in_use(&state, &scope, &configs).await {
        Ok(policies) => policies,
        Err(err) => {
            response.warnings.push(configuration_warning(&err));
            BTreeMap::new()
        }
    };
    for lb in wanted.iter().filter(|lb| !configs.iter().any(|c| c.value == lb.as_str())) {
        response
            .warnings
            .push(format!("{lb} was not found in {scope}: it may have been deleted, or belong to another account"));
    }
    response.load_balancers = configs.iter().map(|config| review(config, &policies, &errors)).collect();
    if !state.probe.allow.is_off() {
        let planned = ProbePlan::new(&view, &configs, &response.load_balancers, &policies, &state.probe.allow);
        cite_outcomes(&state.cache, &scope, planned, &mut response.load_balancers, now).await;
    }
    for reviewed in &mut response.load_balancers {
        if let Some(found) = changes::finding(reviewed, &recent) {
            reviewed.findings.push(found);
            reviewed.findings.sort_by(|a, b| a.severity.cmp(&b.severity).then(a.code.cmp(&b.code)));
        }
        let own = recent.iter().filter(|c| c.load_balancer == reviewed.value);
        response.changes.extend(own.take(RECENT_PER_LOAD_BALANCER).cloned());
    }
    response.changes.sort_by_key(|c| std::cmp::Reverse(c.t));
    Ok(Json(response))
}

/// What the metric's list says reported, and the load balancers a view
/// asks about: its own, or every one that reported.
pub(super) async fn wanted_load_balancers(
    state: &AppState,
    scope: &Scope,
    view: &View,
) -> Result<(Arc<Vec<Dimensions>>, Vec<LoadBalancer>), SourceError> {
    let reported = state.cache.list(scope, Metric::TargetTlsNegotiationErrorCount).await?;
    let wanted = if view.load_balancers.is_empty() {
        listed_load_balancers(&reported).into_iter().cloned().collect()
    } else {
        view.load_balancers.clone()
    };
    Ok((reported, wanted))
}

/// [`group_errors`], or none with a warning: the errors never fail an answer.
pub(super) async fn errors_or_warning(
    state: &AppState,
    scope: &Scope,
    plan: &Plan,
    wanted: &[LoadBalancer],
    reported: &[Dimensions],
    warnings: &mut Vec<String>,
) -> BTreeMap<String, ErrorsInRange> {
    group_errors(state, scope, plan, wanted, reported).await.unwrap_or_else(|err| {
        warnings.push(format!("errors per target group not shown: {err}"));
        BTreeMap::new()
    })
}

/// The configuration of `wanted`, or `None` with a warning.
pub(super) async fn configs_or_warning(
    state: &AppState,
    scope: &Scope,
    wanted: &[LoadBalancer],
    warnings: &mut Vec<String>,
) -> Option<Arc<Vec<LoadBalancerConfig>>> {
    match state.cache.load_balancers(scope, wanted).await {
        Ok(configs) => Some(configs),
        Err(err) => {
            warnings.push(configuration_warning(&err));
            None
        }
    }
}

/// The errors of every target group of `wanted` over the plan's range:
/// one GetMetricData question, through the same cache as the chart.
async fn group_errors(
    state: &AppState,
    scope: &Scope,
    plan: &Plan,
    wanted: &[LoadBalancer],
    reported: &[Dimensions],
) -> Result<BTreeMap<String, ErrorsInRange>, SourceError> {
    let series: Vec<Query> = reported
        .iter()
        .filter(|dims| dims.target_group.is_some() && dims.availability_zone.is_none())
        .filter(|dims| wanted.contains(&dims.load_balancer))
        .map(|dims| Query { metric: Metric::TargetTlsNegotiationErrorCount, dims: dims.clone() })
        .collect();
    if series.is_empty() {
        return Ok(BTreeMap::new());
    }
    let request = FetchRequest { stat: Statistic::Sum, period: plan.period, start: plan.start, end: plan.end, series };
    let answer = state.cache.fetch(scope, request.clone()).await?;
    let fetched = answer.fetched();
    let final_points = plan.final_points((state.clock)());
    let mut errors = BTreeMap::new();
    for (query, points) in request.series.iter().zip(&fetched.datapoints) {
        let Some(group) = &query.dims.target_group else { continue };
        let entry: &mut ErrorsInRange = errors.entry(group.to_string()).or_default();
        // As the chart finds it: in final buckets only.
        let values = fill_grid(plan, points.iter().copied(), Fill::Zero);
        entry.onset =
            onset(&values[..final_points.min(values.len())]).and_then(|(index, _)| plan.timestamps().nth(index));
        for &(t, value) in points.iter().filter(|(t, _)| (plan.start..plan.end).contains(t)) {
            entry.total += value;
            if value > 0.0 && entry.last_error.is_none_or(|last| t > last) {
                entry.last_error = Some(t);
            }
        }
    }
    Ok(errors)
}

/// What the listeners' policies and the backend policies they imply offer,
/// in one DescribeSSLPolicies call (every TLS 1.3 policy of AWS says so in
/// its name, so the backend policies are known before the call).
pub(super) async fn policies_in_use(
    state: &AppState,
    scope: &Scope,
    configs: &[LoadBalancerConfig],
) -> Result<BTreeMap<String, SslPolicy>, SourceError> {
    let listener_policies = configs.iter().flat_map(|c| &c.listeners).filter_map(|l| l.ssl_policy.as_deref());
    let mut names: Vec<String> =
        listener_policies.flat_map(|name| [name.to_string(), backend_policy(name, &[]).to_string()]).collect();
    names.sort();
    names.dedup();
    Ok(state.cache.ssl_policies(scope, &names).await?.as_ref().clone())
}

/// A failed configuration read, worded for the page.
fn configuration_warning(err: &SourceError) -> String {
    match err {
        SourceError::AccessDenied(_, detail) => format!(
            "load balancer configuration not shown: the proxy's AWS identity may not read it ({detail}); it needs \
             {DESCRIBE_ACTIONS} (see docs/deploy.md)"
        ),
        _ => format!("load balancer configuration not shown: {err}"),
    }
}
