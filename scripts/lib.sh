# Shared settings for Zava's scripts. Sourced, not run.
set -euo pipefail

ZAVA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
PG_CONFIG="${PG_BIN}/pg_config"
# Postgres refuses to run as root: clusters run as this unprivileged OS user.
ZAVA_OS_USER="${ZAVA_OS_USER:-zava}"
export PATH="${HOME}/.cargo/bin:${PATH}"
# cargo pgrx adds `-C link-arg=-Wl,--no-gc-sections` to its cdylib builds (a
# guard for linkers that drop the `.pgrxsc` schema section). Different flags
# mean a second build of every dependency (candle, tokenizers, serde and ~85
# more) next to the one cargo test and clippy make; without them cargo test,
# cargo pgrx test, the build it makes and cargo pgrx install share one. rust-lld
# keeps the section here, and were it ever lost the build says so ("no embedded
# pgrx schema section found"). The flag cannot go in .cargo/config.toml: a test
# binary linked with it needs every Postgres symbol and does not link.
export CARGO_PGRX_DISABLE_GC_SECTIONS_WORKAROUND=1

log() { printf '\033[1;34m[zava]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[zava] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The pgrx version, read from the one place it is written (the workspace pin).
# bridge_ready BASE-URL [SECONDS]: true once zava-mcp at BASE-URL (http://host:port)
# answers /readyz with 200, polling every 0.05 s for up to SECONDS (default 10).
bridge_ready() {
    local tries=$(( ${2:-10} * 20 )) i
    for (( i = 0; i < tries; i++ )); do curl -sf -o /dev/null "$1/readyz" && return 0; sleep 0.05; done
    return 1
}

# bridge_metric BASE-URL NAME: the value of one sample of zava-mcp's /metrics,
# NAME with its labels exactly as printed (e.g. zava_mcp_replica_in_use{replica="0"}).
bridge_metric() {
    curl -sf "$1/metrics" | awk -v m="$2" '$1 == m {print $2}'
}

# The workspace's version (the extension's), from Cargo.toml.
workspace_version() {
    sed -n 's/^version = "\(.*\)"/\1/p' "${ZAVA_ROOT}/Cargo.toml" | head -n1
}

# The current version's released install script (sql/released/zava--V.sql),
# printed if the version is released; false while it is still being made.
released_script() {
    local script
    script="${ZAVA_ROOT}/sql/released/zava--$(workspace_version).sql"
    [ -f "${script}" ] && echo "${script}"
}

pgrx_version() {
    sed -n 's/^pgrx = "=\([0-9.]*\)".*/\1/p' "${ZAVA_ROOT}/Cargo.toml" | head -n1
}

# Run a command as the cluster user (we are root on these machines; if we are
# already that user, run it directly).
as_pg_user() {
    if [ "$(id -un)" = "${ZAVA_OS_USER}" ]; then "$@"; else sudo -u "${ZAVA_OS_USER}" -H -- "$@"; fi
}

# Make a directory the cluster user owns (and can reach: every parent must be
# traversable).
pg_user_dir() {
    mkdir -p "$1"
    # Every parent up to the project root must be traversable by the cluster user
    # (a restrictive umask on CI would otherwise lock it out).
    local d; d="$(dirname "$1")"
    while [ "${#d}" -ge "${#ZAVA_ROOT}" ] && [ "$d" != / ]; do chmod o+x "$d"; d="$(dirname "$d")"; done
    if [ "$(id -u)" = 0 ]; then chown -R "${ZAVA_OS_USER}:" "$1"; fi
    chmod 700 "$1"
}
