//! The one in-memory store behind every cache of the proxy (answers, last
//! good answers, final buckets, lists, alarms, built bodies), so
//! `--cache-mib` bounds all of them together. Each kind of entry has its
//! key, its estimated weight and its lifetime here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use moka::Expiry;
use moka::future::Cache;
use tlswatch_shared::plan::FINAL_AFTER_SECONDS;
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, LoadBalancer, Metric, Statistic};

use super::settled::Settled;
use crate::source::{Alarm, FetchRequest, Fetched, Query, Scope, SourceError, Transition};

/// How long an answer whose buckets all ended well in the past is kept.
const FINAL_TTL: Duration = Duration::from_secs(3_600);
/// How long the list of reporting load balancers is kept: ListMetrics
/// changes only when a load balancer starts or stops reporting.
const LIST_TTL: Duration = Duration::from_secs(300);
/// How long a load balancer configuration is kept: it changes with deploys,
/// and a review five minutes old still explains the errors.
const CONFIG_TTL: Duration = Duration::from_secs(300);
/// How long what a security policy offers is kept: AWS's predefined
/// policies do not change once published.
const POLICY_TTL: Duration = Duration::from_secs(24 * 3_600);
/// How long a last good answer stays available to serve stale: a day
/// covers an outage of CloudWatch or of the proxy's credentials.
const STALE_TTL: Duration = Duration::from_secs(24 * 3_600);

/// What a view was asked of an account and region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FetchKey {
    pub scope: Scope,
    pub request: FetchRequest,
}

/// A view's data without its time range: the key of its last good answer
/// and of its final buckets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub scope: Scope,
    pub stat: Statistic,
    pub period: u32,
    pub series: Vec<Query>,
}

impl From<&FetchKey> for SeriesKey {
    fn from(key: &FetchKey) -> Self {
        let r = &key.request;
        Self { scope: key.scope.clone(), stat: r.stat, period: r.period, series: r.series.clone() }
    }
}

/// A view as answered: its account and region, canonical query, resolved range and
/// where its partial buckets start.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenderedKey {
    pub scope: Scope,
    pub view: String,
    pub start: i64,
    pub end: i64,
    pub period: u32,
    pub partial_from: Option<i64>,
}

/// The JSON body built for a view from one cached answer: served again as
/// long as that answer is still the cached one.
#[derive(Debug)]
pub struct Rendered {
    pub fetched: Arc<Fetched>,
    pub body: Bytes,
}

/// A last good answer and the range it covers.
#[derive(Debug)]
pub struct StaleAnswer {
    pub fetched: Arc<Fetched>,
    pub start: i64,
    pub end: i64,
    /// When it was fetched, epoch seconds.
    pub fetched_at: i64,
}

/// Every kind of entry, by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Answer(FetchKey),
    LastGood(SeriesKey),
    Settled(SeriesKey),
    List(Scope, Metric),
    Alarms(Scope, Metric, Vec<Dimensions>),
    AlarmHistory { scope: Scope, name: String, start: i64, end: i64 },
    Rendered(RenderedKey),
    LoadBalancers(Scope, Vec<LoadBalancer>),
    Policies(Scope, Vec<String>),
}

/// Every kind of entry, by value; cheap to clone.
#[derive(Debug, Clone)]
pub enum Value {
    Answer(Arc<Fetched>),
    LastGood(Arc<StaleAnswer>),
    Settled(Arc<Settled>),
    List(Arc<Vec<Dimensions>>),
    Alarms(Arc<Vec<Vec<Alarm>>>),
    AlarmHistory(Arc<Vec<Transition>>),
    Rendered(Arc<Rendered>),
    LoadBalancers(Arc<Vec<LoadBalancerConfig>>),
    Policies(Arc<BTreeMap<String, SslPolicy>>),
}

/// A kind of value the store keeps under a variant of its own, for the
/// loads that all go the same way (see `Upstream::load_entry`).
pub trait Entry: Sized {
    fn wrap(value: Arc<Self>) -> Value;
    fn unwrap(value: Value) -> Option<Arc<Self>>;
}

macro_rules! entries {
    ($($variant:ident($kind:ty)),* $(,)?) => {$(
        impl Entry for $kind {
            fn wrap(value: Arc<Self>) -> Value {
                Value::$variant(value)
            }

            fn unwrap(value: Value) -> Option<Arc<Self>> {
                match value {
                    Value::$variant(value) => Some(value),
                    _ => None,
                }
            }
        }
    )*};
}

entries!(
    List(Vec<Dimensions>),
    Alarms(Vec<Vec<Alarm>>),
    AlarmHistory(Vec<Transition>),
    LoadBalancers(Vec<LoadBalancerConfig>),
    Policies(BTreeMap<String, SslPolicy>),
);

/// The store: one moka cache bounded in estimated bytes, with per-entry
/// lifetimes.
pub type Store = Cache<Key, Value>;

/// A store of `max_bytes` whose answers still filling live `fresh_ttl`.
pub fn store(max_bytes: u64, fresh_ttl: Duration, clock: fn() -> i64) -> Store {
    Cache::builder()
        .max_capacity(max_bytes)
        .weigher(|key: &Key, value: &Value| u32::try_from(weight(key, value)).unwrap_or(u32::MAX))
        .expire_after(Lifetime { clock, fresh_ttl })
        .build()
}

/// Loads `key` through the store: a cached value, the result of a load
/// already in flight for it (coalesced), or `load` run once. Returns the
/// value and whether this call ran `load`.
pub async fn get_or_load<T>(
    store: &Store,
    key: Key,
    load: impl Future<Output = Result<T, SourceError>>,
    wrap: fn(T) -> Value,
) -> (Result<Value, SourceError>, bool) {
    let mut ran = false;
    let loaded = store
        .try_get_with(key, async {
            ran = true;
            load.await.map(wrap)
        })
        .await
        .map_err(|err| (*err).clone());
    (loaded, ran)
}

/// How long the entry of `key` is kept when made at `now`, in this
/// replica's store and in the shared cache alike.
pub fn lifetime(key: &Key, now: i64, fresh_ttl: Duration) -> Duration {
    match key {
        // Short while the newest bucket may still change.
        Key::Answer(key) if key.request.end + FINAL_AFTER_SECONDS <= now => FINAL_TTL.max(fresh_ttl),
        Key::Answer(_) => fresh_ttl,
        Key::LastGood(_) => STALE_TTL,
        Key::Settled(_) => FINAL_TTL,
        Key::List(..) => LIST_TTL,
        // Alarm states change, and a body is only as fresh as its answer.
        Key::Alarms(..) | Key::AlarmHistory { .. } | Key::Rendered(_) => fresh_ttl,
        Key::LoadBalancers(..) => CONFIG_TTL,
        Key::Policies(..) => POLICY_TTL,
    }
}

/// Per-entry lifetimes.
struct Lifetime {
    clock: fn() -> i64,
    fresh_ttl: Duration,
}

impl Expiry<Key, Value> for Lifetime {
    fn expire_after_create(&self, key: &Key, _: &Value, _: Instant) -> Option<Duration> {
        Some(lifetime(key, (self.clock)(), self.fresh_ttl))
    }

    fn expire_after_read(
        &self,
        key: &Key,
        _: &Value,
        _: Instant,
        remaining: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        // Final buckets are kept while a view of them is in use.
        if matches!(key, Key::Settled(_)) { Some(FINAL_TTL) } else { remaining }
    }
}

/// Estimated bytes of a datapoint: a timestamp and a value.
const POINT_BYTES: usize = 16;
/// Estimated bytes of a series (its vector and bookkeeping) before its points.
const SERIES_BYTES: usize = 32;
/// Estimated bytes of an entry before its contents (moka's node, the Arcs).
const ENTRY_BYTES: usize = 128;
/// Estimated bytes of one dimension combination (three short strings).
const DIMENSIONS_BYTES: usize = 160;

/// Estimated bytes held by an entry, key and value.
fn weight(key: &Key, value: &Value) -> usize {
    ENTRY_BYTES + key_weight(key) + value_weight(value)
}

fn key_weight(key: &Key) -> usize {
    let series = |series: &[Query]| series.len() * DIMENSIONS_BYTES;
    match key {
        Key::Answer(key) => series(&key.request.series),
        Key::LastGood(key) | Key::Settled(key) => series(&key.series),
        Key::List(..) => 0,
        Key::Alarms(_, _, dims) => dims.len() * DIMENSIONS_BYTES,
        Key::AlarmHistory { name, .. } => name.len(),
        Key::Rendered(key) => key.view.len(),
        Key::LoadBalancers(_, wanted) => wanted.len() * DIMENSIONS_BYTES,
        Key::Policies(_, names) => names.iter().map(String::len).sum(),
    }
}

fn value_weight(value: &Value) -> usize {
    match value {
        Value::Answer(fetched) => fetched_weight(fetched),
        Value::LastGood(stale) => fetched_weight(&stale.fetched),
        Value::Settled(settled) => points_weight(&settled.datapoints),
        Value::List(list) => list.len() * DIMENSIONS_BYTES,
        Value::Alarms(alarms) => alarms.iter().map(|of_series| SERIES_BYTES + of_series.len() * 128).sum(),
        Value::AlarmHistory(history) => history.len() * POINT_BYTES,
        // The answer it was built from is counted under its own key.
        Value::Rendered(rendered) => rendered.body.len(),
        Value::LoadBalancers(configs) => configs.iter().map(config_weight).sum(),
        Value::Policies(policies) => {
            policies.iter().map(|(name, p)| name.len() + (p.protocols.len() + p.ciphers.len()) * 32).sum()
        }
    }
}

/// Estimated bytes of a load balancer's configuration: a few short strings
/// per listener and target group.
fn config_weight(config: &LoadBalancerConfig) -> usize {
    256 + config.listeners.len() * 256 + config.target_groups.len() * 512
}

fn fetched_weight(fetched: &Fetched) -> usize {
    points_weight(&fetched.datapoints) + fetched.warnings.iter().map(String::len).sum::<usize>()
}

fn points_weight(datapoints: &[Vec<(i64, f64)>]) -> usize {
    datapoints.iter().map(|series| SERIES_BYTES + series.len() * POINT_BYTES).sum()
}
