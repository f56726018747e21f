//! What every handler can reach, built once from the [`Config`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::accounts::Accounts;
use crate::auth::Auth;
use crate::cache::{BodyCache, Cache, SharedCache};
use crate::config::Config;
use crate::hosts::AllowedHosts;
use crate::identity::Readers;
use crate::limits::{Limits, RateLimit};
use crate::metrics::Metrics;
use crate::source::Sources;
use crate::source::probe::AllowList;
use crate::upstream::Upstream;
use crate::work::{MAX_WAIT, WorkBudget};

/// The state shared by every handler and middleware.
pub struct AppState {
    pub cache: Cache,
    /// The series route's built bodies.
    pub series_bodies: BodyCache,
    /// `cloudwatch` or `demo`, as the catalog reports it.
    pub source_kind: &'static str,
    pub accounts: Accounts,
    /// The built frontend (`dist/`), if there is one.
    pub frontend: Option<PathBuf>,
    /// The current time in epoch seconds; a function so tests can set it.
    pub clock: fn() -> i64,
    pub auth: Auth,
    /// The names answered, when nobody authenticates; `None`: every name.
    pub hosts: Option<AllowedHosts>,
    pub limits: Limits,
    /// The memory the views being built may hold at once: the cache's size.
    pub work: WorkBudget,
    /// Requests per minute per user, or per address where nobody logs in.
    pub rate_limit: Option<RateLimit>,
    /// Who may read `/metrics` on the main listener.
    pub metrics_readers: Readers,
    pub metrics: Arc<Metrics>,
    /// The account ID of the proxy's own identity, once looked up.
    pub own_account_id: Arc<OnceLock<String>>,
    pub probe: ProbeGate,
}

/// Who may probe what: the allow-list the route plans with (the probe
/// source checks it again), and the rate of probe requests per caller.
pub struct ProbeGate {
    pub allow: AllowList,
    pub rate: Option<RateLimit>,
    pub per_minute: u32,
}

impl AppState {
    /// The state of a proxy configured as `config`, reading from `sources`.
    pub fn new(config: Config, sources: Sources) -> Self {
        let metrics = Arc::new(Metrics::default());
        let lease = config.call_policy.call_timeout;
        let shared = config.shared_cache.as_ref().map(|shared| SharedCache::new(shared, lease, metrics.clone()));
        let (source_kind, own_account_id) = (sources.kind(), sources.own_account_id.clone());
        let upstream = Upstream::new(sources, config.cache.max_upstream_calls, metrics.clone(), &config.accounts);
        let work = WorkBudget::new(usize::try_from(config.cache.max_bytes).unwrap_or(usize::MAX), MAX_WAIT);
        let cache = Cache::new(upstream, config.cache, metrics.clone(), config.clock, shared);
        Self {
            series_bodies: cache.bodies(),
            cache,
            source_kind,
            own_account_id,
            accounts: config.accounts,
            frontend: config.frontend,
            clock: config.clock,
            hosts: config.auth.is_open().then_some(config.hosts),
            auth: config.auth.limit_password_checks(config.rate_limit_per_minute),
            limits: config.limits,
            work,
            rate_limit: RateLimit::per_minute(config.rate_limit_per_minute),
            metrics_readers: config.metrics_readers,
            metrics,
            probe: ProbeGate {
                allow: config.probe.allow,
                rate: RateLimit::per_minute(config.probe.per_minute),
                per_minute: config.probe.per_minute,
            },
        }
    }
}
