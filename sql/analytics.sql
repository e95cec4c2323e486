-- Retail analytics in SQL: the period helpers and the *_between functions
-- that read the rollups. The six entry points (store_performance,
-- sales_trend, top_products, category_breakdown, customer_insights,
-- inventory_alerts) are Rust (zava_pg_ext/src/analytics.rs, 0.5.0); they read
-- the same rollup tables with statements prepared once per backend. All
-- STABLE and security invoker: RLS applies to every row they read. Additive
-- figures (revenue, orders, units, gross sales, discounts, cost, per store,
-- category or product) and unique customers (the union of the customer sets)
-- come from the rollups — whole months from the monthly ones, the other days
-- from the daily ones — so their cost grows with months and days × stores,
-- not orders; so do new customers and the inventory velocity. Per-customer
-- orders and spend read the period's raw orders. Sales are completed orders;
-- days are business days in America/Los_Angeles; periods count from
-- zava.as_of_date().

-- The as-of date: the setting zava.as_of_date when set (tests and benchmarks
-- pin it), else today in the stores' time zone.
CREATE FUNCTION zava.as_of_date() RETURNS date
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(nullif(current_setting('zava.as_of_date', true), '')::date,
                    (now() AT TIME ZONE 'America/Los_Angeles')::date)
$$;

-- The stores a question is about: all the caller may see (store_id NULL), or
-- one of them; any other store is an error, not an empty answer.
CREATE FUNCTION zava.scope_stores(store_id uuid) RETURNS uuid[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    visible uuid[] := zava.current_store_ids();
BEGIN
    IF store_id IS NULL THEN
        RETURN visible;
    END IF;
    IF NOT store_id = ANY (visible) THEN
        RAISE EXCEPTION 'store % is not one you may see', store_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Pass NULL to cover every store you may see (SELECT zava.current_store_ids()).';
    END IF;
    RETURN ARRAY[store_id];
END
$$;

-- The rollup rows of stores over [a, b): whole months from the monthly
-- tables, the rest from the daily ones (zava.period_months), so a quarter
-- reads 3 rows per store (and category or product) instead of 92. Rows are
-- per store and month or day: callers add them up.
-- No SET clause, unlike the other functions: the planner inlines them into
-- the caller's query, and into the statements analytics.rs prepares once per
-- backend. That is safe because they run with the caller's rights (RLS
-- applies), name every table and function with its schema, and the analytics
-- functions that call them pin their own search_path.
CREATE FUNCTION zava.store_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, orders bigint, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_store_sales s
     WHERE s.store_id = ANY (stores) AND s.day >= r.lo AND s.day < r.hi
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.pending_store_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE FUNCTION zava.category_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, category_id uuid, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_category_sales s
     WHERE s.store_id = ANY (stores) AND s.day >= r.lo AND s.day < r.hi
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM zava.pending_category_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

CREATE FUNCTION zava.product_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, product_id uuid, units bigint, revenue numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.monthly_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_product_sales s
     WHERE s.store_id = ANY (stores) AND s.day >= r.lo AND s.day < r.hi
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM zava.pending_product_sales s WHERE s.store_id = ANY (stores) AND s.day >= a AND s.day < b
$$;

-- The customer sets of stores over [a, b), exact with the unmerged log
-- (0.10.0): the months' and the other days' sets, except that a day with
-- unmerged changes to its orders gets a set computed from its merged customer
-- sales plus the log (a customer whose last order was cancelled drops out),
-- and its month is read as its days. Administrators only (0.9.0): a set holds
-- customer numbers, which tenants never see; the helpers below count them.
CREATE FUNCTION zava.customer_sets_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, customer_set bytea)
LANGUAGE sql STABLE AS $$
    WITH touched AS (
        SELECT DISTINCT l.store_id, l.day FROM retail.sales_log l
         WHERE l.store_id = ANY (stores) AND l.day >= a AND l.day < b AND l.orders <> 0),
    touched_months AS (
        SELECT DISTINCT t.store_id, date_trunc('month', t.day)::date AS month
          FROM touched t, zava.period_months(a, b) m WHERE t.day >= m.m1 AND t.day < m.m2)
    SELECT c.store_id, c.customer_set
      FROM retail.monthly_store_customers c, zava.period_months(a, b) m
     WHERE c.store_id = ANY (stores) AND c.month >= m.m1 AND c.month < m.m2
       AND NOT EXISTS (SELECT FROM touched_months t WHERE t.store_id = c.store_id AND t.month = c.month)
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM zava.period_months(a, b) m, LATERAL (VALUES (a, m.m1), (m.m2, b)) r(lo, hi), retail.daily_store_customers c
     WHERE c.store_id = ANY (stores) AND c.day >= r.lo AND c.day < r.hi
       AND NOT EXISTS (SELECT FROM touched t WHERE t.store_id = c.store_id AND t.day = c.day)
    UNION ALL
    SELECT c.store_id, c.customer_set
      FROM touched_months t
      JOIN retail.daily_store_customers c
        ON c.store_id = t.store_id AND c.day >= t.month AND c.day < (t.month + interval '1 month')::date
     WHERE NOT EXISTS (SELECT FROM touched x WHERE x.store_id = c.store_id AND x.day = c.day)
    UNION ALL
    SELECT x.store_id, zava.customer_set(array_agg(n.customer_no))
      FROM (SELECT s.store_id, s.day, s.customer_id
              FROM (SELECT d.store_id, d.day, d.customer_id, d.orders
                      FROM touched t JOIN retail.daily_customer_sales d ON d.store_id = t.store_id AND d.day = t.day
                    UNION ALL
                    SELECT l.store_id, l.day, l.customer_id, l.orders
                      FROM touched t JOIN retail.sales_log l ON l.store_id = t.store_id AND l.day = t.day) s
             GROUP BY 1, 2, 3 HAVING sum(s.orders) > 0) x
      JOIN zava.customer_numbers n ON n.customer_id = x.customer_id
     GROUP BY x.store_id, x.day
$$;

-- Of the given stores, those whose rows the caller reads: the caller's
-- principal's (zava.current_store_ids), or every one for an administrator's
-- login (as the admin_all policies). Definer rights; returns only store ids.
CREATE FUNCTION zava.readable_stores(stores uuid[]) RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN pg_has_role(session_user, 'zava_admin', 'USAGE') THEN stores
                ELSE ARRAY(SELECT s FROM unnest(stores) s WHERE s = ANY (zava.current_store_ids())) END
$$;

-- The distinct customers of stores over [a, b): the size of the union of
-- their customer sets. Definer rights (0.9.0): tenants cannot read the sets,
-- so this counts them for the caller, over the caller's own stores only, and
-- returns the count alone.
CREATE FUNCTION zava.unique_customers_between(stores uuid[], a date, b date) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT zava.customer_set_union_count(array_agg(x.customer_set))
              FROM zava.customer_sets_between(zava.readable_stores(stores), a, b) x);
END
$$;

-- How many distinct customers of stores over [a, b) had no completed order in
-- those stores over [since, a): |earlier ∪ period| − |earlier|, exact
-- (customer_insights' new customers). Definer rights, as above (0.9.0).
CREATE FUNCTION zava.new_customers_between(stores uuid[], a date, b date, since date) RETURNS bigint
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    mine uuid[] := zava.readable_stores(stores);
    period bytea := (SELECT zava.customer_set_union_all(array_agg(x.customer_set))
                       FROM zava.customer_sets_between(mine, a, b) x);
    earlier bytea := (SELECT zava.customer_set_union_all(array_agg(x.customer_set))
                        FROM zava.customer_sets_between(mine, since, a) x);
BEGIN
    RETURN zava.customer_set_union_count(ARRAY[earlier, period]) - zava.customer_set_union_count(ARRAY[earlier]);
END
$$;

-- The additive figures of stores over [a, b), plus unique customers.
CREATE FUNCTION zava.period_figures(stores uuid[], a date, b date) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'revenue', coalesce(sum(d.revenue), 0),
        'orders', coalesce(sum(d.orders), 0),
        'units', coalesce(sum(d.units), 0),
        'gross', coalesce(sum(d.gross), 0),
        'discounts', coalesce(sum(d.discounts), 0),
        'cost', coalesce(sum(d.cost), 0),
        'gross_margin', coalesce(sum(d.revenue) - sum(d.cost), 0),
        'gross_margin_pct', round(100 * (sum(d.revenue) - sum(d.cost)) / nullif(sum(d.revenue), 0), 2),
        'average_order_value', round(sum(d.revenue) / nullif(sum(d.orders), 0), 2),
        'discount_rate_pct', round(100 * sum(d.discounts) / nullif(sum(d.gross), 0), 2),
        'unique_customers', zava.unique_customers_between(stores, a, b))
      FROM zava.store_sales_between(stores, a, b) d
$$;
