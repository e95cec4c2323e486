#!/usr/bin/env bash
# Makes tests/upgrade/zava-VERSION-data.sql.gz: the rows of a tiny demo made by
# release VERSION of the extension, for the upgrade test (tests/e2e/upgrade.sh).
#
# Run it once per release, on a checkout of that release, after installing its
# build (`cargo pgrx install` in zava_pg_ext/). The fixture is data only
# (pg_dump --data-only: the tables registered with pg_extension_config_dump);
# rollups are not in it, the triggers rebuild them as the rows load.
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/lib.sh"
set -e
VERSION="$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$("${PG_CONFIG}" --sharedir)/extension/zava.control")"
DIR="${ZAVA_ROOT}/target/upgrade-fixture"; PORT=5498
OUT="${ZAVA_ROOT}/tests/upgrade/zava-${VERSION}-data.sql.gz"
cluster_stop "${DIR}" 2>/dev/null || true; rm -rf "${DIR}"
cluster_init "${DIR}" "${PORT}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
q "${PORT}" postgres postgres -c "CREATE DATABASE zava"
q "${PORT}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.002, 42, '2026-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
# From 0.8.0 on: an identity provider's grant, so later upgrades carry one.
if [ "$(q "${PORT}" postgres zava -c "SELECT to_regprocedure('zava.grant_principal_subject(text,text,uuid)') IS NOT NULL")" = t ]; then
    q "${PORT}" postgres zava -c "SELECT zava.grant_principal_subject('https://sso.zava.example/realms/zava', 'fixture-subject',
        (SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'seattle_manager'))" >/dev/null
fi
"${PG_BIN}/pg_dump" -h 127.0.0.1 -p "${PORT}" -U postgres --data-only --no-owner zava | gzip -9n > "${OUT}"
log "wrote ${OUT} ($(stat -c %s "${OUT}") bytes) from zava ${VERSION}: $(q "${PORT}" postgres zava -c "${COUNTS_SQL}")"
