-- zava 0.9.0 → 0.10.0: a checkout no longer pays for the rollups (issue 32).
-- The definitions are exactly what a fresh 0.10.0 install generates
-- (tests/e2e/upgrade.sh compares the two catalogs).
--
-- * The rollup triggers append each statement's signed changes to the new
--   change log retail.sales_log instead of rewriting 14 rollup tables; the
--   merger (zava.merge_log, run by the zava merger background worker of the
--   preloaded library; zava.merge_now by hand) folds committed log rows into
--   the rollups and deletes them, one transaction per batch.
-- * Every analytics reader adds the unmerged log rows of its period and
--   stores (the zava.pending_* views, the *_between functions, and
--   customer_sets_between for distinct customers), and verify_rollups checks
--   the rollups with the log: exact at every moment.
-- * The existing rollups stay as they are; the log starts empty. Customer sets
--   and packed buyers are stored uncompressed (STORAGE EXTERNAL).

-- Sets and packs are compact binary already: stored uncompressed from now on
-- (values already written stay as they are until the merger rewrites them).
ALTER TABLE retail.daily_store_customers ALTER COLUMN customer_set SET STORAGE EXTERNAL;
ALTER TABLE retail.monthly_store_customers ALTER COLUMN customer_set SET STORAGE EXTERNAL;
ALTER TABLE retail.daily_store_buyers ALTER COLUMN buyers SET STORAGE EXTERNAL;
ALTER TABLE retail.monthly_store_buyers ALTER COLUMN buyers SET STORAGE EXTERNAL;

CREATE TABLE retail.sales_log (
    store_id    uuid NOT NULL,
    day         date NOT NULL,
    category_id uuid,            -- NULL: an order's own row (orders ±1, no line)
    product_id  uuid,
    customer_id uuid NOT NULL,
    orders      bigint NOT NULL,
    units       bigint NOT NULL,
    revenue     numeric NOT NULL,
    gross       numeric NOT NULL,
    discounts   numeric NOT NULL,
    cost        numeric NOT NULL,
    logged_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sales_log_store_day ON retail.sales_log (store_id, day);
COMMENT ON TABLE retail.sales_log IS 'Changes to completed sales not yet merged into the rollups (signed; one row per store, day, product and customer of a statement); appended by triggers, merged and deleted by zava.merge_log';

-- What the merger has done (one row, written by the merger only).
CREATE TABLE zava.merge_progress (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    last_merge  timestamptz,
    merged_rows bigint NOT NULL DEFAULT 0,
    batches     bigint NOT NULL DEFAULT 0
);
INSERT INTO zava.merge_progress DEFAULT VALUES;

-- The library's new function (the triggers call it after they logged).
CREATE FUNCTION zava."merge_wanted"() RETURNS void
STRICT VOLATILE PARALLEL UNSAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'merge_wanted_wrapper';

CREATE OR REPLACE FUNCTION zava.recompute_customer_sets(stores uuid[], days date[]) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO retail.daily_store_customers AS t (store_id, day, customers, customer_set)
    SELECT k.store_id, k.day, count(c.customer_no)::integer,
           zava.customer_set(coalesce(array_agg(c.customer_no) FILTER (WHERE c.customer_no IS NOT NULL), '{}'))
      FROM (SELECT DISTINCT * FROM unnest(stores, days)) AS k(store_id, day)
      LEFT JOIN retail.daily_customer_sales s ON s.store_id = k.store_id AND s.day = k.day AND s.orders > 0
      LEFT JOIN zava.customer_numbers c ON c.customer_id = s.customer_id
     GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (store_id, day) DO UPDATE SET customers = excluded.customers, customer_set = excluded.customer_set;
    INSERT INTO retail.monthly_store_customers AS t (store_id, month, customers, customer_set)
    SELECT m.store_id, m.month, zava.customer_set_union_count(ARRAY[m.s]), m.s
      FROM (SELECT k.store_id, k.month, zava.customer_set_union_all(array_agg(d.customer_set)) AS s
              FROM (SELECT DISTINCT k.store_id, date_trunc('month', k.day)::date AS month
                      FROM unnest(stores, days) AS k(store_id, day)) k
              LEFT JOIN retail.daily_store_customers d
                ON d.store_id = k.store_id AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
             GROUP BY 1, 2) m
     ORDER BY 1, 2
    ON CONFLICT (store_id, month) DO UPDATE SET customers = excluded.customers, customer_set = excluded.customer_set;
END
$$;

CREATE OR REPLACE FUNCTION zava.rollup_order_items() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF zava.rollups_paused() THEN  -- the demo loader rebuilds at the end
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- The lines' orders are locked FOR SHARE first (a concurrent status or
        -- day change waits), then read by a new statement, which sees the
        -- version that was locked. (Locking and reading in one statement is
        -- not the same: a row changed while the lock waited can drop out of a
        -- join's recheck.)
        PERFORM FROM retail.orders x WHERE (x.store_id, x.order_id) IN (SELECT store_id, order_id FROM new_rows)
          ORDER BY x.store_id, x.order_id FOR SHARE;
        INSERT INTO retail.sales_log (store_id, day, category_id, product_id, customer_id,
                                      orders, units, revenue, gross, discounts, cost)
        SELECT o.store_id, o.order_date, p.category_id, l.product_id, o.customer_id, 0, sum(l.quantity),
               sum(l.line_total), sum(l.quantity * l.unit_price), sum(l.discount_amount), sum(l.quantity * l.unit_cost)
          FROM new_rows l
          JOIN retail.orders o ON o.store_id = l.store_id AND o.order_id = l.order_id
          JOIN retail.products p ON p.product_id = l.product_id
         WHERE o.status = 'completed'
         GROUP BY 1, 2, 3, 4, 5;
    ELSE
        -- A line whose order is gone was deleted together with it in one
        -- statement (a data-modifying WITH): it can no longer be attributed.
        IF EXISTS (SELECT FROM old_rows l WHERE NOT EXISTS
                     (SELECT FROM retail.orders o WHERE o.store_id = l.store_id AND o.order_id = l.order_id)) THEN
            RAISE EXCEPTION 'order lines and their orders must be changed in separate statements'
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Delete an order''s lines first, then the order, in two statements.';
        END IF;
        IF TG_OP = 'UPDATE' THEN
            PERFORM FROM retail.orders x WHERE (x.store_id, x.order_id) IN (SELECT store_id, order_id FROM new_rows
                                                                              UNION SELECT store_id, order_id FROM old_rows)
              ORDER BY x.store_id, x.order_id FOR SHARE;
            INSERT INTO retail.sales_log (store_id, day, category_id, product_id, customer_id,
                                          orders, units, revenue, gross, discounts, cost)
            SELECT o.store_id, o.order_date, p.category_id, l.product_id, o.customer_id, 0, sum(l.sign * l.quantity),
                   sum(l.sign * l.line_total), sum(l.sign * l.quantity * l.unit_price), sum(l.sign * l.discount_amount),
                   sum(l.sign * l.quantity * l.unit_cost)
              FROM (SELECT n.store_id, n.order_id, n.product_id, n.quantity, n.line_total, n.unit_price, n.discount_amount,
                           n.unit_cost, 1 AS sign FROM new_rows n
                    UNION ALL
                    SELECT d.store_id, d.order_id, d.product_id, d.quantity, d.line_total, d.unit_price, d.discount_amount,
                           d.unit_cost, -1 FROM old_rows d) l
              JOIN retail.orders o ON o.store_id = l.store_id AND o.order_id = l.order_id
              JOIN retail.products p ON p.product_id = l.product_id
             WHERE o.status = 'completed'
             GROUP BY 1, 2, 3, 4, 5;
        ELSE
            PERFORM FROM retail.orders x WHERE (x.store_id, x.order_id) IN (SELECT store_id, order_id FROM old_rows)
              ORDER BY x.store_id, x.order_id FOR SHARE;
            INSERT INTO retail.sales_log (store_id, day, category_id, product_id, customer_id,
                                          orders, units, revenue, gross, discounts, cost)
            SELECT o.store_id, o.order_date, p.category_id, l.product_id, o.customer_id, 0, -sum(l.quantity),
                   -sum(l.line_total), -sum(l.quantity * l.unit_price), -sum(l.discount_amount), -sum(l.quantity * l.unit_cost)
              FROM old_rows l
              JOIN retail.orders o ON o.store_id = l.store_id AND o.order_id = l.order_id
              JOIN retail.products p ON p.product_id = l.product_id
             WHERE o.status = 'completed'
             GROUP BY 1, 2, 3, 4, 5;
        END IF;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM zava.merge_wanted();
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION zava.rollup_orders() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF zava.rollups_paused() THEN  -- the demo loader rebuilds at the end
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO retail.sales_log (store_id, day, customer_id, orders, units, revenue, gross, discounts, cost)
        SELECT store_id, order_date, customer_id, count(*), 0, 0, 0, 0, 0
          FROM new_rows WHERE status = 'completed' GROUP BY 1, 2, 3;
    ELSIF TG_OP = 'DELETE' THEN
        -- Lines cannot outlive their order (ON DELETE RESTRICT): only the count changes.
        INSERT INTO retail.sales_log (store_id, day, customer_id, orders, units, revenue, gross, discounts, cost)
        SELECT store_id, order_date, customer_id, -count(*), 0, 0, 0, 0, 0
          FROM old_rows WHERE status = 'completed' GROUP BY 1, 2, 3;
    ELSE
        -- A changed status, business day, store or customer moves the whole
        -- order: take out what it counted for before, put in what it counts
        -- for now (its lines read as committed: a line being added holds
        -- the order FOR SHARE, so this update waited for it).
        INSERT INTO retail.sales_log (store_id, day, category_id, product_id, customer_id,
                                      orders, units, revenue, gross, discounts, cost)
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
        SELECT s.store_id, s.day, NULL::uuid, NULL::uuid, s.customer_id, sum(s.sign), 0, 0, 0, 0, 0
          FROM sides s GROUP BY 1, 2, 5
        UNION ALL
        SELECT s.store_id, s.day, p.category_id, l.product_id, s.customer_id, 0, sum(s.sign * l.quantity),
               sum(s.sign * l.line_total), sum(s.sign * l.quantity * l.unit_price), sum(s.sign * l.discount_amount),
               sum(s.sign * l.quantity * l.unit_cost)
          FROM sides s
          JOIN retail.order_items l ON l.order_id = s.order_id
          JOIN retail.products p ON p.product_id = l.product_id
         GROUP BY 1, 2, 3, 4, 5;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM zava.merge_wanted();
    END IF;
    RETURN NULL;
END
$$;

DROP FUNCTION zava.line_delta(text);

CREATE FUNCTION zava.merge_statement() RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT 'WITH batch AS (DELETE FROM retail.sales_log WHERE ctid = ANY (ARRAY(SELECT ctid FROM retail.sales_log LIMIT $1))'
           || ' RETURNING store_id, day, category_id, product_id, orders, units, revenue, gross, discounts, cost, customer_id)'
           || string_agg(format(', u%s AS (%s RETURNING 1)', u.n, u.stmt), '' ORDER BY u.n)
           -- Days whose orders only grew (checkouts): their new customers join
           -- the day's and the month's sets (a union, as sets only grow there).
           || $q$, grown AS (SELECT b.store_id, b.day, n.customer_no FROM batch b JOIN zava.customer_numbers n USING (customer_id)
                  WHERE b.orders > 0 AND (b.store_id, b.day) IN (SELECT store_id, day FROM batch GROUP BY 1, 2
                                                                  HAVING min(orders) >= 0 AND max(orders) > 0)),
           grown_days AS (INSERT INTO retail.daily_store_customers AS t (store_id, day, customers, customer_set)
                 SELECT store_id, day, count(DISTINCT customer_no), zava.customer_set(array_agg(customer_no))
                   FROM grown GROUP BY 1, 2 ORDER BY 1, 2
                 ON CONFLICT (store_id, day) DO UPDATE SET
                     customer_set = zava.customer_set_union(t.customer_set, excluded.customer_set),
                     customers = zava.customer_set_union_count(ARRAY[t.customer_set, excluded.customer_set]) RETURNING 1),
           grown_months AS (INSERT INTO retail.monthly_store_customers AS t (store_id, month, customers, customer_set)
                 SELECT store_id, date_trunc('month', day)::date, count(DISTINCT customer_no), zava.customer_set(array_agg(customer_no))
                   FROM grown GROUP BY 1, 2 ORDER BY 1, 2
                 ON CONFLICT (store_id, month) DO UPDATE SET
                     customer_set = zava.customer_set_union(t.customer_set, excluded.customer_set),
                     customers = zava.customer_set_union_count(ARRAY[t.customer_set, excluded.customer_set]) RETURNING 1),
           shrunk AS (SELECT DISTINCT store_id, day FROM batch WHERE orders < 0)$q$
           -- Days where an order left (cancelled, refunded, moved, deleted):
           -- recomputed after this statement (zava.recompute_customer_sets).
           || ' SELECT (SELECT count(*) FROM batch),'
           || ' (SELECT array_agg(k.store_id ORDER BY k.store_id, k.day) FROM shrunk k),'
           || ' (SELECT array_agg(k.day ORDER BY k.store_id, k.day) FROM shrunk k)'
      FROM unnest(zava.rollup_upserts('SELECT * FROM batch')) WITH ORDINALITY AS u(stmt, n)
$$;

CREATE FUNCTION zava.merge_log(batch integer DEFAULT 20000) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    merged bigint;
    stores uuid[];
    days date[];
BEGIN
    IF batch IS NULL OR batch < 1 THEN
        RAISE EXCEPTION 'batch must be a positive number of log rows, not %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock('retail.sales_log'::regclass::oid::bigint);
    EXECUTE zava.merge_statement() USING batch INTO merged, stores, days;
    IF stores IS NOT NULL THEN
        PERFORM zava.recompute_customer_sets(stores, days);
    END IF;
    IF merged > 0 THEN
        UPDATE zava.merge_progress
           SET last_merge = clock_timestamp(), merged_rows = merged_rows + merged, batches = batches + 1;
    END IF;
    RETURN merged;
END
$$;

CREATE FUNCTION zava.merge_now() RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    total bigint := 0;
    n bigint;
BEGIN
    LOOP
        n := zava.merge_log(20000);
        total := total + n;
        EXIT WHEN n = 0;
    END LOOP;
    RETURN total;
END
$$;

CREATE VIEW zava.merge_status AS
    SELECT (SELECT count(*) FROM retail.sales_log) AS backlog_rows,
           (SELECT min(logged_at) FROM retail.sales_log) AS oldest_unmerged,
           p.last_merge, p.merged_rows, p.batches,
           EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                    WHERE a.backend_type = 'zava merger' AND a.datid = (SELECT oid FROM pg_catalog.pg_database
                                                                          WHERE datname = pg_catalog.current_database())) AS worker_running
      FROM zava.merge_progress p;

-- The log rows as the analytics read them next to each rollup (same columns;
-- the caller's RLS applies: security_invoker). zava.period_rows in
-- analytics.rs adds these to the monthly and daily rows of a period.
CREATE VIEW zava.pending_store_sales WITH (security_invoker = true) AS
    SELECT store_id, day, orders, units, revenue, gross, discounts, cost FROM retail.sales_log;
CREATE VIEW zava.pending_category_sales WITH (security_invoker = true) AS
    SELECT store_id, day, category_id, units, revenue, gross, discounts, cost FROM retail.sales_log
     WHERE category_id IS NOT NULL;
CREATE VIEW zava.pending_product_sales WITH (security_invoker = true) AS
    SELECT store_id, day, product_id, units, revenue, cost FROM retail.sales_log WHERE product_id IS NOT NULL;
CREATE VIEW zava.pending_chain_product_sales WITH (security_invoker = true) AS
    SELECT day, product_id, units, revenue, cost FROM retail.sales_log WHERE product_id IS NOT NULL;
CREATE VIEW zava.pending_store_buyers WITH (security_invoker = true) AS
    SELECT store_id, day, zava.buyers(array_agg(customer_id), array_agg(orders), array_agg((revenue * 100)::bigint)) AS buyers
      FROM retail.sales_log GROUP BY 1, 2;

CREATE OR REPLACE FUNCTION zava.verify_rollups() RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    -- What the rollups hold once the log is merged (0.10.0): the merged rows
    -- plus the log's, by the same keys; the customer sets of days with
    -- unmerged order changes from their customer sales (and their months from
    -- their days), as zava.customer_sets_between reads them.
    WITH pend AS (SELECT l.*, date_trunc('month', l.day)::date AS month FROM retail.sales_log l),
    eff_daily_store_sales AS (
        SELECT store_id, day, sum(orders) AS orders, sum(units) AS units, sum(revenue) AS revenue, sum(gross) AS gross,
               sum(discounts) AS discounts, sum(cost) AS cost
          FROM (SELECT store_id, day, orders, units, revenue, gross, discounts, cost FROM retail.daily_store_sales
                UNION ALL SELECT store_id, day, orders, units, revenue, gross, discounts, cost FROM pend) x GROUP BY 1, 2),
    eff_monthly_store_sales AS (
        SELECT store_id, month, sum(orders) AS orders, sum(units) AS units, sum(revenue) AS revenue, sum(gross) AS gross,
               sum(discounts) AS discounts, sum(cost) AS cost
          FROM (SELECT store_id, month, orders, units, revenue, gross, discounts, cost FROM retail.monthly_store_sales
                UNION ALL SELECT store_id, month, orders, units, revenue, gross, discounts, cost FROM pend) x GROUP BY 1, 2),
    eff_daily_category_sales AS (
        SELECT store_id, day, category_id, sum(units) AS units, sum(revenue) AS revenue, sum(gross) AS gross,
               sum(discounts) AS discounts, sum(cost) AS cost
          FROM (SELECT store_id, day, category_id, units, revenue, gross, discounts, cost FROM retail.daily_category_sales
                UNION ALL SELECT store_id, day, category_id, units, revenue, gross, discounts, cost FROM pend
                           WHERE category_id IS NOT NULL) x GROUP BY 1, 2, 3),
    eff_monthly_category_sales AS (
        SELECT store_id, month, category_id, sum(units) AS units, sum(revenue) AS revenue, sum(gross) AS gross,
               sum(discounts) AS discounts, sum(cost) AS cost
          FROM (SELECT store_id, month, category_id, units, revenue, gross, discounts, cost FROM retail.monthly_category_sales
                UNION ALL SELECT store_id, month, category_id, units, revenue, gross, discounts, cost FROM pend
                           WHERE category_id IS NOT NULL) x GROUP BY 1, 2, 3),
    eff_daily_product_sales AS (
        SELECT store_id, day, product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost
          FROM (SELECT store_id, day, product_id, units, revenue, cost FROM retail.daily_product_sales
                UNION ALL SELECT store_id, day, product_id, units, revenue, cost FROM pend WHERE product_id IS NOT NULL) x
         GROUP BY 1, 2, 3),
    eff_monthly_product_sales AS (
        SELECT store_id, month, product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost
          FROM (SELECT store_id, month, product_id, units, revenue, cost FROM retail.monthly_product_sales
                UNION ALL SELECT store_id, month, product_id, units, revenue, cost FROM pend WHERE product_id IS NOT NULL) x
         GROUP BY 1, 2, 3),
    eff_daily_chain_product_sales AS (
        SELECT day, product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost
          FROM (SELECT day, product_id, units, revenue, cost FROM retail.daily_chain_product_sales
                UNION ALL SELECT day, product_id, units, revenue, cost FROM pend WHERE product_id IS NOT NULL) x
         GROUP BY 1, 2),
    eff_monthly_chain_product_sales AS (
        SELECT month, product_id, sum(units) AS units, sum(revenue) AS revenue, sum(cost) AS cost
          FROM (SELECT month, product_id, units, revenue, cost FROM retail.monthly_chain_product_sales
                UNION ALL SELECT month, product_id, units, revenue, cost FROM pend WHERE product_id IS NOT NULL) x
         GROUP BY 1, 2),
    eff_daily_customer_sales AS (
        SELECT store_id, day, customer_id, sum(orders) AS orders, sum(spend) AS spend
          FROM (SELECT store_id, day, customer_id, orders, spend FROM retail.daily_customer_sales
                UNION ALL SELECT store_id, day, customer_id, orders, revenue FROM pend) x GROUP BY 1, 2, 3),
    eff_monthly_customer_sales AS (
        SELECT store_id, month, customer_id, sum(orders) AS orders, sum(spend) AS spend
          FROM (SELECT store_id, month, customer_id, orders, spend FROM retail.monthly_customer_sales
                UNION ALL SELECT store_id, month, customer_id, orders, revenue FROM pend) x GROUP BY 1, 2, 3),
    touched AS (SELECT DISTINCT store_id, day, month FROM pend WHERE orders <> 0),
    eff_daily_store_customers AS (
        SELECT c.store_id, c.day, c.customers, c.customer_set FROM retail.daily_store_customers c
         WHERE NOT EXISTS (SELECT FROM touched t WHERE t.store_id = c.store_id AND t.day = c.day)
        UNION ALL
        SELECT t.store_id, t.day, count(n.customer_no)::integer,
               zava.customer_set(coalesce(array_agg(n.customer_no) FILTER (WHERE n.customer_no IS NOT NULL), '{}'))
          FROM touched t
          LEFT JOIN eff_daily_customer_sales s ON s.store_id = t.store_id AND s.day = t.day AND s.orders > 0
          LEFT JOIN zava.customer_numbers n ON n.customer_id = s.customer_id
         GROUP BY t.store_id, t.day),
    eff_monthly_store_customers AS (
        SELECT c.store_id, c.month, c.customers, c.customer_set FROM retail.monthly_store_customers c
         WHERE NOT EXISTS (SELECT FROM touched t WHERE t.store_id = c.store_id AND t.month = c.month)
        UNION ALL
        SELECT m.store_id, m.month, zava.customer_set_union_count(ARRAY[m.s]), m.s
          FROM (SELECT k.store_id, k.month, zava.customer_set_union_all(array_agg(d.customer_set)) AS s
                  FROM (SELECT DISTINCT store_id, month FROM touched) k
                  LEFT JOIN eff_daily_store_customers d
                    ON d.store_id = k.store_id AND d.day >= k.month AND d.day < (k.month + interval '1 month')::date
                 GROUP BY 1, 2) m),
    raw AS (SELECT * FROM zava.rollups_from_raw_rows()),
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
          FULL JOIN (SELECT * FROM eff_daily_store_sales
                      WHERE (orders, units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day
         WHERE (t.orders, t.units, t.revenue, t.gross, t.discounts, t.cost)
               IS DISTINCT FROM (r.orders, r.units, r.revenue, r.gross, r.discounts, r.cost)),
    cat_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), coalesce(r.category_id, t.category_id),
               to_jsonb(t) - 'store_id' - 'day' - 'category_id', to_jsonb(r) - 'store_id' - 'day' - 'category_id'
          FROM raw_cat r
          FULL JOIN (SELECT * FROM eff_daily_category_sales
                      WHERE (units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day AND t.category_id = r.category_id
         WHERE (t.units, t.revenue, t.gross, t.discounts, t.cost)
               IS DISTINCT FROM (r.units, r.revenue, r.gross, r.discounts, r.cost)),
    product_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), coalesce(r.product_id, t.product_id),
               to_jsonb(t) - 'store_id' - 'day' - 'product_id',
               jsonb_build_object('units', r.units, 'revenue', r.revenue, 'cost', r.cost)
          FROM raw_product r
          FULL JOIN (SELECT * FROM eff_daily_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)) t
            ON t.store_id = r.store_id AND t.day = r.day AND t.product_id = r.product_id
         WHERE (t.units, t.revenue, t.cost) IS DISTINCT FROM (r.units, r.revenue, r.cost)),
    raw_customers AS (SELECT * FROM zava.customer_sets_from_raw_rows()),
    customer_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.day, t.day), NULL::uuid,
               jsonb_build_object('customers', t.customers, 'members', zava.customer_set_members(t.customer_set)),
               jsonb_build_object('customers', r.customers, 'members', zava.customer_set_members(r.customer_set))
          FROM raw_customers r
          FULL JOIN (SELECT * FROM eff_daily_store_customers WHERE customers <> 0 OR customer_set <> zava.customer_set('{}')) t
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
          FULL JOIN (SELECT * FROM eff_daily_customer_sales WHERE (orders, spend) <> (0, 0)) t
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
          FROM eff_monthly_store_sales WHERE (orders, units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0, 0)
        UNION ALL
        SELECT 'category', store_id, month, category_id,
               jsonb_build_object('units', units, 'revenue', revenue, 'gross', gross, 'discounts', discounts, 'cost', cost)
          FROM eff_monthly_category_sales WHERE (units, revenue, gross, discounts, cost) <> (0, 0, 0, 0, 0)
        UNION ALL
        SELECT 'product', store_id, month, product_id, jsonb_build_object('units', units, 'revenue', revenue, 'cost', cost)
          FROM eff_monthly_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)
        UNION ALL
        SELECT 'customers', store_id, month, NULL::uuid,
               jsonb_build_object('customers', customers, 'set_md5', md5(customer_set))
          FROM eff_monthly_store_customers WHERE customers <> 0 OR customer_set <> zava.customer_set('{}')
        UNION ALL
        SELECT 'customer', store_id, month, customer_id, jsonb_build_object('orders', orders, 'spend', spend)
          FROM eff_monthly_customer_sales WHERE (orders, spend) <> (0, 0)),
    month_diff AS (
        SELECT coalesce(r.store_id, t.store_id), coalesce(r.month, t.month), coalesce(r.key, t.key),
               jsonb_build_object('monthly', coalesce(r.rollup, t.rollup)) || coalesce(t.v, 'null'), r.v
          FROM raw_months r
          FULL JOIN rollup_months t
            ON t.rollup = r.rollup AND t.store_id = r.store_id AND t.month = r.month AND coalesce(t.key, '00000000-0000-0000-0000-000000000000') = coalesce(r.key, '00000000-0000-0000-0000-000000000000')
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
          FULL JOIN (SELECT * FROM eff_daily_chain_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)) t
            ON t.day = r.day AND t.product_id = r.product_id
         WHERE (t.units, t.revenue, t.cost) IS DISTINCT FROM (r.units, r.revenue, r.cost)
        UNION ALL
        SELECT NULL::uuid, coalesce(r.month, t.month), coalesce(r.product_id, t.product_id),
               jsonb_build_object('chain', 'monthly', 'units', t.units, 'revenue', t.revenue, 'cost', t.cost),
               jsonb_build_object('units', r.units, 'revenue', r.revenue, 'cost', r.cost)
          FROM (SELECT date_trunc('month', day)::date AS month, product_id, sum(units) AS units,
                       sum(revenue) AS revenue, sum(cost) AS cost
                  FROM raw_chain GROUP BY 1, 2) r
          FULL JOIN (SELECT * FROM eff_monthly_chain_product_sales WHERE (units, revenue, cost) <> (0, 0, 0)) t
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
        SELECT grain, store_id, k, customer_id, sum(orders) AS orders, sum(spend) AS spend
          FROM (SELECT 'daily' AS grain, b.store_id, b.day AS k, m.customer_id, m.orders, m.spend
                  FROM retail.daily_store_buyers b, zava.buyers_members(b.buyers) m
                UNION ALL
                SELECT 'monthly', b.store_id, b.month, m.customer_id, m.orders, m.spend
                  FROM retail.monthly_store_buyers b, zava.buyers_members(b.buyers) m
                UNION ALL
                SELECT 'daily', store_id, day, customer_id, orders, revenue FROM pend
                UNION ALL
                SELECT 'monthly', store_id, month, customer_id, orders, revenue FROM pend) x
         GROUP BY 1, 2, 3, 4 HAVING (sum(orders), sum(spend)) <> (0, 0)),
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
    LOCK TABLE retail.sales_log IN EXCLUSIVE MODE;
    DELETE FROM retail.sales_log;
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

CREATE OR REPLACE FUNCTION zava.store_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, orders bigint, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.daily_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.pending_store_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE OR REPLACE FUNCTION zava.category_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, category_id uuid, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.daily_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.pending_category_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE OR REPLACE FUNCTION zava.product_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, product_id uuid, units bigint, revenue numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.monthly_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.daily_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM zava.pending_product_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE OR REPLACE FUNCTION zava.customer_sets_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, customer_set bytea)
LANGUAGE sql STABLE AS $$
    WITH touched AS (
        SELECT DISTINCT l.store_id, l.day FROM retail.sales_log l
         WHERE l.store_id = ANY (stores) AND l.day >= a AND l.day < b AND l.orders <> 0),
    touched_months AS (
        SELECT DISTINCT t.store_id, date_trunc('month', t.day)::date AS month
          FROM touched t, zava.period_months(a, b) m WHERE t.day >= m.m1 AND t.day < m.m2)
    SELECT c.store_id, c.customer_set
      FROM retail.monthly_store_customers c, zava.period_months(a, b) m
     WHERE c.store_id = ANY (stores) AND c.month >= m.m1 AND c.month < m.m2
       AND NOT EXISTS (SELECT FROM touched_months t WHERE t.store_id = c.store_id AND t.month = c.month)
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM retail.daily_store_customers c, zava.period_months(a, b) m
     WHERE c.store_id = ANY (stores) AND ((c.day >= a AND c.day < m.m1) OR (c.day >= m.m2 AND c.day < b))
       AND NOT EXISTS (SELECT FROM touched t WHERE t.store_id = c.store_id AND t.day = c.day)
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM touched_months t
      JOIN retail.daily_store_customers c
        ON c.store_id = t.store_id AND c.day >= t.month AND c.day < (t.month + interval '1 month')::date
     WHERE NOT EXISTS (SELECT FROM touched x WHERE x.store_id = c.store_id AND x.day = c.day)
    UNION ALL
    SELECT x.store_id, zava.customer_set(array_agg(n.customer_no))
      FROM (SELECT s.store_id, s.day, s.customer_id
              FROM (SELECT d.store_id, d.day, d.customer_id, d.orders
                      FROM touched t JOIN retail.daily_customer_sales d ON d.store_id = t.store_id AND d.day = t.day
                    UNION ALL
                    SELECT l.store_id, l.day, l.customer_id, l.orders
                      FROM touched t JOIN retail.sales_log l ON l.store_id = t.store_id AND l.day = t.day) s
             GROUP BY 1, 2, 3 HAVING sum(s.orders) > 0) x
      JOIN zava.customer_numbers n ON n.customer_id = x.customer_id
     GROUP BY x.store_id, x.day
$$;

REVOKE EXECUTE ON FUNCTION zava.merge_log(integer), zava.merge_now(), zava.merge_statement(), zava.merge_wanted() FROM PUBLIC;
REVOKE ALL ON zava.merge_status, zava.merge_progress FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.merge_log(integer), zava.merge_now(), zava.merge_statement(), zava.merge_wanted() TO zava_admin;
GRANT SELECT ON zava.merge_status TO zava_admin;
GRANT SELECT, UPDATE ON zava.merge_progress TO zava_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON retail.sales_log TO zava_admin;
-- The analytics read the log through these next to the rollups (the caller's
-- RLS and column privileges on retail.sales_log apply).
GRANT SELECT ON zava.pending_store_sales, zava.pending_category_sales, zava.pending_product_sales,
    zava.pending_chain_product_sales, zava.pending_store_buyers TO zava_reader, zava_admin;

-- Tenant isolation of the log (sql/security.sql): its stores' rows, column by column.
ALTER TABLE retail.sales_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.sales_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.sales_log FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.sales_log FOR ALL TO zava_admin USING (true) WITH CHECK (true);
GRANT SELECT (store_id, day, category_id, product_id, customer_id, orders, units, revenue, gross, discounts, cost, logged_at)
    ON retail.sales_log TO zava_reader;
