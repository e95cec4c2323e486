//! Data access: a deadpool-postgres pool and the per-call transaction.
//!
//! A tool call is one pipelined round trip on a pooled connection:
//! `BEGIN READ ONLY` → `SELECT zava.assert_principal($1)` → `SET LOCAL ROLE
//! zava_agent` → the one function call → `COMMIT`. If any fails, the COMMIT
//! turns into a rollback and nothing of the identity survives.
//!
//! Two ways to reach Postgres ([`Pooler`]):
//! - `none` (direct): the session settings travel in the startup packet's
//!   `options`, and the statements are prepared once per connection
//!   (`prepare_typed_cached`).
//! - `transaction` (behind a transaction-mode pooler such as PgBouncer 1.18,
//!   which refuses `options` and cannot keep a prepared statement from one
//!   transaction to the next): `BEGIN READ ONLY` and `SET LOCAL` of the same
//!   settings are one simple-protocol batch, and every other statement is
//!   unnamed, parsed and run in one message batch (`query_typed`), so nothing
//!   outlives the transaction that the pooler pins to one server connection.
//!
//! Read replicas (`--replica-url`, any number): every tool call is read-only,
//! so calls go round robin to the replicas in use — reachable, and replaying
//! within `--replica-max-lag-ms` of what they received (checked every second)
//! — and to the primary when none is. A replica that fails a call is taken out
//! of use at once (until its next good check) and the call goes elsewhere:
//! before anything was sent, at once; after (it died running the call), as
//! the one retry the rule below allows — on another server, so not even a
//! shutdown report stops it. Nothing reads its own writes today; a call that
//! must would go to the primary.
//!
//! Retries: a connection that fails *before* the call's statements were sent
//! (getting one, or preparing on it) is retried with exponential backoff. A
//! backend that dies *while running* the call is retried at most once, and
//! never when Postgres itself reports shutdown or crash recovery (SQLSTATE
//! class 57P, "in recovery mode"): a query that killed its backend must not be
//! sent again and again into a recovering server. A statement error is never
//! retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use serde_json::Value;
use tokio_postgres::NoTls;
use tokio_postgres::types::{ToSql, Type};
use tokio_util::sync::CancellationToken;
use tracing::warn;
use uuid::Uuid;

use crate::errors::{Code, ToolFailure};
use crate::metrics::ReplicaLabel;

/// Calls each read replica answered (a metric family).
type ReplicaCalls =
    prometheus_client::metrics::family::Family<ReplicaLabel, prometheus_client::metrics::counter::Counter>;

/// How the bridge reaches Postgres (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pooler {
    /// Straight to Postgres, or through a session-mode pooler.
    None,
    /// Through a transaction-mode pooler (PgBouncer `pool_mode = transaction`).
    Transaction,
}

/// A statement parameter and the type it is sent as. Unnamed statements are
/// never described by the server first, so the bridge names each type; see
/// [`param`].
pub type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// The Postgres type a Rust value is sent as.
pub trait PgType {
    const PG: Type;
}

impl PgType for Uuid {
    const PG: Type = Type::UUID;
}
impl PgType for String {
    const PG: Type = Type::TEXT;
}
impl PgType for &str {
    const PG: Type = Type::TEXT;
}
impl PgType for i32 {
    const PG: Type = Type::INT4;
}
impl PgType for f32 {
    const PG: Type = Type::FLOAT4;
}
impl PgType for bool {
    const PG: Type = Type::BOOL;
}
impl PgType for Vec<String> {
    const PG: Type = Type::TEXT_ARRAY;
}
impl<T: PgType> PgType for Option<T> {
    const PG: Type = T::PG;
}

/// `v` as a parameter of its own type.
pub fn param<T: ToSql + Sync + PgType>(v: &T) -> Param<'_> {
    (v, T::PG)
}

#[derive(Debug, Clone)]
pub struct DbConfig {
    pub url: String,
    pub pool_max: usize,
    pub wait_timeout: Duration,
    pub statement_timeout: Duration,
    pub work_mem: String,
    pub retries: u32,
    pub retry_base: Duration,
    pub idle_timeout: Duration,
    pub pooler: Pooler,
    /// Read replicas (hot standbys) calls may go to.
    pub replica_urls: Vec<String>,
    /// A replica whose replay is further behind is not used.
    pub replica_max_lag: Duration,
}

/// A read replica's pool and state.
struct Replica {
    pool: Pool,
    /// Reachable and within the lag bound at the last check, and no call
    /// failed on it since.
    in_use: AtomicBool,
    lag_ms: AtomicI64,
}

/// Where a call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Primary,
    Replica(usize),
}

#[derive(Clone)]
pub struct Db {
    pool: Pool,
    cfg: DbConfig,
    /// Behind a transaction pooler: `BEGIN READ ONLY` and the session settings
    /// made local to the transaction, one simple-protocol batch.
    begin: String,
    /// Time calls wait for a pooled connection (a metric), once set.
    pool_wait: Option<prometheus_client::metrics::histogram::Histogram>,
    replicas: Arc<Vec<Replica>>,
    next_replica: Arc<AtomicUsize>,
    /// Calls each replica answered (a metric), once set.
    replica_calls: Option<ReplicaCalls>,
}

/// Why [`Db::check`] failed: the database cannot be reached (it may come
/// back), or it answers but is not what the bridge needs.
#[derive(Debug)]
pub struct CheckError {
    pub message: String,
    pub unreachable: bool,
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Why [`Db::principal_for_subject`] has no answer.
#[derive(Debug)]
pub enum Lookup {
    /// The database refuses this identity (its message).
    Refused(String),
    /// The database could not be asked.
    Unavailable(String),
}

pub enum Failure {
    /// The call failed; report it.
    Tool(ToolFailure),
    /// The client cancelled; the query was cancelled in Postgres.
    Cancelled,
}

impl Db {
    pub fn new(cfg: DbConfig) -> Result<Db, String> {
        let pool = build_pool(&cfg.url, &cfg, "database URL")?;
        let replicas = cfg
            .replica_urls
            .iter()
            .map(|url| {
                Ok(Replica {
                    pool: build_pool(url, &cfg, "replica URL")?,
                    in_use: AtomicBool::new(false),
                    lag_ms: AtomicI64::new(-1),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let begin = format!(
            "BEGIN READ ONLY; SET LOCAL statement_timeout = {}; SET LOCAL work_mem = {}; SET LOCAL jit = off; \
             SET LOCAL idle_in_transaction_session_timeout = 60000",
            cfg.statement_timeout.as_millis(),
            quote_literal(&cfg.work_mem)
        );
        Ok(Db {
            pool,
            cfg,
            begin,
            pool_wait: None,
            replicas: Arc::new(replicas),
            next_replica: Arc::default(),
            replica_calls: None,
        })
    }

    /// Checks every replica now, then every second until `stop`: reachable,
    /// and its replay lag (0 when it has replayed all it received) within
    /// --replica-max-lag-ms.
    pub async fn watch_replicas(&self, stop: CancellationToken) {
        if self.replicas.is_empty() {
            return;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        while tokio::select! { _ = tick.tick() => true, _ = stop.cancelled() => false } {
            for (i, r) in self.replicas.iter().enumerate() {
                let lag = tokio::time::timeout(Duration::from_secs(2), replica_lag(&r.pool)).await;
                let (lag, ok) = match lag {
                    Ok(Ok(ms)) => (ms, ms >= 0 && ms <= self.cfg.replica_max_lag.as_millis() as i64),
                    Ok(Err(e)) => {
                        if r.in_use.load(Ordering::Relaxed) {
                            warn!(replica = i, error = %e, "read replica unreachable: calls go elsewhere");
                        }
                        (-1, false)
                    }
                    Err(_) => (-1, false),
                };
                r.lag_ms.store(lag, Ordering::Relaxed);
                let was = r.in_use.swap(ok, Ordering::Relaxed);
                if ok && !was {
                    tracing::info!(replica = i, lag_ms = lag, "read replica in use");
                } else if !ok && was && lag != -1 {
                    warn!(replica = i, lag_ms = lag, "read replica too far behind: calls go elsewhere");
                }
            }
        }
    }

    /// Each replica: in use, and its lag in ms (-1: unreachable, -2: behind
    /// by an unknown time).
    pub fn replica_status(&self) -> Vec<(bool, i64)> {
        self.replicas.iter().map(|r| (r.in_use.load(Ordering::Relaxed), r.lag_ms.load(Ordering::Relaxed))).collect()
    }

    /// Counts, from now on, the calls each replica answers.
    pub fn observe_replica_calls(&mut self, family: ReplicaCalls) {
        self.replica_calls = Some(family);
    }

    /// The next replica in use (round robin), else the primary.
    fn pick(&self) -> Target {
        let n = self.replicas.len();
        if n == 0 {
            return Target::Primary;
        }
        // Round robin over the replicas in use (not "the next one in use
        // after the counter", which would send a down replica's share to its
        // neighbour).
        let in_use: Vec<usize> = (0..n).filter(|&i| self.replicas[i].in_use.load(Ordering::Relaxed)).collect();
        if in_use.is_empty() {
            return Target::Primary;
        }
        Target::Replica(in_use[self.next_replica.fetch_add(1, Ordering::Relaxed) % in_use.len()])
    }

    fn pool_of(&self, t: Target) -> &Pool {
        match t {
            Target::Primary => &self.pool,
            Target::Replica(i) => &self.replicas[i].pool,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Closes connections idle for longer than the idle timeout (run periodically).
    pub fn close_idle(&self) {
        let idle = self.cfg.idle_timeout;
        self.pool.retain(|_, metrics| metrics.last_used() < idle);
    }

    /// Start-up and readiness check: a connection that works and the extension present.
    pub async fn check(&self) -> Result<String, CheckError> {
        let misconfigured = |message: String| CheckError { message, unreachable: false };
        let conn = self.pool.get().await.map_err(|e| {
            let e = with_causes(&e);
            if e.contains("unsupported startup parameter") {
                misconfigured(format!(
                    "cannot connect: {e} (a transaction-mode pooler such as PgBouncer? start with --pooler transaction)"
                ))
            } else {
                CheckError { message: format!("cannot connect: {e}"), unreachable: true }
            }
        })?;
        if self.cfg.pooler == Pooler::Transaction {
            // The settings each call's transaction makes: a bad one fails here, once.
            conn.batch_execute(&format!("{}; ROLLBACK", self.begin))
                .await
                .map_err(|e| misconfigured(format!("the session settings are refused: {}", with_causes(&e))))?;
        }
        // One unnamed statement: fine behind any pooler.
        let rows = conn
            .query_typed("SELECT extversion FROM pg_extension WHERE extname = 'zava'", &[])
            .await
            .map_err(|e| misconfigured(format!("cannot read the zava extension's version ({})", with_causes(&e))))?;
        match rows.first() {
            Some(row) => Ok(row.get(0)),
            None => Err(misconfigured("the zava extension is not installed in this database".into())),
        }
    }

    /// The principal an identity provider's subject (or one of its groups)
    /// was granted, asked of the primary as the gateway login, outside any
    /// principal's transaction (`zava.principal_for_subject`). `Ok(None)`:
    /// nothing granted; `Err(Lookup::Refused)`: the database refuses the
    /// identity (SQLSTATE 28000: groups granted several principals, or an
    /// inactive principal), with its message.
    pub async fn principal_for_subject(
        &self,
        issuer: &str,
        subject: &str,
        groups: &[String],
    ) -> Result<Option<Uuid>, Lookup> {
        // The pool itself gives up after --pool-wait-ms (build_pool).
        let conn = self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Timeout(_) => Lookup::Unavailable("every database connection is busy".into()),
            e => Lookup::Unavailable(format!("cannot connect: {}", with_causes(&e))),
        })?;
        let groups = groups.to_vec();
        let row = conn
            .query_typed(
                "SELECT zava.principal_for_subject($1, $2, $3)",
                &[param(&issuer), param(&subject), param(&groups)],
            )
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) if db.code().code() == "28000" => Lookup::Refused(db.message().to_owned()),
                _ => Lookup::Unavailable(with_causes(&e)),
            })?;
        Ok(row.first().and_then(|r| r.get::<_, Option<Uuid>>(0)))
    }

    /// Every active principal's data version (`zava.cache_versions()`, 0.12.0),
    /// asked of the primary as the gateway login: what the result cache keys
    /// answers on. One small query, once a second per bridge.
    pub async fn cache_versions(&self) -> Result<Vec<(Uuid, String)>, String> {
        let conn = self.pool.get().await.map_err(|e| format!("cannot connect: {}", with_causes(&e)))?;
        let rows = conn
            .query_typed("SELECT principal_id, version FROM zava.cache_versions()", &[])
            .await
            .map_err(|e| with_causes(&e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// The database side of /readyz: `zava.health()` (0.12.0) — the
    /// extension's version, whether the embedding model can load, the merger.
    pub async fn health(&self) -> Result<Value, String> {
        let conn = self.pool.get().await.map_err(|e| format!("cannot connect: {}", with_causes(&e)))?;
        let rows = conn.query_typed("SELECT zava.health()", &[]).await.map_err(|e| with_causes(&e))?;
        rows.first().map(|r| r.get::<_, Value>(0)).ok_or_else(|| "zava.health() answered no row".into())
    }

    /// Records, from now on, how long each call waits for a pooled connection.
    pub fn observe_pool_wait(&mut self, histogram: prometheus_client::metrics::histogram::Histogram) {
        self.pool_wait = Some(histogram);
    }

    /// Runs `sql` (one function call returning one jsonb value) for `principal`;
    /// the answer, and whether the primary gave it (not a replica).
    pub async fn call(
        &self,
        principal: Uuid,
        sql: &str,
        params: &[Param<'_>],
        cancel: &CancellationToken,
        call_id: &str,
    ) -> Result<(Value, bool), Failure> {
        let mut attempt = 0;
        // Set once a backend died while running this call: one retry is all it gets.
        let mut died_running = false;
        loop {
            attempt += 1;
            let target = self.pick();
            let waiting = std::time::Instant::now();
            let got = self.pool_of(target).get().await;
            if let Some(h) = &self.pool_wait {
                h.observe(waiting.elapsed().as_secs_f64());
            }
            let conn = match got {
                Ok(c) => c,
                // A replica that cannot give a connection is out of use; the
                // call goes elsewhere at once, without spending a retry.
                Err(e) if self.replica_failed(target, call_id, &with_causes(&e)) => {
                    attempt -= 1;
                    continue;
                }
                // Every connection is busy for longer than --pool-wait-ms: the
                // database is fine, so waiting again would only queue deeper.
                Err(deadpool_postgres::PoolError::Timeout(_)) => {
                    return Err(Failure::Tool(ToolFailure::new(
                        Code::Unavailable,
                        "every database connection is busy; try again shortly",
                        call_id,
                    )));
                }
                Err(e) => {
                    let server_down = matches!(&e, deadpool_postgres::PoolError::Backend(b) if server_reports_down(b));
                    if attempt <= self.cfg.retries && !(died_running && server_down) {
                        self.backoff(attempt, call_id, &e.to_string()).await;
                        continue;
                    }
                    return Err(unavailable(call_id, &e.to_string()));
                }
            };
            let ran = match self.cfg.pooler {
                Pooler::None => run(&conn, principal, sql, params, cancel).await,
                Pooler::Transaction => run_unnamed(&conn, &self.begin, principal, sql, params, cancel).await,
            };
            match ran {
                Ok(v) => {
                    if let (Target::Replica(i), Some(calls)) = (target, &self.replica_calls) {
                        calls.get_or_create(&ReplicaLabel { replica: i.to_string() }).inc();
                    }
                    return Ok((v, matches!(target, Target::Primary)));
                }
                Err(RunError::Cancelled) => {
                    // Stop the query in Postgres, then drop the connection: no
                    // half-finished transaction goes back into the pool.
                    let token = conn.cancel_token();
                    let _ = Object::take(conn);
                    if let Err(e) = token.cancel_query(NoTls).await {
                        warn!(call_id, error = %e, "could not cancel the query in Postgres");
                    }
                    return Err(Failure::Cancelled);
                }
                Err(RunError::NotSent(e)) if is_connection_failure(&e) => {
                    let _ = Object::take(conn);
                    if self.replica_failed(target, call_id, &e.to_string()) {
                        attempt -= 1;
                        continue;
                    }
                    if attempt <= self.cfg.retries && !(died_running && server_reports_down(&e)) {
                        self.backoff(attempt, call_id, &e.to_string()).await;
                        continue;
                    }
                    return Err(unavailable(call_id, &e.to_string()));
                }
                Err(RunError::Sent(e)) if is_connection_failure(&e) => {
                    let _ = Object::take(conn);
                    // A replica that died running the call: its one retry goes
                    // to another server, so a shutdown report does not stop it.
                    let elsewhere = self.replica_failed(target, call_id, &e.to_string());
                    if died_running || (server_reports_down(&e) && !elsewhere) || attempt > self.cfg.retries {
                        warn!(call_id, attempt, error = %e, "the backend died while running the call; not retried");
                        return Err(unavailable(call_id, &e.to_string()));
                    }
                    died_running = true;
                    warn!(call_id, attempt, error = %e, "the backend died while running the call; retrying once");
                    continue;
                }
                Err(RunError::NotSent(e) | RunError::Sent(e)) => return Err(Failure::Tool(to_failure(&e, call_id))),
                Err(RunError::NoRow) => {
                    tracing::error!(call_id, "the call answered no row");
                    return Err(Failure::Tool(ToolFailure::new(
                        Code::DatabaseError,
                        format!("the database could not answer this request (call {call_id})"),
                        call_id,
                    )));
                }
            }
        }
    }

    /// When `target` is a replica: takes it out of use (until its next good
    /// check) and says so; `false` for the primary.
    fn replica_failed(&self, target: Target, call_id: &str, error: &str) -> bool {
        let Target::Replica(i) = target else { return false };
        if self.replicas[i].in_use.swap(false, Ordering::Relaxed) {
            warn!(call_id, replica = i, error, "read replica failed a call: out of use until its next good check");
        }
        true
    }

    async fn backoff(&self, attempt: u32, call_id: &str, error: &str) {
        let delay = self.cfg.retry_base * 2u32.pow(attempt - 1);
        warn!(call_id, attempt, delay_ms = delay.as_millis() as u64, error, "connection failed; retrying");
        tokio::time::sleep(delay).await;
    }
}

/// Retries exhausted: log the cause, tell the client only to try later.
fn unavailable(call_id: &str, error: &str) -> Failure {
    tracing::error!(call_id, error, "database connection failed");
    Failure::Tool(ToolFailure::new(
        Code::Unavailable,
        "the database is unavailable right now; try again shortly",
        call_id,
    ))
}

enum RunError {
    /// Failed before the call's statements went to the server (preparing them).
    NotSent(tokio_postgres::Error),
    /// Failed after they were sent: the server may have run them.
    Sent(tokio_postgres::Error),
    /// The call answered no row (never for `SELECT zava.f(…)`).
    NoRow,
    Cancelled,
}

/// Postgres said it is shutting down, crashed or is recovering (SQLSTATE class
/// 57P: admin or crash shutdown, "the database system is in recovery mode",
/// "… is starting up"): retrying a call that was running would only send it into
/// the same state again.
fn server_reports_down(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| db.code().code().starts_with("57P") || db.message().contains("recovery mode"))
}

/// The connection failed (closed, I/O error, or the server said so), as
/// opposed to a statement failing: only these are retried.
fn is_connection_failure(e: &tokio_postgres::Error) -> bool {
    use std::error::Error as _;
    if e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()) {
        return true;
    }
    e.as_db_error().is_some_and(|db| {
        let code = db.code().code();
        code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
    })
}

async fn run(
    conn: &Object,
    principal: Uuid,
    sql: &str,
    params: &[Param<'_>],
    cancel: &CancellationToken,
) -> Result<Value, RunError> {
    let work = async {
        let types: Vec<Type> = params.iter().map(|(_, t)| t.clone()).collect();
        let (begin, assert, role, call, commit) = tokio::try_join!(
            conn.prepare_cached("BEGIN READ ONLY"),
            conn.prepare_typed_cached("SELECT zava.assert_principal($1)", &[Type::UUID]),
            conn.prepare_cached("SET LOCAL ROLE zava_agent"),
            conn.prepare_typed_cached(sql, &types),
            conn.prepare_cached("COMMIT"),
        )
        .map_err(RunError::NotSent)?;
        let values: Vec<&(dyn ToSql + Sync)> = params.iter().map(|(v, _)| *v).collect();
        let assert_params: [&(dyn ToSql + Sync); 1] = [&principal];
        // Sent back to back: tokio-postgres pipelines requests polled together.
        let (b, a, r, c, k) = tokio::join!(
            conn.execute(&begin, &[]),
            conn.execute(&assert, &assert_params),
            conn.execute(&role, &[]),
            conn.query_one(&call, &values),
            conn.execute(&commit, &[]),
        );
        let sent = |r: Result<u64, tokio_postgres::Error>| r.map_err(RunError::Sent);
        sent(b)?;
        sent(a)?;
        sent(r)?;
        let row = c.map_err(RunError::Sent)?;
        sent(k)?;
        row.try_get::<_, Value>(0).map_err(RunError::Sent)
    };
    tokio::select! {
        r = work => r,
        _ = cancel.cancelled() => Err(RunError::Cancelled),
    }
}

/// The call behind a transaction-mode pooler: the same transaction with the
/// session settings made local to it, every statement unnamed and sent with
/// its parameters' types (one batch each, pipelined, nothing prepared).
async fn run_unnamed(
    conn: &Object,
    begin: &str,
    principal: Uuid,
    sql: &str,
    params: &[Param<'_>],
    cancel: &CancellationToken,
) -> Result<Value, RunError> {
    let assert: [Param<'_>; 1] = [(&principal, Type::UUID)];
    let work = async {
        let (b, a, r, c, k) = tokio::join!(
            conn.batch_execute(begin),
            conn.query_typed("SELECT zava.assert_principal($1)", &assert),
            conn.query_typed("SET LOCAL ROLE zava_agent", &[]),
            conn.query_typed(sql, params),
            conn.query_typed("COMMIT", &[]),
        );
        // Postgres answers each batch (flushed when it is done) before reading
        // the next, so when the first got no answer because the connection is
        // gone, the call itself never ran: safe to retry like a failed prepare.
        b.map_err(|e| if e.is_closed() { RunError::NotSent(e) } else { RunError::Sent(e) })?;
        let sent = |r: Result<Vec<tokio_postgres::Row>, tokio_postgres::Error>| r.map_err(RunError::Sent);
        sent(a)?;
        sent(r)?;
        let rows = sent(c)?;
        sent(k)?;
        // `SELECT zava.f(…)` answers exactly one row.
        let row = rows.first().ok_or(RunError::NoRow)?;
        row.try_get::<_, Value>(0).map_err(RunError::Sent)
    };
    tokio::select! {
        r = work => r,
        _ = cancel.cancelled() => Err(RunError::Cancelled),
    }
}

/// A pool for one server, with the session settings of the pooler mode.
fn build_pool(url: &str, cfg: &DbConfig, what: &str) -> Result<Pool, String> {
    let mut pg: tokio_postgres::Config = url.parse().map_err(|e| format!("invalid {what}: {e}"))?;
    pg.application_name("zava-mcp");
    if cfg.pooler == Pooler::None {
        // Session settings every pooled connection starts with (behind a
        // transaction pooler, each call's transaction sets them instead).
        pg.options(format!(
            "-c statement_timeout={} -c jit=off -c work_mem={} -c idle_in_transaction_session_timeout=60000",
            cfg.statement_timeout.as_millis(),
            cfg.work_mem
        ));
    }
    pg.connect_timeout(Duration::from_secs(10));
    let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(cfg.pool_max)
        .wait_timeout(Some(cfg.wait_timeout))
        .create_timeout(Some(Duration::from_secs(10)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(|e| format!("could not build the connection pool: {e}"))
}

/// A replica's replay lag in ms: 0 when it has replayed all it received,
/// [`LAG_UNKNOWN`] when WAL waits but nothing was replayed since it started
/// (no replay time to measure from).
async fn replica_lag(pool: &Pool) -> Result<i64, String> {
    let conn = pool.get().await.map_err(|e| with_causes(&e))?;
    let rows = conn
        .query_typed(
            "SELECT CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() IS NULL \
                      OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 \
                    ELSE (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::bigint END",
            &[],
        )
        .await
        .map_err(|e| with_causes(&e))?;
    let row = rows.first().ok_or("no answer")?;
    Ok(row.get::<_, Option<i64>>(0).unwrap_or(LAG_UNKNOWN))
}

/// The lag reported for a replica that is behind by an unknown time.
pub const LAG_UNKNOWN: i64 = -2;

/// `s` as an SQL string literal.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An error and its causes, one after the other ("db error: …" says little alone).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.contains(&c_text) {
            text = format!("{text}: {c_text}");
        }
        cause = c.source();
    }
    text
}

fn to_failure(e: &tokio_postgres::Error, call_id: &str) -> ToolFailure {
    match e.as_db_error() {
        Some(db) => {
            let f = ToolFailure::from_db(db.code().code(), db.message(), db.hint(), db.detail(), call_id);
            if f.code == Code::DatabaseError {
                tracing::error!(call_id, sqlstate = db.code().code(), message = db.message(), "database error");
            }
            f
        }
        None => {
            tracing::error!(call_id, error = %e, "database error");
            ToolFailure::new(
                Code::DatabaseError,
                format!("the database could not answer this request (call {call_id})"),
                call_id,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(replicas: usize) -> DbConfig {
        DbConfig {
            url: "postgresql://zava_mcp@127.0.0.1:1/zava".into(),
            pool_max: 1,
            wait_timeout: Duration::from_millis(100),
            statement_timeout: Duration::from_secs(1),
            work_mem: "4MB".into(),
            retries: 0,
            retry_base: Duration::from_millis(1),
            idle_timeout: Duration::from_secs(60),
            pooler: Pooler::None,
            replica_urls: (0..replicas).map(|i| format!("postgresql://zava_mcp@127.0.0.1:{}/zava", 2 + i)).collect(),
            replica_max_lag: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn calls_go_round_robin_to_the_replicas_in_use_else_the_primary() {
        let db = Db::new(config(3)).expect("pools are built without connecting");
        assert!((0..4).all(|_| db.pick() == Target::Primary), "none in use yet (not checked)");
        db.replicas[0].in_use.store(true, Ordering::Relaxed);
        db.replicas[2].in_use.store(true, Ordering::Relaxed);
        let picks: Vec<_> = (0..6).map(|_| db.pick()).collect();
        assert!(picks.iter().all(|t| matches!(t, Target::Replica(0 | 2))), "only replicas in use");
        assert_eq!(picks.iter().filter(|t| **t == Target::Replica(0)).count(), 3, "spread evenly: {}", picks.len());
        assert!(db.replica_failed(Target::Replica(0), "t", "gone"), "a replica's failure takes it out");
        assert!((0..4).all(|_| db.pick() == Target::Replica(2)));
        assert!(!db.replica_failed(Target::Primary, "t", "gone"), "the primary is never taken out");
        db.replicas[2].in_use.store(false, Ordering::Relaxed);
        assert_eq!(db.pick(), Target::Primary);
        assert_eq!(db.replica_status(), vec![(false, -1), (false, -1), (false, -1)]);
    }

    #[test]
    fn settings_are_quoted_as_literals() {
        assert_eq!(quote_literal("4MB"), "'4MB'");
        assert_eq!(quote_literal("4MB'; DROP TABLE x; --"), "'4MB''; DROP TABLE x; --'");
    }
}
