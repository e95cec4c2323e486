#!/usr/bin/env bash
# Rollups under concurrent writers: pgbench runs 4 clients changing order
# statuses, days and customers, adding orders on a few shared days (so customer
# sets are added to and recomputed at once) and deleting them (orders of their
# own, ids ffffffff-…, which never get lines: a line added to an order being
# deleted is a foreign-key error, not something to retry), updating, adding and deleting lines in random order
# (deadlocks and serialisation failures are retried) while a fifth asks for
# analytics, then the rollups with the change log must equal a recomputation
# from raw rows, and every answer must equal raw SQL, before the merge and
# after (0.10.0). Then the merger: it drains the log by itself, a commit is in
# the very next answer of another session, and a merger killed with kill -9 or
# a postmaster stopped immediately in the middle of a batch loses nothing and
# counts nothing twice.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-rollups"; P=5489
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.02, 7, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
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
  FROM (SELECT * FROM retail.orders WHERE order_id < 'ffffffff-0000-0000-0000-000000000000' ORDER BY order_id DESC OFFSET :n LIMIT 1) o,
       (SELECT * FROM retail.products ORDER BY sku OFFSET :n % 400 LIMIT 1) p;
DELETE FROM retail.order_items
 WHERE order_item_id = (SELECT order_item_id FROM retail.order_items ORDER BY order_item_id DESC OFFSET :n LIMIT 1);
UPDATE retail.orders SET customer_id = (SELECT customer_id FROM retail.customers ORDER BY customer_id OFFSET :n % 1000 LIMIT 1)
 WHERE order_id = (SELECT order_id FROM retail.orders ORDER BY order_id OFFSET (:n * 7) % 3500 LIMIT 1);
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT s.store_id, ('ffffffff' || substr(gen_random_uuid()::text, 9))::uuid, c.customer_id, timestamptz '2024-03-01 12:00 America/Los_Angeles' + make_interval(days => :k), 'completed'
  FROM (SELECT store_id FROM retail.stores ORDER BY store_id OFFSET :k % 2 LIMIT 1) s,
       (SELECT customer_id FROM retail.customers ORDER BY customer_id OFFSET (:n * 3) % 1000 LIMIT 1) c;
DELETE FROM retail.orders
 WHERE order_id = (SELECT o.order_id FROM retail.orders o
                    WHERE o.order_date BETWEEN DATE '2024-03-02' AND DATE '2024-03-07'
                      AND o.order_id >= 'ffffffff-0000-0000-0000-000000000000'
                    ORDER BY o.order_id OFFSET :k LIMIT 1);
COMMIT;
SQL
cat > "${DIR}/reads.sql" <<'SQL'
SET zava.as_of_date = '2024-06-30';
SELECT zava.store_performance(NULL, 'this_quarter');
SELECT count(*) FROM zava.top_products(NULL, 'this_quarter', 10);
SELECT zava.customer_insights(NULL, 'this_quarter');
SQL
"${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U head_office -n -c 1 -t 150 -f "${DIR}/reads.sql" zava > "${DIR}/reads.log" 2>&1 &
readers=$!
"${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U postgres -n -c 4 -j 2 -t 150 --max-tries=20 \
    -f "${DIR}/writes.sql" zava > "${DIR}/pgbench.log" 2>&1
expect_eq "pgbench: 4 clients × 150 write transactions ran" "$?" "0"
wait "${readers}"
expect_eq "analytics calls ran beside the writers without an error" \
    "$(grep -c 'ERROR' "${DIR}/reads.log")" "0"
expect "and some ran" test "$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "${DIR}/reads.log")" -gt 0
processed="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "${DIR}/pgbench.log")"
expect_eq "all 600 transactions committed" "${processed}" "600"
expect_eq "rollups equal raw rows after concurrent writes" \
    "$(q "${P}" postgres zava -c "SELECT zava.verify_rollups()->>'differences'")" "0"

# Every analytics answer against raw SQL over the same rows: head office, Q2.
ANSWERS_SQL="SET zava.as_of_date = '2024-06-30';
WITH j AS (SELECT zava.store_performance(NULL, '2024-04-01..2024-06-30') j),
     r AS (SELECT count(DISTINCT o.order_id) AS orders, count(DISTINCT o.customer_id) AS customers,
                  (SELECT sum(l.line_total) FROM retail.order_items l JOIN retail.orders x USING (store_id, order_id)
                    WHERE x.status = 'completed' AND x.order_date BETWEEN '2024-04-01' AND '2024-06-30') AS revenue
             FROM retail.orders o WHERE o.status = 'completed' AND o.order_date BETWEEN '2024-04-01' AND '2024-06-30')
SELECT (j->'current'->>'orders')::bigint = r.orders AND (j->'current'->>'unique_customers')::bigint = r.customers
       AND (j->'current'->>'revenue')::numeric = coalesce(r.revenue, 0)
       AND (SELECT sum(revenue) FROM zava.category_breakdown(NULL, '2024-04-01..2024-06-30')) = coalesce(r.revenue, 0)
       AND (SELECT sum(orders) FROM zava.sales_trend(NULL, '2024-04-01', '2024-06-30', 'month')) = r.orders
  FROM j, r;"
backlog() { q "${P}" postgres zava -c "SELECT backlog_rows FROM zava.merge_status"; }
expect_eq "every answer equals raw SQL with the log as it is" "$(q "${P}" head_office zava -c "${ANSWERS_SQL}" | tail -1)" "t"
expect "the merger drained the log by itself" eventually 30 test "$(backlog)" = 0
expect_eq "after the merge: rollups equal raw rows" \
    "$(q "${P}" postgres zava -c "SELECT zava.verify_rollups()->>'differences'")" "0"
expect_eq "after the merge: every answer equals raw SQL" "$(q "${P}" head_office zava -c "${ANSWERS_SQL}" | tail -1)" "t"

# Read-your-writes across sessions: a commit is in the very next answer.
ORDERS_SQL="SELECT zava.store_performance(NULL, '2024-04-01..2024-06-30')->'current'->>'orders'"
before="$(q "${P}" head_office zava -c "${ORDERS_SQL}")"
q "${P}" postgres zava -c "INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
    SELECT (SELECT store_id FROM retail.stores ORDER BY store_id LIMIT 1), gen_random_uuid(),
           (SELECT customer_id FROM retail.customers ORDER BY customer_id LIMIT 1), timestamptz '2024-06-10 12:00 America/Los_Angeles', 'completed'"
expect_eq "an order committed by one session is in the next answer of another" \
    "$(q "${P}" head_office zava -c "${ORDERS_SQL}")" "$(( before + 1 ))"

# A merger killed mid-batch: a big backlog (every order's status twice, and
# back), the merger's pid once it is merging, kill -9 (the postmaster
# restarts every backend), then exact, and merged by hand.
big_backlog() {
    q "${P}" postgres zava -c "UPDATE retail.orders SET status = 'refunded' WHERE status = 'completed'" \
        -c "UPDATE retail.orders SET status = 'completed' WHERE status = 'refunded'"
}
merger_pid() { q "${P}" postgres postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'zava merger'"; }
big_backlog
pid=""; for _ in $(seq 100); do pid="$(merger_pid)"; [ -n "${pid}" ] && break; sleep 0.05; done
expect "a merger is running for the backlog" test -n "${pid}"
sleep 0.3; kill -9 "${pid}" 2>/dev/null
server_up() { q "${P}" postgres zava -c "SELECT 1" >/dev/null 2>&1; }
expect "the server is back after the merger's kill -9" eventually 30 server_up
expect_eq "after kill -9 of the merger: rollups with the log equal raw rows" \
    "$(q "${P}" postgres zava -c "SELECT zava.verify_rollups()->>'differences'")" "0"
expect_eq "after kill -9 of the merger: every answer equals raw SQL" "$(q "${P}" head_office zava -c "${ANSWERS_SQL}" | tail -1)" "t"

# The postmaster stopped immediately in the middle of a batch.
big_backlog
pid=""; for _ in $(seq 100); do pid="$(merger_pid)"; [ -n "${pid}" ] && break; sleep 0.05; done
sleep 0.3
"${PG_BIN}/pg_ctl" -D "${DIR}/data" -m immediate stop >/dev/null 2>&1
cluster_start "${DIR}"
left="$(backlog)"
expect_eq "after an immediate stop mid-merge: rollups with the log equal raw rows" \
    "$(q "${P}" postgres zava -c "SELECT zava.verify_rollups()->>'differences'")" "0"
expect_eq "after an immediate stop: every answer equals raw SQL with no merger running (${left} rows waiting)" \
    "$(q "${P}" head_office zava -c "${ANSWERS_SQL}" | tail -1)" "t"
expect_eq "zava.merge_now merges what was left" \
    "$(q "${P}" postgres zava -c "SELECT zava.merge_now() > 0" -c "SELECT backlog_rows FROM zava.merge_status")" "t
0"
expect_eq "after the merge by hand: rollups equal raw rows" \
    "$(q "${P}" postgres zava -c "SELECT zava.verify_rollups()->>'differences'")" "0"
