//! Where data comes from: metrics from CloudWatch, load balancer
//! configuration from Elastic Load Balancing, or both from the built-in demo.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use std::fmt;

use async_trait::async_trait;
pub use tlswatch_shared::Query;
pub use tlswatch_shared::alarm::{Alarm, AlarmState, Transition};

use tlswatch_shared::changes::TrailEvent;
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, ErrorCode, LoadBalancer, Metric, Statistic};

use crate::accounts::Accounts;
pub use crate::accounts::Scope;

use self::aws::{AccountSdkConfigs, CallPolicy, look_up_own_account_id};
use self::cloudtrail::CloudTrailSource;
use self::cloudwatch::CloudWatchSource;
use self::demo::DemoSource;
use self::elbv2::ElbSource;
use self::probe::ProbeSource;

pub mod aws;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod demo;
mod demo_changes;
mod demo_config;
pub mod demo_targets;
pub mod elbv2;
pub mod probe;

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
    /// those with data in the last two weeks), sorted and each once: a load
    /// balancer's combinations follow each other, its own first.
    async fn list(&self, scope: &Scope, metric: Metric) -> Result<Vec<Dimensions>, SourceError>;

    /// The datapoints of every series of `request`.
    async fn fetch(&self, scope: &Scope, request: &FetchRequest) -> Result<Fetched, SourceError>;

    /// The alarms on `metric` with exactly the dimensions of each series, in
    /// series order.
    async fn alarms(
        &self,
        scope: &Scope,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Vec<Vec<Alarm>>, SourceError>;

    /// The state changes of the alarm `name` between `start` and `end`.
    async fn alarm_history(
        &self,
        scope: &Scope,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<Transition>, SourceError>;
}

/// The load balancers of a [`MetricSource::list`], each once, in its order.
pub fn listed_load_balancers(listed: &[Dimensions]) -> Vec<&LoadBalancer> {
    let mut load_balancers: Vec<&LoadBalancer> = listed.iter().map(|dims| &dims.load_balancer).collect();
    load_balancers.dedup();
    load_balancers
}

/// A source of load balancer configuration, for the review.
#[async_trait]
pub trait LoadBalancerSource: Send + Sync {
    /// The configuration of each of `wanted` that exists (others are left out).
    async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Vec<LoadBalancerConfig>, SourceError>;

    /// The configuration of every application load balancer of `scope`.
    async fn fleet(&self, scope: &Scope) -> Result<Vec<LoadBalancerConfig>, SourceError>;

    /// What the security policies `names` offer, by name.
    async fn ssl_policies(&self, scope: &Scope, names: &[String]) -> Result<BTreeMap<String, SslPolicy>, SourceError>;
}

/// The TLS-path events of a range, newest first.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Trail {
    pub events: Vec<TrailEvent>,
    /// When the range held more events than asked for: the time of the
    /// oldest read (older ones are not in `events`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_from: Option<i64>,
}

/// A source of what changed: CloudTrail's Elastic Load Balancing events.
#[async_trait]
pub trait ChangeSource: Send + Sync {
    /// The events between `start` and `end` (epoch seconds, exclusive),
    /// newest first; once `max_events` are read, no further pages.
    async fn trail(&self, scope: &Scope, start: i64, end: i64, max_events: usize) -> Result<Trail, SourceError>;
}

/// Every source the proxy reads from.
#[derive(Clone)]
pub struct Sources {
    pub metrics: Arc<dyn MetricSource>,
    pub load_balancers: Arc<dyn LoadBalancerSource>,
    pub changes: Arc<dyn ChangeSource>,
    /// Handshakes with targets; off (every target `not-probed`) until
    /// [`Self::with_probe`] gives it an allow-list.
    pub probe: Arc<dyn ProbeSource>,
    /// The account ID of the proxy's own identity, once looked up.
    pub own_account_id: Arc<OnceLock<String>>,
}

impl Sources {
    /// AWS: CloudWatch, Elastic Load Balancing and CloudTrail in every account and
    /// region of `accounts`, with one configuration (credentials, timeouts,
    /// retries, endpoint) per account for both.
    pub async fn aws(accounts: &Accounts, endpoint_url: Option<&str>, policy: CallPolicy) -> Self {
        let base = aws::sdk_config(endpoint_url, policy, &accounts.default_account().regions.default).await;
        let configs = AccountSdkConfigs::new(accounts, &base).await;
        let own_account_id = Arc::new(OnceLock::new());
        // Looked up in the background: start-up never waits for STS, and the
        // catalog shows the ID once it is known.
        let region = aws_config::Region::new(accounts.default_account().regions.default.to_string());
        tokio::spawn(look_up_own_account_id(base, region, own_account_id.clone()));
        Self {
            metrics: Arc::new(CloudWatchSource::new(&configs)),
            load_balancers: Arc::new(ElbSource::new(&configs, policy.elb_calls_per_second)),
            changes: Arc::new(CloudTrailSource::new(&configs)),
            probe: Arc::new(probe::Off),
            own_account_id,
        }
    }

    /// These sources with `probe` for handshakes with targets.
    pub fn with_probe(self, probe: impl ProbeSource + 'static) -> Self {
        Self { probe: Arc::new(probe), ..self }
    }

    /// `cloudwatch` or `demo`, as the catalog reports it.
    pub fn kind(&self) -> &'static str {
        self.metrics.kind()
    }

    /// The built-in demo, started at `started`, reading `clock` for "now".
    pub fn demo(started: i64, clock: fn() -> i64) -> Self {
        let demo = Arc::new(DemoSource::new(started, clock));
        Self {
            metrics: demo.clone(),
            load_balancers: demo.clone(),
            changes: demo,
            probe: Arc::new(probe::Off),
            own_account_id: Arc::default(),
        }
    }
}

/// An AWS service the proxy calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    CloudWatch,
    ElasticLoadBalancing,
    Sts,
    CloudTrail,
}

impl Service {
    /// The prefix of the service's IAM actions.
    fn iam_prefix(self) -> &'static str {
        match self {
            Self::CloudWatch => "cloudwatch",
            Self::ElasticLoadBalancing => "elasticloadbalancing",
            Self::Sts => "sts",
            Self::CloudTrail => "cloudtrail",
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::CloudWatch => "CloudWatch",
            Self::ElasticLoadBalancing => "Elastic Load Balancing",
            Self::Sts => "STS",
            Self::CloudTrail => "CloudTrail",
        })
    }
}

/// Why a source could not answer, worded for the user: each failure of AWS
/// names the service that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("{0} throttled the request ({1}); try again in a moment")]
    Throttled(Service, String),
    #[error("AWS denied access ({1}): the proxy's AWS identity needs {perm} (see docs/deploy.md)", perm = permission_for(*.0, .1))]
    AccessDenied(Service, String),
    #[error(
        "AWS refused to let the proxy assume the account's role ({0}): the role's trust policy must allow the \
         proxy's identity sts:AssumeRole, with the external ID if one is configured (see docs/deploy.md)"
    )]
    RoleRefused(String),
    #[error("{0} is unreachable: {1}")]
    Unreachable(Service, String),
    #[error("{0} did not answer in time: {1}")]
    Timeout(Service, String),
    #[error("{0} failed: {1}")]
    Failed(Service, String),
    /// A fault of the proxy itself (a bug), not of AWS.
    #[error("tlswatch failed internally ({0}); the server log has details")]
    Internal(String),
}

/// The IAM permission a call denied by `service` needed, from its detail
/// (`Operation: ErrorCode`, as [`aws::classify`] writes it).
fn permission_for(service: Service, detail: &str) -> String {
    let prefix = service.iam_prefix();
    match detail.split(':').next().unwrap_or_default().trim() {
        "" => format!("{prefix}:GetMetricData and {prefix}:ListMetrics"),
        operation => format!("{prefix}:{operation}"),
    }
}

impl SourceError {
    /// What failed, without the words that name the service.
    pub fn detail(&self) -> &str {
        match self {
            Self::Throttled(_, detail)
            | Self::AccessDenied(_, detail)
            | Self::RoleRefused(detail)
            | Self::Unreachable(_, detail)
            | Self::Timeout(_, detail)
            | Self::Failed(_, detail)
            | Self::Internal(detail) => detail,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Throttled(..) => ErrorCode::UpstreamThrottled,
            Self::AccessDenied(..) | Self::RoleRefused(_) => ErrorCode::UpstreamAccessDenied,
            Self::Unreachable(..) => ErrorCode::UpstreamUnreachable,
            Self::Timeout(..) => ErrorCode::UpstreamTimeout,
            Self::Failed(..) => ErrorCode::UpstreamError,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_call_names_the_permission_it_needed() {
        let denied = |service, detail: &str| SourceError::AccessDenied(service, detail.to_string()).to_string();
        let cloudwatch = |detail| denied(Service::CloudWatch, detail);
        assert!(cloudwatch("GetMetricData: AccessDenied").contains("needs cloudwatch:GetMetricData "));
        assert!(
            cloudwatch("DescribeAlarmsForMetric: AccessDenied").contains("needs cloudwatch:DescribeAlarmsForMetric ")
        );
        let elb = denied(Service::ElasticLoadBalancing, "DescribeTargetHealth: AccessDenied");
        assert!(elb.contains("needs elasticloadbalancing:DescribeTargetHealth "), "{elb}");
    }

    #[test]
    fn a_failure_names_its_service_and_an_internal_fault_names_none() {
        let timeout = SourceError::Timeout(Service::Sts, "AssumeRole timed out".to_string());
        assert_eq!(timeout.to_string(), "STS did not answer in time: AssumeRole timed out");
        let unreachable = SourceError::Unreachable(Service::ElasticLoadBalancing, "x".to_string()).to_string();
        assert!(unreachable.starts_with("Elastic Load Balancing is unreachable"), "{unreachable}");
        let internal = SourceError::Internal("internal cache error".to_string());
        assert!(!internal.to_string().contains("CloudWatch"), "{internal}");
        assert_eq!(internal.code(), ErrorCode::Internal);
    }
}
