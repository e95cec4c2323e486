# Private PostgreSQL clusters run by the unprivileged cluster user. Sourced.
# A cluster is a directory: DIR/data (PGDATA), DIR/run (socket), DIR/postgres.log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# cluster_init DIR PORT [fast]: create the cluster once (no-op if it exists).
# Trust authentication on the socket and loopback only: a demo/test cluster,
# not a deployment.
cluster_init() {
    local dir="$1" port="$2" mode="${3:-}"
    if [ -f "${dir}/data/PG_VERSION" ]; then return 0; fi
    pg_user_dir "${dir}"
    as_pg_user "${PG_BIN}/initdb" -D "${dir}/data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    pg_user_dir "${dir}/run"
    cat > "${dir}/data/pg_hba.conf" <<HBA
# Zava private cluster: trust on the socket and loopback only (a demo, not a deployment).
local all all trust
host  all all 127.0.0.1/32 trust
host  all all ::1/128 trust
HBA
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "port = ${port}"
        echo "unix_socket_directories = '${dir}/run'"
        echo "max_connections = 100"
        echo "shared_buffers = 256MB"
        echo "work_mem = 16MB"
        echo "maintenance_work_mem = 256MB"
        echo "jit = off"
        echo "logging_collector = off"
        echo "log_min_messages = warning"
        if [ "${mode}" = fast ]; then
            # Throwaway test clusters: durability buys nothing.
            echo "fsync = off"; echo "synchronous_commit = off"; echo "full_page_writes = off"
        fi
    } >> "${dir}/data/postgresql.conf"
    if [ "$(id -u)" = 0 ]; then chown "${ZAVA_OS_USER}:" "${dir}/data/pg_hba.conf"; fi
}

cluster_running() {
    as_pg_user "${PG_BIN}/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

cluster_start() {
    local dir="$1"
    cluster_running "${dir}" && return 0
    as_pg_user touch "${dir}/postgres.log"
    as_pg_user "${PG_BIN}/pg_ctl" -D "${dir}/data" -l "${dir}/postgres.log" -w -t 60 start >/dev/null \
        || { tail -20 "${dir}/postgres.log" >&2; die "PostgreSQL did not start (log: ${dir}/postgres.log)"; }
}

cluster_stop() {
    local dir="$1"
    cluster_running "${dir}" || return 0
    as_pg_user "${PG_BIN}/pg_ctl" -D "${dir}/data" -m fast -w stop >/dev/null
}

# Installs the extension build into the system Postgres (profile: dev|release).
install_extension() {
    local profile="${1:-dev}" flags=()
    [ "${profile}" = release ] && flags+=(--release)
    log "building and installing the zava extension (${profile})"
    (cd "${ZAVA_ROOT}/zava_pg_ext" && cargo pgrx install "${flags[@]}" --pg-config "${PG_CONFIG}" >/dev/null)
}
