#!/usr/bin/env bash
# The real zava-mcp binary against a real cluster, driven by the official MCP
# Python SDK (tests/e2e/mcp_client.py) over HTTP and stdio; plus start-up
# refusals, JSON logs and graceful shutdown.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-mcp"; P=5495; HTTP_PORT=8799
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
BRIDGE_PID=""
trap '[ -n "${BRIDGE_PID}" ] && kill "${BRIDGE_PID}" 2>/dev/null; cluster_stop "${DIR}"' EXIT
q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.05, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
echo "# embeddings: $(embed_products "${P}" zava)"

(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp) || { echo "not ok - zava-mcp builds"; exit 1; }
BIN="${ZAVA_ROOT}/target/debug/zava-mcp"
export DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava"
SEATTLE_TOKEN="seattle-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
HEAD_OFFICE_TOKEN="office-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
METRICS_TOKEN="metrics-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
export SEATTLE_TOKEN HEAD_OFFICE_TOKEN METRICS_TOKEN

out="$("${BIN}" http --listen 0.0.0.0:0 2>&1)"
expect "refuses to listen beyond loopback without tokens" bash -c "[ $? -ne 0 ] && grep -q 'refusing to listen' <<<'${out//\'/}'"
out="$(DATABASE_URL="postgresql://postgres@127.0.0.1:${P}/postgres" "${BIN}" stdio --principal 7a0a0000-0000-4000-8000-000000000011 </dev/null 2>&1)"
expect "refuses to start where the zava extension is missing" grep -q "not installed" <<<"${out}"

ZAVA_TOKENS="${SEATTLE_TOKEN}=7a0a0000-0000-4000-8000-000000000011,${HEAD_OFFICE_TOKEN}=7a0a0000-0000-4000-8000-000000000001" \
    ZAVA_METRICS_TOKEN="${METRICS_TOKEN}" \
    "${BIN}" http --listen "127.0.0.1:${HTTP_PORT}" --query-timeout-ms 20000 --slow-call-ms 500 --retry-base-ms 50 \
    --allowed-origin https://app.zava.example \
    > "${DIR}/bridge.log" 2>&1 &
BRIDGE_PID=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:${HTTP_PORT}/healthz" >/dev/null && break; sleep 0.1; done
expect "zava-mcp http starts and answers /healthz" curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/healthz"

ZAVA_MCP_URL="http://127.0.0.1:${HTTP_PORT}/mcp" ZAVA_MCP_BIN="${BIN}" ZAVA_PG_PORT="${P}" \
ZAVA_ADMIN_URL="postgresql://postgres@127.0.0.1:${P}/zava" PATH="${PG_BIN}:${PATH}" \
    "${ZAVA_ROOT}/target/venv/bin/python" "${ZAVA_ROOT}/tests/e2e/mcp_client.py"
expect_eq "the MCP client test ran to completion" "$?" "0"

expect "logs are JSON lines with call id, tool, principal, duration and outcome" \
    "${ZAVA_ROOT}/target/venv/bin/python" -c "
import json, sys
calls = [json.loads(l) for l in open('${DIR}/bridge.log') if l.startswith('{')]
calls = [c for c in calls if c.get('fields', {}).get('tool') == 'execute_sales_query']
sys.exit(0 if calls and all({'call_id', 'principal', 'duration_ms', 'outcome'} <= set(c['fields']) for c in calls) else 1)"
expect "slow calls are logged as warnings" grep -q '"level":"WARN".*slow call' "${DIR}/bridge.log"
expect_eq "a backend that died while running a call was retried once in all (the crash), and logged" \
    "$(grep -c '"level":"WARN".*died while running the call; retrying once' "${DIR}/bridge.log")" "1"
expect "the terminated and the crashed-again calls say they were not retried" \
    test "$(grep -c '"level":"WARN".*died while running the call; not retried' "${DIR}/bridge.log")" -ge 1
kill -TERM "${BRIDGE_PID}"
for _ in $(seq 1 50); do kill -0 "${BRIDGE_PID}" 2>/dev/null || break; sleep 0.1; done
wait "${BRIDGE_PID}"; rc=$?; BRIDGE_PID=""
expect_eq "SIGTERM shuts zava-mcp down cleanly" "${rc}" "0"
expect "and it says so in its log" grep -q '"shut down"' "${DIR}/bridge.log"
