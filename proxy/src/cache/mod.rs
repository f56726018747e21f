//! Between the handlers and the calls to the sources ([`Upstream`]): a
//! cache of answers that makes concurrent identical requests share one
//! call, keeps the last good answer of every view to serve, marked stale,
//! when the source fails, and keeps final buckets so a refresh asks only
//! for the buckets after them (`final_buckets.rs`). Every entry lives in
//! one store bounded by `--cache-mib` (`store.rs`), the series route's
//! built bodies too ([`BodyCache`]). With `--cache-url`, answers, final
//! buckets, lists, alarms and policies are also kept in a cache the
//! replicas share (`shared.rs`, keys and values in `wire.rs`), second
//! behind this replica's store.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use tlswatch_shared::probe::{Outcome, ProbeTarget};
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, LoadBalancer, Metric};

use crate::accounts::Scope;
use crate::metrics::{CacheLabels, Metrics};
use crate::source::{Alarm, FetchRequest, Fetched, SourceError, Transition};
use crate::upstream::Upstream;

mod final_buckets;
mod shared;
mod store;
mod trail_hours;
mod wire;

pub use shared::{SharedCache, SharedCacheAddress};
pub use store::{BodyKey, LastGood, Lifetimes, Probed};
use store::{BuiltBody, Entry, FetchKey, Key, SeriesKey, Store, Value};
pub use trail_hours::MAX_EVENTS_PER_SPAN;

/// Cache settings.
#[derive(Debug, Clone, Copy)]
pub struct CacheSettings {
    /// Upper bound of everything cached, in (estimated) bytes; 0 turns
    /// caching off.
    pub max_bytes: u64,
    /// Most upstream calls in flight at once.
    pub max_upstream_calls: usize,
    pub lifetimes: Lifetimes,
}

/// How a fetch was answered.
#[derive(Debug)]
pub enum Answer {
    Fresh(Arc<Fetched>),
    /// The source failed; this is the last good answer of the same view.
    Stale {
        last_good: Arc<LastGood>,
        failure: SourceError,
    },
}

impl Answer {
    /// The datapoints, fresh or last good.
    pub fn fetched(&self) -> &Arc<Fetched> {
        match self {
            Self::Fresh(fetched) => fetched,
            Self::Stale { last_good, .. } => &last_good.fetched,
        }
    }

    /// When the source failed: why, and the last good answer given instead.
    pub fn stale(&self) -> Option<(&SourceError, &LastGood)> {
        match self {
            Self::Fresh(_) => None,
            Self::Stale { last_good, failure } => Some((failure, last_good)),
        }
    }
}

/// The cached, coalescing way to the sources.
pub struct Cache {
    upstream: Upstream,
    store: Store,
    metrics: Arc<Metrics>,
    clock: fn() -> i64,
    /// Off when configured with no memory for answers.
    caching: bool,
    lifetimes: Lifetimes,
    /// The cache shared with other replicas, if configured.
    shared: Option<SharedCache>,
}

impl Cache {
    /// The cache in front of `upstream`, in this replica and, when `shared`
    /// is set, in the cache it shares with other replicas.
    pub fn new(
        upstream: Upstream,
        settings: CacheSettings,
        metrics: Arc<Metrics>,
        clock: fn() -> i64,
        shared: Option<SharedCache>,
    ) -> Self {
        Self {
            upstream,
            metrics,
            store: store::store(settings.max_bytes, settings.lifetimes, clock),
            clock,
            caching: settings.max_bytes > 0,
            lifetimes: settings.lifetimes,
            shared,
        }
    }

    /// The series route's cache of built bodies, in this cache's store.
    pub fn bodies(&self) -> BodyCache {
        BodyCache { store: self.store.clone(), caching: self.caching }
    }

    /// The configuration of the load balancers `wanted`, cached and
    /// coalesced; taken from the scope's whole configuration when that is
    /// cached (the fleet's background passes keep it so), at no call.
    pub async fn load_balancers(
        &self,
        scope: &Scope,
        wanted: &[LoadBalancer],
    ) -> Result<Arc<Vec<LoadBalancerConfig>>, SourceError> {
        if let Some(fleet) = self.fleet_already(scope).await {
            // As fresh as a view's own read: both live as long as a load balancer's configuration.
            let wanted = |config: &&LoadBalancerConfig| wanted.iter().any(|lb| lb.as_str() == config.value);
            return Ok(Arc::new(fleet.iter().filter(wanted).cloned().collect()));
        }
        let call = self.upstream.call_paced(scope, "DescribeLoadBalancerConfiguration", |sources| {
            sources.load_balancers.load_balancers(scope, wanted)
        });
        let key = Key::LoadBalancers(scope.clone(), wanted.to_vec());
        self.load(key, wire::decode_load_balancers, wire::encode_load_balancers, call).await.0
    }

    /// The configuration of every application load balancer of `scope`,
    /// cached as long as one load balancer's and coalesced: N replicas and
    /// any number of callers read a scope's fleet once per lifetime.
    pub async fn fleet(&self, scope: &Scope) -> Result<Arc<Vec<LoadBalancerConfig>>, SourceError> {
        let call = self
            .upstream
            .call_paced(scope, "DescribeFleetConfiguration", |sources| sources.load_balancers.fleet(scope));
        let key = Key::Fleet(scope.clone());
        self.load(key, wire::decode_load_balancers, wire::encode_load_balancers, call).await.0
    }

    /// The whole configuration of `scope`, when this replica or the shared
    /// cache holds it; never calls.
    async fn fleet_already(&self, scope: &Scope) -> Option<Arc<Vec<LoadBalancerConfig>>> {
        let key = Key::Fleet(scope.clone());
        if self.caching
            && let Some(fleet) = self.store.get(&key).await.and_then(Vec::<LoadBalancerConfig>::unwrap)
        {
            return Some(fleet);
        }
        let (shared, name) = (self.shared.as_ref()?, wire::key(&key)?);
        let fleet = shared.get_decoded(&name, wire::decode_load_balancers).await.ok().flatten()?;
        if self.caching {
            self.store.insert(key, Value::LoadBalancers(fleet.clone())).await;
        }
        Some(fleet)
    }

    /// What the security policies `names` offer, cached and coalesced.
    pub async fn ssl_policies(
        &self,
        scope: &Scope,
        names: &[String],
    ) -> Result<Arc<BTreeMap<String, SslPolicy>>, SourceError> {
        let call = self
            .upstream
            .call_paced(scope, "DescribeSSLPolicies", |sources| sources.load_balancers.ssl_policies(scope, names));
        let key = Key::Policies(scope.clone(), names.to_vec());
        self.load(key, wire::decode_policies, wire::encode_policies, call).await.0
    }

    /// What the probe saw of `targets` (handshakes made at most five
    /// minutes ago), cached and coalesced: a second page asking within
    /// that time costs the targets nothing.
    /// Each handshake made is kept as that target's outcome too.
    pub async fn probe(&self, scope: &Scope, targets: &[ProbeTarget]) -> Result<Arc<Probed>, SourceError> {
        let call = async {
            let handshakes = self.upstream.call(scope, "ProbeTargets", |sources| sources.probe.probe(targets)).await?;
            let probed = Probed { at: (self.clock)(), handshakes };
            self.keep_outcomes(scope, targets, &probed).await;
            Ok(probed)
        };
        let decode = |bytes: &[u8]| wire::decode_probed(bytes, targets.len());
        self.load(Key::Probe(scope.clone(), targets.to_vec()), decode, wire::encode_probed, call).await.0
    }

    /// What the probe last saw of each of `targets` within the outcome
    /// lifetime (a day), whichever probe or replica made it; never connects
    /// to a target.
    pub async fn outcomes(&self, scope: &Scope, targets: &[ProbeTarget]) -> Vec<Option<Arc<Probed>>> {
        let keys: Vec<Key> = targets.iter().map(|target| Key::Outcome(scope.clone(), target.clone())).collect();
        let mut found = Vec::with_capacity(keys.len());
        for key in &keys {
            let local = match self.caching {
                true => self.store.get(key).await.and_then(Probed::unwrap),
                false => None,
            };
            found.push(local);
        }
        let missing: Vec<usize> = (0..keys.len()).filter(|i| found[*i].is_none()).collect();
        if let (Some(shared), false) = (&self.shared, missing.is_empty()) {
            let names: Vec<String> = missing.iter().filter_map(|i| wire::key(&keys[*i])).collect();
            let decode = |bytes: &[u8]| wire::decode_probed(bytes, 1);
            if let Ok(values) = shared.get_many_decoded(&names, decode).await {
                for (i, value) in missing.into_iter().zip(values) {
                    if let (Some(value), true) = (&value, self.caching) {
                        self.store.insert(keys[i].clone(), Value::Probe(value.clone())).await;
                    }
                    found[i] = value;
                }
            }
        }
        // A copy taken from the shared cache starts a lifetime of its own here.
        let oldest = (self.clock)() - self.lifetimes.outcome.as_secs() as i64;
        found.into_iter().map(|seen| seen.filter(|seen| seen.at >= oldest)).collect()
    }

    /// Keeps each handshake `probed` made as its target's outcome, here and
    /// in the shared cache.
    async fn keep_outcomes(&self, scope: &Scope, targets: &[ProbeTarget], probed: &Probed) {
        let mut shared_entries = Vec::new();
        let made = targets.iter().zip(&probed.handshakes).filter(|(_, seen)| seen.outcome != Outcome::NotProbed);
        for (target, handshake) in made {
            let key = Key::Outcome(scope.clone(), target.clone());
            let outcome = Arc::new(Probed { at: probed.at, handshakes: vec![handshake.clone()] });
            if let Some(name) = wire::key(&key).filter(|_| self.shared.is_some()) {
                shared_entries.push((name, wire::encode_probed(&outcome)));
            }
            if self.caching {
                self.store.insert(key, Value::Probe(outcome)).await;
            }
        }
        if let Some(shared) = &self.shared {
            shared.store_many(&shared_entries, self.lifetimes.outcome).await;
        }
    }

    /// The dimension combinations that reported `metric`, sorted and each
    /// once, cached briefly and coalesced.
    pub async fn list(&self, scope: &Scope, metric: Metric) -> Result<Arc<Vec<Dimensions>>, SourceError> {
        let call = self.upstream.call(scope, "ListMetrics", |sources| sources.metrics.list(scope, metric));
        self.load(Key::List(scope.clone(), metric), wire::decode_list, wire::encode_list, call).await.0
    }

    /// The alarms of each series, cached as briefly as a changing answer and coalesced.
    pub async fn alarms(
        &self,
        scope: &Scope,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Arc<Vec<Vec<Alarm>>>, SourceError> {
        let call = self
            .upstream
            .call(scope, "DescribeAlarmsForMetric", |sources| sources.metrics.alarms(scope, metric, series));
        let key = Key::Alarms(scope.clone(), metric, series.to_vec());
        let decode = |bytes: &[u8]| wire::decode_alarms(bytes, series.len());
        self.load(key, decode, wire::encode_alarms, call).await.0
    }

    /// The state changes of an alarm in a range, cached like [`Self::alarms`].
    pub async fn alarm_history(
        &self,
        scope: &Scope,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Arc<Vec<Transition>>, SourceError> {
        let call = self
            .upstream
            .call(scope, "DescribeAlarmHistory", |sources| sources.metrics.alarm_history(scope, name, start, end));
        let key = Key::AlarmHistory { scope: scope.clone(), name: name.to_string(), start, end };
        self.load(key, wire::decode_history, wire::encode_history, call).await.0
    }

    /// The data of `request`: from the cache, from a call already in flight
    /// for the same key, or from the source; the last good answer when the
    /// source fails (unless access was denied: then nobody may see it).
    pub async fn fetch(&self, scope: &Scope, request: FetchRequest) -> Result<Answer, SourceError> {
        let key = FetchKey { scope: scope.clone(), request };
        let fetched_key = Key::Fetched(key.clone());
        if self.caching
            && let Some(Value::Fetched(fetched)) = self.store.get(&fetched_key).await
        {
            self.count_cache("hit");
            return Ok(Answer::Fresh(fetched));
        }
        let series = key.request.series.len();
        let decode = |bytes: &[u8]| wire::decode_fetched(bytes, series);
        let call = self.fetch_after_final_buckets(&key);
        let (loaded, ran) = self.load(fetched_key, decode, wire::encode_fetched, call).await;
        if !self.caching {
            return loaded.map(Answer::Fresh);
        }
        self.count_cache(if ran { "miss" } else { "coalesced" });
        let last_good_key = Key::LastGood(SeriesKey::from(&key));
        match loaded {
            Ok(fetched) => {
                if ran {
                    let (start, end, fetched_at) = (key.request.start, key.request.end, (self.clock)());
                    let last_good = LastGood { fetched: fetched.clone(), start, end, fetched_at };
                    self.store.insert(last_good_key, Value::LastGood(Arc::new(last_good))).await;
                }
                Ok(Answer::Fresh(fetched))
            }
            Err(failure @ (SourceError::AccessDenied(..) | SourceError::RoleRefused(_))) => Err(failure),
            Err(failure) => match self.store.get(&last_good_key).await {
                Some(Value::LastGood(last_good)) => {
                    self.count_cache("stale");
                    Ok(Answer::Stale { last_good, failure })
                }
                _ => Err(failure),
            },
        }
    }

    /// The data of `key`: its final buckets from the cache (when caching),
    /// the rest from the source; then keeps what is final now.
    async fn fetch_after_final_buckets(&self, key: &FetchKey) -> Result<Fetched, SourceError> {
        let request = &key.request;
        if !self.caching {
            return self.upstream.fetch(&key.scope, request).await;
        }
        let final_key = Key::FinalBuckets(SeriesKey::from(key));
        let known = match self.store.get(&final_key).await {
            Some(Value::FinalBuckets(known)) => Some(known),
            _ => self.shared_final_buckets(&final_key, request.series.len()).await,
        };
        let known = known.filter(|known| known.covers_start_of(request));
        let fetch_from = known.as_ref().map_or(request.start, |known| known.fetch_from(request));
        let mut fetched = if fetch_from < request.end {
            let rest = FetchRequest { start: fetch_from, ..request.clone() };
            self.upstream.fetch(&key.scope, &rest).await?
        } else {
            Fetched { datapoints: vec![Vec::new(); request.series.len()], ..Fetched::default() }
        };
        if let Some(known) = &known {
            fetched.datapoints = final_buckets::merge(known, request, fetch_from, fetched.datapoints);
        }
        if let Some(grown) = final_buckets::extend(known.as_deref(), request, &fetched.datapoints, (self.clock)()) {
            if let (Some(shared), Some(name)) = (&self.shared, wire::key(&final_key)) {
                shared.store(&name, &wire::encode_final_buckets(&grown), self.lifetime(&final_key)).await;
            }
            self.store.insert(final_key, Value::FinalBuckets(Arc::new(grown))).await;
        }
        Ok(fetched)
    }

    /// The final buckets under `key` in the shared cache, if it is
    /// configured and holds them for `series` series; kept in this
    /// replica's store too.
    async fn shared_final_buckets(&self, key: &Key, series: usize) -> Option<Arc<final_buckets::FinalBuckets>> {
        let (shared, name) = (self.shared.as_ref()?, wire::key(key)?);
        let decode = |bytes: &[u8]| wire::decode_final_buckets(bytes, series);
        let known = Arc::new(shared.get_decoded(&name, decode).await.ok().flatten()?);
        self.store.insert(key.clone(), Value::FinalBuckets(known.clone())).await;
        Some(known)
    }

    /// The value of `key`: through this replica's store when caching is on
    /// (cached, and coalesced with a load of the same key in flight), then
    /// through the shared cache when one is configured and keeps that kind;
    /// else from `call`. Says whether this load ran `call` (or the shared
    /// cache) rather than waiting for another.
    async fn load<T: Entry>(
        &self,
        key: Key,
        decode: impl Fn(&[u8]) -> Option<Arc<T>>,
        encode: impl Fn(&Arc<T>) -> Vec<u8>,
        call: impl Future<Output = Result<T, SourceError>>,
    ) -> (Result<Arc<T>, SourceError>, bool) {
        let call = async { call.await.map(Arc::new) };
        let shared_or_call = async {
            match (&self.shared, wire::key(&key)) {
                (Some(shared), Some(name)) => shared.load(&name, self.lifetime(&key), decode, encode, call).await,
                _ => call.await,
            }
        };
        if !self.caching {
            return (shared_or_call.await, true);
        }
        let mut ran = false;
        let loaded = self
            .store
            .try_get_with(key.clone(), async {
                ran = true;
                shared_or_call.await.map(T::wrap)
            })
            .await
            .map_err(|err| (*err).clone());
        (loaded.and_then(|value| T::unwrap(value).ok_or_else(unexpected)), ran)
    }

    /// How long the entry of `key` made now is kept.
    fn lifetime(&self, key: &Key) -> Duration {
        self.lifetimes.of(key, (self.clock)())
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

/// The bodies the series route built, each served again while the answer
/// it was built from is still the cached one; in the cache's store, under
/// its budget.
#[derive(Clone)]
pub struct BodyCache {
    store: Store,
    caching: bool,
}

impl BodyCache {
    /// The body built before for `key` from exactly this answer, if any.
    pub async fn get(&self, key: &BodyKey, fetched: &Arc<Fetched>) -> Option<Bytes> {
        match self.store.get(&Key::Body(key.clone())).await? {
            Value::Body(built) if Arc::ptr_eq(&built.from, fetched) => Some(built.bytes.clone()),
            _ => None,
        }
    }

    /// Keeps the body built for `key` from `fetched`.
    pub async fn keep(&self, key: BodyKey, fetched: Arc<Fetched>, bytes: Bytes) {
        if self.caching {
            self.store.insert(Key::Body(key), Value::Body(Arc::new(BuiltBody { from: fetched, bytes }))).await;
        }
    }
}

/// A value of another kind under a key: keys and values are paired in this
/// module only, so this is a bug, reported as an internal error rather than
/// a panic.
fn unexpected() -> SourceError {
    tracing::error!("cache entry of an unexpected kind");
    SourceError::Internal("internal cache error".to_string())
}
