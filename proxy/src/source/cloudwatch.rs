//! The real source: CloudWatch through the AWS SDK, signed server-side with the
//! proxy's own credentials (the standard chain: environment, profile, SSO,
//! container or instance role).

use std::time::Duration;

use async_trait::async_trait;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::config::http::HttpResponse;
use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatch::types::{self as cw, ScanBy, StatusCode};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_types::DateTime;
use aws_smithy_types::error::display::DisplayErrorContext;
use tlswatch_shared::catalog::{MAX_QUERIES_PER_CALL, NAMESPACE};
use tlswatch_shared::queries::{series_id, series_index};
use tlswatch_shared::{Dimensions, Metric};

use super::{
    AccountConfigs, Alarm, AlarmState, FetchRequest, Fetched, MetricSource, PerScope, Query, Scope, SourceError,
    Transition,
};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Timeouts and retries of CloudWatch calls.
#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    /// How long one attempt may take.
    pub attempt_timeout: Duration,
    /// How long a call may take with its retries.
    pub call_timeout: Duration,
    /// Attempts per call, the first included; the SDK backs off between them
    /// (with more patience for throttling).
    pub max_attempts: u32,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self { attempt_timeout: Duration::from_secs(10), call_timeout: Duration::from_secs(25), max_attempts: 3 }
    }
}

/// The AWS configuration every client of the proxy is built from: the
/// standard credential chain, `policy`'s timeouts and retries, and
/// `endpoint_url` for a compatible server (tests point it at moto).
pub async fn sdk_config(endpoint_url: Option<&str>, policy: CallPolicy) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT.min(policy.attempt_timeout))
                .operation_attempt_timeout(policy.attempt_timeout)
                .operation_timeout(policy.call_timeout)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(policy.max_attempts.max(1)));
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// CloudWatch clients, one per account and region.
pub struct CloudWatchSource {
    clients: PerScope<Client>,
}

impl CloudWatchSource {
    /// A client for each account and region of `configs`.
    pub(crate) fn new(configs: &AccountConfigs) -> Self {
        let clients = PerScope::build(configs, |config, region| {
            Client::from_conf(aws_sdk_cloudwatch::config::Builder::from(config).region(region).build())
        });
        Self { clients }
    }
}

#[async_trait]
impl MetricSource for CloudWatchSource {
    fn kind(&self) -> &'static str {
        "cloudwatch"
    }

    async fn list(&self, scope: &Scope, metric: Metric) -> Result<Vec<Dimensions>, SourceError> {
        let mut pages = self
            .clients
            .get(scope)?
            .list_metrics()
            .namespace(NAMESPACE)
            .metric_name(metric.as_str())
            .into_paginator()
            .send();
        let mut listed = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| classify("ListMetrics", err))?;
            for listed_metric in page.metrics() {
                // Combinations that are not ALB series (other dimension names,
                // malformed values) cannot be asked for, so they are not offered.
                listed.extend(from_cloudwatch(listed_metric.dimensions()));
            }
        }
        listed.sort();
        listed.dedup();
        Ok(listed)
    }

    async fn fetch(&self, scope: &Scope, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let client = self.clients.get(scope)?;
        let mut fetched = Fetched { datapoints: vec![Vec::new(); request.series.len()], ..Fetched::default() };
        for (batch_index, batch) in request.series.chunks(MAX_QUERIES_PER_CALL).enumerate() {
            let offset = batch_index * MAX_QUERIES_PER_CALL;
            let queries =
                batch.iter().enumerate().map(|(index, dims)| metric_query(request, offset + index, dims)).collect();
            let mut pages = client
                .get_metric_data()
                .set_metric_data_queries(Some(queries))
                .start_time(DateTime::from_secs(request.start))
                .end_time(DateTime::from_secs(request.end))
                .scan_by(ScanBy::TimestampAscending)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|err| classify("GetMetricData", err))?;
                fetched.metrics_requested += batch.len() as u64;
                for result in page.metric_data_results() {
                    let Some(index) = result.id().and_then(series_index).filter(|&i| i < fetched.datapoints.len())
                    else {
                        continue;
                    };
                    let points = result.timestamps().iter().map(DateTime::secs).zip(result.values().iter().copied());
                    fetched.datapoints[index].extend(points);
                    if let Some(warning) = status_warning(result.status_code(), &request.series[index].dims) {
                        fetched.warnings.push(warning);
                    }
                }
            }
        }
        fetched.warnings.dedup();
        Ok(fetched)
    }

    async fn alarm_history(
        &self,
        scope: &Scope,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<Transition>, SourceError> {
        let mut pages = self
            .clients
            .get(scope)?
            .describe_alarm_history()
            .alarm_name(name)
            .history_item_type(cw::HistoryItemType::StateUpdate)
            .start_date(DateTime::from_secs(start))
            .end_date(DateTime::from_secs(end))
            .into_paginator()
            .send();
        let mut transitions = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| classify("DescribeAlarmHistory", err))?;
            for item in page.alarm_history_items() {
                let (Some(t), Some(summary)) = (item.timestamp(), item.history_summary()) else { continue };
                if let Some((from, to)) = state_change(summary) {
                    transitions.push(Transition {
                        t: t.secs(),
                        from_alarm: from == "ALARM",
                        into_alarm: to == "ALARM",
                    });
                }
            }
        }
        Ok(transitions)
    }

    async fn alarms(
        &self,
        scope: &Scope,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Vec<Vec<Alarm>>, SourceError> {
        let client = self.clients.get(scope)?;
        let mut alarms = Vec::with_capacity(series.len());
        for dims in series {
            alarms.push(self.alarms_of(client, metric, dims).await?);
        }
        Ok(alarms)
    }
}

impl CloudWatchSource {
    /// The alarms of one series: DescribeAlarmsForMetric asks by dimensions,
    /// and the answer is checked again here so only exact matches count.
    async fn alarms_of(&self, client: &Client, metric: Metric, dims: &Dimensions) -> Result<Vec<Alarm>, SourceError> {
        let output = client
            .describe_alarms_for_metric()
            .namespace(NAMESPACE)
            .metric_name(metric.as_str())
            .set_dimensions(Some(to_cloudwatch(dims)))
            .send()
            .await
            .map_err(|err| classify("DescribeAlarmsForMetric", err))?;
        Ok(output
            .metric_alarms()
            .iter()
            .filter(|alarm| from_cloudwatch(alarm.dimensions()).as_ref() == Some(dims))
            .filter_map(|alarm| {
                Some(Alarm {
                    name: alarm.alarm_name()?.to_string(),
                    threshold: alarm.threshold()?,
                    comparison: alarm.comparison_operator().map(|c| c.as_str().to_string()).unwrap_or_default(),
                    state: AlarmState::parse(alarm.state_value()?.as_str())?,
                })
            })
            .collect())
    }
}

/// The states of "Alarm updated from OK to ALARM", CloudWatch's summary of a state change.
fn state_change(summary: &str) -> Option<(&str, &str)> {
    let rest = summary.split(" from ").nth(1)?;
    let (from, to) = rest.split_once(" to ")?;
    Some((from.trim(), to.trim()))
}

/// Dimensions as CloudWatch takes them, in their one canonical order.
fn to_cloudwatch(dims: &Dimensions) -> Vec<cw::Dimension> {
    dims.pairs()
        .into_iter()
        .map(|(name, value)| cw::Dimension::builder().name(name.as_str()).value(value).build())
        .collect()
}

/// Dimensions as CloudWatch returns them; `None` for combinations that are not ALB series.
fn from_cloudwatch(dimensions: &[cw::Dimension]) -> Option<Dimensions> {
    Dimensions::from_pairs(dimensions.iter().map(|d| (d.name().unwrap_or(""), d.value().unwrap_or(""))))
}

fn metric_query(request: &FetchRequest, index: usize, query: &Query) -> cw::MetricDataQuery {
    let metric = cw::Metric::builder()
        .namespace(NAMESPACE)
        .metric_name(query.metric.as_str())
        .set_dimensions(Some(to_cloudwatch(&query.dims)))
        .build();
    let stat =
        cw::MetricStat::builder().metric(metric).period(request.period as i32).stat(request.stat.to_string()).build();
    cw::MetricDataQuery::builder().id(series_id(index)).metric_stat(stat).return_data(true).build()
}

fn status_warning(status: Option<&StatusCode>, dims: &Dimensions) -> Option<String> {
    match status? {
        StatusCode::Complete => None,
        StatusCode::PartialData => {
            Some(format!("CloudWatch returned partial data for {}; some buckets may be missing", dims.label()))
        }
        other => Some(format!("CloudWatch reported {} for {}", other.as_str(), dims.label())),
    }
}

/// Sorts an SDK failure (of any AWS service the proxy calls) into what the
/// user is told. The full error goes to the log only.
pub(crate) fn classify<E>(operation: &str, err: SdkError<E, HttpResponse>) -> SourceError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    tracing::warn!(operation, error = %DisplayErrorContext(&err), "AWS call failed");
    if let Some(refused) = role_refusal(&err) {
        return refused;
    }
    match &err {
        SdkError::TimeoutError(_) => SourceError::Timeout(format!("{operation} timed out")),
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            SourceError::Timeout(format!("{operation} timed out"))
        }
        SdkError::DispatchFailure(failure) if failure.is_io() => {
            SourceError::Unreachable(format!("{operation} could not connect"))
        }
        SdkError::DispatchFailure(_) => SourceError::Unreachable(format!(
            "{operation} could not be sent (no usable AWS credentials, or no connection)"
        )),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown");
            let status = service.raw().status().as_u16();
            classify_service_error(operation, code, status)
        }
        SdkError::ResponseError(_) => {
            SourceError::Upstream(format!("{operation} returned an answer that could not be read"))
        }
        _ => SourceError::Upstream(format!("{operation} could not be made; the server log has details")),
    }
}

/// The failure to assume an account's role, when that is why a call
/// failed: the SDK reports it as a failed dispatch whose causes hold STS's
/// AssumeRole error.
fn role_refusal(err: &(dyn std::error::Error + 'static)) -> Option<SourceError> {
    type AssumeRoleFailure = SdkError<AssumeRoleError, HttpResponse>;
    let mut cause = err.source();
    while let Some(current) = cause {
        if let Some(failure) = current.downcast_ref::<AssumeRoleFailure>() {
            return Some(match failure {
                SdkError::ServiceError(service) => {
                    let code = service.err().code().unwrap_or("unknown");
                    match classify_service_error("AssumeRole", code, service.raw().status().as_u16()) {
                        SourceError::AccessDenied(detail) => SourceError::RoleRefused(detail),
                        other => other,
                    }
                }
                SdkError::TimeoutError(_) => SourceError::Timeout("AssumeRole timed out".to_string()),
                _ => SourceError::Unreachable("AssumeRole (STS) could not be reached".to_string()),
            });
        }
        cause = current.source();
    }
    None
}

/// Sorts a service error by its AWS error code and HTTP status.
fn classify_service_error(operation: &str, code: &str, status: u16) -> SourceError {
    let detail = format!("{operation}: {code}");
    match code {
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" => {
            SourceError::Throttled(detail)
        }
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "InvalidClientTokenId"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature" => SourceError::AccessDenied(detail),
        _ if status == 429 => SourceError::Throttled(detail),
        _ if status == 401 || status == 403 => SourceError::AccessDenied(detail),
        _ => SourceError::Upstream(detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_state_changes_from_history_summaries() {
        assert_eq!(state_change("Alarm updated from OK to ALARM"), Some(("OK", "ALARM")));
        assert_eq!(state_change("Alarm updated from ALARM to INSUFFICIENT_DATA"), Some(("ALARM", "INSUFFICIENT_DATA")));
        assert_eq!(state_change("Alarm \"x\" created"), None);
    }

    #[test]
    fn service_errors_are_sorted_by_code_then_status() {
        assert!(matches!(classify_service_error("op", "Throttling", 400), SourceError::Throttled(_)));
        assert!(matches!(classify_service_error("op", "AccessDenied", 403), SourceError::AccessDenied(_)));
        assert!(matches!(classify_service_error("op", "Weird", 429), SourceError::Throttled(_)));
        assert!(matches!(classify_service_error("op", "InternalFailure", 500), SourceError::Upstream(_)));
    }
}
