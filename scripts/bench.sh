#!/usr/bin/env bash
# `make bench`: prints numbers, asserts nothing about speed (not a test).
# A scale-1 demo cluster (452,747 order lines, reused across runs), the release
# zava-mcp, and zava-bench comparing execute_sales_query over MCP HTTP with a
# direct tokio-postgres client doing the same per-call transaction and with the
# raw SQL, at concurrency 1, 8 and 32. Analytics: store_performance (head office,
# a quarter) against the raw revenue and distinct-customers aggregate with
# identical answers, and each analytics function's p50, at scale 1 and 5, with
# rebuild_rollups times and rollup sizes. Also: zava-mcp's start-up time and memory,
# fair pooling (tests/e2e/fairness.sh: one principal's p99 with and without
# another's flood), checkout writes against plain tables and the merger's
# backlog (scripts/bench-writes.sh), and (scripts/bench-embed.sh) zava.embed's load time, memory and texts/s.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
DIR="${ZAVA_ROOT}/target/bench-cluster"; P="${ZAVA_BENCH_PORT:-5497}"; LISTEN=127.0.0.1:8797
SECONDS_EACH="${ZAVA_BENCH_SECONDS:-5}"
HEAD_OFFICE=7a0a0000-0000-4000-8000-000000000001

bash "${ZAVA_ROOT}/scripts/setup.sh" --tests
install_extension release
(cd "${ZAVA_ROOT}" && cargo build -q --release -p zava-mcp -p zava-bench)
cluster_init "${DIR}" "${P}" fast
cluster_start "${DIR}"
BRIDGE=""
trap '[ -n "${BRIDGE}" ] && kill "${BRIDGE}" 2>/dev/null || true; [ -n "${CACHED:-}" ] && kill "${CACHED}" 2>/dev/null || true; redis_stop "${DIR}/redis"; cluster_stop "${DIR}"' EXIT
psql_admin() { "${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${P}/$1" -XqAt -v ON_ERROR_STOP=1 -c "$2"; }
stale() { ! psql_admin "$1" "SELECT to_regclass('retail.daily_product_sales') IS NOT NULL" 2>/dev/null | grep -q t; }
drop_if_script_changed "${DIR}" "${P}" zava zava_big
for db in zava zava_big; do
    if stale "${db}"; then psql_admin postgres "DROP DATABASE IF EXISTS ${db}"; fi
    # Made by an older release: upgrade in place (docs/releases.md).
    psql_admin "${db}" "ALTER EXTENSION zava UPDATE" 2>/dev/null || true
done
demo_database "${P}" zava 1
echo "order lines: $(psql_admin zava "SELECT count(*) FROM retail.order_items")"

TOKEN="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
t0=$(date +%s.%N)
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKEN}=${HEAD_OFFICE}" ZAVA_LOG=warn \
    "${ZAVA_ROOT}/target/release/zava-mcp" http --listen "${LISTEN}" --pool-max 32 \
    --max-concurrent-per-principal 64 --cache-ttl-s 0 > "${DIR}/bridge.log" 2>&1 &
BRIDGE=$!
until curl -sf -o /dev/null "http://${LISTEN}/readyz"; do sleep 0.01; done
t1=$(date +%s.%N)
echo "zava-mcp start-up to ready (database checked): $(awk "BEGIN {printf \"%.0f\", (${t1} - ${t0}) * 1000}") ms"
echo "zava-mcp RSS at start: $(awk '/VmRSS/ {print $2, $3}' /proc/${BRIDGE}/status)"

bench() { "${ZAVA_ROOT}/target/release/zava-bench" "http://${LISTEN}/mcp" "${TOKEN}" \
    "postgresql://zava_mcp@127.0.0.1:${P}/zava" "${HEAD_OFFICE}" "postgresql://head_office@127.0.0.1:${P}/zava" \
    "${SECONDS_EACH}" "$1" "$2"; }
echo; echo "== trivial query (the seed's 200–330 calls/s, 3–5 ms p50)"
bench 1,8,32 "SELECT 1"
echo; echo "== a quarter's revenue by store, head office (the seed: ~28 calls/s)"
bench 1,8 "SELECT s.store_name, sum(oi.line_total) AS revenue FROM retail.order_items oi JOIN retail.orders o USING (store_id, order_id) JOIN retail.stores s USING (store_id) WHERE o.order_date >= DATE '2026-07-01' AND o.order_date < DATE '2026-10-01' AND o.status = 'completed' GROUP BY 1 ORDER BY 2 DESC"
echo; echo "== the same question from the daily rollup, through MCP (execute_sales_query)"
bench 1,8 "SELECT s.store_name, sum(d.revenue) AS revenue FROM retail.daily_store_sales d JOIN retail.stores s USING (store_id) WHERE d.day >= DATE '2026-07-01' AND d.day < DATE '2026-10-01' GROUP BY 1 ORDER BY 2 DESC"
echo; echo "== get_store_performance (head office, a quarter) vs the quarter's revenue by store over raw rows, both through MCP (the seed's server: 26–30 calls/s for the latter)"
RAW_QUARTER="SELECT s.store_name, sum(oi.line_total) AS revenue FROM retail.order_items oi JOIN retail.orders o USING (store_id, order_id) JOIN retail.stores s USING (store_id) WHERE o.order_date >= DATE '2026-07-01' AND o.order_date < DATE '2026-10-01' AND o.status = 'completed' GROUP BY 1 ORDER BY 2 DESC"
"${ZAVA_ROOT}/target/release/zava-bench" tools "http://${LISTEN}/mcp" "${TOKEN}" "${SECONDS_EACH}" 1,8 \
    "get_store_performance (whole answer, no cache)" get_store_performance '{"period": "2026-07-01..2026-09-30"}' \
    "execute_sales_query (raw quarter by store)" execute_sales_query "{\"postgresql_query\": \"${RAW_QUARTER}\", \"max_rows\": 1000}"
echo; echo "== the same two questions through a bridge with its own result cache (moka, the near cache): repeated questions are answered from it"
CACHED_LISTEN="127.0.0.1:$(( ${LISTEN##*:} + 1 ))"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKEN}=${HEAD_OFFICE}" ZAVA_LOG=warn \
    "${ZAVA_ROOT}/target/release/zava-mcp" http --listen "${CACHED_LISTEN}" --pool-max 32 \
    --max-concurrent-per-principal 64 --cache-sales-queries > "${DIR}/bridge-cached.log" 2>&1 &
CACHED=$!
until curl -sf -o /dev/null "http://${CACHED_LISTEN}/readyz"; do sleep 0.01; done
sleep 1.5 # the first read of the data versions
"${ZAVA_ROOT}/target/release/zava-bench" tools "http://${CACHED_LISTEN}/mcp" "${TOKEN}" "${SECONDS_EACH}" 1,8 \
    "get_store_performance (near cache)" get_store_performance '{"period": "2026-07-01..2026-09-30"}' \
    "execute_sales_query (raw quarter by store, near cache)" execute_sales_query "{\"postgresql_query\": \"${RAW_QUARTER}\", \"max_rows\": 1000}"
kill "${CACHED}"; wait "${CACHED}" 2>/dev/null
echo; echo "== the same through a bridge with the shared cache alone (Redis on loopback, no near cache: every hit is a Redis GET)"
redis_start "${DIR}/redis" 6392 || die "Redis did not start (log: ${DIR}/redis/redis.log)"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKEN}=${HEAD_OFFICE}" ZAVA_LOG=warn \
    ZAVA_CACHE_URL="$(redis_url "${DIR}/redis" 6392)" \
    "${ZAVA_ROOT}/target/release/zava-mcp" http --listen "${CACHED_LISTEN}" --pool-max 32 \
    --max-concurrent-per-principal 64 --cache-sales-queries --cache-max-mb 0 > "${DIR}/bridge-redis.log" 2>&1 &
CACHED=$!
until curl -sf -o /dev/null "http://${CACHED_LISTEN}/readyz"; do sleep 0.01; done
sleep 1.5
"${ZAVA_ROOT}/target/release/zava-bench" tools "http://${CACHED_LISTEN}/mcp" "${TOKEN}" "${SECONDS_EACH}" 1,8 \
    "get_store_performance (Redis)" get_store_performance '{"period": "2026-07-01..2026-09-30"}' \
    "execute_sales_query (raw quarter by store, Redis)" execute_sales_query "{\"postgresql_query\": \"${RAW_QUARTER}\", \"max_rows\": 1000}"
echo "shared cache: $(curl -s "http://${CACHED_LISTEN}/metrics" | grep -E '^zava_mcp_cache_(layer_hits|layer_misses|shared_errors|bypassed)' | tr '\n' ' ')"
kill "${CACHED}"; wait "${CACHED}" 2>/dev/null
redis_stop "${DIR}/redis"
echo; echo "== sign-in: the trivial call with an identity provider's JWT (RS256, verified on every request; its principal from the database, kept 5 s) against an opaque token, one bridge"
OAUTH_DIR="${DIR}/oauth"; OAUTH_LISTEN="127.0.0.1:8806"; mkdir -p "${OAUTH_DIR}"
export ISSUER="https://issuer.bench.invalid" AUDIENCE="http://${OAUTH_LISTEN}/mcp"
"${ZAVA_ROOT}/target/venv/bin/python" "${ZAVA_ROOT}/tests/e2e/oauth_client.py" keygen "${OAUTH_DIR}"
psql_admin zava "SELECT zava.grant_principal_subject('${ISSUER}', 'bench-head-office', '${HEAD_OFFICE}')" >/dev/null
JWT="$("${ZAVA_ROOT}/target/venv/bin/python" "${ZAVA_ROOT}/tests/e2e/oauth_client.py" mint "${OAUTH_DIR}" bench-head-office)"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKEN}=${HEAD_OFFICE}" ZAVA_LOG=warn \
    "${ZAVA_ROOT}/target/release/zava-mcp" http --listen "${OAUTH_LISTEN}" --pool-max 32 \
    --max-concurrent-per-principal 64 --cache-ttl-s 0 --oauth-issuer "${ISSUER}" --oauth-audience "${AUDIENCE}" \
    --oauth-jwks-file "${OAUTH_DIR}/jwks.json" --oauth-scopes zava.read > "${DIR}/bridge-oauth.log" 2>&1 &
CACHED=$!
bridge_ready "http://${OAUTH_LISTEN}" 30 || die "zava-mcp with OAuth did not become ready (log: ${DIR}/bridge-oauth.log)"
"${ZAVA_ROOT}/target/release/zava-bench" tools "http://${OAUTH_LISTEN}/mcp" "${TOKEN},${JWT}" "${SECONDS_EACH}" 1,8 \
    "opaque token" execute_sales_query '{"postgresql_query": "SELECT 1"}' \
    "identity provider's JWT (RS256)" execute_sales_query '{"postgresql_query": "SELECT 1"}'
kill "${CACHED}"; wait "${CACHED}" 2>/dev/null
echo
echo "zava-mcp RSS after the runs: $(awk '/VmRSS/ {print $2, $3}' /proc/${BRIDGE}/status) (peak $(awk '/VmHWM/ {print $2, $3}' /proc/${BRIDGE}/status))"

# store_performance (head office, a quarter: the whole call) against plain SQL
# over raw rows answering part of it — the quarter's revenue and distinct
# customers — with identical answers, then per store (the raw side only).
Q="'2026-07-01..2026-09-30'"
SP_FAST="SELECT j->'current'->>'revenue', j->'current'->>'unique_customers' FROM zava.store_performance(NULL, ${Q}) j"
SP_RAW="SELECT sum(l.line_total), count(DISTINCT o.customer_id) FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) WHERE o.status = 'completed' AND o.order_date >= DATE '2026-07-01' AND o.order_date < DATE '2026-10-01'"
SP_RAW_STORES="SELECT o.store_id, sum(l.line_total), count(DISTINCT o.customer_id) FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) WHERE o.status = 'completed' AND o.order_date >= DATE '2026-07-01' AND o.order_date < DATE '2026-10-01' GROUP BY 1"
store_performance_bench() { # store_performance_bench DB
    "${ZAVA_ROOT}/target/release/zava-bench" sql "postgresql://head_office@127.0.0.1:${P}/$1" "${SECONDS_EACH}" \
        "store_performance vs raw revenue+customers" "${SP_FAST}" "${SP_RAW}" \
        "raw revenue+customers per store (alone)" "${SP_RAW_STORES}" "-"
    for f in "store_performance(NULL, ${Q})" "sales_trend(NULL, '2026-07-01', '2026-09-30', 'day')" "top_products(NULL, ${Q})" \
             "category_breakdown(NULL, ${Q})" "customer_insights(NULL, ${Q})" "inventory_alerts(NULL)"; do
        "${ZAVA_ROOT}/target/release/zava-bench" sql "postgresql://head_office@127.0.0.1:${P}/$1" "${SECONDS_EACH}" \
            "${f%%(*}" "SELECT count(*) FROM zava.${f} x" "-" | tail -n +2
    done
}
echo
echo "== store_performance and the six analytics functions, scale 1 (head office, one connection, SQL)"
echo "rollup rows: $(psql_admin zava "SELECT format('%s daily, %s monthly; rollups %s vs orders+order_items %s', (SELECT count(*) FROM retail.daily_store_sales) + (SELECT count(*) FROM retail.daily_category_sales) + (SELECT count(*) FROM retail.daily_product_sales) + (SELECT count(*) FROM retail.daily_store_customers) + (SELECT count(*) FROM retail.daily_customer_sales) + (SELECT count(*) FROM retail.daily_chain_product_sales), (SELECT count(*) FROM retail.monthly_store_sales) + (SELECT count(*) FROM retail.monthly_category_sales) + (SELECT count(*) FROM retail.monthly_product_sales) + (SELECT count(*) FROM retail.monthly_store_customers) + (SELECT count(*) FROM retail.monthly_customer_sales) + (SELECT count(*) FROM retail.monthly_chain_product_sales), pg_size_pretty((SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind = 'r' AND (c.relname LIKE 'daily%' OR c.relname LIKE 'monthly%'))), pg_size_pretty(pg_total_relation_size('retail.orders') + pg_total_relation_size('retail.order_items')))")"
echo "rebuild_rollups at scale 1: $(psql_admin zava "SELECT round(extract(epoch FROM clock_timestamp() - now()), 2) FROM (SELECT zava.rebuild_rollups()) x") s"
psql_admin zava "VACUUM ANALYZE"
store_performance_bench zava

echo
echo "== analytics over >= 2M order lines (scale 5): rollups vs plain SQL over raw rows (head office, one connection)"
# Made at scale 2.5 by an earlier bench: made again at scale 5.
if psql_admin zava_big "SELECT count(*) < 500000 FROM retail.orders" 2>/dev/null | grep -q t; then
    psql_admin postgres "DROP DATABASE zava_big"
fi
demo_database "${P}" zava_big 5 # a few minutes, once
echo "order lines: $(psql_admin zava_big "SELECT count(*) FROM retail.order_items")"
echo "rebuild_rollups at scale 5: $(psql_admin zava_big "SELECT round(extract(epoch FROM clock_timestamp() - now()), 2) FROM (SELECT zava.rebuild_rollups()) x") s"
psql_admin zava_big "VACUUM ANALYZE"
store_performance_bench zava_big
Q_DAYS="day >= DATE '2026-07-01' AND day < DATE '2026-10-01'"
Q_RAW="o.status = 'completed' AND o.order_date >= DATE '2026-07-01' AND o.order_date < DATE '2026-10-01'"
RAW_FIGURES="SELECT sum(l.line_total), count(DISTINCT o.order_id), sum(l.quantity), sum(l.quantity * l.unit_cost), sum(l.discount_amount) FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) WHERE"
FAST_FIGURES="SELECT sum(revenue), sum(orders), sum(units), sum(cost), sum(discounts) FROM retail.daily_store_sales WHERE"
SEATTLE="'5a0a0000-0000-4000-8000-000000000001'"
"${ZAVA_ROOT}/target/release/zava-bench" sql "postgresql://head_office@127.0.0.1:${P}/zava_big" "${SECONDS_EACH}" \
    "quarter's additive figures, all stores" "${FAST_FIGURES} ${Q_DAYS}" "${RAW_FIGURES} ${Q_RAW}" \
    "quarter's additive figures, one store" "${FAST_FIGURES} ${Q_DAYS} AND store_id = ${SEATTLE}" "${RAW_FIGURES} ${Q_RAW} AND o.store_id = ${SEATTLE}" \
    "sales_trend by day over a year" \
    "SELECT bucket, revenue, orders, units FROM zava.sales_trend(NULL, '2025-11-24', '2026-11-23', 'day') WHERE orders > 0" \
    "SELECT o.order_date, sum(l.line_total), count(DISTINCT o.order_id), sum(l.quantity) FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) WHERE o.status = 'completed' AND o.order_date BETWEEN '2025-11-24' AND '2026-11-23' GROUP BY 1 ORDER BY 1" \
    "store_performance, whole call, one store" "SELECT zava.store_performance(${SEATTLE}, '2026-07-01..2026-09-30')" "-"

echo
echo "== checkout writes (scale 1): a plain copy of orders/order_items against retail.* and its change log"
bash "${ZAVA_ROOT}/scripts/bench-writes.sh" "${P}" zava
psql_admin zava "VACUUM ANALYZE" >/dev/null

echo
ZAVA_SKIP_INSTALL=1 bash "${ZAVA_ROOT}/scripts/bench-pooler.sh"

echo
echo "== fair pooling: a store manager's p99 alone and during head office's flood of slow calls (goal: within 2x)"
bash "${ZAVA_ROOT}/tests/e2e/fairness.sh" | grep '^# fairness' | sed 's/^# //' || echo "(the fairness run printed no figures: see target/e2e-fairness/bridge.log)"
echo
echo "== sentence embeddings in one backend (zava.embed, release build)"
ZAVA_SKIP_INSTALL=1 bash "${ZAVA_ROOT}/scripts/bench-embed.sh"
echo
ZAVA_SKIP_INSTALL=1 bash "${ZAVA_ROOT}/scripts/bench-search.sh"
