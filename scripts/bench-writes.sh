#!/usr/bin/env bash
# The checkout write path (issue 32; a section of `make bench`, or alone:
# bash scripts/bench-writes.sh PORT DB). Prints numbers, asserts nothing.
#
# One transaction = 1 order + 3 lines (two INSERTs), written by the
# administrator, with pgbench, in the same run against:
#   plain   a copy of retail.orders/order_items (LIKE … INCLUDING ALL: same
#           columns, defaults, checks and indexes; same foreign keys), no triggers;
#   zava    retail.* with its rollup triggers (0.10.0: they append to the log).
# Rows: c=1 (a random store), c=8 over 8 stores, c=8 and c=32 on one store;
# orders/s, p50/p99 latency and the ratio. Then verify_rollups, a soak of 8
# tills with the merger's backlog every 10 s and its drain, and
# store_performance / top_products with a full merge interval's backlog
# against an empty log. Also stock updates and bulk loads of customers and
# stock against plain copies (what the data-version marks cost the writer).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
P="${1:?port}"; DB="${2:?database}"
SECS="${ZAVA_BENCH_WRITE_SECONDS:-10}"; SOAK="${ZAVA_BENCH_SOAK_SECONDS:-300}"
W="${ZAVA_ROOT}/target/bench-writes"; rm -rf "${W}"; mkdir -p "${W}"
sql() { "${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${P}/${DB}" -XqAt -v ON_ERROR_STOP=1 "$@"; }

sql -c "ALTER SYSTEM RESET zava.merge_interval_ms" -c "SELECT pg_reload_conf()" >/dev/null  # a run cut short
sql <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
CREATE TABLE bench.orders (LIKE retail.orders INCLUDING ALL);
ALTER TABLE bench.orders ADD FOREIGN KEY (store_id) REFERENCES retail.stores,
                         ADD FOREIGN KEY (customer_id) REFERENCES retail.customers;
CREATE TABLE bench.order_items (LIKE retail.order_items INCLUDING ALL);
ALTER TABLE bench.order_items ADD FOREIGN KEY (store_id, order_id) REFERENCES bench.orders (store_id, order_id) ON DELETE RESTRICT,
                              ADD FOREIGN KEY (product_id) REFERENCES retail.products;
CREATE TABLE bench.stores AS SELECT row_number() OVER (ORDER BY store_id) - 1 AS n, store_id FROM retail.stores;
CREATE TABLE bench.customers AS SELECT row_number() OVER (ORDER BY customer_id) - 1 AS n, customer_id FROM retail.customers;
CREATE TABLE bench.products AS SELECT row_number() OVER (ORDER BY product_id) - 1 AS n, product_id, base_price, cost FROM retail.products;
CREATE UNIQUE INDEX ON bench.stores (n); CREATE UNIQUE INDEX ON bench.customers (n); CREATE UNIQUE INDEX ON bench.products (n);
ANALYZE bench.stores, bench.customers, bench.products;
SQL
stores="$(sql -c "SELECT count(*) FROM bench.stores")"
customers="$(sql -c "SELECT count(*) FROM bench.customers")"
products="$(sql -c "SELECT count(*) FROM bench.products")"
# The same checkout for both schemas; STORE is the till's store: random, per
# client (c=8 over 8 stores) or store 0 (one store).
script() { # script SCHEMA STORE-EXPRESSION
    cat <<SQL
\\set s ${2}
\\set c random(0, $(( customers - 1 )))
\\set p random(0, $(( products - 4 )))
BEGIN;
INSERT INTO $1.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT (SELECT store_id FROM bench.stores WHERE n = :s), gen_random_uuid(), (SELECT customer_id FROM bench.customers WHERE n = :c),
       timestamptz '2026-11-20 12:00 America/Los_Angeles', 'completed'
RETURNING store_id, order_id \\gset
INSERT INTO $1.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT ':store_id'::uuid, gen_random_uuid(), ':order_id'::uuid, product_id, 1, base_price, base_price, cost
  FROM bench.products WHERE n BETWEEN :p AND :p + 2;
COMMIT;
SQL
}
# run NAME SCHEMA CLIENTS STORE-EXPRESSION → "orders/s p50 p99 failed" (ms)
run() {
    local name="$1" schema="$2" c="$3" store="$4" f="${W}/$1-$2-$3.sql"
    script "${schema}" "${store}" > "${f}"
    (cd "${W}" && "${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U postgres -n -c "${c}" -j "$(( c < 2 ? 1 : 2 ))" -T "${SECS}" \
        --max-tries=10 --failures-detailed -l --log-prefix="${name}-${schema}-${c}" -f "${f}" "${DB}" > "${f}.out" 2>&1)
    local logs=("${W}/${name}-${schema}-${c}".*)
    printf '%.0f %s %s %s\n' "$(reported 'tps =' "${f}.out")" "$(percentile 0.5 "${logs[@]}")" \
        "$(percentile 0.99 "${logs[@]}")" "$(reported 'number of failed transactions' "${f}.out")"
}
echo "checkout = 1 order + 3 lines; ${SECS} s per row; plain copy vs retail.* (the log since 0.10.0)"
printf '%-26s %22s %22s %8s %8s\n' "workload" "plain orders/s p50 p99" "zava orders/s p50 p99" "ratio" "p99 ×"
for row in "c=1, random store|1|random(0, $(( stores - 1 )))" "c=8, 8 stores|8|:client_id % ${stores}" \
           "c=8, one store|8|0" "c=32, one store|32|0"; do
    IFS='|' read -r label c store <<< "${row}"
    key="$(echo "${label}" | tr -c 'a-z0-9' '_')"
    read -r pt pp50 pp99 pf <<< "$(run "${key}" bench "${c}" "${store}")"
    read -r zt zp50 zp99 zf <<< "$(run "${key}" retail "${c}" "${store}")"
    printf '%-26s %8s %6s %6s ms %8s %6s %6s ms %7.2f× %7.2f×   (failed: plain %s, zava %s)\n' "${label}" \
        "${pt}" "${pp50}" "${pp99}" "${zt}" "${zp50}" "${zp99}" "$(awk "BEGIN {print ${zt} / ${pt}}")" \
        "$(awk "BEGIN {print ${zp99} / ${pp99}}")" "${pf}" "${zf}"
done
echo "deadlocks: $(reported 'number of deadlock failures' "${W}"/*.out)," \
     "serialization failures: $(reported 'number of serialization failures' "${W}"/*.out)"
sql -c "SELECT zava.merge_now()" >/dev/null
echo "verify_rollups after the writes: $(sql -c "SELECT (zava.verify_rollups())->>'differences'") differences"

echo; echo "== stock and customer writes: plain copies vs retail.* with and without 0.12.0's data-version marks (one row per statement and store)"
# The marks are the data_change_* statement triggers; retail.* also has what it
# had before them (touch_updated_at on updates, number_customers on inserts), so
# "marks off" (those triggers disabled in this run) is the cost without them.
marks() { # marks enable|disable
    for t in inventory customers; do for e in insert update delete; do
        sql -c "ALTER TABLE retail.${t} $1 TRIGGER data_change_${e}" >/dev/null
    done; done
}
marks enable  # a run cut short
sql <<'SQL'
SET client_min_messages = warning;
CREATE TABLE bench.inventory (LIKE retail.inventory INCLUDING ALL);
ALTER TABLE bench.inventory ADD FOREIGN KEY (store_id) REFERENCES retail.stores,
                            ADD FOREIGN KEY (product_id) REFERENCES retail.products;
INSERT INTO bench.inventory SELECT * FROM retail.inventory;
CREATE TABLE bench.customers_copy (LIKE retail.customers INCLUDING ALL);
ALTER TABLE bench.customers_copy ADD FOREIGN KEY (store_id) REFERENCES retail.stores;
CREATE TABLE bench.stock AS SELECT row_number() OVER (ORDER BY store_id, product_id) - 1 AS n, store_id, product_id FROM retail.inventory;
CREATE UNIQUE INDEX ON bench.stock (n);
ANALYZE bench.inventory, bench.customers_copy, bench.stock;
SQL
stock_rows="$(sql -c "SELECT count(*) FROM bench.stock")"
# One till's stock change: an UPDATE of one (store, product) row.
stock_script() {
    cat <<SQL
\\set i random(0, $(( stock_rows - 1 )))
UPDATE $1.inventory i SET stock_level = stock_level + 1, updated_at = now()
  FROM bench.stock k WHERE k.n = :i AND i.store_id = k.store_id AND i.product_id = k.product_id;
SQL
}
stock_run() { # stock_run NAME SCHEMA CLIENTS → "updates/s p50 p99"
    local f="${W}/stock-$1-$3.sql"
    stock_script "$2" > "${f}"
    (cd "${W}" && rm -f "stock-$1-$3".[0-9]* && "${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U postgres -n -c "$3" -j "$(( $3 < 2 ? 1 : 2 ))" -T "${SECS}" \
        -l --log-prefix="stock-$1-$3" -f "${f}" "${DB}" > "${f}.out" 2>&1)
    local logs=("${W}/stock-$1-$3".[0-9]*)
    printf '%.0f %s %s\n' "$(reported 'tps =' "${f}.out")" "$(percentile 0.5 "${logs[@]}")" "$(percentile 0.99 "${logs[@]}")"
}
printf '%-18s %22s %22s %22s %14s %14s\n' "stock update" "plain updates/s p50 p99" "marks off" "retail.* (marks on)" "on/plain" "on/off"
for c in 1 8; do
    read -r pt pp50 pp99 <<< "$(stock_run plain bench "${c}")"
    marks disable; read -r ft fp50 fp99 <<< "$(stock_run off retail "${c}")"; marks enable
    read -r zt zp50 zp99 <<< "$(stock_run on retail "${c}")"
    printf '%-18s %8s %6s %6s ms %8s %6s %6s ms %8s %6s %6s ms %7.2f×/%5.2f× %7.2f×/%5.2f×  (throughput/p99)\n' "c=${c}, random row" \
        "${pt}" "${pp50}" "${pp99}" "${ft}" "${fp50}" "${fp99}" "${zt}" "${zp50}" "${zp99}" \
        "$(awk "BEGIN {print ${zt} / ${pt}}")" "$(awk "BEGIN {print ${zp99} / ${pp99}}")" \
        "$(awk "BEGIN {print ${zt} / ${ft}}")" "$(awk "BEGIN {print ${zp99} / ${fp99}}")"
done
# Bulk: 100,000 customers in one INSERT … SELECT, and a stock count of every
# row at once (one UPDATE of the whole inventory), each the best of 3, rolled back.
bulk() { # bulk SQL → best of 3, ms
    local best="" t i
    for i in 1 2 3; do
        t="$(sql -c "\\timing on" -c "BEGIN" -c "$1" -c "ROLLBACK" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | sed -n 2p)"
        best="$(awk -v a="${best}" -v b="${t}" 'BEGIN {print (a == "" || b < a) ? b : a}')"
    done
    echo "${best}"
}
load() { echo "INSERT INTO $1 (customer_id, store_id, first_name, last_name, email) SELECT gen_random_uuid(), s.store_id, 'Bulk', 'Load ' || g, 'bulk' || g || '@load.example' FROM generate_series(1, 100000) g JOIN bench.stores s ON s.n = g % ${stores}"; }
count() { echo "UPDATE $1 SET stock_level = stock_level + 1, updated_at = now()"; }
lp="$(bulk "$(load bench.customers_copy)")"; cp_="$(bulk "$(count bench.inventory)")"
marks disable; lf="$(bulk "$(load retail.customers)")"; cf="$(bulk "$(count retail.inventory)")"; marks enable
lz="$(bulk "$(load retail.customers)")"; cz="$(bulk "$(count retail.inventory)")"
printf '  100,000 customers in one INSERT: plain %s ms, marks off %s ms, retail.* %s ms (on/off %.2f×)\n' "${lp}" "${lf}" "${lz}" "$(awk "BEGIN {print ${lz} / ${lf}}")"
printf '  %s stock rows in one UPDATE:   plain %s ms, marks off %s ms, retail.* %s ms (on/off %.2f×)\n' "${stock_rows}" "${cp_}" "${cf}" "${cz}" "$(awk "BEGIN {print ${cz} / ${cf}}")"

echo; echo "== 8 tills (8 stores) writing for ${SOAK} s: the merger's backlog every 10 s"
script retail ":client_id % ${stores}" > "${W}/soak.sql"
"${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U postgres -n -c 8 -j 2 -T "${SOAK}" --max-tries=10 \
    -f "${W}/soak.sql" "${DB}" > "${W}/soak.out" 2>&1 &
soak=$!
for (( t = 10; t <= SOAK; t += 10 )); do
    sleep 10
    echo "  ${t} s: $(sql -c "SELECT backlog_rows || ' rows waiting, oldest ' || coalesce(round(extract(epoch FROM clock_timestamp() - oldest_unmerged)::numeric, 2)::text || ' s', '-') FROM zava.merge_status")"
done
wait "${soak}"
echo "  soak: $(reported 'tps =' "${W}/soak.out") orders/s"
start=$(date +%s.%N)
until [ "$(sql -c "SELECT backlog_rows FROM zava.merge_status")" = 0 ]; do sleep 0.05; done
echo "  drained $(awk "BEGIN {printf \"%.2f\", $(date +%s.%N) - ${start}}") s after the load stopped"
echo "  verify_rollups: $(sql -c "SELECT (zava.verify_rollups())->>'differences'") differences"

echo; echo "== analytics with a full merge interval's backlog (c=8) against an empty log (head office)"
interval="$(sql -c "SELECT setting FROM pg_settings WHERE name = 'zava.merge_interval_ms'")"
per_read() { # per_read SQL → p50 ms over 25 calls in one session
    printf 'SET zava.as_of_date = %s;\n%s\n' "'2026-11-23'" "$1" > "${W}/read.sql"
    (cd "${W}" && rm -f rd.* 2>/dev/null; "${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U head_office -n -c 1 -t 25 \
        -l --log-prefix=rd -f "${W}/read.sql" "${DB}" >/dev/null 2>&1)
    percentile 0.5 "${W}"/rd.*
}
sql -c "ALTER SYSTEM SET zava.merge_interval_ms = 60000" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1; sql -c "SELECT zava.merge_now()" >/dev/null
# As many checkouts as 8 tills write in one merge interval at the soak's rate.
rate="$(printf '%.0f' "$(reported 'tps =' "${W}/soak.out")")"
per_client=$(( ${rate:-1000} * ${interval} / 1000 / 8 + 1 ))
"${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U postgres -n -c 8 -j 2 -t "${per_client}" \
    -f "${W}/soak.sql" "${DB}" > /dev/null 2>&1
backlog="$(sql -c "SELECT backlog_rows FROM zava.merge_status")"
SP="SELECT zava.store_performance(NULL, '2026-07-01..2026-09-30');"
TP="SELECT count(*) FROM zava.top_products(NULL, '2026-07-01..2026-09-30', 10);"
sp_full="$(per_read "${SP}")"; tp_full="$(per_read "${TP}")"
sql -c "SELECT zava.merge_now()" >/dev/null
sp_empty="$(per_read "${SP}")"; tp_empty="$(per_read "${TP}")"
sql -c "ALTER SYSTEM RESET zava.merge_interval_ms" -c "SELECT pg_reload_conf()" >/dev/null
echo "backlog: ${backlog} log rows ($(( per_client * 8 )) checkouts: ${interval} ms of 8 tills at ${rate} orders/s)"
printf '  store_performance p50: %s ms with the backlog, %s ms with an empty log (%.2f×)\n' "${sp_full}" "${sp_empty}" "$(awk "BEGIN {print ${sp_full} / ${sp_empty}}")"
printf '  top_products p50:      %s ms with the backlog, %s ms with an empty log (%.2f×)\n' "${tp_full}" "${tp_empty}" "$(awk "BEGIN {print ${tp_full} / ${tp_empty}}")"
sql -c "DELETE FROM retail.order_items WHERE order_id IN (SELECT order_id FROM retail.orders WHERE ordered_at = timestamptz '2026-11-20 12:00 America/Los_Angeles')" \
    -c "DELETE FROM retail.orders WHERE ordered_at = timestamptz '2026-11-20 12:00 America/Los_Angeles'" -c "SELECT zava.merge_now()" \
    -c "DROP SCHEMA bench CASCADE" >/dev/null 2>&1
