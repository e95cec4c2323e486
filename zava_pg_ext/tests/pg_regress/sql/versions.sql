-- Data versions (0.12.0), what the bridge's shared result cache keys answers
-- on: every committed write a principal's answers read changes that
-- principal's version — before any merge and again when merged, never back
-- to an earlier one — a write to another store does not change a store
-- manager's, and no tenant can read them (they count every store's writes).
SET client_min_messages = warning;
SELECT zava.merge_now() >= 0 AS merged;
CREATE TEMP TABLE seen (role_name text, version text, step text);
-- :snap records every demo principal's version now (under step :'step');
-- :changed lists which changed since the previous snapshot.
\set snap 'INSERT INTO seen SELECT d.role_name, c.version, :''step'' FROM zava.cache_versions() c JOIN zava.demo_principals() d USING (principal_id);'
\set changed 'SELECT string_agg(n.role_name, '' '' ORDER BY n.role_name) AS changed FROM seen n JOIN seen o USING (role_name) WHERE n.step = :''step'' AND o.step = :''prev'' AND n.version <> o.version;'
\set step s0
:snap
SELECT count(*) AS principals, count(DISTINCT version) > 1 AS versions_differ_by_scope FROM seen;
SELECT bool_and(version ~ '^[0-9a-f-]{36}/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$') AS well_formed FROM seen;
-- a checkout in Seattle (one transaction): Seattle and head office change, no other store manager
-- and not the Eastside region (Seattle is not in it)
BEGIN;
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT s.store_id, '00000000-0000-4000-8000-0000000ca5e1',
       (SELECT customer_id FROM retail.customers ORDER BY customer_id LIMIT 1),
       timestamptz '2024-06-20 12:00 America/Los_Angeles', 'completed'
  FROM retail.stores s WHERE s.store_name = 'Zava Retail Seattle';
INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT o.store_id, gen_random_uuid(), o.order_id, p.product_id, 1, p.base_price, p.base_price, p.cost
  FROM retail.orders o CROSS JOIN LATERAL (SELECT * FROM retail.products ORDER BY sku LIMIT 2) p
 WHERE o.order_id = '00000000-0000-4000-8000-0000000ca5e1';
-- (read inside the writer's transaction: before any merger can see the rows)
\set prev s0
\set step s1
:snap
:changed
COMMIT;
-- merged (by the worker or here): changed again (Seattle's version raised as its rows left the log)
SELECT zava.merge_now() >= 0 AS merged;
\set prev s1
\set step s2
:snap
:changed
SELECT count(*) = count(DISTINCT version) AS never_an_earlier_version
  FROM seen WHERE role_name = 'seattle_manager';
-- stock in Bellevue: Bellevue, Eastside and head office; before and after the merge
BEGIN;
UPDATE retail.inventory SET stock_level = stock_level + 1
 WHERE store_id = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Bellevue')
   AND product_id = (SELECT product_id FROM retail.products ORDER BY sku LIMIT 1);
\set prev s2
\set step s3
:snap
:changed
COMMIT;
SELECT zava.merge_now() >= 0 AS merged;
\set prev s3
\set step s4
:snap
:changed
-- a sale and a stock change of one store, merged in one batch: its version goes up once
-- (the scope is in both the merged log and the marks)
SELECT version AS bellevue_before FROM zava.data_versions
 WHERE scope = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Bellevue') \gset
BEGIN;
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT s.store_id, '00000000-0000-4000-8000-0000000ca5e2',
       (SELECT customer_id FROM retail.customers ORDER BY customer_id LIMIT 1),
       timestamptz '2024-06-21 12:00 America/Los_Angeles', 'completed'
  FROM retail.stores s WHERE s.store_name = 'Zava Retail Bellevue';
INSERT INTO retail.order_items (store_id, order_item_id, order_id, product_id, quantity, unit_price, line_total, unit_cost)
SELECT o.store_id, gen_random_uuid(), o.order_id, p.product_id, 1, p.base_price, p.base_price, p.cost
  FROM retail.orders o CROSS JOIN LATERAL (SELECT * FROM retail.products ORDER BY sku LIMIT 1) p
 WHERE o.order_id = '00000000-0000-4000-8000-0000000ca5e2';
UPDATE retail.inventory SET stock_level = stock_level - 1
 WHERE store_id = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Bellevue')
   AND product_id = (SELECT product_id FROM retail.products ORDER BY sku LIMIT 1);
COMMIT;
SELECT zava.merge_now() >= 0 AS merged_together;
SELECT version - :bellevue_before AS bellevue_raised_by FROM zava.data_versions
 WHERE scope = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Bellevue');
-- a customer of Tacoma renamed
UPDATE retail.customers SET last_name = last_name || 'x'
 WHERE customer_id = (SELECT customer_id FROM retail.customers
                       WHERE store_id = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Tacoma')
                       ORDER BY customer_id LIMIT 1);
\set prev s4
\set step s5
:snap
:changed
-- a product renamed: every answer may name it, so every principal
UPDATE retail.products SET product_name = product_name || ' ' WHERE sku = (SELECT min(sku) FROM retail.products);
\set prev s5
\set step s6
:snap
:changed
-- who sees what: a store added to the Eastside region changes the regional manager's (and everyone's)
INSERT INTO zava.principal_stores
SELECT p.principal_id, s.store_id FROM zava.demo_principals() p, retail.stores s
 WHERE p.role_name = 'eastside_manager' AND s.store_name = 'Zava Retail Everett';
\set prev s6
\set step s7
:snap
:changed
DELETE FROM zava.principal_stores
 WHERE principal_id = (SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'eastside_manager')
   AND store_id = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Everett');
UPDATE retail.products SET product_name = rtrim(product_name) WHERE sku = (SELECT min(sku) FROM retail.products);
-- a write that is rolled back changes nothing
SELECT zava.merge_now() >= 0 AS merged;
\set prev s7
\set step s8
:snap
BEGIN;
UPDATE retail.inventory SET stock_level = stock_level + 1 WHERE store_id = (SELECT store_id FROM retail.stores WHERE store_name = 'Zava Retail Spokane');
ROLLBACK;
\set prev s8
\set step s9
:snap
:changed
-- an inactive principal has no version (the bridge then never serves it from the cache)
UPDATE zava.principals SET active = false WHERE principal_id = (SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'online_manager');
SELECT count(*) AS online_manager_versions FROM zava.cache_versions() c JOIN zava.demo_principals() d USING (principal_id) WHERE d.role_name = 'online_manager';
UPDATE zava.principals SET active = true WHERE principal_id = (SELECT principal_id FROM zava.demo_principals() WHERE role_name = 'online_manager');
-- rebuild_rollups (TRUNCATE's path) raises every version
\set prev s9
\set step s10
:snap
SELECT zava.rebuild_rollups();
\set prev s10
\set step s11
:snap
SELECT count(*) AS all_changed FROM seen n JOIN seen o USING (role_name)
 WHERE n.step = 's11' AND o.step = 's10' AND n.version <> o.version;
-- attacks: no tenant, and not the agent role untrusted SQL runs as, reads a version or the marks
SET ROLE seattle_manager;
SELECT * FROM zava.cache_versions();
SELECT count(*) FROM zava.data_changes;
SELECT count(*) FROM zava.data_versions;
SELECT zava.health();
RESET ROLE;
SET ROLE zava_agent;
SELECT * FROM zava.cache_versions();
SELECT zava.health();
RESET ROLE;
SET ROLE seattle_manager;
SELECT zava.safe_query('SELECT * FROM zava.cache_versions()', 10);
RESET ROLE;
-- the gateway reads them, and zava.health()
SET ROLE regress_gateway;
SELECT count(*) > 0 AS gateway_reads_versions FROM zava.cache_versions();
SELECT h ? 'extension' AND h ? 'embedding_model' AND h ? 'merger' AS health_has_parts,
       h->>'extension' = (SELECT extversion FROM pg_extension WHERE extname = 'zava') AS health_version,
       jsonb_typeof(h->'embedding_model'->'loadable') AS loadable_is,
       (h->'merger'->>'backlog_rows')::bigint >= 0 AS backlog_known
  FROM zava.health() h;
RESET ROLE;
-- a model directory that does not exist: not loadable, and says which file
SET zava.model_dir = '/nonexistent/zava-model';
SELECT (m->>'loadable')::boolean AS loadable, m->>'error' LIKE '%/nonexistent/zava-model/config.json%' AS names_the_file
  FROM zava.embedding_model_status() m;
RESET zava.model_dir;
SELECT (zava.embedding_model_status()->>'loadable')::boolean AS installed_model_loadable;
