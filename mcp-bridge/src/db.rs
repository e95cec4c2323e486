//! Data access: a deadpool-postgres pool and the per-call transaction.
//!
//! A tool call is one pipelined round trip on a pooled connection:
//! `BEGIN READ ONLY` → `SELECT zava.assert_principal($1)` → `SET LOCAL ROLE
//! zava_agent` → the one function call → `COMMIT`. All five are prepared once
//! per connection (`prepare_cached`) and sent together; if any fails, the
//! COMMIT turns into a rollback and nothing of the identity survives.
//!
//! Retries: a connection that fails *before* the call's statements were sent
//! (getting one, or preparing on it) is retried with exponential backoff. A
//! backend that dies *while running* the call is retried at most once, and
//! never when Postgres itself reports shutdown or crash recovery (SQLSTATE
//! class 57P, "in recovery mode"): a query that killed its backend must not be
//! sent again and again into a recovering server. A statement error is never
//! retried.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use serde_json::Value;
use tokio_postgres::NoTls;
use tokio_postgres::types::ToSql;
use tokio_util::sync::CancellationToken;
use tracing::warn;
use uuid::Uuid;

use crate::errors::{Code, ToolFailure};

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
}

#[derive(Clone)]
pub struct Db {
    pool: Pool,
    cfg: DbConfig,
    /// Time calls wait for a pooled connection (a metric), once set.
    pool_wait: Option<prometheus_client::metrics::histogram::Histogram>,
}

pub enum Failure {
    /// The call failed; report it.
    Tool(ToolFailure),
    /// The client cancelled; the query was cancelled in Postgres.
    Cancelled,
}

impl Db {
    pub fn new(cfg: DbConfig) -> Result<Db, String> {
        let mut pg: tokio_postgres::Config = cfg.url.parse().map_err(|e| format!("invalid database URL: {e}"))?;
        pg.application_name("zava-mcp");
        // Session settings every pooled connection starts with.
        pg.options(format!(
            "-c statement_timeout={} -c jit=off -c work_mem={} -c idle_in_transaction_session_timeout=60000",
            cfg.statement_timeout.as_millis(),
            cfg.work_mem
        ));
        pg.connect_timeout(Duration::from_secs(10));
        let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(cfg.pool_max)
            .wait_timeout(Some(cfg.wait_timeout))
            .create_timeout(Some(Duration::from_secs(10)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| format!("could not build the connection pool: {e}"))?;
        Ok(Db { pool, cfg, pool_wait: None })
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
    pub async fn check(&self) -> Result<String, String> {
        let conn = self.pool.get().await.map_err(|e| format!("cannot connect: {e}"))?;
        let row = conn
            .query_one("SELECT extversion FROM pg_extension WHERE extname = 'zava'", &[])
            .await
            .map_err(|e| format!("the zava extension is not installed in this database ({e})"))?;
        Ok(row.get(0))
    }

    /// Records, from now on, how long each call waits for a pooled connection.
    pub fn observe_pool_wait(&mut self, histogram: prometheus_client::metrics::histogram::Histogram) {
        self.pool_wait = Some(histogram);
    }

    /// Runs `sql` (one function call returning one jsonb value) for `principal`.
    pub async fn call(
        &self,
        principal: Uuid,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        cancel: &CancellationToken,
        call_id: &str,
    ) -> Result<Value, Failure> {
        let mut attempt = 0;
        // Set once a backend died while running this call: one retry is all it gets.
        let mut died_running = false;
        loop {
            attempt += 1;
            let waiting = std::time::Instant::now();
            let got = self.pool.get().await;
            if let Some(h) = &self.pool_wait {
                h.observe(waiting.elapsed().as_secs_f64());
            }
            let conn = match got {
                Ok(c) => c,
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
            match run(&conn, principal, sql, params, cancel).await {
                Ok(v) => return Ok(v),
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
                    if attempt <= self.cfg.retries && !(died_running && server_reports_down(&e)) {
                        self.backoff(attempt, call_id, &e.to_string()).await;
                        continue;
                    }
                    return Err(unavailable(call_id, &e.to_string()));
                }
                Err(RunError::Sent(e)) if is_connection_failure(&e) => {
                    let _ = Object::take(conn);
                    if died_running || server_reports_down(&e) || attempt > self.cfg.retries {
                        warn!(call_id, attempt, error = %e, "the backend died while running the call; not retried");
                        return Err(unavailable(call_id, &e.to_string()));
                    }
                    died_running = true;
                    warn!(call_id, attempt, error = %e, "the backend died while running the call; retrying once");
                    continue;
                }
                Err(RunError::NotSent(e) | RunError::Sent(e)) => return Err(Failure::Tool(to_failure(&e, call_id))),
            }
        }
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
    params: &[&(dyn ToSql + Sync)],
    cancel: &CancellationToken,
) -> Result<Value, RunError> {
    let work = async {
        let (begin, assert, role, call, commit) = tokio::try_join!(
            conn.prepare_cached("BEGIN READ ONLY"),
            conn.prepare_cached("SELECT zava.assert_principal($1)"),
            conn.prepare_cached("SET LOCAL ROLE zava_agent"),
            conn.prepare_cached(sql),
            conn.prepare_cached("COMMIT"),
        )
        .map_err(RunError::NotSent)?;
        // Sent back to back: tokio-postgres pipelines requests polled together.
        let assert_params: [&(dyn ToSql + Sync); 1] = [&principal];
        let (b, a, r, c, k) = tokio::join!(
            conn.execute(&begin, &[]),
            conn.execute(&assert, &assert_params),
            conn.execute(&role, &[]),
            conn.query_one(&call, params),
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
