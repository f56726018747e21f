//! Every URL the pages use, and the calls to the proxy's API.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use tlswatch_shared::api::{
    CatalogResponse, ChangesResponse, DimensionsResponse, ErrorBody, ProbeResponse, ReviewResponse, SeriesResponse,
};
use tlswatch_shared::display::{AlarmFormat, Format};
use tlswatch_shared::fleet_review::{Baseline, FleetReviewQuery};
use tlswatch_shared::overview::{OverviewQuery, OverviewResponse};
use tlswatch_shared::query::write_pairs;
use tlswatch_shared::{AccountName, Metric, Region, View};

/// The overview page's path (the proxy serves overview.html there).
pub const OVERVIEW_PATH: &str = "/overview";
/// The dashboard's path: a view is `/?<view>`.
pub const DASHBOARD_PATH: &str = "/";

/// The dashboard's address of a view's query string.
pub fn dashboard_url(query: &str) -> String {
    page_url(DASHBOARD_PATH, query)
}

/// The overview's address of an overview query string.
pub fn overview_url(query: &str) -> String {
    page_url(OVERVIEW_PATH, query)
}

/// The compliance report of an overview's range, scope and finding
/// filters, as CSV marked against `baseline`: the overview's metric,
/// statistic and order are not the report's.
pub fn fleet_report_url(query: &OverviewQuery, baseline: Baseline) -> String {
    let scope = OverviewQuery {
        from: query.from,
        to: query.to,
        accounts: query.accounts.clone(),
        regions: query.regions.clone(),
        filter: query.filter.clone(),
        ..OverviewQuery::default()
    };
    let report = FleetReviewQuery { overview: scope, baseline: Some(baseline), ..FleetReviewQuery::default() };
    format!("/api/v1/fleet-review?{}&format=csv", report.to_query())
}

fn page_url(path: &str, query: &str) -> String {
    if query.is_empty() { path.to_string() } else { format!("{path}?{query}") }
}

/// `/api/v1/series?<query>`: a view's series.
fn series_url(query: &str) -> String {
    format!("/api/v1/series?{query}")
}

/// The link that downloads a view's series as CSV.
pub fn csv_url(view: &View) -> String {
    series_url(&View { format: Format::Csv, ..view.data_only() }.to_query())
}

/// `/api/v1/alarm?<view>&format=<form>`: the view's alarms written in `form`.
fn alarm_url(view: &View, form: AlarmFormat) -> String {
    format!("/api/v1/alarm?{}&format={}", view.data_only().to_query(), form.as_str())
}

/// `GET /api/v1/alarm`: the text of a view's alarms in `form`.
pub async fn alarm_text(view: &View, form: AlarmFormat) -> Result<String, ApiFailure> {
    get_body(&alarm_url(view, form)).await
}

/// `/api/v1/dimensions?metric=...[&account=...][&region=...]`.
fn dimensions_url(metric: Metric, account: Option<AccountName>, region: Option<Region>) -> String {
    let mut pairs = vec![("metric", metric.as_str().to_string())];
    pairs.extend(account.map(|account| ("account", account.to_string())));
    pairs.extend(region.map(|region| ("region", region.to_string())));
    format!("/api/v1/dimensions?{}", write_pairs(pairs))
}

/// A failed call, as shown to the user.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    pub message: String,
    /// The view parameter the API blamed, if any.
    pub param: Option<String>,
}

/// `GET /api/v1/series?<query>`: the answer to the request boot.js sent
/// if that was this one, else a new request.
pub async fn series(query: &str) -> Result<SeriesResponse, ApiFailure> {
    let body = match crate::preload::take(query).await {
        Some(answer) => body_or_failure(answer.status, answer.body)?,
        None => get_body(&series_url(query)).await?,
    };
    parse(&body)
}

/// `GET /api/v1/review?<query>`.
pub async fn review(query: &str) -> Result<ReviewResponse, ApiFailure> {
    get_json(&format!("/api/v1/review?{query}")).await
}

/// `GET /api/v1/changes?<query>`.
pub async fn changes(query: &str) -> Result<ChangesResponse, ApiFailure> {
    get_json(&format!("/api/v1/changes?{query}")).await
}

/// `GET /api/v1/probe?<query>[&policy=<listener policy>]`.
pub async fn probe(query: &str, policy: Option<&str>) -> Result<ProbeResponse, ApiFailure> {
    let what_if =
        policy.map(|policy| format!("&{}", write_pairs([("policy", policy.to_string())]))).unwrap_or_default();
    get_json(&format!("/api/v1/probe?{query}{what_if}")).await
}

/// `GET /api/v1/overview?<query>`.
pub async fn overview(query: &str) -> Result<OverviewResponse, ApiFailure> {
    get_json(&format!("/api/v1/overview?{query}")).await
}

/// `GET /api/v1/catalog`.
pub async fn catalog() -> Result<CatalogResponse, ApiFailure> {
    get_json("/api/v1/catalog").await
}

/// `GET /api/v1/dimensions`.
pub async fn dimensions(
    metric: Metric,
    account: Option<AccountName>,
    region: Option<Region>,
) -> Result<DimensionsResponse, ApiFailure> {
    get_json(&dimensions_url(metric, account, region)).await
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiFailure> {
    parse(&get_body(url).await?)
}

fn parse<T: DeserializeOwned>(body: &str) -> Result<T, ApiFailure> {
    serde_json::from_str(body).map_err(|err| ApiFailure {
        message: format!("the tlswatch server sent an answer this page cannot read: {err}"),
        param: None,
    })
}

/// The body of a successful `GET`, or the API's message. Not generic, so
/// each kind of answer adds only its parser to the `.wasm`, not the request.
async fn get_body(url: &str) -> Result<String, ApiFailure> {
    let response = Request::get(url).send().await.map_err(|err| ApiFailure {
        message: format!("the tlswatch server could not be reached: {err}"),
        param: None,
    })?;
    read_body(response).await
}

/// The body of a successful answer, or the API's message.
async fn read_body(response: Response) -> Result<String, ApiFailure> {
    let body = response.text().await.map_err(|err| ApiFailure {
        message: format!("the tlswatch server's answer was cut short: {err}"),
        param: None,
    })?;
    body_or_failure(response.status(), body)
}

/// The body of an answer with this HTTP status, or the API's message.
fn body_or_failure(status: u16, body: String) -> Result<String, ApiFailure> {
    if (200..300).contains(&status) {
        return Ok(body);
    }
    match serde_json::from_str::<ErrorBody>(&body) {
        Ok(body) => Err(ApiFailure { message: body.error.message, param: body.error.param }),
        Err(_) => Err(ApiFailure { message: format!("the tlswatch server answered HTTP {status}"), param: None }),
    }
}
