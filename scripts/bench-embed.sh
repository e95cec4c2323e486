#!/usr/bin/env bash
# Part of `make bench` (or alone): zava.embed in one backend, release build.
# Prints the model's load time, the backend's memory before and after it loads,
# and texts/s embedding the 432 demo product descriptions one by one and as one
# batch. Numbers only; asserts nothing about speed.
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
DIR="${ZAVA_ROOT}/target/bench-embed"; P="${ZAVA_BENCH_EMBED_PORT:-5488}"
if [ -z "${ZAVA_SKIP_INSTALL:-}" ]; then
    bash "${ZAVA_ROOT}/scripts/setup.sh"
    install_extension release
fi
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
psql_at() { "${PG_BIN}/psql" "postgresql://postgres@127.0.0.1:${P}/$1" -XqAt -v ON_ERROR_STOP=1 "${@:2}"; }
if ! psql_at postgres -c "SELECT 1 FROM pg_database WHERE datname = 'zava'" | grep -q 1; then
    psql_at postgres -c "CREATE DATABASE zava"
    psql_at zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
        -c "SELECT zava.generate_demo_data(0.01, 42, '2026-11-23')" >/dev/null
fi
psql_at zava -c "SET client_min_messages = warning" -c "ALTER EXTENSION zava UPDATE"
# One session: memory before, first call (loads the model), memory after, then throughput.
psql_at zava <<'SQL'
SELECT pg_backend_pid() AS pid \gset
\setenv PID :pid
\! awk '/^VmRSS/ {printf "backend RSS before the model loads: %d MB\n", $2 / 1024}' /proc/$PID/status
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT vector_dims(zava.embed('cordless drill')) AS dims \gset
SELECT round((extract(epoch FROM clock_timestamp()) - :t0) * 1000) AS ms \gset
\echo first zava.embed call (loads the model): :ms ms
\! awk '/^VmRSS/ {printf "backend RSS after the model loaded: %d MB\n", $2 / 1024}' /proc/$PID/status
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT vector_dims(zava.embed('cordless drill')) AS dims \gset
SELECT round((extract(epoch FROM clock_timestamp()) - :t0) * 1000, 2) AS ms \gset
\echo next zava.embed call, two words: :ms ms
SELECT count(*) AS n, round(avg(length(product_description))) AS chars FROM retail.products \gset
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(zava.embed(product_description)) AS done FROM retail.products \gset
SELECT round(:n / (extract(epoch FROM clock_timestamp()) - :t0)) AS rate \gset
\echo zava.embed one by one: :rate texts/s (:n product descriptions, :chars characters on average)
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT cardinality(zava.embed_batch(array_agg(product_description))) AS done FROM retail.products \gset
SELECT round(:n / (extract(epoch FROM clock_timestamp()) - :t0)) AS rate \gset
\echo zava.embed_batch, one call: :rate texts/s
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(zava.embed(product_name)) AS done FROM retail.products \gset
SELECT round(:n / (extract(epoch FROM clock_timestamp()) - :t0)) AS rate \gset
\echo zava.embed one by one, product names: :rate texts/s
\! awk '/^VmHWM/ {printf "backend peak RSS: %d MB\n", $2 / 1024}' /proc/$PID/status
SQL
