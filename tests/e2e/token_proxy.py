"""A test-side reverse proxy that adds a bearer token to every request.

The MCP conformance suite sends no credentials, and zava-mcp refuses any /mcp
request without a token. Between them, this proxy forwards each request
unchanged — method, path, body, and the `Host` and `Origin` headers the DNS
rebinding scenario is about — adding only `Authorization: Bearer $TOKEN`, and
streams the answer back (SSE included). Used by tests/e2e/conformance.sh only.

Usage: token_proxy.py LISTEN_PORT UPSTREAM_BASE_URL   (token in $ZAVA_PROXY_TOKEN)
"""

import os
import sys

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

LISTEN_PORT = int(sys.argv[1])
UPSTREAM = sys.argv[2].rstrip("/")
TOKEN = os.environ["ZAVA_PROXY_TOKEN"]
# Hop-by-hop headers are the proxy's own business on each side.
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}

client = httpx2.AsyncClient(timeout=httpx2.Timeout(60.0))


async def forward(request: Request):
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP | {"authorization"}]
    headers.append(("authorization", f"Bearer {TOKEN}"))
    upstream = client.build_request(request.method, UPSTREAM + request.url.path
                                    + (f"?{request.url.query}" if request.url.query else ""),
                                    headers=headers, content=await request.body())
    answer = await client.send(upstream, stream=True)
    return StreamingResponse(answer.aiter_raw(), status_code=answer.status_code,
                             headers={k: v for k, v in answer.headers.items() if k.lower() not in HOP},
                             background=BackgroundTask(answer.aclose))


app = Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST", "DELETE"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=LISTEN_PORT, log_level="warning")
