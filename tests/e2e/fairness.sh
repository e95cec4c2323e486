#!/usr/bin/env bash
# Fair pooling: one principal flooding the bridge with slow calls cannot starve
# the others. A bridge with a 4-connection pool (so each principal's share is
# 2): head office sends 8 slow calls at once; 2 run, the rest wait their queue
# time and get RATE_LIMITED with a retry hint. Meanwhile Seattle's calls all
# succeed without waiting for the flood; their p50/p99 with and without the
# flood are printed (numbers, not assertions, apart from a generous bound).
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-fairness"; P=5485; HTTP_PORT=8794
BRIDGE_PID=""
trap '[ -n "${BRIDGE_PID}" ] && kill "${BRIDGE_PID}" 2>/dev/null; cluster_stop "${DIR}"' EXIT
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp) || { echo "not ok - zava-mcp builds"; exit 1; }
SEATTLE_TOKEN="seattle-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
OFFICE_TOKEN="office-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" \
ZAVA_TOKENS="${SEATTLE_TOKEN}=7a0a0000-0000-4000-8000-000000000011,${OFFICE_TOKEN}=7a0a0000-0000-4000-8000-000000000001" \
    "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${HTTP_PORT}" --pool-max 4 --queue-wait-ms 500 \
    --query-timeout-ms 20000 > "${DIR}/bridge.log" 2>&1 &
BRIDGE_PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${HTTP_PORT}/healthz" >/dev/null && break; sleep 0.1; done
expect "the bridge starts with a 4-connection pool" curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/readyz"

URL="http://127.0.0.1:${HTTP_PORT}/mcp" SEATTLE_TOKEN="${SEATTLE_TOKEN}" OFFICE_TOKEN="${OFFICE_TOKEN}" \
"${ZAVA_ROOT}/target/venv/bin/python" - <<'PY'
import asyncio, json, os, statistics, time
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

URL = os.environ["URL"]
SLOW = "SELECT count(*) FROM (SELECT generate_series(1, 120000000)) s"

def check(what, ok, info=""):
    print(("ok - " if ok else "not ok - ") + what, flush=True)
    if not ok and info:
        print("#   " + info, flush=True)

class Session:
    def __init__(self, token):
        self.token = token
    async def __aenter__(self):
        self.client = httpx2.AsyncClient(headers={"Authorization": "Bearer " + self.token}, timeout=60)
        self.transport = streamable_http_client(URL, http_client=self.client)
        r, w, *_ = await self.transport.__aenter__()
        self.session = ClientSession(r, w)
        await self.session.__aenter__()
        await self.session.initialize()
        return self.session
    async def __aexit__(self, *exc):
        await self.session.__aexit__(*exc)
        await self.transport.__aexit__(*exc)
        await self.client.aclose()

async def quick_calls(s, n):
    times, ok = [], 0
    for _ in range(n):
        t0 = time.monotonic()
        r = await s.call_tool("execute_sales_query", {"postgresql_query": "SELECT count(*) FROM retail.stores"})
        times.append((time.monotonic() - t0) * 1000)
        ok += 0 if r.is_error else 1
    return ok, times

def p(times, q):
    return sorted(times)[min(len(times) - 1, int(q * len(times)))]

async def main():
    async with Session(os.environ["SEATTLE_TOKEN"]) as seattle, Session(os.environ["OFFICE_TOKEN"]) as office:
        _, calm = await quick_calls(seattle, 20)
        t0 = time.monotonic()
        flood = [asyncio.create_task(office.call_tool("execute_sales_query", {"postgresql_query": SLOW})) for _ in range(8)]
        await asyncio.sleep(0.3)
        ok, busy = await quick_calls(seattle, 20)
        results = await asyncio.gather(*flood)
        flood_s = time.monotonic() - t0
    errors = [json.loads(r.content[0].text)["error"] for r in results if r.is_error]
    ran = [r for r in results if not r.is_error]
    print(f"# fairness: Seattle's calls p50/p99 {p(calm, .5):.1f}/{p(calm, .99):.1f} ms alone, "
          f"{p(busy, .5):.1f}/{p(busy, .99):.1f} ms during head office's flood of 8 slow calls "
          f"({len(ran)} ran, {len(errors)} RATE_LIMITED; the flood lasted {flood_s:.1f} s); "
          f"p99 during/alone {p(busy, .99) / p(calm, .99):.2f}x (goal: within 2x)", flush=True)
    check("fairness: the flood's calls are slow (longer than the bound below, so the bound means something)",
          flood_s > 1.5, f"{flood_s:.1f} s")
    check("fairness: every Seattle call succeeds during the flood", ok == 20, f"{ok} of 20")
    check("fairness: no Seattle call waits for the flood (each under 1.5 s; a slow call takes longer)",
          max(busy) < 1500, f"max {max(busy):.0f} ms")
    check("fairness: head office runs at most its share (2 of the 4 connections) at once", len(ran) <= 4 and len(ran) >= 2,
          f"{len(ran)} ran")
    check("fairness: the rest get RATE_LIMITED with a retry hint",
          len(errors) == 8 - len(ran) and all(e["code"] == "RATE_LIMITED" and "Retry" in (e.get("hint") or "") for e in errors),
          str(errors[:2]))

asyncio.run(main())
PY
expect_eq "the fairness client ran to completion" "$?" "0"
m="$(curl -sf "http://127.0.0.1:${HTTP_PORT}/metrics")"
# (grep on the text itself: pasting it into a bash -c string broke on the first apostrophe in a HELP line)
has_fairness_metrics() { grep -q '^zava_mcp_pool_wait_seconds_count' <<<"${m}" && grep -q '^zava_mcp_principal_queue ' <<<"${m}"; }
expect "/metrics has the pool-wait histogram and the principal queue gauge" has_fairness_metrics
