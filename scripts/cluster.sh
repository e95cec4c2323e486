# Private PostgreSQL clusters run by the unprivileged cluster user. Sourced.
# A cluster is a directory: DIR/data (PGDATA), DIR/run (socket), DIR/postgres.log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# cluster_init DIR PORT [fast]: create the cluster once (no-op if it exists),
# then (every time) bring its settings up to date with cluster_configure.
# Trust authentication on the socket and loopback only: a demo/test cluster,
# not a deployment.
cluster_init() {
    local dir="$1" port="$2" mode="${3:-}"
    if [ ! -f "${dir}/data/PG_VERSION" ]; then
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
        if [ "$(id -u)" = 0 ]; then chown "${ZAVA_OS_USER}:" "${dir}/data/pg_hba.conf"; fi
    fi
    cluster_configure "${dir}" "${port}" "${mode}"
}

# cluster_configure DIR PORT [fast]: (re)writes DIR/data/zava.conf, the
# settings Zava's clusters run with, included last by postgresql.conf. Run on
# every start, so a cluster made by older scripts gets today's settings; if
# they changed while the cluster runs, cluster_start restarts it.
cluster_configure() {
    local dir="$1" port="$2" mode="${3:-}" conf="$1/data/zava.conf"
    {
        echo "# Written by Zava's scripts/cluster.sh on every start: edit the script, not this file."
        echo "listen_addresses = '127.0.0.1'"
        echo "port = ${port}"
        echo "unix_socket_directories = '${dir}/run'"
        echo "max_connections = 100"
        echo "shared_buffers = 256MB"
        echo "work_mem = 16MB"
        echo "maintenance_work_mem = 256MB"
        echo "jit = off"
        # Loaded in every backend: the library's hooks (EXPLAIN ANALYZE refused
        # for principals) exist only where it is loaded. docs/security.md.
        echo "shared_preload_libraries = 'zava'"
        echo "logging_collector = off"
        echo "log_min_messages = warning"
        if [ "${mode}" = fast ]; then
            # Throwaway test clusters: durability buys nothing.
            echo "fsync = off"; echo "synchronous_commit = off"; echo "full_page_writes = off"
        fi
    } > "${conf}.new"
    grep -qx "include_if_exists = 'zava.conf'" "${dir}/data/postgresql.conf" \
        || echo "include_if_exists = 'zava.conf'" >> "${dir}/data/postgresql.conf"
    if cmp -s "${conf}.new" "${conf}"; then rm -f "${conf}.new"; else mv "${conf}.new" "${conf}"; touch "${dir}/settings-changed"; fi
    if [ "$(id -u)" = 0 ]; then chown "${ZAVA_OS_USER}:" "${conf}" "${dir}/data/postgresql.conf"; fi
}

# The address-space ceiling (MB) of every process of the clusters we start:
# an allocation past it fails with Postgres' own "out of memory" ERROR (the
# statement fails, the server lives) instead of inviting the kernel's OOM
# killer, after which the postmaster restarts every backend. Default: an
# eighth of the machine's memory, at least 2 GB and at most 8 GB; override with
# ZAVA_PG_MAX_VMEM_MB. See docs/security.md ("Bounded memory").
pg_vmem_limit_mb() {
    if [ -n "${ZAVA_PG_MAX_VMEM_MB:-}" ]; then echo "${ZAVA_PG_MAX_VMEM_MB}"; return; fi
    local total_mb; total_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
    local mb=$(( total_mb / 8 ))
    [ "${mb}" -lt 2048 ] && mb=2048
    [ "${mb}" -gt 8192 ] && mb=8192
    echo "${mb}"
}

cluster_running() {
    as_pg_user "${PG_BIN}/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

cluster_start() {
    local dir="$1"
    if cluster_running "${dir}"; then
        [ -f "${dir}/settings-changed" ] || return 0
        log "cluster settings changed: restarting the cluster in ${dir}"
        cluster_stop "${dir}"
    fi
    rm -f "${dir}/settings-changed"
    as_pg_user touch "${dir}/postgres.log"
    local kb=$(( $(pg_vmem_limit_mb) * 1024 ))
    as_pg_user bash -c 'ulimit -v "$1" && exec "$2" -D "$3" -l "$4" -w -t 60 start' _ \
        "${kb}" "${PG_BIN}/pg_ctl" "${dir}/data" "${dir}/postgres.log" >/dev/null \
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
