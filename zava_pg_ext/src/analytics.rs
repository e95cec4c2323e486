//! Glue for the analytics SQL functions (sql/analytics.sql): period maths and
//! insight rules come from `zava_core::analytics`, unit-tested without Postgres.

use pgrx::prelude::*;
use zava_core::analytics::{self, CategoryRevenue, Figures};

use crate::errors::{raise, raise_hint};

/// Resolves a period (`last_30_days`, `this_quarter`, `2024-01-01..2024-03-31`,
/// `[2024-01-01,2024-04-01)`, …) against an as-of date: the period as
/// `[start_date, end_date)`, its length, the previous period of equal length,
/// and how insights name that previous period. Errors: 22023 unknown period.
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
    let (Some(period), Some(as_of)) = (period, as_of) else {
        raise(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "period and as_of must not be NULL");
    };
    if !as_of.is_finite() {
        raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "the as-of date must be finite");
    }
    let range = match analytics::resolve(period, as_of.to_pg_epoch_days()) {
        Ok(r) => r,
        Err(e) => raise_hint(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            e,
            "Periods count from zava.as_of_date() (set zava.as_of_date to pin it).",
        ),
    };
    // SAFETY: day numbers from the calendar module are valid dates.
    let date = |d: i32| unsafe { Date::from_pg_epoch_days(d) };
    let prev = range.previous();
    TableIterator::once((
        date(range.start),
        date(range.end),
        range.days(),
        date(prev.start),
        analytics::previous_label(range),
    ))
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

/// Insight sentences for store_performance, from the current and previous
/// figures (`{revenue, orders, units, gross, discounts, cost}`) and the
/// categories (`[{category, revenue, previous_revenue}]`). The rules are
/// documented on `zava_core::analytics::insights`.
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
