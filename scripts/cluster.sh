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
host  replication all 127.0.0.1/32 trust
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
    # Clusters made before standbys existed: loopback replication (pg_basebackup, standby_init).
    if [ -f "${dir}/data/pg_hba.conf" ] && ! grep -q '^host  *replication ' "${dir}/data/pg_hba.conf"; then
        echo "host  replication all 127.0.0.1/32 trust" >> "${dir}/data/pg_hba.conf"
        touch "${dir}/settings-changed"
    fi
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

# install_extension_released PROFILE: what `cargo pgrx install` does, without
# cargo-pgrx, for a version that is released (released_script): the library
# built by the command cargo pgrx runs (cargo build --lib, feature pg15, no
# default features; pgrx finds pg_config through PGRX_PG_CONFIG_PATH instead of
# `cargo pgrx init`'s file), the control file with its version filled in, the
# released install script — which tests/e2e/upgrade.sh proves catalog-identical
# to the one cargo pgrx generates from the build — and the upgrade scripts.
# `make demo` installs this way, so a fresh machine need not build cargo-pgrx
# (minutes on 2 cores) before its first answer.
install_extension_released() {
    local profile="${1:-release}" flags=() version script out ext lib u
    version="$(workspace_version)"; script="$(released_script)" || die "zava ${version} is not released: use install_extension"
    [ "${profile}" = release ] && flags+=(--release)
    log "building the zava extension (${profile}); installing it with its released script $(basename "${script}")"
    (cd "${ZAVA_ROOT}" && PGRX_PG_CONFIG_PATH="${PG_CONFIG}" \
        cargo build -q --lib -p zava_pg_ext "${flags[@]}" --no-default-features --features pg15)
    out="${ZAVA_ROOT}/target/$([ "${profile}" = release ] && echo release || echo debug)"
    ext="$("${PG_CONFIG}" --sharedir)/extension"; lib="$("${PG_CONFIG}" --pkglibdir)"
    sed "s/@CARGO_VERSION@/${version}/g" "${ZAVA_ROOT}/zava_pg_ext/zava.control" > "${ext}/zava.control"
    # A new file, never overwritten in place: running backends keep the old one mapped.
    rm -f "${lib}/zava.so"; install -m 755 "${out}/libzava.so" "${lib}/zava.so"
    install -m 644 "${script}" "${ext}/zava--${version}.sql"
    for u in "${ZAVA_ROOT}"/sql/upgrade/zava--*--*.sql; do
        sed "s/@CARGO_VERSION@/${version}/g" "${u}" > "${ext}/$(basename "${u}")"
    done
}

# Installs the extension build into the system Postgres (profile: dev|release).
# A release build of a released version goes in without cargo-pgrx (above), so
# the demo and the benchmarks share one release build (the same environment for
# pgrx's build script); dev builds — the tests' — always through cargo pgrx,
# whose generated script tests/e2e/upgrade.sh compares with the released one.
install_extension() {
    local profile="${1:-dev}" flags=()
    if [ "${profile}" = release ] && released_script >/dev/null; then
        install_extension_released release
        return
    fi
    [ "${profile}" = release ] && flags+=(--release)
    log "building and installing the zava extension (${profile})"
    (cd "${ZAVA_ROOT}/zava_pg_ext" && cargo pgrx install "${flags[@]}" --pg-config "${PG_CONFIG}" >/dev/null)
}

# demo_database PORT DB SCALE: database DB of the cluster on PORT with the demo
# data at SCALE (seed 42, ending 2026-11-23) and the demo logins; made once,
# kept across runs (drop_if_script_changed drops it when the script changes).
demo_database() {
    local port="$1" db="$2" scale="$3"
    demo_sql() { "${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${port}/$1" -XqAt -v ON_ERROR_STOP=1 -c "$2"; }
    demo_sql postgres "SELECT 1 FROM pg_database WHERE datname = '${db}'" | grep -q 1 && return 0
    log "loading scale-${scale} demo data into ${db} (once)"
    demo_sql postgres "CREATE DATABASE ${db}"
    demo_sql "${db}" "CREATE EXTENSION zava CASCADE" >/dev/null
    demo_sql "${db}" "SELECT zava.generate_demo_data(${scale}, 42, '2026-11-23') - 'seed'" | sed "s/^/generate_demo_data(${scale}): /"
    demo_sql "${db}" "SELECT zava.setup_demo_logins()" >/dev/null
    demo_sql "${db}" "VACUUM ANALYZE"
}

# Drops the named databases of a kept cluster when the installed script of the
# workspace's version differs from the one they were made with (a version's
# script changes until it is released); the digest is kept beside the cluster.
# drop_if_script_changed DIR PORT DB…
drop_if_script_changed() {
    local dir="$1" port="$2" version script built db
    shift 2
    version="$(workspace_version)"
    script="$("${PG_CONFIG}" --sharedir)/extension/zava--${version}.sql"
    built="$(md5sum < "${script}" | cut -d' ' -f1)"
    [ "$(cat "${dir}/zava-script.md5" 2>/dev/null)" = "${built}" ] && return 0
    for db in "$@"; do
        PGOPTIONS=--client-min-messages=warning "${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${port}/postgres" -XqAt -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS ${db}" >/dev/null
    done
    echo "${built}" > "${dir}/zava-script.md5"
}

# PgBouncer (Debian's package) in transaction mode in front of a cluster, run
# by the cluster user: pooler_start DIR PORT PG_PORT POOL_SIZE USER…
# Trust on loopback like the clusters (the users must still be listed); DIR
# holds its configuration, log and pid file. pooler_stop DIR stops it.
pooler_start() {
    local dir="$1" port="$2" pg_port="$3" size="$4" u
    shift 4
    pg_user_dir "${dir}"
    : > "${dir}/users.txt"
    for u in "$@"; do echo "\"${u}\" \"\"" >> "${dir}/users.txt"; done
    cat > "${dir}/pgbouncer.ini" <<INI
; Written by Zava's scripts/cluster.sh (pooler_start): a test pooler on loopback.
[databases]
* = host=127.0.0.1 port=${pg_port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/users.txt
pool_mode = transaction
default_pool_size = ${size}
max_client_conn = 500
server_reset_query =
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
log_connections = 0
log_disconnections = 0
INI
    if [ "$(id -u)" = 0 ]; then chown -R "${ZAVA_OS_USER}:" "${dir}"; fi
    pooler_stop "${dir}"
    as_pg_user /usr/sbin/pgbouncer -d -q "${dir}/pgbouncer.ini" || return 1
    local _
    for _ in $(seq 1 50); do
        "${PG_BIN}/pg_isready" -q -h 127.0.0.1 -p "${port}" && return 0
        sleep 0.1
    done
    return 1
}

pooler_stop() {
    local pid
    pid="$(cat "$1/pgbouncer.pid" 2>/dev/null)" || return 0
    kill "${pid}" 2>/dev/null || return 0
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
}

# HAProxy (Debian's package) in front of zava-mcp bridges, run by the cluster
# user: lb_start DIR PORT BRIDGE-PORT…. Session clients stay with the bridge
# that created their session: HAProxy learns each Mcp-Session-Id from the
# answer to initialize (a stick table) and sends the session's requests there;
# a request without the header (initialize, per-request clients) goes round
# robin, and so does one whose bridge is down (that bridge answers 404 for an
# unknown session, and the client initializes again). Bridges are
# health-checked on /readyz every 0.5 s. lb_stop DIR stops it.
lb_start() {
    local dir="$1" port="$2" b i=0
    shift 2
    pg_user_dir "${dir}"
    {
        echo "# Written by Zava's scripts/cluster.sh (lb_start): a test load balancer on loopback."
        echo "global"
        echo "    maxconn 2000"
        echo "defaults"
        echo "    mode http"
        echo "    timeout connect 2s"
        echo "    timeout client 120s"
        echo "    timeout server 120s"
        echo "frontend mcp"
        echo "    bind 127.0.0.1:${port}"
        echo "    default_backend bridges"
        echo "backend bridges"
        echo "    balance roundrobin"
        echo "    stick-table type string len 128 size 1m expire 1h"
        echo "    stick on req.hdr(mcp-session-id)"
        echo "    stick store-response res.hdr(mcp-session-id)"
        echo "    option redispatch"
        echo "    option httpchk"
        echo "    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1"
        echo "    http-check expect status 200"
        echo "    default-server inter 500ms fall 2 rise 2"
        for b in "$@"; do i=$((i + 1)); echo "    server bridge${i} 127.0.0.1:${b} check"; done
    } > "${dir}/haproxy.cfg"
    if [ "$(id -u)" = 0 ]; then chown -R "${ZAVA_OS_USER}:" "${dir}"; fi
    lb_stop "${dir}"
    as_pg_user /usr/sbin/haproxy -D -q -f "${dir}/haproxy.cfg" -p "${dir}/haproxy.pid" || return 1
    local _
    for _ in $(seq 1 50); do
        curl -s -o /dev/null "http://127.0.0.1:${port}/healthz" && return 0
        sleep 0.1
    done
    return 1
}

lb_stop() {
    local pid
    pid="$(cat "$1/haproxy.pid" 2>/dev/null)" || return 0
    kill "${pid}" 2>/dev/null || return 0
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
}

# redis_start DIR PORT: a private Redis (Debian's redis-server) for the result
# cache, run by the cluster user, on loopback only, with a password made once
# and kept in DIR/redis.password (readable by root and the cluster user only);
# no persistence, 64 MB, least recently used keys evicted. Prints nothing;
# redis_url DIR PORT gives the URL the bridge connects with. redis_stop DIR.
redis_start() {
    local dir="$1" port="$2"
    pg_user_dir "${dir}"
    if [ ! -s "${dir}/redis.password" ]; then
        (umask 077; od -An -tx1 -N24 /dev/urandom | tr -d ' \n' > "${dir}/redis.password")
    fi
    {
        echo "# Written by Zava's scripts/cluster.sh (redis_start): the result cache on loopback."
        echo "bind 127.0.0.1"
        echo "port ${port}"
        echo "protected-mode yes"
        echo "requirepass $(cat "${dir}/redis.password")"
        echo "save \"\""
        echo "appendonly no"
        echo "maxmemory 64mb"
        echo "maxmemory-policy allkeys-lru"
        echo "daemonize yes"
        echo "pidfile ${dir}/redis.pid"
        echo "logfile ${dir}/redis.log"
        echo "dir ${dir}"
    } > "${dir}/redis.conf"
    chmod 600 "${dir}/redis.conf" "${dir}/redis.password"
    if [ "$(id -u)" = 0 ]; then chown "${ZAVA_OS_USER}:" "${dir}/redis.conf" "${dir}/redis.password"; fi
    redis_stop "${dir}"
    as_pg_user /usr/bin/redis-server "${dir}/redis.conf" || return 1
    local _
    for _ in $(seq 1 50); do
        REDISCLI_AUTH="$(cat "${dir}/redis.password")" redis-cli -p "${port}" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    return 1
}

redis_url() { echo "redis://:$(cat "$1/redis.password")@127.0.0.1:$2/0"; }

redis_stop() {
    local pid
    pid="$(cat "$1/redis.pid" 2>/dev/null)" || return 0
    kill "${pid}" 2>/dev/null || return 0
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
}

# standby_init DIR PORT PRIMARY-PORT: a streaming hot standby of the cluster on
# PRIMARY-PORT (pg_basebackup -R, WAL streamed), in DIR on PORT, started. The
# primary must accept replication connections from loopback (cluster_init's
# pg_hba.conf does).
standby_init() {
    local dir="$1" port="$2" primary="$3"
    cluster_stop "${dir}"; rm -rf "${dir}"
    pg_user_dir "${dir}"
    as_pg_user "${PG_BIN}/pg_basebackup" -h 127.0.0.1 -p "${primary}" -U postgres -D "${dir}/data" -R -X stream -c fast \
        || return 1
    pg_user_dir "${dir}/run"
    cluster_configure "${dir}" "${port}" fast
    echo "hot_standby_feedback = on" | as_pg_user tee -a "${dir}/data/postgresql.auto.conf" >/dev/null
    cluster_start "${dir}"
}

# --- pgbench's reports (the benches) ------------------------------------------
# What pgbench printed: reported LABEL FILE… → the sum of "LABEL: N" lines
# (tps = … counts too: reported 'tps =' FILE).
reported() { local l="$1"; shift; sed -n "s/^${l}:\{0,1\} \([0-9.]*\).*/\1/p" "$@" | awk '{n += $1} END {print n + 0}'; }
# percentile FRACTION LOG… → that latency (ms) of pgbench per-transaction logs.
percentile() {
    local f="$1"; shift
    cat "$@" | awk '{print $3 / 1000}' | sort -n \
        | awk -v f="${f}" '{a[NR] = $1} END {i = int(NR * f); printf "%.2f", a[i < 1 ? 1 : i]}'
}
