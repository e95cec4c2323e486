#!/usr/bin/env bash
# Search quality on the shopper queries of this folder (queries.tsv and
# shopper.tsv), against a database with the catalog and fresh embeddings:
#   bash tests/search/evaluate.sh PORT DB [GOALS-FILE]
# Prints hit@1, hit@5 and MRR@10 per method and set, and how many queries got
# no row at all; asserts nothing (tests/e2e/search.sh asserts the goals it
# writes to GOALS-FILE: set, default hit@5 >= 0.85, default MRR above vector
# only, above full text only, queries answered with nothing). Leaves the
# queries and their embeddings in public.relevance.
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/lib.sh"
P="${1:?port}"; DB="${2:?database}"; GOALS="${3:-/dev/null}"
sq() { q "${P}" postgres "${DB}" -c "SET client_min_messages = warning" "$@"; }
sq -c "DROP TABLE IF EXISTS public.relevance" -c "CREATE TABLE public.relevance (set text, n serial, query text, expected text[], qv vector)"
for set in queries shopper; do
    grep -v '^#' "${ZAVA_ROOT}/tests/search/${set}.tsv" | grep -v '^$' \
        | awk -F'\t' -v set="${set}" '{ gsub(/ /, ",", $2); printf "%s\t%s\t{%s}\n", set, $1, $2 }' \
        | sq -c "\\copy public.relevance (set, query, expected) FROM stdin"
done
# Each query's embedding once (in ORDER BY it would be computed per row).
sq -c "UPDATE public.relevance SET qv = zava.embed(query)" >/dev/null
# The first position (1-based, within the top 10) of an acceptable item, per
# method, and the rows answered. As the administrator (no temporary tables for
# principals, 0.3.0); the ranking does not depend on who asks.
sq -c "DROP TABLE IF EXISTS public.relevance_ranks" -c "CREATE TABLE public.relevance_ranks AS
SELECT r.set, r.n, m.method, m.o, (SELECT min(x.pos) FROM unnest(m.skus) WITH ORDINALITY x(sku, pos)
                                   WHERE x.pos <= 10 AND left(x.sku, 6) = ANY (r.expected)) AS pos,
       cardinality(m.skus) AS answered
  FROM public.relevance r
 CROSS JOIN LATERAL (VALUES
    (1, 'vector only', ARRAY(SELECT p.sku FROM retail.product_description_embeddings e JOIN retail.products p USING (product_id)
                              ORDER BY e.description_embedding <=> r.qv LIMIT 10)),
    (2, 'full text, every word', ARRAY(SELECT p.sku FROM retail.products p
                              WHERE p.search_tsv @@ websearch_to_tsquery('english', r.query)
                              ORDER BY ts_rank_cd(p.search_tsv, websearch_to_tsquery('english', r.query)) DESC, p.sku LIMIT 10)),
    (3, 'full text, any word', ARRAY(SELECT p.sku FROM retail.products p,
                              LATERAL (SELECT nullif(array_to_string(ARRAY(SELECT quote_literal(w)
                                         FROM unnest(tsvector_to_array(to_tsvector('english', r.query))) w), ' | '), '')::tsquery AS tq) t
                              WHERE p.search_tsv @@ t.tq ORDER BY ts_rank(p.search_tsv, t.tq, 1) DESC, p.sku LIMIT 10)),
    (4, 'search_products, min_similarity 0.3 (0.10.0''s default)', ARRAY(SELECT s.sku FROM zava.search_products(r.query, 10, 0.3) s ORDER BY s.rank)),
    (5, 'search_products (default)', ARRAY(SELECT s.sku FROM zava.search_products(r.query, 10) s ORDER BY s.rank))) m(o, method, skus)" >/dev/null
sq -F $'\t' -c "SELECT format('%-9s %-55s hit@1 %s  hit@5 %s  MRR@10 %s  no rows %s', set || ':', method,
                  to_char(avg(coalesce((pos = 1)::int, 0)), 'FM0.000'), to_char(avg(coalesce((pos <= 5)::int, 0)), 'FM0.000'),
                  to_char(avg(coalesce(1.0 / pos, 0)), 'FM0.000'), count(*) FILTER (WHERE answered = 0))
          FROM public.relevance_ranks GROUP BY set, o, method ORDER BY set, o"
sq -c "SELECT set || ': missed by the default top 5: ' || coalesce(string_agg(r.query, '; ' ORDER BY r.n), 'none')
          FROM public.relevance r JOIN public.relevance_ranks k USING (set, n)
         WHERE k.o = 5 AND coalesce(k.pos, 99) > 5 GROUP BY set ORDER BY set"
mrr() { echo "avg(coalesce(1.0 / pos, 0)) FILTER (WHERE o = $1)"; }
sq -F $'\t' -c "SELECT set, avg(coalesce((pos <= 5)::int, 0)) FILTER (WHERE o = 5) >= 0.85, $(mrr 5) > $(mrr 1), $(mrr 5) > $(mrr 2),
                       count(*) FILTER (WHERE o = 5 AND answered = 0)
                  FROM public.relevance_ranks GROUP BY set ORDER BY set" > "${GOALS}"
