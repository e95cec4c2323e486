-- Daily rollups stay equal to a plain-SQL computation over raw rows after
-- every kind of change (zava.verify_rollups compares them), and RLS applies.
SET client_min_messages = warning;
-- :verify checks the rollups with the unmerged change log, merges it
-- (zava.merge_now; the merger worker may have merged some already) and checks
-- the merged rollups alone.
\set verify 'SELECT v->>''ok'' AS exact, v->>''differences'' AS differences FROM zava.verify_rollups() v; SELECT zava.merge_now() >= 0 AS merged; SELECT v->>''ok'' AS exact_merged, v->>''differences'' AS differences FROM zava.verify_rollups() v;'
:verify
-- a checkout only appends to the log (0.10.0); before any merge, inside the
-- writer's own transaction (no merger can see its rows), every answer already
-- counts it, exactly
BEGIN;
SELECT count(*) AS log_rows_before FROM retail.sales_log;
CREATE TEMP TABLE before_checkout AS
SELECT zava.period_figures(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01') AS perf,
       (SELECT sum(revenue) FROM zava.store_sales_between(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01')) AS revenue;
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT (SELECT store_id FROM retail.stores ORDER BY store_id LIMIT 1), '00000000-0000-4000-8000-00000000c0de',
       (SELECT customer_id FROM retail.customers ORDER BY customer_id DESC LIMIT 1),
       timestamptz '2024-05-20 12:00 America/Los_Angeles', 'completed';
INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT o.store_id, gen_random_uuid(), o.order_id, p.product_id, 2, p.base_price, 2 * p.base_price, p.cost
  FROM retail.orders o CROSS JOIN LATERAL (SELECT * FROM retail.products ORDER BY sku LIMIT 3) p
 WHERE o.order_id = '00000000-0000-4000-8000-00000000c0de';
SELECT count(*) AS log_rows_after, sum(orders) AS orders, sum(units) AS units FROM retail.sales_log;
SELECT (b.perf->>'orders')::int + 1 = (zava.period_figures(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01')->>'orders')::int AS one_more_order,
       (SELECT sum(revenue) FROM zava.store_sales_between(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01')) - b.revenue
     = (SELECT sum(line_total) FROM retail.order_items WHERE order_id = '00000000-0000-4000-8000-00000000c0de') AS its_revenue,
       (SELECT zava.unique_customers_between(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01'))
     = (SELECT count(DISTINCT customer_id) FROM retail.orders
         WHERE status = 'completed' AND order_date >= DATE '2024-05-01' AND order_date < DATE '2024-06-01') AS customers_exact
  FROM before_checkout b;
SELECT v->>'ok' AS exact_before_merge, v->>'differences' AS differences FROM zava.verify_rollups() v;
-- the order cancelled before any merge: out of the answers (and of the customer sets) at once
UPDATE retail.orders SET status = 'cancelled' WHERE order_id = '00000000-0000-4000-8000-00000000c0de';
SELECT (b.perf->>'orders') = (zava.period_figures(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01')->>'orders') AS order_gone,
       (SELECT zava.unique_customers_between(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-05-01', DATE '2024-06-01'))
     = (SELECT count(DISTINCT customer_id) FROM retail.orders
         WHERE status = 'completed' AND order_date >= DATE '2024-05-01' AND order_date < DATE '2024-06-01') AS customers_exact
  FROM before_checkout b;
SELECT v->>'ok' AS exact_before_merge, v->>'differences' AS differences FROM zava.verify_rollups() v;
UPDATE retail.orders SET status = 'completed' WHERE order_id = '00000000-0000-4000-8000-00000000c0de';
COMMIT;
:verify
SELECT backlog_rows, merged_rows > 0 AS merged_some, batches > 0 AS batches_counted, last_merge IS NOT NULL AS merged_at
  FROM zava.merge_status;
-- the merger's batch must be positive
\set VERBOSITY terse
SELECT zava.merge_log(0);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.merge_log(NULL);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- status rules: only completed orders count
UPDATE retail.orders SET status = 'refunded' WHERE order_id IN (SELECT order_id FROM retail.orders WHERE status = 'completed' ORDER BY order_id LIMIT 40);
:verify
UPDATE retail.orders SET status = 'completed' WHERE status IN ('pending', 'cancelled');
:verify
-- moving orders to other business days (across a year boundary and onto a leap day)
UPDATE retail.orders SET ordered_at = timestamptz '2023-12-31 23:30 America/Los_Angeles' WHERE order_id IN (SELECT order_id FROM retail.orders ORDER BY order_id LIMIT 10);
UPDATE retail.orders SET ordered_at = ordered_at + interval '2 hours' WHERE order_date = DATE '2023-12-31';
UPDATE retail.orders SET ordered_at = timestamptz '2024-02-29 12:00 America/Los_Angeles' WHERE order_id IN (SELECT order_id FROM retail.orders ORDER BY order_id DESC LIMIT 5);
:verify
SELECT (SELECT sum(orders) FROM retail.daily_store_sales WHERE day = DATE '2024-02-29')
     = (SELECT count(*) FROM retail.orders WHERE order_date = DATE '2024-02-29' AND status = 'completed') AS leap_day_exact,
       (SELECT count(*) FROM retail.orders WHERE order_date = DATE '2024-02-29') >= 5 AS leap_day_has_orders;
-- changing, adding and removing lines
UPDATE retail.order_items SET quantity = quantity + 2, line_total = line_total + 2 * unit_price
 WHERE order_item_id IN (SELECT order_item_id FROM retail.order_items ORDER BY order_item_id LIMIT 200);
INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT o.store_id, gen_random_uuid(), o.order_id, p.product_id, 3, p.base_price, 3 * p.base_price, p.cost
  FROM (SELECT * FROM retail.orders ORDER BY order_id LIMIT 30) o
 CROSS JOIN LATERAL (SELECT * FROM retail.products ORDER BY sku LIMIT 1) p;
DELETE FROM retail.order_items WHERE order_item_id IN (SELECT order_item_id FROM retail.order_items ORDER BY order_item_id DESC LIMIT 100);
:verify
-- deleting orders: lines first, then the order; both at once is refused
DELETE FROM retail.order_items WHERE order_id IN (SELECT order_id FROM retail.orders ORDER BY order_id DESC LIMIT 15);
DELETE FROM retail.orders o WHERE NOT EXISTS (SELECT FROM retail.order_items i WHERE i.order_id = o.order_id);
:verify
\set VERBOSITY terse
WITH d AS (DELETE FROM retail.order_items WHERE order_id = (SELECT min(order_id::text)::uuid FROM retail.orders) RETURNING order_id)
DELETE FROM retail.orders WHERE order_id IN (SELECT order_id FROM d);
\echo :LAST_ERROR_SQLSTATE
DELETE FROM retail.orders WHERE order_id = (SELECT order_id FROM retail.order_items LIMIT 1);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
:verify
-- customer sets: reassigning orders to other customers recomputes the days they touch
UPDATE retail.orders SET customer_id = (SELECT customer_id FROM retail.customers ORDER BY customer_id LIMIT 1)
 WHERE order_id IN (SELECT order_id FROM retail.orders WHERE status = 'completed' ORDER BY order_id DESC LIMIT 25);
:verify
SELECT (SELECT zava.customer_set_union_count(array_agg(customer_set)) FROM retail.daily_store_customers
         WHERE day BETWEEN DATE '2024-01-01' AND DATE '2024-03-31')
     = (SELECT count(DISTINCT customer_id) FROM retail.orders
         WHERE status = 'completed' AND order_date BETWEEN DATE '2024-01-01' AND DATE '2024-03-31') AS customer_days_exact;
-- a new customer is numbered after every existing one; numbers never change
INSERT INTO retail.customers (customer_id, store_id, first_name, last_name, email)
SELECT gen_random_uuid(), store_id, 'New', 'Customer', 'new.customer@example.com' FROM retail.stores ORDER BY store_id LIMIT 1;
SELECT n.customer_no = (SELECT max(customer_no) FROM zava.customer_numbers WHERE customer_id <> c.customer_id) + 1 AS numbered_next
  FROM retail.customers c JOIN zava.customer_numbers n USING (customer_id) WHERE c.email = 'new.customer@example.com';
SELECT count(*) = (SELECT count(*) FROM retail.customers) AS every_customer_numbered FROM zava.customer_numbers;
\set VERBOSITY terse
UPDATE zava.customer_numbers SET customer_no = customer_no + 10000
 WHERE customer_id = (SELECT customer_id FROM retail.customers WHERE email = 'new.customer@example.com');
\echo :LAST_ERROR_SQLSTATE
UPDATE retail.customers SET last_name = 'Renamed' WHERE email = 'new.customer@example.com';
\echo :SQLSTATE
-- bad input: a number below 1, bytes that are not a set (truncated or trailing)
SELECT zava.customer_set('{1,0}');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.customer_set_union('\x00'::bytea, zava.customer_set('{1}'));
\echo :LAST_ERROR_SQLSTATE
SELECT zava.customer_set_union_count(ARRAY[zava.customer_set('{1}') || '\x00'::bytea]);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT zava.customer_set_union_count(ARRAY[zava.customer_set('{1,2,3}'), zava.customer_set('{3,4}'), NULL]) AS four,
       zava.customer_set_union_count(NULL) AS none,
       zava.customer_set_members(zava.customer_set_union(zava.customer_set('{5,2,2}'), zava.customer_set('{9}'))) AS members,
       zava.customer_set('{}') = zava.customer_set('{}'::int[]) AS empty_is_one_value;
-- a seeded random mix of inserts, updates and deletes of orders, then exact
SELECT setseed(0.4242);
DO $mix$
DECLARE
    i int;
    op int;
    target uuid;
BEGIN
    FOR i IN 1..150 LOOP
        op := floor(random() * 5);
        SELECT order_id INTO target FROM retail.orders ORDER BY order_id OFFSET floor(random() * 1500) LIMIT 1;
        IF op = 0 THEN
            INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
            SELECT (SELECT store_id FROM retail.stores ORDER BY store_id OFFSET floor(random() * 8) LIMIT 1), gen_random_uuid(),
                   (SELECT customer_id FROM retail.customers ORDER BY customer_id OFFSET floor(random() * 500) LIMIT 1),
                   timestamptz '2024-05-01 12:00 America/Los_Angeles' + make_interval(days => floor(random() * 20)::int),
                   (ARRAY['completed', 'completed', 'pending', 'refunded'])[1 + floor(random() * 4)::int];
        ELSIF op = 1 THEN
            UPDATE retail.orders SET status = (ARRAY['completed', 'cancelled', 'refunded', 'pending'])[1 + floor(random() * 4)::int]
             WHERE order_id = target;
        ELSIF op = 2 THEN
            UPDATE retail.orders SET customer_id = (SELECT customer_id FROM retail.customers ORDER BY customer_id OFFSET floor(random() * 500) LIMIT 1)
             WHERE order_id = target;
        ELSIF op = 3 THEN
            UPDATE retail.orders SET ordered_at = ordered_at + make_interval(days => floor(random() * 7)::int - 3)
             WHERE order_id = target;
        ELSE
            DELETE FROM retail.order_items WHERE order_id = target;
            DELETE FROM retail.orders WHERE order_id = target;
        END IF;
    END LOOP;
END
$mix$;
:verify
SELECT (v->>'customer_days')::int > 1000 AS customer_days_checked FROM zava.verify_rollups() v;
SELECT (v->>'month_rows')::int > 500 AS month_rows_checked FROM zava.verify_rollups() v;
SELECT (v->>'customer_sales_days')::int > 1000 AS customer_sales_days_checked FROM zava.verify_rollups() v;
-- orders and spend per customer equal raw rows after the mix (a period of partial months)
WITH f AS (SELECT customer_id, sum(orders) AS orders, sum(spend) AS spend FROM (
               SELECT customer_id, orders, spend FROM retail.daily_customer_sales WHERE day >= DATE '2024-04-17' AND day < DATE '2024-05-01'
               UNION ALL SELECT customer_id, orders, spend FROM retail.monthly_customer_sales WHERE month = DATE '2024-05-01') x
             GROUP BY 1 HAVING sum(orders) > 0),
     r AS (SELECT o.customer_id, count(*) AS orders, coalesce(sum(t.total), 0) AS spend FROM retail.orders o
             LEFT JOIN (SELECT order_id, sum(line_total) AS total FROM retail.order_items GROUP BY 1) t USING (order_id)
            WHERE o.status = 'completed' AND o.order_date >= DATE '2024-04-17' AND o.order_date < DATE '2024-06-01' GROUP BY 1)
SELECT count(*) AS customer_sales_differences FROM ((SELECT * FROM f EXCEPT SELECT * FROM r) UNION ALL (SELECT * FROM r EXCEPT SELECT * FROM f)) d;
-- an order moved to another customer moves its order and spend (and both customers' sets)
UPDATE retail.orders SET customer_id = (SELECT customer_id FROM retail.customers ORDER BY customer_id LIMIT 1)
 WHERE order_id = (SELECT order_id FROM retail.orders WHERE status = 'completed' ORDER BY order_id LIMIT 1 OFFSET 7);
:verify
-- monthly rows: the mix moved orders across the April/May boundary; whole
-- months read from them equal raw rows, and so does a period of partial months
SELECT (SELECT sum(revenue) FROM zava.store_sales_between(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-04-17', DATE '2024-06-05'))
     = (SELECT sum(l.line_total) FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id)
         WHERE o.status = 'completed' AND o.order_date >= DATE '2024-04-17' AND o.order_date < DATE '2024-06-05') AS partial_months_exact,
       (SELECT zava.unique_customers_between(ARRAY(SELECT store_id FROM retail.stores), DATE '2024-04-17', DATE '2024-06-05'))
     = (SELECT count(DISTINCT customer_id) FROM retail.orders
         WHERE status = 'completed' AND order_date >= DATE '2024-04-17' AND order_date < DATE '2024-06-05') AS partial_months_customers_exact;
-- how periods split into whole months and days
SELECT a, b, m.* FROM (VALUES (DATE '2024-02-10', DATE '2024-05-20'), ('2024-03-01', '2024-04-01'), ('2024-01-05', '2024-01-20'),
                              ('2024-01-31', '2024-03-01'), ('2024-02-01', '2024-02-29')) v(a, b), zava.period_months(a, b) m;
-- verify_rollups finds a wrong monthly row (and a wrong monthly set); rebuild_rollups mends them
UPDATE retail.monthly_product_sales SET units = units + 1
 WHERE (store_id, month, product_id) = (SELECT store_id, month, product_id FROM retail.monthly_product_sales ORDER BY 1, 2, 3 LIMIT 1);
UPDATE retail.monthly_store_customers SET customer_set = zava.customer_set('{1}')
 WHERE (store_id, month) = (SELECT store_id, month FROM retail.monthly_store_customers WHERE customers > 1 ORDER BY 1, 2 LIMIT 1);
UPDATE retail.monthly_customer_sales SET orders = orders + 1
 WHERE (store_id, month, customer_id) = (SELECT store_id, month, customer_id FROM retail.monthly_customer_sales ORDER BY 1, 2, 3 LIMIT 1);
UPDATE retail.daily_customer_sales SET spend = spend + 0.01
 WHERE (store_id, day, customer_id) = (SELECT store_id, day, customer_id FROM retail.daily_customer_sales ORDER BY 1, 2, 3 LIMIT 1);
SELECT v->>'differences' AS differences, (SELECT array_agg(DISTINCT d->'rollup'->>'monthly') FROM jsonb_array_elements(v->'first_differences') d) AS monthly
  FROM zava.verify_rollups() v;
SELECT zava.rebuild_rollups();
:verify
-- and wrong chain-wide rows, a day's and a month's (0.6.0)
UPDATE retail.daily_chain_product_sales SET revenue = revenue + 1
 WHERE (day, product_id) = (SELECT day, product_id FROM retail.daily_chain_product_sales ORDER BY 1, 2 LIMIT 1);
UPDATE retail.monthly_chain_product_sales SET units = units - 1
 WHERE (month, product_id) = (SELECT month, product_id FROM retail.monthly_chain_product_sales ORDER BY 1, 2 LIMIT 1);
SELECT v->>'differences' AS differences, (v->>'chain_product_days')::int > 1000 AS chain_days_checked,
       (SELECT array_agg(d->'rollup'->>'chain' ORDER BY d->'rollup'->>'chain') FROM jsonb_array_elements(v->'first_differences') d) AS chain
  FROM zava.verify_rollups() v;
SELECT zava.rebuild_rollups();
:verify
-- and wrong packed buyers, a day's and a month's (0.6.0): a customer's spend
-- changed, a customer added, an order taken away
UPDATE retail.daily_store_buyers SET buyers = zava.buyers_merge(buyers, zava.buyers(ARRAY[(SELECT customer_id FROM retail.customers ORDER BY 1 LIMIT 1)], ARRAY[1::bigint], ARRAY[1::bigint]))
 WHERE (store_id, day) = (SELECT store_id, day FROM retail.daily_store_buyers ORDER BY 1, 2 LIMIT 1);
UPDATE retail.monthly_store_buyers b SET buyers = zava.buyers_merge(buyers, zava.buyers(ARRAY[m.customer_id], ARRAY[-1::bigint], ARRAY[0::bigint]))
  FROM (SELECT b2.store_id, b2.month, x.customer_id FROM retail.monthly_store_buyers b2, zava.buyers_members(b2.buyers) x
         ORDER BY 1, 2, 3 LIMIT 1) m
 WHERE (b.store_id, b.month) = (m.store_id, m.month);
SELECT v->>'differences' AS differences, (v->>'buyers_days')::int > 1000 AS buyers_days_checked,
       (SELECT array_agg(d->'rollup'->>'buyers' ORDER BY d->'rollup'->>'buyers') FROM jsonb_array_elements(v->'first_differences') d) AS buyers
  FROM zava.verify_rollups() v;
SELECT zava.rebuild_rollups();
:verify
-- packed buyers: unpacked as given, added up per customer, bad input refused
SELECT * FROM zava.buyers_members(zava.buyers(ARRAY['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001',
                                                    '00000000-0000-4000-8000-000000000002']::uuid[],
                                              ARRAY[1, 1, 1]::bigint[], ARRAY[1050, 99, 5]::bigint[]));
SELECT zava.buyers(ARRAY[gen_random_uuid()], ARRAY[1, 2]::bigint[], ARRAY[1]::bigint[]);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.buyers_merge('\x01'::bytea, '\x0102'::bytea);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.buyers_members('\x02'::bytea);
\echo :LAST_ERROR_SQLSTATE
-- a store with no sales has no rollup rows, not wrong ones
SELECT count(*) AS rows_for_a_store_without_sales FROM retail.daily_store_sales
 WHERE store_id NOT IN (SELECT DISTINCT store_id FROM retail.orders WHERE status = 'completed');
-- TRUNCATE rebuilds
TRUNCATE retail.order_items;
:verify
SELECT count(*) > 0 AS order_counts_kept, sum(revenue) AS revenue_left FROM retail.daily_store_sales;
-- RLS on the rollups: a store manager sees its store's days only
\c - seattle_manager
SELECT count(DISTINCT store_id) AS stores FROM retail.daily_store_sales;
SELECT count(*) AS category_rows FROM retail.daily_category_sales WHERE store_id <> (SELECT store_id FROM retail.stores WHERE city = 'Seattle');
-- the customer sets are not readable by tenants at all (0.9.0: their members are customer numbers)
SELECT count(DISTINCT store_id) AS customer_set_stores FROM retail.daily_store_customers;
\echo :LAST_ERROR_SQLSTATE
SELECT count(DISTINCT store_id) AS customer_sales_stores, (SELECT count(DISTINCT store_id) FROM retail.monthly_customer_sales) AS monthly_customer_sales_stores
  FROM retail.daily_customer_sales;
SELECT count(DISTINCT store_id) AS buyers_stores, (SELECT count(DISTINCT store_id) FROM retail.monthly_store_buyers) AS monthly_buyers_stores
  FROM retail.daily_store_buyers;
SELECT zava.verify_rollups();
\echo :LAST_ERROR_SQLSTATE
-- the change log: its own store's rows, never its size, its merger or its heap
INSERT INTO retail.sales_log (store_id, day, customer_id, orders, units, revenue, gross, discounts, cost)
VALUES ((SELECT store_id FROM retail.stores WHERE city = 'Seattle'), DATE '2024-05-01', gen_random_uuid(), 1000, 0, 0, 0, 0, 0);
\echo :LAST_ERROR_SQLSTATE
SELECT ctid FROM retail.sales_log LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.merge_status;
\echo :LAST_ERROR_SQLSTATE
SELECT zava.merge_now();
\echo :LAST_ERROR_SQLSTATE
SELECT zava.merge_wanted();
\echo :LAST_ERROR_SQLSTATE
\c - visitor
SELECT count(*) AS visible_to_nobody FROM retail.daily_store_sales;
SELECT count(*) AS buyers_visible_to_nobody FROM retail.monthly_store_buyers;
SELECT count(*) AS customer_sets_visible_to_nobody FROM retail.daily_store_customers;
\echo :LAST_ERROR_SQLSTATE
