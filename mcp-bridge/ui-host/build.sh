#!/usr/bin/env bash
# build.sh DIR: the MCP Apps test host page, ready for `zava-mcp http --ui-host-dir DIR`:
# DIR/index.html and DIR/host.js (src/host.js with the official MCP client and
# ext-apps' AppBridge, bundled by esbuild). Installs the pinned packages of
# package-lock.json first (npm ci) unless node_modules already holds them.
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
OUT="$(cd "$1" && pwd)"
cd "$(dirname "${BASH_SOURCE[0]}")"

# node_modules is what npm ci made from this very lock (stamped with its hash).
STAMP=node_modules/.zava-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "${STAMP}" 2>/dev/null)" != "${want}" ] || [ ! -e node_modules/.bin/esbuild ]; then
    # No install scripts: esbuild runs from its platform package without its postinstall.
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    echo "${want}" > "${STAMP}"
fi

node_modules/.bin/esbuild src/host.js --bundle --format=iife --platform=browser --target=es2022 \
    --minify --charset=utf8 --log-level=warning --outfile="${OUT}/host.js"
cp index.html "${OUT}/index.html"
