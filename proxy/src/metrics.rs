//! Prometheus metrics (`GET /metrics`): requests, cache outcomes, upstream
//! calls, errors and latency, the number of metrics requested from
//! CloudWatch (what AWS bills GetMetricData by), the cache's size, and the
//! hits, misses, lease waits and errors of the cache replicas share.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// `hit`, `miss`, `coalesced` or `stale`.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SharedCacheLabels {
    /// `hit` or `miss` (a value that does not decode is a miss).
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    pub operation: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamErrorLabels {
    pub operation: &'static str,
    /// The API error code: `upstream_throttled`, `upstream_timeout`, ...
    pub kind: &'static str,
    /// The configured account the call was for: which account fails.
    pub account: String,
}

/// Every metric the proxy keeps.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub cache: Family<CacheLabels, Counter>,
    pub upstream_calls: Family<UpstreamLabels, Counter>,
    pub upstream_errors: Family<UpstreamErrorLabels, Counter>,
    pub upstream_seconds: Family<UpstreamLabels, Histogram>,
    pub metrics_requested: Counter,
    /// Estimated bytes held by the cache, set when the metrics are read.
    pub cache_bytes: Gauge,
    /// Lookups in the cache shared by replicas (`--cache-url`), by outcome.
    pub shared_cache: Family<SharedCacheLabels, Counter>,
    /// Times this replica waited for another's lease instead of calling the source.
    pub shared_cache_lease_waits: Counter,
    /// Commands to the shared cache that failed or timed out.
    pub shared_cache_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tlswatch");
        let requests = Family::<RequestLabels, Counter>::default();
        let cache = Family::<CacheLabels, Counter>::default();
        let upstream_calls = Family::<UpstreamLabels, Counter>::default();
        let upstream_errors = Family::<UpstreamErrorLabels, Counter>::default();
        let upstream_seconds = Family::<UpstreamLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0])
        });
        let metrics_requested = Counter::default();
        let cache_bytes = Gauge::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("cache_lookups", "Answers by cache outcome", cache.clone());
        registry.register("upstream_calls", "Calls made to the metric source", upstream_calls.clone());
        registry.register(
            "upstream_errors",
            "Failed upstream calls by operation, kind and account",
            upstream_errors.clone(),
        );
        registry.register("upstream_duration_seconds", "Upstream call latency", upstream_seconds.clone());
        registry.register(
            "cloudwatch_metrics_requested",
            "Metrics requested from CloudWatch in GetMetricData calls (what AWS bills by)",
            metrics_requested.clone(),
        );
        registry.register(
            "cache_bytes",
            "Estimated bytes held by every cache together (bounded by --cache-mib)",
            cache_bytes.clone(),
        );
        let shared_cache = Family::<SharedCacheLabels, Counter>::default();
        let shared_cache_lease_waits = Counter::default();
        let shared_cache_errors = Counter::default();
        registry.register(
            "shared_cache_lookups",
            "Lookups in the cache shared by replicas (--cache-url) by outcome",
            shared_cache.clone(),
        );
        registry.register(
            "shared_cache_lease_waits",
            "Waits for another replica's fetch of the same key instead of calling the source",
            shared_cache_lease_waits.clone(),
        );
        registry.register(
            "shared_cache_errors",
            "Commands to the shared cache that failed or timed out (the replica went without it)",
            shared_cache_errors.clone(),
        );
        Self {
            registry,
            requests,
            cache,
            upstream_calls,
            upstream_errors,
            upstream_seconds,
            metrics_requested,
            cache_bytes,
            shared_cache,
            shared_cache_lease_waits,
            shared_cache_errors,
        }
    }
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("writing to a String");
        text
    }
}
