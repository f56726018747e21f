//! Calls to the proxy's API.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use tlswatch_shared::api::{CatalogResponse, DimensionsResponse, ErrorBody, ReviewResponse, SeriesResponse};
use tlswatch_shared::overview::OverviewResponse;
use tlswatch_shared::{AccountName, Metric, Region};

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
        None => get_body(&format!("/api/v1/series?{query}")).await?,
    };
    parse(&body)
}

/// `GET /api/v1/review?<query>`.
pub async fn review(query: &str) -> Result<ReviewResponse, ApiFailure> {
    get_json(&format!("/api/v1/review?{query}")).await
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
    let mut url = format!("/api/v1/dimensions?metric={}", metric.as_str());
    if let Some(account) = account {
        url.push_str(&format!("&account={account}"));
    }
    if let Some(region) = region {
        url.push_str(&format!("&region={region}"));
    }
    get_json(&url).await
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
