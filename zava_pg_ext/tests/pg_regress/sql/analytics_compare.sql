-- Year-over-year and the comparison periods (0.5.0): the comparison figures
-- of store_performance, category_breakdown and top_products equal plain SQL
-- over raw rows of the same dates a year earlier (RLS applies to both sides),
-- for head office, a regional manager and a store manager; the six analytics
-- names are Rust functions only; bad comparisons and out-of-range periods are
-- clear errors. The as-of date is pinned.
\set pin 'SET zava.as_of_date = ''2024-06-30'';'
\set raw_period 'SELECT coalesce(sum(l.line_total), 0) AS revenue, count(DISTINCT o.order_id) AS orders, count(DISTINCT o.customer_id) AS customers FROM retail.orders o LEFT JOIN retail.order_items l USING (store_id, order_id) WHERE o.status = ''completed'' AND o.order_date >= :''a'' AND o.order_date < :''b'''
\set check_yoy 'WITH j AS (SELECT zava.store_performance(NULL, :''per'', ''previous_year'') j), r AS (' :raw_period ') SELECT :''per'' AS period, j->>''compare_to'' AS compare_to, j->''previous_period''->>''label'' AS label, (j->''previous''->>''revenue'')::numeric = r.revenue AS revenue, (j->''previous''->>''orders'')::bigint = r.orders AS orders, (j->''previous''->>''unique_customers'')::bigint = r.customers AS customers, r.orders > 0 AS has_sales, j->''insights''->>0 LIKE ''Revenue % vs '' || (j->''previous_period''->>''label'') || '' (%'' AS insight_names_it FROM j, r;'
\set raw_cats 'SELECT c.category_name AS category, sum(l.line_total) AS revenue FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) JOIN retail.products p USING (product_id) JOIN retail.categories c USING (category_id) WHERE o.status = ''completed'' AND o.order_date >= :''a'' AND o.order_date < :''b'' GROUP BY 1'
\set check_cats 'WITH f AS (SELECT category, revenue, compare_revenue, change_pct FROM zava.category_breakdown(NULL, :''per'', ''previous_year'')), r AS (' :raw_cats ') SELECT count(*) AS categories, count(*) FILTER (WHERE f.compare_revenue IS DISTINCT FROM r.revenue) AS compare_differences, count(*) FILTER (WHERE f.change_pct IS DISTINCT FROM round(100 * (f.revenue - r.revenue) / r.revenue, 1)) AS change_differences, count(r.revenue) > 0 AS has_compared FROM f LEFT JOIN r USING (category);'
\set raw_top 'SELECT p.sku, sum(l.line_total) AS revenue, row_number() OVER (ORDER BY sum(l.line_total) DESC, p.sku) AS rank FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) JOIN retail.products p USING (product_id) WHERE o.status = ''completed'' AND o.order_date >= :''a'' AND o.order_date < :''b'' GROUP BY p.sku'
\set check_top 'WITH f AS (SELECT sku, revenue, compare_revenue, compare_rank, change_pct FROM zava.top_products(NULL, :''per'', 10, ''revenue'', ''previous_year'')), r AS (' :raw_top ') SELECT count(*) AS ranked, count(*) FILTER (WHERE f.compare_revenue IS DISTINCT FROM r.revenue OR f.compare_rank IS DISTINCT FROM r.rank) AS compare_differences, count(*) FILTER (WHERE f.change_pct IS DISTINCT FROM round(100 * (f.revenue - r.revenue) / r.revenue, 1)) AS change_differences, count(r.rank) > 0 AS has_compared FROM f LEFT JOIN r USING (sku);'
\c - head_office
:pin
\set per last_quarter
\set a 2023-01-01
\set b 2023-04-01
:check_yoy
:check_cats
:check_top
-- The default comparison stays the previous period (released behaviour).
SELECT j->>'compare_to' AS compare_to, j->'previous_period'->>'label' AS label, j->'previous_period'->>'start' AS start, j->'previous_period'->>'end' AS end_inclusive
  FROM zava.store_performance(NULL, 'last_quarter') j;
-- Without compare_to the comparison columns are NULL; with it they are filled.
SELECT count(*) AS categories, count(compare_revenue) AS compared FROM zava.category_breakdown(NULL, 'last_quarter');
SELECT count(*) AS ranked, count(compare_rank) AS compared FROM zava.top_products(NULL, 'last_quarter', 5);
\c - eastside_manager
:pin
\set per ytd
\set a 2023-01-01
\set b 2023-07-01
:check_yoy
:check_cats
:check_top
\c - seattle_manager
:pin
\set per last_year
\set a 2022-01-01
\set b 2023-01-01
:check_yoy
:check_cats
:check_top
-- Comparison periods: a quarter, a leap day (a year earlier is Feb 28), a rolling window.
SELECT * FROM zava.period_comparison('last_quarter', '2024-06-30', 'previous_year');
SELECT * FROM zava.period_comparison('2024-02-29..2024-02-29', '2024-06-30', 'previous_year');
SELECT * FROM zava.period_comparison('last_30_days', '2024-06-30');
SELECT * FROM zava.period_comparison('last_year', '2024-06-30', 'previous_year');
-- The six analytics names are Rust (C) functions only, invoker rights, STABLE,
-- PARALLEL RESTRICTED, with a pinned search_path; no overloads left behind.
\c - postgres
SELECT p.proname, count(*) AS functions, bool_and(l.lanname = 'c') AS rust, bool_and(p.provolatile = 's') AS stable,
       bool_and(p.proparallel = 'r') AS parallel_restricted, bool_and(NOT p.prosecdef) AS invoker,
       bool_and(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']) AS pinned_search_path
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace = 'zava'::regnamespace
   AND p.proname IN ('store_performance', 'sales_trend', 'top_products', 'category_breakdown', 'customer_insights', 'inventory_alerts')
 GROUP BY 1 ORDER BY 1;
-- Bad input: clear errors with SQLSTATEs.
\c - head_office
:pin
\set VERBOSITY terse
SELECT zava.store_performance(NULL, 'last_quarter', 'last_year');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.category_breakdown(NULL, 'last_quarter', 'previous_decade');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.top_products(NULL, 'last_quarter', 5, 'revenue', '');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.store_performance(NULL, '0000-01-01..9999-12-31');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.store_performance(NULL, '1900-01-01..1900-03-31');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.store_performance(NULL, '1900-01-01..1900-03-31', 'previous_year');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.store_performance(NULL, '2199-01-01..2199-12-31', 'previous_year')->'previous_period'->>'label' AS label;
SELECT * FROM zava.period_range('0000-01-01..9999-12-31', '2024-06-30');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.period_comparison('last_quarter', '2024-06-30', 'next_year');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.period_comparison('last_quarter', 'infinity', 'previous_year');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM zava.period_comparison(NULL, '2024-06-30');
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- The analytics plan their statements generically for the call only: the
-- caller's plan_cache_mode is back afterwards, after an error too.
SET plan_cache_mode = force_custom_plan;
SELECT count(*) > 0 AS answered FROM zava.top_products(NULL, 'last_quarter', 5, 'revenue', 'previous_year');
SHOW plan_cache_mode;
-- (a malformed as-of date fails inside the first statement the call runs)
BEGIN;
SAVEPOINT before_error;
SET LOCAL zava.as_of_date = 'not a date';
SELECT zava.store_performance(NULL, 'last_quarter');
ROLLBACK TO SAVEPOINT before_error;
SHOW plan_cache_mode;
COMMIT;
SET zava.as_of_date = 'not a date';
SELECT zava.customer_insights(NULL, 'last_quarter');
SHOW plan_cache_mode;
:pin
RESET plan_cache_mode;
SHOW plan_cache_mode;
-- Chain-wide product rollups (0.6.0). Head office's rankings read them: over
-- a period of partial months (days from the daily tables at both ends) the
-- ranking and store_performance's top five equal raw rows (the regional
-- manager below runs the same check on the per-store rollups).
\set raw_rank 'SELECT p.sku, sum(l.line_total) AS revenue, sum(l.quantity)::bigint AS units, row_number() OVER (ORDER BY sum(l.line_total) DESC, p.sku) AS rank FROM retail.orders o JOIN retail.order_items l USING (store_id, order_id) JOIN retail.products p USING (product_id) WHERE o.status = ''completed'' AND o.order_date >= DATE ''2024-04-17'' AND o.order_date < DATE ''2024-06-05'' GROUP BY p.sku'
\set check_rank 'WITH f AS (SELECT rank, sku, revenue, units FROM zava.top_products(NULL, ''2024-04-17..2024-06-04'', 25)), r AS (' :raw_rank '), s AS (SELECT t->>''sku'' AS sku, (t->>''revenue'')::numeric AS revenue, (t->>''units'')::bigint AS units, n AS rank FROM zava.store_performance(NULL, ''2024-04-17..2024-06-04'') j, jsonb_array_elements(j->''top_products'') WITH ORDINALITY x(t, n)) SELECT (SELECT count(*) FROM f) AS ranked, (SELECT count(*) FROM f LEFT JOIN r USING (sku) WHERE (f.rank, f.revenue, f.units) IS DISTINCT FROM (r.rank, r.revenue, r.units)) AS ranking_differences, (SELECT count(*) FROM s) AS top_five, (SELECT count(*) FROM s LEFT JOIN r USING (sku) WHERE (s.rank, s.revenue, s.units) IS DISTINCT FROM (r.rank, r.revenue, r.units)) AS top_five_differences;'
\c - head_office
:pin
SELECT zava.sees_every_store() AS sees_every_store, (SELECT count(*) > 0 FROM retail.daily_chain_product_sales) AS reads_daily_chain,
       (SELECT count(*) > 0 FROM retail.monthly_chain_product_sales) AS reads_monthly_chain;
:check_rank
\c - eastside_manager
:pin
:check_rank
-- Chain totals are head office's alone: a regional manager, a store manager
-- and a login without a principal read no chain rows, directly or through the
-- gate, and their rankings come from their own stores' rows.
SELECT zava.sees_every_store() AS sees_every_store, (SELECT count(*) FROM retail.daily_chain_product_sales) AS daily_chain_rows,
       (SELECT count(*) FROM retail.monthly_chain_product_sales) AS monthly_chain_rows,
       zava.safe_query('SELECT * FROM retail.monthly_chain_product_sales')->>'row_count' AS through_the_gate;
\c - seattle_manager
:pin
SELECT zava.sees_every_store() AS sees_every_store, (SELECT count(*) FROM retail.daily_chain_product_sales) AS daily_chain_rows,
       (SELECT count(*) FROM retail.monthly_chain_product_sales) AS monthly_chain_rows,
       zava.safe_query('SELECT sum(revenue) FROM retail.daily_chain_product_sales')->'rows' AS chain_sum_through_the_gate;
\c - visitor
SELECT zava.sees_every_store() AS sees_every_store, (SELECT count(*) FROM retail.daily_chain_product_sales) AS daily_chain_rows,
       (SELECT count(*) FROM retail.monthly_chain_product_sales) AS monthly_chain_rows;
-- NULL means the documented default (0.6.0), so a caller such as zava-mcp
-- keeps no copy of the defaults: the same answers as the defaults spelled out.
\c - head_office
:pin
SELECT zava.store_performance(NULL, NULL, NULL) = zava.store_performance(NULL, 'last_30_days', 'previous_period') AS store_performance,
       zava.customer_insights(NULL, NULL) = zava.customer_insights(NULL, 'last_30_days') AS customer_insights,
       (SELECT jsonb_agg(to_jsonb(t)) FROM zava.top_products(NULL, NULL, NULL, NULL, NULL) t)
     = (SELECT jsonb_agg(to_jsonb(t)) FROM zava.top_products(NULL, 'last_30_days', 10, 'revenue') t) AS top_products,
       (SELECT jsonb_agg(to_jsonb(t)) FROM zava.category_breakdown(NULL, NULL, NULL) t)
     = (SELECT jsonb_agg(to_jsonb(t)) FROM zava.category_breakdown(NULL, 'last_30_days') t) AS category_breakdown,
       (SELECT jsonb_agg(to_jsonb(t)) FROM zava.sales_trend(NULL, '2024-01-01', '2024-01-31', NULL) t)
     = (SELECT jsonb_agg(to_jsonb(t)) FROM zava.sales_trend(NULL, '2024-01-01', '2024-01-31', 'day') t) AS sales_trend,
       (SELECT count(*) FROM zava.inventory_alerts(NULL, NULL)) = (SELECT count(*) FROM zava.inventory_alerts(NULL, 14)) AS inventory_alerts,
       zava.safe_query('SELECT 1', NULL, NULL)->>'row_count' AS safe_query_rows;
-- The jsonb twins the MCP tools call answer the table functions' rows, in order.
SELECT (SELECT jsonb_agg(to_jsonb(t)) FROM zava.top_products(NULL, 'ytd', 5, 'margin', 'previous_year') t)
     = zava.top_products_json(NULL, 'ytd', 5, 'margin', 'previous_year')->'rows' AS top_products_json,
       (SELECT jsonb_agg(to_jsonb(t)) FROM zava.category_breakdown(NULL, 'ytd') t) = zava.category_breakdown_json(NULL, 'ytd')->'rows' AS category_breakdown_json,
       (SELECT jsonb_agg(to_jsonb(t)) FROM zava.sales_trend(NULL, '2024-01-01', '2024-03-31', 'week') t)
     = zava.sales_trend_json(NULL, '2024-01-01', '2024-03-31', 'week')->'rows' AS sales_trend_json,
       (SELECT coalesce(jsonb_agg(to_jsonb(t)), '[]') FROM zava.inventory_alerts(NULL, 30) t) = zava.inventory_alerts_json(NULL, 30)->'rows' AS inventory_alerts_json,
       jsonb_array_length(zava.top_products_json(NULL, '2030-01-01..2030-01-31')->'rows') AS rows_of_an_empty_period,
       zava.utc_now() ?& ARRAY['utc_date', 'utc_datetime'] AS utc_now;
-- Errors come through them unchanged; NULL SQL is still an error.
SELECT zava.top_products_json(NULL, 'ytd', 0);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.category_breakdown_json(NULL, 'yesterday');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.sales_trend_json(NULL, NULL, '2024-01-31');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.safe_query(NULL);
\echo :LAST_ERROR_SQLSTATE
\c - seattle_manager
:pin
SELECT zava.top_products_json(NULL, 'ytd', 3) = (SELECT jsonb_build_object('rows', jsonb_agg(to_jsonb(t))) FROM zava.top_products(NULL, 'ytd', 3) t) AS own_store_only,
       zava.store_performance(NULL, NULL)->>'stores' AS stores;
