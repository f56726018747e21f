//! The one way to the sources: every call runs under the concurrency limit
//! (`--max-upstream-calls`), is counted and timed in the metrics, and names
//! the refused role when an account's role could not be assumed. It keeps
//! nothing: caching is `cache/`'s, above it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{AccountName, Dimensions, LoadBalancer, Metric};
use tokio::sync::Semaphore;

use crate::accounts::{Accounts, Scope};
use crate::metrics::{Metrics, UpstreamErrorLabels, UpstreamLabels};
use crate::source::{Alarm, FetchRequest, Fetched, LoadBalancerSource, MetricSource, SourceError, Sources, Transition};

/// The counted, concurrency-limited calls to the sources.
pub struct Upstream {
    metric_source: Arc<dyn MetricSource>,
    load_balancer_source: Arc<dyn LoadBalancerSource>,
    permits: Semaphore,
    metrics: Arc<Metrics>,
    /// The role ARN of each account read through a role.
    roles: HashMap<AccountName, String>,
}

impl Upstream {
    /// Calls to `sources` for `accounts`, at most `max_calls` at once.
    pub fn new(sources: &Sources, max_calls: usize, metrics: Arc<Metrics>, accounts: &Accounts) -> Self {
        let roles = accounts
            .all()
            .iter()
            .filter_map(|account| Some((account.name.clone(), account.role.as_ref()?.arn.clone())))
            .collect();
        Self {
            metric_source: sources.metrics.clone(),
            load_balancer_source: sources.load_balancers.clone(),
            permits: Semaphore::new(max_calls.max(1)),
            metrics,
            roles,
        }
    }

    /// ListMetrics: the dimension combinations that reported `metric`.
    pub async fn list(&self, scope: &Scope, metric: Metric) -> Result<Vec<Dimensions>, SourceError> {
        self.call(scope, "ListMetrics", self.metric_source.list(scope, metric)).await
    }

    /// GetMetricData, counting the metrics it requested (what AWS bills by).
    pub async fn fetch(&self, scope: &Scope, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let fetched = self.call(scope, "GetMetricData", self.metric_source.fetch(scope, request)).await?;
        self.metrics.metrics_requested.inc_by(fetched.metrics_requested);
        Ok(fetched)
    }

    /// DescribeAlarmsForMetric, for each series.
    pub async fn alarms(
        &self,
        scope: &Scope,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Vec<Vec<Alarm>>, SourceError> {
        self.call(scope, "DescribeAlarmsForMetric", self.metric_source.alarms(scope, metric, series)).await
    }

    /// DescribeAlarmHistory of the alarm `name` between `start` and `end`.
    pub async fn alarm_history(
        &self,
        scope: &Scope,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<Transition>, SourceError> {
        let history = self.metric_source.alarm_history(scope, name, start, end);
        self.call(scope, "DescribeAlarmHistory", history).await
    }

    /// The configuration of the load balancers `wanted`.
    pub async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Vec<LoadBalancerConfig>, SourceError> {
        let described = self.load_balancer_source.load_balancers(scope, wanted);
        self.call(scope, "DescribeLoadBalancerConfiguration", described).await
    }

    /// DescribeSSLPolicies of `names`.
    pub async fn ssl_policies(
        &self,
        scope: &Scope,
        names: &[String],
    ) -> Result<BTreeMap<String, SslPolicy>, SourceError> {
        self.call(scope, "DescribeSSLPolicies", self.load_balancer_source.ssl_policies(scope, names)).await
    }

    /// Runs one call for `scope` under the concurrency limit, with metrics;
    /// a refused role is named in the error.
    async fn call<T>(
        &self,
        scope: &Scope,
        operation: &'static str,
        call: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        let labels = UpstreamLabels { operation };
        self.metrics.upstream_calls.get_or_create(&labels).inc();
        let started = Instant::now();
        let result = call.await;
        self.metrics.upstream_seconds.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
        if let Err(err) = &result {
            let labels =
                UpstreamErrorLabels { operation, kind: err.code().as_str(), account: scope.account.to_string() };
            self.metrics.upstream_errors.get_or_create(&labels).inc();
        }
        result.map_err(|err| match (err, self.roles.get(&scope.account)) {
            (SourceError::RoleRefused(detail), Some(role)) => SourceError::RoleRefused(format!("{role}, {detail}")),
            (err, _) => err,
        })
    }
}
