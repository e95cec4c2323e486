//! Whose rows may this backend read right now?
//!
//! The answer is a *principal* (head office, regional manager or store manager)
//! and the stores it may see. It comes from one of two places:
//!
//! * **Asserted** by the MCP bridge: its login role (a member of `zava_gateway`)
//!   calls `zava.assert_principal(uuid)` once, at the top level of a transaction,
//!   then drops to `zava_agent`, which may not call it. The identity is held in
//!   this backend's memory — where no SQL can write it — locked for the rest of
//!   the transaction, and wiped by a transaction callback at COMMIT, ROLLBACK,
//!   PREPARE or abort, so nothing lingers on a pooled connection.
//! * **The login role** of a psql user, mapped with `zava.grant_principal`. It is
//!   keyed on `session_user` (by the role's OID, not its name), which neither
//!   `SET ROLE` nor a `SECURITY DEFINER` function changes.
//!
//! No identity → no stores → RLS returns no tenant rows (fail closed).
//!
//! The resolved identity is cached for the transaction: RLS policies call
//! `zava.current_store_ids()` once per query (as an InitPlan), and the cache makes
//! every call after the first a memory read.

use std::cell::{Cell, RefCell};
use std::ffi::c_void;

use pgrx::datum::Uuid;
use pgrx::prelude::*;
use serde_json::json;

use crate::errors::{raise, raise_hint};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Asserted,
    LoginRole,
}

#[derive(Clone, Debug)]
struct Identity {
    principal: [u8; 16],
    kind: String,
    display_name: String,
    stores: Vec<[u8; 16]>,
    source: Source,
}

thread_local! {
    // A backend is single-threaded; thread-locals are per-backend state.
    static ASSERTED: Cell<Option<[u8; 16]>> = const { Cell::new(None) };
    // `Some(None)`: resolved, and the caller has no identity.
    static RESOLVED: RefCell<Option<Option<Identity>>> = const { RefCell::new(None) };
}

/// Registers the end-of-transaction callback. Called once per backend from
/// `_PG_init`, before any function of this library can run.
pub fn init() {
    // SAFETY: `on_xact_end` has the signature Postgres expects, touches only
    // thread-local cells, and cannot raise an error.
    unsafe { pg_sys::RegisterXactCallback(Some(on_xact_end), std::ptr::null_mut()) }
}

/// Forgets the identity at every way a transaction can end.
///
/// # Safety
/// Called by Postgres from `CallXactCallbacks`; it must not raise an error
/// (an error there becomes a PANIC), so it only clears two cells and never panics.
unsafe extern "C-unwind" fn on_xact_end(event: pg_sys::XactEvent::Type, _arg: *mut c_void) {
    use pg_sys::XactEvent::*;
    if matches!(
        event,
        XACT_EVENT_COMMIT
            | XACT_EVENT_ABORT
            | XACT_EVENT_PREPARE
            | XACT_EVENT_PARALLEL_COMMIT
            | XACT_EVENT_PARALLEL_ABORT
    ) {
        forget();
    }
}

fn forget() {
    ASSERTED.with(|a| a.set(None));
    RESOLVED.with(|r| {
        if let Ok(mut r) = r.try_borrow_mut() {
            *r = None;
        }
    });
}

const SELECT_PRINCIPAL: &str = "
    SELECT p.principal_id, p.kind, p.display_name,
           CASE WHEN p.kind = 'head_office'
                THEN (SELECT pg_catalog.array_agg(s.store_id ORDER BY s.store_id) FROM retail.stores s)
                ELSE (SELECT pg_catalog.array_agg(ps.store_id ORDER BY ps.store_id)
                        FROM zava.principal_stores ps WHERE ps.principal_id = p.principal_id)
           END
      FROM zava.principals p";

fn load(where_clause: &str, args: &[pgrx::datum::DatumWithOid], source: Source) -> Option<Identity> {
    let sql = format!("{SELECT_PRINCIPAL} WHERE p.active AND {where_clause}");
    Spi::connect(|client| {
        let rows = client.select(&sql, Some(1), args)?;
        if rows.is_empty() {
            return Ok::<_, pgrx::spi::Error>(None);
        }
        let row = rows.first();
        let principal: Uuid = row.get(1)?.expect("primary key is not null");
        let stores: Vec<Uuid> = row.get::<Vec<Uuid>>(4)?.unwrap_or_default();
        Ok(Some(Identity {
            principal: *principal.as_bytes(),
            kind: row.get(2)?.expect("kind is not null"),
            display_name: row.get(3)?.expect("display_name is not null"),
            stores: stores.iter().map(|u| *u.as_bytes()).collect(),
            source,
        }))
    })
    .unwrap_or_else(|e| raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("zava: reading principals failed: {e}")))
}

fn current() -> Option<Identity> {
    if let Some(cached) = RESOLVED.with(|r| r.borrow().clone()) {
        return cached;
    }
    let resolved = match ASSERTED.with(Cell::get) {
        Some(p) => load("p.principal_id = $1", &[Uuid::from_bytes(p).into()], Source::Asserted),
        None => login_role_principal(),
    };
    RESOLVED.with(|r| *r.borrow_mut() = Some(resolved.clone()));
    resolved
}

/// The principal mapped to `session_user`, by the role's OID: a role dropped and
/// created again under the same name is another role and has no principal.
///
/// Databases still at 0.1.0/0.2.0 (before `ALTER EXTENSION zava UPDATE`) key
/// the mapping on the role's name; the library keeps reading them as they are.
fn login_role_principal() -> Option<Identity> {
    // SAFETY: syscache look-ups by name and OID inside a transaction; the
    // session user is set for every backend that runs queries.
    let (keyed_on_oid, session_user) = unsafe {
        let schema = pg_sys::get_namespace_oid(c"zava".as_ptr(), true);
        let table = pg_sys::get_relname_relid(c"role_principals".as_ptr(), schema);
        let keyed_on_oid = table != pg_sys::InvalidOid
            && pg_sys::get_attnum(table, c"login_role".as_ptr()) != pg_sys::InvalidAttrNumber as pg_sys::AttrNumber;
        (keyed_on_oid, pg_sys::GetSessionUserId())
    };
    if keyed_on_oid {
        load(
            "p.principal_id = (SELECT r.principal_id FROM zava.role_principals r WHERE r.login_role::oid = $1)",
            &[session_user.into()],
            Source::LoginRole,
        )
    } else {
        load(
            "p.principal_id = (SELECT r.principal_id FROM zava.role_principals r WHERE r.role_name = session_user)",
            &[],
            Source::LoginRole,
        )
    }
}

/// Asserts, for the rest of this transaction, which principal the caller acts
/// for. Only members of `zava_gateway` may call it (EXECUTE is revoked from
/// everyone else), only inside `BEGIN … COMMIT`, only at the top level (not in a
/// savepoint or exception block, so `ROLLBACK TO SAVEPOINT` cannot undo or
/// redo it), and only once: the identity cannot be changed until the
/// transaction ends, when it is forgotten.
///
/// Definer rights: to read `zava.principals`, which no runtime role can read.
/// Returns nothing.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn assert_principal(principal: Option<Uuid>) {
    let Some(principal) = principal else {
        raise(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "principal must not be NULL");
    };
    // SAFETY: plain reads of transaction state; we are inside a transaction.
    let (in_block, nest_level) = unsafe { (pg_sys::IsTransactionBlock(), pg_sys::GetCurrentTransactionNestLevel()) };
    if !in_block {
        raise_hint(
            PgSqlErrorCode::ERRCODE_NO_ACTIVE_SQL_TRANSACTION,
            "zava.assert_principal must be called inside a transaction block",
            "An asserted identity lasts for one transaction: BEGIN; SELECT zava.assert_principal(…); …; COMMIT;",
        );
    }
    if nest_level != 1 {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_TRANSACTION_STATE,
            "zava.assert_principal must be called at the top level of a transaction, not inside a savepoint or exception block",
        );
    }
    if ASSERTED.with(Cell::get).is_some() {
        raise_hint(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "an identity has already been asserted in this transaction and cannot be changed",
            "Start a new transaction to act for another principal.",
        );
    }
    let Some(identity) = load("p.principal_id = $1", &[principal.into()], Source::Asserted) else {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
            format!("unknown or inactive principal {principal}"),
        );
    };
    ASSERTED.with(|a| a.set(Some(identity.principal)));
    RESOLVED.with(|r| *r.borrow_mut() = Some(Some(identity)));
}

/// The caller's principal, or NULL when the caller has none.
///
/// Definer rights: to read `zava.principals`; returns only the caller's own id.
#[pg_extern(stable, parallel_restricted, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn current_principal() -> Option<Uuid> {
    current().map(|i| Uuid::from_bytes(i.principal))
}

/// The stores the caller may see (every store for head office; empty when the
/// caller has no identity). RLS policies call this.
///
/// Definer rights: to read `zava.principals`/`principal_stores`; returns only
/// store ids (reference data), never tenant rows.
#[pg_extern(stable, parallel_restricted, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn current_store_ids() -> Vec<Uuid> {
    current().map(|i| i.stores.into_iter().map(Uuid::from_bytes).collect()).unwrap_or_default()
}

/// Whether the caller sees every store (head office): the policies of the
/// chain-wide rollups, which hold totals over all stores, call this. False
/// without an identity.
///
/// Definer rights: to read `zava.principals`; returns one boolean about the
/// caller only.
#[pg_extern(stable, parallel_restricted, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn sees_every_store() -> bool {
    current().is_some_and(|i| i.kind == "head_office")
}

/// Seed-compatible: the stores the caller may see (same as `current_store_ids`).
#[pg_extern(stable, parallel_restricted, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn get_user_store_list() -> Vec<Uuid> {
    current_store_ids()
}

/// Seed-compatible: the store of a store manager; NULL for head office,
/// regional managers and callers without an identity.
#[pg_extern(stable, parallel_restricted, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn get_current_user_store() -> Option<Uuid> {
    current().filter(|i| i.kind == "store_manager").and_then(|i| i.stores.first().copied().map(Uuid::from_bytes))
}

/// Who the database thinks the caller is, for people and for tests:
/// `{principal_id, kind, display_name, store_ids, source}` with `source`
/// `"asserted"` or `"login_role"`; all NULL (and no stores) without an identity.
#[pg_extern(stable, parallel_restricted, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn whoami() -> pgrx::JsonB {
    let text = |b: &[u8; 16]| Uuid::from_bytes(*b).to_string();
    pgrx::JsonB(match current() {
        Some(i) => json!({
            "principal_id": text(&i.principal),
            "kind": i.kind,
            "display_name": i.display_name,
            "store_ids": i.stores.iter().map(text).collect::<Vec<_>>(),
            "source": match i.source { Source::Asserted => "asserted", Source::LoginRole => "login_role" },
        }),
        None => json!({ "principal_id": null, "kind": null, "display_name": null, "store_ids": [], "source": null }),
    })
}
