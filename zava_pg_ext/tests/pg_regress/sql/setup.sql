-- Runs first: the extension, small deterministic demo data, the demo logins,
-- a gateway login for the bridge's path, and the expected visibility per role
-- (computed as the superuser, compared from inside each role's session).
SET client_min_messages = warning;
CREATE EXTENSION zava CASCADE;
SELECT zava.generate_demo_data(0.01, 42, '2024-06-30')->>'orders' AS orders;
SELECT count(*) AS demo_logins FROM zava.setup_demo_logins();
CREATE ROLE regress_gateway LOGIN IN ROLE zava_gateway;
CREATE TABLE public.expected_visibility AS
SELECT d.role_name, t.table_name, count(r.store_id) AS n
  FROM zava.demo_principals() d
 CROSS JOIN (VALUES ('orders'), ('order_items'), ('inventory')) t(table_name)
  LEFT JOIN LATERAL (
       SELECT o.store_id FROM retail.orders o WHERE t.table_name = 'orders'
       UNION ALL SELECT i.store_id FROM retail.order_items i WHERE t.table_name = 'order_items'
       UNION ALL SELECT v.store_id FROM retail.inventory v WHERE t.table_name = 'inventory') r
       ON r.store_id IN (SELECT s.store_id FROM retail.stores s WHERE s.store_name = ANY (d.store_names))
 GROUP BY 1, 2;
INSERT INTO public.expected_visibility
SELECT d.role_name, 'customers', count(*)
  FROM zava.demo_principals() d
  JOIN retail.customers c
    ON c.store_id IN (SELECT s.store_id FROM retail.stores s WHERE s.store_name = ANY (d.store_names))
    OR EXISTS (SELECT FROM retail.orders o JOIN retail.stores s USING (store_id)
                WHERE o.customer_id = c.customer_id AND s.store_name = ANY (d.store_names))
 GROUP BY 1;
GRANT SELECT ON public.expected_visibility TO PUBLIC;
SELECT count(*) AS expectations FROM public.expected_visibility;
