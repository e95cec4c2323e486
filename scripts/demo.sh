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
# extension is already installed), ZAVA_MCP_LISTEN (default 127.0.0.1:8765). With DATABASE_URL set, uses that
# server instead of a private cluster and never overwrites existing data.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

cmd="${1:-serve}"
DIR="${ZAVA_DEMO_DIR:-${ZAVA_ROOT}/.zava}"
PORT="${ZAVA_PG_PORT:-5433}"
SCALE="${ZAVA_DEMO_SCALE:-1}"
SEED="${ZAVA_DEMO_SEED:-42}"
END_DATE="${ZAVA_DEMO_END_DATE:-}"
BUILD="${ZAVA_BUILD:-release}"

REDIS_PORT="${ZAVA_REDIS_PORT:-6380}"
if [ "${cmd}" = stop ]; then
    redis_stop "${DIR}"; cluster_stop "${DIR}"; log "stopped the cluster (and its Redis) in ${DIR}"; exit 0
fi
[ "${cmd}" = serve ] || [ "${cmd}" = start ] || die "usage: $0 [serve|start|stop]"

MCP_LISTEN="${ZAVA_MCP_LISTEN:-127.0.0.1:8765}"
MCP_BIN="${ZAVA_ROOT}/target/$([ "${BUILD}" = release ] && echo release || echo debug)/zava-mcp"
# Each phase's wall time, printed when the demo is ready (time to first answer).
PHASES=""; PHASE_START=${SECONDS}; DEMO_START=${SECONDS}
phase() { PHASES="${PHASES}${PHASES:+, }$1 $((SECONDS - PHASE_START)) s"; PHASE_START=${SECONDS}; }
if [ -z "${ZAVA_SKIP_INSTALL:-}" ]; then
    # zava-mcp needs only Rust: it builds while setup installs packages,
    # pgvector and the model, on the cores setup leaves idle. The extension's
    # build then waits for cargo's lock on target/ if the bridge is not done
    # yet. A released version's release build installs without cargo-pgrx
    # (install_extension in scripts/cluster.sh); one still being made needs it.
    mkdir -p "${DIR}"
    log "building zava-mcp (${BUILD}) beside setup (log: ${DIR}/build-zava-mcp.log)"
    (cd "${ZAVA_ROOT}" && cargo build -q -p zava-mcp $([ "${BUILD}" = release ] && echo --release)) \
        > "${DIR}/build-zava-mcp.log" 2>&1 &
    mcp_build=$!
    # The MCP Apps host page (try the views in a browser): npm packages from
    # the registry, pinned by mcp-bridge/ui-host/package-lock.json; optional.
    ui_build=""
    if command -v npm >/dev/null; then
        bash "${ZAVA_ROOT}/mcp-bridge/ui-host/build.sh" "${DIR}/ui-host" > "${DIR}/build-ui-host.log" 2>&1 &
        ui_build=$!
    fi
    bash "${ZAVA_ROOT}/scripts/setup.sh"
    phase "setup (zava-mcp building beside it)"
    # Installing overwrites the library file that running backends have mapped:
    # stop a demo cluster left running first (it starts again below).
    if [ -z "${DATABASE_URL:-}" ] && [ -f "${DIR}/data/PG_VERSION" ] && cluster_running "${DIR}"; then
        log "stopping the running demo cluster to install the new build"
        cluster_stop "${DIR}"
    fi
    install_extension "${BUILD}"
    phase "extension build"
    wait "${mcp_build}" || { cat "${DIR}/build-zava-mcp.log" >&2; die "building zava-mcp failed"; }
    phase "rest of the zava-mcp build"
    if [ -n "${ui_build}" ] && ! wait "${ui_build}"; then
        log "the MCP Apps host page did not build (log: ${DIR}/build-ui-host.log): the views are still served to MCP clients"
        rm -f "${DIR}/ui-host/host.js"
    fi
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
# A demo made by an older build is upgraded in place (its data kept), so it
# never silently serves old SQL with a new library (docs/releases.md).
ext_version() { psql_admin -c "SELECT extversion FROM pg_extension WHERE extname = 'zava'"; }
was="$(ext_version)"
psql_admin -c "SET client_min_messages = warning" -c "ALTER EXTENSION zava UPDATE"
now="$(ext_version)"
if [ "${was}" != "${now}" ]; then log "upgraded the zava extension from ${was} to ${now} (data kept)"; fi
has_data="$(psql_admin -c "SELECT EXISTS (SELECT FROM retail.stores) OR EXISTS (SELECT FROM retail.orders) OR EXISTS (SELECT FROM zava.principals)")"
loaded=0
if [ "${has_data}" = t ]; then
    log "retail data is already there: not loading demo data (it never overwrites)"
else
    end="${END_DATE:+'${END_DATE}'::date}"; end="${end:-CURRENT_DATE}"
    log "loading demo data (scale ${SCALE}, seed ${SEED}, end date ${END_DATE:-today})"
    psql_admin -c "SET client_min_messages = warning; SELECT zava.generate_demo_data(${SCALE}, ${SEED}, ${end})" >/dev/null
    loaded=1
fi
phase "database and demo data"
# Demo login roles: always on the private cluster; on another server only when
# this run loaded the demo (never on a database that already had data).
if [ "${private}" = 1 ] || [ "${loaded}" = 1 ]; then
    roles="$(psql_admin -c "SELECT string_agg(r, ', ') FROM zava.setup_demo_logins() r")"
    [ "${private}" = 1 ] || log "created or updated demo login roles (no passwords): ${roles}"
fi
# Product embeddings for search (what 0.2.0 adds): embeds the products whose
# vector is missing or stale; nothing to do when they are current.
embedded="$(psql_admin -c "SET client_min_messages = warning" -c "SELECT zava.refresh_embeddings()->>'embedded'")"
[ "${embedded}" = 0 ] || log "embedded ${embedded} products for search (zava.refresh_embeddings)"
phase "embeddings"
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

# One bearer token per demo principal, made once and kept in the demo folder.
TOKENS="${DIR}/tokens"
if [ "${private}" = 1 ] && [ ! -s "${TOKENS}" ]; then
    umask 077
    psql_admin -F ' ' -c "SELECT role_name, principal_id FROM zava.demo_principals()" | while read -r role principal; do
        echo "$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n') ${principal} ${role}"
    done > "${TOKENS}"
fi

if [ "${cmd}" != serve ] || [ "${private}" = 0 ]; then
    log "ready after $((SECONDS - DEMO_START)) s (${PHASES})"
fi
if [ "${cmd}" = serve ] && [ "${private}" = 1 ]; then
    MCP_URL="http://${MCP_LISTEN}/mcp"
    # Logs stay bounded: zava-mcp turns its file over at 16 MB (.1 keeps the
    # previous 16 MB); stderr only gets what comes before logging starts.
    # The bridges' shared result cache: a private Redis on loopback with a
    # password (docs/operations.md); the bridge works without it too.
    cache_url=""
    if redis_start "${DIR}" "${REDIS_PORT}"; then
        cache_url="$(redis_url "${DIR}" "${REDIS_PORT}")"
        log "Redis for the shared result cache on 127.0.0.1:${REDIS_PORT} (password in ${DIR}/redis.password)"
    else
        log "Redis did not start (log: ${DIR}/redis.log): zava-mcp caches in its own memory only"
    fi
    ui_host=()
    [ -s "${DIR}/ui-host/host.js" ] && ui_host=(--ui-host-dir "${DIR}/ui-host")
    start_mcp() {
        DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${PORT}/zava" ZAVA_TOKENS_FILE="${TOKENS}" ZAVA_CACHE_URL="${cache_url}" \
            "${MCP_BIN}" http --listen "${MCP_LISTEN}" --log-file "${DIR}/zava-mcp.log" --log-max-mb 16 "${ui_host[@]}" \
            2>> "${DIR}/zava-mcp.stderr" &
        mcp_pid=$!
        bridge_ready "http://${MCP_LISTEN}"
    }
    start_mcp || { tail -5 "${DIR}/zava-mcp.log" "${DIR}/zava-mcp.stderr" >&2; cluster_stop "${DIR}"; die "zava-mcp did not start (log: ${DIR}/zava-mcp.log)"; }
    phase "zava-mcp start"
    cat <<MSG
  zava-mcp serves MCP at ${MCP_URL} (log: ${DIR}/zava-mcp.log; tokens: ${TOKENS}).
  VS Code .vscode/mcp.json, one server per demo principal:

$(python3 - "${TOKENS}" "${MCP_URL}" <<'PY'
import json, sys
servers = {}
for line in open(sys.argv[1]):
    token, _principal, role = line.split()
    servers[f"zava-{role.replace('_manager', '').replace('_', '-')}"] = {
        "type": "http", "url": sys.argv[2], "headers": {"Authorization": f"Bearer {token}"}}
print(json.dumps({"servers": servers}, indent=2))
PY
)

MSG
    if [ ${#ui_host[@]} -gt 0 ]; then
        seattle="$(awk '$3 == "seattle_manager" {print $1}' "${TOKENS}")"
        office="$(awk '$3 == "head_office" {print $1}' "${TOKENS}")"
        cat <<MSG
  The analytics as charts (MCP Apps views) in the project's host page, in a browser on this machine:
    Seattle's store manager: http://${MCP_LISTEN}/ui-host/#token=${seattle}
    Head office:             http://${MCP_LISTEN}/ui-host/#token=${office}

MSG
    fi
    log "first answer after $((SECONDS - DEMO_START)) s (${PHASES})"
    log "serving until Ctrl-C (PostgreSQL log: ${DIR}/postgres.log); PostgreSQL and zava-mcp are restarted if they stop"
    trap 'log "stopping"; kill -TERM "${mcp_pid}" 2>/dev/null; wait "${mcp_pid}" 2>/dev/null; redis_stop "${DIR}"; cluster_stop "${DIR}"; exit 0' INT TERM
    # Supervise: a stopped PostgreSQL is started again (crash recovery keeps
    # the data in ${DIR}/data), a stopped zava-mcp too; five failed starts in
    # a row give up. zava-mcp itself reconnects once PostgreSQL is back.
    failed=0
    while true; do
        sleep 1
        if ! cluster_running "${DIR}"; then
            log "PostgreSQL stopped; its log ends:"
            tail -n 3 "${DIR}/postgres.log" | sed 's/^/    /' >&2
            if (cluster_start "${DIR}"); then
                log "PostgreSQL restarted"; failed=0
            else
                failed=$((failed + 1))
                [ "${failed}" -lt 5 ] || { kill -TERM "${mcp_pid}" 2>/dev/null; die "PostgreSQL does not start again (log: ${DIR}/postgres.log)"; }
                sleep 2; continue
            fi
        fi
        if ! kill -0 "${mcp_pid}" 2>/dev/null; then
            rc=0; wait "${mcp_pid}" 2>/dev/null || rc=$?
            log "zava-mcp stopped (exit ${rc}; log: ${DIR}/zava-mcp.log); restarting it"
            if start_mcp; then
                log "zava-mcp restarted"; failed=0
            else
                failed=$((failed + 1))
                [ "${failed}" -lt 5 ] || { cluster_stop "${DIR}"; die "zava-mcp does not start again (log: ${DIR}/zava-mcp.log)"; }
            fi
        fi
    done
fi
