-- Daily sales rollups, kept exact by triggers.
--
-- Additive figures of *completed* orders per store and business day (and per
-- category), so a period's revenue, orders, units, discounts and cost are
-- read from (days × stores) rows instead of every order line.
--
-- Exactness: statement-level triggers on orders and order_items turn each
-- statement's transition tables into signed deltas and add them with
-- INSERT … ON CONFLICT DO UPDATE (row locks serialise concurrent writers; rows
-- are written in key order to keep deadlocks rare). A line's trigger locks its
-- order FOR SHARE first, so a concurrent status change waits for it (and it for
-- the change). zava.verify_rollups() recomputes everything from raw rows.
--
-- One limit: a single statement that changes both orders and their lines
-- (data-modifying WITH) is refused when lines lose their order, and is not
-- supported otherwise; use one statement per table.
--
-- Not registered for pg_dump: a restore's COPY into orders and order_items
-- fires these triggers and rebuilds the rollups from the restored rows.

CREATE TABLE retail.daily_store_sales (
    store_id  uuid NOT NULL REFERENCES retail.stores,
    day       date NOT NULL,
    orders    bigint NOT NULL DEFAULT 0,
    units     bigint NOT NULL DEFAULT 0,
    revenue   numeric(16,2) NOT NULL DEFAULT 0,  -- sum(line_total)
    gross     numeric(16,2) NOT NULL DEFAULT 0,  -- sum(quantity × unit_price)
    discounts numeric(16,2) NOT NULL DEFAULT 0,  -- sum(discount_amount)
    cost      numeric(16,2) NOT NULL DEFAULT 0,  -- sum(quantity × unit_cost)
    PRIMARY KEY (store_id, day)
);
COMMENT ON TABLE retail.daily_store_sales IS 'Completed sales per store and business day (America/Los_Angeles); maintained by triggers, checked by zava.verify_rollups()';

CREATE TABLE retail.daily_category_sales (
    store_id    uuid NOT NULL REFERENCES retail.stores,
    day         date NOT NULL,
    category_id uuid NOT NULL REFERENCES retail.categories,
    units       bigint NOT NULL DEFAULT 0,
    revenue     numeric(16,2) NOT NULL DEFAULT 0,
    gross       numeric(16,2) NOT NULL DEFAULT 0,
    discounts   numeric(16,2) NOT NULL DEFAULT 0,
    cost        numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, day, category_id)
);
COMMENT ON TABLE retail.daily_category_sales IS 'Completed sales per store, business day and category; maintained by triggers';

CREATE TABLE retail.daily_product_sales (
    store_id   uuid NOT NULL REFERENCES retail.stores,
    day        date NOT NULL,
    product_id uuid NOT NULL REFERENCES retail.products,
    units      bigint NOT NULL DEFAULT 0,
    revenue    numeric(16,2) NOT NULL DEFAULT 0,
    cost       numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, day, product_id)
);
COMMENT ON TABLE retail.daily_product_sales IS 'Completed sales per store, business day and product (for rankings); maintained by triggers';

-- The upserts that add a delta — a query over (store_id, day, category_id,
-- product_id, orders, units, revenue, gross, discounts, cost) — to the rollups. The
-- trigger functions EXECUTE them themselves: transition tables are visible
-- only inside the trigger function.
CREATE FUNCTION zava.rollup_upserts(delta text) RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT ARRAY[format($q$
        INSERT INTO retail.daily_store_sales AS t (store_id, day, orders, units, revenue, gross, discounts, cost)
        SELECT store_id, day, sum(orders), sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM (%s) d GROUP BY store_id, day ORDER BY store_id, day
        ON CONFLICT (store_id, day) DO UPDATE SET
            orders = t.orders + excluded.orders, units = t.units + excluded.units,
            revenue = t.revenue + excluded.revenue, gross = t.gross + excluded.gross,
            discounts = t.discounts + excluded.discounts, cost = t.cost + excluded.cost$q$, delta),
    format($q$
        INSERT INTO retail.daily_category_sales AS t (store_id, day, category_id, units, revenue, gross, discounts, cost)
        SELECT store_id, day, category_id, sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
          FROM (%s) d WHERE category_id IS NOT NULL
         GROUP BY store_id, day, category_id ORDER BY store_id, day, category_id
        ON CONFLICT (store_id, day, category_id) DO UPDATE SET
            units = t.units + excluded.units, revenue = t.revenue + excluded.revenue,
            gross = t.gross + excluded.gross, discounts = t.discounts + excluded.discounts,
            cost = t.cost + excluded.cost$q$, delta),
    format($q$
        INSERT INTO retail.daily_product_sales AS t (store_id, day, product_id, units, revenue, cost)
        SELECT store_id, day, product_id, sum(units), sum(revenue), sum(cost)
          FROM (%s) d WHERE product_id IS NOT NULL
         GROUP BY store_id, day, product_id ORDER BY store_id, day, product_id
        ON CONFLICT (store_id, day, product_id) DO UPDATE SET
            units = t.units + excluded.units, revenue = t.revenue + excluded.revenue,
            cost = t.cost + excluded.cost$q$, delta)]
$$;

-- The signed contribution of order lines (a query over `lines` with a `sign`
-- column) to completed orders' days.
CREATE FUNCTION zava.line_delta(lines text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format($q$
        SELECT o.store_id, o.order_date AS day, p.category_id, l.product_id, 0::bigint AS orders,
               (l.sign * l.quantity)::bigint AS units, l.sign * l.line_total AS revenue,
               l.sign * l.quantity * l.unit_price AS gross, l.sign * l.discount_amount AS discounts,
               l.sign * l.quantity * l.unit_cost AS cost
          FROM (%s) l
          JOIN retail.orders o ON o.store_id = l.store_id AND o.order_id = l.order_id
          JOIN retail.products p ON p.product_id = l.product_id
         WHERE o.status = 'completed'$q$, lines)
$$;

CREATE FUNCTION zava.rollup_order_items() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lines text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT n.*, 1 AS sign FROM new_rows n'
        WHEN 'DELETE' THEN 'SELECT o.*, -1 AS sign FROM old_rows o'
        ELSE 'SELECT n.*, 1 AS sign FROM new_rows n UNION ALL SELECT o.*, -1 AS sign FROM old_rows o' END;
    stmt text;
    orphans bigint;
BEGIN
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

CREATE FUNCTION zava.rollup_orders() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    delta text;
    stmt text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta := ($q$
            SELECT store_id, order_date AS day, NULL::uuid AS category_id, NULL::uuid AS product_id, 1::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost
              FROM new_rows WHERE status = 'completed'$q$);
    ELSIF TG_OP = 'DELETE' THEN
        -- Lines cannot outlive their order (ON DELETE RESTRICT): only the count changes.
        delta := ($q$
            SELECT store_id, order_date AS day, NULL::uuid AS category_id, NULL::uuid AS product_id, -1::bigint AS orders, 0::bigint AS units,
                   0::numeric AS revenue, 0::numeric AS gross, 0::numeric AS discounts, 0::numeric AS cost
              FROM old_rows WHERE status = 'completed'$q$);
    ELSE
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
    RETURN NULL;
END
$$;

-- TRUNCATE fires no row or statement DELETE triggers: rebuild instead.
CREATE FUNCTION zava.rollup_after_truncate() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM zava.rebuild_rollups();
    RETURN NULL;
END
$$;

CREATE TRIGGER rollup_insert AFTER INSERT ON retail.order_items
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_order_items();
CREATE TRIGGER rollup_update AFTER UPDATE ON retail.order_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_order_items();
CREATE TRIGGER rollup_delete AFTER DELETE ON retail.order_items
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_order_items();
CREATE TRIGGER rollup_insert AFTER INSERT ON retail.orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_orders();
CREATE TRIGGER rollup_update AFTER UPDATE ON retail.orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_orders();
CREATE TRIGGER rollup_delete AFTER DELETE ON retail.orders
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_orders();
CREATE TRIGGER rollup_truncate AFTER TRUNCATE ON retail.order_items
    FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_after_truncate();
CREATE TRIGGER rollup_truncate AFTER TRUNCATE ON retail.orders
    FOR EACH STATEMENT EXECUTE FUNCTION zava.rollup_after_truncate();

-- The rollups as plain SQL over raw rows would compute them (non-zero rows).
-- Rows per store, day and product (orders as rows with no product).
CREATE FUNCTION zava.rollups_from_raw_rows() RETURNS TABLE (
    store_id uuid, day date, category_id uuid, product_id uuid, orders bigint, units bigint,
    revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.store_id, o.order_date, NULL::uuid, NULL::uuid, count(*)::bigint, 0::bigint, 0, 0, 0, 0
      FROM retail.orders o WHERE o.status = 'completed' GROUP BY 1, 2
    UNION ALL
    SELECT o.store_id, o.order_date, p.category_id, l.product_id, 0, sum(l.quantity)::bigint, sum(l.line_total),
           sum(l.quantity * l.unit_price), sum(l.discount_amount), sum(l.quantity * l.unit_cost)
      FROM retail.order_items l
      JOIN retail.orders o ON o.store_id = l.store_id AND o.order_id = l.order_id
      JOIN retail.products p ON p.product_id = l.product_id
     WHERE o.status = 'completed' GROUP BY 1, 2, 3, 4
$$;

-- Recomputes both rollups from raw rows and reports every difference.
-- Administrators only (it must see every store).
CREATE FUNCTION zava.verify_rollups() RETURNS jsonb
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
    diffs AS (SELECT * FROM store_diff UNION ALL SELECT * FROM cat_diff UNION ALL SELECT * FROM product_diff)
    SELECT jsonb_build_object(
        'ok', NOT EXISTS (SELECT FROM diffs),
        'differences', (SELECT count(*) FROM diffs),
        'store_days', (SELECT count(*) FROM raw_store),
        'category_days', (SELECT count(*) FROM raw_cat),
        'product_days', (SELECT count(*) FROM raw_product),
        'first_differences', coalesce((SELECT jsonb_agg(to_jsonb(d)) FROM (SELECT * FROM diffs ORDER BY 1, 2, 3 LIMIT 20) d), '[]'))
$$;

-- Rebuilds both rollups from raw rows. Administrators only.
CREATE FUNCTION zava.rebuild_rollups() RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM retail.daily_store_sales;
    DELETE FROM retail.daily_category_sales;
    DELETE FROM retail.daily_product_sales;
    INSERT INTO retail.daily_store_sales (store_id, day, orders, units, revenue, gross, discounts, cost)
    SELECT store_id, day, sum(orders), sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
      FROM zava.rollups_from_raw_rows() GROUP BY 1, 2;
    INSERT INTO retail.daily_category_sales (store_id, day, category_id, units, revenue, gross, discounts, cost)
    SELECT store_id, day, category_id, sum(units), sum(revenue), sum(gross), sum(discounts), sum(cost)
      FROM zava.rollups_from_raw_rows() WHERE category_id IS NOT NULL GROUP BY 1, 2, 3;
    INSERT INTO retail.daily_product_sales (store_id, day, product_id, units, revenue, cost)
    SELECT store_id, day, product_id, units, revenue, cost
      FROM zava.rollups_from_raw_rows() WHERE product_id IS NOT NULL;
END
$$;

REVOKE EXECUTE ON FUNCTION zava.verify_rollups() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.rebuild_rollups() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.verify_rollups(), zava.rebuild_rollups() TO zava_admin;
GRANT SELECT ON retail.daily_store_sales, retail.daily_category_sales, retail.daily_product_sales TO zava_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON retail.daily_store_sales, retail.daily_category_sales, retail.daily_product_sales TO zava_admin;
