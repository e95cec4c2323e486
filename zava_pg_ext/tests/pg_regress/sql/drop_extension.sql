-- What DROP EXTENSION does (documented in docs/design.md, "Data lifecycle"): it removes
-- the extension's tables and their rows (back up with pg_dump first: the rows
-- are in the dump), and keeps the cluster-wide roles, so a new CREATE EXTENSION
-- works and starts empty.
SELECT count(*) > 0 AS had_orders FROM retail.orders;
DROP EXTENSION zava;
SELECT to_regclass('retail.orders') IS NULL AS orders_gone,
       to_regnamespace('retail') IS NULL AS schema_gone,
       (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'zava\_%' AND NOT rolcanlogin) AS zava_group_roles_kept;
CREATE EXTENSION zava CASCADE;
SELECT count(*) AS orders_after_recreate FROM retail.orders;
