-- zava 0.3.0 → 0.4.0: exact unique customers from rollups. The definitions are
-- exactly what a fresh 0.4.0 install generates (tests/e2e/upgrade.sh compares
-- the two catalogs): every customer gets a dense number (customer_no), each
-- store and day a set of the customers who ordered (retail.daily_store_customers,
-- kept by the rollup triggers), and zava.period_figures counts unique customers
-- as the size of the union of its days' sets; zava.inventory_alerts reads its
-- velocity from the product rollup. Monthly rollups (sales per store, category
-- and product, and customer sets) let a period read its whole months as one
-- row each (zava.period_months); the analytics read them through the
-- zava.*_between functions. The rollup triggers skip their work while
-- the demo loader has paused them (zava.rollups_paused()).

-- Rust functions (the customer sets of zava_core::customer_sets).
CREATE FUNCTION "rollups_paused"() RETURNS bool
STRICT STABLE PARALLEL RESTRICTED
LANGUAGE c
AS 'MODULE_PATHNAME', 'rollups_paused_wrapper';

CREATE FUNCTION "customer_set"(
	"numbers" INT[]
) RETURNS bytea
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'customer_set_wrapper';

CREATE FUNCTION "customer_set_union"(
	"a" bytea,
	"b" bytea
) RETURNS bytea
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'customer_set_union_wrapper';

CREATE FUNCTION "customer_set_union_count"(
	"sets" bytea[]
) RETURNS bigint
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'customer_set_union_count_wrapper';

CREATE FUNCTION "customer_set_members"(
	"set" bytea
) RETURNS INT[]
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'customer_set_members_wrapper';

CREATE FUNCTION "customer_set_union_all"(
	"sets" bytea[]
) RETURNS bytea
IMMUTABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'customer_set_union_all_wrapper';

-- Customer numbers: existing customers are numbered in the table's order.
CREATE SEQUENCE retail.customer_no_seq AS integer;
ALTER TABLE retail.customers ADD COLUMN customer_no integer NOT NULL UNIQUE DEFAULT nextval('retail.customer_no_seq');
ALTER SEQUENCE retail.customer_no_seq OWNED BY retail.customers.customer_no;
SELECT pg_catalog.pg_extension_config_dump('retail.customer_no_seq', '');
GRANT USAGE ON SEQUENCE retail.customer_no_seq TO zava_admin;

CREATE TABLE retail.daily_store_customers (
    store_id     uuid NOT NULL REFERENCES retail.stores,
    day          date NOT NULL,
    customers    integer NOT NULL DEFAULT 0,   -- members of customer_set
    customer_set bytea NOT NULL,               -- zava.customer_set() of customers.customer_no
    PRIMARY KEY (store_id, day)
);
COMMENT ON TABLE retail.daily_store_customers IS 'Customers with a completed order per store and business day, as a set of customer numbers (zava.customer_set_members reads it); maintained by triggers';

CREATE TABLE retail.monthly_store_sales (
    store_id  uuid NOT NULL REFERENCES retail.stores,
    month     date NOT NULL CHECK (extract(day FROM month) = 1),
    orders    bigint NOT NULL DEFAULT 0,
    units     bigint NOT NULL DEFAULT 0,
    revenue   numeric(16,2) NOT NULL DEFAULT 0,
    gross     numeric(16,2) NOT NULL DEFAULT 0,
    discounts numeric(16,2) NOT NULL DEFAULT 0,
    cost      numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, month)
);
COMMENT ON TABLE retail.monthly_store_sales IS 'Completed sales per store and calendar month (first day); maintained by triggers';

CREATE TABLE retail.monthly_category_sales (
    store_id    uuid NOT NULL REFERENCES retail.stores,
    month       date NOT NULL CHECK (extract(day FROM month) = 1),
    category_id uuid NOT NULL REFERENCES retail.categories,
    units       bigint NOT NULL DEFAULT 0,
    revenue     numeric(16,2) NOT NULL DEFAULT 0,
    gross       numeric(16,2) NOT NULL DEFAULT 0,
    discounts   numeric(16,2) NOT NULL DEFAULT 0,
    cost        numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, month, category_id)
);
COMMENT ON TABLE retail.monthly_category_sales IS 'Completed sales per store, calendar month and category; maintained by triggers';

CREATE TABLE retail.monthly_product_sales (
    store_id   uuid NOT NULL REFERENCES retail.stores,
    month      date NOT NULL CHECK (extract(day FROM month) = 1),
    product_id uuid NOT NULL REFERENCES retail.products,
    units      bigint NOT NULL DEFAULT 0,
    revenue    numeric(16,2) NOT NULL DEFAULT 0,
    cost       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, month, product_id)
);
COMMENT ON TABLE retail.monthly_product_sales IS 'Completed sales per store, calendar month and product; maintained by triggers';

CREATE TABLE retail.monthly_store_customers (
    store_id     uuid NOT NULL REFERENCES retail.stores,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    customers    integer NOT NULL DEFAULT 0,
    customer_set bytea NOT NULL,               -- the union of the month's daily sets
    PRIMARY KEY (store_id, month)
);
COMMENT ON TABLE retail.monthly_store_customers IS 'Customers with a completed order per store and calendar month, as a set of customer numbers; maintained by triggers';

CREATE FUNCTION zava.period_months(a date, b date, OUT m1 date, OUT m2 date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN f < l THEN f ELSE b END, CASE WHEN f < l THEN l ELSE b END
      FROM (SELECT CASE WHEN extract(day FROM a) = 1 THEN a ELSE (date_trunc('month', a) + interval '1 month')::date END AS f,
                   date_trunc('month', b)::date AS l) x
$$;

-- A customer's number is in the sets of every day they ordered: it never changes.
CREATE FUNCTION zava.keep_customer_no() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'a customer''s number (customer_no) cannot change'
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'customer_no is set once, when the customer is added.';
END
$$;
CREATE TRIGGER keep_customer_no BEFORE UPDATE OF customer_no ON retail.customers
    FOR EACH ROW WHEN (old.customer_no IS DISTINCT FROM new.customer_no) EXECUTE FUNCTION zava.keep_customer_no();

-- Recomputes the customer sets of the given (store, day) pairs from raw rows.
-- Each pair's row is created if missing and locked (in key order) before the
-- raw rows are read, so a concurrent writer of the same day either finished
-- before (and is seen) or waits (and adds after).
CREATE FUNCTION zava.recompute_customer_sets(stores uuid[], days date[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO retail.daily_store_customers AS t (store_id, day, customers, customer_set)
    SELECT DISTINCT k.store_id, k.day, 0, zava.customer_set('{}')
      FROM unnest(stores, days) AS k(store_id, day)
     ORDER BY 1, 2
    ON CONFLICT (store_id, day) DO NOTHING;
    PERFORM FROM retail.daily_store_customers t
      WHERE (t.store_id, t.day) IN (SELECT * FROM unnest(stores, days))
      ORDER BY t.store_id, t.day FOR UPDATE;
    UPDATE retail.daily_store_customers t
       SET customer_set = r.customer_set, customers = r.customers
      FROM (SELECT k.store_id, k.day, count(DISTINCT c.customer_no)::integer AS customers,
                   zava.customer_set(coalesce(array_agg(c.customer_no) FILTER (WHERE c.customer_no IS NOT NULL), '{}')) AS customer_set
              FROM (SELECT DISTINCT * FROM unnest(stores, days)) AS k(store_id, day)
              LEFT JOIN retail.orders o ON o.store_id = k.store_id AND o.order_date = k.day AND o.status = 'completed'
              LEFT JOIN retail.customers c ON c.customer_id = o.customer_id
             GROUP BY 1, 2) r
     WHERE t.store_id = r.store_id AND t.day = r.day;
    -- Their months: each the union of its days' sets, read after the months'
    -- rows are locked (a new statement sees every day committed before).
    INSERT INTO retail.monthly_store_customers AS t (store_id, month, customers, customer_set)
    SELECT DISTINCT k.store_id, date_trunc('month', k.day)::date, 0, zava.customer_set('{}')
      FROM unnest(stores, days) AS k(store_id, day)
     ORDER BY 1, 2
    ON CONFLICT (store_id, month) DO NOTHING;
    PERFORM FROM retail.monthly_store_customers t
      WHERE (t.store_id, t.month) IN (SELECT k.store_id, date_trunc('month', k.day)::date FROM unnest(stores, days) AS k(store_id, day))
      ORDER BY t.store_id, t.month FOR UPDATE;
    UPDATE retail.monthly_store_customers t
       SET customer_set = r.customer_set, customers = zava.customer_set_union_count(ARRAY[r.customer_set])
      FROM (SELECT k.store_id, k.month, zava.customer_set_union_all(array_agg(d.customer_set)) AS customer_set
              FROM (SELECT DISTINCT k.store_id, date_trunc('month', k.day)::date AS month
                      FROM unnest(stores, days) AS k(store_id, day)) k
              LEFT JOIN retail.daily_store_customers d
                ON d.store_id = k.store_id AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
             GROUP BY 1, 2) r
     WHERE t.store_id = r.store_id AND t.month = r.month;
END
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
            cost = t.cost + excluded.cost$q$)) u(n, stmt)
$$;

CREATE OR REPLACE FUNCTION zava.rollup_order_items() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lines text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT n.*, 1 AS sign FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT o.*, -1 AS sign FROM old_rows o'
        ELSE 'SELECT n.*, 1 AS sign FROM new_rows n UNION ALL SELECT o.*, -1 AS sign FROM old_rows o' END;
    stmt text;
    orphans bigint;
BEGIN
    IF zava.rollups_paused() THEN  -- the demo loader rebuilds at the end
        RETURN NULL;
    END IF;
    -- A line whose order is gone was deleted together with it in one statement
    -- (a data-modifying WITH): its contribution can no longer be attributed.
    EXECUTE format('SELECT count(*) FROM (%s) l WHERE NOT EXISTS
                     (SELECT FROM retail.orders o WHERE o.store_id = l.store_id AND o.order_id = l.order_id)', lines)
        INTO orphans;
    IF orphans > 0 THEN
        RAISE EXCEPTION 'order lines and their orders must be changed in separate statements'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Delete an order''s lines first, then the order, in two statements.';
    END IF;
    -- Hold the lines' orders steady: a concurrent status or date change waits.
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM retail.orders o
                     WHERE (o.store_id, o.order_id) IN (SELECT store_id, order_id FROM (%s) l)
                     ORDER BY o.store_id, o.order_id FOR SHARE) x', lines);
    FOREACH stmt IN ARRAY zava.rollup_upserts(zava.line_delta(lines)) LOOP
        EXECUTE stmt;
    END LOOP;
    RETURN NULL;
END
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
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost
              FROM new_rows WHERE status = 'completed'$q$);
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(store_id ORDER BY store_id, day), array_agg(day ORDER BY store_id, day) INTO stores, days
          FROM (SELECT DISTINCT store_id, order_date AS day FROM old_rows WHERE status = 'completed') k;
        -- Lines cannot outlive their order (ON DELETE RESTRICT): only the count changes.
        delta := ($q$
            SELECT store_id, order_date AS day, NULL::uuid AS category_id, NULL::uuid AS product_id, -1::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost
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
        -- A changed status or business day moves the whole order: take out what
        -- it counted for before, put in what it counts for now.
        delta := ($q$
            WITH changed AS (
                SELECT o.store_id AS old_store, o.order_date AS old_day, o.status = 'completed' AS was,
                       n.store_id AS new_store, n.order_date AS new_day, n.status = 'completed' AS is_now,
                       n.order_id
                  FROM old_rows o JOIN new_rows n USING (order_id)
                 WHERE (o.status, o.order_date, o.store_id) IS DISTINCT FROM (n.status, n.order_date, n.store_id)),
            sides AS (
                SELECT old_store AS store_id, old_day AS day, order_id, -1 AS sign FROM changed WHERE was
                UNION ALL
                SELECT new_store, new_day, order_id, 1 FROM changed WHERE is_now)
            SELECT s.store_id, s.day, NULL::uuid AS category_id, NULL::uuid AS product_id, s.sign::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost
              FROM sides s
            UNION ALL
            SELECT s.store_id, s.day, p.category_id, l.product_id, 0, (s.sign * l.quantity)::bigint, s.sign * l.line_total,
                   s.sign * l.quantity * l.unit_price, s.sign * l.discount_amount, s.sign * l.quantity * l.unit_cost
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

-- TRUNCATE fires no row or statement DELETE triggers: rebuild instead.
CREATE OR REPLACE FUNCTION zava.rollup_after_truncate() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT zava.rollups_paused() THEN
        PERFORM zava.rebuild_rollups();
    END IF;
    RETURN NULL;
END
$$;

-- The customer sets as plain SQL over raw rows would compute them.
CREATE FUNCTION zava.customer_sets_from_raw_rows() RETURNS TABLE (
    store_id uuid, day date, customers integer, customer_set bytea)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.store_id, o.order_date, count(DISTINCT c.customer_no)::integer, zava.customer_set(array_agg(c.customer_no))
      FROM retail.orders o JOIN retail.customers c ON c.customer_id = o.customer_id
     WHERE o.status = 'completed' GROUP BY 1, 2
$$;

-- Recomputes every rollup from raw rows and reports every difference.
-- Administrators only (it must see every store).
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
          FROM raw_customers GROUP BY 2, 3),
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
          FROM retail.monthly_store_customers WHERE customers <> 0 OR customer_set <> zava.customer_set('{}')),
    month_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.month, t.month), coalesce(r.key, t.key),
               jsonb_build_object('monthly', coalesce(r.rollup, t.rollup)) || coalesce(t.v, 'null'), r.v
          FROM raw_months r
          FULL JOIN rollup_months t
            ON t.rollup = r.rollup AND t.store_id = r.store_id AND t.month = r.month AND t.key IS NOT DISTINCT FROM r.key
         WHERE t.v IS DISTINCT FROM r.v),
    diffs AS (SELECT * FROM store_diff UNION ALL SELECT * FROM cat_diff UNION ALL SELECT * FROM product_diff
              UNION ALL SELECT * FROM customer_diff UNION ALL SELECT * FROM month_diff)
    SELECT jsonb_build_object(
        'ok', NOT EXISTS (SELECT FROM diffs),
        'differences', (SELECT count(*) FROM diffs),
        'store_days', (SELECT count(*) FROM raw_store),
        'category_days', (SELECT count(*) FROM raw_cat),
        'product_days', (SELECT count(*) FROM raw_product),
        'customer_days', (SELECT count(*) FROM raw_customers),
        'month_rows', (SELECT count(*) FROM raw_months),
        'first_differences', coalesce((SELECT jsonb_agg(to_jsonb(d)) FROM (SELECT * FROM diffs ORDER BY 1, 2, 3 LIMIT 20) d), '[]'))
$$;

-- Rebuilds every rollup from raw rows. Administrators only.
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
END
$$;

REVOKE EXECUTE ON FUNCTION zava.recompute_customer_sets(uuid[], date[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.keep_customer_no() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.recompute_customer_sets(uuid[], date[]) TO zava_admin;
GRANT SELECT ON retail.daily_store_customers, retail.monthly_store_sales, retail.monthly_category_sales,
    retail.monthly_product_sales, retail.monthly_store_customers TO zava_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON retail.daily_store_customers, retail.monthly_store_sales, retail.monthly_category_sales,
    retail.monthly_product_sales, retail.monthly_store_customers TO zava_admin;

-- Tenant isolation, as sql/security.sql gives every per-store table.
ALTER TABLE retail.daily_store_customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.daily_store_customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.daily_store_customers FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.daily_store_customers FOR ALL TO zava_admin USING (true) WITH CHECK (true);
ALTER TABLE retail.monthly_store_sales ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.monthly_store_sales FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.monthly_store_sales FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.monthly_store_sales FOR ALL TO zava_admin USING (true) WITH CHECK (true);
ALTER TABLE retail.monthly_category_sales ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.monthly_category_sales FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.monthly_category_sales FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.monthly_category_sales FOR ALL TO zava_admin USING (true) WITH CHECK (true);
ALTER TABLE retail.monthly_product_sales ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.monthly_product_sales FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.monthly_product_sales FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.monthly_product_sales FOR ALL TO zava_admin USING (true) WITH CHECK (true);
ALTER TABLE retail.monthly_store_customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.monthly_store_customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.monthly_store_customers FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.monthly_store_customers FOR ALL TO zava_admin USING (true) WITH CHECK (true);

-- The sets and the monthly rollups of the orders already here.
SELECT zava.rebuild_rollups();

-- The additive figures of stores over [a, b), plus unique customers.
CREATE FUNCTION zava.store_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, orders bigint, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.daily_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
$$;

CREATE FUNCTION zava.category_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, category_id uuid, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.daily_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
$$;

CREATE FUNCTION zava.product_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, product_id uuid, units bigint, revenue numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.monthly_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.daily_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
$$;

CREATE FUNCTION zava.unique_customers_between(stores uuid[], a date, b date) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT zava.customer_set_union_count(array_agg(x.customer_set))
      FROM (SELECT c.customer_set
              FROM retail.monthly_store_customers c, zava.period_months(a, b) m
             WHERE c.store_id = ANY (stores) AND c.month >= m.m1 AND c.month < m.m2
            UNION ALL
            SELECT c.customer_set
              FROM retail.daily_store_customers c, zava.period_months(a, b) m
             WHERE c.store_id = ANY (stores) AND ((c.day >= a AND c.day < m.m1) OR (c.day >= m.m2 AND c.day < b))) x
$$;

CREATE OR REPLACE FUNCTION zava.period_figures(stores uuid[], a date, b date) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'revenue', coalesce(sum(d.revenue), 0),
        'orders', coalesce(sum(d.orders), 0),
        'units', coalesce(sum(d.units), 0),
        'gross', coalesce(sum(d.gross), 0),
        'discounts', coalesce(sum(d.discounts), 0),
        'cost', coalesce(sum(d.cost), 0),
        'gross_margin', coalesce(sum(d.revenue) - sum(d.cost), 0),
        'gross_margin_pct', round(100 * (sum(d.revenue) - sum(d.cost)) / nullif(sum(d.revenue), 0), 2),
        'average_order_value', round(sum(d.revenue) / nullif(sum(d.orders), 0), 2),
        'discount_rate_pct', round(100 * sum(d.discounts) / nullif(sum(d.gross), 0), 2),
        'unique_customers', zava.unique_customers_between(stores, a, b))
      FROM zava.store_sales_between(stores, a, b) d
$$;

-- Products whose stock lasts fewer than min_days_of_cover days at the sales
-- velocity of the 28 days up to the as-of date (only products that sold).
CREATE OR REPLACE FUNCTION zava.inventory_alerts(store_id uuid DEFAULT NULL, min_days_of_cover int DEFAULT 14)
RETURNS TABLE (store_name text, sku text, product_name text, stock_level integer, reorder_point integer,
               units_sold_28d bigint, daily_velocity numeric, days_of_cover numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    as_of date := zava.as_of_date();
BEGIN
    IF min_days_of_cover IS NULL OR min_days_of_cover NOT BETWEEN 1 AND 365 THEN
        RAISE EXCEPTION 'min_days_of_cover must be between 1 and 365 (got %)', min_days_of_cover
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT s.store_name, pr.sku, pr.product_name, i.stock_level, i.reorder_point, v.units,
           round(v.units / 28.0, 3), round(i.stock_level / (v.units / 28.0), 1)
      FROM (SELECT d.store_id, d.product_id, sum(d.units)::bigint AS units
              FROM retail.daily_product_sales d
             WHERE d.store_id = ANY (stores) AND d.day > as_of - 28 AND d.day <= as_of
             GROUP BY 1, 2 HAVING sum(d.units) > 0) v
      JOIN retail.inventory i ON i.store_id = v.store_id AND i.product_id = v.product_id
      JOIN retail.stores s ON s.store_id = v.store_id
      JOIN retail.products pr ON pr.product_id = v.product_id
     WHERE i.stock_level / (v.units / 28.0) < min_days_of_cover
     ORDER BY 8, 1, 2;
END
$$;

CREATE OR REPLACE FUNCTION zava.store_performance(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days')
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
    cur jsonb;
    prev jsonb;
    cats jsonb;
    prods jsonb;
    k text;
    changes jsonb := '{}';
BEGIN
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    cur := zava.period_figures(stores, p.start_date, p.end_date);
    prev := zava.period_figures(stores, p.previous_start, p.start_date);
    FOREACH k IN ARRAY ARRAY['revenue', 'orders', 'units', 'unique_customers', 'gross_margin', 'average_order_value'] LOOP
        changes := changes || jsonb_build_object(k, jsonb_build_object(
            'absolute', (cur->>k)::numeric - (prev->>k)::numeric,
            'pct', round(100 * ((cur->>k)::numeric - (prev->>k)::numeric) / nullif((prev->>k)::numeric, 0), 1)));
    END LOOP;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'category', c.category_name, 'revenue', x.now_revenue, 'previous_revenue', x.before_revenue,
               'share_pct', round(100 * x.now_revenue / nullif((cur->>'revenue')::numeric, 0), 1),
               'change_pct', round(100 * (x.now_revenue - x.before_revenue) / nullif(x.before_revenue, 0), 1))
               ORDER BY x.now_revenue DESC, c.category_name), '[]')
      INTO cats
      FROM (SELECT y.category_id, sum(y.now_revenue) AS now_revenue, sum(y.before_revenue) AS before_revenue
              FROM (SELECT d.category_id, d.revenue AS now_revenue, 0 AS before_revenue
                      FROM zava.category_sales_between(stores, p.start_date, p.end_date) d
                    UNION ALL
                    SELECT d.category_id, 0, d.revenue
                      FROM zava.category_sales_between(stores, p.previous_start, p.start_date) d) y
             GROUP BY 1) x
      JOIN retail.categories c USING (category_id);
    SELECT coalesce(jsonb_agg(jsonb_build_object('product', t.product_name, 'sku', t.sku, 'revenue', t.revenue, 'units', t.units)
                              ORDER BY t.revenue DESC, t.sku), '[]')
      INTO prods
      FROM (SELECT pr.product_name, pr.sku, x.revenue, x.units
              FROM (SELECT d.product_id, sum(d.revenue) AS revenue, sum(d.units) AS units
                      FROM zava.product_sales_between(stores, p.start_date, p.end_date) d GROUP BY 1) x
              JOIN retail.products pr ON pr.product_id = x.product_id
             ORDER BY 3 DESC, 2 LIMIT 5) t;
    RETURN jsonb_build_object(
        'store_id', store_id,
        'stores', cardinality(stores),
        'as_of', zava.as_of_date(),
        'period', jsonb_build_object('name', period, 'start', p.start_date, 'end', p.end_date - 1, 'days', p.days),
        'previous_period', jsonb_build_object('start', p.previous_start, 'end', p.start_date - 1, 'days', p.days),
        'current', cur,
        'previous', prev,
        'change', changes,
        'top_categories', (SELECT coalesce(jsonb_agg(e), '[]') FROM (SELECT e FROM jsonb_array_elements(cats) e LIMIT 5) s),
        'top_products', prods,
        'insights', to_jsonb(zava.performance_insights(cur, prev, cats, p.previous_label)));
END
$$;

CREATE OR REPLACE FUNCTION zava.top_products(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days', k int DEFAULT 10,
                                  by text DEFAULT 'revenue')
RETURNS TABLE (rank bigint, product_id uuid, sku text, product_name text, category text, revenue numeric, units bigint, margin numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
BEGIN
    IF by IS NULL OR by NOT IN ('revenue', 'units', 'margin') THEN
        RAISE EXCEPTION 'unknown ranking "%"; use one of revenue, units, margin', by USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'k must be between 1 and 100 (got %)', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    RETURN QUERY
    SELECT row_number() OVER (ORDER BY CASE by WHEN 'units' THEN t.units::numeric WHEN 'margin' THEN t.margin ELSE t.revenue END DESC, t.sku),
           t.product_id, t.sku, t.product_name, t.category, t.revenue, t.units, t.margin
      FROM (SELECT pr.product_id, pr.sku, pr.product_name, c.category_name AS category, sum(d.revenue) AS revenue,
                   sum(d.units)::bigint AS units, sum(d.revenue - d.cost) AS margin
              FROM zava.product_sales_between(stores, p.start_date, p.end_date) d
              JOIN retail.products pr ON pr.product_id = d.product_id
              JOIN retail.categories c ON c.category_id = pr.category_id
             GROUP BY 1, 2, 3, 4) t
     ORDER BY 1
     LIMIT k;
END
$$;

CREATE OR REPLACE FUNCTION zava.category_breakdown(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days')
RETURNS TABLE (category text, revenue numeric, units bigint, gross_margin numeric, share_pct numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
BEGIN
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    RETURN QUERY
    SELECT c.category_name, x.revenue, x.units, x.revenue - x.cost,
           round(100 * x.revenue / nullif(sum(x.revenue) OVER (), 0), 2)
      FROM (SELECT d.category_id, sum(d.revenue) AS revenue, sum(d.units)::bigint AS units, sum(d.cost) AS cost
              FROM zava.category_sales_between(stores, p.start_date, p.end_date) d
             GROUP BY 1) x
      JOIN retail.categories c USING (category_id)
     ORDER BY 2 DESC, 1;
END
$$;
