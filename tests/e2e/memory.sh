#!/usr/bin/env bash
# Bounded memory, measured: one store manager cannot take the database down.
#   1. Per amplifier class, one at a time: the backend's peak RSS when the query
#      runs ungated (as the superuser, only the cluster's address-space ceiling
#      in the way) and through zava.safe_query as a store manager (printed as
#      "# memory …" lines; the gated peak is asserted).
#   2. 8 amplifier calls at once as one principal, and 4 x format('%1000000000s')
#      at once: every call answers within its timeout, the machine's used
#      memory (MemAvailable, sampled every 20 ms) rises less than 2 GB (1 GB for
#      the 4), and the server never restarts (pg_postmaster_start_time).
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-memory"; P=5499
OUT="${DIR}/out"
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
mkdir -p "${OUT}"
q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.02, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
started="$(q "${P}" postgres zava -c "SELECT pg_postmaster_start_time()")"
GATE_TIMEOUT_MS=20000

# The amplifier classes: name|query.
CLASSES=(
    "format width|SELECT length(format('%1000000000s', 'x'))"
    "char(n) padding|SELECT cardinality(array_agg(x::char(10485760))) FROM (SELECT product_name AS x FROM retail.products LIMIT 150) t"
    "replace with a computed replacement|SELECT length(replace(x, ' ', x)) FROM (SELECT string_agg(product_description, ' ') AS x FROM retail.products) t"
    "regexp_replace inserting everywhere|SELECT length(regexp_replace(x, '', x, 'g')) FROM (SELECT string_agg(product_description, ' ') AS x FROM retail.products) t"
    "string_agg over a cross join|SELECT length(string_agg(a.product_description, '')) FROM retail.products a, retail.products b, retail.products c"
    "array_agg over a cross join|SELECT cardinality(array_agg(a.product_description)) FROM retail.products a, retail.products b, retail.products c"
    "recursive UNION hash table|WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n + 1 FROM t WHERE n < 10000000) SELECT count(*) FROM t"
    "grouped aggregate states|SELECT max(length(s)) FROM (SELECT a.category_id, string_agg(b.product_description, '') AS s FROM retail.products a, retail.products b, retail.products c GROUP BY 1) x"
)

# peak USER SQL OUTFILE: runs SQL in a fresh session and writes
# "<peak RSS rise in MB> <seconds> <SQLSTATE or ok>" to OUTFILE.
peak() {
    local user="$1" sql="$2" out="$3" t0 t1 base top state
    t0=$(date +%s%N)
    "${PG_BIN}/psql" -h 127.0.0.1 -p "${P}" -U "${user}" -d zava -X -qAt -v VERBOSITY=verbose > "${out}.log" 2>&1 <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\! awk '/VmHWM/ {print "base", \$2}' /proc/\$PID/status
SET statement_timeout = '30s';
${sql};
\! awk '/VmHWM/ {print "peak", \$2}' /proc/\$PID/status
SQL
    t1=$(date +%s%N)
    base=$(awk '$1 == "base" {print $2}' "${out}.log"); top=$(awk '$1 == "peak" {print $2}' "${out}.log")
    state=$(grep -o 'ERROR: *[0-9A-Z]\{5\}' "${out}.log" | head -n1 | awk '{print $2}')
    echo "$(( (${top:-0} - ${base:-0}) / 1024 )) $(( (t1 - t0) / 1000000 )) ${state:-ok}" > "${out}"
}
gated() { # gated SQL: the same query through the gate, as a store manager's call
    printf "SELECT zava.safe_query(\$zq\$%s\$zq\$, 5, %s)->'row_count'" "$1" "${GATE_TIMEOUT_MS}"
}
bounded_state() { # the answers a gated amplifier may get
    case "$1" in ok | 54000 | 53200 | 53400 | 57014) return 0 ;; *) return 1 ;; esac
}

# 1. One at a time: ungated vs through the gate.
i=0
for c in "${CLASSES[@]}"; do
    i=$((i + 1)); name="${c%%|*}"; sql="${c#*|}"
    peak postgres "${sql}" "${OUT}/before-${i}"
    peak seattle_manager "$(gated "${sql}")" "${OUT}/after-${i}"
    read -r bmb bms bst < "${OUT}/before-${i}"; read -r amb ams ast < "${OUT}/after-${i}"
    echo "# memory ${name}: ungated ${bmb} MB in ${bms} ms (${bst}) -> through the gate ${amb} MB in ${ams} ms (${ast})"
    expect "${name}: through the gate the backend grows less than 200 MB (${amb} MB; ungated ${bmb} MB)" test "${amb}" -lt 200
    expect "${name}: through the gate it is refused, capped or stopped by a limit (${ast})" bounded_state "${ast}"
done
expect_eq "one at a time: the server never restarted" \
    "$(q "${P}" postgres zava -c "SELECT pg_postmaster_start_time()")" "${started}"

# sample_memory FILE: MemAvailable (kB) every 20 ms until killed.
sample_memory() { while :; do awk '/^MemAvailable:/ {print $2}' /proc/meminfo >> "$1"; sleep 0.02; done; }

# at_once LABEL LIMIT_MB SQL…: one store manager's calls, all at once.
at_once() {
    local label="$1" limit="$2"; shift 2
    local n=0 pids=() sampler avail0 avail_min rise slow=0 bad=0 peaks="" total=0
    rm -f "${OUT}/mem-${label}"
    avail0=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
    sample_memory "${OUT}/mem-${label}" & sampler=$!
    for sql in "$@"; do
        n=$((n + 1)); peak seattle_manager "$(gated "${sql}")" "${OUT}/${label}-${n}" & pids+=($!)
    done
    wait "${pids[@]}"
    kill "${sampler}"; wait "${sampler}" 2>/dev/null
    avail_min=$(sort -n "${OUT}/mem-${label}" | head -n1)
    rise=$(( (avail0 - avail_min) / 1024 ))
    for j in $(seq 1 "${n}"); do
        read -r mb ms st < "${OUT}/${label}-${j}"
        peaks="${peaks} ${mb}"; total=$((total + mb))
        [ "${ms}" -le $((GATE_TIMEOUT_MS + 5000)) ] || slow=$((slow + 1))
        bounded_state "${st}" || bad=$((bad + 1))
    done
    echo "# memory ${label}: ${n} calls at once; machine memory rise ${rise} MB (MemAvailable sampled every 20 ms);" \
        "backends' peak RSS rise (MB):${peaks}, sum ${total} MB (an upper bound of the rise, whatever the sampling missed)"
    expect_eq "${label}: every call answered within its timeout" "${slow}" "0"
    expect_eq "${label}: every call refused, capped or stopped by a limit" "${bad}" "0"
    expect "${label}: the machine's used memory rose less than ${limit} MB (${rise} MB sampled)" test "${rise}" -lt "${limit}"
    expect "${label}: the backends' peaks add up to less than ${limit} MB (${total} MB)" test "${total}" -lt "${limit}"
    expect_eq "${label}: the server never restarted" "$(q "${P}" postgres zava -c "SELECT pg_postmaster_start_time()")" "${started}"
}

# 2. Eight different amplifiers at once, as one principal (the bridge's per-principal limit is 8).
sqls=()
for c in "${CLASSES[@]}"; do sqls+=("${c#*|}"); done
at_once "8-amplifiers" 2048 "${sqls[@]}"
f="SELECT length(format('%1000000000s', 'x'))"
at_once "4-format" 1024 "${f}" "${f}" "${f}" "${f}"
