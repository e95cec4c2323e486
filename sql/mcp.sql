-- The MCP tools as one function call each (0.6.0). Every zava-mcp tool runs
-- `SELECT zava.<function>($1, …)` and gets one jsonb answer, and NULL means
-- the documented default (the analytics, safe_query and
-- semantic_search_products treat it so), so the bridge keeps no SQL and no
-- defaults of its own. store_performance, customer_insights, describe_tables,
-- safe_query and semantic_search_products already answer jsonb; the
-- table-valued analytics get a jsonb twin here, rows in the order the
-- function returns them, `{"rows": [...]}`. Security invoker like what they
-- call: RLS and the same errors apply.

-- Today's date and the current time in UTC (get_current_utc_date).
CREATE FUNCTION zava.utc_now() RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('utc_date', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                              'utc_datetime', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
$$;

-- get_sales_trend.
CREATE FUNCTION zava.sales_trend_json(store_id uuid, from_date date, to_date date, granularity text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.sales_trend(store_id, from_date, to_date, granularity) WITH ORDINALITY t
$$;

-- get_top_products.
CREATE FUNCTION zava.top_products_json(store_id uuid DEFAULT NULL, period text DEFAULT NULL, k int DEFAULT NULL,
                                       by text DEFAULT NULL, compare_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.top_products(store_id, period, k, by, compare_to) WITH ORDINALITY t
$$;

-- get_category_breakdown.
CREATE FUNCTION zava.category_breakdown_json(store_id uuid DEFAULT NULL, period text DEFAULT NULL,
                                             compare_to text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.category_breakdown(store_id, period, compare_to) WITH ORDINALITY t
$$;

-- get_inventory_alerts.
CREATE FUNCTION zava.inventory_alerts_json(store_id uuid DEFAULT NULL, min_days_of_cover int DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality), '[]'))
      FROM zava.inventory_alerts(store_id, min_days_of_cover) WITH ORDINALITY t
$$;

-- The stores the caller may see, by name (0.7.0): zava-mcp completes prompt
-- arguments with them and turns a chosen name into its id.
-- retail.stores is reference data every principal reads; this lists only the
-- caller's own stores.
CREATE FUNCTION zava.visible_stores() RETURNS jsonb
LANGUAGE sql STABLE PARALLEL RESTRICTED SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object('stores', coalesce(jsonb_agg(jsonb_build_object('store_id', s.store_id,
                                                                              'store_name', s.store_name)
                                                           ORDER BY s.store_name), '[]'))
      FROM retail.stores s
     WHERE s.store_id = ANY (zava.current_store_ids())
$$;
