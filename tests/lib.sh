# Helpers for end-to-end tests: each check prints "ok - …" or "not ok - …"
# (scripts/test.sh counts them). Sourced.
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/cluster.sh"
set +e

expect_eq() { # expect_eq DESCRIPTION ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then echo "ok - $1"; else echo "not ok - $1"; echo "#   got:      '$2'"; echo "#   expected: '$3'"; fi
}
expect() { # expect DESCRIPTION COMMAND…
    local d="$1"; shift
    if "$@"; then echo "ok - ${d}"; else echo "not ok - ${d}"; fi
}

# q PORT USER DB SQL…: one psql call over loopback, unaligned, no psqlrc.
q() {
    local port="$1" user="$2" db="$3"; shift 3
    "${PG_BIN}/psql" -h 127.0.0.1 -p "${port}" -U "${user}" -d "${db}" -X -qAt -v ON_ERROR_STOP=1 "$@"
}

# Row counts of every table the extension owns, one line.
COUNTS_SQL="SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
  SELECT 'stores' t, count(*) n FROM retail.stores UNION ALL SELECT 'categories', count(*) FROM retail.categories
  UNION ALL SELECT 'product_types', count(*) FROM retail.product_types UNION ALL SELECT 'products', count(*) FROM retail.products
  UNION ALL SELECT 'customers', count(*) FROM retail.customers UNION ALL SELECT 'orders', count(*) FROM retail.orders
  UNION ALL SELECT 'order_items', count(*) FROM retail.order_items UNION ALL SELECT 'inventory', count(*) FROM retail.inventory
  UNION ALL SELECT 'principals', count(*) FROM zava.principals UNION ALL SELECT 'principal_stores', count(*) FROM zava.principal_stores
  UNION ALL SELECT 'role_principals', count(*) FROM zava.role_principals) x"
# A fingerprint of every order line's content.
FINGERPRINT_SQL="SELECT md5(string_agg(o.order_id::text || o.ordered_at || o.status || i.product_id || i.quantity || i.line_total, ',' ORDER BY o.order_id, i.order_item_id)) FROM retail.orders o JOIN retail.order_items i USING (store_id, order_id)"

# fresh_demo_cluster DIR PORT: a new cluster in DIR on PORT (an old one there
# is removed) with database zava: the extension, scale-0.01 demo data ending
# 2024-06-30 and the demo logins.
fresh_demo_cluster() {
    local dir="$1" port="$2"
    cluster_stop "${dir}"; rm -rf "${dir}"
    cluster_init "${dir}" "${port}" fast; cluster_start "${dir}"
    q "${port}" postgres postgres -c "CREATE DATABASE zava"
    q "${port}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
        -c "SELECT zava.generate_demo_data(0.01, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
}

# eventually SECONDS COMMAND…: true once COMMAND succeeds, trying every 0.1 s
# for up to SECONDS (for what another process writes a moment later).
eventually() {
    local tries=$(( $1 * 10 )) i
    shift
    for (( i = 0; i < tries; i++ )); do "$@" && return 0; sleep 0.1; done
    "$@"
}

# embed_products PORT DB: the catalogue's embeddings (zava.refresh_embeddings,
# printed), most of a search-using suite's set-up on 2 cores (one backend,
# ~15-40 s). The vectors an earlier suite or run made are loaded first when
# they come from the same extension library (its md5, which a reinstall of the
# same build keeps) and the same product texts (zava.product_texts());
# refresh_embeddings then embeds whatever they do not cover (everything on a
# first run or after a change) and is the judge of what is current, as always.
# tests/e2e/search.sh does not use it: it tests refresh_embeddings itself.
embed_products() {
    local port="$1" db="$2" lib key dir="${ZAVA_ROOT}/target/e2e-embeddings" file out
    lib="$(md5sum < "$("${PG_CONFIG}" --pkglibdir)/zava.so" | cut -c1-16)"
    key="${lib}-$(q "${port}" postgres "${db}" -c \
        "SELECT md5(string_agg(product_id || ':' || md5, ',' ORDER BY product_id)) FROM zava.product_texts()")"
    file="${dir}/${key}.copy"
    if [ -f "${file}" ]; then
        q "${port}" postgres "${db}" -c "\copy retail.product_description_embeddings FROM '${file}'" >/dev/null 2>&1 \
            || { rm -f "${file}"; q "${port}" postgres "${db}" -c "TRUNCATE retail.product_description_embeddings"; }
    fi
    out="$(q "${port}" postgres "${db}" -c "SET client_min_messages = warning" -c "SELECT zava.refresh_embeddings()")"
    if [ -f "${file}" ]; then
        echo "${out} (on vectors an earlier run made)"
    else
        # Only the current library's files are kept (one per catalogue).
        mkdir -p "${dir}"; find "${dir}" -name '*.copy' ! -name "${lib}-*" -delete
        q "${port}" postgres "${db}" -c "\copy retail.product_description_embeddings TO '${file}'" >/dev/null
        echo "${out}"
    fi
}
