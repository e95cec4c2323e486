//! The MCP client of every benchmark: Streamable HTTP with a bearer token,
//! either a session client (2025-11-25: `initialize`, then the session id on
//! every request) or a per-request client (2026-07-28: no session, each
//! request carries its version and capabilities in `_meta` and the routing
//! headers `Mcp-Method`/`Mcp-Name`). See docs/mcp.md ("Sessions").

use std::time::Duration;

use serde_json::{Value, json};

const SESSION_VERSION: &str = "2025-11-25";
const PER_REQUEST_VERSION: &str = "2026-07-28";

pub struct Mcp {
    http: reqwest::Client,
    url: String,
    token: String,
    per_request: bool,
    session: Option<String>,
}

impl Mcp {
    /// A client of the bridge at `url`; a session client initializes its session.
    pub async fn open(url: &str, token: &str, per_request: bool) -> Result<Mcp, String> {
        let mut c = Mcp {
            http: reqwest::Client::new(),
            url: url.to_owned(),
            token: token.to_owned(),
            per_request,
            session: None,
        };
        c.reopen().await?;
        Ok(c)
    }

    /// A new session (a per-request client has none to open).
    pub async fn reopen(&mut self) -> Result<(), String> {
        if self.per_request {
            return Ok(());
        }
        self.session = None;
        let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": SESSION_VERSION, "capabilities": {},
            "clientInfo": {"name": "zava-bench", "version": "1"}}});
        let r = self.send("initialize", None, &init).await?;
        self.session = r.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let _ = r.text().await;
        let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        let _ = self.send("notifications/initialized", None, &note).await?.text().await;
        Ok(())
    }

    /// `tools/call` of `name` with `arguments`: the JSON-RPC response.
    /// Errors start with `HTTP: ` (no connection), `HTTP <status>` or `body: `
    /// (the connection failed while the answer came).
    pub async fn call_tool(&self, id: u64, name: &str, arguments: &Value) -> Result<Value, String> {
        let mut params = json!({"name": name, "arguments": arguments});
        if self.per_request {
            params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": PER_REQUEST_VERSION,
                                     "io.modelcontextprotocol/clientCapabilities": {}});
        }
        let req = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params});
        let text = self.send("tools/call", Some(name), &req).await?.text().await.map_err(|e| format!("body: {e}"))?;
        // A JSON body, or an SSE stream whose data line carries the response.
        let data = if text.starts_with('{') {
            text.as_str()
        } else {
            text.lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .find(|d| d.contains("\"id\""))
                .ok_or_else(|| format!("no response in {text:?}"))?
        };
        serde_json::from_str(data).map_err(|e| format!("not JSON ({e}): {data}"))
    }

    async fn send(&self, method: &str, name: Option<&str>, body: &Value) -> Result<reqwest::Response, String> {
        let version = if self.per_request { PER_REQUEST_VERSION } else { SESSION_VERSION };
        let mut req = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", version)
            .timeout(Duration::from_secs(60))
            .json(body);
        if self.per_request {
            req = req.header("mcp-method", method);
            if let Some(n) = name {
                req = req.header("mcp-name", n);
            }
        }
        if let Some(s) = &self.session {
            req = req.header("mcp-session-id", s);
        }
        let r = req.send().await.map_err(|e| format!("HTTP: {e}"))?;
        if r.status().is_success() { Ok(r) } else { Err(format!("HTTP {}", r.status())) }
    }
}
