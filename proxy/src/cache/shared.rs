//! The second level behind the in-process store, shared by replicas
//! (`--cache-url`): a Redis-protocol server (Valkey or Redis) through the
//! `redis` crate's connection manager, which reconnects by itself.
//!
//! A replica that misses both levels takes a short lease on the key
//! (`SET NX PX`) and fetches; the others poll for the value it stores
//! instead of calling the source, for at most the upstream timeout (the
//! lease's lifetime too, so the lease of a replica that died expires and a
//! waiter takes it over). The shared cache never fails a view: an error,
//! a slow answer or a value that does not decode is counted and logged
//! once, and the replica answers from its own cache and the source, then
//! tries the shared cache again a second later.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::metrics::{Metrics, SharedCacheLabels};
use crate::source::SourceError;

/// The start of every key: the name and the layout version of the values.
/// A change of layout bumps it, so a replica never reads what another
/// version wrote.
pub const KEY_PREFIX: &str = "tlswatch:v2:";
/// Longest a single command to the shared cache may take before the replica
/// goes without it: a healthy server answers in a millisecond.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(1_000);
/// How long a replica goes without the shared cache after it failed.
const RETRY_AFTER: Duration = Duration::from_millis(1_000);
/// How often a replica waiting on another's lease looks for the value.
const POLL_EVERY: Duration = Duration::from_millis(25);
/// Releases a lease only if it is still ours (it may have expired and been
/// taken by another replica).
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// Where the shared cache is: a checked `redis://` or `rediss://` URL.
#[derive(Clone)]
pub struct SharedCacheAddress {
    client: redis::Client,
    /// The URL without its password, for the log.
    shown: String,
}

impl std::fmt::Debug for SharedCacheAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl SharedCacheAddress {
    /// Checks `url` (`redis://[USER:PASSWORD@]HOST:PORT[/DB]`, or
    /// `rediss://` for TLS) without connecting.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let scheme_ok = url.starts_with("redis://") || url.starts_with("rediss://");
        if !scheme_ok {
            return Err(format!("{:?} is not a redis:// or rediss:// URL", redacted(url)));
        }
        let client = redis::Client::open(url).map_err(|err| format!("{:?} is not usable: {err}", redacted(url)))?;
        Ok(Self { client, shown: redacted(url) })
    }

    /// The URL with any password hidden.
    pub fn shown(&self) -> &str {
        &self.shown
    }
}

/// `url` with the user information before `@` hidden.
fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://***{}", &url[at..]),
        _ => url.to_string(),
    }
}

/// The shared cache of a replica.
pub struct SharedCache {
    connection: ConnectionManager,
    metrics: Arc<Metrics>,
    /// How long a lease lasts, and how long a replica waits on another's.
    lease: Duration,
    /// Until when the shared cache is left alone after a failure.
    resting_until: Mutex<Option<Instant>>,
    /// Whether the last command failed (so a failure is logged once).
    failing: AtomicBool,
    /// Makes lease tokens unique within this replica.
    leases_taken: AtomicU64,
    /// Makes lease tokens unique between replicas.
    replica: u64,
    release: redis::Script,
}

/// The shared cache did not answer usefully; the replica goes without it.
#[derive(Debug)]
pub struct Unavailable;

/// How a replica gets to fetch a key.
enum Turn {
    /// It holds the lease with this token.
    Leased(String),
    /// Without a lease: the shared cache is unavailable, or the wait ended.
    Alone,
}

impl SharedCache {
    /// A shared cache at `address` (connected on first use), whose leases
    /// last `lease` (the upstream timeout). Called within the Tokio runtime,
    /// on which the connection manager runs.
    pub fn new(address: &SharedCacheAddress, lease: Duration, metrics: Arc<Metrics>) -> Self {
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(COMMAND_TIMEOUT))
            .set_response_timeout(Some(COMMAND_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(RETRY_AFTER);
        let connection = ConnectionManager::new_lazy_with_config(address.client.clone(), manager_config)
            .expect("a lazy connection manager without push messages is always built");
        let replica = u64::from(std::process::id()) << 32 | u64::from(rand_seed());
        Self {
            connection,
            metrics,
            lease: lease.max(POLL_EVERY * 4),
            resting_until: Mutex::new(None),
            failing: AtomicBool::new(false),
            leases_taken: AtomicU64::new(0),
            replica,
            release: redis::Script::new(RELEASE),
        }
    }

    /// The value of `key`: from the shared cache when it is there and
    /// decodes, else from `fetch` (run by one replica at a time where the
    /// lease allows), then stored for `ttl`.
    pub async fn load<T>(
        &self,
        key: &str,
        ttl: Duration,
        decode: impl Fn(&[u8]) -> Option<T>,
        encode: impl Fn(&T) -> Vec<u8>,
        fetch: impl Future<Output = Result<T, SourceError>>,
    ) -> Result<T, SourceError> {
        let turn = match self.get_decoded(key, &decode).await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => match self.wait_for_turn(key, &decode).await {
                Ok(value) => return Ok(value),
                Err(turn) => turn,
            },
            Err(Unavailable) => Turn::Alone,
        };
        let fetched = fetch.await;
        if let Ok(value) = &fetched {
            self.store(key, &encode(value), ttl).await;
        }
        if let Turn::Leased(token) = turn {
            // Even when the store just failed: a lease left to expire would
            // hold the other replicas up to the upstream timeout.
            self.release_lease(key, &token).await;
        }
        fetched
    }

    /// Gives up the lease of `key` if `token` still holds it.
    async fn release_lease(&self, key: &str, token: &str) {
        let mut release = self.release.key(lease_key(key));
        release.arg(token);
        let mut connection = self.connection.clone();
        let _ = self.run(release.invoke_async::<i64>(&mut connection)).await;
    }

    /// The value of `key` if the shared cache holds one that decodes;
    /// counts the lookup.
    pub async fn get_decoded<T>(
        &self,
        key: &str,
        decode: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Option<T>, Unavailable> {
        let bytes = self.get(key).await?;
        let value = bytes.as_deref().and_then(|bytes| {
            let value = decode(bytes);
            if value.is_none() {
                tracing::warn!(key, "shared cache value does not decode; treated as a miss and overwritten");
            }
            value
        });
        self.count(if value.is_some() { "hit" } else { "miss" });
        Ok(value)
    }

    /// Takes the lease of `key`, or waits for the replica holding it to
    /// store the value: the value when it came, else the turn to fetch.
    async fn wait_for_turn<T>(&self, key: &str, decode: &impl Fn(&[u8]) -> Option<T>) -> Result<T, Turn> {
        let lease_key = lease_key(key);
        let deadline = Instant::now() + self.lease;
        let mut waited = false;
        loop {
            let token = format!("{:x}-{}", self.replica, self.leases_taken.fetch_add(1, Ordering::Relaxed));
            let set = redis::cmd("SET")
                .arg(&lease_key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(self.lease.as_millis() as u64)
                .to_owned();
            let mut connection = self.connection.clone();
            match self.command(set.query_async::<Option<String>>(&mut connection)).await {
                Ok(Some(_)) => {
                    // The replica that held the lease before may have stored
                    // the value between our look-up and this lease.
                    if let Ok(Some(bytes)) = self.get(key).await
                        && let Some(value) = decode(&bytes)
                    {
                        self.release_lease(key, &token).await;
                        self.count("hit");
                        return Ok(value);
                    }
                    return Err(Turn::Leased(token));
                }
                Ok(None) => {}
                Err(Unavailable) => return Err(Turn::Alone),
            }
            if !waited {
                waited = true;
                self.metrics.shared_cache_lease_waits.inc();
            }
            if Instant::now() + POLL_EVERY > deadline {
                tracing::warn!(key, "waited the upstream timeout for another replica's lease; fetching");
                return Err(Turn::Alone);
            }
            tokio::time::sleep(POLL_EVERY).await;
            match self.get(key).await {
                Ok(Some(bytes)) => {
                    if let Some(value) = decode(&bytes) {
                        self.count("hit");
                        return Ok(value);
                    }
                }
                Ok(None) => {}
                Err(Unavailable) => return Err(Turn::Alone),
            }
        }
    }

    /// Stores `bytes` under `key` for `ttl`.
    pub async fn store(&self, key: &str, bytes: &[u8], ttl: Duration) {
        let set = redis::cmd("SET").arg(key).arg(bytes).arg("PX").arg(ttl.as_millis().max(1) as u64).to_owned();
        let mut connection = self.connection.clone();
        let _ = self.command(set.query_async::<()>(&mut connection)).await;
    }

    /// Stores each of `entries` (key, bytes) for `ttl`, in one round trip.
    pub async fn store_many(&self, entries: &[(String, Vec<u8>)], ttl: Duration) {
        if entries.is_empty() {
            return;
        }
        let mut pipe = redis::pipe();
        for (key, bytes) in entries {
            pipe.cmd("SET").arg(key).arg(bytes).arg("PX").arg(ttl.as_millis().max(1) as u64).ignore();
        }
        let mut connection = self.connection.clone();
        let _ = self.command(pipe.query_async::<()>(&mut connection)).await;
    }

    /// The values of `keys` that the shared cache holds and that decode, in
    /// one round trip; counts each lookup.
    pub async fn get_many_decoded<T>(
        &self,
        keys: &[String],
        decode: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Vec<Option<T>>, Unavailable> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let get = redis::cmd("MGET").arg(keys).to_owned();
        let mut connection = self.connection.clone();
        let found = self.command(get.query_async::<Vec<Option<Vec<u8>>>>(&mut connection)).await?;
        let values: Vec<Option<T>> = found.iter().map(|bytes| bytes.as_deref().and_then(&decode)).collect();
        for value in &values {
            self.count(if value.is_some() { "hit" } else { "miss" });
        }
        Ok(values)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Unavailable> {
        let get = redis::cmd("GET").arg(key).to_owned();
        let mut connection = self.connection.clone();
        self.command(get.query_async::<Option<Vec<u8>>>(&mut connection)).await
    }

    /// Runs one command unless the shared cache is resting after a failure;
    /// a failure (or a command slower than [`COMMAND_TIMEOUT`]) is counted,
    /// logged when it starts, and rests the shared cache for a second.
    async fn command<T>(&self, command: impl Future<Output = redis::RedisResult<T>>) -> Result<T, Unavailable> {
        {
            let mut resting = self.resting_until.lock().expect("not poisoned");
            match *resting {
                Some(until) if Instant::now() < until => return Err(Unavailable),
                Some(_) => *resting = None,
                None => {}
            }
        }
        self.run(command).await
    }

    /// Runs one command, resting or not, and counts its failure.
    async fn run<T>(&self, command: impl Future<Output = redis::RedisResult<T>>) -> Result<T, Unavailable> {
        let failure = match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
            Ok(Ok(value)) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("shared cache answers again; using it");
                }
                return Ok(value);
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!("no answer within {COMMAND_TIMEOUT:?}"),
        };
        self.metrics.shared_cache_errors.inc();
        *self.resting_until.lock().expect("not poisoned") = Some(Instant::now() + RETRY_AFTER);
        if !self.failing.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                error = %failure,
                "shared cache unavailable: answering from this replica's cache and the source until it is back"
            );
        }
        Err(Unavailable)
    }

    fn count(&self, outcome: &'static str) {
        self.metrics.shared_cache.get_or_create(&SharedCacheLabels { outcome }).inc();
    }
}

/// The key of the lease on `key`.
fn lease_key(key: &str) -> String {
    format!("{key}:lease")
}

/// A little entropy for lease tokens, from the clock.
fn rand_seed() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.subsec_nanos())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_passwords_never_shown() {
        let address = SharedCacheAddress::from_url("redis://user:secret@cache.internal:6379/2").unwrap();
        assert_eq!(address.shown(), "redis://***@cache.internal:6379/2");
        assert!(!format!("{address:?}").contains("secret"));
        assert!(SharedCacheAddress::from_url("rediss://cache.internal:6380").is_ok());
        let refused = SharedCacheAddress::from_url("http://:secret@cache.internal").unwrap_err();
        assert!(refused.contains("redis://") && !refused.contains("secret"), "{refused}");
    }
}
