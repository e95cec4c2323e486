-- zava 0.6.0 → 0.7.0: the MCP surface. The definitions are exactly what a
-- fresh 0.7.0 install generates (tests/e2e/upgrade.sh compares the two
-- catalogs); no table changes.
--
-- * zava.explain_query(sql): the plan of a gated SELECT without running it
--   (zava-mcp's explain_sales_query), costs and row estimates for head office
--   only.
-- * zava.visible_stores(): the caller's stores by name (zava-mcp's prompt
--   argument completion).

CREATE  FUNCTION "explain_query"(
	"sql" TEXT /* Option < & str > */
) RETURNS jsonb /* pgrx :: JsonB */
VOLATILE PARALLEL UNSAFE
SET search_path TO pg_catalog, retail, pg_temp
LANGUAGE c /* Rust */
AS 'MODULE_PATHNAME', 'explain_query_wrapper';

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
