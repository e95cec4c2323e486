-- zava 0.7.0 → 0.8.0: sign-in through an identity provider. The definitions
-- are exactly what a fresh 0.8.0 install generates (tests/e2e/upgrade.sh
-- compares the two catalogs): one new table, zava.identity_principals, and
-- the functions that grant, revoke and look up its rows.
--
-- (issuer, 'subject' | 'group', value) → principal, with who granted it when.
-- Not readable by runtime roles: zava.principal_for_subject reads it with
-- definer rights and returns one id.
CREATE TABLE zava.identity_principals (
    issuer       text NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2000),
    claim        text NOT NULL CHECK (claim IN ('subject', 'group')),
    value        text NOT NULL CHECK (length(value) BETWEEN 1 AND 2000),
    principal_id uuid NOT NULL REFERENCES zava.principals ON DELETE CASCADE,
    granted_at   timestamptz NOT NULL DEFAULT now(),
    granted_by   text NOT NULL DEFAULT session_user,
    CONSTRAINT identity_principals_pkey PRIMARY KEY (issuer, claim, value)
);
COMMENT ON TABLE zava.identity_principals IS 'Identity-provider subjects and groups granted a principal (zava.grant_principal_subject, zava.grant_principal_group).';
CREATE INDEX identity_principals_principal_id_idx ON zava.identity_principals (principal_id);
SELECT pg_catalog.pg_extension_config_dump('zava.identity_principals', '');
GRANT SELECT, INSERT, UPDATE, DELETE ON zava.identity_principals TO zava_admin;

-- Grants (or moves) one identity to a principal. Security invoker:
-- zava_admin holds the table privileges.
CREATE FUNCTION zava.grant_identity(issuer text, claim text, value text, principal uuid) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF issuer IS NULL OR value IS NULL OR principal IS NULL THEN
        RAISE EXCEPTION 'issuer, % and principal must not be NULL', claim USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF issuer !~ '^https?://[^[:space:]]+$' THEN
        RAISE EXCEPTION 'issuer "%" is not an http(s) URL', issuer
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use the token''s "iss" claim exactly, e.g. https://login.microsoftonline.com/<tenant>/v2.0';
    END IF;
    IF NOT EXISTS (SELECT FROM zava.principals p WHERE p.principal_id = principal) THEN
        RAISE EXCEPTION 'principal % does not exist', principal USING ERRCODE = 'undefined_object';
    END IF;
    INSERT INTO zava.identity_principals AS ip (issuer, claim, value, principal_id)
        VALUES (grant_identity.issuer, grant_identity.claim, grant_identity.value, principal)
        ON CONFLICT ON CONSTRAINT identity_principals_pkey
        DO UPDATE SET principal_id = excluded.principal_id, granted_at = now(), granted_by = session_user;
END
$$;

-- An identity provider's subject (the token's `iss` and `sub` claims) acts
-- as `principal`.
CREATE FUNCTION zava.grant_principal_subject(issuer text, subject text, principal uuid) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT zava.grant_identity(issuer, 'subject', subject, principal)
$$;

-- Members of an identity provider's group (a value of the groups claim that
-- zava-mcp is told to read, --oauth-groups-claim) act as `principal` unless
-- their subject has a grant of its own.
CREATE FUNCTION zava.grant_principal_group(issuer text, group_name text, principal uuid) RETURNS void
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT zava.grant_identity(issuer, 'group', group_name, principal)
$$;

-- Revocations: whether there was a grant. zava-mcp stops acting for the
-- identity on its next call after its mapping cache (--oauth-mapping-cache-s).
CREATE FUNCTION zava.revoke_principal_subject(issuer text, subject text) RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (DELETE FROM zava.identity_principals ip
                   WHERE ip.issuer = revoke_principal_subject.issuer AND ip.claim = 'subject'
                     AND ip.value = revoke_principal_subject.subject RETURNING 1)
    SELECT EXISTS (SELECT FROM gone)
$$;

CREATE FUNCTION zava.revoke_principal_group(issuer text, group_name text) RETURNS boolean
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (DELETE FROM zava.identity_principals ip
                   WHERE ip.issuer = revoke_principal_group.issuer AND ip.claim = 'group'
                     AND ip.value = revoke_principal_group.group_name RETURNING 1)
    SELECT EXISTS (SELECT FROM gone)
$$;

-- The principal a validated token acts as: its subject's grant; else the one
-- principal its groups were granted; else NULL (zava-mcp answers 403). Groups
-- granted different principals are refused (28000) rather than guessed at;
-- so are principals that are not active. Only the gateway role calls it.
CREATE FUNCTION zava.principal_for_subject(issuer text, subject text, groups text[] DEFAULT '{}') RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    granted uuid[];
BEGIN
    IF issuer IS NULL OR subject IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(ip.principal_id) INTO granted
      FROM zava.identity_principals ip
     WHERE ip.issuer = principal_for_subject.issuer AND ip.claim = 'subject'
       AND ip.value = principal_for_subject.subject;
    IF granted IS NULL THEN
        SELECT array_agg(DISTINCT ip.principal_id) INTO granted
          FROM zava.identity_principals ip
         WHERE ip.issuer = principal_for_subject.issuer AND ip.claim = 'group'
           AND ip.value = ANY (coalesce(groups, '{}'));
    END IF;
    IF cardinality(granted) > 1 THEN
        RAISE EXCEPTION 'the groups of subject "%" are granted % different principals', subject, cardinality(granted)
            USING ERRCODE = 'invalid_authorization_specification',
                  HINT = 'Grant the subject its own principal (zava.grant_principal_subject), or revoke a group.';
    END IF;
    IF granted IS NOT NULL AND NOT EXISTS (SELECT FROM zava.principals p
                                          WHERE p.principal_id = granted[1] AND p.active) THEN
        RAISE EXCEPTION 'the principal granted to subject "%" is not active', subject
            USING ERRCODE = 'invalid_authorization_specification';
    END IF;
    RETURN granted[1];
END
$$;

REVOKE EXECUTE ON FUNCTION zava.grant_identity(text, text, text, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.grant_principal_subject(text, text, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.grant_principal_group(text, text, uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.revoke_principal_subject(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.revoke_principal_group(text, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION zava.principal_for_subject(text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION zava.grant_identity(text, text, text, uuid) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.grant_principal_subject(text, text, uuid) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.grant_principal_group(text, text, uuid) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.revoke_principal_subject(text, text) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.revoke_principal_group(text, text) TO zava_admin;
GRANT EXECUTE ON FUNCTION zava.principal_for_subject(text, text, text[]) TO zava_gateway;
