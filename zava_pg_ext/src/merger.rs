//! The rollup merger (0.10.0): background workers that fold the change log
//! (`retail.sales_log`) into the rollups, so a checkout only appends to it.
//!
//! - A writer's statement trigger, after it logged rows, calls
//!   `zava.merge_wanted()`: it marks its database in a small table in shared
//!   memory (one atomic slot per database; a few nanoseconds, no lock).
//! - The **launcher** (one per cluster, registered when the library is
//!   preloaded; connected to no database, so it holds up no `DROP DATABASE`)
//!   looks at the slots every `zava.merge_interval_ms` and starts a **merger**
//!   for each marked database that has none running, clearing its mark.
//! - A merger connects to its database and runs `zava.merge_log()` — one
//!   transaction per batch — until the log is empty, then waits one interval,
//!   taking its database's mark itself while it runs. When no write has marked
//!   the database for `IDLE` it exits, so an idle database has no process
//!   (and `DROP DATABASE`, which waits up to 5 s for other sessions, is not
//!   refused because of it). A mark set as it exits is the launcher's again.
//!
//! Without `shared_preload_libraries = 'zava'` nothing is started and
//! `merge_wanted` does nothing: the answers stay exact (they read the log
//! too), only slower as the log grows; `zava.merge_now()` merges by hand.
//! After a restart the marks are gone: a database's leftover log is merged at
//! its next write (or by `zava.merge_now()`), exact meanwhile.

use pgrx::bgworkers::{
    BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, DynamicBackgroundWorker, SignalWakeFlags,
};
use pgrx::prelude::*;
use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PgAtomic, pg_shmem_init};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Databases with writes to merge: 0 is a free slot, else a database's OID.
/// 32 databases writing at once is far beyond a retailer's cluster; when every
/// slot is taken a writer's mark waits for the next statement (its rows stay
/// exact in the log).
static WANTED: PgAtomic<[AtomicU32; 32]> = unsafe { PgAtomic::new(c"zava_merge_wanted") };

/// Set in the postmaster when the library is preloaded (and so inherited by
/// every backend): only then does `WANTED` exist.
static PRELOADED: AtomicBool = AtomicBool::new(false);

static MERGE_INTERVAL_MS: GucSetting<i32> = GucSetting::<i32>::new(200);

/// How long a merger stays without new writes before it exits.
const IDLE: Duration = Duration::from_secs(2);
/// Log rows per merge transaction (`zava.merge_log`'s batch).
const BATCH: i32 = 20_000;

pub fn init() {
    GucRegistry::define_int_guc(
        c"zava.merge_interval_ms",
        c"How often the zava merger folds the change log into the rollups (milliseconds).",
        c"The launcher looks for databases with new writes, and each running merger waits, this long between merges.",
        &MERGE_INTERVAL_MS,
        10,
        60_000,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    // SAFETY: reading a postmaster global that is set while _PG_init runs.
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    pg_shmem_init!(WANTED);
    PRELOADED.store(true, Ordering::Relaxed);
    BackgroundWorkerBuilder::new("zava merge launcher")
        .set_type("zava merge launcher")
        .set_library("zava")
        .set_function("zava_merge_launcher_main")
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(Duration::from_secs(5)))
        .load();
}

/// `zava.merge_interval_ms` (Postgres keeps it within 10–60000).
fn interval() -> Duration {
    Duration::from_millis(MERGE_INTERVAL_MS.get() as u64)
}

fn slots() -> Option<&'static [AtomicU32; 32]> {
    PRELOADED.load(Ordering::Relaxed).then(|| WANTED.get())
}

/// Marks the caller's database as having log rows to merge. Called by the
/// rollup triggers after they logged; does nothing when the library is not
/// preloaded. Administrators (and the triggers) only.
#[pg_extern(volatile, parallel_unsafe)]
fn merge_wanted() {
    let Some(slots) = slots() else { return };
    // SAFETY: MyDatabaseId is set for the life of a backend connected to a database.
    let db = unsafe { pg_sys::MyDatabaseId }.to_u32();
    if slots.iter().any(|s| s.load(Ordering::Relaxed) == db) {
        return;
    }
    for s in slots {
        if s.compare_exchange(0, db, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return;
        }
        if s.load(Ordering::Relaxed) == db {
            return;
        }
    }
}

/// Clears `db`'s mark; true if it was set.
fn take_mark(slots: &[AtomicU32; 32], db: u32) -> bool {
    slots.iter().any(|s| s.compare_exchange(db, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok())
}

fn reload_config_if_asked() {
    if BackgroundWorker::sighup_received() {
        // SAFETY: called from the worker's main loop, outside any transaction,
        // as Postgres' own background workers do after SIGHUP.
        unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
    }
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn zava_merge_launcher_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let slots = WANTED.get();
    let mut running: HashMap<u32, DynamicBackgroundWorker> = HashMap::new();
    while BackgroundWorker::wait_latch(Some(interval())) {
        reload_config_if_asked();
        running.retain(|_, w| !matches!(w.pid(), Err(pgrx::bgworkers::BackgroundWorkerStatus::Stopped)));
        for s in slots {
            let db = s.load(Ordering::Acquire);
            if db == 0 || running.contains_key(&db) {
                continue;
            }
            let started = BackgroundWorkerBuilder::new("zava merger")
                .set_type("zava merger")
                .set_library("zava")
                .set_function("zava_merger_main")
                .set_argument(Some(pg_sys::Datum::from(db)))
                .enable_spi_access()
                .set_start_time(BgWorkerStartTime::RecoveryFinished)
                .load_dynamic();
            match started {
                Ok(w) => {
                    // The merger takes the marks from here on.
                    let _ = s.compare_exchange(db, 0, Ordering::AcqRel, Ordering::Relaxed);
                    running.insert(db, w);
                }
                // max_worker_processes reached: the mark stays, tried again next time.
                Err(_) => {
                    log!("zava merge launcher: no background worker slot for database {db} (max_worker_processes)")
                }
            }
        }
    }
}

#[pg_guard]
#[unsafe(no_mangle)]
pub extern "C-unwind" fn zava_merger_main(arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let db = arg.value() as u32;
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(db)), None);
    let slots = WANTED.get();
    let installed = BackgroundWorker::transaction(|| {
        Spi::get_one::<bool>(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_proc WHERE proname = 'merge_log'
                              AND pronamespace = 'zava'::regnamespace)",
        )
    });
    if !matches!(installed, Ok(Some(true))) {
        return; // no zava 0.10.0 here: nothing to merge
    }
    let mut last_write = Instant::now();
    loop {
        reload_config_if_asked();
        let merged = BackgroundWorker::transaction(|| {
            Spi::get_one_with_args::<i64>("SELECT zava.merge_log($1)", &[BATCH.into()])
        })
        .unwrap_or_else(|e| error!("zava merger: {e}"))
        .unwrap_or(0);
        if merged > 0 {
            last_write = Instant::now();
            if merged >= i64::from(BATCH) {
                continue; // more waiting: no pause between full batches
            }
        }
        if take_mark(slots, db) {
            last_write = Instant::now();
        } else if last_write.elapsed() >= IDLE {
            return;
        }
        if !BackgroundWorker::wait_latch(Some(interval())) {
            return;
        }
    }
}
