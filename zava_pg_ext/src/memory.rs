//! A memory budget for one untrusted query.
//!
//! PostgreSQL 15 has no per-query memory limit: `format('%1000000000s', 'x')`,
//! `string_agg` over a cross join or a recursive CTE that doubles a string
//! allocate until the kernel's OOM killer ends a backend, and then the
//! postmaster restarts every backend of every tenant. While `safe_query` parses,
//! analyses and runs an untrusted query, this module lowers the backend's soft
//! address-space limit (`RLIMIT_AS`) to what the process maps now plus a budget.
//! An allocation past it fails inside `malloc`, and Postgres turns that into its
//! own `out of memory` ERROR (SQLSTATE 53200): the statement fails, the
//! transaction aborts and frees what it held, the server lives. The limit is put
//! back on every path, success or error.
//!
//! Rust allocations must never fail that way (Rust aborts the process on an
//! allocation failure, which is the crash we are avoiding). The global allocator
//! below wraps the system allocator: if an allocation fails while a budget is
//! active, it lifts the limit for that one allocation and restores it, so Rust
//! code (pgrx's error handling included) always gets its memory while Postgres'
//! next allocation still fails. Rust allocations in this extension are small
//! and bounded (the answer itself is capped at 4 MiB).
//!
//! The budget counts address space, not touched pages: a conservative measure
//! (memory reserved but unused counts too). Parallel workers would be separate
//! processes, so gated queries run without them (`query_gate.rs`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use pgrx::PgTryBuilder;

/// While a budget is active: the soft `RLIMIT_AS` in force (else 0).
static ACTIVE: AtomicU64 = AtomicU64::new(0);
/// The limits to restore when the budget ends.
static SAVED_SOFT: AtomicU64 = AtomicU64::new(0);
static SAVED_HARD: AtomicU64 = AtomicU64::new(0);

/// The system allocator, made safe for Rust code that runs under a budget.
pub struct BudgetAwareAllocator;

// SAFETY: every method forwards to `System` with the caller's arguments; the
// retry only repeats a call that failed (and a failed `realloc` leaves the old
// block untouched), so the `GlobalAlloc` contract is `System`'s.
unsafe impl GlobalAlloc for BudgetAwareAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc(layout) };
        if p.is_null() { retry_unlimited(|| unsafe { System.alloc(layout) }) } else { p }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if p.is_null() { retry_unlimited(|| unsafe { System.alloc_zeroed(layout) }) } else { p }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded contract; on failure `ptr` is still valid and owned by the caller.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() { retry_unlimited(|| unsafe { System.realloc(ptr, layout, new_size) }) } else { p }
    }
}

/// A Rust allocation failed: if that was the budget, allow this one allocation
/// and put the budget back. Allocates nothing itself.
fn retry_unlimited(again: impl FnOnce() -> *mut u8) -> *mut u8 {
    let limit = ACTIVE.load(Relaxed);
    if limit == 0 {
        return std::ptr::null_mut();
    }
    set_soft_limit(SAVED_SOFT.load(Relaxed));
    let p = again();
    set_soft_limit(limit);
    p
}

fn set_soft_limit(soft: u64) {
    let lim = libc::rlimit { rlim_cur: soft, rlim_max: SAVED_HARD.load(Relaxed) };
    // SAFETY: plain syscall with a valid pointer. Lowering the soft limit, or
    // raising it back up to (at most) the hard limit, is always permitted.
    unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) };
}

/// Bytes of address space this process maps now (`/proc/self/statm`, field 1).
fn mapped_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Some(pages * u64::try_from(page).ok()?)
}

/// Runs `f` with at most `budget` more bytes of address space than the process
/// maps now; Postgres allocations beyond it fail with `out of memory` (53200).
/// Nested calls run under the outer budget. If the limit cannot be read or set
/// (not Linux), `f` runs unbounded, as before.
pub fn with_budget<R>(budget: u64, f: impl FnOnce() -> R) -> R {
    if ACTIVE.load(Relaxed) != 0 {
        return f();
    }
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: plain syscall with a valid pointer.
    let Some(mapped) = mapped_bytes().filter(|_| unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) } == 0) else {
        return f();
    };
    let limit = lim.rlim_cur.min(mapped.saturating_add(budget)).min(lim.rlim_max);
    SAVED_SOFT.store(lim.rlim_cur, Relaxed);
    SAVED_HARD.store(lim.rlim_max, Relaxed);
    ACTIVE.store(limit, Relaxed);
    set_soft_limit(limit);
    PgTryBuilder::new(std::panic::AssertUnwindSafe(f))
        .finally(|| {
            ACTIVE.store(0, Relaxed);
            set_soft_limit(SAVED_SOFT.load(Relaxed));
        })
        .execute()
}
