//! Streamable HTTP: `/mcp` behind bearer-token authentication, plus
//! `/healthz`, `/readyz` and `/metrics`.
//!
//! Around rmcp's service: an `Origin` check on every request that carries one
//! (403 unless allowed), and each MCP session bound to the principal of the
//! token that created it — a request with another principal's token naming
//! that `Mcp-Session-Id` (POST, GET with `Last-Event-ID`, DELETE) gets 404, as
//! if the session did not exist.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::{Tokens, bearer, origin_allowed};
use crate::server::{AuthPrincipal, State, Zava};

const SESSION_HEADER: &str = "mcp-session-id";

#[derive(Clone)]
struct Auth {
    tokens: Arc<Tokens>,
    /// Honour the seed's `x-rls-user-id` header (local development only).
    dev_header: bool,
    /// Session id → the principal whose token created it.
    sessions: Arc<Mutex<HashMap<String, Uuid>>>,
}

async fn authenticate(AxumState(auth): AxumState<Auth>, mut request: Request, next: Next) -> Response {
    let from_token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .and_then(|t| auth.tokens.principal(t));
    let from_dev_header = || {
        auth.dev_header.then(|| request.headers().get("x-rls-user-id")?.to_str().ok()?.parse::<Uuid>().ok()).flatten()
    };
    match from_token.or_else(from_dev_header) {
        Some(principal) => {
            let session = request.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
            if let Some(id) = &session {
                let owner = auth.sessions.lock().expect("session map").get(id).copied();
                if owner.is_some_and(|owner| owner != principal) {
                    tracing::warn!(%principal, "refused a request naming another principal's MCP session");
                    return (StatusCode::NOT_FOUND, "session not found\n").into_response();
                }
            }
            let deleting = request.method() == axum::http::Method::DELETE;
            request.extensions_mut().insert(AuthPrincipal(principal));
            let response = next.run(request).await;
            let mut sessions = auth.sessions.lock().expect("session map");
            match (&session, response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok())) {
                // A new session (initialize): it belongs to this principal.
                (None, Some(created)) => {
                    sessions.insert(created.to_owned(), principal);
                }
                (Some(id), _) if deleting && response.status().is_success() => {
                    sessions.remove(id);
                }
                _ => {}
            }
            response
        }
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"zava-mcp\"")],
            "a valid bearer token is required\n",
        )
            .into_response(),
    }
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
}

pub async fn serve(state: Arc<State>, opts: HttpOptions, shutdown: CancellationToken) -> std::io::Result<()> {
    let mut hosts =
        vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string(), opts.listen.ip().to_string()];
    hosts.extend(opts.allowed_hosts.iter().cloned());
    // Session mode (rmcp's default) for 2025-11-25 clients: measured no slower
    // than stateless JSON answers here, and a client's cancellation reaches the
    // call (stateless mode did not cancel the query when the client gave up).
    let hosts_for_origin = hosts.clone();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(hosts)
        .with_cancellation_token(shutdown.child_token())
        .with_max_request_body_bytes(opts.max_body_bytes);
    let mcp_state = state.clone();
    let mcp = StreamableHttpService::new(
        move || Ok(Zava::new(mcp_state.clone(), None)),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let auth = Auth { tokens: Arc::new(opts.tokens), dev_header: opts.dev_header, sessions: Arc::default() };
    let mcp_routes = Router::new().fallback_service(mcp).layer(middleware::from_fn_with_state(auth, authenticate));
    let ops = Ops {
        state,
        metrics_token: opts.metrics_token.as_deref().map(|t| Sha256::digest(t.as_bytes()).into()),
        readyz_details: opts.readyz_details,
    };
    let origins = Origins { hosts: Arc::new(hosts_for_origin), origins: Arc::new(opts.allowed_origins) };
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(ops)
        .nest("/mcp", mcp_routes)
        .layer(middleware::from_fn_with_state(origins, check_origin));
    // SSE answers go out in several small writes: without TCP_NODELAY, Nagle's
    // algorithm and delayed ACKs hold each call for ~40 ms (measured: p50 44 ms → see docs/mcp.md).
    let listener = tokio::net::TcpListener::bind(opts.listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!(listen = %opts.listen, "serving MCP over Streamable HTTP at /mcp");
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

async fn readyz(AxumState(ops): AxumState<Ops>) -> Response {
    match ops.state.db.check().await {
        Ok(version) if ops.readyz_details => {
            (StatusCode::OK, format!("ready: database reachable, zava {version}\n")).into_response()
        }
        Ok(_) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready: database unavailable\n").into_response()
        }
    }
}

async fn metrics(AxumState(ops): AxumState<Ops>, request: Request) -> Response {
    if let Some(want) = ops.metrics_token {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer);
        let given: Option<[u8; 32]> = given.map(|t| Sha256::digest(t.as_bytes()).into());
        if given != Some(want) {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"zava-mcp metrics\"")],
                "/metrics needs the metrics token\n",
            )
                .into_response();
        }
    }
    let state = &ops.state;
    let status = state.db.pool().status();
    state.metrics.pool_size.set(status.size as i64);
    state.metrics.pool_available.set(status.available as i64);
    state.metrics.pool_waiting.set(status.waiting as i64);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
        .into_response()
}
