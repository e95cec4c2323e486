#!/usr/bin/env bash
# `make demo` as a user meets it: a private cluster with demo data and login
# roles, reused on the next run, stopped cleanly by a signal; and the
# DATABASE_URL path, which never overwrites.
source "$(dirname "$0")/../lib.sh"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp)
export ZAVA_DEMO_DIR="${ZAVA_ROOT}/target/e2e-demo" ZAVA_PG_PORT=5494 ZAVA_BUILD=dev ZAVA_MCP_LISTEN=127.0.0.1:8798 \
       ZAVA_REDIS_PORT=6393 ZAVA_DEMO_SCALE=0.02 ZAVA_DEMO_END_DATE=2024-06-30 ZAVA_SKIP_INSTALL=1
unset DATABASE_URL
P="${ZAVA_PG_PORT}"
bash "${ZAVA_ROOT}/scripts/demo.sh" stop >/dev/null 2>&1
rm -rf "${ZAVA_DEMO_DIR}"
trap 'bash "${ZAVA_ROOT}/scripts/demo.sh" stop >/dev/null 2>&1' EXIT

bash "${ZAVA_ROOT}/scripts/demo.sh" start > "${ZAVA_ROOT}/target/e2e-demo.log" 2>&1
expect_eq "demo start succeeds" "$?" "0"
expect "demo writes .zava/env" test -f "${ZAVA_DEMO_DIR}/env"
# Exactly what README tells a user to do.
env_psql() { (. "${ZAVA_DEMO_DIR}/env"; "${PG_BIN}/psql" -X -qAt -U "$1" -c "$2"); }
expect_eq "env reaches the private cluster" "$(env_psql postgres "SHOW port")" "${P}"
expect_eq "seattle_manager sees only Seattle's orders" \
    "$(env_psql seattle_manager "SELECT string_agg(DISTINCT s.city, ',') FROM retail.orders o JOIN retail.stores s USING (store_id)")" "Seattle"
expect_eq "head_office sees all 8 stores" "$(env_psql head_office "SELECT count(DISTINCT store_id) FROM retail.orders")" "8"
expect_eq "eastside_manager sees its 3 stores" "$(env_psql eastside_manager "SELECT count(DISTINCT store_id) FROM retail.orders")" "3"
expect_eq "visitor (no principal) sees no tenant rows" "$(env_psql visitor "SELECT count(*) FROM retail.orders")" "0"
expect_eq "zava_mcp (gateway, nothing asserted) sees no tenant rows" "$(env_psql zava_mcp "SELECT count(*) FROM retail.orders")" "0"
orders="$(env_psql postgres "SELECT count(*) FROM retail.orders")"
expect "scale 0.02 gives about 4,000 orders" test "${orders}" -gt 3500 -a "${orders}" -lt 4500

bash "${ZAVA_ROOT}/scripts/demo.sh" start > "${ZAVA_ROOT}/target/e2e-demo-2.log" 2>&1
expect "a second run reuses the cluster and does not reload" grep -q "not loading demo data" "${ZAVA_ROOT}/target/e2e-demo-2.log"
expect_eq "a second run keeps the same data" "$(env_psql postgres "SELECT count(*) FROM retail.orders")" "${orders}"

expect "the demo embeds its products for search" grep -q "embedded 432 products for search" "${ZAVA_ROOT}/target/e2e-demo.log"
expect_eq "a store manager's search works on the demo: a fire pit first, with Seattle's stock" \
    "$(env_psql seattle_manager "SELECT split_part(product_name, ',', 1) || ' ' || (stock IS NOT NULL) FROM zava.search_products('gather round a campfire at home', 5) WHERE rank = 1")" \
    "Fire Pit true"
expect_eq "the demo runs the installed version of the extension" \
    "$(env_psql postgres "SELECT installed_version = default_version FROM pg_available_extensions WHERE name = 'zava'")" "t"

# A demo made by older scripts gets today's settings: the running cluster is
# restarted with them, its data kept.
sed -i 's/^work_mem = .*/work_mem = 1MB/' "${ZAVA_DEMO_DIR}/data/zava.conf"
as_pg_user "${PG_BIN}/pg_ctl" -D "${ZAVA_DEMO_DIR}/data" reload >/dev/null; sleep 0.5
expect_eq "(an older setting is in force)" "$(env_psql postgres "SHOW work_mem")" "1MB"
bash "${ZAVA_ROOT}/scripts/demo.sh" start > "${ZAVA_ROOT}/target/e2e-demo-3.log" 2>&1
expect "a rerun notices changed cluster settings and restarts" grep -q "settings changed: restarting" "${ZAVA_ROOT}/target/e2e-demo-3.log"
expect_eq "and today's settings are in force" "$(env_psql postgres "SHOW work_mem")" "16MB"
expect_eq "with the data kept" "$(env_psql postgres "SELECT count(*) FROM retail.orders")" "${orders}"
pid="$(head -n1 "${ZAVA_DEMO_DIR}/data/postmaster.pid")"
expect "the demo cluster runs under an address-space ceiling" \
    test "$(awk '/^Max address space/ {print $4}' "/proc/${pid}/limits")" != unlimited

# A demo made by an older release is upgraded in place by the next run.
current="$(env_psql postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'zava'")"
older="$(ls "${ZAVA_ROOT}"/sql/released/ | sed -n 's/^zava--\(.*\)\.sql$/\1/p' | grep -vx "${current}" | sort -V | head -n1)"
if [ -n "${older}" ]; then
    ext_dir="$("${PG_CONFIG}" --sharedir)/extension"
    cp "${ZAVA_ROOT}/sql/released/zava--${older}.sql" "${ext_dir}/"
    q "${P}" postgres postgres -c "CREATE DATABASE zava_old"
    q "${P}" postgres zava_old -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava VERSION '${older}' CASCADE"
    DATABASE_URL="postgresql://postgres@127.0.0.1:${P}/zava_old" bash "${ZAVA_ROOT}/scripts/demo.sh" start \
        > "${ZAVA_ROOT}/target/e2e-demo-old.log" 2>&1
    expect "a demo made by ${older} is upgraded by make demo" grep -q "upgraded the zava extension from ${older} to ${current}" "${ZAVA_ROOT}/target/e2e-demo-old.log"
    expect_eq "and runs ${current}" "$(q "${P}" postgres zava_old -c "SELECT extversion FROM pg_extension WHERE extname = 'zava'")" "${current}"
else
    echo "# no release older than ${current} yet: the in-place upgrade of an old demo is tested from the next version on"
fi

# Serving in the foreground; a signal stops the cluster cleanly.
bash "${ZAVA_ROOT}/scripts/demo.sh" stop >/dev/null 2>&1
bash "${ZAVA_ROOT}/scripts/demo.sh" > "${ZAVA_ROOT}/target/e2e-demo-serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do grep -q "serving until" "${ZAVA_ROOT}/target/e2e-demo-serve.log" && break; sleep 0.5; done
expect "make demo serves in the foreground" grep -q "serving until" "${ZAVA_ROOT}/target/e2e-demo-serve.log"
expect "make demo serves MCP on HTTP" curl -sf -o /dev/null http://127.0.0.1:8798/readyz
demo_uses_redis() { grep -q '^requirepass ' "${ZAVA_DEMO_DIR}/redis.conf" && curl -s http://127.0.0.1:8798/readyz | grep -q '"shared"'; }
expect "make demo starts its Redis, with a password, and the bridge uses it as the shared cache" eventually 10 demo_uses_redis
expect "make demo prints a VS Code mcp.json with a server per principal" \
    grep -q '"zava-seattle"' "${ZAVA_ROOT}/target/e2e-demo-serve.log"
token="$(awk '$3 == "seattle_manager" {print $1}' "${ZAVA_DEMO_DIR}/tokens")"
expect_eq "the printed tokens are accepted (and none is needed for health)" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:8798/mcp -H "authorization: Bearer ${token}" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}')" "200"
# Supervised: PostgreSQL killed (-m immediate, as a crash) and zava-mcp killed.
call_seattle() { # initialize, then one tools/call as Seattle (a query: never cached, so it reaches Postgres)
    local sid
    sid="$(curl -s -D - -o /dev/null -X POST http://127.0.0.1:8798/mcp -H "authorization: Bearer ${token}" \
        -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
        | awk 'tolower($1) == "mcp-session-id:" {print $2}' | tr -d '\r')"
    [ -n "${sid}" ] || return 1
    curl -s -X POST http://127.0.0.1:8798/mcp -H "authorization: Bearer ${token}" -H "mcp-session-id: ${sid}" \
        -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute_sales_query","arguments":{"postgresql_query":"SELECT count(*) FROM retail.orders"}}}' \
        | grep -q '"structuredContent"'
}
expect "make demo answers a tool call" call_seattle
as_pg_user "${PG_BIN}/pg_ctl" -D "${ZAVA_DEMO_DIR}/data" -m immediate -w stop >/dev/null
t0=$(date +%s); back=""
for _ in $(seq 1 60); do
    if call_seattle; then back=$(( $(date +%s) - t0 )); break; fi
    sleep 0.5
done
echo "# make demo answered a tool call again ${back:-never} s after PostgreSQL died"
expect "after PostgreSQL dies, make demo answers tool calls again within 30 s" test "${back:-99}" -le 30
# The bridge may answer before make demo has printed that PostgreSQL is back.
expect "… and it said what happened" eventually 10 grep -q 'PostgreSQL restarted' "${ZAVA_ROOT}/target/e2e-demo-serve.log"
expect "… after saying it had stopped" grep -q 'PostgreSQL stopped' "${ZAVA_ROOT}/target/e2e-demo-serve.log"
pkill -KILL -f "zava-mcp http --listen 127.0.0.1:8798"
for _ in $(seq 1 60); do call_seattle && break; sleep 0.5; done
expect "after zava-mcp dies, make demo restarts it and answers again" call_seattle
expect "… and said so" eventually 10 grep -q 'zava-mcp restarted' "${ZAVA_ROOT}/target/e2e-demo-serve.log"
expect "zava-mcp logs to its bounded file" grep -q '"tool":"execute_sales_query"' "${ZAVA_DEMO_DIR}/zava-mcp.log"
kill -TERM "${pid}"; wait "${pid}"
expect_eq "a signal ends make demo cleanly" "$?" "0"
expect "and stops the cluster" bash -c "! ${PG_BIN}/pg_isready -q -h 127.0.0.1 -p ${P}"
expect "and zava-mcp" bash -c "! curl -sf -o /dev/null http://127.0.0.1:8798/healthz"
expect "and its Redis" bash -c "! (exec 3<>/dev/tcp/127.0.0.1/6393) 2>/dev/null"

# DATABASE_URL: use that server; load only into an empty database.
bash "${ZAVA_ROOT}/scripts/demo.sh" start >/dev/null 2>&1
q "${P}" postgres postgres -c "CREATE DATABASE byurl"
DATABASE_URL="postgresql://postgres@127.0.0.1:${P}/byurl" bash "${ZAVA_ROOT}/scripts/demo.sh" start > "${ZAVA_ROOT}/target/e2e-demo-url.log" 2>&1
expect_eq "DATABASE_URL: loads into an empty database" "$(q "${P}" postgres byurl -c "SELECT count(*) > 0 FROM retail.orders")" "t"
q "${P}" postgres byurl -c "DELETE FROM retail.order_items WHERE store_id = (SELECT store_id FROM retail.stores WHERE city = 'Kirkland')"
kept="$(q "${P}" postgres byurl -c "SELECT count(*) FROM retail.order_items")"
DATABASE_URL="postgresql://postgres@127.0.0.1:${P}/byurl" bash "${ZAVA_ROOT}/scripts/demo.sh" start > "${ZAVA_ROOT}/target/e2e-demo-url2.log" 2>&1
expect "DATABASE_URL: says which demo logins it created" grep -q "created or updated demo login roles" "${ZAVA_ROOT}/target/e2e-demo-url.log"
expect "DATABASE_URL: says it will not overwrite" grep -q "not loading demo data" "${ZAVA_ROOT}/target/e2e-demo-url2.log"
expect "DATABASE_URL: and touches no roles when it loaded nothing" bash -c "! grep -q 'demo login roles' '${ZAVA_ROOT}/target/e2e-demo-url2.log'"
expect_eq "DATABASE_URL: existing data untouched" "$(q "${P}" postgres byurl -c "SELECT count(*) FROM retail.order_items")" "${kept}"
