-- zava 0.11.0 → 0.12.0: data versions for a shared result cache, and the
-- database side of the bridge's health. The definitions are exactly what a
-- fresh 0.12.0 install generates (tests/e2e/upgrade.sh compares the two
-- catalogs). Existing data is kept; every version starts at 0 under a new
-- epoch, so no answer a bridge cached before the upgrade is used after it.
--
-- * zava.data_versions, zava.data_changes, zava.cache_epoch and
--   zava.cache_versions(): a version per store and for the chain, raised by
--   the merger (zava.merge_log, which also folds the marks the new statement
--   triggers of inventory, customers and the reference tables append);
--   rebuild_rollups raises every version.
-- * zava.health() and zava.embedding_model_status() (the library's new
--   function): the extension's version, whether the model can load, the
--   merger's backlog.

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

-- The merger also returns the stores it merged, and raises their versions.
CREATE OR REPLACE FUNCTION zava.merge_statement() RETURNS text
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

CREATE OR REPLACE FUNCTION zava.merge_log(batch integer DEFAULT 20000) RETURNS bigint
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

-- A rebuild raises every version.
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
    -- Every answer may have changed: every version goes up.
    PERFORM zava.bump_versions(ARRAY(SELECT store_id FROM retail.stores) || zava.chain_scope());
END
$$;

-- The library's new function: whether the embedding model could load now.
CREATE FUNCTION zava."embedding_model_status"() RETURNS jsonb
STRICT VOLATILE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'embedding_model_status_wrapper';

-- The database side of the bridge's /readyz (0.12.0; zava_gateway and
-- administrators): the extension's version, whether a backend could load the
-- embedding model now (zava.embedding_model_status, without loading it) and
-- the merger's backlog. Definer rights: the gateway reads no merge_status
-- otherwise.
CREATE FUNCTION zava.health() RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'extension', (SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'zava'),
        'embedding_model', zava.embedding_model_status(),
        'merger', (SELECT jsonb_build_object('backlog_rows', m.backlog_rows, 'oldest_unmerged', m.oldest_unmerged,
                                             'last_merge', m.last_merge, 'worker_running', m.worker_running)
                     FROM zava.merge_status m))
$$;
REVOKE EXECUTE ON FUNCTION zava.health(), zava.embedding_model_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.health() TO zava_gateway, zava_admin;
GRANT EXECUTE ON FUNCTION zava.embedding_model_status() TO zava_admin;
