//! `zava-mcp`: the MCP server in front of the `zava` PostgreSQL extension.
//!
//! Each tool is one SQL function call made for the caller's principal
//! (asserted in the database, then dropped to `zava_agent`); see docs/mcp.md.

mod apps;
mod cache;
mod config;
mod contract;
mod db;
mod envelope;
mod errors;
mod http;
mod logfile;
mod metrics;
mod oauth;
mod prompts;
mod server;
mod stdio;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rmcp::ServiceExt;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::cache::{CacheOptions, ResultCache, SharedCache, Versions};
use crate::config::Tokens;
use crate::db::{Db, DbConfig, Pooler};
use crate::metrics::Metrics;
use crate::server::{State, Zava};

/// MCP server for Zava retail analytics: every tool is one SQL function call in
/// PostgreSQL, run as the person asking (row-level security applies).
#[derive(Parser, Debug)]
#[command(name = "zava-mcp", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    transport: Transport,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand, Debug)]
enum Transport {
    /// Serve one client over stdin/stdout, acting for one principal.
    Stdio {
        /// The principal (UUID) every call acts for.
        #[arg(long, env = "ZAVA_PRINCIPAL")]
        principal: Uuid,
    },
    /// Serve MCP over Streamable HTTP at /mcp, plus /healthz, /readyz, /metrics.
    Http {
        /// Address to listen on. Beyond loopback, bearer tokens are required.
        #[arg(long, env = "ZAVA_LISTEN", default_value = "127.0.0.1:8765")]
        listen: SocketAddr,
        /// File of `token principal-uuid [label]` lines.
        #[arg(long, env = "ZAVA_TOKENS_FILE")]
        tokens_file: Option<PathBuf>,
        /// Tokens as `token=uuid,token=uuid` (instead of or besides a file).
        #[arg(long, env = "ZAVA_TOKENS", hide_env_values = true)]
        tokens: Option<String>,
        /// DEVELOPMENT ONLY: accept the seed's `x-rls-user-id: <principal>` header
        /// without a token. Never enable this where others can reach the port.
        #[arg(long, env = "ZAVA_DEV_RLS_HEADER")]
        dev_rls_header: bool,
        /// Extra host names accepted in the Host header (DNS-rebinding protection).
        #[arg(long = "allowed-host", env = "ZAVA_ALLOWED_HOSTS", value_delimiter = ',')]
        allowed_hosts: Vec<String>,
        /// Largest accepted request body.
        #[arg(long, env = "ZAVA_MAX_BODY_BYTES", default_value_t = 1 << 20)]
        max_body_bytes: usize,
        /// Origins (besides the allowed hosts) whose browser requests are served,
        /// e.g. `https://app.example`. A request with any other `Origin` gets 403.
        #[arg(long = "allowed-origin", env = "ZAVA_ALLOWED_ORIGINS", value_delimiter = ',')]
        allowed_origins: Vec<String>,
        /// Serve the project's MCP Apps host page from DIR (index.html and host.js,
        /// made by mcp-bridge/ui-host/build.sh) at /ui-host/: try the views in a browser.
        #[arg(long, env = "ZAVA_UI_HOST_DIR", value_name = "DIR")]
        ui_host_dir: Option<std::path::PathBuf>,
        /// Bearer token /metrics requires (unset: /metrics is open, like /healthz).
        #[arg(long, env = "ZAVA_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Let /readyz name the extension's version (off: only "ready").
        #[arg(long, env = "ZAVA_READYZ_DETAILS")]
        readyz_details: bool,
        /// On SIGTERM, how long admitted calls may take to finish (new ones get
        /// 503) before they are cancelled, in seconds.
        #[arg(long, env = "ZAVA_DRAIN_TIMEOUT_S", default_value_t = 10)]
        drain_timeout_s: u64,
        #[command(flatten)]
        oauth: Box<OAuthArgs>,
    },
}

/// Sign-in with an identity provider: zava-mcp as an OAuth 2.1 resource
/// server (docs/mcp.md, "Sign-in with an identity provider").
#[derive(Args, Debug)]
struct OAuthArgs {
    /// The issuer whose access tokens (JWTs) are accepted: their `iss`
    /// exactly, and the authorization server the metadata names.
    #[arg(long, env = "ZAVA_OAUTH_ISSUER")]
    oauth_issuer: Option<String>,
    /// The audience every token must name in `aud` (this resource).
    #[arg(long, env = "ZAVA_OAUTH_AUDIENCE")]
    oauth_audience: Option<String>,
    /// The resource identifier the metadata gives, e.g.
    /// https://mcp.example.com/mcp (default: the audience).
    #[arg(long, env = "ZAVA_OAUTH_RESOURCE")]
    oauth_resource: Option<String>,
    /// The issuer's JSON Web Key Set URL (fetched at start, then every
    /// --oauth-jwks-refresh-s, and at once for an unknown key id).
    #[arg(long, env = "ZAVA_OAUTH_JWKS_URL", conflicts_with = "oauth_jwks_file")]
    oauth_jwks_url: Option<String>,
    /// The issuer's JSON Web Key Set as a file (read again like the URL).
    #[arg(long, env = "ZAVA_OAUTH_JWKS_FILE")]
    oauth_jwks_file: Option<PathBuf>,
    /// Scopes every token must hold (comma- or space-separated).
    #[arg(long, env = "ZAVA_OAUTH_SCOPES", value_delimiter = ',')]
    oauth_scopes: Vec<String>,
    /// A claim listing the caller's groups (e.g. `groups` or `roles`), looked
    /// up with zava.grant_principal_group when the subject has no grant.
    #[arg(long, env = "ZAVA_OAUTH_GROUPS_CLAIM")]
    oauth_groups_claim: Option<String>,
    /// Clock skew allowed on exp and nbf, in seconds.
    #[arg(long, env = "ZAVA_OAUTH_LEEWAY_S", default_value_t = 30)]
    oauth_leeway_s: u64,
    /// How often the issuer's keys are fetched again, in seconds.
    #[arg(long, env = "ZAVA_OAUTH_JWKS_REFRESH_S", default_value_t = 300)]
    oauth_jwks_refresh_s: u64,
    /// An unknown key id fetches the keys again at most once per this many seconds.
    #[arg(long, env = "ZAVA_OAUTH_JWKS_MIN_REFRESH_S", default_value_t = 10)]
    oauth_jwks_min_refresh_s: u64,
    /// How long an identity's principal (or its absence) is kept, in seconds:
    /// a revoked grant stops working within this time (0: asked every request).
    #[arg(long, env = "ZAVA_OAUTH_MAPPING_CACHE_S", default_value_t = 5)]
    oauth_mapping_cache_s: u64,
}

impl OAuthArgs {
    /// The configuration, when --oauth-issuer is given (then the audience
    /// and one key source are required).
    fn config(self) -> Result<Option<oauth::OAuthConfig>, String> {
        let Some(issuer) = self.oauth_issuer else {
            if self.oauth_audience.is_some() || self.oauth_jwks_url.is_some() || self.oauth_jwks_file.is_some() {
                return Err("the --oauth-* options need --oauth-issuer".into());
            }
            return Ok(None);
        };
        let audience = self.oauth_audience.ok_or("--oauth-issuer needs --oauth-audience (this resource)")?;
        let jwks = match (self.oauth_jwks_url, self.oauth_jwks_file) {
            (Some(url), None) => oauth::JwksSource::Url(oauth::check_jwks_url(&url)?),
            (None, Some(file)) => oauth::JwksSource::File(file),
            _ => return Err("--oauth-issuer needs --oauth-jwks-url or --oauth-jwks-file".into()),
        };
        let scopes = self.oauth_scopes.iter().flat_map(|s| s.split_whitespace()).map(str::to_owned).collect();
        Ok(Some(oauth::OAuthConfig {
            resource: self.oauth_resource.unwrap_or_else(|| audience.clone()),
            issuer,
            audience,
            jwks,
            scopes,
            groups_claim: self.oauth_groups_claim,
            leeway: Duration::from_secs(self.oauth_leeway_s),
            jwks_refresh: Duration::from_secs(self.oauth_jwks_refresh_s.max(1)),
            jwks_min_refresh: Duration::from_secs(self.oauth_jwks_min_refresh_s),
        }))
    }
}

#[derive(Args, Debug)]
struct Common {
    /// PostgreSQL URL of the gateway login (a member of zava_gateway; never a superuser).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
    /// Most pooled connections.
    #[arg(long, env = "ZAVA_POOL_MAX", default_value_t = 10, global = true)]
    pool_max: usize,
    /// How long a call waits for a free connection, in ms.
    #[arg(long, env = "ZAVA_POOL_WAIT_MS", default_value_t = 5000, global = true)]
    pool_wait_ms: u64,
    /// Idle connections are closed after this many seconds.
    #[arg(long, env = "ZAVA_POOL_IDLE_S", default_value_t = 300, global = true)]
    pool_idle_s: u64,
    /// statement_timeout of every connection, in ms.
    #[arg(long, env = "ZAVA_STATEMENT_TIMEOUT_MS", default_value_t = 30_000, global = true)]
    statement_timeout_ms: u64,
    /// Time limit of one execute_sales_query, in ms (at most 60000).
    #[arg(long, env = "ZAVA_QUERY_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    query_timeout_ms: i32,
    /// work_mem of every connection.
    #[arg(long, env = "ZAVA_WORK_MEM", default_value = "4MB", global = true)]
    work_mem: String,
    /// Retries after a connection failure (never after a statement error).
    #[arg(long, env = "ZAVA_RETRIES", default_value_t = 3, global = true)]
    retries: u32,
    /// First retry delay in ms; each further retry doubles it.
    #[arg(long, env = "ZAVA_RETRY_BASE_MS", default_value_t = 1000, global = true)]
    retry_base_ms: u64,
    /// Calls slower than this (ms) are logged as warnings.
    #[arg(long, env = "ZAVA_SLOW_CALL_MS", default_value_t = 1000, global = true)]
    slow_call_ms: u64,
    /// Most calls running at once for one principal (default: half the pool;
    /// never the whole pool, so one principal cannot starve the others).
    #[arg(long, env = "ZAVA_MAX_CONCURRENT_PER_PRINCIPAL", global = true)]
    max_concurrent_per_principal: Option<usize>,
    /// How long a call over its principal's limit waits before RATE_LIMITED, in ms.
    #[arg(long, env = "ZAVA_QUEUE_WAIT_MS", default_value_t = 1000, global = true)]
    queue_wait_ms: u64,
    /// How long a tool's answer is kept for the same principal and arguments,
    /// in seconds (0: no result cache). A safety bound only: answers are keyed
    /// on the principal's data version, so a write shows within ~1–2 s.
    #[arg(long, env = "ZAVA_CACHE_TTL_S", default_value_t = 300, global = true)]
    cache_ttl_s: u64,
    /// A Redis every bridge shares as the result cache's second layer
    /// (`redis://[user:password@]host:port/db`, or `rediss://` for TLS); the
    /// near cache in this process stays in front of it.
    #[arg(long, env = "ZAVA_CACHE_URL", global = true)]
    cache_url: Option<String>,
    /// How long one shared-cache operation may take, in ms; slower counts as
    /// a failure (the call is answered without it).
    #[arg(long, env = "ZAVA_CACHE_TIMEOUT_MS", default_value_t = 5, global = true)]
    cache_timeout_ms: u64,
    /// Answers larger than this (KiB of JSON) are not cached in either layer.
    #[arg(long, env = "ZAVA_CACHE_MAX_ENTRY_KB", default_value_t = 256, global = true)]
    cache_max_entry_kb: usize,
    /// Most memory the result cache holds in this process, in MiB (answers
    /// weighed by their JSON size); 0 with --cache-url: the shared cache alone.
    #[arg(long, env = "ZAVA_CACHE_MAX_MB", default_value_t = 64, global = true)]
    cache_max_mb: u64,
    /// Also cache execute_sales_query answers (off by default: free-form SQL,
    /// answers up to max_rows).
    #[arg(long, env = "ZAVA_CACHE_SALES_QUERIES", global = true)]
    cache_sales_queries: bool,
    /// Threads that run calls (default: half the machine's cores, at least
    /// one). The bridge usually shares its machine with Postgres: on two
    /// cores one thread answers a call 1.5× faster than two (no hand-offs
    /// between threads) at the same throughput (make bench).
    #[arg(long, env = "ZAVA_WORKER_THREADS", global = true)]
    worker_threads: Option<usize>,
    /// What stands between the bridge and Postgres: `none` (Postgres itself or
    /// a session-mode pooler: settings at connect, statements prepared once per
    /// connection) or `transaction` (a transaction-mode pooler such as
    /// PgBouncer: settings in each call's transaction, unnamed statements).
    #[arg(long, env = "ZAVA_POOLER", value_enum, default_value_t = Pooler::None, global = true)]
    pooler: Pooler,
    /// Write the logs to this file instead of stderr, turning it over to
    /// `<file>.1` at --log-max-mb (so at most twice that on disk).
    #[arg(long, env = "ZAVA_LOG_FILE", global = true)]
    log_file: Option<PathBuf>,
    /// A read replica (hot standby) that tool calls may go to; repeat it for
    /// more (ZAVA_REPLICA_URLS: comma-separated). Calls go round robin to the
    /// replicas in use, and to the primary (--database-url) when none is.
    #[arg(
        long = "replica-url",
        env = "ZAVA_REPLICA_URLS",
        value_delimiter = ',',
        hide_env_values = true,
        global = true
    )]
    replica_urls: Vec<String>,
    /// A replica whose replay is further behind than this (ms) gets no calls
    /// until it catches up.
    #[arg(long, env = "ZAVA_REPLICA_MAX_LAG_MS", default_value_t = 5000, global = true)]
    replica_max_lag_ms: u64,
    /// The size at which --log-file turns over, in MiB.
    #[arg(long, env = "ZAVA_LOG_MAX_MB", default_value_t = 16, global = true)]
    log_max_mb: u64,
}

/// The per-principal share of the pool: as configured (default half the
/// pool), and always below the pool size when the pool has room for two.
fn principal_share(configured: Option<usize>, pool_max: usize) -> usize {
    let ceiling = pool_max.saturating_sub(1).max(1);
    configured.unwrap_or(pool_max / 2).clamp(1, ceiling)
}

/// The runtime's threads: as configured (at least one), else half the cores.
fn worker_threads(configured: Option<usize>) -> usize {
    configured.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() / 2)).max(1)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs are JSON on stderr (stdout carries the protocol in stdio mode), or
    // in a file bounded in size.
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZAVA_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt().json().with_env_filter(filter);
    match &cli.common.log_file {
        Some(path) => match logfile::RotatingFile::open(path, cli.common.log_max_mb.max(1) << 20) {
            Ok(file) => logs.with_writer(Arc::new(file)).init(),
            Err(e) => {
                eprintln!("zava-mcp: cannot open the log file {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => logs.with_writer(std::io::stderr).init(),
    }
    let threads = worker_threads(cli.common.worker_threads);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "zava-mcp stopped");
            eprintln!("zava-mcp: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let c = cli.common;
    let url = c.database_url.ok_or("DATABASE_URL (or --database-url) is required")?;
    let mut db = Db::new(DbConfig {
        url,
        pool_max: c.pool_max,
        wait_timeout: Duration::from_millis(c.pool_wait_ms),
        statement_timeout: Duration::from_millis(c.statement_timeout_ms),
        work_mem: c.work_mem,
        retries: c.retries,
        retry_base: Duration::from_millis(c.retry_base_ms),
        idle_timeout: Duration::from_secs(c.pool_idle_s),
        pooler: c.pooler,
        replica_urls: c.replica_urls,
        replica_max_lag: Duration::from_millis(c.replica_max_lag_ms),
    })?;
    let shutdown = CancellationToken::new();
    match db.check().await {
        Ok(version) => tracing::info!(zava = version, "database ready"),
        // Over HTTP the bridge serves /healthz, the OAuth metadata and its
        // refusals while the database is down (/readyz says not ready), and
        // calls work once it is up.
        Err(e) if e.unreachable && matches!(cli.transport, Transport::Http { .. }) => {
            tracing::warn!(error = %e, "the database is unreachable: serving, and connecting when it appears");
            tokio::spawn({
                let (db, stop) = (db.clone(), shutdown.clone());
                async move {
                    let mut tick = tokio::time::interval(Duration::from_secs(2));
                    while tokio::select! { _ = tick.tick() => true, _ = stop.cancelled() => false } {
                        match db.check().await {
                            Ok(version) => return tracing::info!(zava = version, "database ready"),
                            Err(e) if !e.unreachable => return tracing::error!(error = %e, "database unusable"),
                            Err(_) => {}
                        }
                    }
                }
            });
        }
        Err(e) => return Err(e.message),
    }
    let metrics = Metrics::new();
    let shared = match c.cache_url.as_deref().filter(|u| !u.is_empty()) {
        Some(url) if c.cache_ttl_s > 0 => Some(SharedCache::start(
            url,
            Duration::from_millis(c.cache_timeout_ms.max(1)),
            metrics.clone(),
            shutdown.clone(),
        )?),
        _ => None,
    };
    let cache = ResultCache::new(
        &CacheOptions {
            ttl: Duration::from_secs(c.cache_ttl_s),
            max_bytes: c.cache_max_mb.saturating_mul(1 << 20),
            max_entry_bytes: c.cache_max_entry_kb.saturating_mul(1 << 10),
            sales_queries: c.cache_sales_queries,
        },
        shared,
        metrics.clone(),
    );
    if let Some(cache) = &cache {
        // The data versions answers are keyed on: read once a second.
        tokio::spawn(watch_versions(db.clone(), cache.versions.clone(), shutdown.clone()));
    }
    db.observe_pool_wait(metrics.pool_wait.clone());
    db.observe_replica_calls(metrics.replica_calls.clone());
    let share = principal_share(c.max_concurrent_per_principal, c.pool_max);
    if c.max_concurrent_per_principal.is_some_and(|m| m > share) {
        tracing::warn!(
            share,
            pool_max = c.pool_max,
            "--max-concurrent-per-principal lowered below the pool size: one principal may not take every connection"
        );
    }
    let state = Arc::new(
        State::new(
            db.clone(),
            metrics,
            Duration::from_millis(c.slow_call_ms),
            c.query_timeout_ms,
            share,
            Duration::from_millis(c.queue_wait_ms),
        )
        .with_cache(cache),
    );
    tokio::spawn(stop_on_signal(shutdown.clone()));
    tokio::spawn({
        let (db, stop) = (db.clone(), shutdown.clone());
        async move { db.watch_replicas(stop).await }
    });
    tokio::spawn({
        let (db, shutdown) = (db.clone(), shutdown.clone());
        async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            while tokio::select! { _ = tick.tick() => true, _ = shutdown.cancelled() => false } {
                db.close_idle();
            }
        }
    });

    let result = match cli.transport {
        Transport::Stdio { principal } => {
            let (stdio, transport) = stdio::CheckedStdio::start();
            let service = Zava::new(state, Some(principal))
                .serve(transport)
                .await
                .map_err(|e| format!("MCP handshake failed: {e}"))?;
            let cancel = service.cancellation_token();
            let ended = tokio::select! {
                r = service.waiting() => r.map(|_| ()).map_err(|e| format!("stdio transport: {e}")),
                _ = shutdown.cancelled() => { cancel.cancel(); Ok(()) }
            };
            stdio.finish().await;
            ended
        }
        Transport::Http {
            listen,
            tokens_file,
            tokens: tokens_env,
            dev_rls_header,
            allowed_hosts,
            max_body_bytes,
            allowed_origins,
            metrics_token,
            readyz_details,
            drain_timeout_s,
            ui_host_dir,
            oauth,
        } => {
            let ui_host = match ui_host_dir {
                Some(dir) => Some(http::UiHost::read(&dir).map_err(|e| format!("--ui-host-dir: {e}"))?),
                None => None,
            };
            let mapping_cache = Duration::from_secs(oauth.oauth_mapping_cache_s);
            let oauth = match (*oauth).config()? {
                Some(cfg) => {
                    let o = Arc::new(oauth::OAuth::new(cfg, state.metrics.jwks_fetches.clone())?);
                    tracing::info!(issuer = %o.config().issuer, audience = %o.config().audience, "OAuth sign-in enabled");
                    tokio::spawn({
                        let (o, stop) = (o.clone(), shutdown.clone());
                        async move { o.watch(stop).await }
                    });
                    Some(o)
                }
                None => None,
            };
            let mut tokens = match tokens_file {
                Some(path) => Tokens::parse_file(
                    &std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                )?,
                None => Tokens::default(),
            };
            if let Some(env) = tokens_env {
                tokens.merge(Tokens::parse_env(&env)?)?;
            }
            config::check_listen(&listen, &tokens, oauth.is_some(), dev_rls_header)?;
            if dev_rls_header {
                tracing::warn!(
                    "the x-rls-user-id development header is enabled: anyone who can reach the port may claim any principal"
                );
            }
            tracing::info!(tokens = tokens.len(), "bearer tokens loaded");
            let opts = http::HttpOptions {
                listen,
                tokens,
                dev_header: dev_rls_header,
                allowed_hosts,
                allowed_origins,
                max_body_bytes,
                metrics_token,
                readyz_details,
                drain_timeout: Duration::from_secs(drain_timeout_s),
                oauth,
                mapping_cache,
                ui_host,
            };
            http::serve(state, opts, shutdown.clone()).await.map_err(|e| format!("HTTP server: {e}"))
        }
    };
    db.pool().close();
    tracing::info!("shut down");
    result
}

/// Reads every principal's data version each second (cache.rs); says once
/// when it cannot, and once when it can again. Versions older than
/// `VERSIONS_FRESH` are not used, so meanwhile calls skip the cache.
async fn watch_versions(db: Db, versions: Arc<Versions>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    while tokio::select! { _ = tick.tick() => true, _ = stop.cancelled() => false } {
        match tokio::time::timeout(Duration::from_secs(2), db.cache_versions()).await {
            Ok(Ok(rows)) => {
                versions.set(rows);
                if std::mem::take(&mut failing) {
                    tracing::info!("data versions read again: the result cache is in use");
                }
            }
            Ok(Err(e)) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "cannot read the data versions (zava.cache_versions, zava 0.12.0): calls skip the result cache");
            }
            Err(_) if !failing => {
                failing = true;
                tracing::warn!("reading the data versions took over 2 s: calls skip the result cache");
            }
            _ => {}
        }
    }
}

async fn stop_on_signal(shutdown: CancellationToken) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("signal received: finishing in-flight calls");
    shutdown.cancel();
}

#[cfg(test)]
mod tests {
    use super::principal_share;

    #[test]
    fn one_principal_never_gets_the_whole_pool() {
        assert_eq!(principal_share(None, 10), 5, "default: half the pool");
        assert_eq!(principal_share(Some(8), 10), 8);
        assert_eq!(principal_share(Some(10), 10), 9, "capped below the pool");
        assert_eq!(principal_share(Some(64), 32), 31);
        assert_eq!(principal_share(None, 1), 1, "a one-connection pool still serves");
        assert_eq!(principal_share(Some(0), 4), 1);
    }
}
