"""A small MCP client over Streamable HTTP, stdlib only, for the e2e scripts
that drive the bridge by hand (faults.sh, fuzz.sh, oauth_client.py): TAP-style
checks, one POST with its status, headers and JSON-RPC answer, a session
client, and the headers of a per-request (2026-07-28) client.
"""

import json
import urllib.error
import urllib.request

SESSION_VERSION = "2025-11-25"
PER_REQUEST_VERSION = "2026-07-28"
PER_REQUEST_META = {"io.modelcontextprotocol/protocolVersion": PER_REQUEST_VERSION,
                    "io.modelcontextprotocol/clientCapabilities": {}}

FAILED = 0


def check(what, ok, info=""):
    """Prints "ok - what" or "not ok - what" (and the info); counts failures in FAILED."""
    global FAILED
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok:
        FAILED += 1
        if info:
            print("#   " + str(info)[:800], flush=True)


def message_of(text):
    """The JSON-RPC message of a body sent as JSON or as an SSE stream (the
    last event carrying an id, else the first event), or None."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if text.startswith("{") or text.startswith("["):
        try:
            return json.loads(text)
        except ValueError:
            return None
    parsed = []
    for line in text.splitlines():
        if line.startswith("data:") and line[5:].strip():
            try:
                parsed.append(json.loads(line[5:]))
            except ValueError:
                return None
    answers = [m for m in parsed if isinstance(m, dict) and "id" in m]
    return answers[-1] if answers else (parsed[0] if parsed else None)


def post(url, token, body, session=None, headers=None, timeout=60):
    """One POST of a JSON-RPC message: (status, lower-cased headers, message or None)."""
    h = {"content-type": "application/json", "accept": "application/json, text/event-stream",
         "mcp-protocol-version": SESSION_VERSION}
    if token:
        h["authorization"] = "Bearer " + token
    if session:
        h["mcp-session-id"] = session
    h.update(headers or {})
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=h)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, hdrs, text = r.status, r.headers.items(), r.read().decode()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, e.headers.items(), e.read().decode()
    return status, {k.lower(): v for k, v in hdrs}, message_of(text)


def per_request(method, name=None):
    """The headers of a per-request (2026-07-28) client's request; its params
    carry PER_REQUEST_META in `_meta`."""
    h = {"mcp-protocol-version": PER_REQUEST_VERSION, "mcp-method": method}
    if name:
        h["mcp-name"] = name
    return h


class Client:
    """A session client (2025-11-25) of the bridge at `url` with `token`."""

    def __init__(self, url, token, name="e2e"):
        self.url, self.token, self.n = url, token, 0
        _, h, _ = post(url, token, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": SESSION_VERSION, "capabilities": {}, "clientInfo": {"name": name, "version": "1"}}})
        self.session = h.get("mcp-session-id")
        post(url, token, {"jsonrpc": "2.0", "method": "notifications/initialized"}, self.session)

    def call(self, tool, args):
        """('ok', result) | (error code, message) | ('http <status>', body) | ('exception', text)."""
        self.n += 1
        try:
            status, _, msg = post(self.url, self.token, {"jsonrpc": "2.0", "id": self.n, "method": "tools/call",
                                                         "params": {"name": tool, "arguments": args}}, self.session)
        except Exception as e:  # noqa: BLE001 - every failure is an outcome to report
            return "exception", repr(e)
        if status != 200 or msg is None or "result" not in msg:
            return f"http {status}", msg
        r = msg["result"]
        if r.get("isError"):
            err = json.loads(r["content"][0]["text"])["error"]
            return err["code"], err["message"]
        return "ok", r.get("structuredContent")
