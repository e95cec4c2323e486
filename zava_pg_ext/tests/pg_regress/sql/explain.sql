-- zava.explain_query (0.7.0): the plan of a gated SELECT, planned as the
-- caller and never run; costs and row estimates only for head office (they
-- come from statistics over every store); no plan for what the gate refuses.
\c - seattle_manager
SET enable_seqscan = off;
-- A store manager: node types, relations and indexes, and no estimate anywhere.
SELECT e->'estimates' AS estimates, e->'relations' AS relations, e->'indexes' AS indexes,
       e->'plan'->>'Node Type' AS top_node,
       e::text ~ '"(Plan Rows|Plan Width|Startup Cost|Total Cost)"' AS shows_estimates
  FROM zava.explain_query($$SELECT store_name FROM retail.stores WHERE store_id = '5a0a0000-0000-4000-8000-000000000001'$$) e;
-- Joins keep their order and type; RLS is part of the plan (the caller's).
SELECT e->'relations' AS relations, e::text ~ '"Join Type"' AS has_join,
       e::text ~ 'InitPlan' AND e::text ~ 'store_id = ANY' AS rls_in_plan, e::text ~ '"(Plan Rows|Total Cost)"' AS shows_estimates
  FROM zava.explain_query($$SELECT s.store_name, sum(d.revenue) FROM retail.daily_store_sales d
                            JOIN retail.stores s USING (store_id) GROUP BY 1$$) e;
-- Planned, not run: a division by zero that only execution would meet.
SELECT e->'relations' AS relations
  FROM zava.explain_query('SELECT 1 / (count(*) - count(*)) FROM retail.orders') e;
SELECT zava.safe_query('SELECT 1 / (count(*) - count(*)) FROM retail.orders');
RESET enable_seqscan;
-- The gate comes first: nothing it refuses gets a plan.
SELECT zava.explain_query('SELECT pg_sleep(1)');
SELECT zava.explain_query('DELETE FROM retail.orders');
SELECT zava.explain_query('SELECT 1; SELECT 2');
SELECT zava.explain_query('SELECT * FROM zava.principals');
SELECT zava.explain_query('EXPLAIN ANALYZE SELECT 1');
SELECT zava.explain_query('SELECT 1 FROM retail.orders) SELECT (1');
SELECT zava.explain_query('SELECT * FORM retail.orders');
SELECT zava.explain_query(NULL);
-- A trailing comment or semicolon stays inside the one statement.
SELECT zava.explain_query('SELECT 1 -- the end')->'plan'->>'Node Type' AS node;
SELECT zava.explain_query('SELECT 1;')->'plan'->>'Node Type' AS node;
-- Head office: estimates and costs.
\c - head_office
SELECT e->'estimates' AS estimates, (e->'plan'->>'Plan Rows')::int > 0 AS rows_estimated,
       e->'plan' ? 'Total Cost' AS costed
  FROM zava.explain_query('SELECT store_id, sum(revenue) FROM retail.daily_store_sales GROUP BY 1') e;
-- zava.visible_stores (0.7.0): the caller's stores by name, nobody else's.
SELECT jsonb_array_length(zava.visible_stores()->'stores') AS stores;
\c - eastside_manager
SELECT s->>'store_name' AS store_name FROM jsonb_array_elements(zava.visible_stores()->'stores') s;
\c - seattle_manager
SELECT zava.visible_stores();
\c - visitor
SELECT zava.visible_stores();
SELECT zava.explain_query('SELECT count(*) FROM retail.orders')->'estimates' AS estimates;
