#!/usr/bin/env bash
# Malformed and hostile MCP messages (ZAVA_FUZZ_MESSAGES, default 10,000 over
# HTTP and 2,000 over stdio), from a seeded generator so a failure can be
# replayed (ZAVA_FUZZ_SEED): invalid JSON, invalid UTF-8, wrong types, huge
# bodies, deep nesting, batches, unknown methods, missing, null and duplicate
# ids, mutated tool calls and mutated SQL for the query gate, and slow bodies.
# Asserted: every HTTP answer is a success, a 4xx or a JSON-RPC error (never a
# 5xx, never a hang), the bridge stays alive and answers a real call after the
# run, its RSS stays bounded (printed); over stdio, every request gets exactly
# one answer and the process keeps running until its input ends.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-fuzz"; P=5481; HTTP_PORT=8781
BRIDGE=""
trap '[ -n "${BRIDGE}" ] && kill "${BRIDGE}" 2>/dev/null; cluster_stop "${DIR}"' EXIT
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp) || { echo "not ok - zava-mcp builds"; exit 1; }
export TOKEN="fuzz-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')" SEATTLE=7a0a0000-0000-4000-8000-000000000011
export DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava"
ZAVA_TOKENS="${TOKEN}=${SEATTLE}" "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${HTTP_PORT}" \
    --max-body-bytes 262144 > "${DIR}/bridge.log" 2>&1 &
BRIDGE=$!
bridge_ready "http://127.0.0.1:${HTTP_PORT}"
export PYTHONPATH="${ZAVA_ROOT}/tests/e2e"  # mcp_http.py: check, message_of
export HOST=127.0.0.1 PORT="${HTTP_PORT}" BRIDGE_PID="${BRIDGE}" BIN="${ZAVA_ROOT}/target/debug/zava-mcp"
export MESSAGES="${ZAVA_FUZZ_MESSAGES:-10000}" STDIO_MESSAGES="${ZAVA_FUZZ_STDIO_MESSAGES:-2000}" SEED="${ZAVA_FUZZ_SEED:-20261205}"
python3 - <<'PY'
import http.client, json, os, random, select, socket, subprocess, threading, time
from mcp_http import check, message_of

HOST, PORT, TOKEN = os.environ["HOST"], int(os.environ["PORT"]), os.environ["TOKEN"]
rng = random.Random(int(os.environ["SEED"]))
print(f"# seed {os.environ['SEED']}", flush=True)

def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])

HEADERS = {"Authorization": "Bearer " + TOKEN, "Content-Type": "application/json",
           "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}

def request(body, session=None, headers=None, timeout=30):
    c = http.client.HTTPConnection(HOST, PORT, timeout=timeout)
    h = dict(HEADERS)
    if session:
        h["Mcp-Session-Id"] = session
    h.update(headers or {})
    c.request("POST", "/mcp", body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

_, h, _ = request(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}}))
SESSION = h.get("mcp-session-id")
request(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}), SESSION)
check("fuzz: a session is opened", bool(SESSION))

TOOLS = ["get_current_utc_date", "get_multiple_table_schemas", "execute_sales_query", "explain_sales_query",
         "semantic_search_products", "get_store_performance", "get_sales_trend", "get_top_products",
         "get_category_breakdown", "get_customer_insights", "get_inventory_alerts", "no_such_tool"]
SQL = ["SELECT store_id, count(*) FROM retail.orders GROUP BY 1", "SELECT * FROM retail.products LIMIT 3",
       "SELECT pg_sleep(1)", "DELETE FROM retail.orders", "SELECT current_setting('zava.principal')",
       "WITH x AS (SELECT 1) SELECT * FROM x", "SELECT 1; SELECT 2", "SELECT $$a$$", "COPY retail.orders TO STDOUT",
       "SELECT * FROM pg_authid", "SELECT format('%1$s', 'x')", "SELECT set_config('role','postgres',true)"]
WEIRD = [None, True, -1, 0, 2**63, -2**63, 1e308, "", "x" * 5000, [], {}, [1, [2, [3]]], {"$ref": "#"},
         "\u0000", "\ud7ff\ue000", "'; DROP TABLE retail.orders; --", "2024-13-45..2024-01-01", "last_30_days",
         "7a0a0000-0000-4000-8000-000000000012", "00000000-0000-0000-0000-000000000000"]

def mutate_sql(s):
    s = list(s)
    for _ in range(rng.randint(1, 6)):
        op = rng.random()
        i = rng.randrange(len(s) + 1)
        if op < 0.4 and s:
            del s[min(i, len(s) - 1)]
        elif op < 0.8:
            s.insert(i, rng.choice("();,'\"$*-/\\\x00 \n\tselectSELECT0123456789%_[]{}:"))
        else:
            s[i:i] = list(rng.choice(SQL))
    return "".join(s)

def tool_call(i):
    name = rng.choice(TOOLS)
    keys = ["postgresql_query", "table_names", "max_rows", "period", "store_id", "compare_to", "k", "by",
            "granularity", "from_date", "to_date", "min_days_of_cover", "query_description",
            "similarity_threshold", "in_stock_only", "extra"]
    args = {k: rng.choice(WEIRD) for k in rng.sample(keys, rng.randint(0, 4))}
    if name in ("execute_sales_query", "explain_sales_query"):
        args["postgresql_query"] = mutate_sql(rng.choice(SQL))
    if rng.random() < 0.1:
        args = rng.choice(WEIRD)
    return {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": name, "arguments": args}}

def case(i):
    """(kind, body bytes, extra headers)."""
    k = rng.randrange(14)
    if k == 0:
        return "random bytes", bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))), None
    if k == 1:
        return "invalid utf-8", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\xff\xfe\xc3"}}', None
    if k == 2:
        depth = rng.choice([100, 1000, 20000])
        return "deep nesting", ("[" * depth + "]" * depth).encode(), None
    if k == 3:
        return "huge body", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"a" * 300_000 + b'"}}', None
    if k == 4:
        return "batch", json.dumps([tool_call(i), {"jsonrpc": "2.0", "id": i + 1, "method": "ping"}]).encode(), None
    if k == 5:
        return "unknown method", json.dumps({"jsonrpc": "2.0", "id": i, "method": rng.choice(
            ["tools/destroy", "", "resources/write", "x" * 300, "rpc.discover", "initialize"])}).encode(), None
    if k == 6:
        m = tool_call(i); m.pop("id")
        return "missing id", json.dumps(m).encode(), None
    if k == 7:
        m = tool_call(i); m["id"] = rng.choice([None, {"a": 1}, [1], 1.5, True, "x" * 1000])
        return "odd id", json.dumps(m).encode(), None
    if k == 8:
        m = tool_call(i); m["jsonrpc"] = rng.choice(["1.0", None, 2, ""])
        return "wrong version", json.dumps(m).encode(), None
    if k == 9:
        m = {"jsonrpc": "2.0", "id": i, "method": rng.choice(["tools/call", "prompts/get", "resources/read",
             "completion/complete", "tools/list"]), "params": rng.choice(WEIRD)}
        return "wrong params type", json.dumps(m).encode(), None
    if k == 10:
        return "wrong content type", json.dumps(tool_call(i)).encode(), {"Content-Type": rng.choice(["text/plain", "application/xml", ""])}
    if k == 11:
        return "bad session", json.dumps(tool_call(i)).encode(), {"Mcp-Session-Id": rng.choice(["", "nope", "\t", "a" * 500])}
    return "mutated tool call", json.dumps(tool_call(i)).encode(), None

n = int(os.environ["MESSAGES"])
start_rss = rss_kb(os.environ["BRIDGE_PID"])
statuses, bad, kinds, by_kind = {}, [], {}, {}
t0 = time.time()
for i in range(1, n + 1):
    kind, body, headers = case(i)
    kinds[kind] = kinds.get(kind, 0) + 1
    try:
        status, h, data = request(body, SESSION, headers)
    except Exception as e:  # noqa: BLE001 - a failed exchange is the finding
        bad.append((kind, "exception", repr(e)))
        continue
    statuses[status] = statuses.get(status, 0) + 1
    by_kind.setdefault(kind, {}).setdefault(status, 0)
    by_kind[kind][status] += 1
    if status >= 500:
        bad.append((kind, status, data[:300]))
    elif status == 200:
        m = message_of(data)
        if not isinstance(m, (dict, list)):
            bad.append((kind, status, data[:300]))
    elif status not in (202,) and status >= 400 and data and data[:1] == b"{":
        m = message_of(data)
        if not (isinstance(m, dict) and "error" in m):
            bad.append((kind, status, data[:300]))
elapsed = time.time() - t0
end_rss = rss_kb(os.environ["BRIDGE_PID"])
print(f"# http: {n} messages in {elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}", flush=True)
for kind in sorted(by_kind):
    print(f"#   {kind:<20} {dict(sorted(by_kind[kind].items()))}", flush=True)
print(f"# http: bridge RSS {start_rss} kB before, {end_rss} kB after", flush=True)
check(f"fuzz http: {n} hostile messages, each a success, a 4xx or a JSON-RPC error (no 5xx, no dropped connection)",
      not bad, bad[:5])
odd = {k: v for k, v in by_kind.items() if k != "wrong content type" and 415 in v}
check("fuzz http: a malformed JSON-RPC message gets 400 with a JSON-RPC error saying why (415 only for a wrong content type)",
      not odd, odd)
check("fuzz http: the bridge's RSS stays bounded (under 150 MB after the run)", end_rss < 150_000, end_rss)

# Slow bodies: 16 connections trickle a body byte by byte while real calls go on.
def slow_body(results):
    s = socket.create_connection((HOST, PORT), timeout=60)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}).encode()
    head = (f"POST /mcp HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nAuthorization: Bearer {TOKEN}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
            f"Content-Length: {len(body) + 100}\r\n\r\n").encode()
    s.sendall(head)
    try:
        for b in body[:20]:
            s.sendall(bytes([b])); time.sleep(0.1)
    except OSError:
        pass
    s.close()
    results.append(1)
done = []
slow = [threading.Thread(target=slow_body, args=(done,)) for _ in range(16)]
[t.start() for t in slow]
time.sleep(0.5)
t1 = time.time()
ok_calls = 0
for i in range(20):
    status, _, data = request(json.dumps({"jsonrpc": "2.0", "id": 100000 + i, "method": "tools/call", "params": {
        "name": "execute_sales_query", "arguments": {"postgresql_query": "SELECT count(*) FROM retail.orders"}}}), SESSION)
    m = message_of(data)
    ok_calls += status == 200 and isinstance(m, dict) and not m.get("result", {}).get("isError", True)
[t.join() for t in slow]
check("fuzz http: 16 slow bodies do not stall real calls (20 calls answered meanwhile)", ok_calls == 20, ok_calls)
status, _, data = request(json.dumps({"jsonrpc": "2.0", "id": 200000, "method": "tools/call", "params": {
    "name": "get_store_performance", "arguments": {"period": "2024-04-01..2024-06-30"}}}), SESSION)
m = message_of(data)
check("fuzz http: afterwards the bridge answers a real call", status == 200 and not m["result"].get("isError"), data[:300])

# stdio: one process, garbage lines and requests; every request with an id gets one answer.
p = subprocess.Popen([os.environ["BIN"], "stdio", "--principal", os.environ["SEATTLE"]], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=dict(os.environ, ZAVA_LOG="error"))
answers = {}
def reader():
    for line in p.stdout:
        try:
            m = json.loads(line)
        except ValueError:
            answers.setdefault("not json", 0); answers["not json"] += 1
            continue
        if isinstance(m, dict) and m.get("id") is not None:
            answers[json.dumps(m["id"])] = answers.get(json.dumps(m["id"]), 0) + 1
rt = threading.Thread(target=reader); rt.start()
def send(obj_or_bytes):
    data = obj_or_bytes if isinstance(obj_or_bytes, bytes) else json.dumps(obj_or_bytes).encode()
    p.stdin.write(data + b"\n"); p.stdin.flush()
send({"jsonrpc": "2.0", "id": "init", "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}})
send({"jsonrpc": "2.0", "method": "notifications/initialized"})
expected = {json.dumps("init")}
sent_kind = {}
sn = int(os.environ["STDIO_MESSAGES"])
for i in range(1, sn + 1):
    k = rng.randrange(6)
    if k == 0:
        send(bytes(rng.choice(b"{}[]\":,abc \xff\x00") for _ in range(rng.randint(1, 80))).replace(b"\n", b" "))
    elif k == 1:
        m = tool_call(i); m.pop("id"); send(m)
    elif k == 2:
        m = {"jsonrpc": "2.0", "id": i, "method": rng.choice(["tools/destroy", "x", "resources/write"])}
        send(m); expected.add(json.dumps(i)); sent_kind[json.dumps(i)] = m
    elif k == 3:
        m = {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": rng.choice(WEIRD)}
        send(m); expected.add(json.dumps(i)); sent_kind[json.dumps(i)] = m
    else:
        m = tool_call(i)
        send(m); expected.add(json.dumps(i)); sent_kind[json.dumps(i)] = m
send({"jsonrpc": "2.0", "id": "last", "method": "tools/call", "params": {"name": "get_current_utc_date", "arguments": {}}})
expected.add(json.dumps("last"))
deadline = time.time() + 120
while time.time() < deadline and not expected <= set(answers):
    time.sleep(0.2)
alive = p.poll() is None
stdio_rss = rss_kb(p.pid) if alive else None
p.stdin.close()
try:
    code = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill(); code = "hung"
rt.join(timeout=5)
missing = sorted(expected - set(answers))[:5]
twice = [k for k, v in answers.items() if k != "not json" and v > 1][:5]
print(f"# stdio: {sn} messages, {len(expected)} requests with ids; RSS {stdio_rss} kB; exit {code}", flush=True)
check("fuzz stdio: the process keeps running through the garbage", alive)
check("fuzz stdio: every request with an id gets exactly one answer, every line out is JSON",
      not missing and not twice and "not json" not in answers,
      {"missing": [json.dumps(sent_kind.get(k))[:200] for k in missing], "twice": twice})
check("fuzz stdio: it exits 0 when its input ends", code == 0, code)
PY
expect_eq "the fuzz client ran to completion" "$?" "0"
expect "the bridge is still running" kill -0 "${BRIDGE}"
