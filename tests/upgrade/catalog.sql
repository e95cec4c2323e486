-- A text fingerprint of everything the zava extension defines in a database:
-- one line per fact, sorted, names instead of OIDs. Two databases whose
-- fingerprints are equal have the same extension objects, definitions,
-- security properties and privileges. Used by tests/e2e/upgrade.sh to prove
-- that `ALTER EXTENSION zava UPDATE` from an older release gives exactly what a
-- fresh `CREATE EXTENSION zava` gives.
--
-- What is compared, and why each matters:
--   extension    version, schema, relocatability
--   member       every object the extension owns (pg_depend 'e'), by description
--   config_dump  tables registered with pg_extension_config_dump (and filters)
--   schema       owner and privileges of the schemas zava and retail
--   relation     kind, owner, access method, RLS enabled/forced, options, privileges
--   column       position, type, NOT NULL, default, generated, identity, collation, privileges
--   constraint   name and full definition
--   index        full definition
--   function     signature with defaults, result, language, volatility,
--                parallel safety, security definer, strict, leakproof, cost,
--                rows, search_path and other SET clauses, owner, privileges, body
--   trigger      full definition and enabled state
--   policy       command, permissive, roles, USING and WITH CHECK expressions
--   type         kind and enum labels (row types of tables are covered by columns)
--   comment      every comment on an extension object or its columns
--   role         Zava's own group roles: attributes, memberships, comments
--   builtin_acl  built-in functions whose privileges the extension changed, and
--                whether PUBLIC may create temporary objects in the database
-- Privileges are listed sorted, so the order of GRANTs does not matter.
SET search_path = pg_catalog;

WITH ext AS (
    SELECT * FROM pg_extension WHERE extname = 'zava'
), nsp AS (
    SELECT oid, nspname FROM pg_namespace WHERE nspname IN ('zava', 'retail')
), members AS (
    SELECT d.classid, d.objid FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
)
SELECT line FROM (
    SELECT 'extension zava version=' || extversion || ' schema=' || extnamespace::regnamespace
           || ' relocatable=' || extrelocatable AS line
      FROM ext
    UNION ALL
    SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
    UNION ALL
    SELECT 'config_dump ' || c::regclass || ' where=' || coalesce(w, '')
      FROM ext, unnest(ext.extconfig, ext.extcondition) AS u(c, w)
    UNION ALL
    SELECT 'schema ' || n.nspname || ' owner=' || n.nspowner::regrole
           || ' acl=' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(n.nspacl) a), '')
      FROM pg_namespace n JOIN nsp USING (oid)
    UNION ALL
    SELECT 'relation ' || c.oid::regclass || ' kind=' || c.relkind::text || ' owner=' || c.relowner::regrole
           || ' am=' || coalesce((SELECT amname FROM pg_am WHERE oid = c.relam), '')
           || ' rls=' || c.relrowsecurity || ' force_rls=' || c.relforcerowsecurity
           || ' persistence=' || c.relpersistence::text || ' options=' || coalesce(c.reloptions::text, '')
           || ' acl=' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(c.relacl) a), '')
      FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
     WHERE c.relkind NOT IN ('t')
    UNION ALL
    SELECT 'column ' || c.oid::regclass || '.' || a.attname
           || ' position=' || rank() OVER (PARTITION BY c.oid ORDER BY a.attnum)
           || ' type=' || format_type(a.atttypid, a.atttypmod) || ' notnull=' || a.attnotnull
           || ' default=' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '')
           || ' generated=' || a.attgenerated::text || ' identity=' || a.attidentity::text
           || ' collation=' || coalesce((SELECT collname FROM pg_collation WHERE oid = a.attcollation), '')
           || ' acl=' || coalesce((SELECT string_agg(x::text, ',' ORDER BY x::text) FROM unnest(a.attacl) x), '')
      FROM pg_class c JOIN nsp ON nsp.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    UNION ALL
    SELECT 'constraint ' || coalesce(nullif(co.conrelid, 0)::regclass::text, co.contypid::regtype::text)
           || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid)
           || ' deferrable=' || co.condeferrable || ' deferred=' || co.condeferred
      FROM pg_constraint co JOIN nsp ON nsp.oid = co.connamespace
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN nsp ON nsp.oid = c.relnamespace
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure || ' args=(' || pg_get_function_arguments(p.oid) || ')'
           || ' returns=' || coalesce(pg_get_function_result(p.oid), '')
           || ' kind=' || p.prokind::text || ' language=' || l.lanname
           || ' volatility=' || p.provolatile::text || ' parallel=' || p.proparallel::text
           || ' security_definer=' || p.prosecdef || ' strict=' || p.proisstrict
           || ' leakproof=' || p.proleakproof || ' cost=' || p.procost || ' rows=' || p.prorows
           || ' config=' || coalesce(p.proconfig::text, '') || ' owner=' || p.proowner::regrole
           || ' acl=' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(p.proacl) a), '')
           -- C functions: the library symbol itself; others: a digest of the body.
           || CASE WHEN l.lanname = 'c' THEN ' symbol=' || p.prosrc || ' library=' || coalesce(p.probin, '')
                   ELSE ' body_md5=' || md5(p.prosrc) END
      FROM pg_proc p JOIN nsp ON nsp.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
    UNION ALL
    SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN nsp ON nsp.oid = c.relnamespace
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'policy ' || pol.polrelid::regclass || ' ' || pol.polname || ' cmd=' || pol.polcmd::text
           || ' permissive=' || pol.polpermissive
           || ' roles=' || (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE r::regrole::text END, ',' ORDER BY 1)
                              FROM unnest(pol.polroles) r)
           || ' using=' || coalesce(pg_get_expr(pol.polqual, pol.polrelid), '')
           || ' check=' || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
      FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN nsp ON nsp.oid = c.relnamespace
    UNION ALL
    SELECT 'type ' || t.oid::regtype || ' kind=' || t.typtype::text || ' owner=' || t.typowner::regrole
           || ' labels=' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                        FROM pg_enum e WHERE e.enumtypid = t.oid), '')
           || ' acl=' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(t.typacl) a), '')
      FROM pg_type t JOIN nsp ON nsp.oid = t.typnamespace
     WHERE t.typtype <> 'c' AND t.typcategory <> 'A'
    UNION ALL
    SELECT 'comment ' || pg_describe_object(d.classoid, d.objoid, d.objsubid) || ' md5=' || md5(d.description)
      FROM pg_description d JOIN members m ON m.classid = d.classoid AND m.objid = d.objoid
    UNION ALL
    SELECT 'role ' || r.rolname || ' login=' || r.rolcanlogin || ' super=' || r.rolsuper
           || ' createdb=' || r.rolcreatedb || ' createrole=' || r.rolcreaterole
           || ' bypassrls=' || r.rolbypassrls || ' inherit=' || r.rolinherit
           || ' comment_md5=' || coalesce(md5(shobj_description(r.oid, 'pg_authid')), '')
      FROM pg_roles r
     WHERE r.rolname LIKE 'zava\_%' AND NOT r.rolcanlogin
    UNION ALL
    SELECT 'role_member ' || m.roleid::regrole || ' has ' || m.member::regrole || ' admin=' || m.admin_option
      FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
     WHERE g.rolname LIKE 'zava\_%' AND NOT g.rolcanlogin AND r.rolname LIKE 'zava\_%' AND NOT r.rolcanlogin
    UNION ALL
    -- Privileges the extension takes from PUBLIC (0.3.0, side channels): built-in
    -- functions whose privileges differ from initdb's, and the database's TEMP.
    SELECT 'builtin_acl ' || p.oid::regprocedure
           || ' acl=' || coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(p.proacl) a), '')
      FROM pg_proc p JOIN pg_init_privs ip ON ip.objoid = p.oid AND ip.classoid = 'pg_proc'::regclass AND ip.objsubid = 0
     WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proacl IS DISTINCT FROM ip.initprivs
    UNION ALL
    SELECT 'builtin_acl ' || p.oid::regprocedure
           || ' acl=' || (SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(p.proacl) a)
      FROM pg_proc p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proacl IS NOT NULL
       AND NOT EXISTS (SELECT FROM pg_init_privs ip WHERE ip.objoid = p.oid AND ip.classoid = 'pg_proc'::regclass)
    UNION ALL
    SELECT 'database temp_for_public=' || has_database_privilege('public', current_database(), 'TEMP')
) facts
ORDER BY line COLLATE "C";
