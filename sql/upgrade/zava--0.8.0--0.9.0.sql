-- zava 0.8.0 → 0.9.0: customer numbers and the system columns are no longer
-- readable by tenants, nor the chain-wide counters. The definitions are
-- exactly what a fresh 0.9.0 install generates (tests/e2e/upgrade.sh compares
-- the two catalogs).
--
-- * retail.customers.customer_no moves to zava.customer_numbers (same
--   numbers, same sequence), which no tenant role reads; new customers are
--   numbered by the statement trigger number_customers; the rollup triggers
--   and verify_rollups read the numbers from there.
-- * The customer sets (retail.daily_store_customers, monthly_store_customers)
--   are not readable by tenants; zava.unique_customers_between (now definer
--   rights, over the caller's own stores) and the new new_customers_between
--   count them; zava.customer_sets_between is for administrators.
-- * zava_reader reads every retail column through column privileges instead
--   of table privileges, so system columns (ctid, xmin, xmax, tableoid) are
--   refused; describe_tables lists only what the caller may read.
-- * PUBLIC loses the chain-wide counters: transaction ids and snapshots,
--   age(xid), commit timestamps, pg_control_*, pg_stat_activity and pg_locks,
--   WAL positions and statistics, buffer and checkpoint counters, database
--   and tablespace sizes.

-- The numbers, kept as they are, and their sequence (still dumped with the
-- data), which moves to schema zava with them.
ALTER SEQUENCE retail.customer_no_seq OWNED BY NONE;
ALTER SEQUENCE retail.customer_no_seq SET SCHEMA zava;
CREATE TABLE zava.customer_numbers (
    customer_id uuid PRIMARY KEY REFERENCES retail.customers ON DELETE CASCADE ON UPDATE CASCADE,
    customer_no integer NOT NULL UNIQUE DEFAULT nextval('zava.customer_no_seq')
);
INSERT INTO zava.customer_numbers (customer_id, customer_no) SELECT customer_id, customer_no FROM retail.customers;
ALTER SEQUENCE zava.customer_no_seq OWNED BY zava.customer_numbers.customer_no;
COMMENT ON TABLE zava.customer_numbers IS 'Each customer''s dense number (the customer sets'' member id); administrators only';
DROP TRIGGER keep_customer_no ON retail.customers;
ALTER TABLE retail.customers DROP COLUMN customer_no;

CREATE OR REPLACE FUNCTION zava.number_customers() RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO zava.customer_numbers (customer_id) SELECT customer_id FROM new_customers;
    RETURN NULL;
END
$$;
CREATE TRIGGER number_customers AFTER INSERT ON retail.customers
    REFERENCING NEW TABLE AS new_customers FOR EACH STATEMENT EXECUTE FUNCTION zava.number_customers();
CREATE TRIGGER keep_customer_no BEFORE UPDATE OF customer_no ON zava.customer_numbers
    FOR EACH ROW WHEN (old.customer_no IS DISTINCT FROM new.customer_no) EXECUTE FUNCTION zava.keep_customer_no();
REVOKE EXECUTE ON FUNCTION zava.number_customers() FROM PUBLIC;
GRANT SELECT, INSERT ON zava.customer_numbers TO zava_admin;

-- The rollups read the numbers from their new table.

-- Recomputes the customer sets of the given (store, day) pairs from raw rows.
-- Each pair's row is created if missing and locked (in key order) before the
-- raw rows are read, so a concurrent writer of the same day either finished
-- before (and is seen) or waits (and adds after).
CREATE OR REPLACE FUNCTION zava.recompute_customer_sets(stores uuid[], days date[]) RETURNS void
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

-- The customer sets as plain SQL over raw rows would compute them.
CREATE OR REPLACE FUNCTION zava.customer_sets_from_raw_rows() RETURNS TABLE (
    store_id uuid, day date, customers integer, customer_set bytea)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT o.store_id, o.order_date, count(DISTINCT c.customer_no)::integer, zava.customer_set(array_agg(c.customer_no))
      FROM retail.orders o JOIN zava.customer_numbers c ON c.customer_id = o.customer_id
     WHERE o.status = 'completed' GROUP BY 1, 2
$$;

-- Customers are counted for the caller, never shown as sets.

-- The customer sets of stores over [a, b): the months' and the other days'
-- (inlinable, like the three above). Administrators only (0.9.0): a set holds
-- customer numbers, which tenants never see; the helpers below count them.
CREATE OR REPLACE FUNCTION zava.customer_sets_between(stores uuid[], a date, b date)
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

-- Of the given stores, those whose rows the caller reads: the caller's
-- principal's (zava.current_store_ids), or every one for an administrator's
-- login (as the admin_all policies). Definer rights; returns only store ids.
CREATE OR REPLACE FUNCTION zava.readable_stores(stores uuid[]) RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN pg_has_role(session_user, 'zava_admin', 'USAGE') THEN stores
                ELSE ARRAY(SELECT s FROM unnest(stores) s WHERE s = ANY (zava.current_store_ids())) END
$$;

-- The distinct customers of stores over [a, b): the size of the union of
-- their customer sets. Definer rights (0.9.0): tenants cannot read the sets,
-- so this counts them for the caller, over the caller's own stores only, and
-- returns the count alone.
CREATE OR REPLACE FUNCTION zava.unique_customers_between(stores uuid[], a date, b date) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT zava.customer_set_union_count(array_agg(x.customer_set))
              FROM zava.customer_sets_between(zava.readable_stores(stores), a, b) x);
END
$$;

-- How many distinct customers of stores over [a, b) had no completed order in
-- those stores over [since, a): |earlier ∪ period| − |earlier|, exact
-- (customer_insights' new customers). Definer rights, as above (0.9.0).
CREATE OR REPLACE FUNCTION zava.new_customers_between(stores uuid[], a date, b date, since date) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    mine uuid[] := zava.readable_stores(stores);
    period bytea := (SELECT zava.customer_set_union_all(array_agg(x.customer_set))
                       FROM zava.customer_sets_between(mine, a, b) x);
    earlier bytea := (SELECT zava.customer_set_union_all(array_agg(x.customer_set))
                        FROM zava.customer_sets_between(mine, since, a) x);
BEGIN
    RETURN zava.customer_set_union_count(ARRAY[earlier, period]) - zava.customer_set_union_count(ARRAY[earlier]);
END
$$;

REVOKE EXECUTE ON FUNCTION zava.customer_sets_between(uuid[], date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.customer_sets_between(uuid[], date, date) TO zava_admin;

-- Describes retail tables: columns (type, nullability, default, comment),
-- primary and foreign keys, how many rows the caller can see (counted under
-- RLS, up to 100,000: never the table-wide planner estimate, which counts other
-- stores' rows), and for text columns
-- with at most 20 distinct values those values *as this caller sees them*
-- (computed now, under the caller's RLS; nothing is cached across principals).
-- Only the tables and columns the caller may read (0.9.0). Security invoker.
CREATE OR REPLACE FUNCTION zava.describe_tables(names text[]) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    allowed text[] := ARRAY(SELECT c.relname::text FROM pg_class c
                             WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind IN ('r', 'p')
                               AND has_any_column_privilege(c.oid, 'SELECT') ORDER BY 1);
    n text;
    t text;
    rel oid;
    col name;
    vals jsonb;
    enum_values jsonb;
    visible bigint;
    tables jsonb := '[]';
BEGIN
    IF names IS NULL OR cardinality(names) = 0 OR cardinality(names) > 20 THEN
        RAISE EXCEPTION 'names must list 1 to 20 table names'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Tables: ' || array_to_string(allowed, ', ') || '.';
    END IF;
    FOREACH n IN ARRAY names LOOP
        t := lower(regexp_replace(btrim(coalesce(n, '')), '^retail\.', ''));
        IF NOT t = ANY (allowed) THEN
            RAISE EXCEPTION 'unknown table "%"', n
                USING ERRCODE = 'undefined_table', HINT = 'Tables you can describe: ' || array_to_string(allowed, ', ') || '.';
        END IF;
        rel := format('retail.%I', t)::regclass;
        EXECUTE format('SELECT count(*) FROM (SELECT FROM retail.%I LIMIT 100001) s', t) INTO visible;
        enum_values := '{}';
        FOR col IN
            SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
               AND has_column_privilege(rel, a.attnum, 'SELECT')
               AND NOT EXISTS (SELECT FROM pg_index i WHERE i.indrelid = rel AND i.indisunique
                                                        AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum)
             ORDER BY a.attnum
        LOOP
            EXECUTE format('SELECT jsonb_agg(v ORDER BY v) FROM (SELECT DISTINCT %1$I AS v FROM retail.%2$I WHERE %1$I IS NOT NULL LIMIT 21) s', col, t)
                INTO vals;
            IF vals IS NOT NULL AND jsonb_array_length(vals) <= 20 THEN
                enum_values := enum_values || jsonb_build_object(col, vals);
            END IF;
        END LOOP;
        tables := tables || jsonb_build_object(
            'table', 'retail.' || t,
            'comment', obj_description(rel, 'pg_class'),
            'row_estimate', least(visible, 100000),
            'row_estimate_exact', visible <= 100000,
            'columns', (SELECT jsonb_agg(jsonb_build_object(
                                'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                'nullable', NOT a.attnotnull, 'default', pg_get_expr(d.adbin, d.adrelid),
                                'generated', a.attgenerated <> '', 'comment', col_description(rel, a.attnum))
                                ORDER BY a.attnum)
                          FROM pg_attribute a
                          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                         WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
                           AND has_column_privilege(rel, a.attnum, 'SELECT')),
            'primary_key', (SELECT jsonb_agg(a.attname ORDER BY k.ord)
                              FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                              JOIN pg_attribute a ON a.attrelid = rel AND a.attnum = k.attnum
                             WHERE c.conrelid = rel AND c.contype = 'p'),
            'foreign_keys', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                  'columns', (SELECT jsonb_agg(a.attname ORDER BY k.ord)
                                                FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                                                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum),
                                  'references', c.confrelid::regclass::text,
                                  'referenced_columns', (SELECT jsonb_agg(a.attname ORDER BY k.ord)
                                                FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                                                JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum))
                                  ORDER BY c.conname)
                                FROM pg_constraint c WHERE c.conrelid = rel AND c.contype = 'f'), '[]'),
            'enum_values', enum_values);
    END LOOP;
    RETURN jsonb_build_object('tables', tables);
END
$$;

-- What tenants read (0.9.0): every column of every retail table, granted
-- column by column, and nothing else. A table-level SELECT would also grant
-- the system columns (ctid, xmin, xmax, tableoid), and the heap holds every
-- store's rows: the gaps between one store's ctids and xmins count the other
-- stores' writes, and the xmax a till's foreign-key check leaves on a
-- retail.stores row is another store's transaction. Column privileges never
-- cover system columns, so a psql login is refused them (42501) as the query
-- gate refuses them. Not granted at all: the customer sets
-- (daily/monthly_store_customers), whose members are customer numbers;
-- zava.unique_customers_between and new_customers_between count them for the
-- caller. A column added later is unreadable until an upgrade grants it.
DO $tenant_columns$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass FROM pg_catalog.pg_class c
         WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind IN ('r', 'p')
           AND c.relname NOT IN ('daily_store_customers', 'monthly_store_customers')
         ORDER BY c.relname
    LOOP
        EXECUTE pg_catalog.format('REVOKE SELECT ON %s FROM zava_reader', t);
        EXECUTE pg_catalog.format('GRANT SELECT (%s) ON %s TO zava_reader',
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute a WHERE a.attrelid = t AND a.attnum > 0 AND NOT a.attisdropped), t);
    END LOOP;
    REVOKE SELECT ON retail.daily_store_customers, retail.monthly_store_customers FROM zava_reader;
END
$tenant_columns$;


DO $side_channels$
DECLARE
    f regprocedure;
BEGIN
    -- Chain-wide counters and sizes (0.9.0). Each till's checkout is one
    -- transaction and writes WAL, so the transaction counter (txid_current,
    -- pg_current_snapshot, age(xid) of any constant, pg_control_checkpoint's
    -- next xid, pg_stat_activity's backend_xmin, pg_locks' transaction ids),
    -- the multixact counter, commit timestamps, WAL positions and volumes
    -- (pg_current_wal_lsn, pg_stat_wal, pg_stat_archiver), buffer and
    -- checkpoint counters (pg_stat_bgwriter, pg_stat_slru) and the database's
    -- size count every store's orders between two readings. For monitoring
    -- and administrators only; zava_gateway keeps the three a bridge reads on
    -- a hot standby to measure its replay lag.
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND (p.proname IN ('txid_current', 'txid_current_if_assigned', 'txid_current_snapshot', 'txid_status',
                              'pg_current_xact_id', 'pg_current_xact_id_if_assigned', 'pg_current_snapshot',
                              'pg_xact_status', 'mxid_age', 'pg_get_multixact_members', 'pg_prepared_xact',
                              'pg_xact_commit_timestamp', 'pg_xact_commit_timestamp_origin', 'pg_last_committed_xact',
                              'pg_control_checkpoint', 'pg_control_system', 'pg_control_recovery', 'pg_control_init',
                              'pg_stat_get_activity', 'pg_lock_status',
                              'pg_current_wal_lsn', 'pg_current_wal_insert_lsn', 'pg_current_wal_flush_lsn',
                              'pg_last_wal_receive_lsn', 'pg_last_wal_replay_lsn', 'pg_last_xact_replay_timestamp',
                              'pg_stat_get_wal', 'pg_stat_get_wal_receiver', 'pg_stat_get_wal_senders',
                              'pg_stat_get_archiver', 'pg_stat_get_recovery_prefetch', 'pg_stat_get_replication_slot',
                              'pg_stat_get_slru', 'pg_stat_get_subscription', 'pg_stat_get_subscription_stats',
                              'pg_database_size', 'pg_tablespace_size')
                OR p.proname ~ '^pg_stat_get_(bgwriter|buf|checkpoint)_'
                OR p.oid = 'pg_catalog.age(xid)'::regprocedure)
         ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pg_read_all_stats, zava_admin', f);
    END LOOP;
    GRANT EXECUTE ON FUNCTION pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn(),
        pg_catalog.pg_last_xact_replay_timestamp() TO zava_gateway;
END
$side_channels$;
