//! `zava-bench soak <spec.json>`: many tool calls by several principals at once,
//! through one or more bridges, every answer checked.
//!
//! The spec names the bridges (MCP URLs), how many calls, the phases (calls in
//! flight in each; the calls are split evenly between them) and, per
//! principal, its token, the stores it may see and a few tool calls with the
//! answers the database gives that principal. Worker `w` of a phase is one MCP
//! session of principal `w mod P` on bridge `w mod B`, and cycles through its
//! principal's calls. An answer counts as
//! * a **foreign row** when it names a store the principal may not see (any
//!   `store_id` field, or a `store_id` column of a query result);
//! * a **wrong answer** when it differs from the expected answer;
//! * an **error** when the call failed (an MCP error, a tool error, HTTP).
//!
//! With `"reconnect": true` (bridges behind a load balancer, one of which may
//! go away), a call whose connection failed (also while its answer came) or
//! that got HTTP 404 (session not found), 502 or 503 is counted as
//! **interrupted** instead: the worker opens
//! a new session (through the balancer, on a bridge that is up) and goes on.
//!
//! With `"per_request": true` the workers are per-request clients
//! (2026-07-28: no session; see mcp.rs), so a load balancer may send each call
//! to any bridge, and an interrupted call needs no new session.
//!
//! Prints calls/s, p50 and p99 per phase and the totals; exits 1 unless all
//! three counts are zero.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::mcp::Mcp;

#[derive(Deserialize)]
struct Spec {
    bridges: Vec<String>,
    calls: u64,
    phases: Vec<usize>,
    principals: Vec<Principal>,
    #[serde(default)]
    reconnect: bool,
    #[serde(default)]
    per_request: bool,
}

#[derive(Deserialize)]
struct Principal {
    name: String,
    token: String,
    stores: Vec<String>,
    checks: Vec<Check>,
}

#[derive(Deserialize)]
struct Check {
    tool: String,
    arguments: Value,
    answer: Value,
}

#[derive(Default)]
struct Counts {
    calls: AtomicU64,
    foreign_rows: AtomicU64,
    wrong: AtomicU64,
    errors: AtomicU64,
    interrupted: AtomicU64,
}

pub async fn soak(a: &[String]) {
    let [path] = a else {
        eprintln!("usage: zava-bench soak <spec.json>");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).expect("the soak spec is readable");
    let spec: Arc<Spec> = Arc::new(serde_json::from_str(&text).expect("the soak spec is JSON of the documented shape"));
    assert!(!spec.bridges.is_empty() && !spec.principals.is_empty() && !spec.phases.is_empty());
    assert!(spec.principals.iter().all(|p| !p.checks.is_empty()), "every principal needs a check");
    let counts = Arc::new(Counts::default());
    let phases = spec.phases.len() as u64;
    let started = Instant::now();
    println!("{:>9} {:>9} {:>9} {:>9} {:>9}", "in flight", "calls", "calls/s", "p50 ms", "p99 ms");
    for (i, &workers) in spec.phases.iter().enumerate() {
        // The calls split evenly, the first phases taking the remainder.
        let per_phase = spec.calls / phases + u64::from((i as u64) < spec.calls % phases);
        let next = Arc::new(AtomicU64::new(0));
        let phase_started = Instant::now();
        let mut handles = Vec::new();
        for w in 0..workers {
            let (spec, counts, next) = (spec.clone(), counts.clone(), next.clone());
            handles.push(tokio::spawn(async move { worker(&spec, w, per_phase, &next, &counts).await }));
        }
        let mut lat = Vec::new();
        for h in handles {
            lat.extend(h.await.expect("soak worker"));
        }
        let secs = phase_started.elapsed().as_secs_f64();
        lat.sort();
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1000.0;
        println!(
            "{workers:>9} {:>9} {:>9.0} {:>9.2} {:>9.2}",
            lat.len(),
            lat.len() as f64 / secs,
            pct(0.50),
            pct(0.99)
        );
    }
    let total = counts.calls.load(Ordering::Relaxed);
    let (foreign, wrong, errors, interrupted) = (
        counts.foreign_rows.load(Ordering::Relaxed),
        counts.wrong.load(Ordering::Relaxed),
        counts.errors.load(Ordering::Relaxed),
        counts.interrupted.load(Ordering::Relaxed),
    );
    let reconnects = match (spec.reconnect, spec.per_request) {
        (false, _) => String::new(),
        (true, false) => format!(", {interrupted} interrupted (session opened again)"),
        (true, true) => format!(", {interrupted} interrupted"),
    };
    let clients = if spec.per_request { "per-request clients" } else { "one session each" };
    println!(
        "soak: {total} calls by {} principals ({clients}) through {} bridge(s) in {:.1} s ({:.0} calls/s): \
         {foreign} foreign rows, {wrong} wrong answers, {errors} errors{reconnects}",
        spec.principals.len(),
        spec.bridges.len(),
        started.elapsed().as_secs_f64(),
        total as f64 / started.elapsed().as_secs_f64()
    );
    if foreign + wrong + errors > 0 || total != spec.calls {
        std::process::exit(1);
    }
}

/// One MCP client (a session, or per-request) calling until the phase's calls are taken; its latencies.
async fn worker(spec: &Spec, w: usize, budget: u64, next: &AtomicU64, counts: &Counts) -> Vec<Duration> {
    let p = &spec.principals[w % spec.principals.len()];
    let url = &spec.bridges[w % spec.bridges.len()];
    let stores: HashSet<&str> = p.stores.iter().map(String::as_str).collect();
    let mut client = Mcp::open(url, &p.token, spec.per_request).await.expect("initialize");
    let mut lat = Vec::new();
    let mut i = w;
    while next.fetch_add(1, Ordering::Relaxed) < budget {
        let check = &p.checks[i % p.checks.len()];
        i += 1;
        let t = Instant::now();
        let answer = client.call_tool(i as u64, &check.tool, &check.arguments).await;
        lat.push(t.elapsed());
        counts.calls.fetch_add(1, Ordering::Relaxed);
        let result = match answer {
            Ok(v) if v["result"]["isError"] != json!(true) && v["result"]["structuredContent"].is_object() => {
                v["result"]["structuredContent"].clone()
            }
            Ok(v) => {
                report(&counts.errors, 1, || format!("{} {}: {v}", p.name, check.tool));
                continue;
            }
            Err(e) if spec.reconnect && interruption(&e) => {
                report(&counts.interrupted, 1, || format!("{} {}: {e} (going on)", p.name, check.tool));
                if let Err(e) = reopen(&mut client).await {
                    report(&counts.errors, 1, || format!("{}: no new session: {e}", p.name));
                    return lat;
                }
                continue;
            }
            Err(e) => {
                report(&counts.errors, 1, || format!("{} {}: {e}", p.name, check.tool));
                continue;
            }
        };
        let foreign = foreign_stores(&result, &stores);
        if foreign > 0 {
            report(&counts.foreign_rows, foreign, || format!("{} {}: foreign store in {result}", p.name, check.tool));
        }
        if result != check.answer {
            report(&counts.wrong, 1, || format!("{} {}: got {result}, expected {}", p.name, check.tool, check.answer));
        }
    }
    lat
}

/// Counts `n` failures of one kind and prints the first few of each kind.
fn report(which: &AtomicU64, n: u64, what: impl FnOnce() -> String) {
    if which.fetch_add(n, Ordering::Relaxed) < 5 {
        eprintln!("soak: {}", what());
    }
}

/// How many store ids in `v` are not in `stores`: `store_id` fields anywhere,
/// and the `store_id` columns of a query result (`columns` + `rows`).
fn foreign_stores(v: &Value, stores: &HashSet<&str>) -> u64 {
    let foreign = |id: &Value| u64::from(id.as_str().is_some_and(|s| !stores.contains(s)));
    match v {
        Value::Object(m) => {
            let mut n = m.get("store_id").map_or(0, foreign);
            if let (Some(Value::Array(cols)), Some(Value::Array(rows))) = (m.get("columns"), m.get("rows")) {
                for (c, col) in cols.iter().enumerate() {
                    if col["name"] == "store_id" {
                        n += rows.iter().map(|r| foreign(&r[c])).sum::<u64>();
                    }
                }
            }
            n + m.iter().filter(|(k, _)| *k != "store_id").map(|(_, x)| foreign_stores(x, stores)).sum::<u64>()
        }
        Value::Array(a) => a.iter().map(|x| foreign_stores(x, stores)).sum(),
        _ => 0,
    }
}

/// What a load balancer shows when a bridge goes away: the connection failed
/// (before or while the answer came), the session is unknown to the bridge
/// now serving it (404), or no bridge answered (502, 503).
fn interruption(e: &str) -> bool {
    ["HTTP: ", "body: ", "HTTP 404", "HTTP 502", "HTTP 503"].iter().any(|s| e.starts_with(s))
}

/// A new session after an interruption: tries for up to 10 s.
async fn reopen(client: &mut Mcp) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..100 {
        match client.reopen().await {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_stores_are_counted_in_fields_and_query_columns() {
        let mine: HashSet<&str> = ["a"].into_iter().collect();
        assert_eq!(foreign_stores(&json!({"store_id": "a", "x": [{"store_id": "a"}]}), &mine), 0);
        assert_eq!(foreign_stores(&json!({"store_id": "b", "x": [{"store_id": "c"}]}), &mine), 2);
        let q = json!({"columns": [{"name": "n"}, {"name": "store_id"}], "rows": [[1, "a"], [2, "b"], [3, "b"]]});
        assert_eq!(foreign_stores(&q, &mine), 2);
        assert_eq!(foreign_stores(&json!({"columns": [{"name": "store_id"}], "rows": [["a"]]}), &mine), 0);
    }
}
