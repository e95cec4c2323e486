//! zava-bench: calls/s and p50/p99 latency of one query asked three ways, at
//! several concurrencies, in the same run:
//!
//! * `mcp`    — `execute_sales_query` through zava-mcp over Streamable HTTP
//!   (one MCP session per worker, bearer token);
//! * `direct` — what the bridge does, from a plain tokio-postgres client:
//!   BEGIN READ ONLY, assert the principal, SET LOCAL ROLE,
//!   `zava.safe_query`, COMMIT, pipelined on one connection per worker;
//! * `raw`    — the SQL alone, prepared, on a login role mapped to the same
//!   principal (same RLS, no gate, no transaction wrapper).
//!
//! Usage: zava-bench <mcp-url> <token> <gateway-db-url> <principal> <raw-db-url> <seconds> <concurrency,...> <sql>
//!
//! Or `zava-bench search <same arguments, the last one a search query>`: the
//! same three ways for product search — `semantic_search_products` over MCP,
//! `zava.semantic_search_products($1)` in the per-call transaction, and the
//! same function call alone (the query's embedding is computed in every call).
//!
//! Or `zava-bench tools <mcp-url> <token> <seconds> <c1,c2,…> <label> <tool> <args-json> <label> <tool> <args-json>`:
//! two MCP tool calls through zava-mcp at each concurrency (calls/s, p50, p99)
//! and how many times the first's throughput the second's is. `<token>` may
//! be two tokens, `first,second`, one for each call (an opaque token against
//! an identity provider's JWT).
//!
//! Or `zava-bench sql <db-url> <seconds> <label> <fast-sql> <reference-sql> [<label> <fast> <reference> …]`:
//! for each pair, calls/s and p50 of the fast query and of its plain-SQL
//! reference over raw rows, whether their answers are identical, and the speed-up.
//!
//! Or `zava-bench soak <spec.json>`: many checked tool calls by several
//! principals through several bridges (see soak.rs).

mod mcp;
mod soak;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio_postgres::NoTls;
use uuid::Uuid;

struct Target {
    mcp_url: String,
    token: String,
    gateway_url: String,
    principal: Uuid,
    raw_url: String,
    sql: String,
    /// `sql` is a product-search query (the search subcommand).
    search: bool,
    /// A tool call's name and arguments (the tools subcommand; MCP only).
    tool: Option<(String, Value)>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Mcp,
    Direct,
    Raw,
}

struct Outcome {
    calls_per_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    first_answer: Value,
}

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.get(1).map(String::as_str) == Some("sql") {
        return sql_pairs(&a[2..]).await;
    }
    if a.get(1).map(String::as_str) == Some("soak") {
        return soak::soak(&a[2..]).await;
    }
    if a.get(1).map(String::as_str) == Some("tools") {
        return tool_pairs(&a[2..]).await;
    }
    let search = a.get(1).map(String::as_str) == Some("search");
    let a: Vec<String> = if search { [&a[..1], &a[2..]].concat() } else { a };
    if a.len() != 9 {
        eprintln!(
            "usage: zava-bench <mcp-url> <token> <gateway-db-url> <principal> <raw-db-url> <seconds> <c1,c2,…> <sql>"
        );
        std::process::exit(2);
    }
    let target = Arc::new(Target {
        mcp_url: a[1].clone(),
        token: a[2].clone(),
        gateway_url: a[3].clone(),
        principal: a[4].parse().expect("principal UUID"),
        raw_url: a[5].clone(),
        sql: a[8].clone(),
        search,
        tool: None,
    });
    let seconds: f64 = a[6].parse().expect("seconds");
    let levels: Vec<usize> = a[7].split(',').map(|c| c.parse().expect("concurrency")).collect();

    println!("query: {}", target.sql);
    println!("{:>5} {:>7} {:>11} {:>9} {:>9}", "conc", "mode", "calls/s", "p50 ms", "p99 ms");
    for &c in &levels {
        let mut row = Vec::new();
        for mode in [Mode::Raw, Mode::Direct, Mode::Mcp] {
            let o = run(target.clone(), mode, c, Duration::from_secs_f64(seconds)).await;
            println!(
                "{c:>5} {:>7} {:>11.0} {:>9.2} {:>9.2}",
                format!("{mode:?}").to_lowercase(),
                o.calls_per_s,
                o.p50_ms,
                o.p99_ms
            );
            row.push(o);
        }
        let (raw, direct, mcp) = (&row[0], &row[1], &row[2]);
        // The raw baseline reports a row count for SQL; for search it returns the function's own answer.
        let raw_agrees = if target.search {
            rows_of(&raw.first_answer) == rows_of(&mcp.first_answer)
        } else {
            raw.first_answer["row_count"] == mcp.first_answer["row_count"]
        };
        let same = rows_of(&direct.first_answer) == rows_of(&mcp.first_answer) && raw_agrees;
        println!(
            "{c:>5}   ratio  mcp/direct p50 {:.2}×   mcp/raw p50 {:.2}×   mcp throughput {:.0}% of direct   same answers: {same}",
            mcp.p50_ms / direct.p50_ms,
            mcp.p50_ms / raw.p50_ms,
            100.0 * mcp.calls_per_s / direct.calls_per_s,
        );
    }
}

fn rows_of(answer: &Value) -> Value {
    answer.get("rows").cloned().unwrap_or(Value::Null)
}

async fn run(target: Arc<Target>, mode: Mode, workers: usize, duration: Duration) -> Outcome {
    let deadline = Instant::now() + duration;
    let mut handles = Vec::new();
    for w in 0..workers {
        let target = target.clone();
        handles.push(tokio::spawn(async move {
            let mut worker = Worker::connect(&target, mode).await;
            worker.call(&target, w as u64).await; // warm-up (prepares, session)
            let mut lat = Vec::new();
            let mut first = Value::Null;
            let mut n = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                let v = worker.call(&target, n + 1).await;
                lat.push(t.elapsed());
                if n == 0 {
                    first = v;
                }
                n += 1;
            }
            (lat, first)
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    let mut first = Value::Null;
    for h in handles {
        let (lat, f) = h.await.expect("worker");
        all.extend(lat);
        if first.is_null() {
            first = f;
        }
    }
    let elapsed = started.elapsed().as_secs_f64().max(duration.as_secs_f64());
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    Outcome { calls_per_s: all.len() as f64 / elapsed, p50_ms: pct(0.50), p99_ms: pct(0.99), first_answer: first }
}

enum Worker {
    Mcp(mcp::Mcp),
    Direct { client: tokio_postgres::Client, stmts: Vec<tokio_postgres::Statement> },
    Raw { client: tokio_postgres::Client, stmt: tokio_postgres::Statement },
}

async fn pg(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls).await.expect("connect");
    tokio::spawn(conn);
    client
}

impl Worker {
    async fn connect(t: &Target, mode: Mode) -> Worker {
        match mode {
            Mode::Mcp => Worker::Mcp(mcp::Mcp::open(&t.mcp_url, &t.token, false).await.expect("initialize")),
            Mode::Direct => {
                let client = pg(&t.gateway_url).await;
                let mut stmts = Vec::new();
                for sql in [
                    "BEGIN READ ONLY",
                    "SELECT zava.assert_principal($1)",
                    "SET LOCAL ROLE zava_agent",
                    if t.search {
                        "SELECT zava.semantic_search_products($1)"
                    } else {
                        "SELECT zava.safe_query($1, $2, $3)"
                    },
                    "COMMIT",
                ] {
                    stmts.push(client.prepare(sql).await.expect("prepare"));
                }
                Worker::Direct { client, stmts }
            }
            Mode::Raw => {
                let client = pg(&t.raw_url).await;
                let sql = if t.search { "SELECT zava.semantic_search_products($1)" } else { t.sql.as_str() };
                let stmt = client.prepare(sql).await.expect("prepare");
                Worker::Raw { client, stmt }
            }
        }
    }

    /// One call; returns the answer (for the identical-results check).
    async fn call(&mut self, t: &Target, id: u64) -> Value {
        match self {
            Worker::Mcp(client) => {
                let (name, args) = if let Some((name, args)) = &t.tool {
                    (name.as_str(), args.clone())
                } else if t.search {
                    ("semantic_search_products", json!({"query_description": t.sql}))
                } else {
                    ("execute_sales_query", json!({"postgresql_query": t.sql, "max_rows": 1000}))
                };
                let v = client.call_tool(id, name, &args).await.expect("tools/call");
                assert_ne!(v["result"]["isError"], json!(true), "tool error: {v}");
                v["result"]["structuredContent"].clone()
            }
            Worker::Direct { client, stmts } => {
                let (max_rows, timeout) = (1000i32, 10000i32);
                let assert_args: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&t.principal];
                let query_args: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&t.sql, &max_rows, &timeout];
                let args = if t.search { &query_args[..1] } else { &query_args[..] };
                let (b, a, r, q, c) = tokio::join!(
                    client.execute(&stmts[0], &[]),
                    client.execute(&stmts[1], &assert_args),
                    client.execute(&stmts[2], &[]),
                    client.query_one(&stmts[3], args),
                    client.execute(&stmts[4], &[]),
                );
                (b.and(a).and(r).and(c)).expect("transaction");
                q.expect("safe_query").get::<_, Value>(0)
            }
            Worker::Raw { client, stmt } => {
                // The raw baseline reports its row count (values are compared mcp vs direct).
                if t.search {
                    let args: [&(dyn tokio_postgres::types::ToSql + Sync); 1] = [&t.sql];
                    return client.query_one(&*stmt, &args).await.expect("search").get::<_, Value>(0);
                }
                json!({ "row_count": client.query(&*stmt, &[]).await.expect("raw query").len() })
            }
        }
    }
}

/// One connection, sequential calls for `seconds`: calls/s, p50 (ms) and the answer as text.
async fn time_sql(url: &str, sql: &str, seconds: f64) -> (f64, f64, String) {
    let client = pg(url).await;
    let answer = |rows: Vec<tokio_postgres::SimpleQueryMessage>| {
        rows.into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).unwrap_or("NULL").to_string()).collect::<Vec<_>>().join("|"))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let first = answer(client.simple_query(sql).await.expect("query"));
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut lat = Vec::new();
    while Instant::now() < deadline || lat.len() < 3 {
        let t = Instant::now();
        client.simple_query(sql).await.expect("query");
        lat.push(t.elapsed());
    }
    let total: f64 = lat.iter().map(Duration::as_secs_f64).sum();
    lat.sort();
    (lat.len() as f64 / total, lat[lat.len() / 2].as_secs_f64() * 1000.0, first)
}

async fn sql_pairs(a: &[String]) {
    let (url, seconds) = (&a[0], a[1].parse::<f64>().expect("seconds"));
    println!(
        "{:<46} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10}",
        "question", "fast/s", "fast p50", "raw/s", "raw p50", "speed-up", "identical"
    );
    for pair in a[2..].chunks(3) {
        let (label, fast, reference) = (&pair[0], &pair[1], &pair[2]);
        let (f_rate, f_p50, f_ans) = time_sql(url, fast, seconds).await;
        if reference == "-" {
            println!("{label:<46} {f_rate:>10.1} {f_p50:>8.2}ms {:>10} {:>10} {:>9} {:>10}", "-", "-", "-", "-");
            continue;
        }
        let (r_rate, r_p50, r_ans) = time_sql(url, reference, seconds).await;
        println!(
            "{label:<46} {f_rate:>10.1} {:>8.2}ms {r_rate:>10.1} {:>8.2}ms {:>8.1}× {:>10}",
            f_p50,
            r_p50,
            r_p50 / f_p50,
            if f_ans == r_ans { "yes" } else { "NO" }
        );
        if f_ans != r_ans {
            println!("    fast: {}\n    raw:  {}", &f_ans[..f_ans.len().min(300)], &r_ans[..r_ans.len().min(300)]);
        }
    }
}

/// Two tool calls through MCP, each at every concurrency: calls/s, p50, p99,
/// and the first's throughput over the second's.
async fn tool_pairs(a: &[String]) {
    if a.len() != 10 {
        eprintln!(
            "usage: zava-bench tools <mcp-url> <token>[,<token>] <seconds> <c1,c2,…> <label> <tool> <args-json> <label> <tool> <args-json>"
        );
        std::process::exit(2);
    }
    let seconds: f64 = a[2].parse().expect("seconds");
    let levels: Vec<usize> = a[3].split(',').map(|c| c.parse().expect("concurrency")).collect();
    let (first_token, second_token) = a[1].split_once(',').unwrap_or((&a[1], &a[1]));
    let target = |token: &str, name: &str, args: &str| {
        Arc::new(Target {
            mcp_url: a[0].clone(),
            token: token.to_string(),
            gateway_url: String::new(),
            principal: Uuid::nil(),
            raw_url: String::new(),
            sql: String::new(),
            search: false,
            tool: Some((name.to_string(), serde_json::from_str(args).expect("tool arguments are JSON"))),
        })
    };
    let (first, second) = (target(first_token, &a[5], &a[6]), target(second_token, &a[8], &a[9]));
    println!("{:>5} {:<48} {:>9} {:>9} {:>9}", "conc", "tool call", "calls/s", "p50 ms", "p99 ms");
    for &c in &levels {
        let mut rates = Vec::new();
        for (label, t) in [(&a[4], &first), (&a[7], &second)] {
            let o = run(t.clone(), Mode::Mcp, c, Duration::from_secs_f64(seconds)).await;
            println!("{c:>5} {label:<48} {:>9.0} {:>9.2} {:>9.2}", o.calls_per_s, o.p50_ms, o.p99_ms);
            rates.push(o);
        }
        println!(
            "{c:>5}   ratio  {} / {}: throughput {:.1}×, p50 {:.1}× lower",
            a[4],
            a[7],
            rates[0].calls_per_s / rates[1].calls_per_s,
            rates[1].p50_ms / rates[0].p50_ms
        );
    }
}
