//! Where data comes from: metrics from CloudWatch, load balancer
//! configuration from Elastic Load Balancing, or both from the built-in demo.

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::Arc;
pub use tlswatch_shared::Query;
pub use tlswatch_shared::alarm::{Alarm, AlarmState, Transition};

use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, ErrorCode, LoadBalancer, Metric, Region, Statistic};

use self::cloudwatch::{CallPolicy, CloudWatchSource};
use self::demo::DemoSource;
use self::elbv2::ElbSource;

pub mod cloudwatch;
pub mod demo;
mod demo_config;
pub mod elbv2;

/// One GetMetricData-shaped question: one statistic of many series (metric
/// and dimension combination) over one aligned range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FetchRequest {
    pub stat: Statistic,
    pub period: u32,
    /// Epoch seconds, a multiple of `period`.
    pub start: i64,
    /// Epoch seconds (exclusive), a multiple of `period`.
    pub end: i64,
    pub series: Vec<Query>,
}

/// The answer to a [`FetchRequest`]: the datapoints of each series, in the
/// order of the request, and anything the user should know.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fetched {
    pub datapoints: Vec<Vec<(i64, f64)>>,
    pub warnings: Vec<String>,
    /// Metrics requested from CloudWatch, summed over calls and pages (what
    /// AWS bills GetMetricData by); 0 for sources that are not CloudWatch.
    pub metrics_requested: u64,
}

/// A source of ALB metric data.
#[async_trait]
pub trait MetricSource: Send + Sync {
    /// `cloudwatch` or `demo`, as the catalog reports it.
    fn kind(&self) -> &'static str;

    /// Every dimension combination that reported `metric` (CloudWatch lists
    /// those with data in the last two weeks).
    async fn list(&self, region: &Region, metric: Metric) -> Result<Vec<Dimensions>, SourceError>;

    /// The datapoints of every series of `request`.
    async fn fetch(&self, region: &Region, request: &FetchRequest) -> Result<Fetched, SourceError>;

    /// The alarms on `metric` with exactly the dimensions of each series, in
    /// series order.
    async fn alarms(
        &self,
        region: &Region,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Vec<Vec<Alarm>>, SourceError>;

    /// The state changes of the alarm `name` between `start` and `end`.
    async fn alarm_history(
        &self,
        region: &Region,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<Transition>, SourceError>;
}

/// A source of load balancer configuration, for the review.
#[async_trait]
pub trait ConfigSource: Send + Sync {
    /// The configuration of each of `wanted` that exists (others are left out).
    async fn load_balancers(
        &self,
        region: &Region,
        wanted: &[LoadBalancer],
    ) -> Result<Vec<LoadBalancerConfig>, SourceError>;

    /// What the security policies `names` offer, by name.
    async fn ssl_policies(&self, region: &Region, names: &[String])
    -> Result<BTreeMap<String, SslPolicy>, SourceError>;
}

/// One client of an AWS service per configured region.
pub(crate) struct PerRegion<C>(std::collections::HashMap<Region, C>);

impl<C> PerRegion<C> {
    /// A client for each of `regions`, made by `client_in`.
    pub(crate) fn build(regions: &[Region], client_in: impl Fn(aws_config::Region) -> C) -> Self {
        Self(
            regions
                .iter()
                .map(|region| (region.clone(), client_in(aws_config::Region::new(region.to_string()))))
                .collect(),
        )
    }

    /// The client of `region` (every region a view may name has one).
    pub(crate) fn get(&self, region: &Region) -> Result<&C, SourceError> {
        self.0.get(region).ok_or_else(|| SourceError::Upstream(format!("no client for region {region}")))
    }
}

/// Every source the proxy reads from.
#[derive(Clone)]
pub struct Sources {
    pub metrics: Arc<dyn MetricSource>,
    pub config: Arc<dyn ConfigSource>,
}

impl Sources {
    /// AWS: CloudWatch and Elastic Load Balancing in `regions`, with one
    /// configuration (credentials, timeouts, retries, endpoint) for both.
    pub async fn aws(regions: &[Region], endpoint_url: Option<&str>, policy: CallPolicy) -> Self {
        let shared = cloudwatch::sdk_config(endpoint_url, policy).await;
        Self {
            metrics: Arc::new(CloudWatchSource::from_config(regions, &shared)),
            config: Arc::new(ElbSource::new(regions, &shared)),
        }
    }

    /// The built-in demo, started at `started`, reading `clock` for "now".
    pub fn demo(started: i64, clock: fn() -> i64) -> Self {
        let demo = Arc::new(DemoSource::new(started, clock));
        Self { metrics: demo.clone(), config: demo }
    }
}

/// Why a source could not answer, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("CloudWatch throttled the request ({0}); try again in a moment")]
    Throttled(String),
    #[error("AWS denied access ({0}): the proxy's AWS identity needs {perm} (see docs/deploy.md)", perm = permission_for(.0))]
    AccessDenied(String),
    #[error("CloudWatch is unreachable: {0}")]
    Unreachable(String),
    #[error("CloudWatch did not answer in time: {0}")]
    Timeout(String),
    #[error("CloudWatch failed: {0}")]
    Upstream(String),
}

/// The IAM permission a denied call needed, from its detail
/// (`Operation: ErrorCode`, as the sources write it).
fn permission_for(detail: &str) -> String {
    let operation = detail.split(':').next().unwrap_or_default().trim();
    match operation {
        "" => "cloudwatch:GetMetricData and cloudwatch:ListMetrics".to_string(),
        _ if elbv2::OPERATIONS.contains(&operation) => format!("elasticloadbalancing:{operation}"),
        _ => format!("cloudwatch:{operation}"),
    }
}

impl SourceError {
    /// What failed, without the words that name CloudWatch.
    pub fn detail(&self) -> &str {
        match self {
            Self::Throttled(detail)
            | Self::AccessDenied(detail)
            | Self::Unreachable(detail)
            | Self::Timeout(detail)
            | Self::Upstream(detail) => detail,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Throttled(_) => ErrorCode::UpstreamThrottled,
            Self::AccessDenied(_) => ErrorCode::UpstreamAccessDenied,
            Self::Unreachable(_) => ErrorCode::UpstreamUnreachable,
            Self::Timeout(_) => ErrorCode::UpstreamTimeout,
            Self::Upstream(_) => ErrorCode::UpstreamError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_call_names_the_permission_it_needed() {
        let denied = |detail: &str| SourceError::AccessDenied(detail.to_string()).to_string();
        assert!(denied("GetMetricData: AccessDenied").contains("needs cloudwatch:GetMetricData "));
        assert!(denied("DescribeAlarmsForMetric: AccessDenied").contains("needs cloudwatch:DescribeAlarmsForMetric "));
        assert!(
            denied("DescribeTargetHealth: AccessDenied").contains("needs elasticloadbalancing:DescribeTargetHealth ")
        );
    }
}
