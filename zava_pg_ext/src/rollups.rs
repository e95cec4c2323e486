//! Glue for the rollups (sql/rollups.sql): customer sets as `bytea` (the
//! bitmaps of `zava_core::customer_sets`), and the switch that lets the demo
//! loader pause the rollup triggers and rebuild once at the end.

use std::sync::atomic::{AtomicBool, Ordering};

use pgrx::prelude::*;
use zava_core::customer_sets;

use crate::errors::raise;

/// Set only by Rust code in this backend (the demo loader), never by SQL: a
/// caller cannot stop the rollups from following their writes.
static PAUSED: AtomicBool = AtomicBool::new(false);

/// Pauses the rollup triggers of this backend until dropped (also when a load
/// fails: the error unwinds through the guard).
pub struct Paused(());

impl Paused {
    pub fn start() -> Self {
        PAUSED.store(true, Ordering::Relaxed);
        Paused(())
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        PAUSED.store(false, Ordering::Relaxed);
    }
}

/// True while this backend's demo loader has paused the rollup triggers (it
/// rebuilds the rollups, in the same transaction, before it returns).
#[pg_extern(stable, parallel_restricted)]
fn rollups_paused() -> bool {
    PAUSED.load(Ordering::Relaxed)
}

fn not_a_set(e: customer_sets::NotASet) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION, e.to_string())
}

/// The customer set of the given customer numbers (`customers.customer_no`);
/// NULL members are skipped. Errors: 22023 for a number below 1.
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_set(numbers: Array<i32>) -> Vec<u8> {
    match customer_sets::from_numbers(numbers.iter().flatten().map(i64::from)) {
        Ok(set) => set,
        Err(e) => raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, e.to_string()),
    }
}

/// The union of two customer sets. Errors: 22P03 for bytes that are not a set.
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_set_union(a: &[u8], b: &[u8]) -> Vec<u8> {
    customer_sets::union(a, b).unwrap_or_else(|e| not_a_set(e))
}

/// The number of distinct customers in the union of the sets (NULL members
/// and a NULL array count nothing). Errors: 22P03 for bytes that are not a set.
#[pg_extern(immutable, parallel_safe)]
fn customer_set_union_count(sets: Option<Array<&[u8]>>) -> i64 {
    let Some(sets) = sets else { return 0 };
    match customer_sets::union_count(sets.iter().flatten()) {
        Ok(n) => n as i64,
        Err(e) => not_a_set(e),
    }
}

/// The union of any number of customer sets (NULL members and a NULL array
/// give the empty set). Errors: 22P03 for bytes that are not a set.
#[pg_extern(immutable, parallel_safe)]
fn customer_set_union_all(sets: Option<Array<&[u8]>>) -> Vec<u8> {
    customer_sets::union_all(sets.iter().flat_map(|a| a.iter().flatten())).unwrap_or_else(|e| not_a_set(e))
}

/// The customer numbers in a set, ascending. Errors: 22P03.
#[pg_extern(immutable, parallel_safe, strict)]
fn customer_set_members(set: &[u8]) -> Vec<i32> {
    match customer_sets::numbers(set) {
        // Members were i32 customer numbers ≥ 1 when stored; a member above
        // i32::MAX can only come from foreign bytes: refuse it.
        Ok(members) => members
            .into_iter()
            .map(|m| {
                i32::try_from(m).unwrap_or_else(|_| {
                    raise(
                        PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION,
                        format!("customer number {m} is out of range"),
                    )
                })
            })
            .collect(),
        Err(e) => not_a_set(e),
    }
}

fn buyers_error(e: impl std::fmt::Display) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INVALID_BINARY_REPRESENTATION, e.to_string())
}

/// Packed buyers (`zava_core::buyers`): per customer, orders and spend in
/// whole cents, from three arrays of equal length (a customer given twice is
/// added up; NULL elements are errors). Errors: 22023 arrays of different
/// lengths or NULLs; 22003 a sum beyond 64 bits.
#[pg_extern(immutable, parallel_safe, strict)]
fn buyers(customer_ids: Array<pgrx::Uuid>, orders: Array<i64>, cents: Array<i64>) -> Vec<u8> {
    if customer_ids.len() != orders.len() || orders.len() != cents.len() {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "customer_ids, orders and cents must have the same length",
        );
    }
    let tallies = customer_ids.iter().zip(orders.iter()).zip(cents.iter()).map(|((id, o), c)| match (id, o, c) {
        (Some(id), Some(orders), Some(cents)) => (*id.as_bytes(), zava_core::buyers::Tally { orders, cents }),
        _ => raise(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "packed buyers take no NULLs"),
    });
    zava_core::buyers::pack(tallies.collect::<Vec<_>>())
        .unwrap_or_else(|e| raise(PgSqlErrorCode::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE, e.to_string()))
}

/// Two packs of buyers added up (a customer at zero orders and zero spend is
/// dropped). Errors: 22P03 bytes that are not packed buyers; 22P03 a sum beyond
/// 64 bits.
#[pg_extern(immutable, parallel_safe, strict)]
fn buyers_merge(a: &[u8], b: &[u8]) -> Vec<u8> {
    zava_core::buyers::merge(a, b).unwrap_or_else(|e| buyers_error(e))
}

/// The customers of a pack of buyers, by id, with their orders and spend.
/// Errors: 22P03.
#[pg_extern(immutable, parallel_safe, strict)]
#[allow(clippy::type_complexity)]
fn buyers_members(
    pack: &[u8],
) -> TableIterator<'static, (name!(customer_id, pgrx::Uuid), name!(orders, i64), name!(spend, pgrx::AnyNumeric))> {
    let entries = zava_core::buyers::read(pack).unwrap_or_else(|e| buyers_error(e));
    TableIterator::new(entries.into_iter().map(|(id, t)| {
        let spend = zava_core::decimal::Dec::cents(t.cents).to_string();
        (pgrx::Uuid::from_bytes(id), t.orders, pgrx::AnyNumeric::try_from(spend.as_str()).expect("a decimal's text"))
    }))
}
