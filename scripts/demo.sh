#!/usr/bin/env bash
# `make demo`: a private PostgreSQL with the zava extension and demo data.
#
#   scripts/demo.sh          set up, start, load, print how to connect, serve until Ctrl-C
#   scripts/demo.sh start    the same, but return once the cluster is ready
#   scripts/demo.sh stop     stop the private cluster
#
# Environment: ZAVA_PG_PORT (default 5433), ZAVA_DEMO_DIR (default .zava),
# ZAVA_DEMO_SCALE (default 1), ZAVA_DEMO_SEED (42), ZAVA_DEMO_END_DATE (today),
# ZAVA_BUILD (release|dev, default release), ZAVA_SKIP_INSTALL=1 (tests: the
# extension is already installed). With DATABASE_URL set, uses that
# server instead of a private cluster and never overwrites existing data.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

cmd="${1:-serve}"
DIR="${ZAVA_DEMO_DIR:-${ZAVA_ROOT}/.zava}"
PORT="${ZAVA_PG_PORT:-5433}"
SCALE="${ZAVA_DEMO_SCALE:-1}"
SEED="${ZAVA_DEMO_SEED:-42}"
END_DATE="${ZAVA_DEMO_END_DATE:-}"
BUILD="${ZAVA_BUILD:-release}"

if [ "${cmd}" = stop ]; then
    cluster_stop "${DIR}"; log "stopped the cluster in ${DIR}"; exit 0
fi
[ "${cmd}" = serve ] || [ "${cmd}" = start ] || die "usage: $0 [serve|start|stop]"

if [ -z "${ZAVA_SKIP_INSTALL:-}" ]; then
    bash "${ZAVA_ROOT}/scripts/setup.sh"
    install_extension "${BUILD}"
fi

private=1
if [ -n "${DATABASE_URL:-}" ]; then
    private=0
    URL="${DATABASE_URL}"
    log "DATABASE_URL is set: using that server (no private cluster)"
else
    cluster_init "${DIR}" "${PORT}"
    cluster_start "${DIR}"
    as_pg_user "${PG_BIN}/psql" -h "${DIR}/run" -p "${PORT}" -U postgres -d postgres -qAtc \
        "SELECT 1 FROM pg_database WHERE datname = 'zava'" | grep -q 1 \
        || as_pg_user "${PG_BIN}/createdb" -h "${DIR}/run" -p "${PORT}" -U postgres zava
    URL="postgresql://postgres@127.0.0.1:${PORT}/zava"
fi

psql_admin() { "${PG_BIN}/psql" "${URL}" -v ON_ERROR_STOP=1 -qAt "$@"; }

psql_admin -c "CREATE EXTENSION IF NOT EXISTS zava CASCADE" 2>&1 | grep -v '^NOTICE' || true
has_data="$(psql_admin -c "SELECT EXISTS (SELECT FROM retail.stores) OR EXISTS (SELECT FROM retail.orders) OR EXISTS (SELECT FROM zava.principals)")"
if [ "${has_data}" = t ]; then
    log "retail data is already there: not loading demo data (it never overwrites)"
else
    end="${END_DATE:+'${END_DATE}'::date}"; end="${end:-CURRENT_DATE}"
    log "loading demo data (scale ${SCALE}, seed ${SEED}, end date ${END_DATE:-today})"
    psql_admin -c "SET client_min_messages = warning; SELECT zava.generate_demo_data(${SCALE}, ${SEED}, ${end})" >/dev/null
fi
psql_admin -c "SELECT zava.setup_demo_logins()" >/dev/null
summary="$(psql_admin -F ' ' -c "SELECT (SELECT count(*) FROM retail.orders), (SELECT count(*) FROM retail.order_items), (SELECT count(*) FROM retail.customers)")"

if [ "${private}" = 1 ]; then
    cat > "${DIR}/env" <<ENV
# Source this file (. ${DIR}/env) to reach the private Zava cluster.
export DATABASE_URL='${URL}'
export PGHOST=127.0.0.1
export PGPORT=${PORT}
export PGDATABASE=zava
ENV
fi

read -r n_orders n_lines n_customers <<<"${summary}"
cat <<MSG

  Zava is ready: ${n_orders} orders, ${n_lines} order lines, ${n_customers} customers.
  Administrator: ${URL}
$( [ "${private}" = 1 ] && cat <<PRIV
  Connect as a principal (trust auth on loopback — a demo, not a deployment):
    . ${DIR}/env
    psql -U seattle_manager -c 'SELECT count(*), count(DISTINCT store_id) FROM retail.orders'
    psql -U head_office     -c 'SELECT zava.whoami()'
    psql -U visitor         -c 'SELECT count(*) FROM retail.orders'   # no principal: 0 rows
PRIV
)
MSG

if [ "${cmd}" = serve ] && [ "${private}" = 1 ]; then
    log "serving until Ctrl-C (PostgreSQL log: ${DIR}/postgres.log)"
    trap 'log "stopping"; cluster_stop "${DIR}"; exit 0' INT TERM
    while cluster_running "${DIR}"; do sleep 2; done
    die "PostgreSQL stopped unexpectedly (log: ${DIR}/postgres.log)"
fi
