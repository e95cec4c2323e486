-- Zava tenant isolation (loaded last by CREATE EXTENSION zava: the policies
-- call the Rust identity helpers).
--
-- Every tenant table has RLS enabled and FORCEd. Principals read rows of their
-- stores; zava_admin reads and writes everything; everyone else sees nothing.
-- `(SELECT zava.current_store_ids())` is written as a sub-select so Postgres
-- evaluates it once per query (an InitPlan), not once per row.

-- Per-store tables: a row is visible when its store is one of the caller's.
DO $policies$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['orders', 'order_items', 'inventory', 'daily_store_sales', 'daily_category_sales', 'daily_product_sales',
                             'daily_store_customers', 'monthly_store_sales', 'monthly_category_sales', 'monthly_product_sales',
                             'monthly_store_customers', 'daily_customer_sales', 'monthly_customer_sales',
                             'daily_store_buyers', 'monthly_store_buyers', 'sales_log'] LOOP
        EXECUTE format('ALTER TABLE retail.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE retail.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_read ON retail.%I FOR SELECT TO PUBLIC
                            USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]))', t);
        EXECUTE format('CREATE POLICY admin_all ON retail.%I FOR ALL TO zava_admin USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$policies$;

-- Chain-wide rollups (no store column) hold totals over every store: only a
-- principal who sees every store (head office) reads them.
DO $policies$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['daily_chain_product_sales', 'monthly_chain_product_sales'] LOOP
        EXECUTE format('ALTER TABLE retail.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE retail.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_read ON retail.%I FOR SELECT TO PUBLIC
                            USING ((SELECT zava.sees_every_store()))', t);
        EXECUTE format('CREATE POLICY admin_all ON retail.%I FOR ALL TO zava_admin USING (true) WITH CHECK (true)', t);
    END LOOP;
END
$policies$;

-- A store manager sees the customers of their store and those who ordered
-- there (the EXISTS reads orders under the caller's own RLS).
ALTER TABLE retail.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.customers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.customers FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[])
           OR EXISTS (SELECT FROM retail.orders o
                       WHERE o.customer_id = customers.customer_id
                         AND o.store_id = ANY ((SELECT zava.current_store_ids())::uuid[])));
CREATE POLICY admin_all ON retail.customers FOR ALL TO zava_admin USING (true) WITH CHECK (true);

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

-- ---------------------------------------------------------------------------
-- Administration (zava_admin): principals and their login roles
-- ---------------------------------------------------------------------------

-- Creates a principal. Security invoker: zava_admin holds the table privileges.
CREATE FUNCTION zava.create_principal(kind text, display_name text, store_ids uuid[] DEFAULT '{}',
                                      principal_id uuid DEFAULT gen_random_uuid())
RETURNS uuid
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n int := coalesce(cardinality(store_ids), 0);
BEGIN
    IF kind IS NULL OR display_name IS NULL OR principal_id IS NULL OR store_ids IS NULL THEN
        RAISE EXCEPTION 'kind, display_name, store_ids and principal_id must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF kind NOT IN ('head_office', 'regional_manager', 'store_manager') THEN
        RAISE EXCEPTION 'unknown principal kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Valid kinds: head_office, regional_manager, store_manager.';
    END IF;
    IF kind = 'head_office' AND n <> 0 OR kind = 'store_manager' AND n <> 1
       OR kind = 'regional_manager' AND n < 1 THEN
        RAISE EXCEPTION '% needs %', kind,
            CASE kind WHEN 'head_office' THEN 'no store_ids (it sees every store)'
                      WHEN 'store_manager' THEN 'exactly one store_id'
                      ELSE 'at least one store_id' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO zava.principals (principal_id, kind, display_name)
        VALUES (create_principal.principal_id, create_principal.kind, create_principal.display_name);
    INSERT INTO zava.principal_stores (principal_id, store_id)
        SELECT create_principal.principal_id, s FROM unnest(store_ids) AS s;
    RETURN principal_id;
END
$$;

-- Removes a role's memberships in the principal group roles, except `keep`.
-- Called by grant_principal/revoke_principal (which hold definer rights).
CREATE FUNCTION zava.drop_principal_groups(role_name name, keep name DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    g name;
BEGIN
    FOR g IN SELECT gr.rolname FROM pg_catalog.pg_auth_members m
               JOIN pg_catalog.pg_roles gr ON gr.oid = m.roleid
               JOIN pg_catalog.pg_roles mr ON mr.oid = m.member
              WHERE mr.rolname = role_name
                AND gr.rolname IN ('zava_head_office', 'zava_regional_manager', 'zava_store_manager')
                AND gr.rolname IS DISTINCT FROM keep
    LOOP
        EXECUTE pg_catalog.format('REVOKE %I FROM %I', g, role_name);
    END LOOP;
END
$$;

-- The settings grant_principal gives a principal's login (ALTER ROLE … SET),
-- unless an administrator already set that parameter for the role: a psql login
-- gets the same bounds as a bridge call (a statement cannot run forever, an idle
-- transaction cannot hold locks that stall an administrator's ALTER or VACUUM
-- FULL, temporary files and sort memory are capped). revoke_principal resets them.
CREATE FUNCTION zava.principal_login_settings(OUT name text, OUT value text) RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    VALUES ('statement_timeout', '30s'), ('idle_in_transaction_session_timeout', '60s'),
           ('temp_file_limit', '1GB'), ('work_mem', '16MB')
$$;

-- Maps a login role to a principal and grants it the matching group role.
-- The mapping is keyed on the role's OID (a role dropped and created again
-- with the same name does not inherit it); mappings of roles that no longer
-- exist are removed on the way. The login gets zava.principal_login_settings()
-- where it has no setting of its own.
-- Definer rights: GRANT of a role and ALTER ROLE … SET need the extension
-- owner's rights; this function only ever grants one of the three principal
-- group roles and sets the parameters listed above.
CREATE FUNCTION zava.grant_principal(role_name name, principal uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    r record;
    s record;
BEGIN
    IF role_name IS NULL OR principal IS NULL THEN
        RAISE EXCEPTION 'role_name and principal must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT * INTO r FROM pg_catalog.pg_roles WHERE rolname = role_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'role "%" does not exist', role_name
            USING ERRCODE = 'undefined_object', HINT = 'CREATE ROLE … LOGIN first.';
    END IF;
    IF r.rolsuper OR r.rolbypassrls THEN
        RAISE EXCEPTION 'role "%" bypasses row-level security and cannot act as a principal', role_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF role_name LIKE 'zava\_%' THEN
        RAISE EXCEPTION 'role "%" is one of Zava''s own roles', role_name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT p.kind INTO k FROM zava.principals p WHERE p.principal_id = principal;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'principal % does not exist', principal USING ERRCODE = 'undefined_object';
    END IF;
    DELETE FROM zava.role_principals rp
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles x WHERE x.oid = rp.login_role::oid);
    INSERT INTO zava.role_principals AS rp (login_role, principal_id) VALUES (r.oid::regrole, principal)
        ON CONFLICT ON CONSTRAINT role_principals_pkey DO UPDATE SET principal_id = excluded.principal_id;
    PERFORM zava.drop_principal_groups(role_name, ('zava_' || k)::name);
    EXECUTE pg_catalog.format('GRANT %I TO %I', 'zava_' || k, role_name);
    FOR s IN SELECT * FROM zava.principal_login_settings() LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting d, pg_catalog.unnest(d.setconfig) c
                        WHERE d.setrole = r.oid AND d.setdatabase = 0
                          AND pg_catalog.split_part(c, '=', 1) = s.name) THEN
            EXECUTE pg_catalog.format('ALTER ROLE %I SET %I = %L', role_name, s.name, s.value);
        END IF;
    END LOOP;
END
$$;

-- Removes a login role's principal mapping, group roles and the settings
-- grant_principal gives (zava.principal_login_settings(), reset even where an
-- administrator had changed them). Returns whether the role had a mapping.
-- Definer rights: REVOKE of a role and ALTER ROLE … RESET, as in grant_principal.
CREATE FUNCTION zava.revoke_principal(role_name name) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    role_oid oid;
    s record;
BEGIN
    IF role_name IS NULL THEN
        RAISE EXCEPTION 'role_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    DELETE FROM zava.role_principals rp
     WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles x WHERE x.oid = rp.login_role::oid);
    SELECT x.oid INTO role_oid FROM pg_catalog.pg_roles x WHERE x.rolname = role_name;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM zava.drop_principal_groups(role_name);
    FOR s IN SELECT * FROM zava.principal_login_settings() LOOP
        EXECUTE pg_catalog.format('ALTER ROLE %I RESET %I', role_name, s.name);
    END LOOP;
    DELETE FROM zava.role_principals rp WHERE rp.login_role::oid = role_oid;
    RETURN FOUND;
END
$$;

-- Demo logins: one login role per demo principal (mapped with grant_principal),
-- `visitor` (may read, has no principal: sees no tenant rows) and `zava_mcp`
-- (the bridge's gateway login). Invoker rights: only a caller who may CREATE
-- ROLE can run it. Returns the roles it set up.
CREATE FUNCTION zava.setup_demo_logins() RETURNS SETOF text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT d.role_name, d.principal_id FROM zava.demo_principals() d LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r.role_name) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I LOGIN', r.role_name);
        END IF;
        PERFORM zava.grant_principal(r.role_name, r.principal_id);
        RETURN NEXT r.role_name;
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'visitor') THEN
        CREATE ROLE visitor LOGIN;
    END IF;
    GRANT zava_reader TO visitor;
    RETURN NEXT 'visitor';
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'zava_mcp') THEN
        CREATE ROLE zava_mcp LOGIN;
    END IF;
    GRANT zava_gateway TO zava_mcp;
    RETURN NEXT 'zava_mcp';
END
$$;

-- ---------------------------------------------------------------------------
-- Schema description for people and AI assistants
-- ---------------------------------------------------------------------------

-- Describes retail tables: columns (type, nullability, default, comment),
-- primary and foreign keys, how many rows the caller can see (counted under
-- RLS, up to 100,000: never the table-wide planner estimate, which counts other
-- stores' rows), and for text columns
-- with at most 20 distinct values those values *as this caller sees them*
-- (computed now, under the caller's RLS; nothing is cached across principals).
-- Only the tables and columns the caller may read (0.9.0). Security invoker.
CREATE FUNCTION zava.describe_tables(names text[]) RETURNS jsonb
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

-- ---------------------------------------------------------------------------
-- Function privileges (pgrx creates functions executable by PUBLIC)
-- ---------------------------------------------------------------------------
REVOKE EXECUTE ON FUNCTION zava.assert_principal(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.assert_principal(uuid) TO zava_gateway;

REVOKE EXECUTE ON FUNCTION zava.generate_demo_data(double precision, bigint, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.generate_demo_data(double precision, bigint, date) TO zava_admin;

REVOKE EXECUTE ON FUNCTION zava.create_principal(text, text, uuid[], uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.grant_principal(name, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.revoke_principal(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.create_principal(text, text, uuid[], uuid) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.grant_principal(name, uuid) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.revoke_principal(name) TO zava_admin;

REVOKE EXECUTE ON FUNCTION zava.touch_updated_at() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.setup_demo_logins() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.drop_principal_groups(name, name) FROM PUBLIC;

-- Customer sets hold customer numbers (0.9.0): administrators only.
REVOKE EXECUTE ON FUNCTION zava.customer_sets_between(uuid[], date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.customer_sets_between(uuid[], date, date) TO zava_admin;

-- Search (0.2.0): refreshing stored embeddings is for administrators.
REVOKE EXECUTE ON FUNCTION zava.refresh_embeddings() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.refresh_embeddings() TO zava_admin;

-- ---------------------------------------------------------------------------
-- Side channels (0.3.0): what PostgreSQL grants to PUBLIC by default and a
-- principal must not have in a database that holds Zava's tenants. These change
-- privileges of this database and of built-in functions, so DROP EXTENSION
-- does not undo them (docs/security.md says how to, and why not to).
-- ---------------------------------------------------------------------------
DO $side_channels$
DECLARE
    f regprocedure;
BEGIN
    -- Temporary objects: pg_temp functions and operators, temporary tables.
    EXECUTE pg_catalog.format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', pg_catalog.current_database());
    EXECUTE pg_catalog.format('GRANT TEMPORARY ON DATABASE %I TO zava_admin', pg_catalog.current_database());
    -- set_config(): SET of the parameters that bound a principal's login is
    -- checked before it runs (session_guard.rs); set_config() would change them
    -- in the middle of a query, where no hook sees it. SET stays for everyone.
    REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO zava_admin;
    -- Writing large objects: storage outside every table and every policy.
    -- Nothing in Zava needs them (lo_import/lo_export are superuser-only already).
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND p.proname IN ('lo_create', 'lo_creat', 'lo_from_bytea', 'lo_put', 'lowrite',
                             'lo_truncate', 'lo_truncate64', 'lo_unlink')
         ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
    -- Chain-wide table statistics: live and dead row counts, inserts, updates,
    -- deletes, scans and sizes of every table, which count other stores' rows
    -- (pg_stat_user_tables, pg_statio_*, pg_stat_database, pg_relation_size):
    -- for monitoring (pg_read_all_stats) and administrators only.
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND (p.proname ~ '^pg_stat_get_(xact_)?(numscans|tuples_|live_tuples|dead_tuples|mod_since_analyze|ins_since_vacuum|blocks_|last_|vacuum_count|autovacuum_count|analyze_count|autoanalyze_count|function_)'
                OR p.proname ~ '^pg_stat_get_db_'
                OR p.proname IN ('pg_relation_size', 'pg_table_size', 'pg_indexes_size', 'pg_total_relation_size'))
         ORDER BY 1
    LOOP
        EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO pg_read_all_stats, zava_admin', f);
    END LOOP;
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
