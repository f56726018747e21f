//! The real source: CloudWatch through the AWS SDK, signed server-side with the
//! proxy's own credentials (the standard chain: environment, profile, SSO,
//! container or instance role).

use async_trait::async_trait;
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{self as cw, ScanBy, StatusCode};
use aws_smithy_types::DateTime;
use tlswatch_shared::catalog::{MAX_QUERIES_PER_CALL, NAMESPACE};
use tlswatch_shared::queries::{series_id, series_index};
use tlswatch_shared::{Dimensions, Metric};

use super::aws::{AccountSdkConfigs, PerScope, classify};
use super::{Alarm, AlarmState, FetchRequest, Fetched, MetricSource, Query, Scope, Service, SourceError, Transition};

/// The service every call of this source goes to, named in its errors.
const SERVICE: Service = Service::CloudWatch;

/// CloudWatch clients, one per account and region.
pub struct CloudWatchSource {
    clients: PerScope<Client>,
}

impl CloudWatchSource {
    /// A client for each account and region of `configs`.
    pub(crate) fn new(configs: &AccountSdkConfigs) -> Self {
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
            let page = page.map_err(|err| classify(SERVICE, "ListMetrics", err))?;
            for listed_metric in page.metrics() {
                // Combinations that are not ALB series (other dimension names,
                // malformed values) cannot be asked for, so they are not offered.
                listed.extend(from_cloudwatch(listed_metric.dimensions()));
            }
        }
        // Sorted and each once, as the trait promises (pages may repeat a combination).
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
                let page = page.map_err(|err| classify(SERVICE, "GetMetricData", err))?;
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
            let page = page.map_err(|err| classify(SERVICE, "DescribeAlarmHistory", err))?;
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
            .map_err(|err| classify(SERVICE, "DescribeAlarmsForMetric", err))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_state_changes_from_history_summaries() {
        assert_eq!(state_change("Alarm updated from OK to ALARM"), Some(("OK", "ALARM")));
        assert_eq!(state_change("Alarm updated from ALARM to INSUFFICIENT_DATA"), Some(("ALARM", "INSUFFICIENT_DATA")));
        assert_eq!(state_change("Alarm \"x\" created"), None);
    }
}
