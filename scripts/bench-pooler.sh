#!/usr/bin/env bash
# Part of `make bench` (or alone, after it made the scale-1 database): calls/s,
# p50 and p99 through one or two bridges (the soak's clients split over them,
# or HAProxy spreading the sessions), straight to Postgres or through
# PgBouncer 1.18 in transaction mode, at 8, 32 and 64 calls in flight, by the
# ten demo principals (one MCP session per worker), every answer checked like
# the soak in tests/e2e/pooler.sh. Then reads on a streaming hot standby
# (--replica-url): a second scale-1 cluster (target/bench-replica, made once;
# the bench cluster's 6 GB would be slow to copy) and its standby (made again
# each run with pg_basebackup), one bridge on the primary alone against one
# sending its calls to the standby. Release builds; prints numbers.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
source "${ZAVA_ROOT}/scripts/soak.sh"
DIR="${ZAVA_ROOT}/target/bench-cluster"; P="${ZAVA_BENCH_PORT:-5497}"
SOAK_DIR="${ZAVA_ROOT}/target/bench-pooler"; POOLER_PORT=6497
RDIR="${ZAVA_ROOT}/target/bench-replica"; RSDIR="${ZAVA_ROOT}/target/bench-replica-standby"; RP=5476; RS=5477
if [ -z "${ZAVA_SKIP_INSTALL:-}" ]; then
    bash "${ZAVA_ROOT}/scripts/setup.sh" --tests
    install_extension release
fi
(cd "${ZAVA_ROOT}" && cargo build -q --release -p zava-mcp -p zava-bench)
[ -f "${DIR}/data/PG_VERSION" ] || die "no bench cluster in ${DIR}: run make bench once"
WAS_RUNNING=""; cluster_running "${DIR}" && WAS_RUNNING=1
cluster_start "${DIR}"
SOAK_BRIDGES=()
trap 'for b in "${SOAK_BRIDGES[@]}"; do kill "${b}" 2>/dev/null || true; done; lb_stop "${SOAK_DIR}/haproxy"; pooler_stop "${SOAK_DIR}"; cluster_stop "${RSDIR}"; cluster_stop "${RDIR}"; [ -n "${WAS_RUNNING}" ] || cluster_stop "${DIR}"; true' EXIT
echo "== through PgBouncer 1.18 (transaction mode, 8 server connections) or straight to Postgres, with 1 or 2 bridges:"
echo "   the 10 demo principals, one MCP session per worker, a mix of 4 tools (a query of the daily rollup, store"
echo "   performance, top products, customer insights; a quarter), every answer checked against the principal's own"
soak_principals "${P}"
pooler_start "${SOAK_DIR}" "${POOLER_PORT}" "${P}" 8 postgres zava_mcp "${LOGINS[@]}" || die "PgBouncer did not start"
soak_bridge() { # soak_bridge PORT DB-PORT [--pooler transaction | --replica-url URL]
    DATABASE_URL="postgresql://zava_mcp@127.0.0.1:$2/zava" ZAVA_TOKENS="${TOKENS}" ZAVA_LOG=warn \
        "${ZAVA_ROOT}/target/release/zava-mcp" http --listen "127.0.0.1:$1" "${@:3}" --pool-max 16 \
        --max-concurrent-per-principal 8 --cache-ttl-s 0 > "${SOAK_DIR}/bridge-$1.log" 2>&1 &
    SOAK_BRIDGES+=($!)
    bridge_ready "http://127.0.0.1:$1" 30 || die "zava-mcp on $1 did not become ready (log: ${SOAK_DIR}/bridge-$1.log)"
}
soak_bridge 8811 "${P}"; soak_bridge 8812 "${P}"
soak_bridge 8813 "${POOLER_PORT}" --pooler transaction; soak_bridge 8814 "${POOLER_PORT}" --pooler transaction
export SOAK_QUERY="SELECT store_id, sum(revenue) AS revenue, sum(orders) AS orders FROM retail.daily_store_sales WHERE day >= DATE '2026-08-01' AND day <= DATE '2026-10-31' GROUP BY store_id ORDER BY store_id"
SOAK_CALLS="${ZAVA_BENCH_SOAK_CALLS:-18000}"
lb_start "${SOAK_DIR}/haproxy" 8810 8811 8812 || die "HAProxy did not start"
sleep 1.5 # both bridges pass their first health checks
soak_rows() { # soak_rows PORT LABEL URL…: one row (8, 32, 64 in flight), answers from the cluster on PORT
    soak_spec "$1" "2026-08-01..2026-10-31" "${SOAK_CALLS}" "[8, 32, 64]" "${@:3}" > "${SOAK_DIR}/spec.json"
    echo "-- $2"
    "${ZAVA_ROOT}/target/release/zava-bench" soak "${SOAK_DIR}/spec.json" 2>&1 | sed 's/^/   /'
}
for setup in "Postgres 8811" "Postgres 8811 8812" "HAProxy 8810" "PgBouncer 8813" "PgBouncer 8813 8814"; do
    read -r via ports <<<"${setup}"
    urls=(); for port in ${ports}; do urls+=("http://127.0.0.1:${port}/mcp"); done
    label="${#urls[@]} bridge(s) -> ${via}"
    # HAProxy spreads the sessions over bridges 8811 and 8812 (sticky per session).
    [ "${via}" = HAProxy ] && label="HAProxy -> 2 bridges -> Postgres"
    soak_rows "${P}" "${label}" "${urls[@]}"
done

echo "== reads on a streaming hot standby: a scale-1 primary (${RP}) and its standby (${RS}), the same clients"
cluster_init "${RDIR}" "${RP}" fast
cluster_start "${RDIR}"
drop_if_script_changed "${RDIR}" "${RP}" zava
demo_database "${RP}" zava 1
standby_init "${RSDIR}" "${RS}" "${RP}" >/dev/null || die "the standby did not start"
soak_principals "${RP}"
soak_bridge 8816 "${RP}"
soak_bridge 8817 "${RP}" --replica-url "postgresql://zava_mcp@127.0.0.1:${RS}/zava"
replica_metric() { bridge_metric "http://127.0.0.1:8817" "$1"; }
for _ in $(seq 1 50); do [ "$(replica_metric 'zava_mcp_replica_in_use{replica="0"}')" = 1 ] && break; sleep 0.2; done
soak_rows "${RP}" "1 bridge -> the primary" "http://127.0.0.1:8816/mcp"
soak_rows "${RP}" "1 bridge -> the standby (--replica-url)" "http://127.0.0.1:8817/mcp"
echo "   calls answered by the standby: $(replica_metric 'zava_mcp_replica_calls_total{replica="0"}'), lag $(replica_metric 'zava_mcp_replica_lag_ms{replica="0"}') ms"
