-- zava 0.1.0 → 0.2.0: sentence embeddings computed inside the backend
-- (all-MiniLM-L6-v2 in Rust; the model files are installed by scripts/setup.sh).
-- The definitions are exactly what a fresh 0.2.0 install generates
-- (tests/e2e/upgrade.sh compares the two catalogs).
-- Also in 0.2.0, with no change to any SQL signature: zava.safe_query refuses
-- memory amplifiers (54000) and runs under a memory budget (53200).

CREATE FUNCTION "embed"(
	"text" TEXT
) RETURNS vector
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'embed_wrapper';

CREATE FUNCTION "embed_batch"(
	"texts" TEXT[]
) RETURNS vector[]
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'embed_batch_wrapper';
