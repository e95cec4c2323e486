-- zava 0.4.0 → 0.5.0: the six analytics entry points are Rust functions
-- (zava_pg_ext/src/analytics.rs) instead of PL/pgSQL, with year-over-year
-- comparisons. The definitions are exactly what a fresh 0.5.0 install
-- generates (tests/e2e/upgrade.sh compares the two catalogs). The 0.4.0
-- PL/pgSQL functions go (same names, fewer arguments: left in place they would
-- make calls ambiguous); their replacements answer every 0.4.0 call the same
-- way. store_performance, top_products and category_breakdown take
-- compare_to ('previous_period' | 'previous_year'); period_comparison returns
-- a period and its comparison. zava.customer_sets_between reads a period's
-- customer sets (inlinable), and the monthly category and product rollups get
-- covering indexes. New rollups of orders and spend per customer.

DROP FUNCTION zava.store_performance(uuid, text);
DROP FUNCTION zava.sales_trend(uuid, date, date, text);
DROP FUNCTION zava.top_products(uuid, text, int, text);
DROP FUNCTION zava.category_breakdown(uuid, text);
DROP FUNCTION zava.customer_insights(uuid, text);
DROP FUNCTION zava.inventory_alerts(uuid, int);

CREATE INDEX monthly_category_sales_covering ON retail.monthly_category_sales (store_id, month)
    INCLUDE (category_id, units, revenue, gross, discounts, cost);
CREATE INDEX monthly_product_sales_covering ON retail.monthly_product_sales (store_id, month)
    INCLUDE (product_id, units, revenue, cost);

-- The customer sets of stores over [a, b): the months' and the other days'
-- (inlinable, like the three above).
CREATE FUNCTION zava.customer_sets_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, customer_set bytea)
LANGUAGE sql STABLE AS $$
    SELECT c.store_id, c.customer_set
      FROM retail.monthly_store_customers c, zava.period_months(a, b) m
     WHERE c.store_id = ANY (stores) AND c.month >= m.m1 AND c.month < m.m2
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM retail.daily_store_customers c, zava.period_months(a, b) m
     WHERE c.store_id = ANY (stores) AND ((c.day >= a AND c.day < m.m1) OR (c.day >= m.m2 AND c.day < b))
$$;

-- The distinct customers of stores over [a, b): the size of the union of
-- their customer sets.
CREATE OR REPLACE FUNCTION zava.unique_customers_between(stores uuid[], a date, b date) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT zava.customer_set_union_count(array_agg(x.customer_set)) FROM zava.customer_sets_between(stores, a, b) x
$$;


-- Orders and spend per store, day (and month) and customer, kept by the same
-- triggers: customer_insights reads repeat customers and top spenders from
-- them instead of orders and their lines. The deltas the triggers add carry
-- the order's customer; a changed customer moves the order like a changed
-- day. verify_rollups and rebuild_rollups cover the two tables.

-- Orders and spend per customer (no foreign key to customers: a row left at
-- zero by deleted orders must not keep the customer from being deleted).
CREATE TABLE retail.daily_customer_sales (
    store_id    uuid NOT NULL REFERENCES retail.stores,
    day         date NOT NULL,
    customer_id uuid NOT NULL,
    orders      bigint NOT NULL DEFAULT 0,
    spend       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, day, customer_id)
);
COMMENT ON TABLE retail.daily_customer_sales IS 'Completed orders and their revenue per store, business day and customer; maintained by triggers';

CREATE TABLE retail.monthly_customer_sales (
    store_id    uuid NOT NULL REFERENCES retail.stores,
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    customer_id uuid NOT NULL,
    orders      bigint NOT NULL DEFAULT 0,
    spend       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, month, customer_id)
);
COMMENT ON TABLE retail.monthly_customer_sales IS 'Completed orders and their revenue per store, calendar month and customer; maintained by triggers';
-- Whole rows by (store, month): a period's buyers are read with an
-- index-only scan.
CREATE INDEX monthly_customer_sales_covering ON retail.monthly_customer_sales (store_id, month)
    INCLUDE (customer_id, orders, spend);

DO $policies$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['daily_customer_sales', 'monthly_customer_sales'] LOOP
        EXECUTE format('ALTER TABLE retail.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE retail.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_read ON retail.%I FOR SELECT TO PUBLIC
                            USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]))', t);
        EXECUTE format('CREATE POLICY admin_all ON retail.%I FOR ALL TO zava_admin USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$policies$;
GRANT SELECT ON retail.daily_customer_sales, retail.monthly_customer_sales TO zava_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON retail.daily_customer_sales, retail.monthly_customer_sales TO zava_admin;

-- Orders and spend per store, day and customer as plain SQL over raw rows
-- would compute them.
CREATE FUNCTION zava.customer_sales_from_raw_rows() RETURNS TABLE (
    store_id uuid, day date, customer_id uuid, orders bigint, spend numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.store_id, o.order_date, o.customer_id, count(*)::bigint, coalesce(sum(t.total), 0)
      FROM retail.orders o
      LEFT JOIN (SELECT l.store_id, l.order_id, sum(l.line_total) AS total
                   FROM retail.order_items l GROUP BY 1, 2) t ON t.store_id = o.store_id AND t.order_id = o.order_id
     WHERE o.status = 'completed' GROUP BY 1, 2, 3
$$;

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
            orders = t.orders + excluded.orders, spend = t.spend + excluded.spend$q$)) u(n, stmt)
$$;

CREATE OR REPLACE FUNCTION zava.line_delta(lines text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format($q$
        SELECT o.store_id, o.order_date AS day, p.category_id, l.product_id, 0::bigint AS orders,
               (l.sign * l.quantity)::bigint AS units, l.sign * l.line_total AS revenue,
               l.sign * l.quantity * l.unit_price AS gross, l.sign * l.discount_amount AS discounts,
               l.sign * l.quantity * l.unit_cost AS cost, o.customer_id
          FROM (%s) l
          JOIN retail.orders o ON o.store_id = l.store_id AND o.order_id = l.order_id
          JOIN retail.products p ON p.product_id = l.product_id
         WHERE o.status = 'completed'$q$, lines)
$$;

CREATE OR REPLACE FUNCTION zava.rollup_orders() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    delta text;
    stmt text;
    stores uuid[];
    days date[];
BEGIN
    IF zava.rollups_paused() THEN  -- the demo loader rebuilds at the end
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- New orders add their customers to their days' sets.
        INSERT INTO retail.daily_store_customers AS t (store_id, day, customers, customer_set)
        SELECT n.store_id, n.order_date, count(DISTINCT c.customer_no), zava.customer_set(array_agg(c.customer_no))
          FROM new_rows n JOIN retail.customers c ON c.customer_id = n.customer_id
         WHERE n.status = 'completed'
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (store_id, day) DO UPDATE SET
            customer_set = zava.customer_set_union(t.customer_set, excluded.customer_set),
            customers = zava.customer_set_union_count(ARRAY[t.customer_set, excluded.customer_set]);
        INSERT INTO retail.monthly_store_customers AS t (store_id, month, customers, customer_set)
        SELECT n.store_id, date_trunc('month', n.order_date)::date, count(DISTINCT c.customer_no), zava.customer_set(array_agg(c.customer_no))
          FROM new_rows n JOIN retail.customers c ON c.customer_id = n.customer_id
         WHERE n.status = 'completed'
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (store_id, month) DO UPDATE SET
            customer_set = zava.customer_set_union(t.customer_set, excluded.customer_set),
            customers = zava.customer_set_union_count(ARRAY[t.customer_set, excluded.customer_set]);
        delta := ($q$
            SELECT store_id, order_date AS day, NULL::uuid AS category_id, NULL::uuid AS product_id, 1::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost, customer_id
              FROM new_rows WHERE status = 'completed'$q$);
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(store_id ORDER BY store_id, day), array_agg(day ORDER BY store_id, day) INTO stores, days
          FROM (SELECT DISTINCT store_id, order_date AS day FROM old_rows WHERE status = 'completed') k;
        -- Lines cannot outlive their order (ON DELETE RESTRICT): only the count changes.
        delta := ($q$
            SELECT store_id, order_date AS day, NULL::uuid AS category_id, NULL::uuid AS product_id, -1::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost, customer_id
              FROM old_rows WHERE status = 'completed'$q$);
    ELSE
        -- The days an order left or joined (a changed status, day, store or customer).
        SELECT array_agg(store_id ORDER BY store_id, day), array_agg(day ORDER BY store_id, day) INTO stores, days
          FROM (SELECT o.store_id, o.order_date AS day
                  FROM old_rows o JOIN new_rows n USING (order_id)
                 WHERE o.status = 'completed'
                   AND (o.status, o.order_date, o.store_id, o.customer_id) IS DISTINCT FROM (n.status, n.order_date, n.store_id, n.customer_id)
                UNION
                SELECT n.store_id, n.order_date
                  FROM old_rows o JOIN new_rows n USING (order_id)
                 WHERE n.status = 'completed'
                   AND (o.status, o.order_date, o.store_id, o.customer_id) IS DISTINCT FROM (n.status, n.order_date, n.store_id, n.customer_id)) k;
        -- A changed status, business day, store or customer moves the whole
        -- order: take out what it counted for before, put in what it counts
        -- for now.
        delta := ($q$
            WITH changed AS (
                SELECT o.store_id AS old_store, o.order_date AS old_day, o.customer_id AS old_customer,
                       o.status = 'completed' AS was,
                       n.store_id AS new_store, n.order_date AS new_day, n.customer_id AS new_customer,
                       n.status = 'completed' AS is_now, n.order_id
                  FROM old_rows o JOIN new_rows n USING (order_id)
                 WHERE (o.status, o.order_date, o.store_id, o.customer_id)
                       IS DISTINCT FROM (n.status, n.order_date, n.store_id, n.customer_id)),
            sides AS (
                SELECT old_store AS store_id, old_day AS day, old_customer AS customer_id, order_id, -1 AS sign
                  FROM changed WHERE was
                UNION ALL
                SELECT new_store, new_day, new_customer, order_id, 1 FROM changed WHERE is_now)
            SELECT s.store_id, s.day, NULL::uuid AS category_id, NULL::uuid AS product_id, s.sign::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost, s.customer_id
              FROM sides s
            UNION ALL
            SELECT s.store_id, s.day, p.category_id, l.product_id, 0, (s.sign * l.quantity)::bigint, s.sign * l.line_total,
                   s.sign * l.quantity * l.unit_price, s.sign * l.discount_amount, s.sign * l.quantity * l.unit_cost, s.customer_id
              FROM sides s
              JOIN retail.order_items l ON l.order_id = s.order_id
              JOIN retail.products p ON p.product_id = l.product_id$q$);
    END IF;
    FOREACH stmt IN ARRAY zava.rollup_upserts(delta) LOOP
        EXECUTE stmt;
    END LOOP;
    IF stores IS NOT NULL THEN
        PERFORM zava.recompute_customer_sets(stores, days);
    END IF;
    RETURN NULL;
END
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
    diffs AS (SELECT * FROM store_diff UNION ALL SELECT * FROM cat_diff UNION ALL SELECT * FROM product_diff
              UNION ALL SELECT * FROM customer_diff UNION ALL SELECT * FROM customer_sales_diff
              UNION ALL SELECT * FROM month_diff)
    SELECT jsonb_build_object(
        'ok', NOT EXISTS (SELECT FROM diffs),
        'differences', (SELECT count(*) FROM diffs),
        'store_days', (SELECT count(*) FROM raw_store),
        'category_days', (SELECT count(*) FROM raw_cat),
        'product_days', (SELECT count(*) FROM raw_product),
        'customer_days', (SELECT count(*) FROM raw_customers),
        'customer_sales_days', (SELECT count(*) FROM raw_customer_sales),
        'month_rows', (SELECT count(*) FROM raw_months),
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
    -- One read of the raw rows feeds the three daily sales rollups.
    WITH raw AS MATERIALIZED (SELECT * FROM zava.rollups_from_raw_rows()),
    stores AS (
        INSERT INTO retail.daily_store_sales (store_id, day, orders, units, revenue, gross, discounts, cost)
        SELECT store_id, day, sum(orders), sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM raw GROUP BY 1, 2),
    categories AS (
        INSERT INTO retail.daily_category_sales (store_id, day, category_id, units, revenue, gross, discounts, cost)
        SELECT store_id, day, category_id, sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM raw WHERE category_id IS NOT NULL GROUP BY 1, 2, 3)
    INSERT INTO retail.daily_product_sales (store_id, day, product_id, units, revenue, cost)
    SELECT store_id, day, product_id, units, revenue, cost
      FROM raw WHERE product_id IS NOT NULL;
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
END
$$;


-- Fill them from the orders already there (as rebuild_rollups does).
INSERT INTO retail.daily_customer_sales (store_id, day, customer_id, orders, spend)
SELECT * FROM zava.customer_sales_from_raw_rows();
INSERT INTO retail.monthly_customer_sales (store_id, month, customer_id, orders, spend)
SELECT store_id, date_trunc('month', day)::date, customer_id, sum(orders), sum(spend)
  FROM retail.daily_customer_sales GROUP BY 1, 2, 3;

-- Rust functions (generated by pgrx; see zava_pg_ext/src/analytics.rs).
CREATE  FUNCTION "period_comparison"(
	"period" TEXT, /* Option < & str > */
	"as_of" date, /* Option < Date > */
	"compare_to" TEXT DEFAULT 'previous_period' /* Option < & str > */
) RETURNS TABLE (
	"start_date" date,  /* Date */
	"end_date" date,  /* Date */
	"days" INT,  /* i32 */
	"compare_start" date,  /* Date */
	"compare_end" date,  /* Date */
	"compare_days" INT,  /* i32 */
	"compare_label" TEXT  /* String */
)
IMMUTABLE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'period_comparison_wrapper';

CREATE  FUNCTION "store_performance"(
	"store_id" uuid DEFAULT NULL, /* Option < Uuid > */
	"period" TEXT DEFAULT 'last_30_days', /* Option < & str > */
	"compare_to" TEXT DEFAULT 'previous_period' /* Option < & str > */
) RETURNS jsonb /* JsonbText */
STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'store_performance_wrapper';

CREATE  FUNCTION "sales_trend"(
	"store_id" uuid, /* Option < Uuid > */
	"from_date" date, /* Option < Date > */
	"to_date" date, /* Option < Date > */
	"granularity" TEXT DEFAULT 'day' /* Option < & str > */
) RETURNS TABLE (
	"bucket" date,  /* Date */
	"revenue" NUMERIC,  /* AnyNumeric */
	"orders" bigint,  /* i64 */
	"units" bigint,  /* i64 */
	"average_order_value" NUMERIC,  /* Option < AnyNumeric > */
	"gross_margin" NUMERIC  /* AnyNumeric */
)
STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'sales_trend_wrapper';

CREATE  FUNCTION "top_products"(
	"store_id" uuid DEFAULT NULL, /* Option < Uuid > */
	"period" TEXT DEFAULT 'last_30_days', /* Option < & str > */
	"k" INT DEFAULT 10, /* Option < i32 > */
	"by" TEXT DEFAULT 'revenue', /* Option < & str > */
	"compare_to" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TABLE (
	"rank" bigint,  /* i64 */
	"product_id" uuid,  /* Uuid */
	"sku" TEXT,  /* String */
	"product_name" TEXT,  /* String */
	"category" TEXT,  /* String */
	"revenue" NUMERIC,  /* AnyNumeric */
	"units" bigint,  /* i64 */
	"margin" NUMERIC,  /* AnyNumeric */
	"compare_revenue" NUMERIC,  /* Option < AnyNumeric > */
	"compare_rank" bigint,  /* Option < i64 > */
	"change_pct" NUMERIC  /* Option < AnyNumeric > */
)
STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'top_products_wrapper';

CREATE  FUNCTION "category_breakdown"(
	"store_id" uuid DEFAULT NULL, /* Option < Uuid > */
	"period" TEXT DEFAULT 'last_30_days', /* Option < & str > */
	"compare_to" TEXT DEFAULT NULL /* Option < & str > */
) RETURNS TABLE (
	"category" TEXT,  /* String */
	"revenue" NUMERIC,  /* AnyNumeric */
	"units" bigint,  /* i64 */
	"gross_margin" NUMERIC,  /* AnyNumeric */
	"share_pct" NUMERIC,  /* Option < AnyNumeric > */
	"compare_revenue" NUMERIC,  /* Option < AnyNumeric > */
	"change_pct" NUMERIC  /* Option < AnyNumeric > */
)
STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'category_breakdown_wrapper';

CREATE  FUNCTION "customer_insights"(
	"store_id" uuid DEFAULT NULL, /* Option < Uuid > */
	"period" TEXT DEFAULT 'last_30_days' /* Option < & str > */
) RETURNS jsonb /* JsonbText */
STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'customer_insights_wrapper';

CREATE  FUNCTION "inventory_alerts"(
	"store_id" uuid DEFAULT NULL, /* Option < Uuid > */
	"min_days_of_cover" INT DEFAULT 14 /* Option < i32 > */
) RETURNS TABLE (
	"store_name" TEXT,  /* String */
	"sku" TEXT,  /* String */
	"product_name" TEXT,  /* String */
	"stock_level" INT,  /* i32 */
	"reorder_point" INT,  /* i32 */
	"units_sold_28d" bigint,  /* i64 */
	"daily_velocity" NUMERIC,  /* AnyNumeric */
	"days_of_cover" NUMERIC  /* AnyNumeric */
)
STABLE PARALLEL RESTRICTED
SET search_path TO pg_catalog, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'inventory_alerts_wrapper';
