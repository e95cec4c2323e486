-- Bad input gets a clear error with a fitting SQLSTATE and writes nothing.
SELECT zava.generate_demo_data(0);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.generate_demo_data(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.generate_demo_data(1, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT zava.generate_demo_data('NaN');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.generate_demo_data(1, 1, 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.generate_demo_data(0.01, 1, '2019-12-31');
\echo :LAST_ERROR_SQLSTATE
-- Already loaded: never overwritten.
SELECT zava.generate_demo_data(0.01, 7, '2024-06-30');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) = (SELECT sum(n) FROM public.expected_visibility WHERE role_name = 'head_office' AND table_name = 'orders') AS unchanged FROM retail.orders;
SELECT zava.grant_principal('no_such_role', '7a0a0000-0000-4000-8000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.grant_principal('visitor', '00000000-0000-4000-8000-000000000000');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.grant_principal(NULL, '7a0a0000-0000-4000-8000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.grant_principal('postgres', '7a0a0000-0000-4000-8000-000000000001');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.create_principal('cashier', 'Nope');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.create_principal('store_manager', 'Two stores', ARRAY(SELECT store_id FROM retail.stores LIMIT 2));
\echo :LAST_ERROR_SQLSTATE
SELECT zava.assert_principal('not-a-uuid');
\echo :LAST_ERROR_SQLSTATE
SELECT zava.revoke_principal('no_such_role') AS revoked_something;
-- Table constraints reject nonsense even from an administrator.
\set VERBOSITY terse
INSERT INTO retail.orders (store_id, order_id, customer_id, ordered_at, status)
SELECT store_id, gen_random_uuid(), customer_id, now(), 'shipped' FROM retail.orders LIMIT 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE retail.order_items SET quantity = 0 WHERE order_item_id = (SELECT min(order_item_id::text)::uuid FROM retail.order_items);
\echo :LAST_ERROR_SQLSTATE
UPDATE retail.inventory SET stock_level = -1 WHERE product_id = (SELECT min(product_id::text)::uuid FROM retail.inventory);
\echo :LAST_ERROR_SQLSTATE
