-- Every analytics figure equals a plain-SQL computation over raw rows (RLS
-- applies to both sides), for head office, a regional manager and a store
-- manager; plus edge cases and bad input. The as-of date is pinned.
\set pin 'SET zava.as_of_date = ''2024-06-30'';'
\set raw_period 'SELECT coalesce(sum(l.line_total), 0) AS revenue, count(DISTINCT o.order_id) AS orders, coalesce(sum(l.quantity), 0) AS units, count(DISTINCT o.customer_id) AS customers, coalesce(sum(l.quantity * l.unit_cost), 0) AS cost, coalesce(sum(l.discount_amount), 0) AS discounts FROM retail.orders o LEFT JOIN retail.order_items l USING (store_id, order_id) WHERE o.status = ''completed'' AND o.order_date >= :''a'' AND o.order_date < :''b'''
\set check_perf 'WITH j AS (SELECT zava.store_performance(NULL, :''per'') j), r AS (' :raw_period ') SELECT :''per'' AS period, (j->''current''->>''revenue'')::numeric = r.revenue AS revenue, (j->''current''->>''orders'')::bigint = r.orders AS orders, (j->''current''->>''units'')::bigint = r.units AS units, (j->''current''->>''unique_customers'')::bigint = r.customers AS customers, (j->''current''->>''cost'')::numeric = r.cost AS cost, (j->''current''->>''discounts'')::numeric = r.discounts AS discounts, r.orders > 0 AS has_sales FROM j, r;'
\set check_prev 'WITH j AS (SELECT zava.store_performance(NULL, :''per'') j), r AS (' :raw_period ') SELECT :''per'' AS previous_of, (j->''previous''->>''revenue'')::numeric = r.revenue AS revenue, (j->''previous''->>''orders'')::bigint = r.orders AS orders, (j->''previous''->>''unique_customers'')::bigint = r.customers AS customers FROM j, r;'
\set check_trend 'WITH f AS (SELECT bucket, revenue, orders, units FROM zava.sales_trend(NULL, ''2023-11-20'', ''2024-02-10'', ''week'') WHERE orders > 0), r AS (SELECT date_trunc(''week'', o.order_date)::date AS bucket, sum(l.line_total) AS revenue, count(DISTINCT o.order_id) AS orders, sum(l.quantity) AS units FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) WHERE o.status = ''completed'' AND o.order_date BETWEEN ''2023-11-20'' AND ''2024-02-10'' GROUP BY 1) SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT SELECT * FROM r) x) + (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM f) y) AS trend_differences, (SELECT count(*) FROM f) > 0 AS has_weeks;'
\set check_cats 'WITH f AS (SELECT category, revenue, units FROM zava.category_breakdown(NULL, ''last_quarter'')), r AS (SELECT c.category_name, sum(l.line_total), sum(l.quantity)::bigint FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) JOIN retail.products p USING (product_id) JOIN retail.categories c USING (category_id) WHERE o.status = ''completed'' AND o.order_date >= ''2024-01-01'' AND o.order_date < ''2024-04-01'' GROUP BY 1) SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT SELECT * FROM r) x) + (SELECT count(*) FROM (SELECT * FROM r EXCEPT SELECT * FROM f) y) AS category_differences, (SELECT round(sum(share_pct)) FROM zava.category_breakdown(NULL, ''last_quarter'')) AS shares_sum;'
\set check_top 'WITH f AS (SELECT rank, sku, revenue FROM zava.top_products(NULL, ''ytd'', 10, ''revenue'')), r AS (SELECT row_number() OVER (ORDER BY sum(l.line_total) DESC, p.sku) AS rank, p.sku, sum(l.line_total) AS revenue FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) JOIN retail.products p USING (product_id) WHERE o.status = ''completed'' AND o.order_date >= ''2024-01-01'' AND o.order_date <= ''2024-06-30'' GROUP BY p.sku ORDER BY 1 LIMIT 10) SELECT (SELECT count(*) FROM (SELECT * FROM f EXCEPT SELECT * FROM r) x) AS top_product_differences, (SELECT count(*) FROM f) AS ranked;'
\set check_customers 'WITH j AS (SELECT zava.customer_insights(NULL, ''ytd'') j), b AS (SELECT o.customer_id, count(*) AS n FROM retail.orders o WHERE o.status = ''completed'' AND o.order_date BETWEEN ''2024-01-01'' AND ''2024-06-30'' GROUP BY 1), f AS (SELECT customer_id, min(order_date) AS first_day FROM retail.orders WHERE status = ''completed'' GROUP BY 1) SELECT (j->>''customers'')::int = (SELECT count(*) FROM b) AS customers, (j->>''new_customers'')::int = (SELECT count(*) FROM b JOIN f USING (customer_id) WHERE f.first_day >= ''2024-01-01'') AS new_customers, (j->>''repeat_customers'')::int = (SELECT count(*) FROM b WHERE n >= 2) AS repeat_customers, (j->>''customers'')::int > 0 AS has_customers FROM j;'
\set check_top_customers 'WITH j AS (SELECT zava.customer_insights(NULL, ''ytd'') j), t AS (SELECT (x->>''customer_id'')::uuid AS id, (x->>''orders'')::bigint AS orders, (x->>''spend'')::numeric AS spend FROM j, jsonb_array_elements(j->''top_customers'') x), r AS (SELECT o.customer_id AS id, count(*) AS orders, coalesce(sum(s.total), 0) AS spend FROM retail.orders o LEFT JOIN (SELECT store_id, order_id, sum(line_total) AS total FROM retail.order_items GROUP BY 1, 2) s USING (store_id, order_id) WHERE o.status = ''completed'' AND o.order_date BETWEEN ''2024-01-01'' AND ''2024-06-30'' GROUP BY 1 ORDER BY 3 DESC, 1 LIMIT 5) SELECT (SELECT count(*) FROM t) AS top_customers, (SELECT count(*) FROM (SELECT * FROM t EXCEPT SELECT * FROM r) x) AS top_customer_differences;'
\c - head_office
:pin
\set per last_30_days
\set a 2024-06-01
\set b 2024-07-01
:check_perf
\set a 2024-05-02
\set b 2024-06-01
:check_prev
\set per last_quarter
\set a 2024-01-01
\set b 2024-04-01
:check_perf
:check_trend
:check_cats
:check_top
:check_customers
:check_top_customers
\c - eastside_manager
:pin
\set per ytd
\set a 2024-01-01
\set b 2024-07-01
:check_perf
:check_trend
:check_cats
:check_top
:check_customers
:check_top_customers
SELECT zava.store_performance(NULL, 'ytd')->>'stores' AS stores;
\c - seattle_manager
:pin
\set per last_year
\set a 2023-01-01
\set b 2024-01-01
:check_perf
\set a 2022-01-01
\set b 2023-01-01
:check_prev
:check_trend
:check_cats
:check_top
:check_customers
:check_top_customers
-- A store manager asking about another store is refused, not answered empty.
SELECT zava.store_performance('5a0a0000-0000-4000-8000-000000000003');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM zava.sales_trend('5a0a0000-0000-4000-8000-000000000008', '2024-01-01', '2024-01-31');
\echo :LAST_ERROR_SQLSTATE
-- Periods: a leap day, a range across a year boundary, an empty future period.
SELECT p.start_date, p.end_date, p.days, p.previous_start FROM zava.period_range('2024-02-29..2024-02-29', '2024-06-30') p;
SELECT p.start_date, p.end_date, p.days FROM zava.period_range('[2023-12-15,2024-01-15)', '2024-06-30') p;
SELECT j->'current'->>'orders' AS orders, j->'current'->>'revenue' AS revenue, j->'insights' AS insights
  FROM zava.store_performance(NULL, '2030-01-01..2030-01-31') j;
SELECT count(*) AS weeks, sum(orders) AS orders FROM zava.sales_trend(NULL, '2029-12-25', '2030-01-14', 'week');
-- Bad input: clear errors with SQLSTATEs.
\set VERBOSITY terse
SELECT zava.store_performance(NULL, 'yesterday');
\echo :LAST_ERROR_SQLSTATE
-- Dates are digits only (a sign was once read as part of a month: found by proptest).
SELECT zava.store_performance(NULL, '2024-+1-01..2024-03-31');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.sales_trend(NULL, '2024-02-01', '2024-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.sales_trend(NULL, '2024-01-01', '2024-02-01', 'hour');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.top_products(NULL, 'ytd', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.top_products(NULL, 'ytd', 5, 'profit');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.inventory_alerts(NULL, 0);
\echo :LAST_ERROR_SQLSTATE
SET zava.as_of_date = 'not a date';
SELECT zava.store_performance();
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- Inventory alerts: each row's days of cover is stock / (units sold in 28 days / 28), under the threshold.
\c - head_office
:pin
SELECT count(*) > 0 AS has_alerts, bool_and(days_of_cover < 365) AS under_threshold,
       bool_and(days_of_cover = round(stock_level / (units_sold_28d / 28.0), 1)) AS cover_is_stock_over_velocity,
       bool_and(units_sold_28d = (SELECT sum(l.quantity) FROM retail.order_items l JOIN retail.orders o USING (store_id, order_id)
                                   JOIN retail.products p USING (product_id) JOIN retail.stores s USING (store_id)
                                  WHERE o.status = 'completed' AND o.order_date > '2024-06-02' AND o.order_date <= '2024-06-30'
                                    AND p.sku = a.sku AND s.store_name = a.store_name)) AS velocity_from_raw_rows
  FROM zava.inventory_alerts(NULL, 365) a;
-- No identity: nothing to analyse.
\c - visitor
:pin
SELECT j->'current'->>'orders' AS orders, j->>'stores' AS stores FROM zava.store_performance() j;
