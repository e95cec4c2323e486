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
-- Sets and packs are compact binary already: stored uncompressed (0.10.0), so
-- the merger rewrites a day's or a month's without compressing it again.
ALTER TABLE retail.daily_store_customers ALTER COLUMN customer_set SET STORAGE EXTERNAL;
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
ALTER TABLE retail.monthly_store_customers ALTER COLUMN customer_set SET STORAGE EXTERNAL;
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
ALTER TABLE retail.daily_store_buyers ALTER COLUMN buyers SET STORAGE EXTERNAL;
COMMENT ON TABLE retail.daily_store_buyers IS 'Completed orders and spend of every customer per store and business day, packed (zava.buyers_members reads it); maintained by triggers';

CREATE TABLE retail.monthly_store_buyers (
    store_id uuid NOT NULL REFERENCES retail.stores,
    month    date NOT NULL CHECK (extract(day FROM month) = 1),
    buyers   bytea NOT NULL,
    PRIMARY KEY (store_id, month)
);
ALTER TABLE retail.monthly_store_buyers ALTER COLUMN buyers SET STORAGE EXTERNAL;
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

-- Recomputes the customer sets of the given (store, day) pairs from the
-- merged customer sales rows (0.10.0; from raw rows before): a day's set is
-- its customers with completed orders, a month's the union of its days'. Only
-- the merger (zava.merge_log) and rebuild_rollups write the sets, one at a
-- time, so no row locks are taken here.
CREATE FUNCTION zava.recompute_customer_sets(stores uuid[], days date[]) RETURNS void
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

-- The change log (0.10.0). A write to orders or order_items no longer touches
-- a rollup: its statement trigger appends the statement's signed changes here,
-- one INSERT of (store, day, category, product, customer) rows, and returns.
-- No row another till writes is locked or rewritten (a line's trigger still
-- holds its own order FOR SHARE, so a concurrent status change of that order
-- waits for it). The merger (zava.merge_log, run by the zava merger background
-- worker) folds committed rows into the rollups, sets and packs and deletes
-- them, in one transaction per batch: a row and its effect commit together,
-- so a crash at any point loses nothing and counts nothing twice.
--
-- Answers stay exact at every moment: the analytics read the merged rollups
-- plus the log rows of their period and stores (zava.pending_* below, and
-- zava.customer_sets_between for distinct customers). Without the worker the
-- answers are as exact, only slower as the log grows.
--
-- No sequence and no id: a dense number would count every store's writes.
-- Tenants read the columns of their own stores' rows (sql/security.sql), as
-- they read the rollups; what they cannot read is the table's size.
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

CREATE FUNCTION zava.rollup_order_items() RETURNS trigger
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

CREATE FUNCTION zava.rollup_orders() RETURNS trigger
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

-- The merger's statement: deletes up to $1 committed log rows and adds them to
-- the rollups (the upserts of zava.rollup_upserts, daily then monthly, each in
-- key order) and the customer sets of days that only gained orders, in one
-- statement, returning how many rows it merged and the (store, day) pairs
-- that lost an order, whose sets must be recomputed, and the stores merged.
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
           || ' (SELECT array_agg(k.day ORDER BY k.store_id, k.day) FROM shrunk k),'
           -- Every store merged: its data version goes up (zava.data_versions).
           || ' (SELECT array_agg(DISTINCT b.store_id) FROM batch b)'
      FROM unnest(zava.rollup_upserts('SELECT * FROM batch')) WITH ORDINALITY AS u(stmt, n)
$$;

-- Folds up to `batch` committed log rows into the rollups, customer sets and
-- packs, deletes them, and recomputes the customer sets of the days whose
-- customers changed, and raises the data versions of the stores merged and of
-- the scopes marked in zava.data_changes (deleting the marks) — all in the
-- caller's transaction, so a crash or an error leaves the rows in the log and
-- the rollups and versions as they were. One merger at a time: a second
-- waits for the first to commit. Returns the log rows merged.
-- Administrators (and the merger worker) only.
CREATE FUNCTION zava.merge_log(batch integer DEFAULT 20000) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    merged bigint;
    stores uuid[];
    days date[];
    touched uuid[];
    marked uuid[];
BEGIN
    IF batch IS NULL OR batch < 1 THEN
        RAISE EXCEPTION 'batch must be a positive number of log rows, not %', coalesce(batch::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock('retail.sales_log'::regclass::oid::bigint);
    EXECUTE zava.merge_statement() USING batch INTO merged, stores, days, touched;
    IF stores IS NOT NULL THEN
        PERFORM zava.recompute_customer_sets(stores, days);
    END IF;
    WITH m AS (DELETE FROM zava.data_changes RETURNING scope)
    SELECT array_agg(DISTINCT scope) INTO marked FROM m;
    IF touched IS NOT NULL OR marked IS NOT NULL THEN
        PERFORM zava.bump_versions(touched || marked);
    END IF;
    IF merged > 0 THEN
        UPDATE zava.merge_progress
           SET last_merge = clock_timestamp(), merged_rows = merged_rows + merged, batches = batches + 1;
    END IF;
    RETURN merged;
END
$$;

-- Merges the whole log now, in the caller's transaction (tests, administrators,
-- a database whose merger is not running). Returns the rows merged.
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

-- The merger's progress (administrators): the rows waiting, the oldest
-- waiting write (its transaction's start), the last merge, and whether a
-- merger worker is running for this database now.
CREATE VIEW zava.merge_status AS
    SELECT (SELECT count(*) FROM retail.sales_log) AS backlog_rows,
           (SELECT min(logged_at) FROM retail.sales_log) AS oldest_unmerged,
           p.last_merge, p.merged_rows, p.batches,
           EXISTS (SELECT FROM pg_catalog.pg_stat_activity a
                    WHERE a.backend_type = 'zava merger' AND a.datid = (SELECT oid FROM pg_catalog.pg_database
                                                                          WHERE datname = pg_catalog.current_database())) AS worker_running
      FROM zava.merge_progress p;

-- ---------------------------------------------------------------------------
-- Data versions (0.12.0): what a shared result cache keys its answers on.
-- ---------------------------------------------------------------------------
-- A version per store changes whenever that store's sales or stock or
-- customers change; the chain's version (scope zava.chain_scope()) whenever
-- a table every answer may name changes (stores, categories, product types,
-- products, their embeddings, principals and who sees which store).
--
-- Nothing on the writer's path rewrites a shared row: sales reach the versions
-- through retail.sales_log (the merger bumps the version of every store it
-- merged, in the batch's transaction), and the other writes append one row per
-- statement and store to zava.data_changes, which the merger folds in the
-- same way. A reader (the bridge, zava.cache_versions) sees for each scope
-- its merged version and the rows still waiting; that pair changes at every
-- committed write and never comes back (a merge raises the version as it
-- deletes rows), with or without a running merger.
CREATE TABLE zava.data_versions (
    scope      uuid PRIMARY KEY,     -- a store_id, or zava.chain_scope()
    version    bigint NOT NULL,
    changed_at timestamptz NOT NULL
);
COMMENT ON TABLE zava.data_versions IS 'Merged data version of each store and of the chain (zava.chain_scope()); written by zava.merge_log only';

CREATE TABLE zava.data_changes (
    scope     uuid NOT NULL,         -- a store_id, or zava.chain_scope()
    logged_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zava.data_changes IS 'Writes not yet counted in zava.data_versions: one row per statement and store (or the chain) that changed stock, customers or reference data; appended by triggers, folded in and deleted by zava.merge_log';

-- A random number made when the extension is created, in every version: a
-- database restored from a dump, or made again, starts its versions anew
-- under another epoch, so no answer cached for the old one is ever used.
-- (Not dumped: each database makes its own.)
CREATE TABLE zava.cache_epoch (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    epoch    uuid NOT NULL DEFAULT gen_random_uuid()
);
INSERT INTO zava.cache_epoch DEFAULT VALUES;

CREATE FUNCTION zava.chain_scope() RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
RETURN '00000000-0000-0000-0000-000000000000'::uuid;

-- Raises the versions of `scopes` by one, in key order (zava.merge_log after
-- a batch; rebuild_rollups, for every scope).
CREATE FUNCTION zava.bump_versions(scopes uuid[]) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO zava.data_versions AS v (scope, version, changed_at)
    SELECT d.s, 1, clock_timestamp() FROM (SELECT DISTINCT s FROM unnest(scopes) s WHERE s IS NOT NULL) d ORDER BY 1
    ON CONFLICT (scope) DO UPDATE SET version = v.version + 1, changed_at = excluded.changed_at
$$;

-- Statement triggers of retail.inventory and retail.customers: one row per
-- store the statement touched.
CREATE FUNCTION zava.mark_store_changes() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO zava.data_changes (scope) SELECT DISTINCT store_id FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO zava.data_changes (scope)
        SELECT store_id FROM new_rows UNION SELECT store_id FROM old_rows;
    ELSE
        INSERT INTO zava.data_changes (scope) SELECT DISTINCT store_id FROM old_rows;
    END IF;
    PERFORM zava.merge_wanted();
    RETURN NULL;
END
$$;

-- Statement triggers of the tables every answer may name (and TRUNCATE of
-- any marked table): one row for the whole chain.
CREATE FUNCTION zava.mark_chain_change() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO zava.data_changes (scope) VALUES (zava.chain_scope());
    PERFORM zava.merge_wanted();
    RETURN NULL;
END
$$;

DO $marks$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['retail.inventory', 'retail.customers'] LOOP
        EXECUTE format('CREATE TRIGGER data_change_insert AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION zava.mark_store_changes()', t);
        EXECUTE format('CREATE TRIGGER data_change_update AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows'
                       ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zava.mark_store_changes()', t);
        EXECUTE format('CREATE TRIGGER data_change_delete AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION zava.mark_store_changes()', t);
        EXECUTE format('CREATE TRIGGER data_change_truncate AFTER TRUNCATE ON %s'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION zava.mark_chain_change()', t);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['retail.stores', 'retail.categories', 'retail.product_types', 'retail.products',
                             'retail.product_description_embeddings', 'zava.principals', 'zava.principal_stores'] LOOP
        EXECUTE format('CREATE TRIGGER data_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s'
                       ' FOR EACH STATEMENT EXECUTE FUNCTION zava.mark_chain_change()', t);
    END LOOP;
END
$marks$;

-- Each active principal's data version, for the bridge's result cache: one
-- text that changes whenever anything the principal's answers read changes
-- (the chain's version and waiting writes, and the sums of its stores'). The
-- bridge reads it once a second; zava_gateway only (it counts every store's
-- writes: never a tenant's to see).
CREATE FUNCTION zava.cache_versions() RETURNS TABLE (principal_id uuid, version text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH waiting AS (
        SELECT store_id AS scope, count(*) AS n FROM retail.sales_log GROUP BY 1
        UNION ALL
        SELECT scope, count(*) FROM zava.data_changes GROUP BY 1
    ), scopes AS (
        SELECT s.scope, coalesce(v.version, 0) AS v, coalesce(w.n, 0) AS n
          FROM (SELECT store_id AS scope FROM retail.stores UNION ALL SELECT zava.chain_scope()) s
          LEFT JOIN zava.data_versions v ON v.scope = s.scope
          LEFT JOIN (SELECT scope, sum(n) AS n FROM waiting GROUP BY 1) w ON w.scope = s.scope
    ), chain AS (
        SELECT v, n FROM scopes WHERE scope = zava.chain_scope()
    )
    SELECT p.principal_id,
           format('%s/%s.%s.%s.%s', e.epoch, c.v, c.n, coalesce(sum(s.v), 0), coalesce(sum(s.n), 0))
      FROM zava.principals p
      CROSS JOIN chain c
      CROSS JOIN zava.cache_epoch e
      LEFT JOIN scopes s ON s.scope <> zava.chain_scope()
                        AND (p.kind = 'head_office'
                             OR s.scope IN (SELECT ps.store_id FROM zava.principal_stores ps
                                             WHERE ps.principal_id = p.principal_id))
     WHERE p.active
     GROUP BY p.principal_id, e.epoch, c.v, c.n
$$;

REVOKE ALL ON zava.data_versions, zava.data_changes, zava.cache_epoch FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.cache_versions(), zava.bump_versions(uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.cache_versions() TO zava_gateway, zava_admin;
-- Writers append the marks their statements make (as they append to retail.sales_log).
GRANT INSERT ON zava.data_changes TO zava_admin;

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

-- Rebuilds every rollup from raw rows. Administrators only.
-- The log is locked first (writers wait until the rebuild commits) and
-- emptied: every committed change is in the raw rows it reads, and a write
-- still in progress logs after the rebuild and is merged as usual.
CREATE FUNCTION zava.rebuild_rollups() RETURNS void
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
    -- Every answer may have changed: every version goes up.
    PERFORM zava.bump_versions(ARRAY(SELECT store_id FROM retail.stores) || zava.chain_scope());
END
$$;

REVOKE EXECUTE ON FUNCTION zava.verify_rollups() FROM PUBLIC;
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
