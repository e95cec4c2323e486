#!/usr/bin/env bash
# zava-mcp as an OAuth 2.1 resource server (docs/mcp.md, "Sign-in with an
# identity provider"), against a test-side issuer on loopback:
#   1. Who may grant: only administrators grant and revoke identities; only the
#      gateway looks them up (attacks by a principal's login and the gateway).
#   2. Started while the database is down (keys from a JWKS file): /healthz,
#      the metadata and correct 401s are served, /readyz says not ready; the
#      database started, calls work without restarting the bridge.
#   3. tests/e2e/oauth_client.py: the metadata (RFC 9728), valid RS256, ES256 and
#      EdDSA tokens → the mapped principal's rows only (subject and group
#      grants), sessions bound to their principal; wrong audience, wrong issuer,
#      expired, not yet valid, bad signature, alg none, HS256 with the public
#      key as secret, no exp, no sub, unknown kid (one JWKS fetch, rate
#      limited) → 401 invalid_token; missing scope → 403 insufficient_scope;
#      no grant, ambiguous groups, revoked grant → 403; key rotation mid-run;
#      opaque tokens beside OAuth.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-oauth"; P=5486; HTTP_PORT=8786; JWKS_PORT=8788
PY="${ZAVA_ROOT}/target/venv/bin/python"
export ISSUER="http://127.0.0.1:${JWKS_PORT}" AUDIENCE="http://127.0.0.1:${HTTP_PORT}/mcp"
BRIDGE=""
trap '[ -n "${BRIDGE}" ] && kill "${BRIDGE}" 2>/dev/null; cluster_stop "${DIR}"' EXIT
fresh_demo_cluster "${DIR}" "${P}"
(cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp) || { echo "not ok - zava-mcp builds"; exit 1; }
SEATTLE_ID="$(q "${P}" postgres zava -c "SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'seattle_manager'")"
SEATTLE_TOKEN="seattle-opaque-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

# --- 1. who may grant ---------------------------------------------------------
sqlstate() { # sqlstate USER SQL: the SQLSTATE the statement fails with (or "ok")
    local err
    err="$("${PG_BIN}/psql" "postgresql://$1@127.0.0.1:${P}/zava" -XqAt -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
        -c "$2" 2>&1 >/dev/null)" && { echo ok; return; }
    sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\):.*/\1/p' <<<"${err}" | head -1
}
GRANT="SELECT zava.grant_principal_subject('${ISSUER}', 'eve', (SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'head_office'))"
expect_eq "a store manager's login cannot grant itself an identity (42501)" \
    "$(sqlstate seattle_manager "SELECT zava.grant_principal_subject('${ISSUER}', 'eve', '${SEATTLE_ID}')")" 42501
expect_eq "the gateway login cannot grant identities (42501)" \
    "$(sqlstate zava_mcp "SELECT zava.grant_principal_subject('${ISSUER}', 'eve', '${SEATTLE_ID}')")" 42501
expect_eq "… nor write the grants table (42501)" \
    "$(sqlstate zava_mcp "INSERT INTO zava.identity_principals (issuer, claim, value, principal_id) VALUES ('${ISSUER}', 'subject', 'eve', '${SEATTLE_ID}')")" 42501
expect_eq "a store manager's login cannot read the grants table (42501)" \
    "$(sqlstate seattle_manager "SELECT * FROM zava.identity_principals")" 42501
expect_eq "a store manager's login cannot look up identities (42501)" \
    "$(sqlstate seattle_manager "SELECT zava.principal_for_subject('${ISSUER}', 'eve')")" 42501
expect_eq "an administrator grants: a non-URL issuer is refused (22023)" \
    "$(sqlstate postgres "SELECT zava.grant_principal_subject('not a url', 'eve', '${SEATTLE_ID}')")" 22023
expect_eq "… an unknown principal is refused (42704)" \
    "$(sqlstate postgres "SELECT zava.grant_principal_subject('${ISSUER}', 'eve', gen_random_uuid())")" 42704
expect_eq "… NULLs are refused (22004)" \
    "$(sqlstate postgres "SELECT zava.grant_principal_subject('${ISSUER}', NULL, '${SEATTLE_ID}')")" 22004
q "${P}" postgres zava -c "${GRANT}" >/dev/null
expect_eq "an administrator's grant records when and by whom; the gateway looks it up" \
    "$(q "${P}" postgres zava -c "SELECT granted_by, granted_at > now() - interval '1 minute' FROM zava.identity_principals WHERE value = 'eve'")|$(q "${P}" zava_mcp zava -c "SELECT zava.principal_for_subject('${ISSUER}', 'eve') = (SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'head_office')" 2>&1)" \
    "postgres|t|t"
expect_eq "revoking says whether there was a grant (true, then false), and the lookup finds nothing" \
    "$(q "${P}" postgres zava -c "SELECT zava.revoke_principal_subject('${ISSUER}', 'eve'), zava.revoke_principal_subject('${ISSUER}', 'eve')")|$(q "${P}" zava_mcp zava -c "SELECT zava.principal_for_subject('${ISSUER}', 'eve') IS NULL")" \
    "t|f|t"

# --- 2. started while the database is down --------------------------------------
"${PY}" "${ZAVA_ROOT}/tests/e2e/oauth_client.py" keygen "${DIR}"
cluster_stop "${DIR}"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${SEATTLE_TOKEN}=${SEATTLE_ID}" \
    "${ZAVA_ROOT}/target/debug/zava-mcp" http --listen "127.0.0.1:${HTTP_PORT}" --cache-ttl-s 0 \
    --oauth-issuer "${ISSUER}" --oauth-audience "${AUDIENCE}" --oauth-jwks-file "${DIR}/jwks.json" \
    --oauth-scopes zava.read > "${DIR}/bridge-down.log" 2>&1 &
BRIDGE=$!
expect "database down: the bridge serves /healthz anyway" eventually 10 curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/healthz"
expect "… and the metadata document" curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/.well-known/oauth-protected-resource/mcp"
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
challenge="$(curl -s -o /dev/null -D - -X POST -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"ping"}' \
    "http://127.0.0.1:${HTTP_PORT}/mcp" | tr -d '\r' | sed -n 's/^www-authenticate: //Ip')"
expect "… no token: 401 with resource_metadata (${challenge})" grep -q 'resource_metadata="http://127.0.0.1:8786/.well-known/oauth-protected-resource/mcp"' <<<"${challenge}"
expect_eq "… a forged token: 401" "$(status -X POST -H 'authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' \
    -H 'content-type: application/json' -d '{}' "http://127.0.0.1:${HTTP_PORT}/mcp")" 401
expect_eq "… /readyz: 503 (not ready)" "$(status "http://127.0.0.1:${HTTP_PORT}/readyz")" 503
TOKEN="$("${PY}" "${ZAVA_ROOT}/tests/e2e/oauth_client.py" mint "${DIR}" eve)"
expect_eq "… a valid token whose principal the database must give: 503 with Retry-After" \
    "$(status -X POST -H "authorization: Bearer ${TOKEN}" \
        -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
        -d '{"jsonrpc":"2.0","id":1,"method":"ping"}' "http://127.0.0.1:${HTTP_PORT}/mcp")" 503
cluster_start "${DIR}"
q "${P}" postgres zava -c "${GRANT}" >/dev/null
expect "the database started: /readyz turns 200 without restarting the bridge" \
    eventually 15 curl -sf -o /dev/null "http://127.0.0.1:${HTTP_PORT}/readyz"
TOKEN="$("${PY}" "${ZAVA_ROOT}/tests/e2e/oauth_client.py" mint "${DIR}" eve)"
out="$(curl -s -X POST -H "authorization: Bearer ${TOKEN}" -H 'content-type: application/json' \
    -H 'accept: application/json, text/event-stream' -H 'mcp-protocol-version: 2026-07-28' -H 'mcp-method: tools/call' \
    -H 'mcp-name: get_current_utc_date' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_current_utc_date","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}' \
    "http://127.0.0.1:${HTTP_PORT}/mcp")"
expect "… and a signed-in call (keys from the JWKS file) is answered" grep -q '"structuredContent"' <<<"${out}"
kill "${BRIDGE}"; wait "${BRIDGE}" 2>/dev/null; BRIDGE=""

# --- 3. the issuer on loopback --------------------------------------------------
BRIDGE_CMD="$(printf '["%s", "http", "--listen", "127.0.0.1:%s", "--cache-ttl-s", "0", "--oauth-issuer", "%s", "--oauth-audience", "%s", "--oauth-jwks-url", "%s/jwks", "--oauth-scopes", "zava.read", "--oauth-groups-claim", "groups", "--oauth-mapping-cache-s", "1", "--oauth-jwks-min-refresh-s", "2", "--log-file", "%s"]' \
    "${ZAVA_ROOT}/target/debug/zava-mcp" "${HTTP_PORT}" "${ISSUER}" "${AUDIENCE}" "${ISSUER}" "${DIR}/bridge.log")"
BRIDGE_CMD="${BRIDGE_CMD}" BRIDGE_URL="http://127.0.0.1:${HTTP_PORT}/mcp" JWKS_PORT="${JWKS_PORT}" \
    ADMIN_URL="postgresql://postgres@127.0.0.1:${P}/zava" SEATTLE_TOKEN="${SEATTLE_TOKEN}" \
    DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${SEATTLE_TOKEN}=${SEATTLE_ID}" \
    PATH="${PG_BIN}:${PATH}" "${PY}" "${ZAVA_ROOT}/tests/e2e/oauth_client.py" run
