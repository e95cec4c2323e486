#!/usr/bin/env bash
# `make lint` (and suite 0 of `make test`): formatting and clippy on every
# crate, the extension included. Prints "ok - …" / "not ok - …" per check.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set +e
cd "${ZAVA_ROOT}"
check() { # check DESCRIPTION COMMAND…
    local d="$1"; shift
    if "$@"; then echo "ok - ${d}"; else echo "not ok - ${d}"; return 1; fi
}
rc=0
check "cargo fmt --check (every crate)" cargo fmt --all --check || rc=1
check "clippy -D warnings: zava-core, zava-bench, zava-mcp (all targets)" \
    cargo clippy -q --workspace --exclude zava_pg_ext --all-targets -- -D warnings || rc=1
check "clippy -D warnings: the zava extension (pg15, pg_test, all targets)" \
    cargo clippy -q -p zava_pg_ext --features "pg15 pg_test" --all-targets -- -D warnings || rc=1
exit "${rc}"
