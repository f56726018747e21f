//! Between the handlers and the metric source: an in-memory cache of answers
//! (moka), bounded in bytes, that makes concurrent identical requests share
//! one upstream call, limits concurrent upstream calls, and keeps the last
//! good answer of every view to serve, marked stale, when the source fails.
//!
//! Buckets that ended long enough ago are final: CloudWatch no longer adds
//! datapoints to them. They are kept per series set, so a refresh of a
//! relative view (`now-24h` every minute) asks the source only for the
//! buckets after them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use moka::Expiry;
use moka::future::Cache;
use tlswatch_shared::{Dimensions, Metric, Region, Statistic};
use tokio::sync::Semaphore;

use crate::metrics::{CacheLabels, Metrics, UpstreamErrorLabels, UpstreamLabels};
use crate::source::{Alarm, FetchRequest, Fetched, MetricSource, Query, SourceError};
use tlswatch_shared::annotate::Transition;

/// How long an answer whose last bucket may still be filling is kept by
/// default: ALB metrics arrive once a minute.
pub const FRESH_TTL: Duration = Duration::from_secs(60);
/// How long an answer whose buckets all ended well in the past is kept.
const FINAL_TTL: Duration = Duration::from_secs(3_600);
/// CloudWatch may still add datapoints to a bucket this long after it ends.
const SETTLE: i64 = 600;
/// How long the list of reporting load balancers is kept.
const LIST_TTL: Duration = Duration::from_secs(300);
/// How long a last good answer stays available to serve stale.
const STALE_TTL: Duration = Duration::from_secs(24 * 3_600);

/// Cache settings.
#[derive(Debug, Clone, Copy)]
pub struct CacheConfig {
    /// Upper bound of the answers kept, in (estimated) bytes.
    pub max_bytes: u64,
    /// Most upstream calls in flight at once.
    pub max_upstream_calls: usize,
    /// How long an answer whose newest bucket may still change is kept.
    pub fresh_ttl: Duration,
}

/// What a view was asked of a region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FetchKey {
    pub region: Region,
    pub request: FetchRequest,
}

/// A view's data without its time range: the key of its last good answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SeriesKey {
    region: Region,
    stat: Statistic,
    period: u32,
    series: Vec<Query>,
}

impl From<&FetchKey> for SeriesKey {
    fn from(key: &FetchKey) -> Self {
        let r = &key.request;
        Self { region: key.region.clone(), stat: r.stat, period: r.period, series: r.series.clone() }
    }
}

/// The final buckets of a series set, `[start, end)`, with their datapoints.
#[derive(Debug)]
struct Settled {
    start: i64,
    end: i64,
    datapoints: Vec<Vec<(i64, f64)>>,
}

/// The end of the last bucket of `period` that is final at `now`.
fn final_boundary(now: i64, period: u32) -> i64 {
    (now - SETTLE).div_euclid(i64::from(period)) * i64::from(period)
}

/// The alarms of a metric's series in a region.
type AlarmsKey = (Region, Metric, Vec<Dimensions>);

/// A view as answered: its region, canonical query and resolved range.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenderedKey {
    pub region: Region,
    pub view: String,
    pub start: i64,
    pub end: i64,
    pub period: u32,
}

/// The JSON body built for a view from one cached answer: served again as
/// long as that answer is still the cached one (and alarms are fresh).
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

/// Per-entry lifetimes: short while the newest bucket may still change.
struct Lifetime {
    clock: fn() -> i64,
    fresh_ttl: Duration,
}

impl Expiry<FetchKey, Arc<Fetched>> for Lifetime {
    fn expire_after_create(&self, key: &FetchKey, _: &Arc<Fetched>, _: Instant) -> Option<Duration> {
        let settled = key.request.end + SETTLE <= (self.clock)();
        Some(if settled { FINAL_TTL.max(self.fresh_ttl) } else { self.fresh_ttl })
    }
}

/// The cached, coalescing, concurrency-limited way to the source.
pub struct Upstream {
    source: Arc<dyn MetricSource>,
    answers: Cache<FetchKey, Arc<Fetched>>,
    last_good: Cache<SeriesKey, Arc<StaleAnswer>>,
    settled: Cache<SeriesKey, Arc<Settled>>,
    lists: Cache<(Region, Metric), Arc<Vec<Dimensions>>>,
    alarms: Cache<AlarmsKey, Arc<Vec<Vec<Alarm>>>>,
    alarm_histories: Cache<(Region, String, i64, i64), Arc<Vec<Transition>>>,
    rendered: Cache<RenderedKey, Arc<Rendered>>,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    clock: fn() -> i64,
    /// Off when configured with no memory for answers.
    caching: bool,
}

impl Upstream {
    pub fn new(source: Arc<dyn MetricSource>, config: CacheConfig, metrics: Arc<Metrics>, clock: fn() -> i64) -> Self {
        let answers = Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(|key: &FetchKey, value: &Arc<Fetched>| weight(key, value))
            .expire_after(Lifetime { clock, fresh_ttl: config.fresh_ttl })
            .build();
        let last_good = Cache::builder()
            .max_capacity(config.max_bytes / 2)
            .weigher(|_: &SeriesKey, value: &Arc<StaleAnswer>| weight_of_points(&value.fetched))
            .time_to_live(STALE_TTL)
            .build();
        let settled = Cache::builder()
            .max_capacity(config.max_bytes / 2)
            .weigher(|_: &SeriesKey, value: &Arc<Settled>| weight_of_series(&value.datapoints))
            .time_to_idle(FINAL_TTL)
            .build();
        let lists = Cache::builder().max_capacity(1_000).time_to_live(LIST_TTL).build();
        // Alarm states change: kept as long as an answer that may still change.
        let alarms = Cache::builder().max_capacity(10_000).time_to_live(config.fresh_ttl).build();
        let alarm_histories = Cache::builder().max_capacity(10_000).time_to_live(config.fresh_ttl).build();
        let rendered = Cache::builder()
            .max_capacity(config.max_bytes / 4)
            .weigher(|key: &RenderedKey, value: &Arc<Rendered>| {
                u32::try_from(key.view.len() + value.body.len()).unwrap_or(u32::MAX)
            })
            .time_to_live(config.fresh_ttl)
            .build();
        Self {
            source,
            answers,
            last_good,
            settled,
            lists,
            alarms,
            alarm_histories,
            rendered,
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

    /// The data of `request`: from the cache, from a call already in flight
    /// for the same key, or from the source; the last good answer when the
    /// source fails.
    pub async fn fetch(&self, region: &Region, request: FetchRequest) -> Result<Answer, SourceError> {
        if !self.caching {
            let fetched = self.call("GetMetricData", self.source.fetch(region, &request)).await?;
            return Ok(Answer::Fresh(Arc::new(fetched)));
        }
        let key = FetchKey { region: region.clone(), request };
        if let Some(fetched) = self.answers.get(&key).await {
            self.count_cache("hit");
            return Ok(Answer::Fresh(fetched));
        }
        let ran = Arc::new(AtomicBool::new(false));
        let loaded = self
            .answers
            .try_get_with(key.clone(), {
                let ran = ran.clone();
                let key = key.clone();
                async move {
                    ran.store(true, Ordering::Relaxed);
                    self.fetch_unsettled(&key).await.map(Arc::new)
                }
            })
            .await;
        self.count_cache(if ran.load(Ordering::Relaxed) { "miss" } else { "coalesced" });
        match loaded {
            Ok(fetched) => {
                if ran.load(Ordering::Relaxed) {
                    let stale = StaleAnswer {
                        fetched: fetched.clone(),
                        start: key.request.start,
                        end: key.request.end,
                        fetched_at: (self.clock)(),
                    };
                    self.last_good.insert(SeriesKey::from(&key), Arc::new(stale)).await;
                }
                Ok(Answer::Fresh(fetched))
            }
            Err(failure) => {
                let failure = (*failure).clone();
                let servable = !matches!(failure, SourceError::AccessDenied(_));
                match self.last_good.get(&SeriesKey::from(&key)).await.filter(|_| servable) {
                    Some(answer) => {
                        self.count_cache("stale");
                        Ok(Answer::Stale { answer, failure })
                    }
                    None => Err(failure),
                }
            }
        }
    }

    /// The data of `key`: its final buckets from the settled store, the rest
    /// from the source; then records what is final now.
    async fn fetch_unsettled(&self, key: &FetchKey) -> Result<Fetched, SourceError> {
        let request = &key.request;
        let series_key = SeriesKey::from(key);
        let known = self
            .settled
            .get(&series_key)
            .await
            .filter(|known| known.start <= request.start && request.start < known.end);
        let fetch_from = known.as_ref().map_or(request.start, |known| known.end.min(request.end));
        let mut fetched = if fetch_from < request.end {
            let rest = FetchRequest { start: fetch_from, ..request.clone() };
            self.call("GetMetricData", self.source.fetch(&key.region, &rest)).await?
        } else {
            Fetched { datapoints: vec![Vec::new(); request.series.len()], ..Fetched::default() }
        };
        if let Some(known) = &known {
            for (points, known_points) in fetched.datapoints.iter_mut().zip(&known.datapoints) {
                let mut merged: Vec<(i64, f64)> =
                    known_points.iter().copied().filter(|&(t, _)| request.start <= t && t < fetch_from).collect();
                merged.append(points);
                *points = merged;
            }
        }
        self.remember_settled(series_key, known.as_deref(), request, &fetched.datapoints).await;
        Ok(fetched)
    }

    /// Extends the settled store with the buckets of `request` that are final now.
    async fn remember_settled(
        &self,
        key: SeriesKey,
        known: Option<&Settled>,
        request: &FetchRequest,
        datapoints: &[Vec<(i64, f64)>],
    ) {
        let end = final_boundary((self.clock)(), request.period).min(request.end);
        if end <= known.map_or(request.start, |known| known.end) {
            return;
        }
        let start = known.map_or(request.start, |known| known.start);
        let datapoints = datapoints
            .iter()
            .enumerate()
            .map(|(index, points)| {
                let older = known.map(|known| known.datapoints[index].as_slice()).unwrap_or_default();
                let from = known.map_or(i64::MIN, |known| known.end);
                let newer = points.iter().filter(|&&(t, _)| from <= t && t < end);
                older.iter().chain(newer).copied().collect()
            })
            .collect();
        self.settled.insert(key, Arc::new(Settled { start, end, datapoints })).await;
    }

    /// The body built before for `key` from exactly this answer, if any.
    pub async fn rendered(&self, key: &RenderedKey, fetched: &Arc<Fetched>) -> Option<Bytes> {
        let rendered = self.rendered.get(key).await?;
        Arc::ptr_eq(&rendered.fetched, fetched).then(|| rendered.body.clone())
    }

    /// Keeps the body built for `key` from `fetched`.
    pub async fn remember_rendered(&self, key: RenderedKey, fetched: Arc<Fetched>, body: Bytes) {
        if self.caching {
            self.rendered.insert(key, Arc::new(Rendered { fetched, body })).await;
        }
    }

    /// The dimension combinations that reported `metric`, cached briefly and coalesced.
    pub async fn list(&self, region: &Region, metric: Metric) -> Result<Arc<Vec<Dimensions>>, SourceError> {
        self.lists
            .try_get_with((region.clone(), metric), async {
                self.call("ListMetrics", self.source.list(region, metric)).await.map(Arc::new)
            })
            .await
            .map_err(|err| (*err).clone())
    }

    /// The alarms of each series, cached as briefly as a changing answer and coalesced.
    pub async fn alarms(
        &self,
        region: &Region,
        metric: Metric,
        series: &[Dimensions],
    ) -> Result<Arc<Vec<Vec<Alarm>>>, SourceError> {
        let call = async { self.call("DescribeAlarmsForMetric", self.source.alarms(region, metric, series)).await };
        if !self.caching {
            return call.await.map(Arc::new);
        }
        let key = (region.clone(), metric, series.to_vec());
        self.alarms.try_get_with(key, async { call.await.map(Arc::new) }).await.map_err(|err| (*err).clone())
    }

    /// The state changes of an alarm in a range, cached like [`Self::alarms`].
    pub async fn alarm_history(
        &self,
        region: &Region,
        name: &str,
        start: i64,
        end: i64,
    ) -> Result<Arc<Vec<Transition>>, SourceError> {
        let call =
            async { self.call("DescribeAlarmHistory", self.source.alarm_history(region, name, start, end)).await };
        if !self.caching {
            return call.await.map(Arc::new);
        }
        let key = (region.clone(), name.to_string(), start, end);
        self.alarm_histories.try_get_with(key, async { call.await.map(Arc::new) }).await.map_err(|err| (*err).clone())
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

    /// Estimated bytes held by the answer cache (after pending maintenance).
    pub async fn cached_bytes(&self) -> u64 {
        self.answers.run_pending_tasks().await;
        self.answers.weighted_size()
    }
}

/// Estimated bytes of a cached answer and its key.
fn weight(key: &FetchKey, value: &Arc<Fetched>) -> u32 {
    let key_bytes: usize = key.request.series.iter().map(|q| 64 + q.dims.label().len() * 4).sum();
    weight_of_points(value).saturating_add(u32::try_from(key_bytes).unwrap_or(u32::MAX))
}

fn weight_of_points(value: &Fetched) -> u32 {
    let warnings: usize = value.warnings.iter().map(String::len).sum();
    weight_of_series(&value.datapoints).saturating_add(u32::try_from(warnings).unwrap_or(u32::MAX))
}

fn weight_of_series(datapoints: &[Vec<(i64, f64)>]) -> u32 {
    let points: usize = datapoints.iter().map(|series| 32 + series.len() * 16).sum();
    u32::try_from(128 + points).unwrap_or(u32::MAX)
}
