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
-- Distinct customers are not additive: per store and day the rollups keep the
-- set of customers who ordered (a Roaring bitmap of zava.customer_numbers.customer_no, as
-- bytea). New orders add their customers to the set; deleted or changed orders
-- recompute the sets of the (store, day) pairs they touched, exactly, under
-- those rows' locks, and then their months' sets (the union of the days'). A
-- period's unique customers is the size of the union of its months' and days'
-- sets (zava.unique_customers_between).
--
-- Per customer (0.5.0): completed orders and spend per store, day (and month)
-- and customer, so repeat customers and top spenders read (customers × days)
-- rows, not orders and their lines. Added to like the sales rollups.
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

CREATE TABLE retail.daily_store_customers (
    store_id     uuid NOT NULL REFERENCES retail.stores,
    day          date NOT NULL,
    customers    integer NOT NULL DEFAULT 0,   -- members of customer_set
    customer_set bytea NOT NULL,               -- zava.customer_set() of customer numbers
    PRIMARY KEY (store_id, day)
);
COMMENT ON TABLE retail.daily_store_customers IS 'Customers with a completed order per store and business day, as a set of customer numbers (zava.customer_set_members reads it); maintained by triggers';

-- The same rollups per calendar month (month = its first day), kept by the
-- same triggers: a quarter is 3 rows per store (and category or product)
-- instead of 92, so a period reads its whole months here and only its
-- partial months' days from the daily tables (zava.period_months).
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
-- Whole rows by (store, month), so the analytics read a store's months of
-- categories and products with index-only scans (0.5.0); the primary keys
-- stay what the triggers' ON CONFLICT names.
CREATE INDEX monthly_category_sales_covering ON retail.monthly_category_sales (store_id, month)
    INCLUDE (category_id, units, revenue, gross, discounts, cost);
CREATE INDEX monthly_product_sales_covering ON retail.monthly_product_sales (store_id, month)
    INCLUDE (product_id, units, revenue, cost);

CREATE TABLE retail.monthly_store_customers (
    store_id     uuid NOT NULL REFERENCES retail.stores,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    customers    integer NOT NULL DEFAULT 0,
    customer_set bytea NOT NULL,               -- the union of the month's daily sets
    PRIMARY KEY (store_id, month)
);
COMMENT ON TABLE retail.monthly_store_customers IS 'Customers with a completed order per store and calendar month, as a set of customer numbers; maintained by triggers';

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

-- Buyers per store and day (and month), packed (0.6.0): one value holding
-- every customer's completed orders and spend in whole cents (zava.buyers;
-- zava.buyers_members unpacks it). customer_insights adds up a period's packs
-- in memory instead of aggregating one row per customer; kept by the same
-- triggers from the same deltas as the customer sales rows, checked against
-- them by verify_rollups (buyers_days) and rebuilt from them.
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

-- Whole rows by (store, day) (0.6.0): a period's days are index-only range
-- scans instead of heap visits scattered over the table.
CREATE INDEX daily_category_sales_covering ON retail.daily_category_sales (store_id, day)
    INCLUDE (category_id, units, revenue, gross, discounts, cost);
CREATE INDEX daily_product_sales_covering ON retail.daily_product_sales (store_id, day)
    INCLUDE (product_id, units, revenue, cost);
CREATE INDEX daily_customer_sales_covering ON retail.daily_customer_sales (store_id, day)
    INCLUDE (customer_id, orders, spend);

-- Chain-wide product sales (0.6.0): per business day (and month) and product
-- across every store, so head office ranks products over (products × days)
-- rows instead of (stores × products × days). Kept by the same triggers as
-- the per-store rollups, after them and in key order. They hold chain totals,
-- so only a principal who sees every store reads them (zava.sees_every_store();
-- see sql/security.sql); everyone else ranks from the per-store rows.
-- Concurrent writers in different stores now share these rows' locks for the
-- products they sell, until they commit.
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

-- How a period [a, b) reads the rollups: whole months [m1, m2) from the
-- monthly tables, the days [a, m1) and [m2, b) from the daily ones. A period
-- with no whole month reads only days (m1 = m2 = b).
CREATE FUNCTION zava.period_months(a date, b date, OUT m1 date, OUT m2 date)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN f < l THEN f ELSE b END, CASE WHEN f < l THEN l ELSE b END
      FROM (SELECT CASE WHEN extract(day FROM a) = 1 THEN a ELSE (date_trunc('month', a) + interval '1 month')::date END AS f,
                   date_trunc('month', b)::date AS l) x
$$;

-- Each customer's dense number, the member id in the customer sets, set once
-- when the customer is added (zava.number_customers). Dense and chain-wide, so
-- its largest value is the chain's customer count and the gaps between two of
-- a store's customers count the other stores' sign-ups: no tenant role reads
-- this table (0.9.0; it was retail.customers.customer_no before), and the
-- analytics count customers through definer helpers that return only counts
-- over the caller's stores (sql/analytics.sql). Not dumped: a restore numbers
-- the restored customers afresh as it loads them, and rebuilds the sets with
-- those numbers as it loads the orders.
CREATE SEQUENCE zava.customer_no_seq AS integer;
CREATE TABLE zava.customer_numbers (
    customer_id uuid PRIMARY KEY REFERENCES retail.customers ON DELETE CASCADE ON UPDATE CASCADE,
    customer_no integer NOT NULL UNIQUE DEFAULT nextval('zava.customer_no_seq')
);
ALTER SEQUENCE zava.customer_no_seq OWNED BY zava.customer_numbers.customer_no;
-- The next customer number: a restored database numbers new customers after the old ones.
SELECT pg_catalog.pg_extension_config_dump('zava.customer_no_seq', '');
COMMENT ON TABLE zava.customer_numbers IS 'Each customer''s dense number (the customer sets'' member id); administrators only';

CREATE FUNCTION zava.number_customers() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO zava.customer_numbers (customer_id) SELECT customer_id FROM new_customers;
    RETURN NULL;
END
$$;
CREATE TRIGGER number_customers AFTER INSERT ON retail.customers
    REFERENCING NEW TABLE AS new_customers FOR EACH STATEMENT EXECUTE FUNCTION zava.number_customers();

-- A customer's number is in the sets of every day they ordered: it never changes.
CREATE FUNCTION zava.keep_customer_no() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'a customer''s number (customer_no) cannot change'
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'customer_no is set once, when the customer is added.';
END
$$;
CREATE TRIGGER keep_customer_no BEFORE UPDATE OF customer_no ON zava.customer_numbers
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
              LEFT JOIN zava.customer_numbers c ON c.customer_id = o.customer_id
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

-- The upserts that add a delta — a query over (store_id, day, category_id,
-- product_id, orders, units, revenue, gross, discounts, cost, customer_id) — to the rollups,
-- daily then monthly, each in key order. The trigger functions EXECUTE them
-- themselves: transition tables are visible only inside the trigger function.
CREATE FUNCTION zava.rollup_upserts(delta text) RETURNS text[]
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

-- The signed contribution of order lines (a query over `lines` with a `sign`
-- column) to completed orders' days.
CREATE FUNCTION zava.line_delta(lines text) RETURNS text
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

CREATE FUNCTION zava.rollup_orders() RETURNS trigger
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
          FROM new_rows n JOIN zava.customer_numbers c ON c.customer_id = n.customer_id
         WHERE n.status = 'completed'
         GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (store_id, day) DO UPDATE SET
            customer_set = zava.customer_set_union(t.customer_set, excluded.customer_set),
            customers = zava.customer_set_union_count(ARRAY[t.customer_set, excluded.customer_set]);
        INSERT INTO retail.monthly_store_customers AS t (store_id, month, customers, customer_set)
        SELECT n.store_id, date_trunc('month', n.order_date)::date, count(DISTINCT c.customer_no), zava.customer_set(array_agg(c.customer_no))
          FROM new_rows n JOIN zava.customer_numbers c ON c.customer_id = n.customer_id
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

-- TRUNCATE fires no row or statement DELETE triggers: rebuild instead.
CREATE FUNCTION zava.rollup_after_truncate() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT zava.rollups_paused() THEN
        PERFORM zava.rebuild_rollups();
    END IF;
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

-- The customer sets as plain SQL over raw rows would compute them.
CREATE FUNCTION zava.customer_sets_from_raw_rows() RETURNS TABLE (
    store_id uuid, day date, customers integer, customer_set bytea)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.store_id, o.order_date, count(DISTINCT c.customer_no)::integer, zava.customer_set(array_agg(c.customer_no))
      FROM retail.orders o JOIN zava.customer_numbers c ON c.customer_id = o.customer_id
     WHERE o.status = 'completed' GROUP BY 1, 2
$$;

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

-- Recomputes every rollup from raw rows and reports every difference.
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

-- Rebuilds every rollup from raw rows. Administrators only.
CREATE FUNCTION zava.rebuild_rollups() RETURNS void
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

REVOKE EXECUTE ON FUNCTION zava.verify_rollups() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.rebuild_rollups() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.recompute_customer_sets(uuid[], date[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.keep_customer_no() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.number_customers() FROM PUBLIC;
GRANT SELECT, INSERT ON zava.customer_numbers TO zava_admin;
GRANT USAGE ON SEQUENCE zava.customer_no_seq TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.verify_rollups(), zava.rebuild_rollups(), zava.recompute_customer_sets(uuid[], date[]) TO zava_admin;
-- What tenants read of these: sql/security.sql (column by column; not the customer sets).
GRANT SELECT, INSERT, UPDATE, DELETE ON retail.daily_store_sales, retail.daily_category_sales, retail.daily_product_sales,
    retail.daily_store_customers, retail.monthly_store_sales, retail.monthly_category_sales,
    retail.monthly_product_sales, retail.monthly_store_customers,
    retail.daily_customer_sales, retail.monthly_customer_sales,
    retail.daily_chain_product_sales, retail.monthly_chain_product_sales,
    retail.daily_store_buyers, retail.monthly_store_buyers TO zava_admin;
