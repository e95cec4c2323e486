#!/usr/bin/env bash
# Faults under load, each asserting one outcome (issue: pooler and faults):
#   1. Postgres stopped with -m immediate and restarted while 4 clients call:
#      every call is answered (an answer or UNAVAILABLE, nothing else), calls
#      succeed again within 5 s of Postgres being back, and then no dead
#      connection is left in the pool (20 calls in a row succeed on a pool of 10).
#   2. A backend terminated mid-query: that call gets UNAVAILABLE and is not
#      retried (57P01, the retry rule); the calls of others running meanwhile
#      all succeed.
#   3. Pool exhausted: a call waits --pool-wait-ms, then a clear UNAVAILABLE
#      ("every database connection is busy"); the calls holding the pool finish.
#   4. SIGTERM under load: the calls in flight finish with their answers, a new
#      one gets 503 at once (Retry-After, a JSON-RPC error), /readyz says
#      shutting down, and the bridge exits 0 well within --drain-timeout-s.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-faults"; P=5482; HTTP_PORT=8782
BRIDGE=""
trap '[ -n "${BRIDGE}" ] && kill "${BRIDGE}" 2>/dev/null; cluster_stop "${DIR}"' EXIT
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp) || { echo "not ok - zava-mcp builds"; exit 1; }
token() { echo "$1-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"; }
export OFFICE="$(token office)" SEATTLE="$(token seattle)" BELLEVUE="$(token bellevue)"
TOKENS="${OFFICE}=7a0a0000-0000-4000-8000-000000000001,${SEATTLE}=7a0a0000-0000-4000-8000-000000000011,${BELLEVUE}=7a0a0000-0000-4000-8000-000000000012"
export URL="http://127.0.0.1:${HTTP_PORT}" PSQL="${PG_BIN}/psql" PGURL="postgresql://postgres@127.0.0.1:${P}/zava"
bridge() { # bridge OPTIONS…: (re)start the bridge
    DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKENS}" \
        "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${HTTP_PORT}" --cache-ttl-s 0 "$@" \
        >> "${DIR}/bridge.log" 2>&1 &
    BRIDGE=$!
    bridge_ready "${URL}"
}
stop_bridge() { kill "${BRIDGE}" 2>/dev/null; wait "${BRIDGE}" 2>/dev/null; BRIDGE=""; }
# The Python parts below use tests/e2e/mcp_http.py (a small stdlib MCP client).
export PYTHONPATH="${ZAVA_ROOT}/tests/e2e"
export SLOW="SELECT count(*) FROM (SELECT generate_series(1, {n})) s"
PERF='{"period": "2024-04-01..2024-06-30"}'
export PERF

# --- 1. Postgres stopped (-m immediate) and restarted under load -------------
bridge --retry-base-ms 500 --retries 3 || echo "not ok - the bridge starts"
: > "${DIR}/events"
(
    sleep 3; echo "down $(date +%s.%N)" >> "${DIR}/events"
    as_pg_user "${PG_BIN}/pg_ctl" -D "${DIR}/data" -m immediate -w stop >/dev/null
    sleep 3; cluster_start "${DIR}"; echo "up $(date +%s.%N)" >> "${DIR}/events"
) &
RESTARTER=$!
EVENTS="${DIR}/events" python3 - <<'PY'
import json, os, threading, time
from mcp_http import Client, check
URL = os.environ["URL"] + "/mcp"
PERF = json.loads(os.environ["PERF"])
tokens = [os.environ[k] for k in ("OFFICE", "SEATTLE", "BELLEVUE", "OFFICE")]
outcomes, stop = [], time.time() + 14
def work(token):
    c = Client(URL, token)
    while time.time() < stop:
        t0 = time.time()
        code, detail = c.call("get_store_performance", PERF)
        outcomes.append((t0, time.time(), code, detail))
threads = [threading.Thread(target=work, args=(t,)) for t in tokens]
[t.start() for t in threads]; [t.join() for t in threads]
ev = dict(l.split() for l in open(os.environ["EVENTS"]))
down, up = float(ev["down"]), float(ev["up"])
codes = {}
for _, _, code, _ in outcomes:
    codes[code] = codes.get(code, 0) + 1
print(f"# restart: {len(outcomes)} calls: {codes}; Postgres down {up - down:.1f} s", flush=True)
slowest = max(end - start for start, end, _, _ in outcomes)
# The fault happened: calls failed, or waited through the retries (with
# --retry-base-ms 500 they may all outlast a 3.4 s outage).
check("restart: calls failed or waited while Postgres was down (the fault happened)",
      codes.get("UNAVAILABLE", 0) > 0 or slowest > 2, (codes, round(slowest, 2)))
check("restart: every call got an answer or UNAVAILABLE, nothing else",
      set(codes) <= {"ok", "UNAVAILABLE"}, [o for o in outcomes if o[2] not in ("ok", "UNAVAILABLE")][:3])
first_ok = min((end for start, end, code, _ in outcomes if code == "ok" and start >= up), default=None)
check("restart: calls succeed again within 5 s of Postgres being back",
      first_ok is not None and first_ok - up <= 5, f"first success {None if first_ok is None else round(first_ok - up, 2)} s after")
late = [o for o in outcomes if o[0] >= up + 5]
check("restart: every call started 5 s after it is back succeeds", late and all(o[2] == "ok" for o in late),
      [o[2:] for o in late if o[2] != "ok"][:3])
c = Client(URL, os.environ["SEATTLE"])
results = [c.call("get_store_performance", PERF)[0] for _ in range(20)]
check("restart: then no dead connection is left in the pool (20 calls in a row succeed, pool of 10)",
      results.count("ok") == 20, results)
PY
wait "${RESTARTER}"
stop_bridge

# --- 2. a backend terminated mid-query ---------------------------------------
bridge || echo "not ok - the bridge starts"
python3 - <<'PY'
import json, os, subprocess, threading, time
from mcp_http import Client, check
URL, SLOW = os.environ["URL"] + "/mcp", os.environ["SLOW"]
PERF = json.loads(os.environ["PERF"])
def psql(sql):
    return subprocess.run([os.environ["PSQL"], os.environ["PGURL"], "-XAtc", sql], capture_output=True, text=True).stdout.strip()
victim = {}
def slow():
    victim["outcome"] = Client(URL, os.environ["OFFICE"]).call("execute_sales_query", {"postgresql_query": SLOW.format(n=200_000_000)})
others, stop = [], threading.Event()
def steady(token):
    c = Client(URL, token)
    while not stop.is_set():
        others.append(c.call("get_store_performance", PERF)[0])
t = threading.Thread(target=slow); t.start()
ws = [threading.Thread(target=steady, args=(k,)) for k in (os.environ["SEATTLE"], os.environ["BELLEVUE"])]
[w.start() for w in ws]
killed = "0"
for _ in range(50):
    time.sleep(0.2)
    killed = psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'zava_mcp' "
                  "AND state = 'active' AND query LIKE '%safe_query%'")
    if killed == "1":
        break
t.join(); time.sleep(1); stop.set(); [w.join() for w in ws]
check("terminate: the slow call's backend was terminated mid-query", killed == "1", killed)
check("terminate: that call gets UNAVAILABLE (57P01 is never retried)", victim.get("outcome", ("",))[0] == "UNAVAILABLE", victim)
check("terminate: the other principals' calls meanwhile all succeed", others and set(others) == {"ok"},
      {c: others.count(c) for c in set(others)})
PY
expect "terminate: the bridge logged it as not retried" grep -q 'died while running the call; not retried' "${DIR}/bridge.log"
stop_bridge

# --- 3. pool exhausted --------------------------------------------------------
bridge --pool-max 2 --pool-wait-ms 1500 --max-concurrent-per-principal 1 --query-timeout-ms 30000 \
    || echo "not ok - the bridge starts"
python3 - <<'PY'
import os, threading, time
from mcp_http import Client, check
URL, SLOW = os.environ["URL"] + "/mcp", os.environ["SLOW"]
held = {}
def hold(name):
    # Several seconds each (about 17 million rows a second here).
    held[name] = Client(URL, os.environ[name]).call("execute_sales_query", {"postgresql_query": SLOW.format(n=150_000_000)})[0]
hs = [threading.Thread(target=hold, args=(n,)) for n in ("OFFICE", "BELLEVUE")]
[h.start() for h in hs]
time.sleep(0.8)
c = Client(URL, os.environ["SEATTLE"])
t0 = time.time()
code, message = c.call("execute_sales_query", {"postgresql_query": "SELECT 1"})
waited = time.time() - t0
[h.join() for h in hs]
print(f"# pool exhausted: the third call waited {waited:.2f} s (--pool-wait-ms 1500)", flush=True)
check("pool exhausted: the two calls holding both connections finish", held == {"OFFICE": "ok", "BELLEVUE": "ok"}, held)
check("pool exhausted: a third call waits --pool-wait-ms, not longer (1.4-3 s)", 1.4 <= waited <= 3.0, f"{waited:.2f} s")
check("pool exhausted: then UNAVAILABLE saying every connection is busy",
      code == "UNAVAILABLE" and "every database connection is busy" in (message or ""), (code, message))
PY
stop_bridge

# --- 4. SIGTERM under load ----------------------------------------------------
bridge --drain-timeout-s 20 || echo "not ok - the bridge starts"
export BRIDGE_PID="${BRIDGE}"
python3 - <<'PY'
import os, signal, threading, time, urllib.request, urllib.error
from mcp_http import Client, check, post
URL, SLOW = os.environ["URL"] + "/mcp", os.environ["SLOW"]
answers = []
def slow(token):
    answers.append(Client(URL, token).call("execute_sales_query", {"postgresql_query": SLOW.format(n=40_000_000)}))
clients = [threading.Thread(target=slow, args=(os.environ[k],)) for k in ("OFFICE", "OFFICE", "SEATTLE", "SEATTLE", "BELLEVUE")]
[c.start() for c in clients]
time.sleep(0.8)
late = Client(URL, os.environ["BELLEVUE"])  # a session opened before the signal
t0 = time.time()
os.kill(int(os.environ["BRIDGE_PID"]), signal.SIGTERM)
time.sleep(0.2)
status, headers, msg = post(URL, os.environ["BELLEVUE"], {"jsonrpc": "2.0", "id": 9, "method": "tools/call",
    "params": {"name": "get_current_utc_date", "arguments": {}}}, late.session, timeout=5)
headers = {k.lower(): v for k, v in headers.items()}
try:
    ready = urllib.request.urlopen(os.environ["URL"] + "/readyz", timeout=5).status
except urllib.error.HTTPError as e:
    ready = e.code
[c.join() for c in clients]
finished = time.time() - t0
check("SIGTERM: a new call meanwhile gets 503 with Retry-After and a JSON-RPC error",
      status == 503 and headers.get("retry-after") == "1" and (msg or {}).get("error", {}).get("code") == -32000,
      (status, headers.get("retry-after"), msg))
check("SIGTERM: /readyz says not ready while draining", ready == 503, ready)
check("SIGTERM: the 5 calls in flight finish with their answers", len(answers) == 5 and all(a[0] == "ok" for a in answers),
      [a[0] for a in answers])
print(f"# SIGTERM: in-flight calls finished {finished:.1f} s after the signal", flush=True)
PY
t0=$(date +%s.%N)
for _ in $(seq 1 100); do kill -0 "${BRIDGE}" 2>/dev/null || break; sleep 0.1; done
wait "${BRIDGE}"; rc=$?; BRIDGE=""
expect_eq "SIGTERM: the bridge exits 0 once they are done" "${rc}" "0"
expect "SIGTERM: and within a few seconds of them, far below the drain timeout (20 s)" \
    awk "BEGIN { exit !($(date +%s.%N) - ${t0} < 5) }"
