-- No side channels across tenants (0.3.0). Each attack runs as a principal and
-- must be refused, or show only what the caller may know. Uses public.try()
-- from gate_attacks (zava.safe_query as the caller).
SET client_min_messages = warning;
CREATE ROLE regress_admin LOGIN IN ROLE zava_admin;
CREATE SCHEMA regress_ops;
CREATE OPERATOR regress_ops.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
GRANT USAGE ON SCHEMA regress_ops TO PUBLIC;

-- 1. EXPLAIN ANALYZE counts the rows RLS removed (other stores'): refused for
-- principals. Each \c is a fresh connection whose first statement is the
-- EXPLAIN, so the hook must be loaded for every session (shared_preload_libraries).
\c - seattle_manager
EXPLAIN (ANALYZE) SELECT 1 FROM retail.customers;
\c - seattle_manager
EXPLAIN ANALYZE SELECT * FROM retail.customers WHERE email = 'someone@example.com';
EXPLAIN (ANALYZE true, COSTS false) SELECT count(*) FROM retail.orders;
EXPLAIN (ANALYZE 1, TIMING off) SELECT * FROM retail.orders WHERE order_id = '00000000-0000-4000-8000-000000000000';
EXPLAIN (analyze on, buffers on) SELECT 1 FROM retail.inventory;
PREPARE probe AS SELECT 1 FROM retail.customers WHERE email = $1;
EXPLAIN ANALYZE EXECUTE probe('x@example.com');
DEALLOCATE probe;
DO $$ BEGIN EXECUTE 'EXPLAIN ANALYZE SELECT 1 FROM retail.customers'; END $$;
DO $$ DECLARE r record; BEGIN FOR r IN EXECUTE 'EXPLAIN (ANALYZE) SELECT 1 FROM retail.orders' LOOP END LOOP; END $$;
-- Plain EXPLAIN (estimates only) is allowed, and so is ANALYZE false.
EXPLAIN (COSTS false) SELECT store_name FROM retail.stores;
EXPLAIN (ANALYZE false, COSTS false) SELECT store_name FROM retail.stores;
\c - head_office
EXPLAIN ANALYZE SELECT 1 FROM retail.stores;
\c - visitor
EXPLAIN ANALYZE SELECT 1 FROM retail.customers;
-- Administrators see every row anyway: allowed (a zava_admin login and a superuser).
\c - regress_admin
EXPLAIN (ANALYZE, COSTS false, TIMING false, SUMMARY false) SELECT 1 FROM retail.stores LIMIT 1;
\c - postgres
EXPLAIN (ANALYZE, COSTS false, TIMING false, SUMMARY false) SELECT 1 FROM retail.stores LIMIT 1;

-- 2. RLS predicates as index conditions: a probe by product is bounded by the
-- caller's stores inside the index (customers and orders by order_id still
-- filter after the scan: docs/security.md says why).
\c - seattle_manager
SET enable_seqscan = off;
EXPLAIN (COSTS false) SELECT quantity FROM retail.order_items WHERE product_id = '00000000-0000-4000-8000-000000000000';
EXPLAIN (COSTS false) SELECT stock_level FROM retail.inventory WHERE product_id = '00000000-0000-4000-8000-000000000000';
EXPLAIN (COSTS false) SELECT 1 FROM retail.orders WHERE customer_id = '00000000-0000-4000-8000-000000000000';
RESET enable_seqscan;

-- 3. Chain-wide statistics: refused (permission denied for the functions behind
-- the views); the planner's table-size estimate stays readable (accepted leak).
SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'orders';
SELECT pg_stat_get_live_tuples('retail.orders'::regclass);
SELECT pg_stat_get_tuples_inserted('retail.customers'::regclass);
SELECT pg_stat_get_xact_tuples_inserted('retail.orders'::regclass);
SELECT pg_relation_size('retail.orders');
SELECT pg_total_relation_size('retail.customers');
SELECT pg_table_size('retail.order_items');
SELECT pg_indexes_size('retail.customers');
SELECT tup_inserted FROM pg_stat_database WHERE datname = current_database();
SELECT heap_blks_read FROM pg_statio_user_tables WHERE relname = 'orders';
SELECT idx_scan FROM pg_stat_user_indexes WHERE relname = 'customers';
SELECT n_tup_ins FROM pg_stat_xact_user_tables WHERE relname = 'orders';
SELECT last_autoanalyze FROM pg_stat_all_tables WHERE relname = 'orders';
SELECT count(*) AS visible_stats FROM pg_stats WHERE schemaname = 'retail' AND tablename = 'customers';
SELECT reltuples >= 0 AS reltuples_readable_accepted_leak FROM pg_class WHERE oid = 'retail.orders'::regclass;

-- 4. Writes a principal should not have: temporary objects and large objects.
CREATE TEMP TABLE scratch (x int);
CREATE FUNCTION pg_temp.peek2() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE OPERATOR pg_temp.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq);
SELECT lo_from_bytea(0, 'secret');
SELECT lo_create(0);
SELECT lo_creat(-1);
SELECT lo_put(12345, 0, 'x');
SELECT lowrite(0, 'x');
SELECT lo_unlink(12345);

-- 5. The login's bounds (grant_principal): set, and ceilings a session may
-- lower but not raise or switch off — by SET, set_config(), or ALTER ROLE.
SHOW statement_timeout;
SHOW idle_in_transaction_session_timeout;
SHOW temp_file_limit;
SHOW work_mem;
SET temp_file_limit = -1;
SET statement_timeout = 0;
SET statement_timeout = '1h';
SET idle_in_transaction_session_timeout = 0;
SET work_mem = '1GB';
BEGIN;
SET LOCAL statement_timeout = '2h';
ROLLBACK;
SELECT set_config('statement_timeout', '0', false);
SELECT set_config('idle_in_transaction_session_timeout', '0', true);
DO $$ BEGIN PERFORM set_config('work_mem', '4GB', false); END $$;
DO $$ BEGIN SET idle_in_transaction_session_timeout = 0; END $$;
DO $$ BEGIN BEGIN PERFORM set_config('statement_timeout', '0', false); EXCEPTION WHEN others THEN NULL; END; END $$;
ALTER ROLE seattle_manager SET statement_timeout = 0;
ALTER ROLE seattle_manager RESET idle_in_transaction_session_timeout;
ALTER ROLE seattle_manager RESET ALL;
-- After every attempt: the bounds are unchanged.
SHOW statement_timeout;
SHOW idle_in_transaction_session_timeout;
SHOW work_mem;
-- Lowering is fine, and RESET goes back to the login's bound.
SET statement_timeout = '5s';
SET work_mem = '1MB';
SHOW statement_timeout;
RESET statement_timeout;
RESET work_mem;
SHOW statement_timeout;
-- Connection options (PGOPTIONS) cannot lift them either: every statement is
-- refused until the session is back within its bounds.
\c "dbname=zava_regress user=seattle_manager options=-cstatement_timeout=0"
SELECT count(*) > 0 AS sees_orders FROM retail.orders;
SELECT 1 AS anything;
LOCK TABLE retail.orders IN ACCESS SHARE MODE;
SHOW statement_timeout;
-- RESET would go back to the connection's 0: refused too; SET within the bound works.
RESET statement_timeout;
SET statement_timeout = '20s';
SELECT count(*) > 0 AS sees_orders FROM retail.orders;
\c "dbname=zava_regress user=seattle_manager options=''"
SHOW statement_timeout;

-- 6. Through the gate: system columns, catalog-reference casts, foreign
-- operators, and the names of database logins.
SET client_min_messages = warning;
SELECT try('SELECT ctid FROM retail.orders');
SELECT try('SELECT xmin FROM retail.orders');
SELECT try('SELECT age(xmin) FROM retail.customers');
SELECT try('SELECT xmax, cmin, cmax FROM retail.order_items');
SELECT try('SELECT tableoid FROM retail.inventory');
SELECT try('SELECT o.ctid FROM retail.orders o JOIN retail.stores s USING (store_id)');
SELECT try('SELECT max(xmin::text::bigint) FROM retail.orders');
SELECT try('SELECT count(*) FROM retail.orders WHERE ctid > ''(10,1)''');
SELECT try('SELECT (SELECT ctid FROM retail.orders LIMIT 1)');
SELECT try('WITH x AS (SELECT xmin AS x FROM retail.orders) SELECT count(*) FROM x');
SELECT try('SELECT 16384::oid::regclass');
SELECT try('SELECT ''head_office''::regrole');
SELECT try('SELECT ''no_such_role''::regrole');
SELECT try('SELECT ''pg_authid''::regclass');
SELECT try('SELECT ''retail.no_such_table''::regclass');
SELECT try('SELECT CAST(''zava_admin'' AS regrole)');
SELECT try('SELECT regrole ''zava_admin''');
SELECT try('SELECT regclass(''pg_class'')');
SELECT try('SELECT ''now''::regproc');
SELECT try('SELECT ''int4''::pg_catalog.regtype');
SELECT try('SELECT ''zava''::regnamespace');
SELECT try('SELECT ''+''::regoper');
SELECT try('SELECT 10::oid::regrole');
SELECT try('SELECT store_id::text::regclass FROM retail.stores');
SELECT try('SELECT ARRAY[1259::oid]::regclass[]');
SELECT try('SELECT 1 WHERE 1 OPERATOR(regress_ops.===) 1');
SELECT try('SELECT 1 WHERE 1 OPERATOR(regress_ops.===) ANY (ARRAY[1, 2])');
SELECT try('SELECT count(*) FROM retail.order_items WHERE quantity OPERATOR(regress_ops.===) 1');
SELECT try('SELECT session_user');
SELECT try('SELECT current_user');
SELECT try('SELECT current_role');
SELECT try('SELECT user');
SELECT try('SELECT upper(session_user::text)');
-- Still fine: the caller's own identity, dates, built-in operators, sorting.
SELECT try('SELECT zava.whoami()->>''kind'' AS kind');
SELECT try('SELECT current_date, current_timestamp, localtimestamp');
SELECT try('SELECT store_id, count(*) FROM retail.orders GROUP BY 1 ORDER BY 2 DESC, 1');

-- 7. describe_tables: the rows this caller can see, not the chain's.
SELECT (d->>'row_estimate')::bigint = (SELECT count(*) FROM retail.orders) AS orders_count_is_mine,
       (d->>'row_estimate')::bigint < (SELECT reltuples FROM pg_class WHERE oid = 'retail.orders'::regclass) AS less_than_chain,
       d->>'row_estimate_exact' AS exact
  FROM jsonb_array_elements(zava.describe_tables(ARRAY['orders'])->'tables') d;
SELECT (d->>'row_estimate')::bigint = (SELECT count(*) FROM retail.customers) AS customers_count_is_mine
  FROM jsonb_array_elements(zava.describe_tables(ARRAY['customers'])->'tables') d;
\c - visitor
SELECT d->>'table' AS t, d->>'row_estimate' AS rows
  FROM jsonb_array_elements(zava.describe_tables(ARRAY['orders', 'customers', 'stores'])->'tables') d;

-- 8. The login mapping follows the role, not its name.
\c - postgres
SET client_min_messages = warning;
CREATE ROLE regress_reborn LOGIN;
ALTER ROLE regress_reborn SET statement_timeout = '5min';
SELECT zava.grant_principal('regress_reborn', '7a0a0000-0000-4000-8000-000000000011');
-- grant_principal kept the administrator's own statement_timeout and added the rest.
SELECT c FROM pg_db_role_setting d, unnest(d.setconfig) c WHERE d.setrole = 'regress_reborn'::regrole ORDER BY 1;
\c - regress_reborn
SELECT zava.whoami()->>'display_name' AS principal;
\c - postgres
ALTER ROLE regress_reborn RENAME TO regress_renamed;
\c - regress_renamed
SELECT zava.whoami()->>'display_name' AS principal_after_rename;
\c - postgres
DROP ROLE regress_renamed;
-- Its mapping is left behind (a role's OID is not a foreign key) but names no role.
SELECT count(*) AS orphan_mappings FROM zava.role_principals rp
 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = rp.login_role::oid);
CREATE ROLE regress_renamed LOGIN;
GRANT zava_reader TO regress_renamed;
\c - regress_renamed
-- A new role with the old name is someone else: no principal, no rows.
SELECT zava.whoami()->>'principal_id' IS NULL AS no_principal, count(*) AS orders FROM retail.orders;
\c - postgres
SET client_min_messages = warning;
-- The dropped role's mapping is gone (grant/revoke clean up orphans).
SELECT zava.revoke_principal('regress_renamed') AS had_mapping;
SELECT count(*) AS orphan_mappings FROM zava.role_principals rp
 WHERE NOT EXISTS (SELECT FROM pg_roles r WHERE r.oid = rp.login_role::oid);
SELECT zava.grant_principal('regress_renamed', '7a0a0000-0000-4000-8000-000000000011');
SELECT zava.revoke_principal('regress_renamed') AS had_mapping;
-- revoke_principal took the settings away with the mapping.
SELECT count(*) AS settings_left FROM pg_db_role_setting WHERE setrole = 'regress_renamed'::regrole;
DROP ROLE regress_renamed;

-- 9. Chain-wide numbers (0.9.0). customer_no was dense and chain-wide: its
-- largest value was the chain's customer count, its gaps other stores'
-- sign-ups. Now no tenant reads it — not as a column of retail.customers, not
-- in its own table, not from its sequence, not as the members of a customer
-- set — while the analytics still count customers exactly.
\c - seattle_manager
\set VERBOSITY terse
SELECT max(customer_no) FROM retail.customers;
SELECT customer_no FROM retail.customers WHERE created_at >= now() - interval '3 days' ORDER BY 1;
SELECT max(customer_no) FROM zava.customer_numbers;
SELECT count(*) FROM zava.customer_numbers;
SELECT last_value FROM zava.customer_no_seq;
SELECT pg_sequence_last_value('zava.customer_no_seq');
SELECT nextval('zava.customer_no_seq');
SELECT last_value IS NULL AS sequence_value_hidden FROM pg_sequences WHERE sequencename = 'customer_no_seq';
SELECT zava.customer_set_members(customer_set) FROM retail.daily_store_customers LIMIT 1;
SELECT max(customers) FROM retail.monthly_store_customers;
SELECT count(*) FROM zava.customer_sets_between(ARRAY['5a0a0000-0000-4000-8000-000000000001']::uuid[], '2000-01-01', '2100-01-01');
SELECT zava.explain_query('SELECT customer_set FROM retail.daily_store_customers');
SELECT zava.describe_tables('{daily_store_customers}');
SELECT jsonb_path_query_array(zava.describe_tables('{customers}'), '$.tables[0].columns[*].name') AS customer_columns;
-- The gate (execute_sales_query) says the same.
SELECT try('SELECT max(customer_no), count(*) FROM retail.customers');
SELECT try('SELECT customer_no FROM zava.customer_numbers');
SELECT try('SELECT count(*) FROM retail.daily_store_customers');
SELECT try('SELECT zava.customer_set_members(customer_set) FROM retail.monthly_store_customers');
-- The counts stay exact, over the caller's own stores only: asking for every
-- store gives Seattle's count, and for another store alone, none.
SELECT zava.unique_customers_between(ARRAY(SELECT store_id FROM retail.stores), '2000-01-01', '2100-01-01')
     = (SELECT count(DISTINCT customer_id) FROM retail.orders WHERE status = 'completed') AS own_customers_exact;
SELECT zava.unique_customers_between(ARRAY['5a0a0000-0000-4000-8000-000000000003']::uuid[], '2000-01-01', '2100-01-01') AS tacoma_customers,
       zava.new_customers_between(ARRAY['5a0a0000-0000-4000-8000-000000000003']::uuid[], '2024-01-01', '2024-07-01', '2000-01-01') AS tacoma_new;
SELECT zava.new_customers_between(ARRAY(SELECT store_id FROM retail.stores), '2024-01-01', '2024-07-01', '2000-01-01')
     = (SELECT count(*) FROM (SELECT customer_id FROM retail.orders WHERE status = 'completed'
                               GROUP BY 1 HAVING min(order_date) >= '2024-01-01' AND min(order_date) < '2024-07-01') f) AS own_new_customers_exact;
SELECT (zava.customer_insights(NULL, '2024-01-01..2024-06-30')->>'new_customers')::int
     = zava.new_customers_between(ARRAY['5a0a0000-0000-4000-8000-000000000001']::uuid[], '2024-01-01', '2024-07-01', '1900-01-01') AS insights_agree;
\c - postgres
-- The control: the chain has more customers than Seattle, and an
-- administrator's login still reads the numbers.
SELECT zava.unique_customers_between(ARRAY(SELECT store_id FROM retail.stores), '2000-01-01', '2100-01-01')
     > (SELECT count(DISTINCT customer_id) FROM retail.orders WHERE status = 'completed' AND store_id = '5a0a0000-0000-4000-8000-000000000001') AS chain_has_more;
SELECT count(*) = (SELECT count(*) FROM retail.customers) AS every_customer_numbered FROM zava.customer_numbers;

-- 10. System columns from psql (0.9.0): tenants hold column privileges, which
-- never cover ctid, xmin, xmax or tableoid. xmin gaps count other stores'
-- transactions; the xmax a till's foreign-key check leaves on its store's
-- row names another store's transaction. Whole rows and count(*) still work.
\c - seattle_manager
\set VERBOSITY terse
SELECT ctid FROM retail.orders LIMIT 1;
SELECT xmin FROM retail.orders LIMIT 1;
SELECT max(xmin::text::bigint) FROM retail.order_items;
SELECT xmax FROM retail.stores LIMIT 1;
SELECT tableoid FROM retail.customers LIMIT 1;
SELECT cmin FROM retail.inventory LIMIT 1;
SELECT ctid FROM retail.daily_store_sales LIMIT 1;
SELECT count(*) > 0 AS counts_work, bool_and(o IS NOT NULL) AS whole_rows_work FROM retail.orders o;
SELECT count(*) AS customers_star FROM (SELECT * FROM retail.customers) c;
SELECT count(*) > 0 AS stores_readable FROM retail.stores;

-- 11. Chain-wide counters and sizes (0.9.0): every checkout is a transaction
-- and writes WAL, so two readings of any of these count every store's orders
-- in between.
SELECT txid_current();
SELECT txid_current_if_assigned();
SELECT txid_current_snapshot();
SELECT pg_current_xact_id();
SELECT pg_current_snapshot();
SELECT age('3'::xid);
SELECT mxid_age('1'::xid);
SELECT pg_xact_status('3'::xid8);
SELECT next_xid FROM pg_control_checkpoint();
SELECT backend_xmin FROM pg_stat_activity WHERE pid = pg_backend_pid();
SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid';
SELECT pg_current_wal_lsn();
SELECT pg_current_wal_insert_lsn();
SELECT wal_records FROM pg_stat_wal;
SELECT archived_count FROM pg_stat_archiver;
SELECT buffers_alloc FROM pg_stat_bgwriter;
SELECT blks_zeroed FROM pg_stat_slru WHERE name = 'Xact';
SELECT pg_database_size(current_database());
SELECT pg_tablespace_size('pg_default');
SELECT try('SELECT age(''3''::xid)');
-- age() of timestamps is another function and stays.
SELECT age(timestamp '2024-06-30', timestamp '2024-01-01') AS age_of_timestamps;
\c - regress_admin
SELECT txid_current() > 0 AS admin_reads_counters, pg_database_size(current_database()) > 0 AS admin_reads_size,
       (SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS admin_reads_activity;
\c - postgres
-- The bridge's gateway keeps what it reads on a standby for its replay lag;
-- the role untrusted SQL runs as does not.
SELECT r, has_function_privilege(r, 'pg_last_wal_replay_lsn()', 'EXECUTE') AS replay_lsn,
       has_function_privilege(r, 'pg_last_xact_replay_timestamp()', 'EXECUTE') AS replay_time,
       has_function_privilege(r, 'txid_current()', 'EXECUTE') AS txid
  FROM unnest(ARRAY['zava_gateway', 'zava_agent', 'zava_reader', 'seattle_manager']) r;
DROP ROLE regress_admin;
DROP SCHEMA regress_ops CASCADE;
