#!/usr/bin/env bash
# Upgrades are exact. For every released version V (sql/released/zava--V.sql):
#   1. the current library can load V's script (every C symbol V binds exists);
#   2. V is installed from its committed script into a fresh cluster and filled
#      with rows made by V (tests/upgrade/zava-V-data.sql.gz);
#   3. `ALTER EXTENSION zava UPDATE` brings it to the current version;
#   4. its catalog fingerprint (tests/upgrade/catalog.sql) equals a fresh
#      install's, the rows survive, the rollups are exact and isolation holds.
# Then the fingerprint is shown to fail: each deliberate change to a fresh
# install (a column, a constraint, a function's volatility, …) must show up.
#
# While the current version is itself the latest release, step 3 has nothing to
# do and step 4 compares the released script with the build's own script.
source "$(dirname "$0")/../lib.sh"
BASE="${ZAVA_ROOT}/target/e2e-upgrade"
UP="${BASE}/upgraded"; FRESH="${BASE}/fresh"; UPP=5496; FP=5497
EXT_DIR="$("${PG_CONFIG}" --sharedir)/extension"
LIB="$("${PG_CONFIG}" --pkglibdir)/zava.so"
CATALOG="${ZAVA_ROOT}/tests/upgrade/catalog.sql"
CURRENT="$(sed -n "s/^default_version = '\(.*\)'/\1/p" "${EXT_DIR}/zava.control")"
for c in "${UP}" "${FRESH}"; do cluster_stop "${c}"; done
rm -rf "${BASE}"; mkdir -p "${BASE}"
cluster_init "${UP}" "${UPP}" fast; cluster_start "${UP}"
cluster_init "${FRESH}" "${FP}" fast; cluster_start "${FRESH}"
BUILT_SCRIPT="${BASE}/zava--${CURRENT}.built.sql"
cp "${EXT_DIR}/zava--${CURRENT}.sql" "${BUILT_SCRIPT}"
restore_built() { cp "${BUILT_SCRIPT}" "${EXT_DIR}/zava--${CURRENT}.sql"; }
trap 'restore_built; cluster_stop "${UP}"; cluster_stop "${FRESH}"' EXIT

fingerprint() { q "$1" postgres "$2" -f "${CATALOG}"; }

# The reference: a fresh install of the current build.
q "${FP}" postgres postgres -c "CREATE DATABASE zava"
q "${FP}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE"
fingerprint "${FP}" zava > "${BASE}/fresh.txt"
expect "the fingerprint of a fresh install is not trivially small" test "$(wc -l < "${BASE}/fresh.txt")" -gt 300

released=0
for script in "${ZAVA_ROOT}"/sql/released/zava--*.sql; do
    v="$(basename "${script}" .sql)"; v="${v#zava--}"
    released=$((released + 1))
    # 1. Every C symbol the released script binds is still in the library.
    missing=""
    for sym in $(grep -o "'MODULE_PATHNAME', '[A-Za-z0-9_]*'" "${script}" | sed "s/.*, '\(.*\)'/\1/" | sort -u); do
        nm -D --defined-only "${LIB}" | grep -qw "${sym}" || missing="${missing} ${sym}"
    done
    expect_eq "${v}: the current library exports every symbol ${v}'s script binds" "${missing}" ""

    # 2. Install V exactly as released (its committed script), then V's rows.
    cp "${script}" "${EXT_DIR}/zava--${v}.sql"
    db="from_${v//./_}"
    q "${UPP}" postgres postgres -c "CREATE DATABASE ${db}"
    q "${UPP}" postgres "${db}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava VERSION '${v}' CASCADE"
    expect_eq "${v}: installs from its released script" \
        "$(q "${UPP}" postgres "${db}" -c "SELECT extversion FROM pg_extension WHERE extname = 'zava'")" "${v}"
    [ "${v}" = "${CURRENT}" ] && restore_built
    # The fixture's login mappings name roles: like a real restore (roles first,
    # pg_dumpall --roles-only), the login roles exist before its rows load.
    printf '%s\n' "SELECT format('CREATE ROLE %I LOGIN', role_name) FROM zava.demo_principals()" \
        "WHERE role_name NOT IN (SELECT rolname FROM pg_roles) \gexec" | q "${UPP}" postgres "${db}" -f - >/dev/null
    fixture="${ZAVA_ROOT}/tests/upgrade/zava-${v}-data.sql.gz"
    expect "${v}: has a data fixture made by ${v}" test -s "${fixture}"
    gzip -dc "${fixture}" | q "${UPP}" postgres "${db}" -f - >/dev/null 2>"${BASE}/load-${v}.err"
    expect_eq "${v}: its rows load without errors" "$(grep -c ERROR "${BASE}/load-${v}.err")" "0"
    counts_before="$(q "${UPP}" postgres "${db}" -c "${COUNTS_SQL}")"
    print_before="$(q "${UPP}" postgres "${db}" -c "${FINGERPRINT_SQL}")"

    # 3. Upgrade.
    q "${UPP}" postgres "${db}" -c "SET client_min_messages = warning" -c "ALTER EXTENSION zava UPDATE"
    expect_eq "${v}: ALTER EXTENSION zava UPDATE reaches ${CURRENT}" \
        "$(q "${UPP}" postgres "${db}" -c "SELECT extversion FROM pg_extension WHERE extname = 'zava'")" "${CURRENT}"

    # 4. Same catalog as a fresh install; same rows; exact rollups; isolation.
    fingerprint "${UPP}" "${db}" > "${BASE}/upgraded-${v}.txt"
    diff -u "${BASE}/fresh.txt" "${BASE}/upgraded-${v}.txt" > "${BASE}/diff-${v}.txt"
    expect_eq "${v} → ${CURRENT}: catalog equals a fresh install ($(wc -l < "${BASE}/fresh.txt") facts)" \
        "$(grep -c '^[-+][^-+]' "${BASE}/diff-${v}.txt")" "0"
    sed -n '1,40p' "${BASE}/diff-${v}.txt" | sed 's/^/#   /'
    expect_eq "${v} → ${CURRENT}: every row survives" "$(q "${UPP}" postgres "${db}" -c "${COUNTS_SQL}")" "${counts_before}"
    expect_eq "${v} → ${CURRENT}: every order line is unchanged" "$(q "${UPP}" postgres "${db}" -c "${FINGERPRINT_SQL}")" "${print_before}"
    expect "${v} → ${CURRENT}: there are orders to compare" test "$(q "${UPP}" postgres "${db}" -c "SELECT count(*) FROM retail.orders")" -gt 100
    expect_eq "${v} → ${CURRENT}: rollups are exact" \
        "$(q "${UPP}" postgres "${db}" -c "SELECT v->>'ok' FROM zava.verify_rollups() v")" "true"
    q "${UPP}" postgres "${db}" -c "SET client_min_messages = warning" -c "SELECT zava.setup_demo_logins()" >/dev/null
    expect_eq "${v} → ${CURRENT}: seattle_manager sees only Seattle" \
        "$(q "${UPP}" seattle_manager "${db}" -c "SELECT string_agg(DISTINCT s.city, ',') FROM retail.orders o JOIN retail.stores s USING (store_id)")" "Seattle"
    expect_eq "${v} → ${CURRENT}: head_office sees all 8 stores" \
        "$(q "${UPP}" head_office "${db}" -c "SELECT count(DISTINCT store_id) FROM retail.orders")" "8"
    expect_eq "${v} → ${CURRENT}: a login without a principal sees no tenant rows" \
        "$(q "${UPP}" visitor "${db}" -c "SELECT (SELECT count(*) FROM retail.orders) + (SELECT count(*) FROM retail.customers)")" "0"
    expect_eq "${v} → ${CURRENT}: the gateway asserts a store manager and gets only that store" \
        "$(q "${UPP}" zava_mcp "${db}" -c "BEGIN READ ONLY" \
            -c "SELECT FROM zava.assert_principal('7a0a0000-0000-4000-8000-000000000011')" -c "SET LOCAL ROLE zava_agent" \
            -c "SELECT zava.safe_query('SELECT count(DISTINCT store_id) AS n FROM retail.orders')->'rows'->0->>0" -c "COMMIT")" "1"
    expect_eq "${v} → ${CURRENT}: a store manager cannot assert another identity" \
        "$(q "${UPP}" seattle_manager "${db}" -c "BEGIN" -c "SELECT zava.assert_principal('7a0a0000-0000-4000-8000-000000000001')" 2>&1 | grep -o 'permission denied')" \
        "permission denied"
done
expect "at least one released version is tested" test "${released}" -gt 0

# The fingerprint can fail: each change below, made to a fresh install inside a
# transaction that is rolled back, must change it.
alterations=(
    "table|CREATE TABLE retail.extra (x int)"
    "column|ALTER TABLE retail.stores ADD COLUMN extra int"
    "column type|ALTER TABLE zava.principals ALTER COLUMN display_name TYPE varchar(200)"
    "constraint|ALTER TABLE retail.products DROP CONSTRAINT products_sku_key"
    "index|CREATE INDEX extra_idx ON retail.customers (email)"
    "function volatility|ALTER FUNCTION zava.whoami() VOLATILE"
    "function parallel safety|ALTER FUNCTION zava.current_store_ids() PARALLEL SAFE"
    "function security|ALTER FUNCTION zava.sales_trend(uuid, date, date, text) SECURITY DEFINER"
    "function search_path|ALTER FUNCTION zava.store_performance(uuid, text, text) SET search_path = public"
    "function owner|CREATE ROLE zava_test_owner; ALTER FUNCTION zava.whoami() OWNER TO zava_test_owner"
    "function body|CREATE OR REPLACE FUNCTION zava.as_of_date() RETURNS date LANGUAGE sql STABLE AS 'SELECT current_date'"
    "trigger|ALTER TABLE retail.orders DISABLE TRIGGER rollup_insert"
    "policy|ALTER POLICY tenant_read ON retail.customers USING (true)"
    "RLS forced|ALTER TABLE retail.orders NO FORCE ROW LEVEL SECURITY"
    "grant|GRANT INSERT ON retail.orders TO zava_reader"
    "function grant|GRANT EXECUTE ON FUNCTION zava.assert_principal(uuid) TO zava_agent"
    "config dump|UPDATE pg_extension SET extconfig = extconfig[2:], extcondition = extcondition[2:] WHERE extname = 'zava'"
    "role|ALTER ROLE zava_agent CREATEDB"
    "comment|COMMENT ON TABLE retail.stores IS 'changed'"
    "built-in function grant|GRANT EXECUTE ON FUNCTION pg_catalog.pg_relation_size(regclass) TO PUBLIC"
    "database TEMP|GRANT TEMPORARY ON DATABASE zava TO PUBLIC"
)
for a in "${alterations[@]}"; do
    what="${a%%|*}"; sql="${a#*|}"
    q "${FP}" postgres zava -c "BEGIN" -c "${sql}" -f "${CATALOG}" -c "ROLLBACK" > "${BASE}/altered.txt" 2>"${BASE}/altered.err"
    changed="$(diff "${BASE}/fresh.txt" "${BASE}/altered.txt" | grep -c '^[<>]')"
    expect "the fingerprint sees a changed ${what} (${changed} facts differ)" test "${changed}" -gt 0 -a ! -s "${BASE}/altered.err"
    [ -s "${BASE}/altered.err" ] && sed 's/^/#   /' "${BASE}/altered.err"
done
expect_eq "and nothing of the alterations stayed" "$(fingerprint "${FP}" zava | diff - "${BASE}/fresh.txt" | wc -l)" "0"
