#!/usr/bin/env bash
# A streaming hot standby (pg_basebackup -R) as zava-mcp's read replica
# (--replica-url):
#   1. Tool calls go to the standby, and its answers are the primary's: 3,000
#      calls by the ten demo principals, every answer checked against the one
#      the primary gives that principal (the identity is asserted in the
#      standby's read-only transactions; RLS holds there).
#   2. Replay paused on the standby while the primary writes: past
#      --replica-max-lag-ms the replica is out of use (/metrics shows its lag),
#      calls go to the primary, still right; resumed, it is used again.
#   3. The standby stopped (-m immediate) mid-load: calls move to the primary
#      with no error at all (a call that was running there gets its one retry
#      on the primary), nothing foreign, nothing wrong.
source "$(dirname "$0")/../lib.sh"
source "${ZAVA_ROOT}/scripts/soak.sh"
DIR="${ZAVA_ROOT}/target/e2e-replica"; SDIR="${ZAVA_ROOT}/target/e2e-replica-standby"
P=5478; S=5479; HTTP_PORT=8779
BRIDGE=""
trap '[ -n "${BRIDGE}" ] && kill "${BRIDGE}" 2>/dev/null; cluster_stop "${SDIR}"; cluster_stop "${DIR}"' EXIT
cluster_stop "${SDIR}"
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp -p zava-bench) || { echo "not ok - zava-mcp and zava-bench build"; exit 1; }
expect "a streaming hot standby of the demo database starts" standby_init "${SDIR}" "${S}" "${P}"
orders() { q "$1" postgres zava -c "SELECT count(*) FROM retail.orders"; }
for _ in $(seq 1 50); do [ "$(orders "${S}" 2>/dev/null)" = "$(orders "${P}")" ] && break; sleep 0.2; done
expect_eq "the standby is in recovery and has the primary's orders" \
    "$(q "${S}" postgres zava -c "SELECT pg_is_in_recovery()")|$(orders "${S}")" "t|$(orders "${P}")"

soak_principals "${P}"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKENS}" \
    "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${HTTP_PORT}" --cache-ttl-s 0 \
    --replica-url "postgresql://zava_mcp@127.0.0.1:${S}/zava" --replica-max-lag-ms 1000 > "${DIR}/bridge.log" 2>&1 &
BRIDGE=$!
bridge_ready "http://127.0.0.1:${HTTP_PORT}"
metric() { bridge_metric "http://127.0.0.1:${HTTP_PORT}" "$1"; }
for _ in $(seq 1 30); do [ "$(metric 'zava_mcp_replica_in_use{replica="0"}')" = 1 ] && break; sleep 0.2; done
expect_eq "the bridge uses the standby (zava_mcp_replica_in_use)" "$(metric 'zava_mcp_replica_in_use{replica="0"}')" "1"
soak() { # soak CALLS NAME: the spec's answers come from the primary
    soak_spec "${P}" "2024-04-01..2024-06-30" "$1" "[8]" "http://127.0.0.1:${HTTP_PORT}/mcp" > "${DIR}/$2.json"
    "${ZAVA_ROOT}/target/debug/zava-bench" soak "${DIR}/$2.json" > "${DIR}/$2.out" 2>&1
}
served() { metric 'zava_mcp_replica_calls_total{replica="0"}'; }

# --- 1. answers from the standby equal the primary's -------------------------
soak 3000 standby
expect_eq "3,000 calls answered on the standby equal the primary's answers (0 foreign rows, 0 wrong, 0 errors)" "$?" "0"
sed 's/^/# /' "${DIR}/standby.out" | tail -1
expect "… and the standby answered them (zava_mcp_replica_calls_total: $(served))" test "$(served)" -ge 3000

# --- 2. a lagging standby is skipped ------------------------------------------
q "${S}" postgres zava -c "SELECT pg_wal_replay_pause()" >/dev/null
q "${P}" postgres zava -c "CREATE TABLE public.lag_probe AS SELECT 1 AS x" >/dev/null
for _ in $(seq 1 50); do [ "$(metric 'zava_mcp_replica_in_use{replica="0"}')" = 0 ] && break; sleep 0.2; done
lag="$(metric 'zava_mcp_replica_lag_ms{replica="0"}')"
echo "# replay paused: lag ${lag} ms"
# The lag is the time since the last replayed transaction, or -2 when none was
# replayed since the standby started (behind, by an unknown time).
expect "replay paused: past --replica-max-lag-ms (1000) the standby is out of use (lag ${lag} ms in /metrics)" \
    test "$(metric 'zava_mcp_replica_in_use{replica="0"}')" = 0 -a \( "${lag:-0}" -gt 1000 -o "${lag:-0}" = -2 \)
before="$(served)"
soak 300 lagging
expect_eq "… calls go to the primary meanwhile, still right" "$?" "0"
expect_eq "… and none to the standby" "$(served)" "${before}"
q "${S}" postgres zava -c "SELECT pg_wal_replay_resume()" >/dev/null
for _ in $(seq 1 50); do [ "$(metric 'zava_mcp_replica_in_use{replica="0"}')" = 1 ] && break; sleep 0.2; done
expect_eq "replay resumed: the standby is used again" "$(metric 'zava_mcp_replica_in_use{replica="0"}')" "1"

# --- 3. the standby stopped mid-load -----------------------------------------
( sleep 2; as_pg_user "${PG_BIN}/pg_ctl" -D "${SDIR}/data" -m immediate -w stop >/dev/null ) &
STOPPER=$!
soak 4000 failover
rc=$?
wait "${STOPPER}"
sed 's/^/# /' "${DIR}/failover.out" | tail -3
expect_eq "the standby stopped mid-load: 4,000 calls, no error, nothing foreign or wrong" "${rc}" "0"
expect "… the calls moved to the primary (the standby is out of use)" \
    test "$(metric 'zava_mcp_replica_in_use{replica="0"}')" = 0
expect "… and the bridge said why" grep -Eq 'read replica (failed a call|unreachable)' "${DIR}/bridge.log"
