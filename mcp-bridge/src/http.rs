//! Streamable HTTP: `/mcp` behind bearer-token authentication, plus
//! `/healthz`, `/readyz` and `/metrics`.
//!
//! Authentication: a bearer token from the tokens file (or `ZAVA_TOKENS`), or
//! with `--oauth-issuer` an identity provider's JWT whose identity the
//! database maps to a principal (oauth.rs), with the Protected Resource
//! Metadata at `/.well-known/oauth-protected-resource[/mcp]`.
//!
//! Around rmcp's service: an `Origin` check on every request that carries one
//! (403 unless allowed), and each MCP session bound to the principal of the
//! token that created it — a request with another principal's token naming
//! that `Mcp-Session-Id` (POST, GET with `Last-Event-ID`, DELETE) gets 404, as
//! if the session did not exist.
//!
//! Shutdown (SIGTERM, Ctrl-C) drains: from the signal on, every new `/mcp`
//! request gets 503 with `Retry-After` and a JSON-RPC error; the POSTs already
//! admitted finish and their answers are sent; then (or at `--drain-timeout-s`,
//! cancelling what still runs) the MCP sessions end, their streams close and
//! the server returns.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use futures_util::StreamExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::{Tokens, bearer, digest, origin_allowed};
use crate::db::{Db, Lookup};
use crate::envelope;
use crate::metrics::{Metrics, ReasonLabel};
use crate::oauth::{MappingCache, OAuth, Refusal};
use crate::server::{AuthPrincipal, State, Zava};

const SESSION_HEADER: &str = "mcp-session-id";

/// The bearer token of a request's `Authorization` header.
fn bearer_token(request: &Request) -> Option<&str> {
    request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer)
}

#[derive(Clone)]
struct Auth {
    tokens: Arc<Tokens>,
    /// Identity-provider tokens (JWTs), when configured.
    oauth: Option<Arc<OAuth>>,
    /// Identity → principal answers of the database, kept briefly.
    mappings: Arc<MappingCache>,
    db: Db,
    metrics: Metrics,
    /// Honour the seed's `x-rls-user-id` header (local development only).
    dev_header: bool,
    /// Session id → the principal whose token created it.
    sessions: Arc<Mutex<HashMap<String, Uuid>>>,
    /// (session id, JSON-RPC id) of requests whose answers are still streaming.
    in_flight: Arc<Mutex<HashSet<(String, String)>>>,
    max_body_bytes: usize,
    drain: Arc<Drain>,
}

/// Admitted POSTs whose answers are not yet sent, and whether the server is
/// stopping (then nothing new is admitted).
#[derive(Default)]
struct Drain {
    stopping: CancellationToken,
    active: AtomicUsize,
    idle: Notify,
}

/// One admitted POST, counted in [`Drain::active`] until its answer has been
/// sent (dropped with the response body).
struct Active(Arc<Drain>);

impl Active {
    fn new(drain: &Arc<Drain>) -> Active {
        drain.active.fetch_add(1, Ordering::SeqCst);
        Active(drain.clone())
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Drain {
    /// Waits until no admitted POST is left (after `stopping`, none is added).
    async fn finished(&self) {
        loop {
            let idle = self.idle.notified();
            if self.active.load(Ordering::SeqCst) == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// Holds a request's place in `in_flight` until its answer has been sent (or
/// the client went away): dropped with the response body.
struct InFlight {
    set: Arc<Mutex<HashSet<(String, String)>>>,
    key: (String, String),
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set.lock().expect("in-flight set").remove(&self.key);
    }
}

/// A JSON-RPC error answered by the HTTP layer itself.
fn jsonrpc_error(status: StatusCode, id: Value, code: i64, message: String) -> Response {
    let body = json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Reads a POST body once: not JSON → 400 with JSON-RPC -32700, not a
/// JSON-RPC message (envelope.rs) → 400 with -32600 or -32602; a request whose
/// id is still in flight in the same session → 409 with a JSON-RPC error at
/// once (rmcp would otherwise leave the second one waiting until a timeout).
async fn admit(auth: &Auth, session: Option<&str>, request: Request) -> Result<(Request, Option<InFlight>), Response> {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, auth.max_body_bytes).await else {
        return Err((StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n").into_response());
    };
    // rmcp would answer a malformed envelope with 415: say what is wrong instead.
    let message =
        envelope::check(&bytes).map_err(|r| jsonrpc_error(StatusCode::BAD_REQUEST, r.id, r.code, r.message))?;
    let mut guard = None;
    if let (Some(session), Some(_), Some(id)) = (session, message.get("method"), message.get("id"))
        && !id.is_null()
    {
        let key = (session.to_owned(), id.to_string());
        if !auth.in_flight.lock().expect("in-flight set").insert(key.clone()) {
            return Err(jsonrpc_error(
                StatusCode::CONFLICT,
                id.clone(),
                -32600,
                format!("Invalid Request: a request with id {id} is still in flight in this session"),
            ));
        }
        guard = Some(InFlight { set: auth.in_flight.clone(), key });
    }
    Ok((Request::from_parts(parts, Body::from(bytes)), guard))
}

async fn authenticate(AxumState(auth): AxumState<Auth>, request: Request, next: Next) -> Response {
    if auth.drain.stopping.is_cancelled() {
        let mut refused = jsonrpc_error(
            StatusCode::SERVICE_UNAVAILABLE,
            Value::Null,
            -32000,
            "the server is shutting down; retry on another instance or shortly".into(),
        );
        refused.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return refused;
    }
    // Counted before anything is awaited, so a drain that starts meanwhile waits for it.
    let active = (request.method() == Method::POST).then(|| Active::new(&auth.drain));
    let token = bearer_token(&request).map(str::to_owned);
    let from_token = token.as_deref().and_then(|t| auth.tokens.principal(t));
    let from_dev_header = || {
        auth.dev_header.then(|| request.headers().get("x-rls-user-id")?.to_str().ok()?.parse::<Uuid>().ok()).flatten()
    };
    let resolved = match (from_token.or_else(from_dev_header), &auth.oauth, token) {
        (Some(principal), _, _) => Ok(principal),
        (None, Some(oauth), Some(token)) => principal_of_jwt(&auth, oauth, &token).await,
        (None, _, Some(_)) => Err(Refusal::InvalidToken("the bearer token is not valid".into())),
        (None, _, None) => Err(Refusal::Missing),
    };
    match resolved {
        Ok(principal) => {
            let session = request.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
            if let Some(id) = &session {
                let owner = auth.sessions.lock().expect("session map").get(id).copied();
                if owner.is_some_and(|owner| owner != principal) {
                    tracing::warn!(%principal, "refused a request naming another principal's MCP session");
                    return (StatusCode::NOT_FOUND, "session not found\n").into_response();
                }
            }
            let deleting = request.method() == Method::DELETE;
            let (mut request, in_flight) = if request.method() == Method::POST {
                match admit(&auth, session.as_deref(), request).await {
                    Ok(admitted) => admitted,
                    Err(refused) => return refused,
                }
            } else {
                (request, None)
            };
            request.extensions_mut().insert(AuthPrincipal(principal));
            let mut response = next.run(request).await;
            // SDKs expect 200 or 204 for a session ended by DELETE (rmcp answers 202).
            if deleting && response.status() == StatusCode::ACCEPTED {
                *response.status_mut() = StatusCode::OK;
            }
            if in_flight.is_some() || active.is_some() {
                let (parts, body) = response.into_parts();
                let body = body.into_data_stream().map(move |chunk| {
                    let _held = (&in_flight, &active);
                    chunk
                });
                response = Response::from_parts(parts, Body::from_stream(body));
            }
            match (&session, response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok())) {
                // A new session (initialize): it belongs to this principal.
                (None, Some(created)) => {
                    auth.sessions.lock().expect("session map").insert(created.to_owned(), principal);
                }
                (Some(id), _) if deleting && response.status().is_success() => {
                    auth.sessions.lock().expect("session map").remove(id);
                }
                _ => {}
            }
            response
        }
        Err(refusal) => {
            auth.metrics.auth_refusals.get_or_create(&ReasonLabel { reason: refusal.reason().into() }).inc();
            let host = request.headers().get(header::HOST).and_then(|v| v.to_str().ok());
            refuse(auth.oauth.as_deref(), &refusal, host)
        }
    }
}

/// The principal an identity provider's token acts as: the token checked,
/// then the database's grant for its identity (kept for
/// --oauth-mapping-cache-s).
async fn principal_of_jwt(auth: &Auth, oauth: &OAuth, token: &str) -> Result<Uuid, Refusal> {
    let id = oauth.verify(token).await?;
    let granted = match auth.mappings.get(&id).await {
        Some(hit) => hit,
        None => {
            let found =
                auth.db.principal_for_subject(&id.issuer, &id.subject, &id.groups).await.map_err(|e| match e {
                    Lookup::Refused(m) => Refusal::NotGranted(m),
                    Lookup::Unavailable(m) => {
                        tracing::warn!(error = %m, "cannot look up the principal of a signed-in subject");
                        Refusal::Unavailable("the database cannot be asked for this identity's principal now".into())
                    }
                })?;
            auth.mappings.put(id.clone(), found).await;
            found
        }
    };
    granted.ok_or_else(|| {
        tracing::warn!(issuer = %id.issuer, subject = %id.subject, "a valid token whose identity is granted no principal");
        Refusal::NotGranted(format!(
            "subject \"{}\" of {} is granted no principal; an administrator grants one with \
             zava.grant_principal_subject(issuer, subject, principal)",
            id.subject, id.issuer
        ))
    })
}

/// The answer to a refused request. Without OAuth: 401 with a plain Bearer
/// challenge. With OAuth (RFC 6750 §3, RFC 9728 §5.1): 401 for no or a bad
/// token, 403 for a missing scope or no principal, 503 when the issuer's keys
/// or the database cannot be reached; each with a JSON-RPC error saying why.
fn refuse(oauth: Option<&OAuth>, refusal: &Refusal, host: Option<&str>) -> Response {
    let Some(oauth) = oauth else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"zava-mcp\"")],
            "a valid bearer token is required\n",
        )
            .into_response();
    };
    let (status, message) = match refusal {
        Refusal::Missing => (StatusCode::UNAUTHORIZED, "a bearer token is required".to_owned()),
        Refusal::InvalidToken(why) => (StatusCode::UNAUTHORIZED, format!("invalid token: {why}")),
        Refusal::InsufficientScope(missing) => {
            (StatusCode::FORBIDDEN, format!("the token lacks the scope(s) {}", missing.join(" ")))
        }
        Refusal::NotGranted(why) => (StatusCode::FORBIDDEN, why.clone()),
        Refusal::Unavailable(why) => (StatusCode::SERVICE_UNAVAILABLE, why.clone()),
    };
    let mut response = jsonrpc_error(status, Value::Null, -32001, message);
    let headers = response.headers_mut();
    match refusal {
        Refusal::Missing | Refusal::InvalidToken(_) | Refusal::InsufficientScope(_) => {
            if let Ok(v) = header::HeaderValue::from_str(&oauth.challenge(refusal, host)) {
                headers.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        Refusal::Unavailable(_) => {
            headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        Refusal::NotGranted(_) => {}
    }
    response
}

pub struct HttpOptions {
    pub listen: SocketAddr,
    pub tokens: Tokens,
    pub dev_header: bool,
    pub allowed_hosts: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
    pub metrics_token: Option<String>,
    pub readyz_details: bool,
    /// How long a shutdown waits for admitted calls before cancelling them.
    pub drain_timeout: Duration,
    /// Identity-provider sign-in, and how long its identity → principal answers are kept.
    pub oauth: Option<Arc<OAuth>>,
    pub mapping_cache: Duration,
    /// The project's MCP Apps host page (index.html and host.js), served at /ui-host/.
    pub ui_host: Option<UiHost>,
}

/// The host page's two files, read once at start-up.
#[derive(Clone)]
pub struct UiHost {
    index: Arc<Vec<u8>>,
    script: Arc<Vec<u8>>,
}

impl UiHost {
    /// Reads DIR/index.html and DIR/host.js (as `mcp-bridge/ui-host/build.sh DIR` makes them).
    pub fn read(dir: &std::path::Path) -> std::io::Result<Self> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map(Arc::new).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("{}: {e} (build it with mcp-bridge/ui-host/build.sh)", dir.join(name).display()),
                )
            })
        };
        Ok(UiHost { index: read("index.html")?, script: read("host.js")? })
    }

    fn router(self) -> Router {
        let page = |body: Arc<Vec<u8>>, kind: &'static str| {
            move || {
                let body = body.clone();
                async move {
                    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-store")], body.as_ref().clone())
                        .into_response()
                }
            }
        };
        Router::new()
            .route("/ui-host/", get(page(self.index.clone(), "text/html; charset=utf-8")))
            .route("/ui-host/host.js", get(page(self.script, "text/javascript; charset=utf-8")))
    }
}

/// Hosts and origins a request's `Origin` may name.
#[derive(Clone)]
struct Origins {
    hosts: Arc<Vec<String>>,
    origins: Arc<Vec<String>>,
}

async fn check_origin(AxumState(allowed): AxumState<Origins>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origin_allowed(origin, &allowed.hosts, &allowed.origins) {
            tracing::warn!(origin, "refused a request from an origin that is not allowed");
            return (StatusCode::FORBIDDEN, "origin not allowed\n").into_response();
        }
    }
    next.run(request).await
}

/// What /readyz and /metrics need besides the shared state.
#[derive(Clone)]
struct Ops {
    state: Arc<State>,
    /// SHA-256 of the token /metrics requires, if any.
    metrics_token: Option<[u8; 32]>,
    readyz_details: bool,
    drain: Arc<Drain>,
}

pub async fn serve(state: Arc<State>, opts: HttpOptions, shutdown: CancellationToken) -> std::io::Result<()> {
    let mut hosts =
        vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string(), opts.listen.ip().to_string()];
    hosts.extend(opts.allowed_hosts.iter().cloned());
    // Session mode (rmcp's default) for 2025-11-25 clients: measured no slower
    // than stateless JSON answers here, and a client's cancellation reaches the
    // call (stateless mode did not cancel the query when the client gave up).
    let hosts_for_origin = hosts.clone();
    // Ends every MCP session (and so its streams and calls): after the drain.
    let sessions_end = CancellationToken::new();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_cancellation_token(sessions_end.clone())
        .with_max_request_body_bytes(opts.max_body_bytes);
    let mcp_state = state.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(Zava::new(mcp_state.clone(), None)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let drain = Arc::new(Drain::default());
    let auth = Auth {
        tokens: Arc::new(opts.tokens),
        oauth: opts.oauth.clone(),
        mappings: Arc::new(MappingCache::new(opts.mapping_cache)),
        db: state.db.clone(),
        metrics: state.metrics.clone(),
        dev_header: opts.dev_header,
        sessions: Arc::default(),
        in_flight: Arc::default(),
        max_body_bytes: opts.max_body_bytes,
        drain: drain.clone(),
    };
    let mcp_routes = Router::new().fallback_service(mcp).layer(middleware::from_fn_with_state(auth, authenticate));
    let ops = Ops {
        state,
        metrics_token: opts.metrics_token.as_deref().map(digest),
        readyz_details: opts.readyz_details,
        drain: drain.clone(),
    };
    let origins = Origins { hosts: Arc::new(hosts_for_origin), origins: Arc::new(opts.allowed_origins) };
    let metadata = opts.oauth.as_ref().map(|o| o.metadata().to_string());
    let well_known = move || {
        let doc = metadata.clone();
        async move {
            match doc {
                Some(doc) => ([(header::CONTENT_TYPE, "application/json")], doc).into_response(),
                None => (StatusCode::NOT_FOUND, "no OAuth sign-in configured (--oauth-issuer)\n").into_response(),
            }
        }
    };
    let app = Router::new()
        .route("/.well-known/oauth-protected-resource", get(well_known.clone()))
        .route("/.well-known/oauth-protected-resource/mcp", get(well_known))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(ops)
        .merge(opts.ui_host.map(UiHost::router).unwrap_or_default())
        .nest("/mcp", mcp_routes)
        .layer(middleware::from_fn_with_state(origins, check_origin));
    // SSE answers go out in several small writes: without TCP_NODELAY, Nagle's
    // algorithm and delayed ACKs hold each call for ~40 ms (measured: p50 44 ms → see docs/mcp.md).
    let listener = tokio::net::TcpListener::bind(opts.listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!(listen = %opts.listen, "serving MCP over Streamable HTTP at /mcp");
    let drain_timeout = opts.drain_timeout;
    let drained = async move {
        shutdown.cancelled().await;
        drain.stopping.cancel();
        let waiting = drain.active.load(Ordering::SeqCst);
        tracing::info!(calls = waiting, "shutting down: refusing new requests, finishing admitted ones");
        if tokio::time::timeout(drain_timeout, drain.finished()).await.is_err() {
            tracing::warn!(
                calls = drain.active.load(Ordering::SeqCst),
                timeout_s = drain_timeout.as_secs_f64(),
                "drain timeout: cancelling the calls still running"
            );
        }
        sessions_end.cancel();
    };
    axum::serve(listener, app).with_graceful_shutdown(drained).await
}

/// Readiness for a load balancer, with every dependency named: JSON
/// `{"status": "ready"|"degraded"|"not_ready", "checks": {…}}`, each check
/// with its `state` (`ok`, `failed`, `off`, `unknown`) and `latency_ms`.
/// Not ready (503) only when the database or the extension fails; degraded
/// (200) when the embedding model cannot load (semantic search would fail) or
/// the shared cache is down. Versions, paths and error texts only with
/// `--readyz-details`.
async fn readyz(AxumState(ops): AxumState<Ops>) -> Response {
    let details = ops.readyz_details;
    let ms = |t: Instant| (t.elapsed().as_secs_f64() * 1e4).round() / 10.0;
    let mut checks = serde_json::Map::new();
    let mut check = |name: &str, state: &str, latency: Option<f64>, mut extra: Value| {
        let entry = extra.as_object_mut().map(std::mem::take).unwrap_or_default();
        let mut c = serde_json::Map::from_iter([("state".to_owned(), json!(state))]);
        if let Some(l) = latency {
            c.insert("latency_ms".into(), json!(l));
        }
        c.extend(entry);
        checks.insert(name.to_owned(), Value::Object(c));
    };
    if ops.drain.stopping.is_cancelled() {
        check("bridge", "failed", None, json!({"detail": "shutting down"}));
        return ready_answer("not_ready", checks);
    }
    let (mut not_ready, mut degraded) = (false, false);
    let t = Instant::now();
    match ops.state.db.check().await {
        Err(e) if e.unreachable => {
            tracing::warn!(error = %e, "readiness check failed");
            not_ready = true;
            let detail = if details { e.message.clone() } else { "database unavailable".into() };
            check("database", "failed", Some(ms(t)), json!({"detail": detail}));
            check("extension", "unknown", None, json!({}));
            check("embedding_model", "unknown", None, json!({}));
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            not_ready = true;
            check("database", "ok", Some(ms(t)), json!({}));
            let detail = if details { e.message.clone() } else { "the zava extension is not usable".into() };
            check("extension", "failed", None, json!({"detail": detail}));
            check("embedding_model", "unknown", None, json!({}));
        }
        Ok(version) => {
            check("database", "ok", Some(ms(t)), json!({}));
            let t = Instant::now();
            let health = ops.state.db.health().await;
            let latency = Some(ms(t));
            match health {
                Ok(h) => {
                    let mut ext = json!({});
                    if details {
                        ext = json!({"version": version, "merger": h.get("merger")});
                    }
                    check("extension", "ok", latency, ext);
                    let model = h.get("embedding_model").cloned().unwrap_or(Value::Null);
                    if model.get("loadable").and_then(Value::as_bool) == Some(true) {
                        check("embedding_model", "ok", None, if details { model } else { json!({}) });
                    } else {
                        degraded = true;
                        let mut m =
                            json!({"detail": "the embedding model cannot load: semantic_search_products would fail"});
                        if details {
                            m["model"] = model;
                        }
                        check("embedding_model", "failed", None, m);
                    }
                }
                // An extension older than 0.12.0 has no zava.health(): it
                // works, but cannot say whether its model loads.
                Err(e) if e.contains("zava.health") && e.contains("does not exist") => {
                    check("extension", "ok", latency, if details { json!({"version": version}) } else { json!({}) });
                    check(
                        "embedding_model",
                        "unknown",
                        None,
                        json!({"detail": "no zava.health() in this extension version"}),
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "zava.health() failed");
                    not_ready = true;
                    let detail = if details { e } else { "zava.health() failed".into() };
                    check("extension", "failed", latency, json!({"detail": detail}));
                    check("embedding_model", "unknown", None, json!({}));
                }
            }
        }
    }
    match ops.state.cache() {
        None => check("cache", "off", None, json!({})),
        Some(cache) => {
            let fresh = cache.versions.age().is_some_and(|a| a <= crate::cache::VERSIONS_FRESH);
            let versions = if fresh { "fresh" } else { "stale: calls skip the cache" };
            match cache.shared() {
                None => check("cache", "ok", None, json!({"layers": ["near"], "data_versions": versions})),
                Some(shared) => match shared.state() {
                    crate::cache::SharedState::Up => {
                        check("cache", "ok", None, json!({"layers": ["near", "shared"], "data_versions": versions}))
                    }
                    crate::cache::SharedState::Down(why) => {
                        degraded = true;
                        let mut c = json!({"layers": ["near"], "data_versions": versions,
                                           "detail": "the shared cache is down: answers come from this bridge and the database"});
                        if details {
                            c["error"] = json!(why);
                            c["target"] = json!(shared.target);
                        }
                        check("cache", "failed", None, c);
                    }
                },
            }
        }
    }
    let replicas = ops.state.db.replica_status();
    let in_use = replicas.iter().filter(|(u, _)| *u).count();
    let state = if in_use == replicas.len() { "ok" } else { "degraded" };
    check("replicas", state, None, json!({"configured": replicas.len(), "in_use": in_use}));
    let status = if not_ready {
        "not_ready"
    } else if degraded {
        "degraded"
    } else {
        "ready"
    };
    ready_answer(status, checks)
}

fn ready_answer(status: &str, checks: serde_json::Map<String, Value>) -> Response {
    let code = if status == "not_ready" { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (code, axum::Json(json!({"status": status, "checks": checks}))).into_response()
}

async fn metrics(AxumState(ops): AxumState<Ops>, request: Request) -> Response {
    if let Some(want) = ops.metrics_token
        && bearer_token(&request).map(digest) != Some(want)
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"zava-mcp metrics\"")],
            "/metrics needs the metrics token\n",
        )
            .into_response();
    }
    let state = &ops.state;
    let status = state.db.pool().status();
    state.metrics.pool_size.set(status.size as i64);
    state.metrics.pool_available.set(status.available as i64);
    state.metrics.pool_waiting.set(status.waiting as i64);
    for (i, (in_use, lag_ms)) in state.db.replica_status().into_iter().enumerate() {
        let label = crate::metrics::ReplicaLabel { replica: i.to_string() };
        state.metrics.replica_in_use.get_or_create(&label).set(i64::from(in_use));
        state.metrics.replica_lag_ms.get_or_create(&label).set(lag_ms);
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
        .into_response()
}
