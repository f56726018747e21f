//! What a running tlswatch is configured with, and every default in one
//! place: the command line (`main.rs`) starts from [`Config::default`] for
//! its defaults, and so do the tests and the bench.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::Duration;

use tlswatch_shared::Region;

use crate::accounts::{Accounts, Regions};
use crate::auth::Auth;
use crate::cache::{CacheSettings, Lifetimes, SharedCacheAddress};
use crate::hosts::AllowedHosts;
use crate::identity::Readers;
use crate::limits::Limits;
use crate::serve::ConnectionLimits;
use crate::source::aws::CallPolicy;
use crate::source::probe::AllowList;

/// Everything but the metric source, which is built from it.
pub struct Config {
    /// The accounts read, each in its regions; the first is the default.
    pub accounts: Accounts,
    /// The built frontend (`dist/`), if there is one.
    pub frontend: Option<PathBuf>,
    pub cache: CacheSettings,
    /// The cache shared by replicas (`--cache-url`), second behind this
    /// process's; `None`: this process's cache only.
    pub shared_cache: Option<SharedCacheAddress>,
    pub limits: Limits,
    pub connections: ConnectionLimits,
    /// Requests per minute per user (per client address where nobody logs
    /// in), and password checks per minute per address; 0 turns both off.
    pub rate_limit_per_minute: u32,
    /// Who may read `/metrics` on the main listener (`--metrics-readers`);
    /// everyone by default, for a loopback address without authentication.
    pub metrics_readers: Readers,
    /// Timeouts and retries of AWS calls.
    pub call_policy: CallPolicy,
    /// The target probe: which addresses, how many at once, how often.
    pub probe: ProbeSettings,
    pub auth: Auth,
    /// The names answered without authentication (the listener's and
    /// `--allowed-host`); with authentication, every name is.
    pub hosts: AllowedHosts,
    /// The current time in epoch seconds; a function so tests can set it.
    pub clock: fn() -> i64,
}

/// The target probe's settings.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// The only addresses ever probed (`--probe-targets`); empty: the probe is off.
    pub allow: AllowList,
    /// Targets handshaken with at once, across all requests (`--probe-concurrency`).
    pub concurrency: usize,
    /// Probe requests per minute per user (per address where nobody logs in); 0: no limit.
    pub per_minute: u32,
}

/// Where tlswatch listens unless told (`--listen`).
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The region served when neither `--region` nor the AWS environment
/// names one.
pub const DEFAULT_REGION: &str = "us-east-1";

impl Default for Config {
    fn default() -> Self {
        Self {
            accounts: Accounts::own(Regions::single(Region::parse(DEFAULT_REGION).expect("a valid region"))),
            frontend: None,
            cache: CacheSettings {
                // About a thousand day-long views of ten series at one-minute buckets.
                max_bytes: 64 << 20,
                // CloudWatch's own limits are per second and generous; this
                // keeps a burst of cold views from queueing long.
                max_upstream_calls: 8,
                lifetimes: Lifetimes {
                    // ALB metrics arrive once a minute.
                    fresh: Duration::from_secs(60),
                    final_buckets: Duration::from_secs(3_600),
                    list: Duration::from_secs(300),
                    load_balancer: Duration::from_secs(300),
                    policy: DAY,
                    probe: Duration::from_secs(300),
                    outcome: DAY,
                    last_good: DAY,
                },
            },
            shared_cache: None,
            limits: Limits {
                max_url_bytes: 8_192,
                max_header_bytes: MAX_HEADER_BYTES,
                max_series: tlswatch_shared::catalog::MAX_SERIES,
                // 100 series of 5,000 buckets (17 days at five minutes): about
                // 8 MB of JSON, and 64 MB while it is built (see `work.rs`).
                max_points: 500_000,
                // Room for a view at --max-points whatever its values.
                max_answer_bytes: 32 << 20,
            },
            // A browser sends its headers at once; a slow link takes a second.
            connections: ConnectionLimits::new(Duration::from_secs(10), MAX_HEADER_BYTES),
            // A dashboard refreshing every minute with its pickers makes a
            // handful a minute; this leaves room for scripts.
            rate_limit_per_minute: 600,
            metrics_readers: Readers::Everyone,
            call_policy: CallPolicy {
                connect_timeout: Duration::from_secs(3),
                attempt_timeout: Duration::from_secs(10),
                call_timeout: Duration::from_secs(25),
                max_attempts: 3,
                // AWS refills an account and region's bucket of Describe
                // calls at 10 a second (40 at most, docs/deploy.md): 4 leaves
                // most of it to the team's own tooling.
                elb_calls_per_second: NonZeroU32::new(4).expect("not zero"),
            },
            probe: ProbeSettings {
                allow: AllowList::default(),
                // A load balancer's connections are many more; this keeps a
                // fleet's probe short without a burst on any one host.
                concurrency: 8,
                // A team pressing the button, not a scanner.
                per_minute: 10,
            },
            auth: Auth::open(),
            hosts: AllowedHosts::new(DEFAULT_LISTEN, &[]).expect("no names to refuse"),
            clock: system_clock,
        }
    }
}

/// The default `--max-header-bytes`.
const MAX_HEADER_BYTES: usize = 16_384;

const DAY: Duration = Duration::from_secs(24 * 3_600);

/// The current time from the system clock, in epoch seconds.
pub fn system_clock() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}
