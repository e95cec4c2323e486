#!/usr/bin/env bash
# Semantic product search as users meet it (zava.search_products and friends):
#   - relevance on the shopper queries of tests/search/ (tests/search/evaluate.sh:
#     hit@1, hit@5 and MRR@10 per method, printed), the goals asserted;
#   - never empty: low_confidence rows, an explicit min_similarity filters;
#   - the per-backend cache of query embeddings;
#   - the HNSW index agrees with exact search (recall@10 on the catalog);
#   - stock under RLS, in_stock_only, freshness after a change, bad input.
source "$(dirname "$0")/../lib.sh"
DIR="${ZAVA_ROOT}/target/e2e-search"; P=5487
cluster_stop "${DIR}"; rm -rf "${DIR}"
cluster_init "${DIR}" "${P}" fast; cluster_start "${DIR}"
trap 'cluster_stop "${DIR}"' EXIT
q "${P}" postgres postgres -c "CREATE DATABASE zava"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "CREATE EXTENSION zava CASCADE" \
    -c "SELECT zava.generate_demo_data(0.02, 42, '2024-06-30')" -c "SELECT zava.setup_demo_logins()" >/dev/null
expect_eq "refresh_embeddings embeds every product" \
    "$(q "${P}" postgres zava -c "SET client_min_messages = warning" -c "SELECT zava.refresh_embeddings()->>'embedded'")" "432"
expect_eq "a second refresh has nothing to do" \
    "$(q "${P}" postgres zava -c "SET client_min_messages = warning" -c "SELECT zava.refresh_embeddings()->>'embedded'")" "0"
expect_eq "refresh_embeddings is for administrators only" \
    "$(q "${P}" seattle_manager zava -c "SELECT zava.refresh_embeddings()" 2>&1 | grep -o 'permission denied')" "permission denied"

# --- relevance ---------------------------------------------------------------
# Two sets of shopper queries (tests/search/): queries.tsv (59, the first) and
# shopper.tsv (216, two or more per item of the catalog), loaded with their
# embeddings by tests/search/evaluate.sh, which prints hit@1, hit@5 and MRR@10
# per method and set and writes the default method's figures for the goals.
bash "${ZAVA_ROOT}/tests/search/evaluate.sh" "${P}" zava "${DIR}/goals" | sed "s/^/# relevance /"
q "${P}" postgres zava -c "GRANT SELECT ON public.relevance TO PUBLIC" >/dev/null
expect "at least 200 queries in shopper.tsv" test "$(q "${P}" postgres zava -c "SELECT count(*) FROM public.relevance WHERE set = 'shopper'")" -ge 200
# "Not product names": at least half share no word (3+ letters) with the names of their items.
for set in queries shopper; do
    disjoint="$(q "${P}" postgres zava -c "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT FROM retail.products p WHERE left(p.sku, 6) = ANY (r.expected)
                            AND regexp_split_to_array(lower(p.product_name), '[^a-z0-9]+')
                                && ARRAY(SELECT w FROM regexp_split_to_table(lower(r.query), '[^a-z0-9]+') w WHERE length(w) >= 3)))
                     || ' ' || count(*) FROM public.relevance r WHERE r.set = '${set}'")"
    read -r d n <<< "${disjoint}"
    echo "# relevance: ${d} of ${n} queries of ${set}.tsv share no word with their items' names"
    expect "${set}: at least half of the queries share no word with their items' names" test $((2 * d)) -ge "${n}"
done
# The goals of the default method (see docs/search.md for the figures): hit@5
# >= 0.85 on both sets, MRR above vector-only and full-text-only, and no query
# answered with nothing.
while read -r set hit5 above_vector above_fts empty; do
    expect_eq "${set}: default hit@5 >= 0.85" "${hit5}" "t"
    expect_eq "${set}: default MRR above vector-only MRR" "${above_vector}" "t"
    expect_eq "${set}: default MRR above full-text-only MRR" "${above_fts}" "t"
    expect_eq "${set}: no query answered with nothing at the defaults" "${empty}" "0"
done < <(tr '\t' ' ' < "${DIR}/goals")

# --- never empty without a reason ------------------------------------------------
expect_eq "a query that matches nothing well still answers k rows, every one flagged low_confidence" \
    "$(q "${P}" seattle_manager zava -c "SELECT count(*) || ' ' || bool_and(low_confidence) FROM zava.search_products('zorbly quaxing of the flumph', 7)")" "7 true"
expect_eq "and the MCP answer says so" \
    "$(q "${P}" seattle_manager zava -c "SELECT (r->>'low_confidence') || ' ' || jsonb_array_length(r->'rows') FROM zava.semantic_search_products('zorbly quaxing of the flumph', 4) r")" "true 4"
expect_eq "a good match is not flagged, and the answer is not low_confidence" \
    "$(q "${P}" seattle_manager zava -c "SELECT (r->>'low_confidence') || ' ' || (r->'rows'->0->>'low_confidence') FROM zava.semantic_search_products('fire pit', 4) r")" "false false"
expect_eq "an explicit min_similarity is a hard filter: nothing clears 0.99" \
    "$(q "${P}" seattle_manager zava -c "SELECT count(*) FROM zava.search_products('zorbly quaxing of the flumph', 7, 0.99)")" "0"
expect_eq "with an explicit min_similarity no row is flagged" \
    "$(q "${P}" seattle_manager zava -c "SELECT bool_or(low_confidence) FROM zava.search_products('fire pit', 10, 0.3)")" "f"
expect_eq "variants come after every item's best: ten rows, ten different items" \
    "$(q "${P}" seattle_manager zava -c "SELECT count(DISTINCT left(sku, 6)) FROM zava.search_products('cut wood', 10)")" "10"

# --- the query embedding cache -------------------------------------------------------
expect_eq "a repeated query embeds once per backend (the cache answers the same vector)" \
    "$(q "${P}" seattle_manager zava -c "SELECT zava.embed('water the lawn') = zava.embed('water the lawn')" \
        -c "SELECT (s->>'hits') || ' ' || (s->>'misses') || ' ' || (s->>'entries') FROM zava.embed_cache_stats() s" | tr '\n' ' ')" "t 1 1 1 "
expect_eq "the cache equals a fresh computation" \
    "$(q "${P}" seattle_manager zava -c "SELECT zava.embed('water the lawn')::text" -c "SELECT zava.embed('water the lawn')::text" | sort -u | wc -l)" "1"

# --- HNSW vs exact -------------------------------------------------------------
recall="$(q "${P}" postgres zava -c "SELECT round(avg(hit), 3) FROM (
    SELECT r.n, count(*) / 10.0 AS hit FROM public.relevance r,
        LATERAL (SELECT e.product_id FROM retail.product_description_embeddings e
                  ORDER BY e.description_embedding <=> r.qv LIMIT 10) idx
      WHERE idx.product_id IN (SELECT e.product_id FROM retail.product_description_embeddings e
                                ORDER BY (e.description_embedding <=> r.qv) + 0 LIMIT 10)
      GROUP BY r.n) x")"
plan="$(q "${P}" postgres zava -c "EXPLAIN SELECT product_id FROM retail.product_description_embeddings ORDER BY description_embedding <=> zava.embed('x') LIMIT 10")"
echo "# HNSW recall@10 against exact search on the catalog (default ef_search): ${recall}"
expect "the nearest-neighbour query uses the HNSW index" grep -q "product_description_embeddings_hnsw" <<<"${plan}"
expect "HNSW recall@10 on the catalog >= 0.95 (${recall})" awk "BEGIN { exit !(${recall:-0} >= 0.95) }"

# --- what a store manager sees ---------------------------------------------------
sm() { q "${P}" seattle_manager zava -c "$1"; }
expect_eq "the seed's campfire example: a fire pit first" \
    "$(sm "SELECT product_name FROM zava.search_products('gather round a campfire at home', 5) WHERE rank = 1" | cut -d, -f1)" "Fire Pit"
expect_eq "the seed's example: an LED product first" \
    "$(sm "SELECT product_name LIKE 'LED %' FROM zava.search_products('LED light bulbs for kitchen ceiling', 5) WHERE rank = 1")" "t"
expect_eq "exact tokens win: a SKU first" "$(sm "SELECT sku FROM zava.search_products('PT-1203', 3) WHERE rank = 1")" "PT-1203"
expect_eq "a store manager's stock is their store's" \
    "$(sm "SELECT string_agg(s.sku || '=' || s.stock, ',' ORDER BY s.sku) FROM zava.search_products('fire pit', 8) s")" \
    "$(q "${P}" postgres zava -c "SELECT string_agg(s.sku || '=' || i.stock_level, ',' ORDER BY s.sku) FROM zava.search_products('fire pit', 8) s
        JOIN retail.inventory i ON i.product_id = s.product_id AND i.store_id = '5a0a0000-0000-4000-8000-000000000001'")"
expect_eq "in_stock_only keeps what the store has" \
    "$(sm "SELECT count(*) FILTER (WHERE stock > 0) || '/' || count(*) FROM zava.search_products('paint', 50, 0.3, NULL, true)" | awk -F/ '{print ($1 == $2 && $2 > 0)}')" "1"
expect_eq "another store's stock is refused (42501)" \
    "$(sm "SELECT count(*) FROM zava.search_products('fire pit', 5, 0.3, '5a0a0000-0000-4000-8000-000000000003')" 2>&1 | grep -o 'is not one you may see')" \
    "is not one you may see"
expect_eq "head office sees no stock without a store, and a store's stock with one" \
    "$(q "${P}" head_office zava -c "SELECT bool_and(stock IS NULL) FROM zava.search_products('fire pit', 5)")|$(q "${P}" head_office zava -c "SELECT bool_and(stock IS NOT NULL) FROM zava.search_products('fire pit', 5, 0.3, '5a0a0000-0000-4000-8000-000000000003')")" \
    "t|t"
expect_eq "a login without a principal finds products but sees no stock" \
    "$(q "${P}" visitor zava -c "SELECT count(*) > 0 AND bool_and(stock IS NULL) FROM zava.search_products('fire pit', 5, 0.3)")" "t"

# --- bad input ---------------------------------------------------------------------
err() { q "${P}" seattle_manager zava -v VERBOSITY=verbose -c "$1" 2>&1 | grep -o 'ERROR: *[0-9A-Z]\{5\}' | awk '{print $2}'; }
expect_eq "NULL query: 22023" "$(err "SELECT * FROM zava.search_products(NULL)")" "22023"
expect_eq "blank query: 22023" "$(err "SELECT * FROM zava.search_products('   ')")" "22023"
expect_eq "k out of range: 22023" "$(err "SELECT * FROM zava.search_products('drill', 0)")" "22023"
expect_eq "threshold out of range: 22023" "$(err "SELECT zava.semantic_search_products('drill', 5, 150)")" "22023"
expect_eq "in_stock_only without a store (head office): 22023" \
    "$(q "${P}" head_office zava -v VERBOSITY=verbose -c "SELECT * FROM zava.search_products('drill', 5, 0.3, NULL, true)" 2>&1 | grep -o 'ERROR: *[0-9A-Z]\{5\}' | awk '{print $2}')" "22023"
expect_eq "a megabyte query is answered" "$(sm "SELECT count(*) > 0 FROM zava.search_products(repeat('cordless drill ', 70000), 5)")" "t"
expect_eq "not through the query gate" \
    "$(sm "SELECT zava.safe_query('SELECT * FROM zava.search_products(''drill'')')" 2>&1 | grep -o 'not allowed in a safe query')" "not allowed in a safe query"

# --- the seed's functions ------------------------------------------------------------
expect_eq "search_products_by_description: your own vector, a fire pit first" \
    "$(sm "SELECT product_name FROM zava.search_products_by_description(zava.embed('fire pit'), 0.3, 3) LIMIT 1" | cut -d, -f1)" "Fire Pit"
expect_eq "semantic_search_products: one jsonb answer for the MCP tool" \
    "$(sm "SELECT jsonb_array_length(r->'rows') || ' ' || (r->'rows'->0 ? 'stock')::text FROM zava.semantic_search_products('fire pit', 3) r")" "3 true"
expect_eq "semantic_search_products: NULL arguments are the documented defaults (20 rows, no threshold, all products)" \
    "$(sm "SELECT zava.semantic_search_products('fire pit', NULL, NULL, NULL, NULL) = zava.semantic_search_products('fire pit', 20, NULL, NULL, false)")" "t"

# --- freshness -------------------------------------------------------------------------
q "${P}" postgres zava -c "UPDATE retail.products SET product_description = 'A glass aquarium tank for tropical fish, with a filter and a heater.' WHERE sku = 'GO-4201'"
# (Rows enough for a second variant of an item: every item's best comes first.)
expect_eq "a changed description marks its vector stale at once" \
    "$(sm "SELECT stale FROM zava.search_products('fire pit', 200) WHERE sku = 'GO-4201'")" "t"
expect_eq "and its stale vector is never used (found by its words only)" \
    "$(sm "SELECT similarity IS NULL FROM zava.search_products('fire pit', 200) WHERE sku = 'GO-4201'")" "t"
q "${P}" postgres zava -c "SET client_min_messages = warning" -c "SELECT zava.refresh_embeddings()" >/dev/null
expect_eq "after refresh_embeddings the new text is searchable by meaning" \
    "$(sm "SELECT sku || ' ' || stale FROM zava.search_products('a home for my goldfish', 1)")" "GO-4201 false"
