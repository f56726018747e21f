//! The soak: load and faults at once. Three replicas sharing one
//! `redis-server`, two accounts (the own identity and a role assumed through
//! moto's STS) in two regions, moto behind the test upstream, HTTP Basic
//! with one reader per account; 64 clients over keep-alive while the faults
//! of `faults.rs` happen. Every answer is checked as it comes (`checks.rs`);
//! after the faults every replica must answer fresh again within 30 s.
//!
//! `cargo xtask soak` runs it for minutes and writes its figures to
//! docs/benchmarks.md; `tests/tests/soak.rs` runs it for about 30 seconds
//! in every `cargo xtask test`, failing on any wrong answer.

mod checks;
mod faults;
mod fleet;
mod replicas;
mod report;
mod traffic;

use std::ffi::OsString;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::cloudtrail::CloudTrailServer;
use crate::shared_cache::RedisServer;
use crate::upstream::{GET_METRIC_DATA, TestUpstream};
use crate::{Moto, now, temp_file};
pub use report::Outcome;

/// Replicas behind the clients.
const REPLICAS: usize = 3;
/// How long after the faults end every replica must answer fresh again.
const RECOVERY: Duration = Duration::from_secs(30);
/// The share of the run the faults take, from its start.
const FAULTS_SHARE: f64 = 0.65;

/// How big and how long a soak is.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub duration: Duration,
    pub clients: usize,
    /// Load balancers every account has in every region.
    pub balancers: usize,
    /// Statistics asked (Sum first).
    pub stats: usize,
    /// Ranges asked per period.
    pub ranges: i64,
    /// Each replica's `--cache-mib`.
    pub cache_mib: u32,
}

impl Settings {
    /// The bench's: about 200 distinct series views.
    pub fn bench(minutes: u64) -> Self {
        let duration = Duration::from_secs(minutes * 60);
        Self { duration, clients: 64, balancers: 3, stats: 4, ranges: 2, cache_mib: 64 }
    }

    /// The tests': half a minute, fewer views, every fault once.
    pub fn short() -> Self {
        Self { duration: Duration::from_secs(30), clients: 64, balancers: 2, stats: 2, ranges: 1, cache_mib: 64 }
    }
}

/// Runs a soak and tells what held.
pub async fn run(settings: Settings) -> Outcome {
    let moto = Moto::start();
    let fleet = fleet::Fleet::ending_before(now(), settings.balancers);
    fleet.put(&moto).await;
    let upstream = TestUpstream::start(&moto.endpoint).await;
    let cloudtrail = CloudTrailServer::start().await;
    let redis = RedisServer::start();
    let (args, env) = replica_flags(&settings, &upstream.endpoint, &redis.url(), &cloudtrail.endpoint);
    let replicas = tokio::task::block_in_place(|| replicas::Replicas::start_all(REPLICAS, args, env));
    let views = fleet::views(&fleet, settings.stats, settings.ranges);
    let targets = Arc::new(traffic::Targets {
        replicas: replicas.urls(),
        down: (0..REPLICAS).map(|_| AtomicBool::new(false)).collect(),
        fleet,
        views,
    });
    let mut parts = faults::Parts { moto, upstream, redis, replicas, targets: targets.clone(), fleet };

    let started = Instant::now();
    let traffic = tokio::spawn(traffic::run(targets.clone(), settings.clients, started + settings.duration));
    let done = parts.inject(started, settings.duration.mul_f64(FAULTS_SHARE)).await;
    let recovery = recover(&targets).await;
    let tally = traffic.await.expect("the clients ran");
    let elapsed = started.elapsed();
    let calls = parts.upstream.calls(GET_METRIC_DATA);
    let instances = parts.replicas.finish().await;
    Outcome { settings, elapsed, tally, steps: done.steps, recovery, calls, instances }
}

/// After the faults: how long each replica took to answer each account's
/// unasked view fresh and right.
async fn recover(targets: &traffic::Targets) -> Vec<Result<Duration, String>> {
    let mut waits = Vec::new();
    for (replica, url) in targets.replicas.iter().enumerate() {
        for account in 0..fleet::ACCOUNTS.len() {
            let view = fleet::unasked_view(&targets.fleet, replica, account);
            waits.push(async move { traffic::until_fresh(url, &view, RECOVERY).await });
        }
    }
    futures::future::join_all(waits).await
}

/// The replicas' flags and environment: the accounts file and htpasswd
/// file of the two readers, the shared cache, short upstream timeouts (a
/// hang is a 504 in seconds), no request rate limit (64 clients share two
/// users), `/metrics` on a loopback listener of its own, and the fleet's
/// background passes every 10 s.
fn replica_flags(
    settings: &Settings,
    upstream: &str,
    cache: &str,
    cloudtrail: &str,
) -> (Vec<String>, Vec<(String, OsString)>) {
    let mut htpasswd = String::new();
    let mut accounts = String::from("own_identity = true\n");
    for account in &fleet::ACCOUNTS {
        let hash = bcrypt::hash(fleet::PASSWORD, 4).expect("a bcrypt hash");
        htpasswd.push_str(&format!("{}:{hash}\n", account.user));
        accounts.push_str(&format!("\n[[account]]\nname = \"{}\"\nusers = [\"{}\"]\n", account.name, account.user));
        if let Some(role) = account.role {
            accounts.push_str(&format!("role_arn = \"{role}\"\n"));
        }
    }
    let htpasswd = temp_file("soak.htpasswd", &htpasswd);
    let accounts = temp_file("soak-accounts.toml", &accounts);
    let regions = fleet::REGIONS.join(",");
    let args = [
        "--source",
        "cloudwatch",
        "--endpoint-url",
        upstream,
        "--region",
        &regions,
        "--accounts",
        &accounts.to_string_lossy(),
        "--htpasswd",
        &htpasswd.to_string_lossy(),
        "--cache-url",
        cache,
        "--cache-mib",
        &settings.cache_mib.to_string(),
        "--rate-limit",
        "0",
        "--upstream-timeout",
        "6",
        "--upstream-attempt-timeout",
        "2",
        "--metrics-listen",
        "127.0.0.1:0",
        "--fleet-refresh-seconds",
        "10",
    ]
    .map(str::to_string)
    .to_vec();
    let env = vec![("AWS_ENDPOINT_URL_CLOUDTRAIL".to_string(), OsString::from(cloudtrail))];
    (args, env)
}
