//! What a running tlswatch is configured with, and every default in one
//! place: the command line (`main.rs`) starts from [`Config::default`] for
//! its defaults, and so do the tests and the bench.

use std::path::PathBuf;

use tlswatch_shared::Region;

use crate::accounts::{Accounts, Regions};
use crate::auth::Auth;
use crate::cache::{CacheConfig, FRESH_TTL, SharedCacheConfig};
use crate::limits::Limits;
use crate::source::cloudwatch::CallPolicy;

/// Everything but the metric source, which is built from it.
pub struct Config {
    /// The accounts read, each in its regions; the first is the default.
    pub accounts: Accounts,
    /// The built frontend (`dist/`), if there is one.
    pub frontend: Option<PathBuf>,
    pub cache: CacheConfig,
    /// The cache shared by replicas (`--cache-url`), second behind this
    /// process's; `None`: this process's cache only.
    pub shared_cache: Option<SharedCacheConfig>,
    pub limits: Limits,
    /// Requests per minute per client address; 0 turns the limit off.
    pub rate_limit_per_minute: u32,
    /// Timeouts and retries of CloudWatch calls.
    pub call_policy: CallPolicy,
    pub auth: Auth,
    /// The current time in epoch seconds; a function so tests can set it.
    pub clock: fn() -> i64,
}

/// Cached answers get 64 MiB unless told otherwise: about a thousand
/// day-long views of ten series at one-minute buckets.
pub const DEFAULT_CACHE_MIB: u64 = 64;
/// Concurrent CloudWatch calls: CloudWatch's own limits are per second and
/// generous, and eight keeps a burst of cold views from queueing long.
pub const DEFAULT_MAX_UPSTREAM_CALLS: usize = 8;
/// Requests a minute per client: a dashboard refreshing every minute with
/// its pickers makes a handful; 600 leaves room for scripts.
pub const DEFAULT_RATE_LIMIT_PER_MINUTE: u32 = 600;

impl Default for Config {
    fn default() -> Self {
        Self {
            accounts: Accounts::own(Regions::single(Region::parse("us-east-1").expect("a valid region"))),
            frontend: None,
            cache: CacheConfig {
                max_bytes: DEFAULT_CACHE_MIB << 20,
                max_upstream_calls: DEFAULT_MAX_UPSTREAM_CALLS,
                fresh_ttl: FRESH_TTL,
            },
            shared_cache: None,
            limits: Limits::default(),
            rate_limit_per_minute: DEFAULT_RATE_LIMIT_PER_MINUTE,
            call_policy: CallPolicy::default(),
            auth: Auth::open(),
            clock: system_clock,
        }
    }
}

/// The current time from the system clock, in epoch seconds.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}
