-- zava 0.5.0 → 0.6.0: analytics at rollup speed for head office and for
-- customer_insights. The definitions are exactly what a fresh 0.6.0 install
-- generates (tests/e2e/upgrade.sh compares the two catalogs); the new rollups
-- are filled from the rollups already there (exact: sums of exact rows), then
-- kept by the same triggers; verify_rollups and rebuild_rollups cover them.
--
-- * Chain-wide product rollups (retail.daily_/monthly_chain_product_sales),
--   readable only by a principal who sees every store (zava.sees_every_store):
--   head office ranks products over (products × days) rows.
-- * Packed buyers per store and day or month (retail.daily_/monthly_store_buyers,
--   zava.buyers, zava.buyers_merge, zava.buyers_members): customer_insights
--   adds up a period's packs instead of aggregating a row per customer.
-- * Covering indexes on the daily category, product and customer rollups.
-- * One SQL call per MCP tool (sql/mcp.sql: zava.utc_now and the _json twins
--   of the table-valued analytics); NULL arguments mean their defaults in the
--   analytics, safe_query and semantic_search_products.

-- Whole rows by (store, day) (0.6.0): a period's days are index-only range
-- scans instead of heap visits scattered over the table.
CREATE INDEX daily_category_sales_covering ON retail.daily_category_sales (store_id, day)
    INCLUDE (category_id, units, revenue, gross, discounts, cost);
CREATE INDEX daily_product_sales_covering ON retail.daily_product_sales (store_id, day)
    INCLUDE (product_id, units, revenue, cost);
CREATE INDEX daily_customer_sales_covering ON retail.daily_customer_sales (store_id, day)
    INCLUDE (customer_id, orders, spend);

-- Chain-wide product sales (see sql/rollups.sql).
CREATE TABLE retail.daily_chain_product_sales (
    day        date NOT NULL,
    product_id uuid NOT NULL REFERENCES retail.products,
    units      bigint NOT NULL DEFAULT 0,
    revenue    numeric(16,2) NOT NULL DEFAULT 0,
    cost       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, product_id)
);
COMMENT ON TABLE retail.daily_chain_product_sales IS 'Completed sales per business day and product across every store (head office only); maintained by triggers';

CREATE TABLE retail.monthly_chain_product_sales (
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    product_id uuid NOT NULL REFERENCES retail.products,
    units      bigint NOT NULL DEFAULT 0,
    revenue    numeric(16,2) NOT NULL DEFAULT 0,
    cost       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (month, product_id)
);
COMMENT ON TABLE retail.monthly_chain_product_sales IS 'Completed sales per calendar month and product across every store (head office only); maintained by triggers';
-- Whole rows by day or month: a period's rows are index-only range scans.
CREATE INDEX daily_chain_product_sales_covering ON retail.daily_chain_product_sales (day)
    INCLUDE (product_id, units, revenue, cost);
CREATE INDEX monthly_chain_product_sales_covering ON retail.monthly_chain_product_sales (month)
    INCLUDE (product_id, units, revenue, cost);

-- Packed buyers (see sql/rollups.sql).
CREATE TABLE retail.daily_store_buyers (
    store_id uuid NOT NULL REFERENCES retail.stores,
    day      date NOT NULL,
    buyers   bytea NOT NULL,
    PRIMARY KEY (store_id, day)
);
COMMENT ON TABLE retail.daily_store_buyers IS 'Completed orders and spend of every customer per store and business day, packed (zava.buyers_members reads it); maintained by triggers';

CREATE TABLE retail.monthly_store_buyers (
    store_id uuid NOT NULL REFERENCES retail.stores,
    month    date NOT NULL CHECK (extract(day FROM month) = 1),
    buyers   bytea NOT NULL,
    PRIMARY KEY (store_id, month)
);
COMMENT ON TABLE retail.monthly_store_buyers IS 'Completed orders and spend of every customer per store and calendar month, packed; maintained by triggers';

CREATE  FUNCTION "sees_every_store"() RETURNS bool /* bool */
STRICT STABLE SECURITY DEFINER PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'sees_every_store_wrapper';

CREATE  FUNCTION "buyers"(
	"customer_ids" uuid[], /* Array < pgrx :: Uuid > */
	"orders" bigint[], /* Array < i64 > */
	"cents" bigint[] /* Array < i64 > */
) RETURNS bytea /* Vec < u8 > */
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'buyers_wrapper';

CREATE  FUNCTION "buyers_merge"(
	"a" bytea, /* & [u8] */
	"b" bytea /* & [u8] */
) RETURNS bytea /* Vec < u8 > */
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'buyers_merge_wrapper';

CREATE  FUNCTION "buyers_members"(
	"pack" bytea /* & [u8] */
) RETURNS TABLE (
	"customer_id" uuid,  /* pgrx :: Uuid */
	"orders" bigint,  /* i64 */
	"spend" NUMERIC  /* pgrx :: AnyNumeric */
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'buyers_members_wrapper';

-- Per-store rollups: a row is visible when its store is one of the caller's.
DO $policies$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['daily_store_buyers', 'monthly_store_buyers'] LOOP
        EXECUTE format('ALTER TABLE retail.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE retail.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_read ON retail.%I FOR SELECT TO PUBLIC
                            USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]))', t);
        EXECUTE format('CREATE POLICY admin_all ON retail.%I FOR ALL TO zava_admin USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$policies$;

-- Chain-wide rollups (no store column) hold totals over every store: only a
-- principal who sees every store (head office) reads them.
DO $policies$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['daily_chain_product_sales', 'monthly_chain_product_sales'] LOOP
        EXECUTE format('ALTER TABLE retail.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE retail.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_read ON retail.%I FOR SELECT TO PUBLIC
                            USING ((SELECT zava.sees_every_store()))', t);
        EXECUTE format('CREATE POLICY admin_all ON retail.%I FOR ALL TO zava_admin USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$policies$;

CREATE OR REPLACE FUNCTION zava.rollup_upserts(delta text) RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(format(u.stmt, g.grain, g.key, g.expr, delta) ORDER BY g.n, u.n)
      FROM (VALUES (1, 'daily', 'day', 'day'), (2, 'monthly', 'month', 'date_trunc(''month'', day)::date')) g(n, grain, key, expr)
     CROSS JOIN (VALUES
        (1, $q$
        INSERT INTO retail.%1$s_store_sales AS t (store_id, %2$s, orders, units, revenue, gross, discounts, cost)
        SELECT store_id, %3$s, sum(orders), sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM (%4$s) d GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (store_id, %2$s) DO UPDATE SET
            orders = t.orders + excluded.orders, units = t.units + excluded.units,
            revenue = t.revenue + excluded.revenue, gross = t.gross + excluded.gross,
            discounts = t.discounts + excluded.discounts, cost = t.cost + excluded.cost$q$),
        (2, $q$
        INSERT INTO retail.%1$s_category_sales AS t (store_id, %2$s, category_id, units, revenue, gross, discounts, cost)
        SELECT store_id, %3$s, category_id, sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM (%4$s) d WHERE category_id IS NOT NULL
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (store_id, %2$s, category_id) DO UPDATE SET
            units = t.units + excluded.units, revenue = t.revenue + excluded.revenue,
            gross = t.gross + excluded.gross, discounts = t.discounts + excluded.discounts,
            cost = t.cost + excluded.cost$q$),
        (3, $q$
        INSERT INTO retail.%1$s_product_sales AS t (store_id, %2$s, product_id, units, revenue, cost)
        SELECT store_id, %3$s, product_id, sum(units), sum(revenue), sum(cost)
          FROM (%4$s) d WHERE product_id IS NOT NULL
         GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (store_id, %2$s, product_id) DO UPDATE SET
            units = t.units + excluded.units, revenue = t.revenue + excluded.revenue,
            cost = t.cost + excluded.cost$q$),
        (4, $q$
        INSERT INTO retail.%1$s_customer_sales AS t (store_id, %2$s, customer_id, orders, spend)
        SELECT store_id, %3$s, customer_id, sum(orders), sum(revenue)
          FROM (%4$s) d GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (store_id, %2$s, customer_id) DO UPDATE SET
            orders = t.orders + excluded.orders, spend = t.spend + excluded.spend$q$),
        (5, $q$
        INSERT INTO retail.%1$s_chain_product_sales AS t (%2$s, product_id, units, revenue, cost)
        SELECT %3$s, product_id, sum(units), sum(revenue), sum(cost)
          FROM (%4$s) d WHERE product_id IS NOT NULL
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (%2$s, product_id) DO UPDATE SET
            units = t.units + excluded.units, revenue = t.revenue + excluded.revenue,
            cost = t.cost + excluded.cost$q$),
        (6, $q$
        INSERT INTO retail.%1$s_store_buyers AS t (store_id, %2$s, buyers)
        SELECT store_id, k, zava.buyers(array_agg(customer_id), array_agg(orders), array_agg(cents))
          FROM (SELECT store_id, %3$s AS k, customer_id, sum(orders)::bigint AS orders, (sum(revenue) * 100)::bigint AS cents
                  FROM (%4$s) d GROUP BY 1, 2, 3) c
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (store_id, %2$s) DO UPDATE SET buyers = zava.buyers_merge(t.buyers, excluded.buyers)$q$)) u(n, stmt)
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
        SELECT 'customer', store_id, date_trunc('month', day)::date, customer_id,
               jsonb_build_object('orders', sum(orders), 'spend', sum(spend))
          FROM raw_customer_sales GROUP BY 2, 3, 4),
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
        SELECT 'monthly', store_id, date_trunc('month', day)::date, customer_id, sum(orders), sum(spend)
          FROM raw_customer_sales GROUP BY 2, 3, 4 HAVING (sum(orders), sum(spend)) <> (0, 0)),
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

CREATE OR REPLACE FUNCTION zava.rebuild_rollups() RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM retail.daily_store_sales;
    DELETE FROM retail.daily_category_sales;
    DELETE FROM retail.daily_product_sales;
    DELETE FROM retail.daily_store_customers;
    DELETE FROM retail.monthly_store_sales;
    DELETE FROM retail.monthly_category_sales;
    DELETE FROM retail.monthly_product_sales;
    DELETE FROM retail.monthly_store_customers;
    DELETE FROM retail.daily_customer_sales;
    DELETE FROM retail.monthly_customer_sales;
    DELETE FROM retail.daily_chain_product_sales;
    DELETE FROM retail.monthly_chain_product_sales;
    DELETE FROM retail.daily_store_buyers;
    DELETE FROM retail.monthly_store_buyers;
    -- One read of the raw rows feeds the four daily sales rollups.
    WITH raw AS MATERIALIZED (SELECT * FROM zava.rollups_from_raw_rows()),
    stores AS (
        INSERT INTO retail.daily_store_sales (store_id, day, orders, units, revenue, gross, discounts, cost)
        SELECT store_id, day, sum(orders), sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM raw GROUP BY 1, 2),
    categories AS (
        INSERT INTO retail.daily_category_sales (store_id, day, category_id, units, revenue, gross, discounts, cost)
        SELECT store_id, day, category_id, sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM raw WHERE category_id IS NOT NULL GROUP BY 1, 2, 3),
    products AS (
        INSERT INTO retail.daily_product_sales (store_id, day, product_id, units, revenue, cost)
        SELECT store_id, day, product_id, units, revenue, cost
          FROM raw WHERE product_id IS NOT NULL)
    INSERT INTO retail.daily_chain_product_sales (day, product_id, units, revenue, cost)
    SELECT day, product_id, sum(units), sum(revenue), sum(cost)
      FROM raw WHERE product_id IS NOT NULL GROUP BY 1, 2;
    INSERT INTO retail.daily_store_customers (store_id, day, customers, customer_set)
    SELECT * FROM zava.customer_sets_from_raw_rows();
    INSERT INTO retail.daily_customer_sales (store_id, day, customer_id, orders, spend)
    SELECT * FROM zava.customer_sales_from_raw_rows();
    -- Months from the days just rebuilt (exact: sums and unions of exact rows).
    INSERT INTO retail.monthly_store_sales (store_id, month, orders, units, revenue, gross, discounts, cost)
    SELECT store_id, date_trunc('month', day)::date, sum(orders), sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
      FROM retail.daily_store_sales GROUP BY 1, 2;
    INSERT INTO retail.monthly_category_sales (store_id, month, category_id, units, revenue, gross, discounts, cost)
    SELECT store_id, date_trunc('month', day)::date, category_id, sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
      FROM retail.daily_category_sales GROUP BY 1, 2, 3;
    INSERT INTO retail.monthly_product_sales (store_id, month, product_id, units, revenue, cost)
    SELECT store_id, date_trunc('month', day)::date, product_id, sum(units), sum(revenue), sum(cost)
      FROM retail.daily_product_sales GROUP BY 1, 2, 3;
    INSERT INTO retail.monthly_store_customers (store_id, month, customers, customer_set)
    SELECT store_id, month, zava.customer_set_union_count(ARRAY[s]), s
      FROM (SELECT store_id, date_trunc('month', day)::date AS month, zava.customer_set_union_all(array_agg(customer_set)) AS s
              FROM retail.daily_store_customers GROUP BY 1, 2) m;
    INSERT INTO retail.monthly_customer_sales (store_id, month, customer_id, orders, spend)
    SELECT store_id, date_trunc('month', day)::date, customer_id, sum(orders), sum(spend)
      FROM retail.daily_customer_sales GROUP BY 1, 2, 3;
    INSERT INTO retail.monthly_chain_product_sales (month, product_id, units, revenue, cost)
    SELECT date_trunc('month', day)::date, product_id, sum(units), sum(revenue), sum(cost)
      FROM retail.daily_chain_product_sales GROUP BY 1, 2;
    INSERT INTO retail.daily_store_buyers (store_id, day, buyers)
    SELECT store_id, day, zava.buyers(array_agg(customer_id), array_agg(orders), array_agg((spend * 100)::bigint))
      FROM retail.daily_customer_sales GROUP BY 1, 2;
    INSERT INTO retail.monthly_store_buyers (store_id, month, buyers)
    SELECT store_id, month, zava.buyers(array_agg(customer_id), array_agg(orders), array_agg((spend * 100)::bigint))
      FROM retail.monthly_customer_sales GROUP BY 1, 2;
END
$$;

-- NULL arguments mean their defaults (0.6.0).
CREATE OR REPLACE FUNCTION zava.semantic_search_products(query_description text, max_rows int DEFAULT 20,
                                              similarity_threshold real DEFAULT 30.0, store_id uuid DEFAULT NULL,
                                              in_stock_only boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- NULL means the default (0.6.0), so callers keep no copy of it.
    max_rows := coalesce(max_rows, 20);
    similarity_threshold := coalesce(similarity_threshold, 30.0);
    in_stock_only := coalesce(in_stock_only, false);
    IF similarity_threshold NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'similarity_threshold is a percentage between 0 and 100 (got %)', similarity_threshold
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN jsonb_build_object(
        'query', query_description,
        'rows', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.rank)
                            FROM zava.search_products(query_description, max_rows, (similarity_threshold / 100)::real,
                                                      store_id, in_stock_only) r), '[]'::jsonb));
END
$$;

-- The MCP tools as one function call each (0.6.0). Every zava-mcp tool runs
-- `SELECT zava.<function>($1, …)` and gets one jsonb answer, and NULL means
-- the documented default (the analytics, safe_query and
-- semantic_search_products treat it so), so the bridge keeps no SQL and no
-- defaults of its own. store_performance, customer_insights, describe_tables,
-- safe_query and semantic_search_products already answer jsonb; the
-- table-valued analytics get a jsonb twin here, rows in the order the
-- function returns them, `{"rows": [...]}`. Security invoker like what they
-- call: RLS and the same errors apply.

-- Today's date and the current time in UTC (get_current_utc_date).
CREATE FUNCTION zava.utc_now() RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('utc_date', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                              'utc_datetime', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;

-- get_sales_trend.
CREATE FUNCTION zava.sales_trend_json(store_id uuid, from_date date, to_date date, granularity text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.sales_trend(store_id, from_date, to_date, granularity) WITH ORDINALITY t
$$;

-- get_top_products.
CREATE FUNCTION zava.top_products_json(store_id uuid DEFAULT NULL, period text DEFAULT NULL, k int DEFAULT NULL,
                                       by text DEFAULT NULL, compare_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.top_products(store_id, period, k, by, compare_to) WITH ORDINALITY t
$$;

-- get_category_breakdown.
CREATE FUNCTION zava.category_breakdown_json(store_id uuid DEFAULT NULL, period text DEFAULT NULL,
                                             compare_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.category_breakdown(store_id, period, compare_to) WITH ORDINALITY t
$$;

-- get_inventory_alerts.
CREATE FUNCTION zava.inventory_alerts_json(store_id uuid DEFAULT NULL, min_days_of_cover int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.inventory_alerts(store_id, min_days_of_cover) WITH ORDINALITY t
$$;

GRANT SELECT ON retail.daily_chain_product_sales, retail.monthly_chain_product_sales,
    retail.daily_store_buyers, retail.monthly_store_buyers TO zava_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON retail.daily_chain_product_sales, retail.monthly_chain_product_sales,
    retail.daily_store_buyers, retail.monthly_store_buyers TO zava_admin;

INSERT INTO retail.daily_chain_product_sales (day, product_id, units, revenue, cost)
SELECT day, product_id, sum(units), sum(revenue), sum(cost)
  FROM retail.daily_product_sales GROUP BY 1, 2 HAVING (sum(units), sum(revenue), sum(cost)) <> (0, 0, 0);
INSERT INTO retail.monthly_chain_product_sales (month, product_id, units, revenue, cost)
SELECT date_trunc('month', day)::date, product_id, sum(units), sum(revenue), sum(cost)
  FROM retail.daily_chain_product_sales GROUP BY 1, 2;
INSERT INTO retail.daily_store_buyers (store_id, day, buyers)
SELECT store_id, day, zava.buyers(array_agg(customer_id), array_agg(orders), array_agg((spend * 100)::bigint))
  FROM retail.daily_customer_sales GROUP BY 1, 2;
INSERT INTO retail.monthly_store_buyers (store_id, month, buyers)
SELECT store_id, month, zava.buyers(array_agg(customer_id), array_agg(orders), array_agg((spend * 100)::bigint))
  FROM retail.monthly_customer_sales GROUP BY 1, 2;
ANALYZE retail.daily_chain_product_sales, retail.monthly_chain_product_sales, retail.daily_store_buyers,
    retail.monthly_store_buyers;
