//! Prometheus metrics: calls by tool and outcome, latency histograms, pool gauges.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    tool: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabel {
    tool: String,
}

/// Why a request was refused authentication (see oauth.rs).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

/// A layer of the result cache (cache.rs).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum CacheLayer {
    /// This process's memory (moka).
    Near,
    /// Redis, shared by every bridge (--cache-url).
    Shared,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LayerLabel {
    layer: String,
}

/// A read replica, by its position in the --replica-url list (0, 1, …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReplicaLabel {
    pub replica: String,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms … ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    calls: Family<CallLabels, Counter>,
    latency: Family<ToolLabel, Histogram, fn() -> Histogram>,
    pub pool_size: Gauge,
    pub pool_available: Gauge,
    pub pool_waiting: Gauge,
    /// Calls waiting for their principal's share (over the per-principal limit).
    pub principal_queue: Gauge,
    /// Time calls wait for a pooled connection.
    pub pool_wait: Histogram,
    /// Result cache: answers served from it, calls that had to ask the
    /// database, and what it holds.
    pub cache_hits: Counter,
    pub cache_misses: Counter,
    pub cache_entries: Gauge,
    pub cache_bytes: Gauge,
    /// Per layer: lookups answered and not (a shared lookup follows a near miss).
    cache_layer_hits: Family<LayerLabel, Counter>,
    cache_layer_misses: Family<LayerLabel, Counter>,
    /// Cacheable calls that skipped the cache: no fresh data version.
    pub cache_bypassed: Counter,
    /// The shared layer: errors and timeouts, bytes written, and whether it is in use.
    pub cache_shared_errors: Counter,
    pub cache_shared_bytes_written: Counter,
    pub cache_shared_up: Gauge,
    /// Read replicas: calls each answered, its replay lag and whether calls
    /// are sent to it.
    pub replica_calls: Family<ReplicaLabel, Counter>,
    pub replica_lag_ms: Family<ReplicaLabel, Gauge>,
    pub replica_in_use: Family<ReplicaLabel, Gauge>,
    /// Requests refused authentication, by reason; fetches of the issuer's keys.
    pub auth_refusals: Family<ReasonLabel, Counter>,
    pub jwks_fetches: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("zava_mcp");
        let calls = Family::<CallLabels, Counter>::default();
        let latency = Family::<ToolLabel, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let (pool_size, pool_available, pool_waiting) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("calls", "Tool calls by tool and outcome", calls.clone());
        registry.register("call_duration_seconds", "Tool call latency", latency.clone());
        registry.register("pool_connections", "Open database connections", pool_size.clone());
        registry.register("pool_available", "Idle database connections", pool_available.clone());
        registry.register("pool_waiting", "Calls waiting for a connection", pool_waiting.clone());
        let principal_queue = Gauge::default();
        registry.register(
            "principal_queue",
            "Calls waiting because their principal has its share of calls running",
            principal_queue.clone(),
        );
        let pool_wait = latency_histogram();
        registry.register("pool_wait_seconds", "Time calls wait for a pooled connection", pool_wait.clone());
        let (cache_hits, cache_misses) = (Counter::default(), Counter::default());
        let (cache_entries, cache_bytes) = (Gauge::default(), Gauge::default());
        registry.register("cache_hits", "Tool calls answered from the result cache", cache_hits.clone());
        registry.register("cache_misses", "Cacheable tool calls the database answered", cache_misses.clone());
        registry.register("cache_entries", "Answers in the result cache", cache_entries.clone());
        registry.register("cache_bytes", "Size of the answers in the result cache", cache_bytes.clone());
        let (cache_layer_hits, cache_layer_misses) =
            (Family::<LayerLabel, Counter>::default(), Family::<LayerLabel, Counter>::default());
        registry.register(
            "cache_layer_hits",
            "Result cache lookups answered, by layer (near: this process; shared: Redis)",
            cache_layer_hits.clone(),
        );
        registry.register(
            "cache_layer_misses",
            "Result cache lookups not answered, by layer",
            cache_layer_misses.clone(),
        );
        let cache_bypassed = Counter::default();
        registry.register(
            "cache_bypassed",
            "Cacheable calls answered by the database without the cache: no fresh data version",
            cache_bypassed.clone(),
        );
        let (cache_shared_errors, cache_shared_bytes_written) = (Counter::default(), Counter::default());
        let cache_shared_up = Gauge::default();
        registry.register(
            "cache_shared_errors",
            "Shared cache (Redis) operations that failed or timed out",
            cache_shared_errors.clone(),
        );
        registry.register(
            "cache_shared_bytes_written",
            "Bytes of answers written to the shared cache",
            cache_shared_bytes_written.clone(),
        );
        registry.register(
            "cache_shared_up",
            "1 when the shared cache (Redis) is in use, else 0",
            cache_shared_up.clone(),
        );
        let replica_calls = Family::<ReplicaLabel, Counter>::default();
        let replica_lag_ms = Family::<ReplicaLabel, Gauge>::default();
        let replica_in_use = Family::<ReplicaLabel, Gauge>::default();
        registry.register("replica_calls", "Tool calls a read replica answered", replica_calls.clone());
        registry.register(
            "replica_lag_ms",
            "How far a read replica's replay is behind (0: it has replayed all it received; -1: unreachable; -2: behind, nothing replayed yet to measure from)",
            replica_lag_ms.clone(),
        );
        registry.register(
            "replica_in_use",
            "1 when calls go to the replica (reachable and within --replica-max-lag-ms), else 0",
            replica_in_use.clone(),
        );
        let (auth_refusals, jwks_fetches) = (Family::<ReasonLabel, Counter>::default(), Counter::default());
        registry.register(
            "auth_refusals",
            "Requests refused authentication: missing, invalid_token, insufficient_scope, not_granted (no principal), unavailable",
            auth_refusals.clone(),
        );
        registry.register("oauth_jwks_fetches", "Fetches of the OAuth issuer's keys (JWKS)", jwks_fetches.clone());
        Metrics {
            registry: Arc::new(registry),
            calls,
            latency,
            pool_size,
            pool_available,
            pool_waiting,
            principal_queue,
            pool_wait,
            cache_hits,
            cache_misses,
            cache_entries,
            cache_bytes,
            cache_layer_hits,
            cache_layer_misses,
            cache_bypassed,
            cache_shared_errors,
            cache_shared_bytes_written,
            cache_shared_up,
            replica_calls,
            replica_lag_ms,
            replica_in_use,
            auth_refusals,
            jwks_fetches,
        }
    }

    pub fn record(&self, tool: &str, outcome: &str, elapsed: Duration) {
        self.calls.get_or_create(&CallLabels { tool: tool.into(), outcome: outcome.into() }).inc();
        self.latency.get_or_create(&ToolLabel { tool: tool.into() }).observe(elapsed.as_secs_f64());
    }

    /// One lookup in a layer of the result cache.
    pub fn cache_layer(&self, layer: CacheLayer, hit: bool) {
        let label = LayerLabel { layer: if layer == CacheLayer::Near { "near" } else { "shared" }.into() };
        if hit { &self.cache_layer_hits } else { &self.cache_layer_misses }.get_or_create(&label).inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_encodes() {
        let m = Metrics::new();
        m.record("execute_sales_query", "ok", Duration::from_millis(3));
        m.record("execute_sales_query", "error", Duration::from_millis(1));
        m.pool_size.set(4);
        let text = m.encode();
        assert!(text.contains(r#"zava_mcp_calls_total{tool="execute_sales_query",outcome="ok"} 1"#), "{text}");
        assert!(text.contains(r#"zava_mcp_call_duration_seconds_count{tool="execute_sales_query"} 2"#), "{text}");
        assert!(text.contains("zava_mcp_pool_connections 4"), "{text}");
    }
}
