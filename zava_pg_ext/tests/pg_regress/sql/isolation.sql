-- Invariant 1 and the isolation matrix: every login role sees exactly the rows
-- of its stores on every tenant table, and a role without a principal sees none.
\set check 'SELECT current_user AS who, t.table_name, t.visible = coalesce(e.n, 0) AS exact, t.visible > 0 AS has_rows FROM (VALUES (''orders'', (SELECT count(*) FROM retail.orders)), (''order_items'', (SELECT count(*) FROM retail.order_items)), (''inventory'', (SELECT count(*) FROM retail.inventory)), (''customers'', (SELECT count(*) FROM retail.customers))) t(table_name, visible) LEFT JOIN public.expected_visibility e ON e.role_name = current_user AND e.table_name = t.table_name ORDER BY 2;'
\set stores 'SELECT count(DISTINCT store_id) AS stores_seen, zava.whoami()->>''kind'' AS kind, zava.whoami()->>''source'' AS source FROM retail.orders;'
\c - head_office
:check
:stores
\c - eastside_manager
:check
:stores
\c - seattle_manager
:check
:stores
SELECT DISTINCT s.store_name FROM retail.orders o JOIN retail.stores s USING (store_id);
SELECT zava.get_current_user_store() = (SELECT store_id FROM retail.stores WHERE city = 'Seattle') AS own_store;
\c - tacoma_manager
:check
:stores
\c - online_manager
:check
:stores
-- No principal: zero tenant rows, reference data still readable.
\c - visitor
:check
:stores
SELECT count(*) AS stores, (SELECT count(*) FROM retail.products) > 400 AS products_readable FROM retail.stores;
SELECT zava.current_principal() IS NULL AS no_principal, cardinality(zava.current_store_ids()) AS store_ids;
