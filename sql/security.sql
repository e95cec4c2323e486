-- Zava tenant isolation (loaded last by CREATE EXTENSION zava: the policies
-- call the Rust identity helpers).
--
-- Every tenant table has RLS enabled and FORCEd. Principals read rows of their
-- stores; zava_admin reads and writes everything; everyone else sees nothing.
-- `(SELECT zava.current_store_ids())` is written as a sub-select so Postgres
-- evaluates it once per query (an InitPlan), not once per row.

ALTER TABLE retail.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.orders FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.orders FOR ALL TO zava_admin USING (true) WITH CHECK (true);

ALTER TABLE retail.order_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.order_items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.order_items FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.order_items FOR ALL TO zava_admin USING (true) WITH CHECK (true);

ALTER TABLE retail.inventory ENABLE ROW LEVEL SECURITY;
ALTER TABLE retail.inventory FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON retail.inventory FOR SELECT TO PUBLIC
    USING (store_id = ANY ((SELECT zava.current_store_ids())::uuid[]));
CREATE POLICY admin_all ON retail.inventory FOR ALL TO zava_admin USING (true) WITH CHECK (true);

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

-- Maps a login role to a principal and grants it the matching group role.
-- Definer rights: GRANT of a role needs the extension owner's rights; this
-- function only ever grants one of the three principal group roles.
CREATE FUNCTION zava.grant_principal(role_name name, principal uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text;
    r record;
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
    INSERT INTO zava.role_principals AS rp (role_name, principal_id) VALUES (grant_principal.role_name, principal)
        ON CONFLICT ON CONSTRAINT role_principals_pkey DO UPDATE SET principal_id = excluded.principal_id;
    PERFORM zava.drop_principal_groups(role_name, ('zava_' || k)::name);
    EXECUTE pg_catalog.format('GRANT %I TO %I', 'zava_' || k, role_name);
END
$$;

-- Removes a login role's principal mapping and group roles.
-- Definer rights: REVOKE of a role, as in grant_principal.
CREATE FUNCTION zava.revoke_principal(role_name name) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF role_name IS NULL THEN
        RAISE EXCEPTION 'role_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM zava.drop_principal_groups(role_name);
    DELETE FROM zava.role_principals rp WHERE rp.role_name = revoke_principal.role_name;
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
