//! Function-level tests (`cargo pgrx test`). Each runs inside one transaction
//! that is rolled back; commit/abort behaviour and login-role identity need real
//! sessions and live in the SQL regression suite (tests/pg_regress).

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    const SEATTLE: &str = "5a0a0000-0000-4000-8000-000000000001";
    const SEATTLE_MANAGER: &str = "7a0a0000-0000-4000-8000-000000000011";
    const HEAD_OFFICE: &str = "7a0a0000-0000-4000-8000-000000000001";
    const EASTSIDE: &str = "7a0a0000-0000-4000-8000-000000000002";

    fn load_small() {
        Spi::run("SELECT zava.generate_demo_data(0.01, 42, '2024-06-30')").unwrap();
    }

    fn one<T: IntoDatum + FromDatum>(sql: &str) -> T {
        Spi::get_one::<T>(sql).unwrap().unwrap()
    }

    fn fingerprint() -> String {
        one("SELECT md5(string_agg(o.order_id::text || o.ordered_at || o.status || i.product_id || i.quantity
                                   || i.line_total, ',' ORDER BY o.order_id, i.order_item_id))
               FROM retail.orders o JOIN retail.order_items i USING (store_id, order_id)")
    }

    fn wipe() {
        Spi::run(
            "TRUNCATE retail.stores, retail.categories, retail.product_types, retail.products, retail.customers,
                           retail.orders, retail.order_items, retail.inventory, zava.principals CASCADE",
        )
        .unwrap();
    }

    /// The hook's list of guarded parameters (Rust) and the settings
    /// grant_principal gives (SQL) name the same parameters, and each SQL value
    /// reads in the unit the hook compares in: the two lists cannot drift apart.
    #[pg_test]
    fn login_bounds_match_the_hooks_ceilings() {
        use zava_core::login_limits::{GUARDED, guarded, parse_value};
        let rows: Vec<(String, String)> = Spi::connect(|c| {
            c.select("SELECT name, value FROM zava.principal_login_settings() ORDER BY name", None, &[])?
                .map(|r| Ok((r.get::<String>(1)?.unwrap(), r.get::<String>(2)?.unwrap())))
                .collect::<Result<Vec<_>, pgrx::spi::Error>>()
        })
        .unwrap();
        let mut sql_guarded: Vec<&str> = Vec::new();
        for (name, value) in &rows {
            match guarded(name) {
                Some(g) => {
                    assert!(parse_value(g.unit, value).is_some_and(|v| v > 0), "{name} = {value}");
                    sql_guarded.push(g.name);
                }
                // Only superusers may change it: Postgres itself keeps it a ceiling.
                None => assert_eq!(name, "temp_file_limit"),
            }
        }
        sql_guarded.sort_unstable();
        let mut rust: Vec<&str> = GUARDED.iter().map(|g| g.name).collect();
        rust.sort_unstable();
        assert_eq!(sql_guarded, rust);
    }

    #[pg_test]
    fn demo_data_has_the_promised_shape() {
        load_small();
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.stores"), 8);
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.stores WHERE is_online"), 1);
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.categories"), 9);
        assert!(one::<i64>("SELECT count(*) FROM retail.products") >= 400);
        assert_eq!(
            one::<i64>("SELECT count(DISTINCT product_name) FROM retail.products"),
            one::<i64>("SELECT count(*) FROM retail.products")
        );
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.customers"), 500);
        let orders = one::<i64>("SELECT count(*) FROM retail.orders");
        assert!((1_900..=2_100).contains(&orders), "{orders} orders at scale 0.01");
        assert!(one::<bool>("SELECT min(order_date) >= '2020-01-01' FROM retail.orders"));
        assert!(one::<bool>("SELECT max(order_date) <= '2024-06-30' FROM retail.orders"));
        assert!(one::<bool>(
            "SELECT bool_and(n BETWEEN 1 AND 5) FROM (SELECT count(*) n FROM retail.order_items GROUP BY order_id) x"
        ));
        assert!(one::<bool>(
            "SELECT bool_and(line_total = quantity * unit_price - discount_amount) FROM retail.order_items"
        ));
        assert!(one::<bool>("SELECT count(*) = 8 * (SELECT count(*) FROM retail.products) FROM retail.inventory"));
        assert_eq!(one::<i64>("SELECT count(*) FROM zava.principals"), 10);
        // Loaded with the rollup triggers paused, then rebuilt once: exact.
        assert!(!one::<bool>("SELECT zava.rollups_paused()"), "the load resumes the triggers");
        assert_eq!(
            one::<pgrx::JsonB>("SELECT zava.verify_rollups() - 'first_differences'").0["differences"],
            serde_json::json!(0)
        );
        // Dense and consecutive (a sequence is not rolled back with a test, so
        // they need not start at 1).
        assert!(one::<bool>(
            "SELECT count(DISTINCT customer_no) = 500 AND max(customer_no) - min(customer_no) = 499
               FROM retail.customers JOIN zava.customer_numbers USING (customer_id)"
        ));
        assert!(one::<i64>("SELECT count(*) FROM retail.daily_store_customers") > 1_000);
    }

    #[pg_test]
    fn demo_data_is_deterministic_for_seed_and_end_date() {
        load_small();
        let first = fingerprint();
        wipe();
        load_small();
        assert_eq!(fingerprint(), first, "same seed and end date → same rows");
        wipe();
        Spi::run("SELECT zava.generate_demo_data(0.01, 43, '2024-06-30')").unwrap();
        assert_ne!(fingerprint(), first, "another seed → other rows");
    }

    #[pg_test(
        error = "this database already has retail data or principals; generate_demo_data only fills an empty database"
    )]
    fn demo_data_never_overwrites() {
        load_small();
        load_small();
    }

    #[pg_test(error = "scale must be a finite number greater than 0 and at most 64 (got -1)")]
    fn demo_data_rejects_negative_scale() {
        Spi::run("SELECT zava.generate_demo_data(-1)").unwrap();
    }

    #[pg_test(error = "scale, seed and end_date must not be NULL")]
    fn demo_data_rejects_null_scale() {
        Spi::run("SELECT zava.generate_demo_data(NULL)").unwrap();
    }

    #[pg_test(error = "end_date must be on or after 2020-01-31 (got 2019-05-01)")]
    fn demo_data_rejects_early_end_date() {
        Spi::run("SELECT zava.generate_demo_data(0.01, 1, '2019-05-01')").unwrap();
    }

    #[pg_test]
    fn a_failed_load_writes_nothing() {
        // Make the load fail part-way: when the first orders go in, stores,
        // products, customers and principals are already written. The trigger
        // says which case it saw (only the part-way one is caught), so the test
        // cannot pass on an early refusal. (pgrx re-raises errors that pass
        // through Rust with a known SQLSTATE only: custom codes would not survive.)
        Spi::run(
            "CREATE FUNCTION pg_temp.fail_load() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF EXISTS (SELECT FROM retail.stores) AND EXISTS (SELECT FROM retail.customers) THEN
                     RAISE EXCEPTION 'injected failure part-way' USING ERRCODE = 'triggered_action_exception';
                 END IF;
                 RAISE EXCEPTION 'injected failure before anything was written' USING ERRCODE = 'raise_exception';
             END $$;
             CREATE TRIGGER fail_load BEFORE INSERT ON retail.orders
                 FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.fail_load();
             CREATE TEMP TABLE outcome (caught text);
             DO $$ BEGIN
                 PERFORM zava.generate_demo_data(0.01, 7, '2024-06-30');
                 INSERT INTO outcome VALUES ('loaded');
             EXCEPTION WHEN triggered_action_exception THEN
                 INSERT INTO outcome VALUES ('failed part-way');
             END $$;",
        )
        .expect("the failed load is caught");
        assert_eq!(one::<String>("SELECT caught FROM outcome"), "failed part-way");
        let left = one::<String>(
            "SELECT concat_ws(' ', (SELECT count(*) FROM retail.stores), (SELECT count(*) FROM retail.products),
                    (SELECT count(*) FROM retail.customers), (SELECT count(*) FROM retail.orders),
                    (SELECT count(*) FROM retail.order_items), (SELECT count(*) FROM retail.daily_store_sales),
                    (SELECT count(*) FROM zava.principals), (SELECT count(*) FROM zava.principal_stores))",
        );
        assert_eq!(left, "0 0 0 0 0 0 0 0", "rows left behind by a failed load");
        assert!(!one::<bool>("SELECT zava.rollups_paused()"), "a failed load resumes the rollup triggers");
    }

    #[pg_test]
    fn tenant_tables_force_rls_and_reference_tables_do_not_need_it() {
        let forced: Vec<String> = Spi::connect(|c| {
            c.select(
                "SELECT relname::text FROM pg_class WHERE relnamespace = 'retail'::regnamespace
                        AND relkind = 'r' AND relrowsecurity AND relforcerowsecurity ORDER BY 1",
                None,
                &[],
            )
            .unwrap()
            .map(|r| r.get::<String>(1).unwrap().unwrap())
            .collect()
        });
        assert_eq!(
            forced,
            [
                "customers",
                "daily_category_sales",
                "daily_chain_product_sales",
                "daily_customer_sales",
                "daily_product_sales",
                "daily_store_buyers",
                "daily_store_customers",
                "daily_store_sales",
                "inventory",
                "monthly_category_sales",
                "monthly_chain_product_sales",
                "monthly_customer_sales",
                "monthly_product_sales",
                "monthly_store_buyers",
                "monthly_store_customers",
                "monthly_store_sales",
                "order_items",
                "orders",
                "sales_log"
            ]
        );
    }

    #[pg_test]
    fn no_identity_sees_no_tenant_rows() {
        load_small();
        Spi::run("SET LOCAL ROLE zava_agent").unwrap();
        for t in ["orders", "order_items", "inventory", "customers"] {
            assert_eq!(one::<i64>(&format!("SELECT count(*) FROM retail.{t}")), 0, "{t} without identity");
        }
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.stores"), 8, "reference data stays readable");
        assert!(Spi::get_one::<pgrx::datum::Uuid>("SELECT zava.current_principal()").unwrap().is_none());
        // The seed's header-setting trick does nothing here (set_config is not
        // PUBLIC's since 0.3.0; SET stays allowed and changes nothing either).
        assert!(!one::<bool>("SELECT has_function_privilege('set_config(text, text, boolean)', 'EXECUTE')"));
        Spi::run(&format!("SET LOCAL app.current_rls_user_id = '{HEAD_OFFICE}'")).unwrap();
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.orders"), 0);
    }

    #[pg_test]
    fn asserted_store_manager_sees_exactly_one_store() {
        load_small();
        let seattle_orders = one::<i64>(&format!("SELECT count(*) FROM retail.orders WHERE store_id = '{SEATTLE}'"));
        assert!(seattle_orders > 0);
        Spi::run(&format!("SELECT zava.assert_principal('{SEATTLE_MANAGER}')")).unwrap();
        Spi::run("SET LOCAL ROLE zava_agent").unwrap();
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.orders"), seattle_orders);
        assert_eq!(one::<i64>(&format!("SELECT count(*) FROM retail.orders WHERE store_id <> '{SEATTLE}'")), 0);
        assert_eq!(one::<i64>(&format!("SELECT count(*) FROM retail.inventory WHERE store_id <> '{SEATTLE}'")), 0);
        assert_eq!(one::<String>("SELECT zava.get_current_user_store()::text"), SEATTLE);
        assert_eq!(one::<String>("SELECT zava.whoami()->>'source'"), "asserted");
    }

    /// The change log (0.10.0) under RLS, with no merger (none runs here):
    /// every store's unmerged changes are in it, a store manager reads its
    /// own store's rows only, and its answer already counts them exactly.
    #[pg_test]
    fn a_store_manager_reads_only_its_own_unmerged_changes() {
        load_small();
        assert_eq!(one::<i64>("SELECT count(*) FROM retail.sales_log"), 0);
        Spi::run("UPDATE retail.orders SET status = 'refunded' WHERE order_id IN (SELECT DISTINCT ON (store_id) order_id FROM retail.orders WHERE status = 'completed' ORDER BY store_id, order_id)").unwrap();
        assert!(one::<i64>("SELECT count(DISTINCT store_id) FROM retail.sales_log") > 1);
        assert!(one::<i64>(&format!("SELECT count(*) FROM retail.sales_log WHERE store_id = '{SEATTLE}'")) > 0);
        let raw = one::<i64>(&format!(
            "SELECT count(*) FROM retail.orders WHERE store_id = '{SEATTLE}' AND status = 'completed'"
        ));
        Spi::run(&format!("SELECT zava.assert_principal('{SEATTLE_MANAGER}')")).unwrap();
        Spi::run("SET LOCAL ROLE zava_agent").unwrap();
        assert_eq!(one::<i64>(&format!("SELECT count(*) FROM retail.sales_log WHERE store_id <> '{SEATTLE}'")), 0);
        assert!(one::<i64>("SELECT count(*) FROM retail.sales_log") > 0);
        assert_eq!(
            one::<i64>("SELECT (zava.store_performance(NULL, '2000-01-01..2030-12-31')->'current'->>'orders')::int8"),
            raw
        );
    }

    #[pg_test]
    fn regional_manager_sees_its_three_stores() {
        load_small();
        Spi::run(&format!("SELECT zava.assert_principal('{EASTSIDE}')")).unwrap();
        Spi::run("SET LOCAL ROLE zava_agent").unwrap();
        assert_eq!(one::<i64>("SELECT count(DISTINCT store_id) FROM retail.orders"), 3);
        assert_eq!(one::<i64>("SELECT cardinality(zava.current_store_ids())"), 3);
        assert!(Spi::get_one::<pgrx::datum::Uuid>("SELECT zava.get_current_user_store()").unwrap().is_none());
    }

    #[pg_test(error = "an identity has already been asserted in this transaction and cannot be changed")]
    fn an_identity_cannot_be_changed_in_its_transaction() {
        load_small();
        Spi::run(&format!("SELECT zava.assert_principal('{SEATTLE_MANAGER}')")).unwrap();
        Spi::run(&format!("SELECT zava.assert_principal('{HEAD_OFFICE}')")).unwrap();
    }

    #[pg_test(
        error = "zava.assert_principal must be called at the top level of a transaction, not inside a savepoint or exception block"
    )]
    fn an_identity_cannot_be_asserted_in_a_subtransaction() {
        load_small();
        Spi::run(&format!(
            "DO $$ BEGIN PERFORM zava.assert_principal('{HEAD_OFFICE}'); EXCEPTION WHEN division_by_zero THEN NULL; END $$"
        ))
        .unwrap();
    }

    #[pg_test(error = "permission denied for function assert_principal")]
    fn the_agent_role_cannot_assert() {
        load_small();
        Spi::run("SET LOCAL ROLE zava_agent").unwrap();
        Spi::run(&format!("SELECT zava.assert_principal('{HEAD_OFFICE}')")).unwrap();
    }

    #[pg_test(error = "unknown or inactive principal 00000000-0000-4000-8000-00000000dead")]
    fn unknown_principals_are_refused() {
        load_small();
        Spi::run("SELECT zava.assert_principal('00000000-0000-4000-8000-00000000dead')").unwrap();
    }

    #[pg_test(error = "principal must not be NULL")]
    fn null_principal_is_refused() {
        Spi::run("SELECT zava.assert_principal(NULL)").unwrap();
    }

    #[pg_test(error = "unknown or inactive principal 7a0a0000-0000-4000-8000-000000000011")]
    fn inactive_principals_are_refused() {
        load_small();
        Spi::run(&format!("UPDATE zava.principals SET active = false WHERE principal_id = '{SEATTLE_MANAGER}'"))
            .unwrap();
        Spi::run(&format!("SELECT zava.assert_principal('{SEATTLE_MANAGER}')")).unwrap();
    }

    #[pg_test]
    fn create_principal_validates_its_input() {
        load_small();
        let try_sql = |sql: &str| -> String { one::<String>(&format!("SELECT pg_temp.try_sql($q${sql}$q$)")) };
        Spi::run(
            "CREATE FUNCTION pg_temp.try_sql(q text) RETURNS text LANGUAGE plpgsql AS
                  $$ BEGIN EXECUTE q; RETURN 'ok'; EXCEPTION WHEN others THEN RETURN SQLSTATE; END $$",
        )
        .unwrap();
        assert_eq!(try_sql("SELECT zava.create_principal('root', 'x')"), "22023");
        assert_eq!(try_sql("SELECT zava.create_principal('store_manager', 'x')"), "22023");
        assert_eq!(
            try_sql(&format!("SELECT zava.create_principal('head_office', 'x', ARRAY['{SEATTLE}']::uuid[])")),
            "22023"
        );
        assert_eq!(try_sql("SELECT zava.create_principal(NULL, 'x')"), "22004");
        assert_eq!(
            try_sql(
                "SELECT zava.create_principal('store_manager', 'x', ARRAY['00000000-0000-4000-8000-000000000000']::uuid[])"
            ),
            "23503"
        );
        assert_eq!(
            try_sql(&format!("SELECT zava.create_principal('store_manager', 'New', ARRAY['{SEATTLE}']::uuid[])")),
            "ok"
        );
        assert_eq!(try_sql("SELECT zava.grant_principal('no_such_role', gen_random_uuid())"), "42704");
        assert_eq!(try_sql(&format!("SELECT zava.grant_principal(current_user, '{HEAD_OFFICE}')")), "22023");
    }

    /// The backend's thread count, from /proc.
    fn threads() -> u32 {
        let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
        status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|n| n.trim().parse().ok()).expect("Threads:")
    }

    #[pg_test]
    fn embedding_keeps_the_backend_single_threaded() {
        assert_eq!(threads(), 1, "before");
        let dims = one::<i32>("SELECT vector_dims(zava.embed('cordless drill'))");
        assert_eq!(dims, 384);
        let n = one::<i32>(
            "SELECT cardinality(zava.embed_batch(array_agg(product_name))) FROM (SELECT 'shovel ' || g AS product_name FROM generate_series(1, 40) g) x",
        );
        assert_eq!(n, 40);
        assert_eq!(threads(), 1, "after embedding, candle and rayon started no thread");
    }

    #[pg_test]
    fn embed_agrees_with_the_reference() {
        // tests/embed/reference.json: computed independently (numpy) by tests/embed/make_reference.py.
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/embed/reference.json"))
            .expect("tests/embed/reference.json");
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases = json["texts"].as_array().unwrap();
        assert!(cases.len() >= 12);
        for case in cases {
            let t = case["text"].as_str().unwrap();
            let expected: Vec<f32> =
                case["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
            let got =
                Spi::get_one_with_args::<Vec<f32>>("SELECT zava.embed($1)::real[]", &[t.into()]).unwrap().unwrap();
            let c = zava_embed::cosine(&got, &expected);
            assert!(c >= 0.999, "cosine {c} for {t:?}");
        }
    }
}
