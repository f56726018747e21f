//! The one in-memory store behind every cache of the proxy (answers, last
//! good answers, final buckets, lists, alarms, built bodies), so
//! `--cache-mib` bounds all of them together. Each kind of entry has its
//! key, its estimated weight and its lifetime here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use moka::future::Cache;
use tlswatch_shared::plan::FINAL_AFTER_SECONDS;
use tlswatch_shared::probe::{Handshake, ProbeTarget};
use tlswatch_shared::review::{LoadBalancerConfig, SslPolicy};
use tlswatch_shared::{Dimensions, LoadBalancer, Metric, Statistic};

use super::final_buckets::FinalBuckets;
use crate::source::{Alarm, FetchRequest, Fetched, Query, Scope, Trail, Transition};

/// How long each kind of entry is kept (the defaults are in `config.rs`).
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// An answer whose newest bucket may still change.
    pub fresh: Duration,
    /// An answer whose buckets are all final, and final buckets (while a
    /// view of them is in use).
    pub final_buckets: Duration,
    /// The list of reporting load balancers: ListMetrics changes only when
    /// a load balancer starts or stops reporting.
    pub list: Duration,
    /// A load balancer's configuration: it changes with deploys, and a
    /// review a few minutes old still explains the errors.
    pub load_balancer: Duration,
    /// What a security policy offers: AWS's predefined policies do not
    /// change once published.
    pub policy: Duration,
    /// What the probe saw of targets: long enough that a page's second look
    /// costs the targets nothing, short enough to see a fix.
    pub probe: Duration,
    /// What the probe last saw of one target, for the review and the fleet
    /// report: a day of probes made by anyone.
    pub outcome: Duration,
    /// A last good answer, available to serve stale: long enough to cover
    /// an outage of CloudWatch or of the proxy's credentials.
    pub last_good: Duration,
}

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
pub struct BodyKey {
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
pub struct BuiltBody {
    /// The answer it was built from.
    pub from: Arc<Fetched>,
    pub bytes: Bytes,
}

/// A last good answer and the range it covers.
#[derive(Debug)]
pub struct LastGood {
    pub fetched: Arc<Fetched>,
    pub start: i64,
    pub end: i64,
    /// When it was fetched, epoch seconds.
    pub fetched_at: i64,
}

/// Every kind of entry, by key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Key {
    Fetched(FetchKey),
    LastGood(SeriesKey),
    FinalBuckets(SeriesKey),
    List(Scope, Metric),
    Alarms(Scope, Metric, Vec<Dimensions>),
    AlarmHistory {
        scope: Scope,
        name: String,
        start: i64,
        end: i64,
    },
    Body(BodyKey),
    LoadBalancers(Scope, Vec<LoadBalancer>),
    /// Every application load balancer of a scope, for the fleet review.
    Fleet(Scope),
    Policies(Scope, Vec<String>),
    Probe(Scope, Vec<ProbeTarget>),
    /// The last handshake with one target, kept by every probe.
    Outcome(Scope, ProbeTarget),
    /// CloudTrail's TLS-path events of a span, as read in one go.
    Trail {
        scope: Scope,
        start: i64,
        end: i64,
    },
    /// The events of one final hour (starting at `hour`), cut from a span.
    TrailHour(Scope, i64),
}

/// Every kind of entry, by value; cheap to clone.
#[derive(Debug, Clone)]
pub enum Value {
    Fetched(Arc<Fetched>),
    LastGood(Arc<LastGood>),
    FinalBuckets(Arc<FinalBuckets>),
    List(Arc<Vec<Dimensions>>),
    Alarms(Arc<Vec<Vec<Alarm>>>),
    AlarmHistory(Arc<Vec<Transition>>),
    Body(Arc<BuiltBody>),
    LoadBalancers(Arc<Vec<LoadBalancerConfig>>),
    Policies(Arc<BTreeMap<String, SslPolicy>>),
    Probe(Arc<Probed>),
    Trail(Arc<Trail>),
}

/// What a probe saw of each of its targets, in order, and when (under
/// [`Key::Outcome`], of its one target).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Probed {
    /// Epoch seconds.
    pub at: i64,
    pub handshakes: Vec<Handshake>,
}

/// A kind of value the store keeps under a variant of its own, so that
/// every load goes the same way (see `Cache::load`).
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
    Fetched(Fetched),
    List(Vec<Dimensions>),
    Alarms(Vec<Vec<Alarm>>),
    AlarmHistory(Vec<Transition>),
    LoadBalancers(Vec<LoadBalancerConfig>),
    Policies(BTreeMap<String, SslPolicy>),
    Probe(Probed),
    Trail(Trail),
);

/// The store: one moka cache bounded in estimated bytes, with per-entry
/// lifetimes.
pub type Store = Cache<Key, Value>;

/// A store of `max_bytes` whose entries live as `lifetimes` says.
pub fn store(max_bytes: u64, lifetimes: Lifetimes, clock: fn() -> i64) -> Store {
    Cache::builder()
        .max_capacity(max_bytes)
        .weigher(|key: &Key, value: &Value| u32::try_from(weight(key, value)).unwrap_or(u32::MAX))
        .expire_after(Expiry { clock, lifetimes })
        .build()
}

impl Lifetimes {
    /// How long the entry of `key` is kept when made at `now`, in this
    /// replica's store and in the shared cache alike.
    pub fn of(&self, key: &Key, now: i64) -> Duration {
        match key {
            // Short while the newest bucket may still change.
            Key::Fetched(key) if key.request.end + FINAL_AFTER_SECONDS <= now => self.final_buckets.max(self.fresh),
            Key::Fetched(_) => self.fresh,
            Key::LastGood(_) => self.last_good,
            Key::FinalBuckets(_) => self.final_buckets,
            Key::List(..) => self.list,
            // Alarm states change, and a body is only as fresh as its answer.
            Key::Alarms(..) | Key::AlarmHistory { .. } | Key::Body(_) => self.fresh,
            Key::LoadBalancers(..) | Key::Fleet(_) => self.load_balancer,
            Key::Policies(..) => self.policy,
            Key::Probe(..) => self.probe,
            Key::Outcome(..) => self.outcome,
            // CloudTrail delivers an event up to about 15 minutes late.
            Key::Trail { end, .. } if end + TRAIL_DELIVERY_SECONDS <= now => self.final_buckets,
            Key::Trail { .. } => self.fresh,
            Key::TrailHour(..) => self.final_buckets,
        }
    }
}

/// Per-entry lifetimes, for moka.
struct Expiry {
    clock: fn() -> i64,
    lifetimes: Lifetimes,
}

impl moka::Expiry<Key, Value> for Expiry {
    fn expire_after_create(&self, key: &Key, _: &Value, _: Instant) -> Option<Duration> {
        Some(self.lifetimes.of(key, (self.clock)()))
    }

    fn expire_after_read(
        &self,
        key: &Key,
        _: &Value,
        _: Instant,
        remaining: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        // Final buckets and hours are kept while a view of them is in use.
        if matches!(key, Key::FinalBuckets(_) | Key::TrailHour(..)) {
            Some(self.lifetimes.final_buckets)
        } else {
            remaining
        }
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
/// Estimated bytes of an alarm (its name, threshold, comparison and state).
const ALARM_BYTES: usize = 128;
/// Estimated bytes of one protocol or cipher name of a security policy.
const POLICY_ITEM_BYTES: usize = 32;
/// Estimated bytes of a load balancer's configuration before its listeners
/// and target groups, of a listener, and of a target group (a few short
/// strings each).
const LOAD_BALANCER_BYTES: usize = 256;
const LISTENER_BYTES: usize = 256;
const TARGET_GROUP_BYTES: usize = 512;
/// Estimated bytes of a registered target (its ID, zone and health).
const REGISTERED_TARGET_BYTES: usize = 96;
/// Estimated bytes of a probed target: its address and offer in the key,
/// its handshake (certificate names, error text) in the value.
const PROBE_TARGET_BYTES: usize = 96;
const HANDSHAKE_BYTES: usize = 512;
/// Estimated bytes of a CloudTrail event before its record (ID, name, time).
const TRAIL_EVENT_BYTES: usize = 96;

/// How late CloudTrail may deliver an event: a span that ended longer ago
/// than this is final.
pub const TRAIL_DELIVERY_SECONDS: i64 = 900;

/// Estimated bytes held by an entry, key and value.
fn weight(key: &Key, value: &Value) -> usize {
    ENTRY_BYTES + key_weight(key) + value_weight(value)
}

fn key_weight(key: &Key) -> usize {
    let series = |series: &[Query]| series.len() * DIMENSIONS_BYTES;
    match key {
        Key::Fetched(key) => series(&key.request.series),
        Key::LastGood(key) | Key::FinalBuckets(key) => series(&key.series),
        Key::List(..) | Key::Fleet(_) => 0,
        Key::Alarms(_, _, dims) => dims.len() * DIMENSIONS_BYTES,
        Key::AlarmHistory { name, .. } => name.len(),
        Key::Body(key) => key.view.len(),
        Key::LoadBalancers(_, wanted) => wanted.len() * DIMENSIONS_BYTES,
        Key::Policies(_, names) => names.iter().map(String::len).sum(),
        Key::Probe(_, targets) => targets.len() * PROBE_TARGET_BYTES,
        Key::Outcome(..) => PROBE_TARGET_BYTES,
        Key::Trail { .. } | Key::TrailHour(..) => 0,
    }
}

fn value_weight(value: &Value) -> usize {
    match value {
        Value::Fetched(fetched) => fetched_weight(fetched),
        Value::LastGood(stale) => fetched_weight(&stale.fetched),
        Value::FinalBuckets(buckets) => points_weight(&buckets.datapoints),
        Value::List(list) => list.len() * DIMENSIONS_BYTES,
        Value::Alarms(alarms) => alarms.iter().map(|of_series| SERIES_BYTES + of_series.len() * ALARM_BYTES).sum(),
        Value::AlarmHistory(history) => history.len() * POINT_BYTES,
        // The answer it was built from is counted under its own key.
        Value::Body(body) => body.bytes.len(),
        Value::LoadBalancers(configs) => configs.iter().map(load_balancer_weight).sum(),
        Value::Policies(policies) => policies
            .iter()
            .map(|(name, p)| name.len() + (p.protocols.len() + p.ciphers.len()) * POLICY_ITEM_BYTES)
            .sum(),
        Value::Probe(probed) => probed.handshakes.len() * HANDSHAKE_BYTES,
        Value::Trail(trail) => trail.events.iter().map(|e| TRAIL_EVENT_BYTES + e.cloudtrail_event.len()).sum(),
    }
}

fn load_balancer_weight(config: &LoadBalancerConfig) -> usize {
    LOAD_BALANCER_BYTES
        + config.listeners.len() * LISTENER_BYTES
        + config.target_groups.len() * TARGET_GROUP_BYTES
        + config.target_groups.iter().map(|g| g.registered.len() * REGISTERED_TARGET_BYTES).sum::<usize>()
}

fn fetched_weight(fetched: &Fetched) -> usize {
    points_weight(&fetched.datapoints) + fetched.warnings.iter().map(String::len).sum::<usize>()
}

fn points_weight(datapoints: &[Vec<(i64, f64)>]) -> usize {
    datapoints.iter().map(|series| SERIES_BYTES + series.len() * POINT_BYTES).sum()
}
