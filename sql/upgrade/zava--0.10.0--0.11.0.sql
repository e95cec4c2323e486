-- zava 0.10.0 → 0.11.0: search that never answers with nothing, a faster
-- store_performance for principals, and a per-backend cache of query
-- embeddings. The definitions are exactly what a fresh 0.11.0 install
-- generates (tests/e2e/upgrade.sh compares the two catalogs). No table
-- changes; stored embeddings stay valid (the embedded text is unchanged).
--
-- * The *_between helpers and customer_sets_between read the days outside
--   whole months as two index ranges (an OR of the two ranges read every day
--   of the stores: head office's quarter on make demo 11.7 → 2.5 ms).
-- * embedding_text is inlinable (no SET clause; its operator is qualified).
-- * search_products: min_similarity defaults to NULL (no filter; rows below
--   0.3 that do not match every word come back flagged low_confidence), a new
--   column low_confidence, new scoring (similarity + word overlap + exact
--   match) and variants listed after every item's best; semantic_search_products
--   passes no threshold by default and answers low_confidence.
-- * zava.embed keeps the query embeddings it made (zava.embed_cache_stats).


CREATE OR REPLACE FUNCTION zava.store_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, orders bigint, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_store_sales s
     WHERE s.store_id = ANY (stores) AND s.day >= r.lo AND s.day < r.hi
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.pending_store_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE OR REPLACE FUNCTION zava.category_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, category_id uuid, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_category_sales s
     WHERE s.store_id = ANY (stores) AND s.day >= r.lo AND s.day < r.hi
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.pending_category_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE OR REPLACE FUNCTION zava.product_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, product_id uuid, units bigint, revenue numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.monthly_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_product_sales s
     WHERE s.store_id = ANY (stores) AND s.day >= r.lo AND s.day < r.hi
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM zava.pending_product_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE OR REPLACE FUNCTION zava.customer_sets_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, customer_set bytea)
LANGUAGE sql STABLE AS $$
    WITH touched AS (
        SELECT DISTINCT l.store_id, l.day FROM retail.sales_log l
         WHERE l.store_id = ANY (stores) AND l.day >= a AND l.day < b AND l.orders <> 0),
    touched_months AS (
        SELECT DISTINCT t.store_id, date_trunc('month', t.day)::date AS month
          FROM touched t, zava.period_months(a, b) m WHERE t.day >= m.m1 AND t.day < m.m2)
    SELECT c.store_id, c.customer_set
      FROM retail.monthly_store_customers c, zava.period_months(a, b) m
     WHERE c.store_id = ANY (stores) AND c.month >= m.m1 AND c.month < m.m2
       AND NOT EXISTS (SELECT FROM touched_months t WHERE t.store_id = c.store_id AND t.month = c.month)
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_store_customers c
     WHERE c.store_id = ANY (stores) AND c.day >= r.lo AND c.day < r.hi
       AND NOT EXISTS (SELECT FROM touched t WHERE t.store_id = c.store_id AND t.day = c.day)
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM touched_months t
      JOIN retail.daily_store_customers c
        ON c.store_id = t.store_id AND c.day >= t.month AND c.day < (t.month + interval '1 month')::date
     WHERE NOT EXISTS (SELECT FROM touched x WHERE x.store_id = c.store_id AND x.day = c.day)
    UNION ALL
    SELECT x.store_id, zava.customer_set(array_agg(n.customer_no))
      FROM (SELECT s.store_id, s.day, s.customer_id
              FROM (SELECT d.store_id, d.day, d.customer_id, d.orders
                      FROM touched t JOIN retail.daily_customer_sales d ON d.store_id = t.store_id AND d.day = t.day
                    UNION ALL
                    SELECT l.store_id, l.day, l.customer_id, l.orders
                      FROM touched t JOIN retail.sales_log l ON l.store_id = t.store_id AND l.day = t.day) s
             GROUP BY 1, 2, 3 HAVING sum(s.orders) > 0) x
      JOIN zava.customer_numbers n ON n.customer_id = x.customer_id
     GROUP BY x.store_id, x.day
$$;

CREATE OR REPLACE FUNCTION zava.embedding_text(product_name text, type_name text, category_name text, description text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT product_name OPERATOR(pg_catalog.||) '. ' OPERATOR(pg_catalog.||) type_name OPERATOR(pg_catalog.||) '. '
           OPERATOR(pg_catalog.||) category_name OPERATOR(pg_catalog.||) '. ' OPERATOR(pg_catalog.||) description
$$;

DROP FUNCTION zava.semantic_search_products(text, int, real, uuid, boolean);
DROP FUNCTION zava.search_products(text, int, real, uuid, boolean);

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

-- The library's new function: this backend's cache of query embeddings.
CREATE FUNCTION zava."embed_cache_stats"() RETURNS jsonb
STRICT VOLATILE PARALLEL SAFE
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'embed_cache_stats_wrapper';
