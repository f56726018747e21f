//! Between the handlers and the metric source: a cache of answers that
//! makes concurrent identical requests share one upstream call, limits
//! concurrent upstream calls, keeps the last good answer of every view to
//! serve, marked stale, when the source fails, and keeps final buckets so
//! a refresh asks only for the buckets after them (`settled.rs`). Every
//! entry lives in one store bounded by `--cache-mib` (`store.rs`). With
//! `--cache-url`, answers, final buckets, lists, alarms and policies are
//! also kept in a cache the replicas share (`shared.rs`, keys and values in
//! `wire.rs`), second behind this replica's store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{AccountName, Dimensions, LoadBalancer, Metric};
use tokio::sync::Semaphore;

use crate::accounts::Accounts;
use crate::metrics::{CacheLabels, Metrics, UpstreamErrorLabels, UpstreamLabels};
use crate::source::{
    Alarm, ConfigSource, FetchRequest, Fetched, MetricSource, Scope, SourceError, Sources, Transition,
};

pub mod settled;
mod shared;
mod store;
mod wire;

pub use shared::{SharedCache, SharedCacheConfig};
use store::{Entry, FetchKey, Key, Rendered, SeriesKey, Store, Value, get_or_load};
pub use store::{RenderedKey, StaleAnswer};

/// How long an answer whose last bucket may still be filling is kept by
/// default: ALB metrics arrive once a minute.
pub const FRESH_TTL: Duration = Duration::from_secs(60);

/// Cache settings.
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    /// Upper bound of everything cached, in (estimated) bytes; 0 turns
    /// caching off.
    pub max_bytes: u64,
    /// Most upstream calls in flight at once.
    pub max_upstream_calls: usize,
    /// How long an answer whose newest bucket may still change is kept.
    pub fresh_ttl: Duration,
}

/// How a fetch was answered.
#[derive(Debug)]
pub enum Answer {
    Fresh(Arc<Fetched>),
    /// The source failed; this is the last good answer of the same view.
    Stale {
        answer: Arc<StaleAnswer>,
        failure: SourceError,
    },
}

/// The cached, coalescing, concurrency-limited way to the source.
pub struct Upstream {
    source: Arc<dyn MetricSource>,
    config_source: Arc<dyn ConfigSource>,
    store: Store,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    clock: fn() -> i64,
    /// Off when configured with no memory for answers.
    caching: bool,
    fresh_ttl: Duration,
    /// The cache shared with other replicas, if configured.
    shared: Option<SharedCache>,
    /// The role ARN of each account read through a role.
    roles: HashMap<AccountName, String>,
}

impl Upstream {
    /// The way to `sources`, caching in this replica and, when `shared` is
    /// set, in the cache it shares with other replicas.
    pub fn new(
        sources: Sources,
        config: CacheConfig,
        metrics: Arc<Metrics>,
        clock: fn() -> i64,
        shared: Option<SharedCache>,
        accounts: &Accounts,
    ) -> Self {
        let roles = accounts
            .all()
            .iter()
            .filter_map(|account| Some((account.name.clone(), account.role.as_ref()?.arn.clone())))
            .collect();
        Self {
            source: sources.metrics,
            config_source: sources.config,
            store: store::store(config.max_bytes, config.fresh_ttl, clock),
            permits: Arc::new(Semaphore::new(config.max_upstream_calls.max(1))),
            metrics,
            clock,
            caching: config.max_bytes > 0,
            fresh_ttl: config.fresh_ttl,
            shared,
            roles,
        }
    }

    /// `cloudwatch` or `demo`.
    pub fn kind(&self) -> &'static str {
        self.source.kind()
    }

    /// The configuration of the load balancers `wanted`, cached for five
    /// minutes and coalesced.
    pub async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Arc<Vec<LoadBalancerConfig>>, SourceError> {
        let call = async {
            let configs = self.config_source.load_balancers(scope, wanted);
            self.call(scope, "DescribeLoadBalancerConfiguration", configs).await.map(Arc::new)
        };
        let key = Key::LoadBalancers(scope.clone(), wanted.to_vec());
        self.load_entry(key, wire::decode_load_balancers, wire::encode_load_balancers, call).await
    }

    /// What the security policies `names` offer, cached for a day and coalesced.
    pub async fn ssl_policies(
        &self,
        scope: &Scope,
        names: &[String],
    ) -> Result<Arc<BTreeMap<String, SslPolicy>>, SourceError> {
        let call = async {
            self.call(scope, "DescribeSSLPolicies", self.config_source.ssl_policies(scope, names)).await.map(Arc::new)
        };
        let key = Key::Policies(scope.clone(), names.to_vec());
        self.load_entry(key, wire::decode_policies, wire::encode_policies, call).await
    }

    /// The data of `request`: from the cache, from a call already in flight
    /// for the same key, or from the source; the last good answer when the
    /// source fails (unless access was denied: then nobody may see it).
    pub async fn fetch(&self, scope: &Scope, request: FetchRequest) -> Result<Answer, SourceError> {
        let key = FetchKey { scope: scope.clone(), request };
        if !self.caching {
            // No memory in this process: the shared cache alone, if any.
            let fetch = async { self.fetch_from_source(scope, &key.request).await.map(Arc::new) };
            let series = key.request.series.len();
            let decode = |bytes: &[u8]| wire::decode_fetched(bytes, series);
            let fetched = self.through_shared(&Key::Answer(key.clone()), decode, wire::encode_fetched, fetch).await?;
            return Ok(Answer::Fresh(fetched));
        }
        if let Some(Value::Answer(fetched)) = self.store.get(&Key::Answer(key.clone())).await {
            self.count_cache("hit");
            return Ok(Answer::Fresh(fetched));
        }
        let answer_key = Key::Answer(key.clone());
        let series = key.request.series.len();
        let fetch = async { self.fetch_unsettled(&key).await.map(Arc::new) };
        let decode = |bytes: &[u8]| wire::decode_fetched(bytes, series);
        let load = self.through_shared(&answer_key, decode, wire::encode_fetched, fetch);
        let (loaded, ran) = get_or_load(&self.store, answer_key.clone(), load, Value::Answer).await;
        self.count_cache(if ran { "miss" } else { "coalesced" });
        match loaded {
            Ok(Value::Answer(fetched)) => {
                if ran {
                    let (start, end, fetched_at) = (key.request.start, key.request.end, (self.clock)());
                    let stale = StaleAnswer { fetched: fetched.clone(), start, end, fetched_at };
                    self.store.insert(Key::LastGood(SeriesKey::from(&key)), Value::LastGood(Arc::new(stale))).await;
                }
                Ok(Answer::Fresh(fetched))
            }
            Ok(_) => Err(unexpected()),
            Err(failure @ (SourceError::AccessDenied(_) | SourceError::RoleRefused(_))) => Err(failure),
            Err(failure) => match self.store.get(&Key::LastGood(SeriesKey::from(&key))).await {
                Some(Value::LastGood(answer)) => {
                    self.count_cache("stale");
                    Ok(Answer::Stale { answer, failure })
                }
                _ => Err(failure),
            },
        }
    }

    /// The data of `key`: its final buckets from the store, the rest from
    /// the source; then keeps what is final now.
    async fn fetch_unsettled(&self, key: &FetchKey) -> Result<Fetched, SourceError> {
        let request = &key.request;
        let settled_key = Key::Settled(SeriesKey::from(key));
        let known = match self.store.get(&settled_key).await {
            Some(Value::Settled(known)) => Some(known),
            _ => self.shared_settled(&settled_key, request.series.len()).await,
        };
        let known = known.filter(|known| known.covers_start_of(request));
        let fetch_from = known.as_ref().map_or(request.start, |known| known.fetch_from(request));
        let mut fetched = if fetch_from < request.end {
            let rest = FetchRequest { start: fetch_from, ..request.clone() };
            self.fetch_from_source(&key.scope, &rest).await?
        } else {
            Fetched { datapoints: vec![Vec::new(); request.series.len()], ..Fetched::default() }
        };
        if let Some(known) = &known {
            fetched.datapoints = settled::merge(known, request, fetch_from, fetched.datapoints);
        }
        if let Some(grown) = settled::extend(known.as_deref(), request, &fetched.datapoints, (self.clock)()) {
            if let (Some(shared), Some(name)) = (&self.shared, wire::key(&settled_key)) {
                shared.store(&name, &wire::encode_settled(&grown), self.lifetime(&settled_key)).await;
            }
            self.store.insert(settled_key, Value::Settled(Arc::new(grown))).await;
        }
        Ok(fetched)
    }

    /// The final buckets under `key` in the shared cache, if it is
    /// configured and holds them for `series` series; kept in this
    /// replica's store too.
    async fn shared_settled(&self, key: &Key, series: usize) -> Option<Arc<settled::Settled>> {
        let (shared, name) = (self.shared.as_ref()?, wire::key(key)?);
        let known = shared.look_up(&name, |bytes| wire::decode_settled(bytes, series)).await.ok().flatten()?;
        let known = Arc::new(known);
        self.store.insert(key.clone(), Value::Settled(known.clone())).await;
        Some(known)
    }

    /// `fetch` through the shared cache under `key`'s name there, when a
    /// shared cache is configured and keeps that kind; else `fetch` itself.
    async fn through_shared<T>(
        &self,
        key: &Key,
        decode: impl Fn(&[u8]) -> Option<T>,
        encode: impl Fn(&T) -> Vec<u8>,
        fetch: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        match (&self.shared, wire::key(key)) {
            (Some(shared), Some(name)) => shared.load(&name, self.lifetime(key), decode, encode, fetch).await,
            _ => fetch.await,
        }
    }

    /// How long the entry of `key` made now is kept.
    fn lifetime(&self, key: &Key) -> Duration {
        store::lifetime(key, (self.clock)(), self.fresh_ttl)
    }

    /// The body built before for `key` from exactly this answer, if any.
    pub async fn rendered(&self, key: &RenderedKey, fetched: &Arc<Fetched>) -> Option<Bytes> {
        match self.store.get(&Key::Rendered(key.clone())).await? {
            Value::Rendered(rendered) if Arc::ptr_eq(&rendered.fetched, fetched) => Some(rendered.body.clone()),
            _ => None,
        }
    }

    /// Keeps the body built for `key` from `fetched`.
    pub async fn remember_rendered(&self, key: RenderedKey, fetched: Arc<Fetched>, body: Bytes) {
        if self.caching {
            self.store.insert(Key::Rendered(key), Value::Rendered(Arc::new(Rendered { fetched, body }))).await;
        }
    }

    /// The dimension combinations that reported `metric`, cached briefly and coalesced.
    pub async fn list(&self, scope: &Scope, metric: Metric) -> Result<Arc<Vec<Dimensions>>, SourceError> {
        let call = async { self.call(scope, "ListMetrics", self.source.list(scope, metric)).await.map(Arc::new) };
        self.load_entry(Key::List(scope.clone(), metric), wire::decode_list, wire::encode_list, call).await
    }

    /// The alarms of each series, cached as briefly as a changing answer and coalesced.
    pub async fn alarms(
        &self,
        scope: &Scope,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Arc<Vec<Vec<Alarm>>>, SourceError> {
        let call = async {
            self.call(scope, "DescribeAlarmsForMetric", self.source.alarms(scope, metric, series)).await.map(Arc::new)
        };
        let key = Key::Alarms(scope.clone(), metric, series.to_vec());
        let decode = |bytes: &[u8]| wire::decode_alarms(bytes, series.len());
        self.load_entry(key, decode, wire::encode_alarms, call).await
    }

    /// The state changes of an alarm in a range, cached like [`Self::alarms`].
    pub async fn alarm_history(
        &self,
        scope: &Scope,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Arc<Vec<Transition>>, SourceError> {
        let call = async {
            let history = self.source.alarm_history(scope, name, start, end);
            self.call(scope, "DescribeAlarmHistory", history).await.map(Arc::new)
        };
        let key = Key::AlarmHistory { scope: scope.clone(), name: name.to_string(), start, end };
        self.load_entry(key, wire::decode_history, wire::encode_history, call).await
    }

    /// `fetch` under `key`, through the shared cache when one is configured,
    /// then through the store (cached, coalesced) when caching is on.
    async fn load_entry<T: Entry>(
        &self,
        key: Key,
        decode: impl Fn(&[u8]) -> Option<Arc<T>>,
        encode: impl Fn(&Arc<T>) -> Vec<u8>,
        fetch: impl Future<Output = Result<Arc<T>, SourceError>>,
    ) -> Result<Arc<T>, SourceError> {
        let load = self.through_shared(&key, decode, encode, fetch);
        let value = self.cached(key.clone(), load, T::wrap).await?;
        T::unwrap(value).ok_or_else(unexpected)
    }

    /// `load` through the store when caching is on; straight through when
    /// off (through the shared cache alone, when the caller gave it one).
    async fn cached<T>(
        &self,
        key: Key,
        load: impl Future<Output = Result<T, SourceError>>,
        wrap: fn(T) -> Value,
    ) -> Result<Value, SourceError> {
        if !self.caching {
            return load.await.map(wrap);
        }
        get_or_load(&self.store, key, load, wrap).await.0
    }

    /// One GetMetricData question to the source, counting the metrics it
    /// requested (what AWS bills by).
    async fn fetch_from_source(&self, scope: &Scope, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let fetched = self.call(scope, "GetMetricData", self.source.fetch(scope, request)).await?;
        self.metrics.metrics_requested.inc_by(fetched.metrics_requested);
        Ok(fetched)
    }

    /// Runs one upstream call for `scope` under the concurrency limit, with
    /// metrics; a refused role is named in the error.
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
            let kind = serde_json::to_value(err.code()).ok().and_then(|v| v.as_str().map(str::to_string));
            let account = scope.account.to_string();
            let labels = UpstreamErrorLabels { operation, kind: kind.unwrap_or_default(), account };
            self.metrics.upstream_errors.get_or_create(&labels).inc();
        }
        result.map_err(|err| match (err, self.roles.get(&scope.account)) {
            (SourceError::RoleRefused(detail), Some(role)) => SourceError::RoleRefused(format!("{role}, {detail}")),
            (err, _) => err,
        })
    }

    fn count_cache(&self, outcome: &'static str) {
        self.metrics.cache.get_or_create(&CacheLabels { outcome }).inc();
    }

    /// Estimated bytes held by every cache together (after pending maintenance).
    pub async fn cached_bytes(&self) -> u64 {
        self.store.run_pending_tasks().await;
        self.store.weighted_size()
    }
}

/// A value of another kind under a key: keys and values are paired in this
/// module only, so this is a bug, reported as an upstream error rather than
/// a panic.
fn unexpected() -> SourceError {
    tracing::error!("cache entry of an unexpected kind");
    SourceError::Upstream("internal cache error".to_string())
}
