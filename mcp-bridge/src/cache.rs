//! The result cache: a tool's answer kept under (principal, tool, arguments,
//! day, data version), in two layers — this process's memory (moka, the near
//! cache) and, with `--cache-url`, a Redis every bridge shares — so a question
//! asked again, on any bridge, is answered without the database.
//!
//! - **Never shared across principals**: the principal is part of the key, and
//!   an answer is stored only after the database produced it under that
//!   principal's identity (RLS applied). In Redis the key is a SHA-256 of every
//!   part, each prefixed with its length, so no crafted argument can form
//!   another principal's (or another question's) key.
//! - **Fresh**: the key holds the principal's data version
//!   (`zava.cache_versions()`, read by every bridge once a second), which
//!   changes with every committed write to the principal's stores, the stock,
//!   the customers, the catalog or who sees what. A write is in every bridge's
//!   cached answers within about 1–2 s (the poll, plus the merger's interval
//!   for sales). Without a version younger than [`VERSIONS_FRESH`] — the
//!   database unreachable, or an extension older than 0.12.0 — nothing is
//!   read from or written to the cache. The time to live (`ttl`) is a safety
//!   bound only. The UTC day is in the key, so relative periods
//!   ("last_30_days") never outlive their day.
//! - **Only the primary's answers are stored**: a read replica may not have
//!   replayed a write the version already counts.
//! - **Bounded memory**: entries are weighed by the size of their JSON; the near
//!   cache holds at most `max_bytes`, and an answer over `max_entry_bytes` is
//!   not cached at all.
//! - **Redis never fails a call**: each operation has a deadline of a few
//!   milliseconds; an error or a timeout turns the shared layer off for a
//!   second (a warning and the `cache_shared_up` gauge say so), calls are
//!   answered by the near cache and the database, and it comes back by itself.
//! - Failures and cancelled calls are never stored. `get_current_utc_date` is
//!   never cached; `execute_sales_query` only when enabled (its SQL reads any
//!   table, so its freshness is bounded by the versions of sales, stock,
//!   customers and the catalog — every table a tenant can read).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moka::future::Cache;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics::{CacheLayer, Metrics};

/// A version read longer ago than this is not used (the poll runs every second).
pub const VERSIONS_FRESH: Duration = Duration::from_secs(3);
/// How long the shared layer stays off after an error or a timeout.
const SHARED_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct Key {
    principal: Uuid,
    tool: &'static str,
    /// The parsed arguments, normalised (`Debug` of the argument struct: key
    /// order, whitespace and escapes of the request do not matter).
    args: String,
    /// Days since 1970-01-01, UTC.
    day: u64,
    /// The principal's data version (`zava.cache_versions()`).
    version: Arc<str>,
}

impl Key {
    /// The key in the shared cache: every part length-prefixed, then hashed
    /// (fixed length; reveals no principal, tool or argument).
    fn shared(&self) -> String {
        let mut h = Sha256::new();
        let day = self.day.to_be_bytes();
        let parts: [&[u8]; 5] =
            [self.principal.as_bytes(), self.tool.as_bytes(), self.args.as_bytes(), &day, self.version.as_bytes()];
        for part in parts {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let digest = h.finalize();
        let mut key = String::with_capacity(16 + 64);
        key.push_str("zava:answer:v1:");
        for b in digest {
            key.push_str(&format!("{b:02x}"));
        }
        key
    }
}

#[derive(Clone)]
struct Entry {
    value: Arc<Value>,
    bytes: u32,
}

fn today() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 86_400).unwrap_or(0)
}

/// When the versions were read, and each active principal's.
type VersionState = (Option<Instant>, HashMap<Uuid, Arc<str>>);

/// Each active principal's data version, as last read from the database.
#[derive(Default)]
pub struct Versions {
    state: RwLock<VersionState>,
}

impl Versions {
    /// The principal's version, if read within [`VERSIONS_FRESH`].
    pub fn of(&self, principal: Uuid) -> Option<Arc<str>> {
        let state = self.state.read().unwrap_or_else(|e| e.into_inner());
        let (read_at, versions) = &*state;
        read_at.filter(|t| t.elapsed() <= VERSIONS_FRESH).and_then(|_| versions.get(&principal).cloned())
    }

    pub fn set(&self, rows: Vec<(Uuid, String)>) {
        let versions = rows.into_iter().map(|(p, v)| (p, Arc::from(v))).collect();
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = (Some(Instant::now()), versions);
    }

    /// When the versions were last read (None: never).
    pub fn age(&self) -> Option<Duration> {
        self.state.read().unwrap_or_else(|e| e.into_inner()).0.map(|t| t.elapsed())
    }
}

/// The shared layer's state, for /readyz.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharedState {
    /// Connected, and the last operation worked.
    Up,
    /// Not in use now, and why (not connected yet, refused, failing, slow).
    Down(String),
}

/// Redis, shared by every bridge: a connection manager (it reconnects by
/// itself) behind a circuit breaker.
pub struct SharedCache {
    /// `redis://host:port/db` without credentials, for logs and /readyz.
    pub target: String,
    conn: Mutex<Option<ConnectionManager>>,
    /// When set: off until then, and why.
    paused: Mutex<Option<(Instant, String)>>,
    timeout: Duration,
    metrics: Metrics,
}

impl SharedCache {
    /// Connects in the background (retrying every few seconds until it
    /// succeeds or `stop`): the bridge never waits for Redis to start.
    pub fn start(url: &str, timeout: Duration, metrics: Metrics, stop: CancellationToken) -> Result<Arc<Self>, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--cache-url: {e}"))?;
        let info = client.get_connection_info();
        let target = format!(
            "{}://{}/{}",
            if url.starts_with("rediss:") { "rediss" } else { "redis" },
            info.addr(),
            info.redis_settings().db()
        );
        let cache = Arc::new(SharedCache {
            target,
            conn: Mutex::new(None),
            paused: Mutex::new(Some((far_future(), "connecting".into()))),
            timeout,
            metrics,
        });
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        tokio::spawn({
            let cache = cache.clone();
            async move {
                let mut said = String::new();
                loop {
                    match ConnectionManager::new_with_config(client.clone(), config.clone()).await {
                        Ok(conn) => {
                            *cache.conn.lock().unwrap_or_else(|e| e.into_inner()) = Some(conn);
                            *cache.paused.lock().unwrap_or_else(|e| e.into_inner()) = None;
                            cache.metrics.cache_shared_up.set(1);
                            tracing::info!(target = %cache.target, "shared cache connected");
                            return cache.probe_while_down(stop).await;
                        }
                        Err(e) => {
                            let why = e.to_string();
                            if why != said {
                                tracing::warn!(target = %cache.target, error = %why,
                                    "shared cache unavailable: answers come from the near cache and the database; retrying every 5 s");
                                said = why.clone();
                            }
                            *cache.paused.lock().unwrap_or_else(|e| e.into_inner()) = Some((far_future(), why));
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.cancelled() => return,
                    }
                }
            }
        });
        Ok(cache)
    }

    /// While the layer is off and no call tries it, a PING each second, so it
    /// comes back (and /readyz says so) without waiting for traffic.
    async fn probe_while_down(&self, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(SHARED_PAUSE) => {}
                _ = stop.cancelled() => return,
            }
            let Some(mut conn) = self.conn() else { continue };
            if self.state() == SharedState::Up {
                continue;
            }
            let _ = self.run::<String>(&mut conn, &redis::cmd("PING"), Duration::from_secs(1)).await;
        }
    }

    /// One command within `deadline`; a failure or a timeout pauses the layer
    /// (`failed`), an answer ends a pause (`worked`).
    async fn run<T: redis::FromRedisValue>(
        &self,
        conn: &mut ConnectionManager,
        cmd: &redis::Cmd,
        deadline: Duration,
    ) -> Option<T> {
        match tokio::time::timeout(deadline, cmd.query_async::<T>(conn)).await {
            Ok(Ok(v)) => {
                self.worked();
                Some(v)
            }
            Ok(Err(e)) => {
                self.failed(e.to_string());
                None
            }
            Err(_) => {
                self.failed(format!("no answer within {} ms", deadline.as_millis()));
                None
            }
        }
    }

    /// Down from a failure until an operation works again.
    pub fn state(&self) -> SharedState {
        match &*self.paused.lock().unwrap_or_else(|e| e.into_inner()) {
            Some((_, why)) => SharedState::Down(why.clone()),
            None => SharedState::Up,
        }
    }

    /// The connection, unless the layer is paused (a second after a failure;
    /// then one operation tries again).
    fn conn(&self) -> Option<ConnectionManager> {
        if let Some((until, _)) = &*self.paused.lock().unwrap_or_else(|e| e.into_inner())
            && Instant::now() < *until
        {
            return None;
        }
        self.conn.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn failed(&self, why: String) {
        self.metrics.cache_shared_errors.inc();
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        if paused.is_none() {
            tracing::warn!(target = %self.target, error = %why,
                "shared cache off: answers come from the near cache and the database until it answers again");
            self.metrics.cache_shared_up.set(0);
        }
        *paused = Some((Instant::now() + SHARED_PAUSE, why));
    }

    fn worked(&self) {
        let mut paused = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        if paused.take().is_some() {
            tracing::info!(target = %self.target, "shared cache back in use");
        }
        self.metrics.cache_shared_up.set(1);
    }

    /// `None`: not asked (paused or not connected); `Some(None)`: a miss or a failure.
    async fn get(&self, key: &str) -> Option<Option<Vec<u8>>> {
        let mut conn = self.conn()?;
        let mut cmd = redis::cmd("GET");
        cmd.arg(key);
        Some(self.run::<Option<Vec<u8>>>(&mut conn, &cmd, self.timeout).await.flatten())
    }

    /// Stores in the background: the call that computed the answer does not wait.
    fn set(self: &Arc<Self>, key: String, bytes: Vec<u8>, ttl: Duration) {
        let Some(mut conn) = self.conn() else { return };
        let this = self.clone();
        tokio::spawn(async move {
            let n = bytes.len();
            let mut cmd = redis::cmd("SET");
            cmd.arg(&key).arg(bytes).arg("PX").arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
            if this.run::<()>(&mut conn, &cmd, this.timeout * 4).await.is_some() {
                this.metrics.cache_shared_bytes_written.inc_by(n as u64);
            }
        });
    }
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

/// What [`ResultCache::lookup`] found.
pub enum Lookup {
    /// The answer, from one of the layers.
    Hit(Arc<Value>),
    /// Not cached: ask the database, then [`ResultCache::store`] the answer under this slot.
    Miss(Slot),
    /// No fresh data version for this principal: not cacheable now.
    Bypass,
}

/// Where a missed answer goes: its key, and its Redis key when there is a shared layer.
pub struct Slot(Key, Option<String>);

pub struct ResultCache {
    near: Cache<Key, Entry>,
    /// False with `max_bytes` zero: the shared layer alone.
    near_on: bool,
    shared: Option<Arc<SharedCache>>,
    pub versions: Arc<Versions>,
    ttl: Duration,
    max_entry_bytes: usize,
    metrics: Metrics,
    /// Whether `execute_sales_query` answers are cached.
    pub sales_queries: bool,
}

/// What a [`ResultCache`] is made with.
pub struct CacheOptions {
    pub ttl: Duration,
    pub max_bytes: u64,
    pub max_entry_bytes: usize,
    pub sales_queries: bool,
}

impl ResultCache {
    /// `None` (no cache) when `ttl` is zero, or `max_bytes` is zero without a
    /// shared layer; `max_bytes` zero with one: the shared layer alone.
    pub fn new(opts: &CacheOptions, shared: Option<Arc<SharedCache>>, metrics: Metrics) -> Option<ResultCache> {
        if opts.ttl.is_zero() || (opts.max_bytes == 0 && shared.is_none()) {
            return None;
        }
        let near = Cache::builder()
            .max_capacity(opts.max_bytes)
            .weigher(|k: &Key, e: &Entry| e.bytes.saturating_add(u32::try_from(k.args.len()).unwrap_or(u32::MAX)))
            .time_to_live(opts.ttl)
            .build();
        Some(ResultCache {
            near,
            near_on: opts.max_bytes > 0,
            shared,
            versions: Arc::default(),
            ttl: opts.ttl,
            max_entry_bytes: opts.max_entry_bytes,
            metrics,
            sales_queries: opts.sales_queries,
        })
    }

    pub fn shared(&self) -> Option<&Arc<SharedCache>> {
        self.shared.as_ref()
    }

    pub async fn lookup(&self, principal: Uuid, tool: &'static str, args: String) -> Lookup {
        let Some(version) = self.versions.of(principal) else {
            self.metrics.cache_bypassed.inc();
            return Lookup::Bypass;
        };
        let key = Key { principal, tool, args, day: today(), version };
        if self.near_on {
            if let Some(e) = self.near.get(&key).await {
                self.metrics.cache_layer(CacheLayer::Near, true);
                self.metrics.cache_hits.inc();
                return Lookup::Hit(e.value);
            }
            self.metrics.cache_layer(CacheLayer::Near, false);
        }
        let shared_key = self.shared.as_ref().map(|_| key.shared());
        if let (Some(shared), Some(k)) = (&self.shared, &shared_key)
            && let Some(answer) = shared.get(k).await
        {
            let found = answer.and_then(|bytes| {
                let value = serde_json::from_slice::<Value>(&bytes).ok()?;
                Some((value, bytes.len()))
            });
            self.metrics.cache_layer(CacheLayer::Shared, found.is_some());
            if let Some((value, n)) = found {
                let value = Arc::new(value);
                if self.near_on {
                    let bytes = u32::try_from(n).unwrap_or(u32::MAX);
                    self.near.insert(key, Entry { value: value.clone(), bytes }).await;
                    self.sizes();
                }
                self.metrics.cache_hits.inc();
                return Lookup::Hit(value);
            }
        }
        self.metrics.cache_misses.inc();
        Lookup::Miss(Slot(key, shared_key))
    }

    /// Keeps the database's answer in both layers (unless it is too large).
    pub async fn store(&self, slot: Slot, value: Value) {
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        if bytes.is_empty() || bytes.len() > self.max_entry_bytes {
            return;
        }
        let Slot(key, shared_key) = slot;
        if let (Some(shared), Some(k)) = (&self.shared, shared_key) {
            shared.set(k, bytes.clone(), self.ttl);
        }
        if self.near_on {
            let n = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            self.near.insert(key, Entry { value: Arc::new(value), bytes: n }).await;
            self.sizes();
        }
    }

    fn sizes(&self) {
        self.metrics.cache_entries.set(i64::try_from(self.near.entry_count()).unwrap_or(i64::MAX));
        self.metrics.cache_bytes.set(i64::try_from(self.near.weighted_size()).unwrap_or(i64::MAX));
    }

    /// Entries and their weight in bytes (approximate: eviction runs lazily).
    #[cfg(test)]
    fn size(&self) -> (u64, u64) {
        (self.near.entry_count(), self.near.weighted_size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(ttl: Duration, max_bytes: u64) -> CacheOptions {
        CacheOptions { ttl, max_bytes, max_entry_bytes: 1 << 20, sales_queries: false }
    }

    fn cache(ttl: Duration, max_bytes: u64) -> ResultCache {
        ResultCache::new(&opts(ttl, max_bytes), None, Metrics::new()).expect("a cache")
    }

    async fn hit(c: &ResultCache, p: Uuid, tool: &'static str, args: &str) -> Option<Value> {
        match c.lookup(p, tool, args.into()).await {
            Lookup::Hit(v) => Some((*v).clone()),
            _ => None,
        }
    }

    async fn put(c: &ResultCache, p: Uuid, tool: &'static str, args: &str, v: Value) {
        match c.lookup(p, tool, args.into()).await {
            Lookup::Miss(slot) => c.store(slot, v).await,
            Lookup::Hit(_) => panic!("already cached"),
            Lookup::Bypass => panic!("no version for {p}"),
        }
    }

    #[tokio::test]
    async fn answers_are_kept_per_principal_tool_arguments_and_version() {
        let c = cache(Duration::from_secs(30), 1 << 20);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        c.versions.set(vec![(a, "0.0.5.0".into()), (b, "0.0.5.0".into())]);
        put(&c, a, "get_store_performance", "x", json!({"revenue": 1})).await;
        assert_eq!(hit(&c, a, "get_store_performance", "x").await, Some(json!({"revenue": 1})));
        assert!(hit(&c, b, "get_store_performance", "x").await.is_none(), "another principal never sees it");
        assert!(hit(&c, a, "get_top_products", "x").await.is_none(), "another tool");
        assert!(hit(&c, a, "get_store_performance", "y").await.is_none(), "other arguments");
        // A write to a's stores: a new version, so the old answer is not used.
        c.versions.set(vec![(a, "0.0.5.1".into()), (b, "0.0.5.0".into())]);
        assert!(hit(&c, a, "get_store_performance", "x").await.is_none(), "a new data version misses");
    }

    #[tokio::test]
    async fn without_a_fresh_version_nothing_is_cached() {
        let c = cache(Duration::from_secs(30), 1 << 20);
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert!(matches!(c.lookup(a, "t", "x".into()).await, Lookup::Bypass), "no versions read yet");
        c.versions.set(vec![(a, "1".into())]);
        assert!(matches!(c.lookup(b, "t", "x".into()).await, Lookup::Bypass), "a principal with no version (inactive)");
        put(&c, a, "t", "x", json!(1)).await;
        // Versions read longer ago than VERSIONS_FRESH are not used.
        c.versions.state.write().unwrap().0 = Some(Instant::now() - VERSIONS_FRESH - Duration::from_millis(10));
        assert!(matches!(c.lookup(a, "t", "x".into()).await, Lookup::Bypass), "stale versions");
    }

    #[test]
    fn shared_keys_cannot_be_forged_by_arguments() {
        let key = |p: u128, tool: &'static str, args: &str, version: &str| {
            Key { principal: Uuid::from_u128(p), tool, args: args.into(), day: 20_000, version: Arc::from(version) }
                .shared()
        };
        let k = key(1, "get_top_products", "a", "1.0.0.0");
        assert_eq!(k.len(), "zava:answer:v1:".len() + 64);
        assert_eq!(k, key(1, "get_top_products", "a", "1.0.0.0"), "deterministic");
        assert_ne!(k, key(2, "get_top_products", "a", "1.0.0.0"), "principal");
        assert_ne!(k, key(1, "get_store_performance", "a", "1.0.0.0"), "tool");
        assert_ne!(k, key(1, "get_top_products", "a", "1.0.0.1"), "version");
        // Shifting bytes between parts never forms the same key (each part is
        // length-prefixed): the boundary between arguments and version moved.
        assert_ne!(key(1, "t", "ab", "c"), key(1, "t", "a", "bc"));
        assert_ne!(key(1, "ta", "b", "c"), key(1, "t", "ab", "c"));
    }

    #[tokio::test]
    async fn entries_expire_and_a_zero_ttl_is_no_cache() {
        let m = Metrics::new();
        assert!(ResultCache::new(&opts(Duration::ZERO, 1 << 20), None, m.clone()).is_none());
        assert!(ResultCache::new(&opts(Duration::from_secs(1), 0), None, m).is_none());
        let c = cache(Duration::from_millis(50), 1 << 20);
        let p = Uuid::from_u128(1);
        c.versions.set(vec![(p, "1".into())]);
        put(&c, p, "t", "x", json!(1)).await;
        assert!(hit(&c, p, "t", "x").await.is_some());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(hit(&c, p, "t", "x").await.is_none(), "gone after its time to live");
    }

    #[tokio::test]
    async fn memory_is_bounded_by_the_answers_size() {
        let c = cache(Duration::from_secs(30), 10_000);
        let p = Uuid::from_u128(1);
        c.versions.set(vec![(p, "1".into())]);
        let big = json!("x".repeat(3_000));
        for i in 0..20 {
            put(&c, p, "t", &format!("{i}"), big.clone()).await;
        }
        c.near.run_pending_tasks().await;
        let (entries, bytes) = c.size();
        assert!(bytes <= 10_000, "{bytes} bytes kept");
        assert!((1..=3).contains(&entries), "{entries} entries of ~3 kB each in 10 kB");
    }

    #[tokio::test]
    async fn an_answer_over_the_entry_limit_is_not_kept() {
        let c = ResultCache::new(
            &CacheOptions {
                ttl: Duration::from_secs(30),
                max_bytes: 1 << 20,
                max_entry_bytes: 100,
                sales_queries: false,
            },
            None,
            Metrics::new(),
        )
        .expect("a cache");
        let p = Uuid::from_u128(1);
        c.versions.set(vec![(p, "1".into())]);
        put(&c, p, "t", "big", json!("x".repeat(200))).await;
        put(&c, p, "t", "small", json!("x")).await;
        assert!(hit(&c, p, "t", "big").await.is_none(), "over 100 bytes: not cached");
        assert!(hit(&c, p, "t", "small").await.is_some());
    }
}
