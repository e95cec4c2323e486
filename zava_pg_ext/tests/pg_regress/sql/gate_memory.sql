-- Bounded memory: one store manager must not be able to take the database
-- down. Every memory amplifier below goes through zava.safe_query as a store
-- manager and is either refused by its shape before it runs (54000) or stopped
-- by the query's memory budget (53200) or another limit, with the backend alive.
-- Then the boundary cases that stay allowed. (Machine-wide figures for 8 at
-- once: tests/e2e/memory.sh.)
CREATE FUNCTION public.try_mem(q text, max_rows int DEFAULT 5, timeout_ms int DEFAULT 20000) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE r jsonb;
BEGIN
    r := zava.safe_query(q, max_rows, timeout_ms);
    RETURN format('ok rows=%s truncated_by=%s', r->>'row_count', coalesce(r->>'truncated_by', 'none'));
EXCEPTION
    -- Whether temporary files or time run out first depends on the machine.
    WHEN query_canceled OR configuration_limit_exceeded THEN RETURN 'stopped by the time or temp-file limit';
    WHEN others THEN RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;
SELECT pg_postmaster_start_time() AS started \gset
\c - seattle_manager
SET client_min_messages = warning;
-- format: widths and flags pad to any size
SELECT try_mem($$SELECT format('%1000000000s', 'x')$$);
SELECT try_mem($$SELECT format('%-1000000000s', 'x')$$);
SELECT try_mem($$SELECT format('%*s', 1000000000, 'x')$$);
SELECT try_mem($$SELECT format('%1$*2$s', 'x', 1000000000)$$);
SELECT try_mem($$SELECT format(product_name, 'x') FROM retail.products$$);
-- padding casts: char(n) and bit(n) pad every value to n
SELECT try_mem($$SELECT 'x'::char(10485760)$$);
SELECT try_mem($$SELECT CAST(product_name AS character(1000000)) FROM retail.products$$);
SELECT try_mem($$SELECT B'1'::bit(80000000)$$);
SELECT try_mem($$SELECT ARRAY['x']::char(5000000)[]$$);
-- replacements that multiply their input
SELECT try_mem($$SELECT replace(product_description, ' ', 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnop') FROM retail.products$$);
SELECT try_mem($$SELECT replace(product_description, ' ', product_description) FROM retail.products$$);
SELECT try_mem($$SELECT regexp_replace(product_description, '', 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnop', 'g') FROM retail.products$$);
SELECT try_mem($$SELECT regexp_replace(product_description, product_name, 'x') FROM retail.products$$);
SELECT try_mem($$SELECT overlay(product_description PLACING product_description FROM 1 FOR 0) FROM retail.products$$);
SELECT try_mem($$SELECT translate(product_description, 'abc', product_name) FROM retail.products$$);
-- recursive UNION keeps every row in a hash table that never spills
SELECT try_mem($$WITH RECURSIVE t(s) AS (SELECT 'x'::text UNION SELECT s || s FROM t) SELECT length(s) FROM t$$);
SELECT try_mem($$SELECT (WITH RECURSIVE t(n) AS (SELECT 1 UNION SELECT n + 1 FROM t) SELECT max(n) FROM t)$$);
-- aggregates over a cross join: stopped by the memory budget
SELECT try_mem($$SELECT length(string_agg(a.product_description, '')) FROM retail.products a, retail.products b, retail.products c$$);
SELECT try_mem($$SELECT array_length(array_agg(a.product_description), 1) FROM retail.products a, retail.products b, retail.products c$$);
SELECT try_mem($$SELECT jsonb_array_length(jsonb_agg(a.product_description)) FROM retail.products a, retail.products b, retail.products c$$);
SELECT try_mem($$SELECT length(json_object_agg(a.sku || b.sku || c.sku, a.product_description)::text) FROM retail.products a, retail.products b, retail.products c$$);
SELECT try_mem($$SELECT length(string_agg(a.product_description, '' ORDER BY b.sku)) FROM retail.products a, retail.products b, retail.products c$$);
-- grouped aggregates whose per-group states grow (a sort spills; the states do not)
SELECT try_mem($$SELECT max(length(s)) FROM (SELECT a.category_id, string_agg(b.product_description, '') AS s FROM retail.products a, retail.products b, retail.products c GROUP BY 1) x$$);
SELECT try_mem($$SELECT max(length(s)) FROM (SELECT a.sku, string_agg(b.product_description, '') AS s FROM retail.products a, retail.products b, retail.products c GROUP BY a.sku) x$$);
-- doubling a string by recursion, and a huge set in one array: some limit stops each
SELECT try_mem($$WITH RECURSIVE t(s, n) AS (SELECT 'x'::text, 1 UNION ALL SELECT s || s, n + 1 FROM t WHERE n < 40) SELECT max(length(s)) FROM t$$);
SELECT try_mem($$SELECT cardinality(array_agg(g)) FROM generate_series(1, 200000000) g$$);
-- one huge value in the answer: its size is checked before it becomes text
SELECT try_mem($$SELECT string_agg(a.product_description, '') FROM retail.products a, retail.products b$$);
SELECT try_mem($$SELECT a.product_description FROM retail.products a, retail.products b$$, 10000);
-- the boundary: what stays allowed
SELECT try_mem($$SELECT format('%s sold %s units', 'Seattle', 12), format('%1$s %1$I %2$L %%', 'a b', 'c')$$);
SELECT try_mem($$SELECT 'x'::char(10), 'x'::varchar(10485760), B'1'::bit(64)$$);
SELECT try_mem($$SELECT replace(product_name, ' ', '_'), regexp_replace(sku, '[^0-9]', '', 'g'), translate(sku, '-', '_'), overlay(sku PLACING 'XX' FROM 1 FOR 2) FROM retail.products$$);
SELECT try_mem($$WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT sum(n) FROM t$$);
SELECT try_mem($$SELECT c.category_name, string_agg(p.product_name, ', ' ORDER BY p.product_name) FROM retail.products p JOIN retail.categories c USING (category_id) GROUP BY 1$$, 100);
\c - postgres
-- The server never restarted: every backend above failed alone.
SELECT pg_postmaster_start_time() = :'started'::timestamptz AS server_not_restarted;
DROP FUNCTION public.try_mem(text, int, int);
