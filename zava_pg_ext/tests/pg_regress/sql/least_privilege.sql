-- Invariant 4: the runtime roles own nothing, cannot bypass RLS, and only the
-- gateway may assert; RLS is forced; definer functions pin their search_path.
\set runtime 'ARRAY[''zava_reader'', ''zava_head_office'', ''zava_regional_manager'', ''zava_store_manager'', ''zava_agent'', ''zava_gateway'', ''zava_admin'', ''zava_mcp'', ''visitor'', ''regress_gateway''] || ARRAY(SELECT role_name::name FROM zava.demo_principals())'
SELECT count(*) AS runtime_roles,
       bool_or(rolsuper) AS any_superuser, bool_or(rolbypassrls) AS any_bypassrls,
       bool_or(rolcreaterole) AS any_createrole, bool_or(rolcreatedb) AS any_createdb
  FROM pg_roles WHERE rolname = ANY (:runtime);
SELECT (SELECT count(*) FROM pg_class WHERE relowner IN (SELECT oid FROM pg_roles WHERE rolname = ANY (:runtime))) AS relations_owned,
       (SELECT count(*) FROM pg_proc WHERE proowner IN (SELECT oid FROM pg_roles WHERE rolname = ANY (:runtime))) AS functions_owned,
       (SELECT count(*) FROM pg_namespace WHERE nspowner IN (SELECT oid FROM pg_roles WHERE rolname = ANY (:runtime))) AS schemas_owned;
-- Who may assert an identity (non-superusers): the gateway and its logins only.
SELECT rolname FROM pg_roles
 WHERE NOT rolsuper AND has_function_privilege(oid, 'zava.assert_principal(uuid)', 'EXECUTE') ORDER BY 1;
-- The agent can never become the gateway.
SELECT pg_has_role('zava_agent', 'zava_gateway', 'MEMBER') AS agent_is_gateway,
       pg_has_role('zava_gateway', 'zava_agent', 'MEMBER') AS gateway_can_be_agent;
-- Admin-only functions: which non-superusers may run them.
SELECT p.proname,
       ARRAY(SELECT r.rolname FROM pg_roles r
              WHERE NOT r.rolsuper AND r.rolname NOT LIKE 'pg\_%'
                AND has_function_privilege(r.oid, p.oid, 'EXECUTE') ORDER BY 1) AS non_superusers_with_execute
  FROM pg_proc p
 WHERE p.pronamespace = 'zava'::regnamespace
   AND p.proname IN ('generate_demo_data', 'grant_principal', 'revoke_principal', 'create_principal',
                     'setup_demo_logins', 'drop_principal_groups', 'assert_principal')
 ORDER BY 1;
-- Every SECURITY DEFINER function pins search_path.
SELECT proname, proconfig FROM pg_proc
 WHERE pronamespace = 'zava'::regnamespace AND prosecdef ORDER BY 1;
-- RLS forced on every tenant table; no table privileges for PUBLIC.
SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
 WHERE relnamespace = 'retail'::regnamespace AND relkind = 'r' ORDER BY 1;
SELECT count(*) AS public_table_grants FROM information_schema.role_table_grants
 WHERE table_schema IN ('retail', 'zava') AND grantee = 'PUBLIC';
-- Customer numbers and the sets made of them (0.9.0): which non-superusers read them.
SELECT t, ARRAY(SELECT r.rolname FROM pg_roles r
                 WHERE NOT r.rolsuper AND r.rolname NOT LIKE 'pg\_%'
                   AND has_any_column_privilege(r.oid, t::regclass, 'SELECT') ORDER BY 1) AS non_superusers_reading
  FROM unnest(ARRAY['zava.customer_numbers', 'retail.daily_store_customers', 'retail.monthly_store_customers']) t;
-- Tenants read retail tables column by column (0.9.0): a table-level SELECT
-- would grant the system columns too. Which retail tables a runtime role other
-- than zava_admin holds a table-level SELECT on, and which columns it lacks.
SELECT count(*) AS tenant_table_level_selects FROM pg_class c, pg_roles r
 WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind = 'r'
   AND r.rolname = ANY (:runtime) AND r.rolname <> 'zava_admin' AND has_table_privilege(r.oid, c.oid, 'SELECT');
SELECT c.relname, a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind = 'r'
   AND NOT has_column_privilege('zava_reader', c.oid, a.attnum, 'SELECT') ORDER BY 1, 2;
-- Policy helpers are STABLE and never run in parallel workers.
SELECT proname, provolatile, proparallel FROM pg_proc
 WHERE pronamespace = 'zava'::regnamespace AND proname IN ('current_store_ids', 'current_principal', 'get_user_store_list', 'get_current_user_store')
 ORDER BY 1;
