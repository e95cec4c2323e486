#!/usr/bin/env bash
# Rollups under concurrent writers: pgbench runs 4 clients changing order
# statuses, days and customers, adding orders on a few shared days (so customer
# sets are added to and recomputed at once), updating, adding and deleting lines in random order
# (deadlocks and serialisation failures are retried), then the rollups must
# equal a recomputation from raw rows.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-rollups"; P=5489
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.02, 7, '2024-06-30')" >/dev/null
cat > "${DIR}/writes.sql" <<'SQL'
\set n random(0, 3500)
\set k random(1, 6)
BEGIN;
UPDATE retail.orders SET status = (ARRAY['completed', 'cancelled', 'refunded', 'completed', 'pending', 'completed'])[:k],
       ordered_at = ordered_at + make_interval(days => :k - 3)
 WHERE order_id = (SELECT order_id FROM retail.orders ORDER BY order_id OFFSET :n LIMIT 1);
UPDATE retail.order_items SET quantity = quantity + 1, line_total = line_total + unit_price
 WHERE order_item_id = (SELECT order_item_id FROM retail.order_items ORDER BY order_item_id OFFSET :n * 2 LIMIT 1);
INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT o.store_id, gen_random_uuid(), o.order_id, p.product_id, :k, p.base_price, :k * p.base_price, p.cost
  FROM (SELECT * FROM retail.orders ORDER BY order_id DESC OFFSET :n LIMIT 1) o,
       (SELECT * FROM retail.products ORDER BY sku OFFSET :n % 400 LIMIT 1) p;
DELETE FROM retail.order_items
 WHERE order_item_id = (SELECT order_item_id FROM retail.order_items ORDER BY order_item_id DESC OFFSET :n LIMIT 1);
UPDATE retail.orders SET customer_id = (SELECT customer_id FROM retail.customers ORDER BY customer_id OFFSET :n % 1000 LIMIT 1)
 WHERE order_id = (SELECT order_id FROM retail.orders ORDER BY order_id OFFSET (:n * 7) % 3500 LIMIT 1);
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT s.store_id, gen_random_uuid(), c.customer_id, timestamptz '2024-03-01 12:00 America/Los_Angeles' + make_interval(days => :k), 'completed'
  FROM (SELECT store_id FROM retail.stores ORDER BY store_id OFFSET :k % 2 LIMIT 1) s,
       (SELECT customer_id FROM retail.customers ORDER BY customer_id OFFSET (:n * 3) % 1000 LIMIT 1) c;
DELETE FROM retail.orders
 WHERE order_id = (SELECT o.order_id FROM retail.orders o
                    WHERE o.order_date BETWEEN DATE '2024-03-02' AND DATE '2024-03-07'
                      AND NOT EXISTS (SELECT FROM retail.order_items i WHERE i.order_id = o.order_id)
                    ORDER BY o.order_id OFFSET :k LIMIT 1);
COMMIT;
SQL
"${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U postgres -n -c 4 -j 2 -t 150 --max-tries=20 \
    -f "${DIR}/writes.sql" zava > "${DIR}/pgbench.log" 2>&1
expect_eq "pgbench: 4 clients × 150 write transactions ran" "$?" "0"
processed="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "${DIR}/pgbench.log")"
expect_eq "all 600 transactions committed" "${processed}" "600"
expect_eq "rollups equal raw rows after concurrent writes" \
    "$(q "${P}" postgres zava -c "SELECT zava.verify_rollups()->>'differences'")" "0"
