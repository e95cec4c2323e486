#!/usr/bin/env bash
# Nothing lost: pg_dumpall --roles-only + pg_dump of a loaded database, restored
# into a fresh cluster, gives identical rows and the same isolation.
source "$(dirname "$0")/../lib.sh"
BASE="${ZAVA_ROOT}/target/e2e-dump"
SRC="${BASE}/src"; DST="${BASE}/dst"; SP=5492; DP=5493
for c in "${SRC}" "${DST}"; do cluster_stop "${c}"; done
rm -rf "${BASE}"; mkdir -p "${BASE}"
cluster_init "${SRC}" "${SP}" fast; cluster_start "${SRC}"
cluster_init "${DST}" "${DP}" fast; cluster_start "${DST}"
trap 'cluster_stop "${SRC}"; cluster_stop "${DST}"' EXIT

q "${SP}" postgres postgres -c "CREATE DATABASE zava"
q "${SP}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.01, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
counts_before="$(q "${SP}" postgres zava -c "${COUNTS_SQL}")"
print_before="$(q "${SP}" postgres zava -c "${FINGERPRINT_SQL}")"
seattle_before="$(q "${SP}" seattle_manager zava -c "SELECT count(*) FROM retail.orders")"
# Customer numbers (zava.customer_numbers, 0.9.0) are not dumped: the restore
# numbers each customer afresh as it loads them, and the rollups' customer sets
# are rebuilt with those numbers as the orders load.
NUMBERS_SQL="SELECT (SELECT count(*) FROM retail.customers) - count(*) || ' ' || (count(*) - count(DISTINCT customer_no))
               || ' ' || (SELECT count(*) FROM retail.customers c WHERE NOT EXISTS (SELECT FROM zava.customer_numbers n WHERE n.customer_id = c.customer_id))
               FROM zava.customer_numbers"

"${PG_BIN}/pg_dumpall" -h 127.0.0.1 -p "${SP}" -U postgres --roles-only > "${BASE}/roles.sql"
"${PG_BIN}/pg_dump" -h 127.0.0.1 -p "${SP}" -U postgres -Fc zava > "${BASE}/zava.dump"
expect "pg_dump wrote a dump" test -s "${BASE}/zava.dump"

# Fresh cluster: roles first (the 'postgres' role already exists there), then the database.
"${PG_BIN}/psql" -h 127.0.0.1 -p "${DP}" -U postgres -d postgres -X -q -f "${BASE}/roles.sql" >/dev/null 2>&1
q "${DP}" postgres postgres -c "CREATE DATABASE zava"
"${PG_BIN}/pg_restore" -h 127.0.0.1 -p "${DP}" -U postgres -d zava --exit-on-error "${BASE}/zava.dump" 2> "${BASE}/restore.err"
expect_eq "pg_restore succeeds" "$? $(grep -c ERROR "${BASE}/restore.err")" "0 0"

expect_eq "every table has the same row count after restore" "$(q "${DP}" postgres zava -c "${COUNTS_SQL}")" "${counts_before}"
expect_eq "every order line is identical after restore" "$(q "${DP}" postgres zava -c "${FINGERPRINT_SQL}")" "${print_before}"
expect "the restored database has orders" test "${seattle_before:-0}" -gt 0
expect_eq "seattle_manager sees the same orders after restore" \
    "$(q "${DP}" seattle_manager zava -c "SELECT count(*) FROM retail.orders")" "${seattle_before}"
expect_eq "seattle_manager still sees only Seattle" \
    "$(q "${DP}" seattle_manager zava -c "SELECT string_agg(DISTINCT s.city, ',') FROM retail.orders o JOIN retail.stores s USING (store_id)")" "Seattle"
expect_eq "head_office still sees all 8 stores" \
    "$(q "${DP}" head_office zava -c "SELECT count(DISTINCT store_id) FROM retail.orders")" "8"
expect_eq "a role without a principal still sees no tenant rows" \
    "$(q "${DP}" visitor zava -c "SELECT (SELECT count(*) FROM retail.orders) + (SELECT count(*) FROM retail.customers) + (SELECT count(*) FROM retail.inventory)")" "0"
RLS_SQL="SELECT count(*) FILTER (WHERE relforcerowsecurity) || '/' || (SELECT count(*) FROM pg_policies WHERE schemaname = 'retail') FROM pg_class WHERE relnamespace = 'retail'::regnamespace AND relkind = 'r'"
expect_eq "RLS is still forced with the same policies (19 tables, 38 policies in 0.10.0)" \
    "$(q "${DP}" postgres zava -c "${RLS_SQL}")" "$(q "${SP}" postgres zava -c "${RLS_SQL}")"
expect_eq "and those are every tenant table's" "$(q "${SP}" postgres zava -c "${RLS_SQL}")" "19/38"
expect_eq "the gateway may still assert, and only it" \
    "$(q "${DP}" postgres zava -c "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE NOT rolsuper AND has_function_privilege(oid, 'zava.assert_principal(uuid)', 'EXECUTE')")" "zava_gateway,zava_mcp"
expect_eq "rollups were rebuilt from the restored rows (not dumped, recomputed by the triggers)" \
    "$(q "${DP}" postgres zava -c "SELECT (v->>'ok') || ' ' || (v->>'store_days') FROM zava.verify_rollups() v")" \
    "$(q "${SP}" postgres zava -c "SELECT (v->>'ok') || ' ' || (v->>'store_days') FROM zava.verify_rollups() v")"
expect_eq "customer sets were rebuilt too (one per store and day with sales)" \
    "$(q "${DP}" postgres zava -c "SELECT (v->>'customer_days') || ' ' || (SELECT count(*) FROM retail.daily_store_customers) FROM zava.verify_rollups() v")" \
    "$(q "${SP}" postgres zava -c "SELECT (v->>'customer_days') || ' ' || (v->>'customer_days') FROM zava.verify_rollups() v")"
expect_eq "every restored customer has a number, each its own (missing, repeated, unnumbered)" \
    "$(q "${DP}" postgres zava -c "${NUMBERS_SQL}")" "0 0 0"
expect_eq "the restored customer sets are exactly the restored customers' numbers" \
    "$(q "${DP}" postgres zava -c "SELECT (v->>'ok') || ' ' || (v->>'differences') FROM zava.verify_rollups() v")" "true 0"
q "${DP}" postgres zava -c "INSERT INTO retail.customers (customer_id, store_id, first_name, last_name, email)
    SELECT gen_random_uuid(), store_id, 'After', 'Restore', 'after.restore@example.com' FROM retail.stores ORDER BY store_id LIMIT 1" >/dev/null
expect_eq "a customer added after the restore is numbered after every restored one" \
    "$(q "${DP}" postgres zava -c "SELECT n.customer_no > (SELECT max(customer_no) FROM zava.customer_numbers WHERE customer_id <> n.customer_id)
        FROM zava.customer_numbers n JOIN retail.customers c USING (customer_id) WHERE c.email = 'after.restore@example.com'")" "t"
expect "and they are not empty" test "$(q "${DP}" postgres zava -c "SELECT count(*) FROM retail.daily_store_sales")" -gt 100
