//! The one way to the sources: every call runs under the concurrency limit
//! (`--max-upstream-calls`), or at a pace of its own, is counted and timed
//! in the metrics, and names the refused role when an account's role could
//! not be assumed. It keeps nothing: caching is `cache/`'s, above it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tlswatch_shared::AccountName;
use tokio::sync::Semaphore;

use crate::accounts::{Accounts, Scope};
use crate::metrics::{Metrics, UpstreamErrorLabels, UpstreamLabels};
use crate::source::{FetchRequest, Fetched, SourceError, Sources};

/// The counted, concurrency-limited calls to the sources.
pub struct Upstream {
    sources: Sources,
    permits: Semaphore,
    metrics: Arc<Metrics>,
    /// The role ARN of each account read through a role.
    roles: HashMap<AccountName, String>,
}

impl Upstream {
    /// Calls to `sources` for `accounts`, at most `max_calls` at once.
    pub fn new(sources: Sources, max_calls: usize, metrics: Arc<Metrics>, accounts: &Accounts) -> Self {
        let roles = accounts
            .all()
            .iter()
            .filter_map(|account| Some((account.name.clone(), account.role.as_ref()?.arn.clone())))
            .collect();
        Self { sources, permits: Semaphore::new(max_calls.max(1)), metrics, roles }
    }

    /// GetMetricData, counting the metrics it requested (what AWS bills by).
    pub async fn fetch(&self, scope: &Scope, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let fetched = self.call(scope, "GetMetricData", |sources| sources.metrics.fetch(scope, request)).await?;
        self.metrics.metrics_requested.inc_by(fetched.metrics_requested);
        Ok(fetched)
    }

    /// Runs `call` (the AWS operation `operation`, or the demo's stand-in)
    /// on the sources for `scope`, under the concurrency limit, with
    /// metrics; a refused role is named in the error.
    pub async fn call<'a, T, F>(
        &'a self,
        scope: &Scope,
        operation: &'static str,
        call: impl FnOnce(&'a Sources) -> F,
    ) -> Result<T, SourceError>
    where
        F: Future<Output = Result<T, SourceError>> + 'a,
    {
        let _permit = self.permits.acquire().await.expect("the semaphore is never closed");
        self.call_paced(scope, operation, call).await
    }

    /// [`Self::call`] without a slot of the concurrency limit, for a source
    /// that keeps a pace of its own per scope (Elastic Load Balancing's
    /// configuration reads, which may wait on that pace for a minute and
    /// must not keep the charts waiting meanwhile).
    pub async fn call_paced<'a, T, F>(
        &'a self,
        scope: &Scope,
        operation: &'static str,
        call: impl FnOnce(&'a Sources) -> F,
    ) -> Result<T, SourceError>
    where
        F: Future<Output = Result<T, SourceError>> + 'a,
    {
        let labels = UpstreamLabels { operation };
        self.metrics.upstream_calls.get_or_create(&labels).inc();
        let started = Instant::now();
        let result = call(&self.sources).await;
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
