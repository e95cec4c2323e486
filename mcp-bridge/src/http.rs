//! Streamable HTTP: `/mcp` behind bearer-token authentication, plus
//! `/healthz`, `/readyz` and `/metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::{Tokens, bearer};
use crate::server::{AuthPrincipal, State, Zava};

#[derive(Clone)]
struct Auth {
    tokens: Arc<Tokens>,
    /// Honour the seed's `x-rls-user-id` header (local development only).
    dev_header: bool,
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
            request.extensions_mut().insert(AuthPrincipal(principal));
            next.run(request).await
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
    pub max_body_bytes: usize,
}

pub async fn serve(state: Arc<State>, opts: HttpOptions, shutdown: CancellationToken) -> std::io::Result<()> {
    let mut hosts =
        vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string(), opts.listen.ip().to_string()];
    hosts.extend(opts.allowed_hosts.iter().cloned());
    // Session mode (rmcp's default) for 2025-11-25 clients: measured no slower
    // than stateless JSON answers here, and a client's cancellation reaches the
    // call (stateless mode did not cancel the query when the client gave up).
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
    let auth = Auth { tokens: Arc::new(opts.tokens), dev_header: opts.dev_header };
    let mcp_routes = Router::new().fallback_service(mcp).layer(middleware::from_fn_with_state(auth, authenticate));
    let app = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
        .nest("/mcp", mcp_routes);
    // SSE answers go out in several small writes: without TCP_NODELAY, Nagle's
    // algorithm and delayed ACKs hold each call for ~40 ms (measured: p50 44 ms → see docs/mcp.md).
    let listener = tokio::net::TcpListener::bind(opts.listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tracing::info!(listen = %opts.listen, "serving MCP over Streamable HTTP at /mcp");
    axum::serve(listener, app).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

async fn readyz(AxumState(state): AxumState<Arc<State>>) -> Response {
    match state.db.check().await {
        Ok(version) => (StatusCode::OK, format!("ready: database reachable, zava {version}\n")).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "not ready: database unavailable\n").into_response()
        }
    }
}

async fn metrics(AxumState(state): AxumState<Arc<State>>) -> Response {
    let status = state.db.pool().status();
    state.metrics.pool_size.set(status.size as i64);
    state.metrics.pool_available.set(status.available as i64);
    state.metrics.pool_waiting.set(status.waiting as i64);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
        .into_response()
}
