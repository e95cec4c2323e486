#!/usr/bin/env bash
# Two zava-mcp bridges behind HAProxy (Debian's haproxy 2.6), the
# configuration scripts/cluster.sh (lb_start) writes: session clients stay on
# the bridge that created their session (a stick table learns each
# Mcp-Session-Id from the answer to initialize), new sessions are spread round
# robin, bridges are health-checked on /readyz.
#   1. Affinity: 2,000 calls (×ZAVA_SOAK_SCALE: 5 in make soak) by the ten demo principals (one MCP session per
#      worker, 8 and 32 in flight) through the balancer, every answer checked:
#      no 404 session-not-found, no foreign row, no wrong answer; both bridges
#      served calls.
#   2. Per-request clients (2026-07-28, no session): 1,000 calls (×scale) through the
#      balancer, every answer checked; HAProxy spreads the calls themselves
#      round robin, so both bridges serve each client.
#   3. One bridge killed (SIGKILL) mid-load: the calls it held fail with a
#      connection error, 502 or 404 session-not-found, their clients open a new
#      session through the balancer (on the other bridge) and go on; still no
#      foreign row, no wrong answer, no other error, and no call is lost
#      (4,000 calls ×scale, the kill 3 s in).
source "$(dirname "$0")/../lib.sh"
source "${ZAVA_ROOT}/scripts/soak.sh"
DIR="${ZAVA_ROOT}/target/e2e-balancer"; P=5480; LB=8770; A=8771; B=8772
SCALE="${ZAVA_SOAK_SCALE:-1}"
AFFINITY=$(( 2000 * SCALE )); PER_REQUEST=$(( 1000 * SCALE )); FAILOVER=$(( 4000 * SCALE ))
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "${p}" 2>/dev/null; done; lb_stop "${DIR}/haproxy"; cluster_stop "${DIR}"' EXIT
lb_stop "${DIR}/haproxy"
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp -p zava-bench) || { echo "not ok - zava-mcp and zava-bench build"; exit 1; }
soak_principals "${P}"
bridge() { # bridge PORT: starts a bridge, sets BRIDGE_PID
    DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKENS}" ZAVA_LOG=warn \
        "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:$1" --pool-max 8 --cache-ttl-s 0 \
        --log-file "${DIR}/bridge-$1.log" &
    BRIDGE_PID=$!; PIDS+=("${BRIDGE_PID}")
    bridge_ready "http://127.0.0.1:$1"
}
expect "bridge A starts" bridge "${A}"; PID_A="${BRIDGE_PID}"
expect "bridge B starts" bridge "${B}"
expect "HAProxy starts in front of both" lb_start "${DIR}/haproxy" "${LB}" "${A}" "${B}"
sleep 1.5 # both pass their first health checks (rise 2, every 0.5 s)

soak_spec "${P}" "2024-04-01..2024-06-30" "${AFFINITY}" "[8, 32]" "http://127.0.0.1:${LB}/mcp" > "${DIR}/affinity.json"
"${ZAVA_ROOT}/target/debug/zava-bench" soak "${DIR}/affinity.json" > "${DIR}/affinity.out" 2>&1
expect_eq "affinity: ${AFFINITY} calls through HAProxy, no session lost, no foreign row, no wrong answer" "$?" "0"
sed 's/^/# /' "${DIR}/affinity.out"
served() { curl -sf "http://127.0.0.1:$1/metrics" | awk '/^zava_mcp_calls_total/ {n += $NF} END {print n + 0}'; }
a_calls="$(served "${A}")"; b_calls="$(served "${B}")"
echo "# calls served: bridge A ${a_calls}, bridge B ${b_calls}"
expect "affinity: both bridges served calls (new sessions spread round robin)" test "${a_calls}" -gt 0 -a "${b_calls}" -gt 0

sed '1s/^{/{"per_request": true, /' "${DIR}/affinity.json" | sed "s/\"calls\": ${AFFINITY}/\"calls\": ${PER_REQUEST}/" > "${DIR}/per-request.json"
"${ZAVA_ROOT}/target/debug/zava-bench" soak "${DIR}/per-request.json" > "${DIR}/per-request.out" 2>&1
expect_eq "per-request clients: ${PER_REQUEST} calls through HAProxy, no foreign row, no wrong answer, no error" "$?" "0"
sed 's/^/# /' "${DIR}/per-request.out"
a_more=$(( $(served "${A}") - a_calls )); b_more=$(( $(served "${B}") - b_calls ))
echo "# per-request calls served: bridge A ${a_more}, bridge B ${b_more}"
# Round robin per request: each bridge gets about half (not a session's worth).
expect "per-request clients: HAProxy spreads the calls round robin over both bridges (A ${a_more}, B ${b_more})" \
    test "${a_more}" -ge $(( PER_REQUEST * 2 / 5 )) -a "${b_more}" -ge $(( PER_REQUEST * 2 / 5 ))

sed '1s/^{/{"reconnect": true, /' "${DIR}/affinity.json" | sed "s/\"calls\": ${AFFINITY}/\"calls\": ${FAILOVER}/" > "${DIR}/failover.json"
( sleep 3; kill -KILL "${PID_A}" ) &
KILLER=$!
"${ZAVA_ROOT}/target/debug/zava-bench" soak "${DIR}/failover.json" > "${DIR}/failover.out" 2>&1
rc=$?
wait "${KILLER}"
sed 's/^/# /' "${DIR}/failover.out" | head -20
expect_eq "failover: bridge A killed mid-load; no foreign row, no wrong answer, no error beyond the interrupted calls" "${rc}" "0"
expect "failover: every call was made and counted" grep -q "^soak: ${FAILOVER} calls" "${DIR}/failover.out"
interrupted="$(sed -n 's/.*, \([0-9]*\) interrupted.*/\1/p' "${DIR}/failover.out")"
expect "failover: calls on the killed bridge were interrupted (${interrupted:-none}), at most one or two per session" \
    test "${interrupted:-0}" -gt 0 -a "${interrupted:-0}" -le 64
expect "failover: bridge A is down and HAProxy sends everything to B" \
    bash -c "! curl -sf -o /dev/null http://127.0.0.1:${A}/healthz && curl -sf -o /dev/null http://127.0.0.1:${LB}/readyz"
