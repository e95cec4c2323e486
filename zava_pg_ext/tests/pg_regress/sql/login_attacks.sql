-- Invariant 3 for psql users: the identity is keyed on session_user; nothing a
-- session can run changes or widens it.
\c - seattle_manager
\set seattle_only 'SELECT count(DISTINCT store_id) = 1 AND bool_and(store_id = (SELECT store_id FROM retail.stores WHERE city = ''Seattle'')) AS still_seattle_only FROM retail.orders;'
-- SET ROLE to a role it belongs to: still Seattle (identity follows session_user).
SET ROLE zava_store_manager;
:seattle_only
RESET ROLE;
-- SET ROLE / set_config('role') / SET SESSION AUTHORIZATION to more powerful roles: refused.
SET ROLE head_office;
SET ROLE zava_head_office;
SELECT set_config('role', 'head_office', false);
SET SESSION AUTHORIZATION head_office;
-- The seed's identity setting and look-alike settings do nothing.
SELECT set_config('app.current_rls_user_id', '7a0a0000-0000-4000-8000-000000000001', false) IS NOT NULL AS set;
SET zava.principal = '7a0a0000-0000-4000-8000-000000000001';
:seattle_only
-- Asserting an identity is for the gateway only, in or out of a transaction.
SELECT zava.assert_principal('7a0a0000-0000-4000-8000-000000000001');
BEGIN;
SELECT zava.assert_principal('7a0a0000-0000-4000-8000-000000000001');
ROLLBACK;
-- A SECURITY DEFINER function the user writes runs as the user: no gain.
CREATE FUNCTION pg_temp.peek() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    AS 'SELECT count(DISTINCT store_id) FROM retail.orders';
SELECT pg_temp.peek() AS stores_via_definer;
-- It cannot create functions anywhere shared, nor change roles or principals.
CREATE FUNCTION public.peek() RETURNS int LANGUAGE sql AS 'SELECT 1';
ALTER ROLE seattle_manager BYPASSRLS;
SELECT zava.grant_principal('seattle_manager', '7a0a0000-0000-4000-8000-000000000001');
SELECT zava.create_principal('head_office', 'Me too');
SELECT zava.setup_demo_logins();
SELECT zava.generate_demo_data(0.01);
-- It cannot read the principal tables or write any retail table.
SELECT count(*) FROM zava.principals;
SELECT count(*) FROM zava.role_principals;
INSERT INTO zava.role_principals (login_role, principal_id) VALUES ('seattle_manager', '7a0a0000-0000-4000-8000-000000000001');
UPDATE retail.stores SET store_name = 'pwned';
DELETE FROM retail.order_items;
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at)
SELECT store_id, gen_random_uuid(), customer_id, now() FROM retail.orders LIMIT 1;
-- Planner statistics do not leak other stores' values through pg_stats.
SELECT count(*) AS visible_stats FROM pg_stats WHERE schemaname = 'retail' AND tablename IN ('orders', 'order_items');
-- After all of it: still exactly Seattle.
:seattle_only
SELECT count(*) = (SELECT n FROM public.expected_visibility WHERE role_name = 'seattle_manager' AND table_name = 'orders') AS exact FROM retail.orders;
