-- Usability must not regress: SQL an assistant typically writes for
-- execute_sales_query, run through zava.safe_query as a store manager. Every
-- query here must keep running after each hardening step of the gate; a change
-- that refuses one of them must change this file on purpose.
CREATE FUNCTION public.runs(q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    r := zava.safe_query(q, 1000, 20000);
    RETURN format('ok rows=%s', r->>'row_count');
EXCEPTION WHEN others THEN RETURN 'REFUSED ' || SQLSTATE || ' ' || SQLERRM;
END
$$;
\c - seattle_manager
SET client_min_messages = warning;
SELECT n, runs(q) FROM (VALUES
 (1, $$SELECT date_trunc('month', order_date) AS month, count(*) FROM retail.orders GROUP BY 1 ORDER BY 1$$),
 (2, $$SELECT to_char(order_date, 'YYYY-MM') AS month, sum(line_total) FROM retail.orders o JOIN retail.order_items i USING (store_id, order_id) GROUP BY 1 ORDER BY 1$$),
 (3, $$SELECT extract(dow FROM ordered_at) AS weekday, count(*) FROM retail.orders GROUP BY 1 ORDER BY 1$$),
 (4, $$SELECT EXTRACT(YEAR FROM order_date)::int AS y, EXTRACT(QUARTER FROM order_date)::int AS q, count(*) FROM retail.orders GROUP BY 1, 2 ORDER BY 1, 2$$),
 (5, $$SELECT product_id, sum(line_total) AS revenue, rank() OVER (ORDER BY sum(line_total) DESC) FROM retail.order_items GROUP BY product_id ORDER BY 3 LIMIT 10$$),
 (6, $$SELECT order_date, sum(count(*)) OVER (ORDER BY order_date ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS rolling_7d FROM retail.orders GROUP BY order_date ORDER BY 1$$),
 (7, $$SELECT customer_id, ordered_at, lag(ordered_at) OVER (PARTITION BY customer_id ORDER BY ordered_at) AS previous FROM retail.orders LIMIT 50$$),
 (8, $$WITH monthly AS (SELECT date_trunc('month', order_date) m, count(*) n FROM retail.orders GROUP BY 1) SELECT m, n, n - lag(n) OVER (ORDER BY m) AS change FROM monthly ORDER BY m$$),
 (9, $$WITH top AS (SELECT product_id, sum(quantity) q FROM retail.order_items GROUP BY 1 ORDER BY 2 DESC LIMIT 5) SELECT p.product_name, t.q FROM top t JOIN retail.products p USING (product_id)$$),
 (10, $$SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY line_total) AS median, percentile_disc(0.9) WITHIN GROUP (ORDER BY line_total) AS p90 FROM retail.order_items$$),
 (11, $$SELECT count(*) FILTER (WHERE status = 'completed') AS completed, count(*) FILTER (WHERE status = 'cancelled') AS cancelled FROM retail.orders$$),
 (12, $$SELECT DISTINCT ON (customer_id) customer_id, order_id, ordered_at FROM retail.orders ORDER BY customer_id, ordered_at DESC$$),
 (13, $$SELECT json_build_object('store', s.store_name, 'orders', count(*)) FROM retail.orders o JOIN retail.stores s USING (store_id) GROUP BY s.store_name$$),
 (14, $$SELECT c.category_name, array_agg(p.sku ORDER BY p.sku) FROM retail.products p JOIN retail.categories c USING (category_id) GROUP BY 1$$),
 (15, $$SELECT d::date AS day, count(o.order_id) FROM generate_series(DATE '2024-06-01', DATE '2024-06-30', interval '1 day') d LEFT JOIN retail.orders o ON o.order_date = d::date GROUP BY 1 ORDER BY 1$$),
 (16, $$SELECT product_name, base_price FROM retail.products WHERE product_name ILIKE '%paint%' ORDER BY 2 DESC$$),
 (17, $$SELECT count(*) FROM retail.orders;$$),
 (18, $$-- orders per status
SELECT status, count(*) FROM retail.orders GROUP BY status$$),
 (19, $$/* revenue by category */ SELECT c.category_name, round(sum(i.line_total), 2) AS revenue FROM retail.order_items i JOIN retail.products p USING (product_id) JOIN retail.categories c USING (category_id) GROUP BY 1 ORDER BY 2 DESC$$),
 (20, $$SELECT round(avg(line_total)::numeric, 2), min(line_total), max(line_total), stddev(line_total) FROM retail.order_items$$),
 (21, $$SELECT CASE WHEN base_price < 20 THEN 'budget' WHEN base_price < 100 THEN 'mid' ELSE 'premium' END AS tier, count(*) FROM retail.products GROUP BY 1 ORDER BY 1$$),
 (22, $$SELECT coalesce(c.email, 'none'), nullif(c.phone, '') FROM retail.customers c ORDER BY c.last_name, c.first_name LIMIT 20$$),
 (23, $$SELECT c.first_name || ' ' || c.last_name AS customer, count(o.order_id) AS orders FROM retail.customers c LEFT JOIN retail.orders o USING (customer_id) GROUP BY 1 HAVING count(o.order_id) > 1 ORDER BY 2 DESC, 1 LIMIT 10$$),
 (24, $$SELECT p.sku, i.stock_level, i.reorder_point FROM retail.inventory i JOIN retail.products p USING (product_id) WHERE i.stock_level < i.reorder_point ORDER BY 2$$),
 (25, $$SELECT * FROM retail.orders WHERE order_date BETWEEN '2024-01-01' AND '2024-03-31' AND status IN ('completed', 'pending') ORDER BY ordered_at LIMIT 25$$),
 (26, $$SELECT o.order_id FROM retail.orders o WHERE EXISTS (SELECT 1 FROM retail.order_items i WHERE i.order_id = o.order_id AND i.quantity > 3)$$),
 (27, $$SELECT product_id FROM retail.order_items WHERE line_total > (SELECT avg(line_total) FROM retail.order_items) GROUP BY 1$$),
 (28, $$SELECT ntile(4) OVER (ORDER BY base_price) AS quartile, sku, base_price FROM retail.products$$),
 (29, $$SELECT age(DATE '2024-06-30', opened_on) AS open_for, store_name FROM retail.stores$$),
 (30, $$SELECT date_part('hour', ordered_at AT TIME ZONE 'America/Los_Angeles') AS hour, count(*) FROM retail.orders GROUP BY 1 ORDER BY 1$$),
 (31, $$SELECT upper(left(product_name, 1)) AS initial, count(*), string_agg(sku, ', ' ORDER BY sku) FROM retail.products GROUP BY 1 ORDER BY 1$$),
 (32, $$SELECT s.store_name, sum(i.quantity * i.unit_price) AS gross, sum(i.line_total) AS net, sum(i.line_total - i.quantity * i.unit_cost) AS margin FROM retail.order_items i JOIN retail.stores s USING (store_id) GROUP BY 1$$),
 (33, $$SELECT jsonb_build_object('sku', sku, 'price', base_price) FROM retail.products ORDER BY sku LIMIT 3$$),
 (34, $$SELECT order_date, count(*) AS orders FROM retail.orders WHERE order_date >= DATE '2024-06-30' - 30 GROUP BY 1 ORDER BY 1$$),
 (35, $$SELECT split_part(email, '@', 2) AS domain, count(*) FROM retail.customers GROUP BY 1 ORDER BY 2 DESC$$),
 (36, $$SELECT p.product_name, COUNT(DISTINCT o.customer_id) AS buyers FROM retail.order_items i JOIN retail.orders o USING (store_id, order_id) JOIN retail.products p USING (product_id) GROUP BY 1 ORDER BY 2 DESC LIMIT 10$$),
 (37, $$SELECT now() > TIMESTAMPTZ '2020-01-01' AS after_2020, current_date > DATE '2020-01-01' AS today_ok$$),
 (38, $$SELECT regexp_replace(sku, '-', '', 'g'), replace(product_name, ' ', '_'), format('%s (%s)', product_name, sku) FROM retail.products LIMIT 5$$)
) AS t(n, q) ORDER BY n;
\c - postgres
DROP FUNCTION public.runs(text);
