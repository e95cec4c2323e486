-- Retail analytics. All STABLE and security invoker: RLS applies to every row
-- they read. Additive figures (revenue, orders, units, gross sales, discounts,
-- cost, per store, category or product) and unique customers (the union of
-- the customer sets) come from the rollups — whole months from the monthly
-- ones, the other days from the daily ones — so their cost grows with months
-- and days × stores, not orders; so does the inventory velocity (the product
-- rollup). New vs returning customers read raw rows. Sales are completed orders; days are business days in
-- America/Los_Angeles; periods count from zava.as_of_date().

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
-- the caller's query, which then keeps one cached plan (store_performance,
-- head office, a quarter: 10.8 ms with the clause, 7.0 ms without). That is
-- safe because they run with the caller's rights (RLS applies), name every
-- table and function with its schema, and the analytics functions that call
-- them pin their own search_path.
CREATE FUNCTION zava.store_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, orders bigint, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.daily_store_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
$$;

CREATE FUNCTION zava.category_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, category_id uuid, units bigint, revenue numeric, gross numeric, discounts numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.monthly_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.category_id, s.units, s.revenue, s.gross, s.discounts, s.cost
      FROM retail.daily_category_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
$$;

CREATE FUNCTION zava.product_sales_between(stores uuid[], a date, b date)
RETURNS TABLE (store_id uuid, product_id uuid, units bigint, revenue numeric, cost numeric)
LANGUAGE sql STABLE AS $$
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.monthly_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND s.month >= m.m1 AND s.month < m.m2
    UNION ALL
    SELECT s.store_id, s.product_id, s.units, s.revenue, s.cost
      FROM retail.daily_product_sales s, zava.period_months(a, b) m
     WHERE s.store_id = ANY (stores) AND ((s.day >= a AND s.day < m.m1) OR (s.day >= m.m2 AND s.day < b))
$$;

-- The distinct customers of stores over [a, b): the size of the union of
-- the months' and days' customer sets.
CREATE FUNCTION zava.unique_customers_between(stores uuid[], a date, b date) RETURNS bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT zava.customer_set_union_count(array_agg(x.customer_set))
      FROM (SELECT c.customer_set
              FROM retail.monthly_store_customers c, zava.period_months(a, b) m
             WHERE c.store_id = ANY (stores) AND c.month >= m.m1 AND c.month < m.m2
            UNION ALL
            SELECT c.customer_set
              FROM retail.daily_store_customers c, zava.period_months(a, b) m
             WHERE c.store_id = ANY (stores) AND ((c.day >= a AND c.day < m.m1) OR (c.day >= m.m2 AND c.day < b))) x
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

-- Store performance: figures for the period and the previous period of equal
-- length, absolute and % change, top categories and products, and insights.
CREATE FUNCTION zava.store_performance(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days')
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
    cur jsonb;
    prev jsonb;
    cats jsonb;
    prods jsonb;
    k text;
    changes jsonb := '{}';
BEGIN
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    cur := zava.period_figures(stores, p.start_date, p.end_date);
    prev := zava.period_figures(stores, p.previous_start, p.start_date);
    FOREACH k IN ARRAY ARRAY['revenue', 'orders', 'units', 'unique_customers', 'gross_margin', 'average_order_value'] LOOP
        changes := changes || jsonb_build_object(k, jsonb_build_object(
            'absolute', (cur->>k)::numeric - (prev->>k)::numeric,
            'pct', round(100 * ((cur->>k)::numeric - (prev->>k)::numeric) / nullif((prev->>k)::numeric, 0), 1)));
    END LOOP;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'category', c.category_name, 'revenue', x.now_revenue, 'previous_revenue', x.before_revenue,
               'share_pct', round(100 * x.now_revenue / nullif((cur->>'revenue')::numeric, 0), 1),
               'change_pct', round(100 * (x.now_revenue - x.before_revenue) / nullif(x.before_revenue, 0), 1))
               ORDER BY x.now_revenue DESC, c.category_name), '[]')
      INTO cats
      FROM (SELECT y.category_id, sum(y.now_revenue) AS now_revenue, sum(y.before_revenue) AS before_revenue
              FROM (SELECT d.category_id, d.revenue AS now_revenue, 0 AS before_revenue
                      FROM zava.category_sales_between(stores, p.start_date, p.end_date) d
                    UNION ALL
                    SELECT d.category_id, 0, d.revenue
                      FROM zava.category_sales_between(stores, p.previous_start, p.start_date) d) y
             GROUP BY 1) x
      JOIN retail.categories c USING (category_id);
    SELECT coalesce(jsonb_agg(jsonb_build_object('product', t.product_name, 'sku', t.sku, 'revenue', t.revenue, 'units', t.units)
                              ORDER BY t.revenue DESC, t.sku), '[]')
      INTO prods
      FROM (SELECT pr.product_name, pr.sku, x.revenue, x.units
              FROM (SELECT d.product_id, sum(d.revenue) AS revenue, sum(d.units) AS units
                      FROM zava.product_sales_between(stores, p.start_date, p.end_date) d GROUP BY 1) x
              JOIN retail.products pr ON pr.product_id = x.product_id
             ORDER BY 3 DESC, 2 LIMIT 5) t;
    RETURN jsonb_build_object(
        'store_id', store_id,
        'stores', cardinality(stores),
        'as_of', zava.as_of_date(),
        'period', jsonb_build_object('name', period, 'start', p.start_date, 'end', p.end_date - 1, 'days', p.days),
        'previous_period', jsonb_build_object('start', p.previous_start, 'end', p.start_date - 1, 'days', p.days),
        'current', cur,
        'previous', prev,
        'change', changes,
        'top_categories', (SELECT coalesce(jsonb_agg(e), '[]') FROM (SELECT e FROM jsonb_array_elements(cats) e LIMIT 5) s),
        'top_products', prods,
        'insights', to_jsonb(zava.performance_insights(cur, prev, cats, p.previous_label)));
END
$$;

-- Sales by day, week (ISO, Monday first) or month between two dates
-- (inclusive), with empty buckets as zeros.
CREATE FUNCTION zava.sales_trend(store_id uuid, from_date date, to_date date, granularity text DEFAULT 'day')
RETURNS TABLE (bucket date, revenue numeric, orders bigint, units bigint, average_order_value numeric, gross_margin numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
BEGIN
    IF granularity IS NULL OR granularity NOT IN ('day', 'week', 'month') THEN
        RAISE EXCEPTION 'unknown granularity "%"; use one of day, week, month', granularity USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF from_date IS NULL OR to_date IS NULL OR from_date > to_date OR to_date - from_date > 3660 THEN
        RAISE EXCEPTION 'from_date and to_date must be given, in order, at most ten years apart'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT b.bucket::date, coalesce(x.revenue, 0), coalesce(x.orders, 0)::bigint, coalesce(x.units, 0)::bigint,
           round(x.revenue / nullif(x.orders, 0), 2), coalesce(x.revenue - x.cost, 0)
      FROM generate_series(date_trunc(granularity, from_date), date_trunc(granularity, to_date), ('1 ' || granularity)::interval) b(bucket)
      LEFT JOIN (SELECT date_trunc(granularity, d.day) AS bucket, sum(d.revenue) AS revenue, sum(d.orders) AS orders,
                        sum(d.units) AS units, sum(d.cost) AS cost
                   FROM retail.daily_store_sales d
                  WHERE d.store_id = ANY (stores) AND d.day BETWEEN from_date AND to_date
                  GROUP BY 1) x USING (bucket)
     ORDER BY 1;
END
$$;

-- The k best-selling products of a period, ranked by revenue, units or margin.
CREATE FUNCTION zava.top_products(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days', k int DEFAULT 10,
                                  by text DEFAULT 'revenue')
RETURNS TABLE (rank bigint, product_id uuid, sku text, product_name text, category text, revenue numeric, units bigint, margin numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
BEGIN
    IF by IS NULL OR by NOT IN ('revenue', 'units', 'margin') THEN
        RAISE EXCEPTION 'unknown ranking "%"; use one of revenue, units, margin', by USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'k must be between 1 and 100 (got %)', k USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    RETURN QUERY
    SELECT row_number() OVER (ORDER BY CASE by WHEN 'units' THEN t.units::numeric WHEN 'margin' THEN t.margin ELSE t.revenue END DESC, t.sku),
           t.product_id, t.sku, t.product_name, t.category, t.revenue, t.units, t.margin
      FROM (SELECT pr.product_id, pr.sku, pr.product_name, c.category_name AS category, sum(d.revenue) AS revenue,
                   sum(d.units)::bigint AS units, sum(d.revenue - d.cost) AS margin
              FROM zava.product_sales_between(stores, p.start_date, p.end_date) d
              JOIN retail.products pr ON pr.product_id = d.product_id
              JOIN retail.categories c ON c.category_id = pr.category_id
             GROUP BY 1, 2, 3, 4) t
     ORDER BY 1
     LIMIT k;
END
$$;

-- Revenue, units and margin by category for a period, with each one's share.
CREATE FUNCTION zava.category_breakdown(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days')
RETURNS TABLE (category text, revenue numeric, units bigint, gross_margin numeric, share_pct numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
BEGIN
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    RETURN QUERY
    SELECT c.category_name, x.revenue, x.units, x.revenue - x.cost,
           round(100 * x.revenue / nullif(sum(x.revenue) OVER (), 0), 2)
      FROM (SELECT d.category_id, sum(d.revenue) AS revenue, sum(d.units)::bigint AS units, sum(d.cost) AS cost
              FROM zava.category_sales_between(stores, p.start_date, p.end_date) d
             GROUP BY 1) x
      JOIN retail.categories c USING (category_id)
     ORDER BY 2 DESC, 1;
END
$$;

-- Customers of a period: new (first completed order in scope falls in the
-- period) vs returning, repeat rate (two or more orders in the period),
-- orders per customer, and the top customers by spend.
CREATE FUNCTION zava.customer_insights(store_id uuid DEFAULT NULL, period text DEFAULT 'last_30_days')
RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    p record;
    out jsonb;
BEGIN
    SELECT * INTO p FROM zava.period_range(period, zava.as_of_date());
    WITH buyers AS (
        SELECT o.customer_id, count(*) AS orders, sum(t.total) AS spend
          FROM retail.orders o
          JOIN LATERAL (SELECT sum(l.line_total) AS total FROM retail.order_items l
                         WHERE l.store_id = o.store_id AND l.order_id = o.order_id) t ON true
         WHERE o.store_id = ANY (stores) AND o.status = 'completed'
           AND o.order_date >= p.start_date AND o.order_date < p.end_date
         GROUP BY 1),
    firsts AS (
        SELECT o.customer_id, min(o.order_date) AS first_day
          FROM retail.orders o
         WHERE o.store_id = ANY (stores) AND o.status = 'completed'
           AND o.customer_id IN (SELECT customer_id FROM buyers)
         GROUP BY 1)
    SELECT jsonb_build_object(
        'period', jsonb_build_object('name', period, 'start', p.start_date, 'end', p.end_date - 1, 'days', p.days),
        'customers', count(*),
        'new_customers', count(*) FILTER (WHERE f.first_day >= p.start_date),
        'returning_customers', count(*) FILTER (WHERE f.first_day < p.start_date),
        'repeat_customers', count(*) FILTER (WHERE b.orders >= 2),
        'repeat_rate_pct', round(100.0 * count(*) FILTER (WHERE b.orders >= 2) / nullif(count(*), 0), 1),
        'orders_per_customer', round(sum(b.orders)::numeric / nullif(count(*), 0), 2),
        'top_customers', coalesce((SELECT jsonb_agg(jsonb_build_object('customer_id', x.customer_id, 'name', x.name,
                                                                         'orders', x.orders, 'spend', x.spend) ORDER BY x.spend DESC, x.customer_id)
                                     FROM (SELECT b2.customer_id, c.first_name || ' ' || c.last_name AS name, b2.orders, b2.spend
                                             FROM buyers b2 LEFT JOIN retail.customers c USING (customer_id)
                                            ORDER BY b2.spend DESC, b2.customer_id LIMIT 5) x), '[]'))
      INTO out
      FROM buyers b JOIN firsts f USING (customer_id);
    RETURN out;
END
$$;

-- Products whose stock lasts fewer than min_days_of_cover days at the sales
-- velocity of the 28 days up to the as-of date (only products that sold).
CREATE FUNCTION zava.inventory_alerts(store_id uuid DEFAULT NULL, min_days_of_cover int DEFAULT 14)
RETURNS TABLE (store_name text, sku text, product_name text, stock_level integer, reorder_point integer,
               units_sold_28d bigint, daily_velocity numeric, days_of_cover numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stores uuid[] := zava.scope_stores(store_id);
    as_of date := zava.as_of_date();
BEGIN
    IF min_days_of_cover IS NULL OR min_days_of_cover NOT BETWEEN 1 AND 365 THEN
        RAISE EXCEPTION 'min_days_of_cover must be between 1 and 365 (got %)', min_days_of_cover
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT s.store_name, pr.sku, pr.product_name, i.stock_level, i.reorder_point, v.units,
           round(v.units / 28.0, 3), round(i.stock_level / (v.units / 28.0), 1)
      FROM (SELECT d.store_id, d.product_id, sum(d.units)::bigint AS units
              FROM retail.daily_product_sales d
             WHERE d.store_id = ANY (stores) AND d.day > as_of - 28 AND d.day <= as_of
             GROUP BY 1, 2 HAVING sum(d.units) > 0) v
      JOIN retail.inventory i ON i.store_id = v.store_id AND i.product_id = v.product_id
      JOIN retail.stores s ON s.store_id = v.store_id
      JOIN retail.products pr ON pr.product_id = v.product_id
     WHERE i.stock_level / (v.units / 28.0) < min_days_of_cover
     ORDER BY 8, 1, 2;
END
$$;
