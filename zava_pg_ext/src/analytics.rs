//! The analytics entry points: `store_performance`, `sales_trend`,
//! `top_products`, `category_breakdown`, `customer_insights` and
//! `inventory_alerts`, plus the period helpers.
//!
//! Each runs with the caller's rights (RLS applies to every row it reads),
//! is `STABLE` and `PARALLEL RESTRICTED` (a parallel worker has no identity)
//! and pins its `search_path`. The database does the set-based part: sums
//! over the rollups (`sql/analytics.sql`) through statements prepared once per
//! backend; periods, scope checks, figures, changes, insights and JSON come
//! from `zava_core`, unit-tested without Postgres.

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::datum::{DatumWithOid, Uuid};
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiTupleTable};
use pgrx::{AnyNumeric, PgOid};
use zava_core::analytics::{self, CategoryRevenue, CompareTo, Figures, Periods, Range};
use zava_core::decimal::Dec;
use zava_core::report::{self, Buyer, CategorySums, CustomerCounts, Performance, ProductSums, Sums};

use crate::errors::{raise, raise_hint};
use crate::query_gate::JsonbText;

/// A statement of this module: its text and its parameters' types.
struct Statement {
    sql: &'static str,
    args: &'static [pg_sys::Oid],
}

thread_local! {
    // Prepared on first use, kept for the backend's life (a backend is
    // single-threaded). Postgres re-plans them itself when what they read
    // changes (DDL, ALTER EXTENSION UPDATE) or the current role does.
    static PLANS: RefCell<HashMap<&'static str, &'static OwnedPreparedStatement>> = RefCell::new(HashMap::new());
}

/// Runs `stmt` with `args` and hands its rows to `read`. SQL errors propagate
/// with their SQLSTATE; anything else is an internal error.
///
/// With generic plans: these statements read a few hundred to a few thousand
/// rollup rows by (store, period) index scans whatever the parameters, so a
/// plan made once serves every call; under the default `plan_cache_mode`
/// Postgres would keep re-planning them (its generic-plan estimate for
/// `store_id = ANY ($1)` is pessimistic), which costs as much as running
/// them. The setting is scoped as a function's `SET` clause scopes it.
fn run<R>(
    stmt: &'static Statement,
    args: &[DatumWithOid],
    read: impl FnOnce(SpiTupleTable) -> Result<R, pgrx::spi::Error>,
) -> R {
    // SAFETY: the calls fmgr makes for a function's SET clause (fmgr.c,
    // fmgr_security_definer): a new GUC nest level, the setting saved at it,
    // and on return the level popped, restoring the caller's value. An error
    // in between leaves the level to the (sub)transaction's abort, which pops
    // it the same way. The name and value are valid C strings; a failure to
    // set is an ERROR (elevel), never a silent half-state.
    let level = unsafe {
        let level = pg_sys::NewGUCNestLevel();
        pg_sys::set_config_option(
            c"plan_cache_mode".as_ptr(),
            c"force_generic_plan".as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            PgLogLevel::ERROR as i32,
            false,
        );
        level
    };
    let answer = run_planned(stmt, args, read);
    // SAFETY: pops exactly the level pushed above (see there).
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
    answer
}

fn run_planned<R>(
    stmt: &'static Statement,
    args: &[DatumWithOid],
    read: impl FnOnce(SpiTupleTable) -> Result<R, pgrx::spi::Error>,
) -> R {
    Spi::connect(|client| {
        let plan = match PLANS.with(|p| p.borrow().get(stmt.sql).copied()) {
            Some(plan) => plan,
            None => {
                let types: Vec<PgOid> = stmt.args.iter().map(|&o| PgOid::from(o)).collect();
                // Leaked on purpose: a kept plan lives as long as the backend,
                // and is never freed at exit, when SPI may be gone.
                let plan: &'static OwnedPreparedStatement =
                    Box::leak(Box::new(client.prepare(stmt.sql, &types)?.keep()));
                PLANS.with(|p| p.borrow_mut().insert(stmt.sql, plan));
                plan
            }
        };
        read(client.select(plan, None, args)?)
    })
    .unwrap_or_else(|e| raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("zava analytics: {e}")))
}

const UUIDS: pg_sys::Oid = pg_sys::UUIDARRAYOID;
const DATE: pg_sys::Oid = pg_sys::DATEOID;

static SCOPE: Statement =
    Statement { sql: "SELECT zava.current_store_ids(), zava.as_of_date(), zava.sees_every_store()", args: &[] };

/// The stores a question is about — all the caller may see (`store_id` NULL)
/// or one of them; any other store is an error, not an empty answer — the
/// as-of date (`zava.as_of_date()`), and whether the question is about every
/// store of the chain (head office asking about all its stores), which the
/// chain-wide rollups answer with fewer rows.
fn scope(store_id: Option<Uuid>) -> (Vec<Uuid>, Date, bool) {
    let (visible, as_of, every) = run(&SCOPE, &[], |t| {
        let row = t.first();
        Ok((row.get::<Vec<Uuid>>(1)?.unwrap_or_default(), row.get::<Date>(2)?, row.get::<bool>(3)?.unwrap_or(false)))
    });
    let Some(as_of) = as_of.filter(Date::is_finite) else {
        raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "the as-of date must be a finite date");
    };
    match store_id {
        None => (visible, as_of, every),
        Some(s) if visible.contains(&s) => (vec![s], as_of, false),
        Some(s) => raise_hint(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("store {s} is not one you may see"),
            "Pass NULL to cover every store you may see (SELECT zava.current_store_ids()).",
        ),
    }
}

const PERIOD_HINT: &str = "Periods count from zava.as_of_date() (set zava.as_of_date to pin it).";

fn invalid(message: impl Into<String>) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, message)
}

/// A period and its comparison, or 22023 naming the valid ones.
/// The period the analytics answer for when none is given (NULL, 0.6.0:
/// before, an explicit NULL was an error).
const DEFAULT_PERIOD: &str = "last_30_days";

fn periods(period: Option<&str>, as_of: Date, compare_to: Option<&str>) -> Periods {
    let period = period.unwrap_or(DEFAULT_PERIOD);
    let compare_to = CompareTo::parse(compare_to).unwrap_or_else(|e| invalid(e));
    analytics::resolve_compared(period, as_of.to_pg_epoch_days(), compare_to)
        .unwrap_or_else(|e| raise_hint(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, e, PERIOD_HINT))
}

/// A period and its comparison against an as-of date given by the caller
/// (`period_range`, `period_comparison`): both required, the date finite.
fn periods_at(period: Option<&str>, as_of: Option<Date>, compare_to: Option<&str>) -> Periods {
    let (Some(period), Some(as_of)) = (period, as_of) else {
        raise(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "period and as_of must not be NULL");
    };
    if !as_of.is_finite() {
        invalid("the as-of date must be finite");
    }
    periods(Some(period), as_of, compare_to)
}

/// A date of a resolved period (periods lie between 1900 and 2199).
fn date(day: i32) -> Date {
    // SAFETY: every day number here comes from a period that
    // `resolve`/`resolve_compared` checked lies between 1900-01-01 and
    // 2199-12-31, well inside Postgres' date range.
    unsafe { Date::from_pg_epoch_days(day) }
}

/// A period as the statements below take it: `[a, m1, m2, b)`, its whole
/// months `[m1, m2)` read from the monthly rollups and the days `[a, m1)` and
/// `[m2, b)` from the daily ones (`Range::months`, as `zava.period_months`;
/// computed here, not by a SQL function call per statement).
fn period_args(r: Range) -> [DatumWithOid<'static>; 4] {
    let (m1, m2) = r.months();
    [date(r.start).into(), date(m1).into(), date(m2).into(), date(r.end).into()]
}

/// `stores`, then the current period's four dates (`$2`–`$5`).
fn scope_args(stores: &[Uuid], r: Range) -> Vec<DatumWithOid<'static>> {
    let mut args = vec![stores.to_vec().into()];
    args.extend(period_args(r));
    args
}

/// The rows of a rollup pair over a period given as four parameters
/// `[a, m1, m2, b)`: the monthly table's whole months and the daily table's
/// other days, and the unmerged change log's rows of the whole period
/// (`zava.pending_<kind><table>`, 0.10.0: exact before the merger ran). The
/// two runs of days are two branches, so each is one index-only range scan
/// of the daily table's covering index (an `OR` of the two made a bitmap scan
/// of the heap: head office's 30 days of categories, 1.8 ms instead of 0.5). The pair is `monthly_<kind><table>` and
/// `daily_<kind><table>`; `$filter` is what else every branch requires (a
/// store filter, or nothing).
macro_rules! period_rows {
    ($kind:literal, $table:literal, $filter:literal, $cols:literal, $a:literal, $m1:literal, $m2:literal, $b:literal) => {
        concat!(
            "SELECT ",
            $cols,
            " FROM retail.monthly_",
            $kind,
            $table,
            " s WHERE ",
            $filter,
            "s.month >= ",
            $m1,
            " AND s.month < ",
            $m2,
            " UNION ALL SELECT ",
            $cols,
            " FROM retail.daily_",
            $kind,
            $table,
            " s WHERE ",
            $filter,
            "s.day >= ",
            $a,
            " AND s.day < ",
            $m1,
            " UNION ALL SELECT ",
            $cols,
            " FROM retail.daily_",
            $kind,
            $table,
            " s WHERE ",
            $filter,
            "s.day >= ",
            $m2,
            " AND s.day < ",
            $b,
            " UNION ALL SELECT ",
            $cols,
            " FROM zava.pending_",
            $kind,
            $table,
            " s WHERE ",
            $filter,
            "s.day >= ",
            $a,
            " AND s.day < ",
            $b
        )
    };
}

/// A period's rows of the per-store rollups `monthly_<table>`/`daily_<table>`
/// for the stores in `$1` (RLS applies as well).
macro_rules! rollup {
    ($table:literal, $cols:literal, $a:literal, $m1:literal, $m2:literal, $b:literal) => {
        period_rows!("", $table, "s.store_id = ANY ($1) AND ", $cols, $a, $m1, $m2, $b)
    };
}

/// The same rows from the chain-wide rollups `monthly_chain_<table>`/
/// `daily_chain_<table>` (every store, no store column; only head office may
/// read them): `$1` is not read.
macro_rules! chain_rollup {
    ($table:literal, $cols:literal, $a:literal, $m1:literal, $m2:literal, $b:literal) => {
        period_rows!("chain_", $table, "", $cols, $a, $m1, $m2, $b)
    };
}

fn numeric(d: Dec) -> AnyNumeric {
    AnyNumeric::try_from(d.to_string().as_str()).expect("a decimal's text is a valid numeric")
}

/// Resolves a period (`last_30_days`, `this_quarter`, `2024-01-01..2024-03-31`,
/// `[2024-01-01,2024-04-01)`, …) against an as-of date: the period as
/// `[start_date, end_date)`, its length, the previous period of equal length,
/// and how insights name that previous period. Errors: 22023 unknown period,
/// or dates outside 1900-01-01..2199-12-31.
#[pg_extern(immutable, parallel_safe)]
fn period_range(
    period: Option<&str>,
    as_of: Option<Date>,
) -> TableIterator<
    'static,
    (
        name!(start_date, Date),
        name!(end_date, Date),
        name!(days, i32),
        name!(previous_start, Date),
        name!(previous_label, String),
    ),
> {
    let p = periods_at(period, as_of, None);
    let r = p.current;
    TableIterator::once((date(r.start), date(r.end), r.days(), date(p.compare.start), p.label))
}

/// A period and the period it is compared with (`previous_period`: the same
/// length just before; `previous_year`: the same dates a year earlier), both
/// as `[start, end)`, and the comparison's name in insights ("Q3 2025").
#[pg_extern(immutable, parallel_safe)]
fn period_comparison(
    period: Option<&str>,
    as_of: Option<Date>,
    compare_to: default!(Option<&str>, "'previous_period'"),
) -> TableIterator<
    'static,
    (
        name!(start_date, Date),
        name!(end_date, Date),
        name!(days, i32),
        name!(compare_start, Date),
        name!(compare_end, Date),
        name!(compare_days, i32),
        name!(compare_label, String),
    ),
> {
    let p = periods_at(period, as_of, compare_to);
    let (r, c) = (p.current, p.compare);
    TableIterator::once((date(r.start), date(r.end), r.days(), date(c.start), date(c.end), c.days(), p.label))
}

fn figures(v: &serde_json::Value) -> Figures {
    let f = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
    Figures {
        revenue: f("revenue"),
        orders: f("orders") as i64,
        units: f("units") as i64,
        gross: f("gross"),
        discounts: f("discounts"),
        cost: f("cost"),
    }
}

/// Insight sentences from current and previous figures (`{revenue, orders,
/// units, gross, discounts, cost}`) and categories (`[{category, revenue,
/// previous_revenue}]`); released in 0.1.0, kept for callers of its own. The
/// rules are documented on `zava_core::analytics::insights`.
#[pg_extern(immutable, parallel_safe)]
fn performance_insights(
    current: pgrx::JsonB,
    previous: pgrx::JsonB,
    categories: pgrx::JsonB,
    previous_label: &str,
) -> Vec<String> {
    let cats: Vec<CategoryRevenue> = categories
        .0
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| CategoryRevenue {
                    name: c.get("category").and_then(|n| n.as_str()).unwrap_or("?").to_string(),
                    current: c.get("revenue").and_then(serde_json::Value::as_f64).unwrap_or(0.0),
                    previous: c.get("previous_revenue").and_then(serde_json::Value::as_f64).unwrap_or(0.0),
                })
                .collect()
        })
        .unwrap_or_default();
    analytics::insights(&figures(&current.0), &figures(&previous.0), &cats, previous_label)
}

// ---------------------------------------------------------------------------
// store_performance
// ---------------------------------------------------------------------------

/// Money leaves the database as whole cents (`numeric(…,2)` × 100 is exact).
static PERIOD_SUMS: Statement = Statement {
    sql: concat!(
        "SELECT count(*), coalesce(sum(d.revenue) * 100, 0)::int8, coalesce(sum(d.orders), 0)::int8,
                coalesce(sum(d.units), 0)::int8, coalesce(sum(d.gross) * 100, 0)::int8,
                coalesce(sum(d.discounts) * 100, 0)::int8, coalesce(sum(d.cost) * 100, 0)::int8,
                zava.unique_customers_between($1, $2, $5) FROM (",
        rollup!("store_sales", "s.orders, s.units, s.revenue, s.gross, s.discounts, s.cost", "$2", "$3", "$4", "$5"),
        ") d"
    ),
    args: &[UUIDS, DATE, DATE, DATE, DATE],
};

static CATEGORY_SUMS: Statement = Statement {
    sql: concat!(
        "SELECT c.category_name, (x.now * 100)::int8, (x.before * 100)::int8
           FROM (SELECT y.category_id, sum(y.now) AS now, sum(y.before) AS before
                   FROM (SELECT d.category_id, d.revenue AS now, 0::numeric AS before FROM (",
        rollup!("category_sales", "s.category_id, s.revenue", "$2", "$3", "$4", "$5"),
        ") d UNION ALL SELECT d.category_id, 0::numeric, d.revenue FROM (",
        rollup!("category_sales", "s.category_id, s.revenue", "$6", "$7", "$8", "$9"),
        ") d) y GROUP BY 1) x
           JOIN retail.categories c USING (category_id)
          ORDER BY x.now DESC, c.category_name"
    ),
    args: &[UUIDS, DATE, DATE, DATE, DATE, DATE, DATE, DATE, DATE],
};

/// The answer's five best products by revenue, from the rollups `$src!`
/// reads (`rollup` or `chain_rollup`). Not top_products' statement with
/// k = 5: that one also sums margins, joins categories and ranks with a
/// window, which cost store_performance 1.1 ms of its 3.5 (measured).
macro_rules! top_five {
    ($src:ident) => {
        Statement {
            sql: concat!(
                "SELECT pr.product_name, pr.sku, (x.revenue * 100)::int8, x.units::int8
                   FROM (SELECT d.product_id, sum(d.revenue) AS revenue, sum(d.units) AS units FROM (",
                $src!("product_sales", "s.product_id, s.units, s.revenue", "$2", "$3", "$4", "$5"),
                ") d GROUP BY 1) x
                   JOIN retail.products pr USING (product_id)
                  ORDER BY x.revenue DESC, pr.sku
                  LIMIT 5"
            ),
            args: &[UUIDS, DATE, DATE, DATE, DATE],
        }
    };
}
static TOP_FIVE: Statement = top_five!(rollup);
static TOP_FIVE_CHAIN: Statement = top_five!(chain_rollup);

fn int(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<i64, pgrx::spi::Error> {
    Ok(row.get::<i64>(i)?.unwrap_or(0))
}

fn text(row: &pgrx::spi::SpiHeapTupleData, i: usize) -> Result<String, pgrx::spi::Error> {
    Ok(row.get::<String>(i)?.unwrap_or_default())
}

fn period_sums(stores: &[Uuid], r: Range) -> Sums {
    run(&PERIOD_SUMS, &scope_args(stores, r), |mut t| {
        let row = &t.next().expect("an aggregate returns one row");
        Ok(Sums {
            rows: int(row, 1)?,
            revenue: int(row, 2)?,
            orders: int(row, 3)?,
            units: int(row, 4)?,
            gross: int(row, 5)?,
            discounts: int(row, 6)?,
            cost: int(row, 7)?,
            customers: int(row, 8)?,
        })
    })
}

/// Store performance over a period against a comparison period (default
/// `previous_period`; `previous_year` for the same dates a year earlier):
/// figures, absolute and % changes, top categories and products, and
/// insights. Errors: 22023 bad period or comparison, 42501 a store the caller
/// may not see.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn store_performance(
    store_id: default!(Option<Uuid>, "NULL"),
    period: default!(Option<&str>, "'last_30_days'"),
    compare_to: default!(Option<&str>, "'previous_period'"),
) -> JsonbText {
    let (stores, as_of, every) = scope(store_id);
    let p = periods(period, as_of, compare_to);
    let (r, c) = (p.current, p.compare);
    let current = period_sums(&stores, r);
    let compare = period_sums(&stores, c);
    let mut cat_args = scope_args(&stores, r);
    cat_args.extend(period_args(c));
    let categories = run(&CATEGORY_SUMS, &cat_args, |t| {
        t.map(|row| Ok(CategorySums { name: text(&row, 1)?, current: int(&row, 2)?, compare: int(&row, 3)? })).collect()
    });
    let products = run(if every { &TOP_FIVE_CHAIN } else { &TOP_FIVE }, &scope_args(&stores, r), |t| {
        t.map(|row| {
            Ok(ProductSums { name: text(&row, 1)?, sku: text(&row, 2)?, revenue: int(&row, 3)?, units: int(&row, 4)? })
        })
        .collect()
    });
    let answer = Performance {
        store_id: store_id.map(|s| s.to_string()),
        stores: stores.len() as i64,
        as_of: as_of.to_pg_epoch_days(),
        period_name: period.unwrap_or(DEFAULT_PERIOD).to_string(),
        periods: p,
        current,
        compare,
        categories,
        products,
    };
    JsonbText::from(report::store_performance(&answer).text())
}

// ---------------------------------------------------------------------------
// sales_trend
// ---------------------------------------------------------------------------

static TREND: Statement = Statement {
    sql: "SELECT b.bucket::date, (coalesce(x.revenue, 0) * 100)::int8, coalesce(x.orders, 0)::int8,
                 coalesce(x.units, 0)::int8, (coalesce(x.cost, 0) * 100)::int8
            FROM generate_series(date_trunc($4, $2::timestamp), date_trunc($4, $3::timestamp),
                                 ('1 ' || $4)::interval) b(bucket)
            LEFT JOIN (SELECT date_trunc($4, d.day::timestamp) AS bucket, sum(d.revenue) AS revenue,
                              sum(d.orders) AS orders, sum(d.units) AS units, sum(d.cost) AS cost
                         FROM (SELECT s.day, s.revenue, s.orders, s.units, s.cost FROM retail.daily_store_sales s
                                WHERE s.store_id = ANY ($1) AND s.day BETWEEN $2 AND $3
                               UNION ALL
                               SELECT s.day, s.revenue, s.orders, s.units, s.cost FROM zava.pending_store_sales s
                                WHERE s.store_id = ANY ($1) AND s.day BETWEEN $2 AND $3) d
                        GROUP BY 1) x USING (bucket)
           ORDER BY 1",
    args: &[UUIDS, DATE, DATE, pg_sys::TEXTOID],
};

/// Sales by day, week (ISO, Monday first) or month between two dates
/// (inclusive), with empty buckets as zeros. Errors: 22023 unknown
/// granularity, dates missing, out of order or more than ten years apart;
/// 42501 a store the caller may not see.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn sales_trend(
    store_id: Option<Uuid>,
    from_date: Option<Date>,
    to_date: Option<Date>,
    granularity: default!(Option<&str>, "'day'"),
) -> TableIterator<
    'static,
    (
        name!(bucket, Date),
        name!(revenue, AnyNumeric),
        name!(orders, i64),
        name!(units, i64),
        name!(average_order_value, Option<AnyNumeric>),
        name!(gross_margin, AnyNumeric),
    ),
> {
    let (stores, _, _) = scope(store_id);
    let granularity = match granularity {
        None => "day",
        Some(g @ ("day" | "week" | "month")) => g,
        other => invalid(format!("unknown granularity \"{}\"; use one of day, week, month", other.unwrap_or("<NULL>"))),
    };
    let (from, to) = match (from_date, to_date) {
        (Some(a), Some(b))
            if a.is_finite()
                && b.is_finite()
                && a.to_pg_epoch_days() <= b.to_pg_epoch_days()
                && b.to_pg_epoch_days() - a.to_pg_epoch_days() <= 3660 =>
        {
            (a, b)
        }
        _ => invalid("from_date and to_date must be given, in order, at most ten years apart"),
    };
    let args: [DatumWithOid; 4] = [stores.into(), from.into(), to.into(), granularity.into()];
    let rows: Vec<_> = run(&TREND, &args, |t| {
        t.map(|row| {
            let bucket = row.get::<Date>(1)?.expect("a bucket is a date");
            let (revenue, orders, units, cost) = (int(&row, 2)?, int(&row, 3)?, int(&row, 4)?, int(&row, 5)?);
            Ok((bucket, revenue, orders, units, cost))
        })
        .collect::<Result<Vec<_>, _>>()
    });
    TableIterator::new(rows.into_iter().map(|(bucket, revenue, orders, units, cost)| {
        let aov = Dec::ratio(i128::from(revenue), 100 * i128::from(orders), 2);
        (bucket, numeric(Dec::cents(revenue)), orders, units, aov.map(numeric), numeric(Dec::cents(revenue - cost)))
    }))
}

// ---------------------------------------------------------------------------
// top_products
// ---------------------------------------------------------------------------

/// Ranked by the chosen measure, ties by SKU (in the database's collation,
/// which is why the ranking is the statement's `ORDER BY`), with each
/// product's rank and revenue in the comparison period when `$7`.
macro_rules! top_products {
    ($src:ident) => {
        Statement {
    sql: concat!(
        "WITH now AS (SELECT d.product_id, sum(d.revenue) AS revenue, sum(d.units)::int8 AS units,
                             sum(d.revenue - d.cost) AS margin FROM (",
        $src!("product_sales", "s.product_id, s.units, s.revenue, s.cost", "$2", "$3", "$4", "$5"),
        ") d GROUP BY 1),
              before AS (SELECT b.product_id, b.revenue,
                                row_number() OVER (ORDER BY CASE $10 WHEN 'units' THEN b.units WHEN 'margin' THEN b.margin
                                                                     ELSE b.revenue END DESC, pr.sku) AS rank
                           FROM (SELECT d.product_id, sum(d.revenue) AS revenue, sum(d.units)::numeric AS units,
                                        sum(d.revenue - d.cost) AS margin FROM (",
        $src!("product_sales", "s.product_id, s.units, s.revenue, s.cost", "$6", "$7", "$8", "$9"),
        ") d WHERE $11 GROUP BY 1) b
                           JOIN retail.products pr USING (product_id))
         SELECT row_number() OVER (ORDER BY CASE $10 WHEN 'units' THEN t.units::numeric WHEN 'margin' THEN t.margin
                                                      ELSE t.revenue END DESC, pr.sku),
                pr.product_id, pr.sku, pr.product_name, c.category_name,
                (t.revenue * 100)::int8, t.units, (t.margin * 100)::int8,
                (b.revenue * 100)::int8, b.rank
           FROM now t
           JOIN retail.products pr USING (product_id)
           JOIN retail.categories c ON c.category_id = pr.category_id
           LEFT JOIN before b USING (product_id)
          ORDER BY 1
          LIMIT $12"
    ),
    args: &[UUIDS, DATE, DATE, DATE, DATE, DATE, DATE, DATE, DATE, pg_sys::TEXTOID, pg_sys::BOOLOID, pg_sys::INT4OID],
        }
    };
}
static TOP_PRODUCTS: Statement = top_products!(rollup);
static TOP_PRODUCTS_CHAIN: Statement = top_products!(chain_rollup);

/// The k best-selling products of a period, ranked by revenue, units or
/// margin; with `compare_to`, each one's revenue and rank in the comparison
/// period and its revenue change (NULL where it did not sell then).
/// Errors: 22023 bad ranking, k, period or comparison; 42501 as above.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
// The row type is written out: pgrx reads the column names from the signature.
#[allow(clippy::type_complexity)]
fn top_products(
    store_id: default!(Option<Uuid>, "NULL"),
    period: default!(Option<&str>, "'last_30_days'"),
    k: default!(Option<i32>, "10"),
    by: default!(Option<&str>, "'revenue'"),
    compare_to: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(rank, i64),
        name!(product_id, Uuid),
        name!(sku, String),
        name!(product_name, String),
        name!(category, String),
        name!(revenue, AnyNumeric),
        name!(units, i64),
        name!(margin, AnyNumeric),
        name!(compare_revenue, Option<AnyNumeric>),
        name!(compare_rank, Option<i64>),
        name!(change_pct, Option<AnyNumeric>),
    ),
> {
    let (stores, as_of, every) = scope(store_id);
    let by = match by {
        None => "revenue",
        Some(b @ ("revenue" | "units" | "margin")) => b,
        other => {
            invalid(format!("unknown ranking \"{}\"; use one of revenue, units, margin", other.unwrap_or("<NULL>")))
        }
    };
    let k = match k {
        None => 10,
        Some(k @ 1..=100) => k,
        other => invalid(format!(
            "k must be between 1 and 100 (got {})",
            other.map_or("NULL".to_string(), |k| k.to_string())
        )),
    };
    let p = periods(period, as_of, compare_to);
    let (r, c) = (p.current, p.compare);
    let mut args = scope_args(&stores, r);
    args.extend(period_args(c));
    args.extend([by.into(), compare_to.is_some().into(), k.into()]);
    let rows: Vec<_> = run(if every { &TOP_PRODUCTS_CHAIN } else { &TOP_PRODUCTS }, &args, |t| {
        t.map(|row| {
            Ok((
                int(&row, 1)?,
                row.get::<Uuid>(2)?.expect("product_id is not null"),
                text(&row, 3)?,
                text(&row, 4)?,
                text(&row, 5)?,
                int(&row, 6)?,
                int(&row, 7)?,
                int(&row, 8)?,
                row.get::<i64>(9)?,
                row.get::<i64>(10)?,
            ))
        })
        .collect::<Result<Vec<_>, _>>()
    });
    TableIterator::new(rows.into_iter().map(
        |(rank, id, sku, name, cat, revenue, units, margin, before, before_rank)| {
            let change = before.and_then(|b| Dec::cents(revenue).pct_change(Dec::cents(b), 1));
            (
                rank,
                id,
                sku,
                name,
                cat,
                numeric(Dec::cents(revenue)),
                units,
                numeric(Dec::cents(margin)),
                before.map(|b| numeric(Dec::cents(b))),
                before_rank,
                change.map(numeric),
            )
        },
    ))
}

// ---------------------------------------------------------------------------
// category_breakdown
// ---------------------------------------------------------------------------

static CATEGORIES: Statement = Statement {
    sql: concat!(
        "SELECT c.category_name, (x.revenue * 100)::int8, x.units::int8, (x.cost * 100)::int8,
                (b.revenue * 100)::int8
           FROM (SELECT d.category_id, sum(d.revenue) AS revenue, sum(d.units) AS units, sum(d.cost) AS cost FROM (",
        rollup!("category_sales", "s.category_id, s.units, s.revenue, s.cost", "$2", "$3", "$4", "$5"),
        ") d GROUP BY 1) x
           JOIN retail.categories c USING (category_id)
           LEFT JOIN (SELECT d.category_id, sum(d.revenue) AS revenue FROM (",
        rollup!("category_sales", "s.category_id, s.revenue", "$6", "$7", "$8", "$9"),
        ") d WHERE $10 GROUP BY 1) b USING (category_id)
          ORDER BY x.revenue DESC, c.category_name"
    ),
    args: &[UUIDS, DATE, DATE, DATE, DATE, DATE, DATE, DATE, DATE, pg_sys::BOOLOID],
};

/// Revenue, units and margin by category for a period, with each one's share
/// of the total; with `compare_to`, its revenue in the comparison period and
/// the change. Errors: 22023 bad period or comparison; 42501 as above.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
// The row type is written out: pgrx reads the column names from the signature.
#[allow(clippy::type_complexity)]
fn category_breakdown(
    store_id: default!(Option<Uuid>, "NULL"),
    period: default!(Option<&str>, "'last_30_days'"),
    compare_to: default!(Option<&str>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(category, String),
        name!(revenue, AnyNumeric),
        name!(units, i64),
        name!(gross_margin, AnyNumeric),
        name!(share_pct, Option<AnyNumeric>),
        name!(compare_revenue, Option<AnyNumeric>),
        name!(change_pct, Option<AnyNumeric>),
    ),
> {
    let (stores, as_of, _) = scope(store_id);
    let p = periods(period, as_of, compare_to);
    let (r, c) = (p.current, p.compare);
    let mut args = scope_args(&stores, r);
    args.extend(period_args(c));
    args.push(compare_to.is_some().into());
    let rows: Vec<(String, i64, i64, i64, Option<i64>)> = run(&CATEGORIES, &args, |t| {
        t.map(|row| Ok((text(&row, 1)?, int(&row, 2)?, int(&row, 3)?, int(&row, 4)?, row.get::<i64>(5)?))).collect()
    });
    let total = Dec::cents(rows.iter().map(|r| r.1).sum());
    TableIterator::new(rows.into_iter().map(move |(name, revenue, units, cost, before)| {
        let now = Dec::cents(revenue);
        (
            name,
            numeric(now),
            units,
            numeric(Dec::cents(revenue - cost)),
            now.pct_of(total, 2).map(numeric),
            before.map(|b| numeric(Dec::cents(b))),
            before.and_then(|b| now.pct_change(Dec::cents(b), 1)).map(numeric),
        )
    }))
}

// ---------------------------------------------------------------------------
// customer_insights
// ---------------------------------------------------------------------------

/// The packed buyers of the period in the stores asked about: one value per
/// (store, month) and (store, other day), added up in Rust
/// (`zava_core::buyers::Period`) instead of a hash aggregate of every buyer
/// (head office, a quarter, scale 1: 8,458 buyers; the aggregate alone took
/// 3.9 ms).
static BUYERS: Statement = Statement {
    sql: rollup!("store_buyers", "s.buyers", "$2", "$3", "$4", "$5"),
    args: &[UUIDS, DATE, DATE, DATE, DATE],
};

/// How many of the period's customers are new: not in the sets of every
/// earlier day in those stores, |before ∪ period| − |before|, exact. Counted
/// by a definer helper: tenants cannot read the sets (their members are the
/// chain-wide customer numbers), only this count over their own stores.
static NEW_CUSTOMERS: Statement =
    Statement { sql: "SELECT zava.new_customers_between($1, $2, $3, $4)", args: &[UUIDS, DATE, DATE, DATE] };

/// The names of the top buyers (RLS applies: a customer the caller may not
/// see has none).
static NAMES: Statement = Statement {
    sql: "SELECT c.customer_id, c.first_name || ' ' || c.last_name FROM retail.customers c WHERE c.customer_id = ANY ($1)",
    args: &[UUIDS],
};

/// Customers of a period: new (first completed order in the stores asked
/// about falls in the period) vs returning, repeat rate (two or more orders
/// in the period), orders per customer, and the top customers by spend.
/// Errors: 22023 bad period; 42501 as above.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
fn customer_insights(
    store_id: default!(Option<Uuid>, "NULL"),
    period: default!(Option<&str>, "'last_30_days'"),
) -> JsonbText {
    let (stores, as_of, _) = scope(store_id);
    let p = periods(period, as_of, None);
    let summary = run(&BUYERS, &scope_args(&stores, p.current), |t| {
        let mut buyers = zava_core::buyers::Period::default();
        for row in t {
            if let Some(pack) = row.get::<&[u8]>(1)? {
                buyers.add(pack).unwrap_or_else(|e| {
                    raise(PgSqlErrorCode::ERRCODE_DATA_CORRUPTED, format!("retail.*_store_buyers: {e}"))
                });
            }
        }
        Ok(buyers.summary(5))
    });
    // Every earlier day: from the first day any period may start on.
    let (y, m, d) = analytics::FIRST_DAY;
    let since = zava_core::calendar::day_from_civil(y, m, d);
    let args = [stores.clone().into(), date(p.current.start).into(), date(p.current.end).into(), date(since).into()];
    let new_customers = run(&NEW_CUSTOMERS, &args, |mut t| int(&t.next().expect("one row"), 1));
    let ids: Vec<Uuid> = summary.top.iter().map(|(id, _)| Uuid::from_bytes(*id)).collect();
    let names: HashMap<Uuid, Option<String>> = if ids.is_empty() {
        HashMap::new()
    } else {
        run(&NAMES, &[ids.into()], |t| {
            t.map(|row| Ok((row.get::<Uuid>(1)?.expect("customer_id is not null"), row.get::<String>(2)?))).collect()
        })
    };
    let counts = CustomerCounts {
        customers: summary.customers,
        new_customers,
        repeat_customers: summary.repeat_customers,
        orders: summary.orders,
        top: summary
            .top
            .iter()
            .map(|(id, t)| {
                let id = Uuid::from_bytes(*id);
                Buyer {
                    customer_id: id.to_string(),
                    name: names.get(&id).cloned().flatten(),
                    orders: t.orders,
                    spend: Some(t.cents),
                }
            })
            .collect(),
    };
    JsonbText::from(report::customer_insights(period.unwrap_or(DEFAULT_PERIOD), p.current, &counts).text())
}

// ---------------------------------------------------------------------------
// inventory_alerts
// ---------------------------------------------------------------------------

static ALERTS: Statement = Statement {
    sql: "SELECT s.store_name, pr.sku, pr.product_name, i.stock_level, i.reorder_point, v.units,
                 round(v.units / 28.0, 3), round(i.stock_level / (v.units / 28.0), 1)
            FROM (SELECT d.store_id, d.product_id, sum(d.units)::int8 AS units
                    FROM (SELECT s.store_id, s.product_id, s.units FROM retail.daily_product_sales s
                           WHERE s.store_id = ANY ($1) AND s.day > $2 - 28 AND s.day <= $2
                          UNION ALL
                          SELECT s.store_id, s.product_id, s.units FROM zava.pending_product_sales s
                           WHERE s.store_id = ANY ($1) AND s.day > $2 - 28 AND s.day <= $2) d
                   GROUP BY 1, 2 HAVING sum(d.units) > 0) v
            JOIN retail.inventory i ON i.store_id = v.store_id AND i.product_id = v.product_id
            JOIN retail.stores s ON s.store_id = v.store_id
            JOIN retail.products pr ON pr.product_id = v.product_id
           WHERE i.stock_level / (v.units / 28.0) < $3
           ORDER BY 8, 1, 2",
    args: &[UUIDS, DATE, pg_sys::INT4OID],
};

/// Products whose stock lasts fewer than `min_days_of_cover` days at the sales
/// velocity of the 28 days up to the as-of date (from the product rollup;
/// only products that sold). Errors: 22023 a threshold outside 1–365; 42501.
#[pg_extern(stable, parallel_restricted)]
#[search_path(pg_catalog, pg_temp)]
// The row type is written out: pgrx reads the column names from the signature.
#[allow(clippy::type_complexity)]
fn inventory_alerts(
    store_id: default!(Option<Uuid>, "NULL"),
    min_days_of_cover: default!(Option<i32>, "14"),
) -> TableIterator<
    'static,
    (
        name!(store_name, String),
        name!(sku, String),
        name!(product_name, String),
        name!(stock_level, i32),
        name!(reorder_point, i32),
        name!(units_sold_28d, i64),
        name!(daily_velocity, AnyNumeric),
        name!(days_of_cover, AnyNumeric),
    ),
> {
    let (stores, as_of, _) = scope(store_id);
    let min = match min_days_of_cover {
        None => 14,
        Some(m @ 1..=365) => m,
        other => invalid(format!(
            "min_days_of_cover must be between 1 and 365 (got {})",
            other.map_or("NULL".to_string(), |m| m.to_string())
        )),
    };
    let args: [DatumWithOid; 3] = [stores.into(), as_of.into(), min.into()];
    let rows: Vec<_> = run(&ALERTS, &args, |t| {
        t.map(|row| {
            Ok((
                text(&row, 1)?,
                text(&row, 2)?,
                text(&row, 3)?,
                row.get::<i32>(4)?.unwrap_or(0),
                row.get::<i32>(5)?.unwrap_or(0),
                int(&row, 6)?,
                row.get::<AnyNumeric>(7)?.expect("velocity of a product that sold"),
                row.get::<AnyNumeric>(8)?.expect("cover of a product that sold"),
            ))
        })
        .collect::<Result<Vec<_>, _>>()
    });
    TableIterator::new(rows)
}
