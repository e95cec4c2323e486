-- Invariant 5, red team: every attack below goes through zava.safe_query as a
-- store manager and must be refused (or run with zero effect). try() reports
-- "ok rows=N truncated=B" or "SQLSTATE message" for each.
CREATE FUNCTION public.try(q text, max_rows int DEFAULT 100, timeout_ms int DEFAULT 10000) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    r := zava.safe_query(q, max_rows, timeout_ms);
    RETURN format('ok rows=%s truncated=%s', r->>'row_count', r->>'truncated');
EXCEPTION
    -- Which limit stops a bomb first (time or temp files) depends on the machine.
    WHEN query_canceled OR configuration_limit_exceeded THEN RETURN 'stopped by a limit';
    WHEN others THEN RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
CREATE TABLE public.before AS SELECT
    (SELECT count(*) FROM retail.orders) AS orders, (SELECT count(*) FROM retail.order_items) AS items,
    (SELECT count(*) FROM retail.stores) AS stores, (SELECT count(*) FROM zava.role_principals) AS mappings,
    (SELECT count(*) FROM pg_class WHERE relnamespace = 'retail'::regnamespace) AS retail_relations;
\c - seattle_manager
SET client_min_messages = warning;
-- stacked statements and transaction control
SELECT try('SELECT 1; SELECT 2');
SELECT try('COMMIT; SELECT 1');
SELECT try('SELECT 1; COMMIT');
SELECT try('COMMIT');
SELECT try('BEGIN');
SELECT try('ROLLBACK');
SELECT try('SAVEPOINT s');
SELECT try('');
-- settings and roles
SELECT try('SET ROLE head_office');
SELECT try('RESET ROLE');
SELECT try('SET search_path = public');
SELECT try('SET statement_timeout = 0');
SELECT try('SELECT set_config(''role'', ''head_office'', false)');
SELECT try('SELECT set_config(''app.current_rls_user_id'', ''7a0a0000-0000-4000-8000-000000000001'', false)');
SELECT try('SELECT current_setting(''data_directory'')');
SELECT try('SELECT (SELECT set_config(''role'', ''zava_gateway'', true))');
-- server files and directories, in the select list and in FROM
SELECT try('SELECT pg_read_file(''/etc/passwd'')');
SELECT try('SELECT * FROM pg_read_file(''/etc/passwd'')');
SELECT try('SELECT pg_read_binary_file(''/etc/passwd'')');
SELECT try('SELECT pg_ls_dir(''.'')');
SELECT try('SELECT * FROM pg_ls_dir(''.'') AS d');
SELECT try('SELECT pg_stat_file(''postgresql.conf'')');
SELECT try('SELECT 1 FROM retail.stores, LATERAL pg_read_file(''/etc/hostname'') f');
SELECT try('SELECT lower(pg_catalog.pg_read_file(''/etc/passwd''))');
-- large objects, COPY, DO, CALL, PREPARE/EXECUTE, EXPLAIN, maintenance
SELECT try('SELECT lo_import(''/etc/passwd'')');
SELECT try('SELECT lo_get(1)');
SELECT try('COPY retail.orders TO STDOUT');
SELECT try('COPY (SELECT 1) TO ''/tmp/zava-pwned''');
SELECT try('DO $x$ BEGIN PERFORM 1; END $x$');
SELECT try('CALL zava.nothing()');
SELECT try('PREPARE p AS SELECT 1');
SELECT try('EXECUTE p');
SELECT try('EXPLAIN ANALYZE SELECT * FROM retail.orders');
SELECT try('VACUUM retail.orders');
SELECT try('LISTEN zava');
SELECT try('SELECT pg_notify(''zava'', ''x'')');
-- writes: data-modifying CTEs, SELECT INTO, locking clauses
SELECT try('WITH d AS (DELETE FROM retail.orders RETURNING *) SELECT count(*) FROM d');
SELECT try('WITH i AS (INSERT INTO retail.stores (store_id, store_name, city, square_feet) VALUES (gen_random_uuid(), ''x'', ''x'', 1) RETURNING 1) SELECT * FROM i');
SELECT try('WITH u AS (UPDATE retail.inventory SET stock_level = 0 RETURNING 1) SELECT 1');
SELECT try('SELECT * INTO TEMP stolen FROM retail.orders');
SELECT try('SELECT * FROM retail.orders FOR UPDATE');
SELECT try('SELECT * FROM retail.orders FOR SHARE SKIP LOCKED');
SELECT try('DELETE FROM retail.orders');
SELECT try('TRUNCATE retail.orders');
SELECT try('CREATE TABLE retail.x (i int)');
-- other databases, sleeping, locks, backends, sequences, collations
SELECT try('SELECT dblink(''dbname=zava'', ''DELETE FROM retail.orders'')');
SELECT try('SELECT pg_sleep(5)');
SELECT try('SELECT 1 WHERE EXISTS (SELECT pg_sleep(5))');
SELECT try('WITH s AS (SELECT pg_sleep(5)) SELECT 1');
SELECT try('SELECT pg_advisory_lock(42)');
SELECT try('SELECT pg_try_advisory_xact_lock(42)');
SELECT try('SELECT pg_terminate_backend(pg_backend_pid())');
SELECT try('SELECT pg_cancel_backend(1)');
SELECT try('SELECT pg_reload_conf()');
SELECT try('SELECT nextval(0::regclass)');
SELECT try('SELECT setval(0::regclass, 1)');
SELECT try('SELECT pg_import_system_collations(''pg_catalog''::regnamespace)');
SELECT try('SELECT txid_current()');
SELECT try('SELECT query_to_xml(''DELETE FROM retail.orders'', true, true, '''')');
SELECT try('SELECT xmlparse(document ''<a/>'')');
SELECT try('SELECT repeat(''x'', 1000000000)');
-- Zava's own privileged functions
SELECT try('SELECT zava.assert_principal(''7a0a0000-0000-4000-8000-000000000001'')');
SELECT try('SELECT zava.generate_demo_data(1)');
SELECT try('SELECT zava.grant_principal(''seattle_manager'', ''7a0a0000-0000-4000-8000-000000000001'')');
SELECT try('SELECT zava.safe_query(''SELECT 1'')');
-- catalogs, other schemas, views
SELECT try('SELECT * FROM zava.principals');
SELECT try('SELECT * FROM pg_catalog.pg_authid');
SELECT try('SELECT query FROM pg_stat_activity');
SELECT try('SELECT * FROM information_schema.tables');
SELECT try('SELECT * FROM pg_class');
SELECT try('SELECT * FROM retail.orders TABLESAMPLE SYSTEM (50)');
-- spelling tricks: case, quoting, qualification, comments, dollar quotes, unicode
SELECT try('SeLeCt PG_READ_FILE(''/etc/passwd'')');
SELECT try('SELECT "pg_read_file"(''/etc/passwd'')');
SELECT try('SELECT 1 /* ; DELETE FROM retail.orders */');
SELECT try(E'SELECT 1 -- ; DROP TABLE retail.orders\n');
SELECT try('SELECT $q$; DELETE FROM retail.orders; $q$');
SELECT try('SELECT U&''\0070g_read_file''');
SELECT try('SELECT /**/ 1; /**/ DELETE FROM retail.orders');
-- bombs stop at the timeout or the row cap
SELECT try('SELECT count(*) FROM generate_series(1, 100000000000)', 100, 300);
SELECT try('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r', 100, 300);
SELECT try('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r', 5);
SELECT try('SELECT * FROM generate_series(1, 100000000000)', 10);
-- A bomb that never spills to disk meets the statement timeout (57014).
\set VERBOSITY terse
SELECT zava.safe_query('WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r', 100, 200);
\echo :LAST_ERROR_SQLSTATE
\set VERBOSITY default
-- A caller that catches a gate error is not cancelled later by the gate's timer.
SELECT try('SELECT 1 / 0', 100, 100) AS gate_error, pg_sleep(0.3) IS NOT NULL AS caller_not_cancelled;
-- other tenants' rows: zero, not an error
SELECT try('SELECT * FROM retail.orders WHERE store_id <> ''5a0a0000-0000-4000-8000-000000000001''');
SELECT try('SELECT o.* FROM retail.orders o JOIN retail.stores s USING (store_id) WHERE s.city = ''Tacoma''');
SELECT try('SELECT * FROM retail.inventory i WHERE NOT i.store_id = ANY (zava.current_store_ids())');
SELECT try('SELECT DISTINCT store_id FROM retail.order_items');
-- bad arguments and syntax
SELECT try('SELECT 1', 0);
SELECT try('SELECT 1', 100, 0);
SELECT try('SELECT * FORM retail.orders');
SELECT try('SELECT 1 +');
\c - postgres
-- Zero effect: nothing was written, created, or remapped.
SELECT b.orders = (SELECT count(*) FROM retail.orders) AS orders_intact,
       b.items = (SELECT count(*) FROM retail.order_items) AS items_intact,
       b.stores = (SELECT count(*) FROM retail.stores) AS stores_intact,
       b.mappings = (SELECT count(*) FROM zava.role_principals) AS mappings_intact,
       b.retail_relations = (SELECT count(*) FROM pg_class WHERE relnamespace = 'retail'::regnamespace) AS no_new_relations,
       (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects
  FROM public.before b;
DROP TABLE public.before;
