-- Daily rollups stay equal to a plain-SQL computation over raw rows after
-- every kind of change (zava.verify_rollups compares them), and RLS applies.
SET client_min_messages = warning;
\set verify 'SELECT v->>''ok'' AS exact, v->>''differences'' AS differences FROM zava.verify_rollups() v;'
:verify
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
SELECT zava.verify_rollups();
\echo :LAST_ERROR_SQLSTATE
\c - visitor
SELECT count(*) AS visible_to_nobody FROM retail.daily_store_sales;
