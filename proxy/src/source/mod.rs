//! Where data comes from: metrics from CloudWatch, load balancer
//! configuration from Elastic Load Balancing, or both from the built-in demo.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_cloudwatch::config::SharedCredentialsProvider;
pub use tlswatch_shared::Query;
pub use tlswatch_shared::alarm::{Alarm, AlarmState, Transition};

use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, ErrorCode, LoadBalancer, Metric, Region, Statistic};

pub use crate::accounts::Scope;
use crate::accounts::{Account, Accounts, Role};

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

/// A source of load balancer configuration, for the review.
#[async_trait]
pub trait ConfigSource: Send + Sync {
    /// The configuration of each of `wanted` that exists (others are left out).
    async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Vec<LoadBalancerConfig>, SourceError>;

    /// What the security policies `names` offer, by name.
    async fn ssl_policies(&self, scope: &Scope, names: &[String]) -> Result<BTreeMap<String, SslPolicy>, SourceError>;
}

/// The AWS configuration of each account: its credentials (the proxy's
/// own, or a role assumed in the account), with the shared timeouts,
/// retries and endpoint.
pub(crate) struct AccountConfigs(Vec<(Account, SdkConfig)>);

impl AccountConfigs {
    /// One configuration per account of `accounts`, from the proxy's own `base`.
    async fn new(accounts: &Accounts, base: &SdkConfig) -> Self {
        let mut configs = Vec::new();
        for account in accounts.all() {
            let config = match &account.role {
                None => base.clone(),
                Some(role) => assumed(base, role, &account.regions.default).await,
            };
            configs.push((account.clone(), config));
        }
        Self(configs)
    }
}

/// `base` with the credentials of `role`, assumed through STS (at the same
/// endpoint as every other call) as the session `tlswatch`. The SDK's
/// identity cache keeps them and assumes the role again before they expire.
async fn assumed(base: &SdkConfig, role: &Role, region: &Region) -> SdkConfig {
    let mut provider = AssumeRoleProvider::builder(role.arn.clone())
        .session_name(ASSUMED_SESSION_NAME)
        .region(aws_config::Region::new(region.to_string()))
        .configure(base);
    if let Some(external_id) = &role.external_id {
        provider = provider.external_id(external_id.clone());
    }
    let provider = provider.build().await;
    base.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build()
}

/// The session name of every role tlswatch assumes: CloudTrail shows it.
pub const ASSUMED_SESSION_NAME: &str = "tlswatch";

/// One client of an AWS service per account and region, built once.
pub(crate) struct PerScope<C>(HashMap<Scope, C>);

impl<C> PerScope<C> {
    /// A client for each account and region of `configs`, made by `client_in`.
    pub(crate) fn build(configs: &AccountConfigs, client_in: impl Fn(&SdkConfig, aws_config::Region) -> C) -> Self {
        let mut clients = HashMap::new();
        for (account, config) in &configs.0 {
            for scope in account.scopes() {
                let region = aws_config::Region::new(scope.region.to_string());
                clients.insert(scope, client_in(config, region));
            }
        }
        Self(clients)
    }

    /// The client of `scope` (every scope a view may name has one).
    pub(crate) fn get(&self, scope: &Scope) -> Result<&C, SourceError> {
        self.0.get(scope).ok_or_else(|| SourceError::Upstream(format!("no client for {scope}")))
    }
}

/// Every source the proxy reads from.
#[derive(Clone)]
pub struct Sources {
    pub metrics: Arc<dyn MetricSource>,
    pub config: Arc<dyn ConfigSource>,
    /// The account ID of the proxy's own identity, once looked up.
    pub own_account_id: Arc<OnceLock<String>>,
}

impl Sources {
    /// AWS: CloudWatch and Elastic Load Balancing in every account and
    /// region of `accounts`, with one configuration (credentials, timeouts,
    /// retries, endpoint) per account for both.
    pub async fn aws(accounts: &Accounts, endpoint_url: Option<&str>, policy: CallPolicy) -> Self {
        let base = cloudwatch::sdk_config(endpoint_url, policy).await;
        let configs = AccountConfigs::new(accounts, &base).await;
        let own_account_id = Arc::new(OnceLock::new());
        // Looked up in the background: start-up never waits for STS, and the
        // catalog shows the ID once it is known.
        let region = aws_config::Region::new(accounts.default_account().regions.default.to_string());
        tokio::spawn(look_up_own_account_id(base, region, own_account_id.clone()));
        Self {
            metrics: Arc::new(CloudWatchSource::new(&configs)),
            config: Arc::new(ElbSource::new(&configs)),
            own_account_id,
        }
    }

    /// The built-in demo, started at `started`, reading `clock` for "now".
    pub fn demo(started: i64, clock: fn() -> i64) -> Self {
        let demo = Arc::new(DemoSource::new(started, clock));
        Self { metrics: demo.clone(), config: demo, own_account_id: Arc::default() }
    }
}

/// The account ID of the identity `base` holds (STS GetCallerIdentity in
/// `region`, which needs no permission), kept in `found`; a failure is
/// logged only.
async fn look_up_own_account_id(base: SdkConfig, region: aws_config::Region, found: Arc<OnceLock<String>>) {
    let client = aws_sdk_sts::Client::from_conf(aws_sdk_sts::config::Builder::from(&base).region(region).build());
    match client.get_caller_identity().send().await {
        Ok(identity) => {
            if let Some(account) = identity.account() {
                let _ = found.set(account.to_string());
            }
        }
        Err(err) => tracing::warn!(
            error = %aws_smithy_types::error::display::DisplayErrorContext(&err),
            "could not look up the account ID of the proxy's own identity"
        ),
    }
}

/// Why a source could not answer, worded for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("CloudWatch throttled the request ({0}); try again in a moment")]
    Throttled(String),
    #[error("AWS denied access ({0}): the proxy's AWS identity needs {perm} (see docs/deploy.md)", perm = permission_for(.0))]
    AccessDenied(String),
    #[error(
        "AWS refused to let the proxy assume the account's role ({0}): the role's trust policy must allow the \
         proxy's identity sts:AssumeRole, with the external ID if one is configured (see docs/deploy.md)"
    )]
    RoleRefused(String),
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
            | Self::RoleRefused(detail)
            | Self::Unreachable(detail)
            | Self::Timeout(detail)
            | Self::Upstream(detail) => detail,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Throttled(_) => ErrorCode::UpstreamThrottled,
            Self::AccessDenied(_) | Self::RoleRefused(_) => ErrorCode::UpstreamAccessDenied,
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
