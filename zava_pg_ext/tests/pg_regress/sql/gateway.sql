-- The bridge's path: a gateway login asserts a principal once per transaction,
-- at top level, then drops to zava_agent. Invariants 2 (transaction-scoped)
-- and 3 (unspoofable), with real COMMITs and ROLLBACKs on one connection.
\c - regress_gateway
\set seattle '''7a0a0000-0000-4000-8000-000000000011'''
\set head_office '''7a0a0000-0000-4000-8000-000000000001'''
\set eastside '''7a0a0000-0000-4000-8000-000000000002'''
\set who 'SELECT zava.whoami()->>''display_name'' AS acting_for, current_user, (SELECT count(DISTINCT store_id) FROM retail.orders) AS stores_seen;'
-- No assertion: the gateway itself is nobody.
:who
-- Outside a transaction block an assertion would end at once: refused.
SELECT zava.assert_principal(:seattle);
\echo :LAST_ERROR_SQLSTATE
-- Assert, drop to the agent, read, commit.
BEGIN READ ONLY;
SELECT zava.assert_principal(:seattle);
SET LOCAL ROLE zava_agent;
:who
SELECT count(*) = (SELECT n FROM public.expected_visibility WHERE role_name = 'seattle_manager' AND table_name = 'orders') AS exact FROM retail.orders;
COMMIT;
-- The next transaction on the same connection inherits nothing.
:who
BEGIN;
SET LOCAL ROLE zava_agent;
:who
COMMIT;
-- ROLLBACK and error aborts forget the identity too.
BEGIN;
SELECT zava.assert_principal(:head_office);
ROLLBACK;
:who
BEGIN;
SELECT zava.assert_principal(:head_office);
SELECT 1 / 0;
ROLLBACK;
:who
-- Once asserted, the identity cannot be changed in its transaction...
BEGIN;
SELECT zava.assert_principal(:seattle);
SELECT zava.assert_principal(:head_office);
ROLLBACK;
-- ...not from the agent role, not after RESET ROLE, not via set_config('role').
BEGIN;
SELECT zava.assert_principal(:seattle);
SET LOCAL ROLE zava_agent;
SELECT zava.assert_principal(:head_office);
ROLLBACK;
BEGIN;
SELECT zava.assert_principal(:seattle);
SET LOCAL ROLE zava_agent;
SELECT set_config('role', 'regress_gateway', true) AS back_to_gateway;
SELECT zava.assert_principal(:head_office);
ROLLBACK;
BEGIN;
SELECT zava.assert_principal(:seattle);
SET LOCAL ROLE zava_agent;
RESET ROLE;
:who
SELECT zava.assert_principal(:head_office);
ROLLBACK;
-- Savepoints: no assertion inside one, and ROLLBACK TO cannot undo or redo one.
BEGIN;
SAVEPOINT s1;
SELECT zava.assert_principal(:head_office);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s1;
-- ROLLBACK TO keeps the savepoint open: still nested, still refused.
SELECT zava.assert_principal(:eastside);
\echo :LAST_ERROR_SQLSTATE
ROLLBACK TO s1;
RELEASE s1;
SELECT zava.assert_principal(:eastside);
SAVEPOINT s2;
SELECT 1 / 0;
ROLLBACK TO s2;
SET LOCAL ROLE zava_agent;
:who
SAVEPOINT s3;
RESET ROLE;
SELECT zava.assert_principal(:head_office);
ROLLBACK TO s3;
:who
COMMIT;
:who
-- Unknown principals are refused and leave no identity behind.
BEGIN;
SELECT zava.assert_principal('00000000-0000-4000-8000-000000000000');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
:who
