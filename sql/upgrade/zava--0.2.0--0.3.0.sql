-- zava 0.2.0 → 0.3.0: no side channels across tenants, psql logins as safe as
-- the bridge. The definitions are exactly what a fresh 0.3.0 install generates
-- (tests/e2e/upgrade.sh compares the two catalogs). Also in 0.3.0, with no
-- change to any SQL signature: EXPLAIN ANALYZE is refused for principals (a
-- hook in the library, loaded by shared_preload_libraries), and zava.safe_query
-- refuses system columns, catalog-reference types (regclass, regrole, …),
-- operators outside pg_catalog and trusted extensions, and session_user /
-- current_user.

-- Login mappings keyed on the role's OID, not its name. A mapping whose role
-- no longer exists is dropped: it could only ever apply to a new role that
-- happens to take the old name, which is the flaw this fixes.
ALTER TABLE zava.role_principals ADD COLUMN login_role regrole;
DO $mappings$
DECLARE
    orphans bigint;
BEGIN
    UPDATE zava.role_principals rp SET login_role = r.oid::regrole
      FROM pg_catalog.pg_roles r WHERE r.rolname = rp.role_name;
    DELETE FROM zava.role_principals WHERE login_role IS NULL;
    GET DIAGNOSTICS orphans = ROW_COUNT;
    IF orphans > 0 THEN
        RAISE NOTICE 'zava 0.3.0: dropped % login mapping(s) whose role no longer exists', orphans;
    END IF;
END
$mappings$;
ALTER TABLE zava.role_principals DROP CONSTRAINT role_principals_pkey;
ALTER TABLE zava.role_principals DROP COLUMN role_name;
ALTER TABLE zava.role_principals ADD CONSTRAINT role_principals_pkey PRIMARY KEY (login_role);

-- Probes by product are bounded by the RLS predicate inside the index.
DROP INDEX retail.order_items_product_id_idx;
CREATE INDEX ON retail.order_items (product_id, store_id);
DROP INDEX retail.inventory_product_id_idx;
CREATE INDEX ON retail.inventory (product_id, store_id);

-- Login settings, and the functions that give and take them (sql/security.sql).
CREATE FUNCTION zava.principal_login_settings(OUT name text, OUT value text) RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    VALUES ('statement_timeout', '30s'), ('idle_in_transaction_session_timeout', '60s'),
           ('temp_file_limit', '1GB'), ('work_mem', '16MB')
$$;

CREATE OR REPLACE FUNCTION zava.grant_principal(role_name name, principal uuid) RETURNS void
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

CREATE OR REPLACE FUNCTION zava.revoke_principal(role_name name) RETURNS boolean
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

-- Existing principal logins get the settings too (where they have none of their own).
DO $limits$
DECLARE
    m record;
    s record;
BEGIN
    FOR m IN SELECT r.oid, r.rolname FROM zava.role_principals rp JOIN pg_catalog.pg_roles r ON r.oid = rp.login_role::oid LOOP
        FOR s IN SELECT * FROM zava.principal_login_settings() LOOP
            IF NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting d, pg_catalog.unnest(d.setconfig) c
                            WHERE d.setrole = m.oid AND d.setdatabase = 0
                              AND pg_catalog.split_part(c, '=', 1) = s.name) THEN
                EXECUTE pg_catalog.format('ALTER ROLE %I SET %I = %L', m.rolname, s.name, s.value);
            END IF;
        END LOOP;
    END LOOP;
END
$limits$;

-- describe_tables: rows the caller can see, not the table-wide estimate.
CREATE OR REPLACE FUNCTION zava.describe_tables(names text[]) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    allowed text[] := ARRAY(SELECT c.relname::text FROM pg_class c
                             WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1);
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
                         WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped),
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
END
$side_channels$;
