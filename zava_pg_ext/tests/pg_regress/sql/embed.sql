-- zava.embed / zava.embed_batch: sentence embeddings computed in the backend.
-- Exact agreement with an independent reference is tested in Rust
-- (crates/zava-embed, and the #[pg_test] embed_agrees_with_the_reference).
\c - seattle_manager
-- psql principals may embed; meanings are near or far.
SELECT vector_dims(zava.embed('cordless drill')) AS dims,
       round((zava.embed('cordless drill') <=> zava.embed('battery powered driver'))::numeric, 2) AS paraphrase,
       round((zava.embed('cordless drill') <=> zava.embed('gather round a campfire at home'))::numeric, 2) AS unrelated;
-- unit length: the inner product with itself is 1 (<#> is its negative)
SELECT round((zava.embed('R-13 insulation') <#> zava.embed('R-13 insulation'))::numeric, 4) AS minus_one;
-- NULL in, NULL out (STRICT); '' is the model's embedding of the empty text
SELECT zava.embed(NULL) IS NULL AS null_is_null, vector_dims(zava.embed('')) AS empty_dims;
-- a megabyte of text is read up to 256 tokens, like a shorter text with the same start
SELECT octet_length(repeat('drill ', 200000)) AS bytes,
       (zava.embed(repeat('drill ', 200000)) <=> zava.embed(repeat('drill ', 300))) < 1e-6 AS truncated_alike;
-- batches: order kept, NULL elements stay NULL, each equals its single embedding
SELECT array_length(b, 1) AS n, b[2] IS NULL AS second_is_null,
       (b[1] <=> zava.embed('2x4 stud')) < 1e-5 AS first_matches,
       (b[3] <=> zava.embed('NM-B 12/2 wire')) < 1e-5 AS third_matches
  FROM (SELECT zava.embed_batch(ARRAY['2x4 stud', NULL, 'NM-B 12/2 wire']) AS b) x;
SELECT zava.embed_batch('{}'::text[]) AS empty_batch;
-- not through the query gate: embedding is a CPU amplifier
SELECT zava.safe_query('SELECT zava.embed(''cordless drill'')');
SELECT zava.safe_query('SELECT zava.embed_batch(ARRAY[product_name]) FROM retail.products');
-- a principal cannot point the model elsewhere (superuser only): after the library loaded,
SET zava.model_dir = '/tmp';
SELECT set_config('zava.model_dir', '/tmp', false);
-- and first thing in a session (refused at once with shared_preload_libraries;
-- without it, a placeholder set early is thrown away when the library loads)
\c - seattle_manager
SET zava.model_dir = '/tmp';
SELECT vector_dims(zava.embed('x')) AS dims, current_setting('zava.model_dir') <> '/tmp' AS model_dir_unchanged;
\c - postgres
-- cancel and statement_timeout stop a long batch (checked between chunks of 16)
SET statement_timeout = '200ms';
SELECT cardinality(zava.embed_batch(array_agg(p.product_description))) FROM retail.products p, generate_series(1, 10);
RESET statement_timeout;
-- a missing model is a clear error with a hint, never a crash; the backend goes on
SET zava.model_dir = '/nonexistent/zava-model';
SELECT zava.embed('x');
RESET zava.model_dir;
SELECT vector_dims(zava.embed('x')) AS works_again;
