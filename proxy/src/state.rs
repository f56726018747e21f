//! What every handler can reach, built once from the [`Config`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use crate::accounts::Accounts;
use crate::auth::Auth;
use crate::cache::{SharedCache, Upstream};
use crate::config::Config;
use crate::limits::{Limits, RateLimit};
use crate::metrics::Metrics;
use crate::source::Sources;

/// The state shared by every handler and middleware.
pub struct AppState {
    pub upstream: Upstream,
    pub accounts: Accounts,
    /// The built frontend (`dist/`), if there is one.
    pub frontend: Option<PathBuf>,
    /// The current time in epoch seconds; a function so tests can set it.
    pub clock: fn() -> i64,
    pub auth: Auth,
    pub limits: Limits,
    pub rate_limit: Option<RateLimit>,
    pub metrics: Arc<Metrics>,
    /// The account ID of the proxy's own identity, once looked up.
    pub own_account_id: Arc<OnceLock<String>>,
}

impl AppState {
    /// The state of a proxy configured as `config`, reading from `sources`.
    pub fn new(config: Config, sources: Sources) -> Self {
        let metrics = Arc::new(Metrics::default());
        let lease = config.call_policy.call_timeout;
        let shared = config.shared_cache.as_ref().map(|shared| SharedCache::new(shared, lease, metrics.clone()));
        Self {
            own_account_id: sources.own_account_id.clone(),
            upstream: Upstream::new(sources, config.cache, metrics.clone(), config.clock, shared, &config.accounts),
            accounts: config.accounts,
            frontend: config.frontend,
            clock: config.clock,
            auth: config.auth,
            limits: config.limits,
            rate_limit: RateLimit::per_minute(config.rate_limit_per_minute),
            metrics,
        }
    }
}
