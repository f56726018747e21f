//! Where metric data comes from: CloudWatch, or the built-in demo.

use async_trait::async_trait;
pub use tlswatch_shared::Query;
pub use tlswatch_shared::alarm::{Alarm, AlarmState, Transition};
use tlswatch_shared::{Dimensions, ErrorCode, Metric, Region, Statistic};

pub mod cloudwatch;
pub mod demo;

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

/// Why a source could not answer, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("CloudWatch throttled the request ({0}); try again in a moment")]
    Throttled(String),
    #[error(
        "CloudWatch denied access ({0}): the proxy's AWS identity needs cloudwatch:GetMetricData and cloudwatch:ListMetrics (see docs/deploy.md)"
    )]
    AccessDenied(String),
    #[error("CloudWatch is unreachable: {0}")]
    Unreachable(String),
    #[error("CloudWatch did not answer in time: {0}")]
    Timeout(String),
    #[error("CloudWatch failed: {0}")]
    Upstream(String),
}

impl SourceError {
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
