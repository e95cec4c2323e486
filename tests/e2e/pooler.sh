#!/usr/bin/env bash
# Behind PgBouncer in transaction mode (Debian 12's pgbouncer 1.18), the pooler
# Zava's transaction-scoped identity is built for:
#   - a bridge in its default mode is refused by the pooler (it sends session
#     settings in the startup packet) and says to start with --pooler transaction;
#   - psql logins through the pooler keep their own user, so their own stores;
#   - the soak: 10,000 tool calls in make test, 100,000 in make soak
#     (ZAVA_SOAK_CALLS) by every demo principal
#     (10) at 8, 64 and 32 calls in flight, each worker its own MCP session,
#     through two bridges (--pooler transaction) sharing one PgBouncer with 6
#     server connections for their 32 client connections; every answer is
#     checked against what the database answers that principal directly:
#     0 foreign rows, 0 wrong answers, 0 errors. Calls/s and p99 are printed.
source "$(dirname "$0")/../lib.sh"
source "${ZAVA_ROOT}/scripts/soak.sh"
DIR="${ZAVA_ROOT}/target/e2e-pooler"; P=5483; POOLER=6483; A=8783; B=8784
CALLS="${ZAVA_SOAK_CALLS:-10000}"
PERIOD="2024-04-01..2024-06-30"
pooler_stop "${DIR}/pgbouncer"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "${p}" 2>/dev/null; done; pooler_stop "${DIR}/pgbouncer"; cluster_stop "${DIR}"' EXIT
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp -p zava-bench) || { echo "not ok - zava-mcp and zava-bench build"; exit 1; }
soak_principals "${P}"
expect "PgBouncer (transaction mode, 6 server connections) starts in front of the cluster" \
    pooler_start "${DIR}/pgbouncer" "${POOLER}" "${P}" 6 postgres zava_mcp "${LOGINS[@]}"

# --- the default mode is refused, with the way out named -------------------
VIA_POOLER="postgresql://zava_mcp@127.0.0.1:${POOLER}/zava"
out="$(DATABASE_URL="${VIA_POOLER}" ZAVA_TOKENS="${TOKENS}" timeout 30 \
    "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${A}" 2>&1)"
expect_eq "a bridge in its default mode does not start behind a transaction pooler" "$?" "1"
expect "… and says to start it with --pooler transaction" grep -q -- "--pooler transaction" <<<"${out}"

# --- psql logins through the pooler keep their own user ---------------------
seen() { "${PG_BIN}/psql" "postgresql://$1@127.0.0.1:${POOLER}/zava" -XqAt -c "SELECT current_user, count(DISTINCT store_id) FROM retail.orders"; }
expect_eq "seattle_manager through PgBouncer is seattle_manager and sees one store's orders" "$(seen seattle_manager)" "seattle_manager|1"
all="$(q "${P}" postgres zava -c "SELECT count(DISTINCT store_id) FROM retail.orders")"
expect_eq "head_office through PgBouncer sees every store's orders" "$(seen head_office)" "head_office|${all}"

# --- two bridges behind the pooler ------------------------------------------
for port in "${A}" "${B}"; do
    DATABASE_URL="${VIA_POOLER}" ZAVA_TOKENS="${TOKENS}" ZAVA_LOG=warn \
        "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${port}" --pooler transaction \
        --pool-max 16 --max-concurrent-per-principal 8 --cache-ttl-s 0 > "${DIR}/bridge-${port}.log" 2>&1 &
    PIDS+=($!)
done
for port in "${A}" "${B}"; do
    expect "bridge on ${port} (--pooler transaction) is ready through PgBouncer" bridge_ready "http://127.0.0.1:${port}"
done

# --- the expected answers: each principal's own, from the database directly --
SPEC="${DIR}/soak.json"
soak_spec "${P}" "${PERIOD}" "${CALLS}" "[8, 64, 32]" "http://127.0.0.1:${A}/mcp" "http://127.0.0.1:${B}/mcp" > "${SPEC}"
expect "the soak's expected answers were made for all ${#LOGINS[@]} principals" \
    bash -c "[ ${#LOGINS[@]} -ge 8 ] && [ \$(grep -c '\"checks\": \[' '${SPEC}') -eq ${#LOGINS[@]} ]"

# The checker itself: Seattle's expectations with Bellevue's token must be caught.
python3 - "${SPEC}" "${DIR}/swapped.json" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
by = {p["name"]: p for p in spec["principals"]}
by["seattle_manager"]["token"] = by["bellevue_manager"]["token"]
spec["principals"], spec["calls"], spec["phases"] = [by["seattle_manager"]], 40, [4]
json.dump(spec, open(sys.argv[2], "w"))
PY
"${ZAVA_ROOT}/target/debug/zava-bench" soak "${DIR}/swapped.json" > "${DIR}/swapped.out" 2>&1
expect_eq "control: the soak fails when a principal gets another's answers" "$?" "1"
expect "… counting foreign rows and wrong answers" \
    grep -Eq "^soak: 40 calls .*: [1-9][0-9]* foreign rows, [1-9][0-9]* wrong answers, 0 errors" "${DIR}/swapped.out"

"${ZAVA_ROOT}/target/debug/zava-bench" soak "${SPEC}" 2>&1 | tee "${DIR}/soak.out" | sed 's/^/# /'
expect_eq "soak: ${CALLS} calls through 2 bridges and PgBouncer: 0 foreign rows, 0 wrong answers, 0 errors" \
    "${PIPESTATUS[0]}" "0"
expect "… and every call was made and counted" grep -q "^soak: ${CALLS} calls" "${DIR}/soak.out"
servers="$("${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${P}/zava" -XqAt \
    -c "SELECT count(*) FROM pg_stat_activity WHERE usename = 'zava_mcp'")"
expect "PgBouncer held at most 6 server connections for the bridges' 32" test "${servers}" -le 6
