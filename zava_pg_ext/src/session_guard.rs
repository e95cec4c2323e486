//! A hook that keeps a principal's psql session as safe as a bridge call.
//!
//! **`EXPLAIN ANALYZE` is for administrators.** It runs the query and prints
//! what the executor did, including "Rows Removed by Filter: N" — and under
//! row-level security the rows removed are exactly the other tenants' rows. A
//! store manager's `EXPLAIN ANALYZE SELECT 1 FROM retail.customers` would print
//! the chain's customer count minus their own, and a probe on an index without
//! `store_id` (`WHERE email = '…'`) would tell whether an address is anybody's
//! customer. It is refused in a database where the extension is installed
//! unless the current user is a superuser or has the privileges of
//! `zava_admin` (who see every row anyway). Plain `EXPLAIN` stays allowed.
//!
//! **Login bounds are ceilings** (`zava_core::login_limits`): for a session
//! whose login is a principal, the role's own `statement_timeout`,
//! `idle_in_transaction_session_timeout` and `work_mem` (set by
//! `zava.grant_principal`) may be lowered, never raised or switched off. A
//! `SET`/`RESET` that would go above them is refused before it runs; a session
//! already above them (connection options, `PGOPTIONS`) has every statement but
//! `SET`, `SHOW` and transaction control refused until it is back within them;
//! `ALTER ROLE … SET` of those parameters is refused for principals, and
//! `set_config()` is not executable by PUBLIC (`sql/security.sql`).
//!
//! Everything is decided in one `post_parse_analyze_hook`, after analysis and
//! before anything runs — also for statements sent through SPI (PL/pgSQL
//! `EXECUTE 'EXPLAIN ANALYZE …'`, `SET` in a `DO` block). The hook wraps no
//! execution, so errors of the statements themselves pass through untouched
//! (pgrx re-raising an error that crossed a Rust frame would drop its CONTEXT).
//!
//! A hook exists only in backends that loaded the library, so it must be loaded
//! for every session: `shared_preload_libraries = 'zava'` (the demo and test
//! clusters do this; deployments must too — `docs/security.md`).

use std::cell::RefCell;
use std::ffi::CStr;

use pgrx::PgList;
use pgrx::pg_sys::{self, NodeTag, ffi::pg_guard_ffi_boundary};
use pgrx::prelude::*;
use zava_core::login_limits::{self, Guarded};

use crate::errors::raise_hint;

/// The analysis hook that was installed before ours (another library's), if any.
static mut PREVIOUS_ANALYZE: pg_sys::post_parse_analyze_hook_type = None;

/// What this backend's session user is, as far as the hook cares.
enum Session {
    /// Not looked at yet (or the extension was not installed when we looked).
    Unknown,
    /// Superuser, administrator, or not a principal: no bounds to keep.
    Exempt,
    /// A principal's login, with the ceilings its role settings give.
    Principal(Vec<(&'static Guarded, i64)>),
}

thread_local! {
    // Backends are single-threaded; the session user never changes.
    static SESSION: RefCell<Session> = const { RefCell::new(Session::Unknown) };
}

/// Installs the hook. Called once per process from `_PG_init`.
pub fn init() {
    // SAFETY: `_PG_init` runs once per process before any query; Postgres
    // backends are single-threaded, so nothing reads the hook concurrently.
    unsafe {
        PREVIOUS_ANALYZE = pg_sys::post_parse_analyze_hook;
        pg_sys::post_parse_analyze_hook = Some(post_parse_analyze);
    }
}

/// # Safety
/// Called by Postgres after parse analysis of every statement, with the
/// analysed `Query` (a utility statement's node in `utilityStmt`).
#[pg_guard]
unsafe extern "C-unwind" fn post_parse_analyze(
    pstate: *mut pg_sys::ParseState,
    query: *mut pg_sys::Query,
    jstate: *mut pg_sys::JumbleState,
) {
    // SAFETY: passing Postgres' own arguments on to the previous hook; an
    // error it raises is caught at the boundary and re-raised as ours.
    unsafe {
        let previous = PREVIOUS_ANALYZE;
        if let Some(previous) = previous {
            pg_guard_ffi_boundary(|| previous(pstate, query, jstate));
        }
    }
    // SAFETY: an analysed Query; its utility statement is NULL or a valid node.
    let utility = unsafe { (*query).utilityStmt };
    let tag = if utility.is_null() { None } else { Some(unsafe { (*utility).type_ }) };
    if tag == Some(NodeTag::T_ExplainStmt) && unsafe { analyzes(utility.cast()) } {
        refuse_explain_analyze_unless_administrator();
    }
    if SESSION.with_borrow(|s| matches!(s, Session::Unknown)) {
        classify();
    }
    // Every statement of every session passes here: read the ceilings in
    // place. (A refusal unwinds through the borrow, which releases it.)
    SESSION.with_borrow(|session| {
        let Session::Principal(ceilings) = session else { return };
        match tag {
            // SAFETY: the tags say which statement each node is.
            Some(NodeTag::T_VariableSetStmt) => unsafe { check_set(utility.cast(), ceilings) },
            Some(NodeTag::T_AlterRoleSetStmt) => unsafe { refuse_role_setting(utility.cast()) },
            // SHOW and transaction control are how a session sees and gets back
            // within its bounds.
            Some(NodeTag::T_VariableShowStmt | NodeTag::T_TransactionStmt) => {}
            _ => enforce_ceilings(ceilings),
        }
    });
}

/// Whether the `EXPLAIN` runs the query: an `analyze` option that is not false.
///
/// # Safety
/// `stmt` must be a valid `ExplainStmt`.
unsafe fn analyzes(stmt: *mut pg_sys::ExplainStmt) -> bool {
    // SAFETY: the options are a list of DefElem; defGetBoolean reads one (and
    // raises the same error EXPLAIN itself would for a bad value).
    unsafe {
        PgList::<pg_sys::DefElem>::from_pg((*stmt).options).iter_ptr().any(|opt| {
            let name = CStr::from_ptr((*opt).defname);
            name.to_bytes().eq_ignore_ascii_case(b"analyze") && pg_sys::defGetBoolean(opt)
        })
    }
}

/// Whether this database has the extension (no tenant rows to protect otherwise).
fn extension_installed() -> bool {
    // SAFETY: catalog look-up by name inside a transaction.
    unsafe { pg_sys::get_extension_oid(c"zava".as_ptr(), true) != pg_sys::InvalidOid }
}

/// Whether `role` is a superuser or has the privileges of `zava_admin`.
fn administrator(role: pg_sys::Oid) -> bool {
    // SAFETY: role look-ups inside a transaction.
    unsafe {
        if pg_sys::superuser_arg(role) {
            return true;
        }
        let admin = pg_sys::get_role_oid(c"zava_admin".as_ptr(), true);
        admin != pg_sys::InvalidOid && pg_sys::has_privs_of_role(role, admin)
    }
}

/// Raises 42501 unless the current user may see every row anyway.
fn refuse_explain_analyze_unless_administrator() {
    // SAFETY: reading the current user id.
    if !extension_installed() || administrator(unsafe { pg_sys::GetUserId() }) {
        return;
    }
    raise_hint(
        PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
        "EXPLAIN ANALYZE is not allowed for Zava principals",
        "EXPLAIN ANALYZE reports rows that row-level security removed, which belong to other stores. \
         Plain EXPLAIN (estimates only) is allowed; an administrator (zava_admin) may use EXPLAIN ANALYZE.",
    );
}

/// Refuses `ALTER ROLE … SET`/`RESET` of a guarded parameter (or `RESET ALL`)
/// by a principal: an ordinary role may change its own defaults, and these are
/// its ceilings.
///
/// # Safety
/// `stmt` must be a valid `AlterRoleSetStmt`.
unsafe fn refuse_role_setting(stmt: *mut pg_sys::AlterRoleSetStmt) {
    // SAFETY: reading the statement's SET part; its name may be NULL (RESET ALL).
    let name = unsafe {
        let set = (*stmt).setstmt;
        if set.is_null() || (*set).name.is_null() {
            None
        } else {
            Some(CStr::from_ptr((*set).name).to_string_lossy().into_owned())
        }
    };
    if name.as_deref().is_none_or(|n| login_limits::guarded(n).is_some()) {
        raise_hint(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!(
                "a Zava principal's login may not change its role setting of {}",
                name.as_deref().unwrap_or("every parameter (RESET ALL)")
            ),
            "Your administrator sets these with ALTER ROLE … SET; in a session you may lower them with SET.",
        );
    }
}

/// Refuses a `SET`/`RESET` that would take a guarded parameter above its
/// ceiling, before it runs.
///
/// # Safety
/// `stmt` must be a valid `VariableSetStmt`.
unsafe fn check_set(stmt: *mut pg_sys::VariableSetStmt, ceilings: &[(&'static Guarded, i64)]) {
    use pg_sys::VariableSetKind::*;
    // SAFETY: reading the statement; ExtractSetVariableArgs flattens its
    // arguments exactly as SET will; reset strings are the GUC's own.
    unsafe {
        let kind = (*stmt).kind;
        let named = if (*stmt).name.is_null() {
            None
        } else {
            Some(CStr::from_ptr((*stmt).name).to_string_lossy().into_owned())
        };
        for (g, ceiling) in ceilings {
            let value = match kind {
                VAR_SET_VALUE if named.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(g.name)) => {
                    let args = pg_sys::ExtractSetVariableArgs(stmt);
                    if args.is_null() { None } else { Some(CStr::from_ptr(args).to_string_lossy().into_owned()) }
                }
                VAR_SET_DEFAULT | VAR_RESET if named.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(g.name)) => {
                    reset_value(g)
                }
                VAR_RESET_ALL => reset_value(g),
                _ => None,
            };
            // A value Postgres cannot read is Postgres' to refuse.
            let Some(v) = value.and_then(|v| login_limits::parse_value(g.unit, &v)) else { continue };
            if let Some(message) = login_limits::refusal_to_set(g, v, *ceiling) {
                raise_hint(
                    PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                    message,
                    "Zava principals may lower these bounds, not raise them; an administrator can change \
                     the bound with ALTER ROLE … SET.",
                );
            }
        }
    }
}

/// The value `RESET` would give `g` (the session's value at start-up).
fn reset_value(g: &Guarded) -> Option<String> {
    let name = std::ffi::CString::new(g.name).expect("no NUL");
    // SAFETY: the GUC exists (a built-in); the string is the GUC's own, copied.
    unsafe {
        let s = pg_sys::GetConfigOptionResetString(name.as_ptr());
        (!s.is_null()).then(|| CStr::from_ptr(s).to_string_lossy().into_owned())
    }
}

/// Decides, once per backend, whether the session user is a principal's login
/// and reads its ceilings from its role settings.
fn classify() {
    if !extension_installed() {
        return; // look again in a later statement (CREATE EXTENSION may follow)
    }
    // SAFETY: reading the session user id.
    let user = unsafe { pg_sys::GetSessionUserId() };
    let principal_groups = [c"zava_head_office", c"zava_regional_manager", c"zava_store_manager"];
    // SAFETY: role look-ups inside a transaction.
    let is_principal = !administrator(user)
        && principal_groups.iter().any(|g| unsafe {
            let group = pg_sys::get_role_oid(g.as_ptr(), true);
            group != pg_sys::InvalidOid && pg_sys::has_privs_of_role(user, group)
        });
    let session = if is_principal {
        // Role-wide settings first, then this database's: the later wins.
        // SAFETY: MyDatabaseId is set in every backend that runs queries.
        let database = unsafe { pg_sys::MyDatabaseId };
        let mut entries = role_settings(pg_sys::InvalidOid, user);
        entries.extend(role_settings(database, user));
        Session::Principal(login_limits::ceilings(entries.iter().map(String::as_str)))
    } else {
        Session::Exempt
    };
    SESSION.set(session);
}

/// Catalog ids of `pg_db_role_setting`, read from the server headers by build.rs.
mod catalog {
    include!(concat!(env!("OUT_DIR"), "/pg_db_role_setting.rs"));
}

/// The `setconfig` entries (`name=value`) of `pg_db_role_setting` for
/// (`database`, `role`); `database` 0 is the role-wide row.
///
/// A catalog scan under the catalog snapshot, not a query: it runs in the
/// analysis of any statement (`SET`, `LOCK`, `BEGIN` have no snapshot, and
/// taking a transaction snapshot there would break `SET TRANSACTION`).
fn role_settings(database: pg_sys::Oid, role: pg_sys::Oid) -> Vec<String> {
    use catalog::*;
    // SAFETY: the relation is opened and closed here with a lock; the scan
    // keys compare OID columns with OID datums; each tuple's `setconfig` is a
    // text[] datum (possibly toasted, detoasted by the Vec conversion) read
    // before the scan moves on.
    unsafe {
        let rel = pg_sys::table_open(pg_sys::Oid::from(DbRoleSettingRelationId), pg_sys::AccessShareLock as _);
        let mut keys: [pg_sys::ScanKeyData; 2] = std::mem::zeroed();
        for (key, (attnum, value)) in keys
            .iter_mut()
            .zip([(Anum_pg_db_role_setting_setdatabase, database), (Anum_pg_db_role_setting_setrole, role)])
        {
            pg_sys::ScanKeyInit(
                key,
                attnum as pg_sys::AttrNumber,
                pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
                pg_sys::RegProcedure::from(pg_sys::F_OIDEQ),
                pg_sys::Datum::from(value),
            );
        }
        let scan = pg_sys::systable_beginscan(
            rel,
            pg_sys::Oid::from(DbRoleSettingDatidRolidIndexId),
            true,
            std::ptr::null_mut(),
            keys.len() as i32,
            keys.as_mut_ptr(),
        );
        let mut entries = Vec::new();
        loop {
            let tuple = pg_sys::systable_getnext(scan);
            if tuple.is_null() {
                break;
            }
            let mut isnull = false;
            let datum =
                pg_sys::heap_getattr(tuple, Anum_pg_db_role_setting_setconfig as i32, (*rel).rd_att, &mut isnull);
            if let Some(values) = Vec::<Option<String>>::from_datum(datum, isnull) {
                entries.extend(values.into_iter().flatten());
            }
        }
        pg_sys::systable_endscan(scan);
        pg_sys::table_close(rel, pg_sys::AccessShareLock as _);
        entries
    }
}

/// Raises 42501 if a principal's session runs above one of its ceilings.
fn enforce_ceilings(ceilings: &[(&'static Guarded, i64)]) {
    for (g, ceiling) in ceilings {
        // SAFETY: plain reads of the backend's GUC variables.
        let current = unsafe {
            match g.name {
                "statement_timeout" => pg_sys::StatementTimeout,
                "idle_in_transaction_session_timeout" => pg_sys::IdleInTransactionSessionTimeout,
                _ => pg_sys::work_mem,
            }
        };
        if let Some(message) = login_limits::violation(g, i64::from(current), *ceiling) {
            raise_hint(
                PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
                message,
                format!("SET {} to at most its bound first (SHOW it to see the value).", g.name),
            );
        }
    }
}
