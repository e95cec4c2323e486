#!/usr/bin/env bash
# The shared result cache and the health document (0.12.0): two bridges
# sharing one Redis (password, loopback).
#   - a call answered on bridge A is a shared-cache hit on bridge B, with the
#     same answer; another principal with the same arguments gets its own;
#   - a write (as the administrator) shows in both bridges' cached answers
#     within 2 s (measured; asserted with a bound of 3 s);
#   - Redis stopped in the middle of a load: 0 failed calls, /readyz degraded,
#     then the shared cache is back in use by itself after Redis restarts;
#   - a wrong Redis password: the bridge starts, says why, answers from the
#     database;
#   - /readyz: JSON naming every dependency; the model directory removed →
#     degraded, naming the model; the database stopped → not_ready (503).
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-cache"; P=5487; A=8803; B=8804; C=8805; RP=6391
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; redis_stop "${DIR}/redis"; cluster_stop "${DIR}"' EXIT
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp) || { echo "not ok - zava-mcp builds"; exit 1; }
expect "a private Redis starts (loopback, password)" redis_start "${DIR}/redis" "${RP}"
REDIS_URL="$(redis_url "${DIR}/redis" "${RP}")"
# The bridges' model directory: a copy of the installed model, removed later.
MODEL_SRC="$("${PG_CONFIG}" --sharedir)/extension/zava_models/all-MiniLM-L6-v2"
pg_user_dir "${DIR}/model"; cp "${MODEL_SRC}"/* "${DIR}/model/"; chmod o+r "${DIR}"/model/*
q "${P}" postgres zava -c "ALTER ROLE zava_mcp SET zava.model_dir = '${DIR}/model'"

SEATTLE="seattle-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
OFFICE="office-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
TOKENS="${SEATTLE}=7a0a0000-0000-4000-8000-000000000011,${OFFICE}=7a0a0000-0000-4000-8000-000000000001"
bridge() { # bridge PORT CACHE-URL [ARGS…]
    local port="$1" url="$2"; shift 2
    DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKENS}" ZAVA_CACHE_URL="${url}" \
        "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${port}" --readyz-details \
        --log-file "${DIR}/bridge-${port}.log" "$@" 2> "${DIR}/bridge-${port}.stderr" &
    PIDS+=($!)
    bridge_ready "http://127.0.0.1:${port}" 20
}
# A and B wait up to 100 ms for Redis instead of the default 5 ms: these checks
# are about sharing, isolation and recovery, and on a loaded 2-core machine a
# loopback GET can miss 5 ms (seen: the layer then pauses and a hit is lost).
expect "bridge A starts with the shared cache" bridge "${A}" "${REDIS_URL}" --cache-timeout-ms 100
expect "bridge B starts with the same shared cache" bridge "${B}" "${REDIS_URL}" --cache-timeout-ms 100
expect "bridge C starts with a wrong Redis password" bridge "${C}" "redis://:not-the-password@127.0.0.1:${RP}/0"

ZAVA_ROOT="${ZAVA_ROOT}" DIR="${DIR}" P="${P}" RP="${RP}" A="${A}" B="${B}" C="${C}" SEATTLE="${SEATTLE}" OFFICE="${OFFICE}" \
PYTHONPATH="${ZAVA_ROOT}/tests/e2e" "${ZAVA_ROOT}/target/venv/bin/python" - <<'PY'
import json, os, re, subprocess, sys, threading, time, urllib.request
import mcp_http
from mcp_http import Client, check

E = os.environ
P, DIR = E["P"], E["DIR"]
URL = {b: f"http://127.0.0.1:{E[b]}" for b in "ABC"}
PERIOD = {"period": "2024-06-01..2024-06-30"}

def admin(sql):
    return subprocess.run(["psql", f"postgresql://postgres@127.0.0.1:{P}/zava", "-XqAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          capture_output=True, text=True, check=True).stdout.strip()

def helper(command):
    """One of scripts/cluster.sh's helpers (redis_start, redis_stop, cluster_stop)."""
    subprocess.run(["bash", "-c", f"source {E['ZAVA_ROOT']}/scripts/cluster.sh && {command}"], check=True)

def metric(bridge, name):
    text = urllib.request.urlopen(URL[bridge] + "/metrics", timeout=5).read().decode()
    m = re.search(r"^zava_mcp_" + re.escape(name) + r" ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0

def readyz(bridge):
    try:
        with urllib.request.urlopen(URL[bridge] + "/readyz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")

def eventually(seconds, pred):
    end = time.monotonic() + seconds
    while True:
        if pred():
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.1)

a, b, c = (Client(URL[x] + "/mcp", E["SEATTLE"]) for x in "ABC")
office_b = Client(URL["B"] + "/mcp", E["OFFICE"])
# The bridges read the data versions once a second: wait for the first read.
check("both bridges read the data versions", eventually(5, lambda: all(
    readyz(x)[1]["checks"]["cache"].get("data_versions") == "fresh" for x in "AB")))

# --- one bridge's answer is the other's hit ----------------------------------
shared_hits = 'cache_layer_hits_total{layer="shared"}'
h0 = metric("B", shared_hits)
first = a.call("get_store_performance", PERIOD)
check("A answers from the database", first[0] == "ok", first)
time.sleep(0.3)  # A stores in the background
again = b.call("get_store_performance", PERIOD)
check("the same question on B is a shared-cache hit", metric("B", shared_hits) == h0 + 1,
      f"{metric('B', shared_hits)} vs {h0}")
check("… with A's answer, exactly", again == first)
office = office_b.call("get_store_performance", PERIOD)
check("head office with the same arguments on B: its own answer (every store), not Seattle's",
      office[0] == "ok" and office[1]["current"]["revenue"] > first[1]["current"]["revenue"] and metric("B", shared_hits) == h0 + 1,
      (office[0], metric("B", shared_hits)))

# --- a write shows in both bridges' cached answers within 2 s -----------------
def revenue(client):
    r = client.call("get_store_performance", PERIOD)
    return float(r[1]["current"]["revenue"]) if r[0] == "ok" else None

before = {"A": revenue(a), "B": revenue(b)}
admin("""
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT '5a0a0000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-00000000cace',
       (SELECT customer_id FROM retail.customers ORDER BY customer_id LIMIT 1),
       timestamptz '2024-06-15 12:00 America/Los_Angeles', 'completed';
INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT '5a0a0000-0000-4000-8000-000000000001', gen_random_uuid(), '00000000-0000-4000-8000-00000000cace', product_id,
       1, 1000, 1000, 1 FROM retail.products ORDER BY sku LIMIT 1""")
t0 = time.monotonic()
seen = {}
while len(seen) < 2 and time.monotonic() - t0 < 10:
    for name, client in (("A", a), ("B", b)):
        if name not in seen and revenue(client) != before[name]:
            seen[name] = time.monotonic() - t0
    time.sleep(0.05)
print(f"# a write reached the cached answers after: A {seen.get('A', -1):.2f} s, B {seen.get('B', -1):.2f} s", flush=True)
check("a write shows in bridge A's answers within 3 s", seen.get("A", 99) <= 3.0, seen)
check("a write shows in bridge B's answers within 3 s", seen.get("B", 99) <= 3.0, seen)
check("… with the order's revenue added", abs(revenue(a) - before["A"] - 1000) < 0.005
      and abs(revenue(b) - before["B"] - 1000) < 0.005, (before, revenue(a), revenue(b)))
# stock: an inventory change reaches search's stock the same way
SEATTLE_STORE = "5a0a0000-0000-4000-8000-000000000001"
pid, name, level = admin(f"SELECT i.product_id, p.product_name, i.stock_level FROM retail.inventory i JOIN retail.products p USING (product_id) "
                         f"WHERE i.store_id = '{SEATTLE_STORE}' ORDER BY p.sku LIMIT 1").split("|")
def stock(client):
    r = client.call("semantic_search_products", {"query_description": name, "max_rows": 5, "store_id": SEATTLE_STORE})
    return next((row["stock"] for row in r[1]["rows"] if row["product_id"] == pid), None) if r[0] == "ok" else r
check("search answers the product's stock (cached)", stock(a) == int(level) and stock(a) == int(level), stock(a))
admin(f"UPDATE retail.inventory SET stock_level = {int(level) + 7} WHERE store_id = '{SEATTLE_STORE}' AND product_id = '{pid}'")
check("a stock change shows in both bridges' cached search answers within 3 s",
      eventually(3, lambda: stock(a) == int(level) + 7) and eventually(3, lambda: stock(b) == int(level) + 7), (stock(a), stock(b)))

# --- a wrong password: the bridge serves, and says why ------------------------
rc = readyz("C")
now_a = a.call("get_store_performance", PERIOD)
check("wrong Redis password: the bridge answers calls (from the database), as A does",
      now_a[0] == "ok" and c.call("get_store_performance", PERIOD) == now_a)
check("… /readyz degraded, the cache check failed with the reason", rc[0] == 200 and rc[1]["status"] == "degraded"
      and re.search(r"WRONGPASS|password|AuthenticationFailed", json.dumps(rc[1]["checks"]["cache"]), re.I) is not None, rc)
log = open(f"{DIR}/bridge-{E['C']}.log").read()
check("… and its log says why", re.search(r"shared cache unavailable.*(WRONGPASS|password)", log, re.I) is not None)

# --- Redis stopped mid-load: no call fails; back by itself -------------------
outcomes, stop = [], threading.Event()
def load(client, offset):
    # a new period each call: a miss in the near cache, so every call asks Redis
    n = offset
    while not stop.is_set():
        n += 1
        period = {"period": f"2024-{1 + n % 6:02d}-{1 + (n // 6) % 28:02d}..2024-06-30"}
        outcomes.append(client.call("get_store_performance", period)[0])
threads = [threading.Thread(target=load, args=(Client(URL[x] + "/mcp", E["SEATTLE"]), 1000 * i)) for i, x in enumerate("AB")]
for t in threads: t.start()
time.sleep(1)
helper(f"redis_stop {DIR}/redis")
time.sleep(2)
down = readyz("A")
stop.set()
for t in threads: t.join()
failed = [o for o in outcomes if o != "ok"]
check(f"Redis stopped during {len(outcomes)} calls on two bridges: 0 failed", len(outcomes) > 20 and not failed, failed[:5])
check("/readyz: degraded (200), naming the shared cache", down[0] == 200 and down[1]["status"] == "degraded"
      and down[1]["checks"]["cache"]["state"] == "failed", down)
check("/metrics: the shared cache is off", metric("A", "cache_shared_up") == 0 and metric("A", "cache_shared_errors_total") > 0)
check("calls still answer while Redis is down", a.call("get_category_breakdown", PERIOD)[0] == "ok")
helper(f"redis_start {DIR}/redis {E['RP']}")
def back(period):
    h = metric("B", shared_hits)
    a.call("get_customer_insights", {"period": period})
    time.sleep(0.3)
    b.call("get_customer_insights", {"period": period})
    return metric("B", shared_hits) > h
# each try asks about another month: a hit on B can only come from Redis
months = [f"2024-0{m}-01..2024-0{m}-28" for m in range(1, 6)]
check("Redis restarted: /readyz says the shared cache is back, with no call needed",
      eventually(10, lambda: readyz("A")[1]["checks"]["cache"]["state"] == "ok"), readyz("A"))
back_in_use = any(back(m) for m in months)
check("Redis restarted: the shared cache is in use again by itself (a hit on B of A's answer)",
      back_in_use and metric("A", "cache_shared_up") == 1)

# --- /readyz: every dependency; the model removed; the database stopped -------
st, doc = readyz("A")
check("/readyz: 200, JSON with every dependency", st == 200 and doc["status"] == "ready"
      and set(doc["checks"]) >= {"database", "extension", "embedding_model", "cache", "replicas"}, doc)
check("… each check with a state, the database with its latency",
      all("state" in v for v in doc["checks"].values()) and doc["checks"]["database"]["latency_ms"] >= 0)
check("… --readyz-details names the extension's version",
      re.fullmatch(r"0\.[0-9]+\.[0-9]+", str(doc["checks"]["extension"].get("version"))) is not None, doc["checks"]["extension"])
subprocess.run(["rm", "-rf", f"{DIR}/model"], check=True)
st, doc = readyz("A")
check("the model directory removed: /readyz degraded (200), the embedding model failed",
      st == 200 and doc["status"] == "degraded" and doc["checks"]["embedding_model"]["state"] == "failed", doc)
check("… naming the model and that semantic search would fail",
      "semantic_search_products" in doc["checks"]["embedding_model"]["detail"]
      and "all-MiniLM-L6-v2" in json.dumps(doc["checks"]["embedding_model"]), doc["checks"]["embedding_model"])
helper(f"cluster_stop {DIR}")
st, doc = readyz("A")
check("the database stopped: /readyz 503 not_ready, naming the database",
      st == 503 and doc["status"] == "not_ready" and doc["checks"]["database"]["state"] == "failed", (st, doc))
sys.exit(1 if mcp_http.FAILED else 0)
PY
