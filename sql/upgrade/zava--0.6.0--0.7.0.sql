-- zava 0.6.0 → 0.7.0: the MCP surface. The definitions are exactly what a
-- fresh 0.7.0 install generates (tests/e2e/upgrade.sh compares the two
-- catalogs); no table changes.
--
-- * zava.explain_query(sql): the plan of a gated SELECT without running it
--   (zava-mcp's explain_sales_query), costs and row estimates for head office
--   only.
-- * zava.visible_stores(): the caller's stores by name (zava-mcp's prompt
--   argument completion).
-- * zava.verify_rollups() sums each customer's month once for both the
--   monthly customer rollup and the monthly packs (same answers).

CREATE  FUNCTION "explain_query"(
	"sql" TEXT /* Option < & str > */
) RETURNS jsonb /* pgrx :: JsonB */
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, retail, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'explain_query_wrapper';

-- The stores the caller may see, by name (0.7.0): zava-mcp completes prompt
-- arguments with them and turns a chosen name into its id.
-- retail.stores is reference data every principal reads; this lists only the
-- caller's own stores.
CREATE FUNCTION zava.visible_stores() RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('stores', coalesce(jsonb_agg(jsonb_build_object('store_id', s.store_id,
                                                                              'store_name', s.store_name)
                                                           ORDER BY s.store_name), '[]'))
      FROM retail.stores s
     WHERE s.store_id = ANY (zava.current_store_ids())
$$;

CREATE OR REPLACE FUNCTION zava.verify_rollups() RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH raw AS (SELECT * FROM zava.rollups_from_raw_rows()),
    raw_store AS (
        SELECT store_id, day, sum(orders) AS orders, sum(units) AS units, sum(revenue) AS revenue,
               sum(gross) AS gross, sum(discounts) AS discounts, sum(cost) AS cost
          FROM raw GROUP BY 1, 2),
    raw_cat AS (
        SELECT store_id, day, category_id, sum(units) AS units, sum(revenue) AS revenue, sum(gross) AS gross,
               sum(discounts) AS discounts, sum(cost) AS cost
          FROM raw WHERE category_id IS NOT NULL GROUP BY 1, 2, 3),
    raw_product AS (SELECT * FROM raw WHERE product_id IS NOT NULL),
    store_diff AS (
        SELECT coalesce(r.store_id, t.store_id) AS store_id, coalesce(r.day, t.day) AS day, NULL::uuid AS category_id,
               to_jsonb(t) - 'store_id' - 'day' AS rollup, to_jsonb(r) - 'store_id' - 'day' AS raw
          FROM raw_store r
          FULL JOIN (SELECT * FROM retail.daily_store_sales
                      WHERE (orders, units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day
         WHERE (t.orders, t.units, t.revenue, t.gross, t.discounts, t.cost)
               IS DISTINCT FROM (r.orders, r.units, r.revenue, r.gross, r.discounts, r.cost)),
    cat_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), coalesce(r.category_id, t.category_id),
               to_jsonb(t) - 'store_id' - 'day' - 'category_id', to_jsonb(r) - 'store_id' - 'day' - 'category_id'
          FROM raw_cat r
          FULL JOIN (SELECT * FROM retail.daily_category_sales
                      WHERE (units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day AND t.category_id = r.category_id
         WHERE (t.units, t.revenue, t.gross, t.discounts, t.cost)
               IS DISTINCT FROM (r.units, r.revenue, r.gross, r.discounts, r.cost)),
    product_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), coalesce(r.product_id, t.product_id),
               to_jsonb(t) - 'store_id' - 'day' - 'product_id',
               jsonb_build_object('units', r.units, 'revenue', r.revenue, 'cost', r.cost)
          FROM raw_product r
          FULL JOIN (SELECT * FROM retail.daily_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day AND t.product_id = r.product_id
         WHERE (t.units, t.revenue, t.cost) IS DISTINCT FROM (r.units, r.revenue, r.cost)),
    raw_customers AS (SELECT * FROM zava.customer_sets_from_raw_rows()),
    customer_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), NULL::uuid,
               jsonb_build_object('customers', t.customers, 'members', zava.customer_set_members(t.customer_set)),
               jsonb_build_object('customers', r.customers, 'members', zava.customer_set_members(r.customer_set))
          FROM raw_customers r
          FULL JOIN (SELECT * FROM retail.daily_store_customers WHERE customers <> 0 OR customer_set <> zava.customer_set('{}')) t
            ON t.store_id = r.store_id AND t.day = r.day
         WHERE (t.customers, t.customer_set) IS DISTINCT FROM (r.customers, r.customer_set)),
    raw_customer_sales AS (SELECT * FROM zava.customer_sales_from_raw_rows()),
    -- Each customer's month per store, once for both the monthly customer
    -- rollup and the monthly packs (0.7.0).
    raw_customer_months AS (
        SELECT store_id, date_trunc('month', day)::date AS month, customer_id, sum(orders) AS orders, sum(spend) AS spend
          FROM raw_customer_sales GROUP BY 1, 2, 3),
    customer_sales_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), coalesce(r.customer_id, t.customer_id),
               jsonb_build_object('orders', t.orders, 'spend', t.spend), jsonb_build_object('orders', r.orders, 'spend', r.spend)
          FROM raw_customer_sales r
          FULL JOIN (SELECT * FROM retail.daily_customer_sales WHERE (orders, spend) <> (0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day AND t.customer_id = r.customer_id
         WHERE (t.orders, t.spend) IS DISTINCT FROM (r.orders, r.spend)),
    -- The monthly rollups: each month's rows against the raw rows of its days
    -- (figures as jsonb, compared by value; sets by their bytes, which are
    -- equal exactly when the sets are).
    raw_months AS (
        SELECT 'store' AS rollup, store_id, date_trunc('month', day)::date AS month, NULL::uuid AS key,
               jsonb_build_object('orders', sum(orders), 'units', sum(units), 'revenue', sum(revenue), 'gross', sum(gross),
                                  'discounts', sum(discounts), 'cost', sum(cost)) AS v
          FROM raw GROUP BY 2, 3
        UNION ALL
        SELECT 'category', store_id, date_trunc('month', day)::date, category_id,
               jsonb_build_object('units', sum(units), 'revenue', sum(revenue), 'gross', sum(gross),
                                  'discounts', sum(discounts), 'cost', sum(cost))
          FROM raw WHERE category_id IS NOT NULL GROUP BY 2, 3, 4
        UNION ALL
        SELECT 'product', store_id, date_trunc('month', day)::date, product_id,
               jsonb_build_object('units', sum(units), 'revenue', sum(revenue), 'cost', sum(cost))
          FROM raw WHERE product_id IS NOT NULL GROUP BY 2, 3, 4
        UNION ALL
        SELECT 'customers', store_id, date_trunc('month', day)::date, NULL::uuid,
               jsonb_build_object('customers', zava.customer_set_union_count(array_agg(customer_set)),
                                  'set_md5', md5(zava.customer_set_union_all(array_agg(customer_set))))
          FROM raw_customers GROUP BY 2, 3
        UNION ALL
        SELECT 'customer', store_id, month, customer_id, jsonb_build_object('orders', orders, 'spend', spend)
          FROM raw_customer_months),
    rollup_months AS (
        SELECT 'store' AS rollup, store_id, month, NULL::uuid AS key,
               jsonb_build_object('orders', orders, 'units', units, 'revenue', revenue, 'gross', gross,
                                  'discounts', discounts, 'cost', cost) AS v
          FROM retail.monthly_store_sales WHERE (orders, units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0, 0)
        UNION ALL
        SELECT 'category', store_id, month, category_id,
               jsonb_build_object('units', units, 'revenue', revenue, 'gross', gross, 'discounts', discounts, 'cost', cost)
          FROM retail.monthly_category_sales WHERE (units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0)
        UNION ALL
        SELECT 'product', store_id, month, product_id, jsonb_build_object('units', units, 'revenue', revenue, 'cost', cost)
          FROM retail.monthly_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)
        UNION ALL
        SELECT 'customers', store_id, month, NULL::uuid,
               jsonb_build_object('customers', customers, 'set_md5', md5(customer_set))
          FROM retail.monthly_store_customers WHERE customers <> 0 OR customer_set <> zava.customer_set('{}')
        UNION ALL
        SELECT 'customer', store_id, month, customer_id, jsonb_build_object('orders', orders, 'spend', spend)
          FROM retail.monthly_customer_sales WHERE (orders, spend) <> (0, 0)),
    month_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.month, t.month), coalesce(r.key, t.key),
               jsonb_build_object('monthly', coalesce(r.rollup, t.rollup)) || coalesce(t.v, 'null'), r.v
          FROM raw_months r
          FULL JOIN rollup_months t
            ON t.rollup = r.rollup AND t.store_id = r.store_id AND t.month = r.month AND t.key IS NOT DISTINCT FROM r.key
         WHERE t.v IS DISTINCT FROM r.v),
    -- The chain-wide product rows against every store's raw rows, by day and
    -- by month (no store: the first column is NULL).
    raw_chain AS (
        SELECT day, product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost
          FROM raw_product GROUP BY 1, 2),
    chain_diff AS (
        SELECT NULL::uuid, coalesce(r.day, t.day), coalesce(r.product_id, t.product_id),
               jsonb_build_object('chain', 'daily', 'units', t.units, 'revenue', t.revenue, 'cost', t.cost),
               jsonb_build_object('units', r.units, 'revenue', r.revenue, 'cost', r.cost)
          FROM raw_chain r
          FULL JOIN (SELECT * FROM retail.daily_chain_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)) t
            ON t.day = r.day AND t.product_id = r.product_id
         WHERE (t.units, t.revenue, t.cost) IS DISTINCT FROM (r.units, r.revenue, r.cost)
        UNION ALL
        SELECT NULL::uuid, coalesce(r.month, t.month), coalesce(r.product_id, t.product_id),
               jsonb_build_object('chain', 'monthly', 'units', t.units, 'revenue', t.revenue, 'cost', t.cost),
               jsonb_build_object('units', r.units, 'revenue', r.revenue, 'cost', r.cost)
          FROM (SELECT date_trunc('month', day)::date AS month, product_id, sum(units) AS units,
                       sum(revenue) AS revenue, sum(cost) AS cost
                  FROM raw_chain GROUP BY 1, 2) r
          FULL JOIN (SELECT * FROM retail.monthly_chain_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)) t
            ON t.month = r.month AND t.product_id = r.product_id
         WHERE (t.units, t.revenue, t.cost) IS DISTINCT FROM (r.units, r.revenue, r.cost)),
    -- The packed buyers against the raw customer sales, by day and by month.
    raw_buyers AS (
        SELECT 'daily' AS grain, store_id, day AS k, customer_id, orders, spend
          FROM raw_customer_sales WHERE (orders, spend) <> (0, 0)
        UNION ALL
        SELECT 'monthly', store_id, month, customer_id, orders, spend
          FROM raw_customer_months WHERE (orders, spend) <> (0, 0)),
    packed_buyers AS (
        SELECT 'daily' AS grain, b.store_id, b.day AS k, m.customer_id, m.orders, m.spend
          FROM retail.daily_store_buyers b, zava.buyers_members(b.buyers) m
        UNION ALL
        SELECT 'monthly', b.store_id, b.month, m.customer_id, m.orders, m.spend
          FROM retail.monthly_store_buyers b, zava.buyers_members(b.buyers) m),
    buyers_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.k, t.k), coalesce(r.customer_id, t.customer_id),
               jsonb_build_object('buyers', coalesce(r.grain, t.grain), 'orders', t.orders, 'spend', t.spend),
               jsonb_build_object('orders', r.orders, 'spend', r.spend)
          FROM raw_buyers r
          FULL JOIN packed_buyers t
            ON t.grain = r.grain AND t.store_id = r.store_id AND t.k = r.k AND t.customer_id = r.customer_id
         WHERE (t.orders, t.spend) IS DISTINCT FROM (r.orders, r.spend)),
    diffs AS (SELECT * FROM store_diff UNION ALL SELECT * FROM cat_diff UNION ALL SELECT * FROM product_diff
              UNION ALL SELECT * FROM customer_diff UNION ALL SELECT * FROM customer_sales_diff
              UNION ALL SELECT * FROM month_diff UNION ALL SELECT * FROM chain_diff UNION ALL SELECT * FROM buyers_diff)
    SELECT jsonb_build_object(
        'ok', NOT EXISTS (SELECT FROM diffs),
        'differences', (SELECT count(*) FROM diffs),
        'store_days', (SELECT count(*) FROM raw_store),
        'category_days', (SELECT count(*) FROM raw_cat),
        'product_days', (SELECT count(*) FROM raw_product),
        'customer_days', (SELECT count(*) FROM raw_customers),
        'customer_sales_days', (SELECT count(*) FROM raw_customer_sales),
        'month_rows', (SELECT count(*) FROM raw_months),
        'chain_product_days', (SELECT count(*) FROM raw_chain),
        'buyers_days', (SELECT count(DISTINCT (store_id, k)) FROM raw_buyers WHERE grain = 'daily'),
        'first_differences', coalesce((SELECT jsonb_agg(to_jsonb(d)) FROM (SELECT * FROM diffs ORDER BY 1, 2, 3 LIMIT 20) d), '[]'))
$$;
