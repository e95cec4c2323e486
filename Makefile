# Zava: the single entry point. See README.md.
.PHONY: demo test check bench soak setup stop unit fmt lint clippy

## make demo: private PostgreSQL with the zava extension and demo data (Ctrl-C stops it)
demo:
	bash scripts/demo.sh

## make test: every test suite; ends with "N passed, N failed"
test:
	bash scripts/test.sh

## make check: the quick loop — lint, unit tests, pg_regress and the fastest e2e suites
check:
	bash scripts/test.sh --check

## make soak: the long soaks — 100,000 checked calls through two bridges and PgBouncer,
## and five times make test's calls through two bridges behind HAProxy (one killed mid-load)
soak:
	bash scripts/setup.sh --tests
	bash -c 'source scripts/cluster.sh && install_extension dev'
	ZAVA_SOAK_CALLS=100000 bash tests/e2e/pooler.sh
	ZAVA_SOAK_SCALE=5 bash tests/e2e/balancer.sh

## make bench: throughput/latency of zava-mcp vs direct PostgreSQL (prints numbers)
bench:
	bash scripts/bench.sh

## make setup: only install what the project needs, the tests' tools included (idempotent)
setup:
	bash scripts/setup.sh --tests

## make stop: stop the demo cluster if it is running in the background
stop:
	bash scripts/demo.sh stop

## make unit: the pure-Rust unit tests only (seconds)
unit:
	cargo test --workspace --exclude zava_pg_ext

fmt:
	cargo fmt --all

## make lint: what CI checks (formatting and clippy on every crate, the extension included)
lint:
	bash scripts/lint.sh

## make clippy: clippy -D warnings on every crate, the extension included (it needs `make setup` first)
clippy:
	cargo clippy --workspace --exclude zava_pg_ext --all-targets -- -D warnings
	cargo clippy -p zava_pg_ext --features "pg15 pg_test" --all-targets -- -D warnings
