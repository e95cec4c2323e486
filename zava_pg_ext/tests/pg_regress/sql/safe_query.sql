-- What zava.safe_query returns: columns in order (duplicates kept), rows as
-- arrays, typed JSON values, truncation by row cap, RLS as the caller.
\c - seattle_manager
SELECT jsonb_pretty(zava.safe_query($$SELECT 1 AS a, 2 AS a, 'x'::text AS b, NULL::int AS c, true AS d,
    12.30::numeric(12,2) AS e, 1.5::float8 AS f, '{"k": [1, 2]}'::jsonb AS g, DATE '2024-02-29' AS h$$));
SELECT zava.safe_query('SELECT store_name FROM retail.stores ORDER BY store_name', 3);
SELECT zava.safe_query('SELECT store_id, count(*) > 0 AS has_orders FROM retail.orders GROUP BY 1');
SELECT zava.safe_query('VALUES (1), (2)');
SELECT zava.safe_query('TABLE retail.categories', 1)->'columns';
SELECT zava.safe_query('SELECT 1 WHERE false');
-- The gateway path: assert, drop to the agent, query, commit.
\c - regress_gateway
BEGIN READ ONLY;
SELECT zava.assert_principal('7a0a0000-0000-4000-8000-000000000002');
SET LOCAL ROLE zava_agent;
SELECT zava.safe_query('SELECT count(DISTINCT store_id) AS stores FROM retail.orders')->'rows';
COMMIT;
-- describe_tables: structure, and enum-like values as the caller sees them.
\c - seattle_manager
SELECT t->>'table' AS table_name, t->'primary_key' AS pk, jsonb_array_length(t->'columns') AS columns,
       t->'foreign_keys'->0->>'references' AS first_fk, t->'enum_values' AS enum_values
  FROM jsonb_array_elements(zava.describe_tables(ARRAY['orders', 'retail.stores', 'ORDER_ITEMS'])->'tables') t;
SELECT c FROM jsonb_array_elements(zava.describe_tables(ARRAY['orders'])->'tables'->0->'columns') c
 WHERE c->>'name' IN ('order_date', 'status');
SELECT zava.describe_tables(ARRAY['principals']);
SELECT zava.describe_tables(ARRAY['pg_authid']);
SELECT zava.describe_tables('{}');
-- The gate's own settings (DateStyle, work_mem, temp_file_limit, its timeout)
-- end with the call: the session keeps its own.
SET work_mem = '3MB';
SELECT zava.safe_query('SELECT CURRENT_DATE > DATE ''2020-01-01'' AS ok')->'rows' AS rows;
SELECT current_setting('DateStyle') AS datestyle, current_setting('work_mem') AS work_mem,
       current_setting('temp_file_limit') AS temp_file_limit, current_setting('statement_timeout') AS statement_timeout;
