-- Semantic product search (0.2.0): hybrid ranking of pgvector cosine similarity
-- (HNSW) and Postgres full-text search, fused by reciprocal rank.
--
-- The text embedded for a product is zava.embedding_text(): name, type,
-- category and description. Each stored vector keeps the md5 of the text it was
-- made from; a product whose name, description, type or category changed since
-- (md5 differs), or whose vector is missing or from another model, is *stale*:
-- search never ranks it by a stale vector (full-text still finds it) and says
-- so in its `stale` column. zava.refresh_embeddings() (administrators; make
-- demo and generate_demo_data run it) brings every vector up to date.
-- Invoker rights throughout: inventory (stock) is read under the caller's RLS.

-- The text embedded for a product.
CREATE FUNCTION zava.embedding_text(product_name text, type_name text, category_name text, description text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT product_name || '. ' || type_name || '. ' || category_name || '. ' || description
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

-- Hybrid product search. Candidates: the nearest fresh vectors to the query's
-- embedding (HNSW, cosine; similarity >= min_similarity) and the full-text
-- matches of websearch_to_tsquery (so exact tokens such as a SKU, "R-13" or
-- "NM-B" are found even when their meaning is unknown to the model). Fused by
-- reciprocal rank (1 / (60 + rank) from each list), best first.
-- Stock: of `store_id` if given (a store the caller may see, else 42501), else
-- of a store manager's own store, else NULL. in_stock_only keeps stock > 0.
CREATE FUNCTION zava.search_products(query text, k int DEFAULT 20, min_similarity real DEFAULT 0.3,
                                     store_id uuid DEFAULT NULL, in_stock_only boolean DEFAULT false)
RETURNS TABLE (rank int, product_id uuid, sku text, product_name text, category text, price numeric,
               similarity real, stock int, stale boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path FROM CURRENT SET hnsw.ef_search = 200 AS $$
DECLARE
    q text := left(btrim(query), 2000);
    qv vector;
    tq tsquery;
    stock_store uuid;
    me jsonb;
BEGIN
    IF q IS NULL OR q = '' THEN
        RAISE EXCEPTION 'query must be a non-empty text' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'k must be between 1 and 1000 (got %)', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF min_similarity IS NULL OR min_similarity NOT BETWEEN -1 AND 1 THEN
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
    tq := websearch_to_tsquery('english', q);
    RETURN QUERY
    WITH nearest AS (
        SELECT e.product_id, e.source_md5, (1 - (e.description_embedding <=> qv))::real AS sim
          FROM retail.product_description_embeddings e
         WHERE e.model_name = 'all-MiniLM-L6-v2'
         ORDER BY e.description_embedding <=> qv
         LIMIT 200
    ), vec AS (
        -- Fresh vectors only: the md5 of the product's text now must match.
        SELECT n.product_id, n.sim, row_number() OVER (ORDER BY n.sim DESC, n.product_id) AS r
          FROM nearest n
          JOIN retail.products p ON p.product_id = n.product_id
          JOIN retail.product_types ty ON ty.type_id = p.type_id
          JOIN retail.categories c ON c.category_id = p.category_id
         WHERE n.sim >= min_similarity
           AND md5(zava.embedding_text(p.product_name, ty.type_name, c.category_name, p.product_description))
               = n.source_md5
    ), fts AS (
        SELECT p.product_id, row_number() OVER (ORDER BY ts_rank_cd(p.search_tsv, tq) DESC, p.sku) AS r
          FROM retail.products p
         WHERE p.search_tsv @@ tq
         ORDER BY ts_rank_cd(p.search_tsv, tq) DESC, p.sku
         LIMIT 200
    ), fused AS (
        SELECT coalesce(v.product_id, f.product_id) AS product_id, v.sim,
               coalesce(1.0 / (60 + v.r), 0) + coalesce(1.0 / (60 + f.r), 0) AS score
          FROM vec v FULL JOIN fts f ON f.product_id = v.product_id
    )
    SELECT (row_number() OVER (ORDER BY x.score DESC, p.sku))::int, p.product_id, p.sku, p.product_name,
           c.category_name, p.base_price, x.sim, i.stock_level,
           e.source_md5 IS DISTINCT FROM
               md5(zava.embedding_text(p.product_name, ty.type_name, c.category_name, p.product_description))
      FROM fused x
      JOIN retail.products p ON p.product_id = x.product_id
      JOIN retail.product_types ty ON ty.type_id = p.type_id
      JOIN retail.categories c ON c.category_id = p.category_id
      LEFT JOIN retail.product_description_embeddings e
             ON e.product_id = p.product_id AND e.model_name = 'all-MiniLM-L6-v2'
      LEFT JOIN retail.inventory i ON i.store_id = stock_store AND i.product_id = p.product_id
     WHERE NOT in_stock_only OR i.stock_level > 0
     ORDER BY x.score DESC, p.sku
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
                                              similarity_threshold real DEFAULT 30.0, store_id uuid DEFAULT NULL,
                                              in_stock_only boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- NULL means the default (0.6.0), so callers keep no copy of it.
    max_rows := coalesce(max_rows, 20);
    similarity_threshold := coalesce(similarity_threshold, 30.0);
    in_stock_only := coalesce(in_stock_only, false);
    IF similarity_threshold NOT BETWEEN 0 AND 100 THEN
        RAISE EXCEPTION 'similarity_threshold is a percentage between 0 and 100 (got %)', similarity_threshold
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN jsonb_build_object(
        'query', query_description,
        'rows', coalesce((SELECT jsonb_agg(to_jsonb(r) ORDER BY r.rank)
                            FROM zava.search_products(query_description, max_rows, (similarity_threshold / 100)::real,
                                                      store_id, in_stock_only) r), '[]'::jsonb));
END
$$;
