//! `GET /api/v1/fleet-review?<query>&format=json|csv`: the compliance
//! report of every load balancer the caller may read, one row per load
//! balancer × listener × target group, from each scope's reviewed fleet
//! (see [`super::fleet`]). A scope that cannot be read is listed with the
//! reason; the others are answered.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Json, Response};
use futures_util::future::join_all;
use tlswatch_shared::fleet_review::{
    CSV_COLUMNS, FleetReviewQuery, FleetReviewResponse, ReportFormat, ReportRow, csv_record, rows_of,
};
use tlswatch_shared::overview::{ScopeState, ScopeStatus};
use tlswatch_shared::{Plan, TimeSpec};

use super::fleet::{ReviewedFleet, reviewed_fleet};
use super::overview::scopes;
use super::series::csv_response;
use crate::accounts::Scope;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::source::SourceError;
use crate::state::AppState;

pub async fn fleet_review(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = FleetReviewQuery::from_query(query.as_deref().unwrap_or(""))?;
    let plan = query.overview.plan((state.clock)())?;
    let scopes = scopes(&state, &query.overview, &caller)?;
    let answers = join_all(scopes.iter().map(|scope| scope_report(&state, &query, &plan, scope))).await;
    let mut report = FleetReviewResponse {
        view: query.to_query(),
        baseline: query.baseline,
        start: plan.start,
        end: plan.end,
        rows: Vec::new(),
        scopes: Vec::new(),
        warnings: plan.warnings.clone(),
    };
    for (scope, answer) in scopes.iter().zip(answers) {
        let (account, region) = (scope.account.to_string(), scope.region.to_string());
        let status = match answer {
            Ok(ScopeReport { rows, load_balancers, warnings }) => {
                report.rows.extend(rows);
                report.warnings.extend(warnings.into_iter().map(|warning| format!("{scope}: {warning}")));
                ScopeStatus { account, region, status: ScopeState::Ok, message: None, load_balancers }
            }
            Err(err) => ScopeStatus::failed(account, region, err.to_string()),
        };
        report.scopes.push(status);
    }
    Ok(match query.format {
        ReportFormat::Json => Json(report).into_response(),
        ReportFormat::Csv => {
            let disposition =
                format!("attachment; filename=\"tlswatch-fleet-review-{}.csv\"", TimeSpec::At(plan.start));
            csv_response(csv_body(&report.rows)?, disposition.replace(':', "-"))
        }
    })
}

/// What one account and region gave the report.
struct ScopeReport {
    rows: Vec<ReportRow>,
    /// Application load balancers in the scope, filtered or not.
    load_balancers: usize,
    /// What could not be read beside the configuration (errors, policies).
    warnings: Vec<String>,
}

/// The rows of every load balancer of `scope`; a scope without its
/// configuration has none, and fails.
async fn scope_report(
    state: &AppState,
    query: &FleetReviewQuery,
    plan: &Plan,
    scope: &Scope,
) -> Result<ScopeReport, SourceError> {
    let ReviewedFleet { reviewed, probed, warnings } = reviewed_fleet(state, scope, plan).await?;
    let (account, region) = (scope.account.to_string(), scope.region.to_string());
    let filter = &query.overview.filter;
    let rows = reviewed
        .iter()
        .zip(&probed)
        .flat_map(|(lb, probed)| rows_of(&account, &region, lb, probed, query.baseline, filter))
        .collect();
    Ok(ScopeReport { rows, load_balancers: reviewed.len(), warnings })
}

/// The report as CSV, a header of [`CSV_COLUMNS`] and a record per row.
fn csv_body(rows: &[ReportRow]) -> Result<Vec<u8>, ApiError> {
    let unwritable = |err: csv::Error| ApiError::Internal(format!("could not write CSV: {err}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(CSV_COLUMNS).map_err(unwritable)?;
    for row in rows {
        writer.write_record(csv_record(row)).map_err(unwritable)?;
    }
    writer.into_inner().map_err(|err| ApiError::Internal(format!("could not write CSV: {err}")))
}
