#!/usr/bin/env bash
# Part of `make bench` (or alone): product search, release build. Prints numbers,
# asserts nothing about speed.
#   1. Search latency of one query asked again and again (its embedding comes
#      from the backend's cache after the first call), p50/p99 at concurrency 1
#      and 8: the SQL function alone, in the bridge's per-call transaction, and
#      through zava-mcp (semantic_search_products); then new and repeated
#      queries and the embedding alone, in one run (pgbench), and the
#      embedding's time by query length.
#   2. HNSW against exact search on 100,000 synthetic vectors (each a random
#      mix of three catalog embeddings plus a little noise, so they lie where
#      real product texts do): recall@10 and latency at ef_search 40
#      (pgvector's default) and higher, vs exact.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
DIR="${ZAVA_ROOT}/target/bench-embed"; P="${ZAVA_BENCH_EMBED_PORT:-5488}"; LISTEN=127.0.0.1:8796
SECONDS_EACH="${ZAVA_BENCH_SECONDS:-5}"
SEATTLE=7a0a0000-0000-4000-8000-000000000011
if [ -z "${ZAVA_SKIP_INSTALL:-}" ]; then
    bash "${ZAVA_ROOT}/scripts/setup.sh"
    install_extension release
fi
(cd "${ZAVA_ROOT}" && cargo build -q --release -p zava-mcp -p zava-bench)
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
BRIDGE=""
trap '[ -n "${BRIDGE}" ] && kill "${BRIDGE}" 2>/dev/null || true; cluster_stop "${DIR}"' EXIT
psql_at() { "${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${P}/$1" -XqAt -v ON_ERROR_STOP=1 "${@:2}"; }
drop_if_script_changed "${DIR}" "${P}" zava
if ! psql_at postgres -c "SELECT 1 FROM pg_database WHERE datname = 'zava'" | grep -q 1; then
    psql_at postgres -c "CREATE DATABASE zava"
    psql_at zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
        -c "SELECT zava.generate_demo_data(0.01, 42, '2026-11-23')" >/dev/null
fi
psql_at zava -c "SET client_min_messages = warning" -c "ALTER EXTENSION zava UPDATE" \
    -c "SELECT zava.setup_demo_logins()" -c "SELECT zava.refresh_embeddings()" -c "ANALYZE" >/dev/null

TOKEN="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
DATABASE_URL="postgresql://zava_mcp@127.0.0.1:${P}/zava" ZAVA_TOKENS="${TOKEN}=${SEATTLE}" ZAVA_LOG=warn \
    "${ZAVA_ROOT}/target/release/zava-mcp" http --listen "${LISTEN}" --pool-max 16 --cache-ttl-s 0 > "${DIR}/bridge.log" 2>&1 &
BRIDGE=$!
bridge_ready "http://${LISTEN}" 30 || die "zava-mcp did not become ready (log: ${DIR}/bridge.log)"
echo "== product search as seattle_manager (mode raw: the SQL function alone; direct: the bridge's transaction; mcp: the tool)"
"${ZAVA_ROOT}/target/release/zava-bench" search "http://${LISTEN}/mcp" "${TOKEN}" \
    "postgresql://zava_mcp@127.0.0.1:${P}/zava" "${SEATTLE}" "postgresql://seattle_manager@127.0.0.1:${P}/zava" \
    "${SECONDS_EACH}" 1,8 "gather round a campfire at home"

echo
echo "== new and repeated queries as seattle_manager, p50/p99 ms (pgbench, ${SECONDS_EACH} s each; a new query = the text + a random number, so never cached)"
W="${DIR}/pgbench"; rm -rf "${W}"; mkdir -p "${W}"
latency() { # latency NAME CLIENTS SQL → "p50 p99 calls/s"
    printf '\\set n random(1, 1000000000)\n%s\n' "$3" > "${W}/$1.sql"
    (cd "${W}" && "${PG_BIN}/pgbench" -h 127.0.0.1 -p "${P}" -U seattle_manager -n -c "$2" -j "$(( $2 < 2 ? 1 : 2 ))" \
        -T "${SECONDS_EACH}" -l --log-prefix="$1-$2" -f "$1.sql" zava > "$1-$2.out" 2>&1)
    local logs=("${W}/$1-$2".[0-9]*)
    printf '%6s %6s %8.0f' "$(percentile 0.5 "${logs[@]}")" "$(percentile 0.99 "${logs[@]}")" \
        "$(reported 'tps =' "${W}/$1-$2.out")"
}
Q="gather round a campfire at home"
printf '%-44s %-24s %-24s\n' "" "c=1: p50 p99 calls/s" "c=8: p50 p99 calls/s"
for row in "zava.embed, new query|SELECT length(zava.embed('${Q} ' || :n)::text);" \
           "zava.embed, repeated query|SELECT length(zava.embed('${Q}')::text);" \
           "search_products, new query|SELECT count(*) FROM zava.search_products('${Q} ' || :n, 10);" \
           "search_products, repeated query|SELECT count(*) FROM zava.search_products('${Q}', 10);"; do
    IFS='|' read -r label sql <<< "${row}"
    key="$(echo "${label}" | tr -c 'a-z0-9' '_')"
    printf '%-44s %-24s %-24s\n' "${label}" "$(latency "${key}" 1 "${sql}")" "$(latency "${key}" 8 "${sql}")"
done
# The embedding's time by the query's length (words), new queries, c=1.
for words in 2 6 10 20; do
    text="$(echo "water the lawn and trim the hedge along the fence then dig a bed for roses near the patio wall" | cut -d' ' -f1-"${words}")"
    printf '  zava.embed of %2s words: p50 p99 calls/s %s\n' "${words}" "$(latency "embed${words}" 1 "SELECT length(zava.embed('${text} ' || :n)::text);")"
done

echo
echo "== HNSW vs exact search, 100,000 synthetic vectors of 384 dimensions"
if ! psql_at zava -c "SELECT to_regclass('public.bench_vectors') IS NOT NULL" | grep -q t; then
    t0=$(date +%s)
    psql_at zava -c "SET maintenance_work_mem = '1GB'" -c "
        CREATE TABLE public.bench_vectors AS
        SELECT g AS id,
               l2_normalize((SELECT array_agg(w.a * x + w.b * y + w.c * z + (random() - 0.5) * 0.02)
                               FROM unnest(e1.description_embedding::real[], e2.description_embedding::real[],
                                           e3.description_embedding::real[]) AS t(x, y, z))::vector(384))::vector(384) AS v
          FROM generate_series(1, 100000) g
         CROSS JOIN LATERAL (SELECT random() AS a, random() AS b, random() AS c, g AS seed) w
          JOIN LATERAL (SELECT description_embedding FROM retail.product_description_embeddings
                         ORDER BY product_id OFFSET (w.seed::bigint * 7919) % 432 LIMIT 1) e1 ON true
          JOIN LATERAL (SELECT description_embedding FROM retail.product_description_embeddings
                         ORDER BY product_id OFFSET (w.seed::bigint * 104729) % 432 LIMIT 1) e2 ON true
          JOIN LATERAL (SELECT description_embedding FROM retail.product_description_embeddings
                         ORDER BY product_id OFFSET (w.seed::bigint * 1299709) % 432 LIMIT 1) e3 ON true" \
        -c "CREATE INDEX ON public.bench_vectors USING hnsw (v vector_cosine_ops)" -c "ANALYZE public.bench_vectors"
    echo "made 100,000 vectors and their HNSW index in $(( $(date +%s) - t0 )) s"
fi
psql_at zava <<'SQL'
CREATE TEMP TABLE probes AS
SELECT n, l2_normalize((SELECT array_agg(e.x + (random() - 0.5) * 0.02) FROM unnest(b.v::real[]) AS e(x))::vector) AS q
  FROM generate_series(1, 100) n JOIN LATERAL (SELECT v FROM public.bench_vectors OFFSET n * 997 LIMIT 1) b ON true;
-- Exact answers (a sequential scan: the distance is not the indexed expression).
CREATE TEMP TABLE exact AS
SELECT p.n, x.id FROM probes p, LATERAL (SELECT id FROM public.bench_vectors ORDER BY (v <=> p.q) + 0 LIMIT 10) x;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) FROM probes p, LATERAL (SELECT id FROM public.bench_vectors ORDER BY (v <=> p.q) + 0 LIMIT 10) x \gset
SELECT round(((extract(epoch FROM clock_timestamp()) - :t0) * 10)::numeric, 2) AS ms \gset
\echo exact search: :ms ms per query
CREATE FUNCTION pg_temp.hnsw(ef int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; hits bigint;
BEGIN
    PERFORM set_config('hnsw.ef_search', ef::text, true);
    t0 := clock_timestamp();
    SELECT count(*) INTO hits FROM probes p,
        LATERAL (SELECT id FROM public.bench_vectors ORDER BY v <=> p.q LIMIT 10) x
     WHERE (p.n, x.id) IN (SELECT n, id FROM exact);
    RETURN format('ef_search %s: recall@10 %s, %s ms per query', ef, round(hits / 1000.0, 3),
                  round((extract(epoch FROM clock_timestamp() - t0) * 10)::numeric, 2));
END $$;
BEGIN;
SELECT pg_temp.hnsw(40);
SELECT pg_temp.hnsw(64);
SELECT pg_temp.hnsw(100);
SELECT pg_temp.hnsw(200);
SELECT pg_temp.hnsw(400);
SELECT pg_temp.hnsw(800);
COMMIT;
SQL
