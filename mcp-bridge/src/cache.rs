//! The per-principal result cache: a tool's answer kept for a short time
//! under (principal, tool, arguments, day), so a question asked again — by
//! the same assistant, or by another client of the same principal — is
//! answered without the database.
//!
//! - **Never shared across principals**: the principal is part of the key, and
//!   an answer is stored only after the database produced it under that
//!   principal's identity (RLS applied).
//! - **Bounded staleness**: an entry lives `ttl` at most (default 30 s; 0 turns
//!   the cache off). Writes to the database, a principal's stores changed or a
//!   principal deactivated show up within `ttl`. The UTC day is in the key, so
//!   relative periods ("last_30_days") never outlive their day.
//! - **Bounded memory**: entries are weighed by the size of their JSON; the
//!   cache holds at most `max_bytes`.
//! - Failures and cancelled calls are never stored. `get_current_utc_date` is
//!   never cached; `execute_sales_query` only when enabled (its SQL is free
//!   text, and answers can be large).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use moka::future::Cache;
use serde_json::Value;
use uuid::Uuid;

#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct Key {
    principal: Uuid,
    tool: &'static str,
    /// The parsed arguments, normalised (`Debug` of the argument struct: key
    /// order, whitespace and escapes of the request do not matter).
    args: String,
    /// Days since 1970-01-01, UTC.
    day: u64,
}

#[derive(Clone)]
struct Entry {
    value: Arc<Value>,
    bytes: u32,
}

pub struct ResultCache {
    entries: Cache<Key, Entry>,
    /// Whether `execute_sales_query` answers are cached.
    pub sales_queries: bool,
}

fn today() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() / 86_400).unwrap_or(0)
}

impl ResultCache {
    /// `None` (no cache) when `ttl` or `max_bytes` is zero.
    pub fn new(ttl: Duration, max_bytes: u64, sales_queries: bool) -> Option<ResultCache> {
        if ttl.is_zero() || max_bytes == 0 {
            return None;
        }
        let entries = Cache::builder()
            .max_capacity(max_bytes)
            .weigher(|k: &Key, e: &Entry| e.bytes.saturating_add(u32::try_from(k.args.len()).unwrap_or(u32::MAX)))
            .time_to_live(ttl)
            .build();
        Some(ResultCache { entries, sales_queries })
    }

    pub async fn get(&self, principal: Uuid, tool: &'static str, args: &str) -> Option<Arc<Value>> {
        let key = Key { principal, tool, args: args.to_owned(), day: today() };
        self.entries.get(&key).await.map(|e| e.value)
    }

    pub async fn insert(&self, principal: Uuid, tool: &'static str, args: String, value: Arc<Value>) {
        // The size of the answer as sent: what the entry costs to keep.
        let bytes = serde_json::to_vec(&*value).map_or(u32::MAX, |v| u32::try_from(v.len()).unwrap_or(u32::MAX));
        let key = Key { principal, tool, args, day: today() };
        self.entries.insert(key, Entry { value, bytes }).await;
    }

    /// Entries and their weight in bytes (approximate: eviction runs lazily).
    pub fn size(&self) -> (u64, u64) {
        (self.entries.entry_count(), self.entries.weighted_size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn answers_are_kept_per_principal_tool_and_arguments() {
        let cache = ResultCache::new(Duration::from_secs(30), 1 << 20, false).expect("a cache");
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        cache.insert(a, "get_store_performance", "x".into(), Arc::new(json!({"revenue": 1}))).await;
        assert_eq!(cache.get(a, "get_store_performance", "x").await.as_deref(), Some(&json!({"revenue": 1})));
        assert!(cache.get(b, "get_store_performance", "x").await.is_none(), "another principal never sees it");
        assert!(cache.get(a, "get_top_products", "x").await.is_none(), "another tool");
        assert!(cache.get(a, "get_store_performance", "y").await.is_none(), "other arguments");
    }

    #[tokio::test]
    async fn entries_expire_and_a_zero_ttl_is_no_cache() {
        assert!(ResultCache::new(Duration::ZERO, 1 << 20, false).is_none());
        assert!(ResultCache::new(Duration::from_secs(1), 0, false).is_none());
        let cache = ResultCache::new(Duration::from_millis(50), 1 << 20, false).expect("a cache");
        let p = Uuid::from_u128(1);
        cache.insert(p, "t", "x".into(), Arc::new(json!(1))).await;
        assert!(cache.get(p, "t", "x").await.is_some());
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert!(cache.get(p, "t", "x").await.is_none(), "gone after its time to live");
    }

    #[tokio::test]
    async fn memory_is_bounded_by_the_answers_size() {
        let cache = ResultCache::new(Duration::from_secs(30), 10_000, false).expect("a cache");
        let p = Uuid::from_u128(1);
        let big = Arc::new(json!("x".repeat(3_000)));
        for i in 0..20 {
            cache.insert(p, "t", format!("{i}"), big.clone()).await;
        }
        cache.entries.run_pending_tasks().await;
        let (entries, bytes) = cache.size();
        assert!(bytes <= 10_000, "{bytes} bytes kept");
        assert!((1..=3).contains(&entries), "{entries} entries of ~3 kB each in 10 kB");
    }
}
