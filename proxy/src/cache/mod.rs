//! Between the handlers and the metric source: a cache of answers that
//! makes concurrent identical requests share one upstream call, limits
//! concurrent upstream calls, keeps the last good answer of every view to
//! serve, marked stale, when the source fails, and keeps final buckets so
//! a refresh asks only for the buckets after them (`settled.rs`). Every
//! entry lives in one store bounded by `--cache-mib` (`store.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, LoadBalancer, Metric, Region};
use tokio::sync::Semaphore;

use crate::metrics::{CacheLabels, Metrics, UpstreamErrorLabels, UpstreamLabels};
use crate::source::{Alarm, ConfigSource, FetchRequest, Fetched, MetricSource, SourceError, Sources, Transition};

pub mod settled;
mod store;

use store::{FetchKey, Key, Rendered, SeriesKey, Store, Value, get_or_load};
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
}

impl Upstream {
    pub fn new(sources: Sources, config: CacheConfig, metrics: Arc<Metrics>, clock: fn() -> i64) -> Self {
        Self {
            source: sources.metrics,
            config_source: sources.config,
            store: store::store(config.max_bytes, config.fresh_ttl, clock),
            permits: Arc::new(Semaphore::new(config.max_upstream_calls.max(1))),
            metrics,
            clock,
            caching: config.max_bytes > 0,
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
        region: &Region,
        wanted: &[LoadBalancer],
    ) -> Result<Arc<Vec<LoadBalancerConfig>>, SourceError> {
        let call = async {
            let configs = self.config_source.load_balancers(region, wanted);
            self.call("DescribeLoadBalancerConfiguration", configs).await.map(Arc::new)
        };
        match self.cached(Key::LoadBalancers(region.clone(), wanted.to_vec()), call, Value::LoadBalancers).await? {
            Value::LoadBalancers(configs) => Ok(configs),
            other => Err(unexpected(&other)),
        }
    }

    /// What the security policies `names` offer, cached for a day and coalesced.
    pub async fn ssl_policies(
        &self,
        region: &Region,
        names: &[String],
    ) -> Result<Arc<BTreeMap<String, SslPolicy>>, SourceError> {
        let call = async {
            self.call("DescribeSSLPolicies", self.config_source.ssl_policies(region, names)).await.map(Arc::new)
        };
        match self.cached(Key::Policies(region.clone(), names.to_vec()), call, Value::Policies).await? {
            Value::Policies(policies) => Ok(policies),
            other => Err(unexpected(&other)),
        }
    }

    /// The data of `request`: from the cache, from a call already in flight
    /// for the same key, or from the source; the last good answer when the
    /// source fails (unless access was denied: then nobody may see it).
    pub async fn fetch(&self, region: &Region, request: FetchRequest) -> Result<Answer, SourceError> {
        if !self.caching {
            let fetched = self.fetch_from_source(region, &request).await?;
            return Ok(Answer::Fresh(Arc::new(fetched)));
        }
        let key = FetchKey { region: region.clone(), request };
        if let Some(Value::Answer(fetched)) = self.store.get(&Key::Answer(key.clone())).await {
            self.count_cache("hit");
            return Ok(Answer::Fresh(fetched));
        }
        let load = async { self.fetch_unsettled(&key).await.map(Arc::new) };
        let (loaded, ran) = get_or_load(&self.store, Key::Answer(key.clone()), load, Value::Answer).await;
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
            Ok(other) => Err(unexpected(&other)),
            Err(failure @ SourceError::AccessDenied(_)) => Err(failure),
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
            Some(Value::Settled(known)) if known.covers_start_of(request) => Some(known),
            _ => None,
        };
        let fetch_from = known.as_ref().map_or(request.start, |known| known.fetch_from(request));
        let mut fetched = if fetch_from < request.end {
            let rest = FetchRequest { start: fetch_from, ..request.clone() };
            self.fetch_from_source(&key.region, &rest).await?
        } else {
            Fetched { datapoints: vec![Vec::new(); request.series.len()], ..Fetched::default() }
        };
        if let Some(known) = &known {
            fetched.datapoints = settled::merge(known, request, fetch_from, fetched.datapoints);
        }
        if let Some(grown) = settled::extend(known.as_deref(), request, &fetched.datapoints, (self.clock)()) {
            self.store.insert(settled_key, Value::Settled(Arc::new(grown))).await;
        }
        Ok(fetched)
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
    pub async fn list(&self, region: &Region, metric: Metric) -> Result<Arc<Vec<Dimensions>>, SourceError> {
        let call = async { self.call("ListMetrics", self.source.list(region, metric)).await.map(Arc::new) };
        match self.cached(Key::List(region.clone(), metric), call, Value::List).await? {
            Value::List(list) => Ok(list),
            other => Err(unexpected(&other)),
        }
    }

    /// The alarms of each series, cached as briefly as a changing answer and coalesced.
    pub async fn alarms(
        &self,
        region: &Region,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Arc<Vec<Vec<Alarm>>>, SourceError> {
        let call = async {
            self.call("DescribeAlarmsForMetric", self.source.alarms(region, metric, series)).await.map(Arc::new)
        };
        match self.cached(Key::Alarms(region.clone(), metric, series.to_vec()), call, Value::Alarms).await? {
            Value::Alarms(alarms) => Ok(alarms),
            other => Err(unexpected(&other)),
        }
    }

    /// The state changes of an alarm in a range, cached like [`Self::alarms`].
    pub async fn alarm_history(
        &self,
        region: &Region,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Arc<Vec<Transition>>, SourceError> {
        let call = async {
            let history = self.source.alarm_history(region, name, start, end);
            self.call("DescribeAlarmHistory", history).await.map(Arc::new)
        };
        let key = Key::AlarmHistory { region: region.clone(), name: name.to_string(), start, end };
        match self.cached(key, call, Value::AlarmHistory).await? {
            Value::AlarmHistory(history) => Ok(history),
            other => Err(unexpected(&other)),
        }
    }

    /// `load` through the store when caching is on; straight through when off.
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
    async fn fetch_from_source(&self, region: &Region, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let fetched = self.call("GetMetricData", self.source.fetch(region, request)).await?;
        self.metrics.metrics_requested.inc_by(fetched.metrics_requested);
        Ok(fetched)
    }

    /// Runs one upstream call under the concurrency limit, with metrics.
    async fn call<T>(
        &self,
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
            let labels = UpstreamErrorLabels { operation, kind: kind.unwrap_or_default() };
            self.metrics.upstream_errors.get_or_create(&labels).inc();
        }
        result
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
fn unexpected(_: &Value) -> SourceError {
    tracing::error!("cache entry of an unexpected kind");
    SourceError::Upstream("internal cache error".to_string())
}
