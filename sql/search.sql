-- Semantic product search (0.2.0; ranking of 0.11.0): pgvector cosine
-- similarity (HNSW) and Postgres full-text search, scored together.
--
-- The text embedded for a product is zava.embedding_text(): name, type,
-- category and description. Each stored vector keeps the md5 of the text it was
-- made from; a product whose name, description, type or category changed since
-- (md5 differs), or whose vector is missing or from another model, is *stale*:
-- search never ranks it by a stale vector (full-text still finds it) and says
-- so in its `stale` column. zava.refresh_embeddings() (administrators; make
-- demo and generate_demo_data run it) brings every vector up to date.
-- Invoker rights throughout: inventory (stock) is read under the caller's RLS.

-- The text embedded for a product. No SET clause (0.11.0), so the planner
-- inlines it into search's freshness check (a function call per candidate
-- was a third of a search); its operator is named with its schema, so the
-- caller's search_path cannot change what it computes.
CREATE FUNCTION zava.embedding_text(product_name text, type_name text, category_name text, description text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT product_name OPERATOR(pg_catalog.||) '. ' OPERATOR(pg_catalog.||) type_name OPERATOR(pg_catalog.||) '. '
           OPERATOR(pg_catalog.||) category_name OPERATOR(pg_catalog.||) '. ' OPERATOR(pg_catalog.||) description
$$;

-- Every product with the text to embed and its md5.
CREATE FUNCTION zava.product_texts() RETURNS TABLE (product_id uuid, text text, md5 text)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p.product_id, t.text, md5(t.text)
      FROM retail.products p
      JOIN retail.product_types ty ON ty.type_id = p.type_id
      JOIN retail.categories c ON c.category_id = p.category_id
     CROSS JOIN LATERAL (SELECT zava.embedding_text(p.product_name, ty.type_name, c.category_name,
                                                    p.product_description) AS text) t
$$;

-- Embeds every product whose vector is missing, stale or from another model,
-- 64 per pass, with a NOTICE per pass. Administrators only.
CREATE FUNCTION zava.refresh_embeddings() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
DECLARE
    started timestamptz := clock_timestamp();
    todo int;
    done int := 0;
    batch record;
BEGIN
    SELECT count(*) INTO todo
      FROM zava.product_texts() t
      LEFT JOIN retail.product_description_embeddings e ON e.product_id = t.product_id
     WHERE e.product_id IS NULL OR e.source_md5 IS DISTINCT FROM t.md5 OR e.model_name <> 'all-MiniLM-L6-v2';
    LOOP
        SELECT array_agg(s.product_id) AS ids, array_agg(s.text) AS texts, array_agg(s.md5) AS md5s INTO batch
          FROM (SELECT t.* FROM zava.product_texts() t
                  LEFT JOIN retail.product_description_embeddings e ON e.product_id = t.product_id
                 WHERE e.product_id IS NULL OR e.source_md5 IS DISTINCT FROM t.md5
                    OR e.model_name <> 'all-MiniLM-L6-v2'
                 ORDER BY t.product_id LIMIT 64) s;
        EXIT WHEN batch.ids IS NULL;
        INSERT INTO retail.product_description_embeddings AS e
               (product_id, description_embedding, model_name, source_md5)
        SELECT u.id, u.v, 'all-MiniLM-L6-v2', u.m
          FROM unnest(batch.ids, zava.embed_batch(batch.texts), batch.md5s) AS u(id, v, m)
            ON CONFLICT (product_id) DO UPDATE
           SET description_embedding = excluded.description_embedding, model_name = excluded.model_name,
               source_md5 = excluded.source_md5;
        done := done + cardinality(batch.ids);
        RAISE NOTICE 'zava.refresh_embeddings: % of % products embedded', done, todo;
    END LOOP;
    RETURN jsonb_build_object(
        'embedded', done,
        'up_to_date', (SELECT count(*) FROM retail.product_description_embeddings),
        'seconds', round(extract(epoch FROM clock_timestamp() - started)::numeric, 2));
END
$$;

-- Hybrid product search (0.11.0). Candidates: the 100 nearest vectors to the
-- query's embedding (HNSW, cosine) and the 100 products sharing the most
-- words with the query (full text, any of its words). Each candidate scores
-- its similarity of meaning + 0.3 × the share of the query's words it has
-- + 0.5 if it matches every word of the query (websearch_to_tsquery: exact tokens
-- such as a SKU, "R-13" or "NM-B", which the model does not know). Variants of
-- one item (products of one type whose names differ only after the last
-- comma, "Claw Hammer, Pro") are listed best variant first: each item's best
-- before any item's second, so ten rows show ten different things when there
-- are ten. Weights measured on tests/search/ (docs/search.md).
--
-- min_similarity NULL (the default): nothing is filtered; a row whose
-- similarity is below 0.3 and that does not match every word is flagged
-- low_confidence (a best guess), so a search of a non-empty catalog never
-- answers with nothing. An explicit min_similarity is the caller's hard
-- filter: products below it are dropped unless they match every word.
-- Stock: of `store_id` if given (a store the caller may see, else 42501), else
-- of a store manager's own store, else NULL. in_stock_only keeps stock > 0.
CREATE FUNCTION zava.search_products(query text, k int DEFAULT 20, min_similarity real DEFAULT NULL,
                                     store_id uuid DEFAULT NULL, in_stock_only boolean DEFAULT false)
RETURNS TABLE (rank int, product_id uuid, sku text, product_name text, category text, price numeric,
               similarity real, stock int, stale boolean, low_confidence boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path FROM CURRENT SET hnsw.ef_search = 200 AS $$
DECLARE
    q text := left(btrim(query), 2000);
    qv vector;
    every_word tsquery;
    any_word tsquery;
    stock_store uuid;
    me jsonb;
    lexemes text[];
BEGIN
    IF q IS NULL OR q = '' THEN
        RAISE EXCEPTION 'query must be a non-empty text' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000 (got %)', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF min_similarity IS NOT NULL AND min_similarity NOT BETWEEN -1 AND 1 THEN
        RAISE EXCEPTION 'min_similarity must be between -1 and 1 (got %)', min_similarity
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF store_id IS NOT NULL THEN
        stock_store := (zava.scope_stores(store_id))[1];
    ELSE
        me := zava.whoami();
        IF me->>'kind' = 'store_manager' THEN
            stock_store := (me->'store_ids'->>0)::uuid;
        END IF;
    END IF;
    IF in_stock_only AND stock_store IS NULL THEN
        RAISE EXCEPTION 'in_stock_only needs a store: pass store_id'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    qv := zava.embed(q);
    every_word := websearch_to_tsquery('english', q);
    -- The query's words, stemmed; any of them (quoted: no operator in the text is read).
    lexemes := tsvector_to_array(to_tsvector('english', q));
    any_word := nullif(array_to_string(ARRAY(SELECT quote_literal(w) FROM unnest(lexemes) w), ' | '), '')::tsquery;
    RETURN QUERY
    WITH nearest AS (
        SELECT e.product_id, (1 - (e.description_embedding <=> qv))::real AS sim
          FROM retail.product_description_embeddings e
         WHERE e.model_name = 'all-MiniLM-L6-v2'
         ORDER BY e.description_embedding <=> qv
         LIMIT 100
    ), words AS (
        SELECT p.product_id
          FROM retail.products p
         WHERE p.search_tsv @@ any_word
         ORDER BY ts_rank(p.search_tsv, any_word, 1) DESC, p.product_id
         LIMIT 100
    ), scored AS (
        SELECT p.product_id, p.sku, p.product_name, p.type_id, p.base_price, c.category_name,
               -- A vector made from another text than the product's now is stale: never ranked by.
               CASE WHEN NOT fresh.stale THEN n.sim END AS sim, fresh.stale,
               -- The share of the query's words the product has.
               coalesce((SELECT count(*) FROM unnest(lexemes) l WHERE p.search_tsv @@ quote_literal(l)::tsquery)::real
                        / nullif(cardinality(lexemes), 0), 0) AS words, p.search_tsv @@ every_word AS every
          FROM (SELECT n.product_id FROM nearest n UNION SELECT w.product_id FROM words w) x
          JOIN retail.products p ON p.product_id = x.product_id
          JOIN retail.product_types ty ON ty.type_id = p.type_id
          JOIN retail.categories c ON c.category_id = p.category_id
          LEFT JOIN nearest n ON n.product_id = x.product_id
          LEFT JOIN retail.product_description_embeddings e
                 ON e.product_id = p.product_id AND e.model_name = 'all-MiniLM-L6-v2'
         CROSS JOIN LATERAL (SELECT e.source_md5 IS DISTINCT FROM
                 md5(zava.embedding_text(p.product_name, ty.type_name, c.category_name, p.product_description)) AS stale) fresh
    ), kept AS (
        SELECT s.*, coalesce(s.sim, 0) + 0.3 * s.words + CASE WHEN s.every THEN 0.5 ELSE 0 END AS score,
               i.stock_level
          FROM scored s
          LEFT JOIN retail.inventory i ON i.store_id = stock_store AND i.product_id = s.product_id
         WHERE (min_similarity IS NULL OR s.every OR s.sim >= min_similarity)
           AND (NOT in_stock_only OR i.stock_level > 0)
    ), ordered AS (
        SELECT kept.*, row_number() OVER (PARTITION BY kept.type_id, regexp_replace(kept.product_name, ',[^,]*$', '')
                                          ORDER BY kept.score DESC, kept.sku) AS variant
          FROM kept
    )
    SELECT (row_number() OVER (ORDER BY o.variant, o.score DESC, o.sku))::int, o.product_id, o.sku, o.product_name,
           o.category_name, o.base_price, o.sim, o.stock_level, o.stale,
           min_similarity IS NULL AND NOT o.every AND coalesce(o.sim, 0) < 0.3
      FROM ordered o
     ORDER BY o.variant, o.score DESC, o.sku
     LIMIT k;
END
$$;

-- The seed's function, for callers who bring their own query vector: products
-- whose stored (fresh) vector is at least `similarity_threshold` similar.
CREATE FUNCTION zava.search_products_by_description(query_embedding vector, similarity_threshold real DEFAULT 0.7,
                                                    max_results int DEFAULT 20)
RETURNS TABLE (product_id uuid, sku text, product_name text, product_description text, similarity real)
LANGUAGE plpgsql STABLE PARALLEL SAFE SET search_path FROM CURRENT SET hnsw.ef_search = 200 AS $$
BEGIN
    IF query_embedding IS NULL OR vector_dims(query_embedding) <> 384 THEN
        RAISE EXCEPTION 'query_embedding must be a vector of 384 dimensions' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF max_results IS NULL OR max_results NOT BETWEEN 1 AND 1000
       OR similarity_threshold IS NULL OR similarity_threshold NOT BETWEEN -1 AND 1 THEN
        RAISE EXCEPTION 'max_results must be between 1 and 1000 and similarity_threshold between -1 and 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT n.product_id, p.sku, p.product_name, p.product_description, n.sim
      FROM (SELECT e.product_id, e.source_md5, (1 - (e.description_embedding <=> query_embedding))::real AS sim
              FROM retail.product_description_embeddings e
             WHERE e.model_name = 'all-MiniLM-L6-v2'
             ORDER BY e.description_embedding <=> query_embedding
             LIMIT max_results) n
      JOIN zava.product_texts() t ON t.product_id = n.product_id AND t.md5 = n.source_md5
      JOIN retail.products p ON p.product_id = n.product_id
     WHERE n.sim >= similarity_threshold
     ORDER BY n.sim DESC, p.sku;
END
$$;

-- The MCP tool semantic_search_products, as one call returning jsonb: the
-- seed's arguments (similarity_threshold in percent, 0–100) plus store_id and
-- in_stock_only.
CREATE FUNCTION zava.semantic_search_products(query_description text, max_rows int DEFAULT 20,
                                              similarity_threshold real DEFAULT NULL, store_id uuid DEFAULT NULL,
                                              in_stock_only boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    found jsonb;
BEGIN
    -- NULL means the default (0.6.0), so callers keep no copy of it. No
    -- threshold (0.11.0): the best matches always, the weak ones flagged.
    max_rows := coalesce(max_rows, 20);
    in_stock_only := coalesce(in_stock_only, false);
    IF similarity_threshold NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'similarity_threshold is a percentage between 0 and 100 (got %)', similarity_threshold
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    found := coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.rank)
                         FROM zava.search_products(query_description, max_rows, (similarity_threshold / 100)::real,
                                                   store_id, in_stock_only) r), '[]'::jsonb);
    RETURN jsonb_build_object(
        'query', query_description,
        -- Nothing cleared the bar: every row is a best guess.
        'low_confidence', jsonb_array_length(found) > 0 AND NOT jsonb_path_exists(found, '$[*] ? (@.low_confidence == false)'),
        'rows', found);
END
$$;
