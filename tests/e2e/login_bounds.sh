#!/usr/bin/env bash
# A principal's psql login cannot stall an administrator. It holds a lock in an
# idle transaction (any read; LOCK TABLE needs a table privilege principals do
# not have since 0.9.0): the
# administrator's VACUUM FULL waits at most the login's
# idle_in_transaction_session_timeout, and the login cannot lift that bound for
# its session (SET, set_config, connection options) to wait longer.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-login-bounds"; P=5486
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.002, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
SEATTLE=7a0a0000-0000-4000-8000-000000000011
# An administrator's own bound for this login (kept by grant_principal): 2 s.
q "${P}" postgres zava -c "CREATE ROLE holder LOGIN" -c "ALTER ROLE holder SET idle_in_transaction_session_timeout = '2s'" \
    -c "SELECT zava.grant_principal('holder', '${SEATTLE}')" >/dev/null
expect_eq "grant_principal gave the login its bounds and kept the administrator's own" \
    "$(q "${P}" postgres zava -c "SELECT string_agg(c, ' ' ORDER BY c) FROM pg_db_role_setting d, unnest(d.setconfig) c WHERE d.setrole = 'holder'::regrole")" \
    "idle_in_transaction_session_timeout=2s statement_timeout=30s temp_file_limit=1GB work_mem=16MB"

# hold "SQL before the idle wait" [PGOPTIONS]: a holder session in the background
# that runs the SQL, then sits idle for 6 s inside its transaction: longer than
# the 2 s bound plus the 1 s slack every wait below is checked against, so a
# lock held past the bound still fails the check, and no check waits 20 s.
hold() {
    printf '%s\n' "$1" '\! sleep 6' "SELECT 'still here' AS alive;" |
        PGOPTIONS="${2:-}" "${PG_BIN}/psql" -h 127.0.0.1 -p "${P}" -U holder -d zava -X -At > "${DIR}/holder.out" 2>&1 &
    HOLDER=$!
}
# admin_waits: seconds an administrator's VACUUM FULL of retail.orders takes.
admin_waits() {
    local t0 t1; t0=$(date +%s.%N)
    q "${P}" postgres zava -c "SET lock_timeout = '30s'" -c "VACUUM FULL retail.orders" >/dev/null 2>&1
    t1=$(date +%s.%N); awk "BEGIN {printf \"%.1f\", ${t1} - ${t0}}"
}
holding() { # the holder is idle in a transaction that holds a lock on retail.orders
    q "${P}" postgres zava -c "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l USING (pid)
        WHERE a.usename = 'holder' AND a.state = 'idle in transaction' AND l.relation = 'retail.orders'::regclass"
}
wait_holding() { for _ in $(seq 50); do [ "$(holding)" = 1 ] && return 0; sleep 0.1; done; return 1; }

# 1. LOCK TABLE needs a table-level privilege; principals hold column
# privileges only (0.9.0), so it is refused outright.
expect_eq "a principal's LOCK TABLE is refused" \
    "$("${PG_BIN}/psql" -h 127.0.0.1 -p "${P}" -U holder -d zava -X -At -c "BEGIN" \
        -c "LOCK TABLE retail.orders IN ACCESS SHARE MODE" 2>&1 | grep -o 'permission denied for table orders')" \
    "permission denied for table orders"

# 2. An idle read holds its ACCESS SHARE lock: the administrator waits about
# the login's 2 s, no longer.
hold "BEGIN; SELECT count(*) >= 0 FROM retail.orders;"
expect "the login holds a lock on retail.orders, idle in its transaction" wait_holding
waited="$(admin_waits)"
echo "# VACUUM FULL behind an idle read's ACCESS SHARE lock waited ${waited} s (login bound 2 s)"
expect "the administrator's VACUUM FULL waited for the lock, at most the login's bound (+1 s): ${waited} s" \
    awk "BEGIN {exit !(${waited} >= 0.5 && ${waited} <= 3.0)}"
wait "${HOLDER}"
expect "the holder's session was ended by its idle-in-transaction timeout" \
    grep -q "idle-in-transaction timeout" "${DIR}/holder.out"

# 3. The login tries to lift its bound first: each way is refused, so it never
# holds the lock with the timeout off.
for a in "SET idle_in_transaction_session_timeout = 0|may not be set to 0 (no limit)" \
         "SELECT set_config('idle_in_transaction_session_timeout', '0', false)|permission denied for function set_config" \
         "SET idle_in_transaction_session_timeout = '1h'|may not be set to 3600000ms"; do
    attempt="${a%%|*}"; why="${a#*|}"
    hold "BEGIN; ${attempt}; SELECT count(*) >= 0 FROM retail.orders;"
    sleep 1
    waited="$(admin_waits)"
    expect "refused: ${attempt} (VACUUM FULL waited ${waited} s)" awk "BEGIN {exit !(${waited} <= 3.0)}"
    expect "  and the login was told why: ${why}" grep -qF "${why}" "${DIR}/holder.out"
    wait "${HOLDER}"
done
hold "BEGIN; SELECT count(*) >= 0 FROM retail.orders;" "-c idle_in_transaction_session_timeout=0"
sleep 1
waited="$(admin_waits)"
expect "refused: connection options (PGOPTIONS) lifting the bound (VACUUM FULL waited ${waited} s)" \
    awk "BEGIN {exit !(${waited} <= 3.0)}"
expect "  and the login was told why" grep -q "idle_in_transaction_session_timeout is 0 (no limit)" "${DIR}/holder.out"
wait "${HOLDER}"

# 4. An administrator is not bound (zava_admin may set what it likes).
expect_eq "an administrator's session may switch the timeout off" \
    "$(q "${P}" postgres zava -c "SET idle_in_transaction_session_timeout = 0" -c "SHOW idle_in_transaction_session_timeout")" "0"
