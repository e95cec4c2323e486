#!/usr/bin/env bash
# `make test`: every suite, then one line "N passed, N failed" over all of them.
#   1. unit tests of the pure crates (cargo test)
#   2. #[pg_test]s of the extension (cargo pgrx test, in a throwaway cluster)
#   3. the SQL regression suite (pg_regress, psql sessions as each role)
#   4. end-to-end scripts in tests/e2e (real clusters: demo, dump/restore,
#      upgrades from every released version, the MCP bridge)
#   (0. first, the lints: cargo fmt --check and clippy -D warnings on every crate)
# Exits non-zero if anything failed. Needs no network beyond the registries
# that scripts/setup.sh uses. Ends with a table of every suite's wall time.
#
# `scripts/test.sh --check` (make check) is the developer's quick loop: the
# lints, the unit tests, pg_regress and the fastest e2e suites (CHECK_E2E);
# no cargo pgrx test, no soaks.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
set +e
MODE="${1:-all}"
[ "${MODE}" = all ] || [ "${MODE}" = --check ] || die "usage: $0 [--check]"
CHECK_E2E=(dump_restore upgrade oauth fairness conformance)

OUT="${ZAVA_ROOT}/target/test-results"
rm -rf "${OUT}"; mkdir -p "${OUT}"
PASSED=0; FAILED=0
# Each suite's wall time (from the previous tally, or the start) is printed
# beside its counts in the closing table.
SUITE_START=${SECONDS}; RUN_START=${SECONDS}
tally() { # tally SUITE PASSED FAILED
    PASSED=$((PASSED + $2)); FAILED=$((FAILED + $3))
    printf '%-28s %4d passed, %d failed  %5d s\n' "$1" "$2" "$3" "$((SECONDS - SUITE_START))" >> "${OUT}/summary"
    SUITE_START=${SECONDS}
}
# Sum cargo's "test result: … N passed; M failed" lines; a crashed run counts as a failure.
cargo_tally() { # cargo_tally SUITE LOG EXIT
    local p f
    p=$(grep -Eo '[0-9]+ passed' "$2" | awk '{s+=$1} END {print s+0}')
    f=$(grep -Eo '[0-9]+ failed' "$2" | awk '{s+=$1} END {print s+0}')
    if [ "$3" != 0 ] && [ "${f}" = 0 ]; then f=1; fi
    tally "$1" "${p}" "${f}"
}

bash "${ZAVA_ROOT}/scripts/setup.sh" --tests || die "setup failed"
printf '%-28s %4s %-16s %5d s\n' "setup (scripts/setup.sh)" "" "" "$((SECONDS - SUITE_START))" >> "${OUT}/summary"
SUITE_START=${SECONDS}

log "0/4 lint (cargo fmt --check, clippy -D warnings on every crate)"
bash "${ZAVA_ROOT}/scripts/lint.sh" 2>&1 | tee "${OUT}/lint.log"
rc=${PIPESTATUS[0]}
p=$(grep -c '^ok ' "${OUT}/lint.log"); f=$(grep -c '^not ok ' "${OUT}/lint.log")
if [ "${rc}" != 0 ] && [ "${f}" = 0 ]; then f=1; fi
tally "lint" "${p}" "${f}"

log "1/4 unit tests (cargo test)"
cargo test --workspace --exclude zava_pg_ext 2>&1 | tee "${OUT}/unit.log"
cargo_tally "unit (cargo test)" "${OUT}/unit.log" "${PIPESTATUS[0]}"

if [ "${MODE}" = all ]; then
log "2/4 extension tests (cargo pgrx test)"
PGRX_DATA="${ZAVA_ROOT}/target/pgrx-test-data"
pg_user_dir "${PGRX_DATA}"
# The tests share fixed demo keys, so they run one at a time.
(cd "${ZAVA_ROOT}/zava_pg_ext" && RUST_TEST_THREADS=1 cargo pgrx test pg15 \
    --runas "${ZAVA_OS_USER}" --pgdata "${PGRX_DATA}") 2>&1 | tee "${OUT}/pgrx.log"
cargo_tally "extension (cargo pgrx test)" "${OUT}/pgrx.log" "${PIPESTATUS[0]}"
fi

log "3/4 SQL regression suite (pg_regress)"
install_extension dev || die "could not install the extension"
TEST_DIR="${ZAVA_ROOT}/target/test-cluster"
TEST_PORT="${ZAVA_TEST_PORT:-5491}"
cluster_stop "${TEST_DIR}" 2>/dev/null; rm -rf "${TEST_DIR}"
cluster_init "${TEST_DIR}" "${TEST_PORT}" fast
cluster_start "${TEST_DIR}"
trap 'cluster_stop "${TEST_DIR}"' EXIT
REGRESS_DIR="${ZAVA_ROOT}/zava_pg_ext/tests/pg_regress"
mkdir -p "${OUT}/pg_regress"
"$("${PG_CONFIG}" --pkglibdir)/pgxs/src/test/regress/pg_regress" \
    --host="${TEST_DIR}/run" --port="${TEST_PORT}" --user=postgres \
    --dbname=zava_regress --inputdir="${REGRESS_DIR}" --outputdir="${OUT}/pg_regress" \
    --bindir="${PG_BIN}" \
    setup isolation login_attacks gateway least_privilege bad_input safe_query gate_attacks gate_memory gate_usability explain citus_facts side_channels embed analytics analytics_compare rollups versions drop_extension 2>&1 | tee "${OUT}/regress.log"
rc=${PIPESTATUS[0]}
p=$(grep -Ec '^(ok|test) .*\.\.\. ok|^ok [0-9]+ ' "${OUT}/regress.log")
f=$(grep -Ec 'FAILED|^not ok' "${OUT}/regress.log")
if [ "${rc}" != 0 ] && [ "${f}" = 0 ]; then f=1; fi
[ -f "${OUT}/pg_regress/regression.diffs" ] && cat "${OUT}/pg_regress/regression.diffs"
tally "SQL regression (pg_regress)" "${p}" "${f}"

log "4/4 end-to-end (tests/e2e)"
for t in "${ZAVA_ROOT}"/tests/e2e/*.sh; do
    name="$(basename "${t}" .sh)"
    if [ "${MODE}" = --check ] && [[ " ${CHECK_E2E[*]} " != *" ${name} "* ]]; then continue; fi
    ZAVA_TEST_CLUSTER="${TEST_DIR}" ZAVA_TEST_PORT="${TEST_PORT}" bash "${t}" 2>&1 | tee "${OUT}/e2e-${name}.log"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^ok ' "${OUT}/e2e-${name}.log"); f=$(grep -c '^not ok ' "${OUT}/e2e-${name}.log")
    if [ "${rc}" != 0 ] && [ "${f}" = 0 ]; then f=1; fi
    tally "e2e ${name}" "${p}" "${f}"
done

echo
cat "${OUT}/summary"
printf '%-28s %4s %-16s %5d s\n' "total" "" "" "$((SECONDS - RUN_START))"
echo "${PASSED} passed, ${FAILED} failed"
[ "${FAILED}" = 0 ] && [ "${PASSED}" -gt 0 ]
