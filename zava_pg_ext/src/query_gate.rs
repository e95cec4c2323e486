//! `zava.safe_query`: the one door through which untrusted SQL enters.
//!
//! 1. PostgreSQL's own parser (`raw_parser`) splits the text: exactly one
//!    statement, and it must be a `SELECT` (or `VALUES`/`TABLE`) without `INTO`.
//! 2. Parse analysis resolves every name; the analysed tree is walked end to end
//!    (sub-selects, CTEs, FROM-clause functions, operators, casts, aggregates,
//!    window functions, type conversions) and every function, type and relation
//!    is checked against the allow-lists in `zava_core::gate`. No data-modifying
//!    CTE, no locking clause, no utility statement, no TABLESAMPLE.
//!    Memory amplifiers are refused by their shape (`format` widths, long or
//!    computed replacements, `char(n)`/`bit(n)` padding, recursive `UNION`).
//! 3. The *same text* runs through a read-only SPI cursor, as the caller (RLS
//!    applies), with a statement timeout, `temp_file_limit` and `work_mem`
//!    capped and no parallel workers, reading one row at a time, at most
//!    `max_rows` rows and 4 MiB of answer (each value's size is checked before
//!    it is converted), then stopping.
//! 4. Steps 1–3 run under a memory budget (`memory.rs`): past 128 MiB more
//!    address space the query fails with 53200 instead of growing the backend
//!    until the OOM killer restarts the server.
//!
//! Read-only SPI is a second wall, not the first: the gate is the barrier.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_int, c_void};

use pgrx::pg_sys::{self, NodeTag};
use pgrx::prelude::*;
use pgrx::{PgList, PgTryBuilder};
use zava_core::gate::{self, Arg, Function, Site};

use crate::errors::{raise, raise_hint};

const MAX_ROWS_LIMIT: i32 = 10_000;
const MAX_TIMEOUT_MS: i32 = 60_000;
/// The answer (rows as JSON text) stops growing past this many bytes.
const MAX_ANSWER_BYTES: usize = 4 << 20;
/// Caps on the work one query may do while it runs (restored afterwards).
const TEMP_FILE_LIMIT_KB: &CStr = c"65536";
const WORK_MEM_KB: c_int = 16 << 10;
/// Address space one safe query may add to its backend (parse, analysis, run and
/// answer), so that 8 at once stay near 1 GiB. Ordinary analytics over the
/// retail tables need a few MiB: sorts and hashes spill to disk past `work_mem`.
const MEMORY_BUDGET_BYTES: u64 = 128 << 20;

/// `utils/timeout.h`, which pgrx does not bind. The raw declarations stay
/// private; callers get wrappers that pass through `pg_guard_ffi_boundary`, so an
/// `ereport(ERROR/FATAL)` inside (e.g. for an unregistered timeout id) becomes a
/// Rust panic that pgrx re-raises, never a longjmp across Rust frames.
mod timeout {
    use std::ffi::c_int;

    use pgrx::pg_sys::{self, ffi::pg_guard_ffi_boundary};

    /// `STATEMENT_TIMEOUT` of `enum TimeoutId`, read from the `utils/timeout.h`
    /// this build compiles against (see `build.rs`), never typed by hand.
    pub const STATEMENT_TIMEOUT: c_int = parse_c_int(env!("ZAVA_PG_STATEMENT_TIMEOUT"));

    // PostgreSQL 15: `TimeoutId` is a C enum, passed as an int.
    unsafe extern "C-unwind" {
        fn get_timeout_active(id: c_int) -> bool;
        fn get_timeout_finish_time(id: c_int) -> pg_sys::TimestampTz;
        fn enable_timeout_at(id: c_int, fin_time: pg_sys::TimestampTz);
        fn disable_timeout(id: c_int, keep_indicator: bool);
    }

    /// Whether the statement timeout is armed, and when it fires.
    ///
    /// # Safety
    /// Main thread of a backend.
    pub unsafe fn statement_deadline() -> Option<pg_sys::TimestampTz> {
        // SAFETY: plain reads of timeout.c's state, guarded.
        unsafe {
            pg_guard_ffi_boundary(|| {
                get_timeout_active(STATEMENT_TIMEOUT).then(|| get_timeout_finish_time(STATEMENT_TIMEOUT))
            })
        }
    }

    /// Arms the statement timeout to fire at `at`.
    ///
    /// # Safety
    /// Main thread of a backend.
    pub unsafe fn set_statement_deadline(at: pg_sys::TimestampTz) {
        // SAFETY: STATEMENT_TIMEOUT is registered by every backend at start-up.
        unsafe { pg_guard_ffi_boundary(|| enable_timeout_at(STATEMENT_TIMEOUT, at)) }
    }

    /// Disarms the statement timeout.
    ///
    /// # Safety
    /// Main thread of a backend.
    pub unsafe fn clear_statement_deadline() {
        // SAFETY: as above.
        unsafe { pg_guard_ffi_boundary(|| disable_timeout(STATEMENT_TIMEOUT, false)) }
    }

    const fn parse_c_int(s: &str) -> c_int {
        let b = s.as_bytes();
        assert!(!b.is_empty(), "empty number");
        let mut i = 0;
        let mut v: c_int = 0;
        while i < b.len() {
            assert!(b[i].is_ascii_digit(), "not a number");
            v = v * 10 + (b[i] - b'0') as c_int;
            i += 1;
        }
        v
    }
}

const HINT: &str = "Send exactly one read-only SELECT over tables in schema retail, using ordinary built-in functions.";

/// Runs one untrusted, read-only `SELECT` and returns
/// `{columns: [{name, type}], rows: [[…], …], row_count, truncated, truncated_by}`.
/// Rows are arrays, so column order and duplicate names survive.
///
/// Errors: 0A000 statement kind not allowed, 42501 function/relation/type not
/// allowed, 54000 a memory amplifier refused by its shape, 53200 the query
/// needed more than its memory budget, 42601 syntax (with the position), 57014
/// timeout, 22023/22004 bad arguments; anything the query itself raises keeps
/// its own SQLSTATE.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, retail, pg_temp)]
fn safe_query(
    sql: Option<&str>,
    max_rows: default!(Option<i32>, 100),
    timeout_ms: default!(Option<i32>, 10000),
) -> JsonbText {
    let Some(sql) = sql else {
        raise(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "sql must not be NULL");
    };
    // NULL means the default (0.6.0), so callers keep no copy of it.
    let (max_rows, timeout_ms) = (max_rows.unwrap_or(100), timeout_ms.unwrap_or(10_000));
    if !(1..=MAX_ROWS_LIMIT).contains(&max_rows) {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("max_rows must be between 1 and {MAX_ROWS_LIMIT} (got {max_rows})"),
        );
    }
    if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            format!("timeout_ms must be between 1 and {MAX_TIMEOUT_MS} (got {timeout_ms})"),
        );
    }
    let Ok(text) = CString::new(sql) else {
        raise(PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE, "the query contains a NUL character");
    };
    let answer = PgTryBuilder::new(|| {
        crate::memory::with_budget(MEMORY_BUDGET_BYTES, || {
            // SAFETY: `text` outlives every use below; all pointers come from Postgres.
            unsafe {
                let query = analyze(&text);
                check_tree(query);
                execute(&text, max_rows as usize, timeout_ms)
            }
        })
    })
    .catch_when(PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY, |_| {
        raise_hint(
            PgSqlErrorCode::ERRCODE_OUT_OF_MEMORY,
            format!(
                "the query needed more than {} MiB of memory, the limit for one safe query",
                MEMORY_BUDGET_BYTES >> 20
            ),
            "Aggregate fewer or smaller values (string_agg, array_agg, json_agg over many rows), filter first, or add LIMIT.",
        )
    })
    .execute();
    JsonbText(answer)
}

/// The plan of one untrusted `SELECT`, without running it:
/// `{plan, estimates, relations, indexes}`. The text passes the same gate as
/// `safe_query` (no plan for anything it refuses), then `EXPLAIN (FORMAT JSON)`
/// plans it as the caller (RLS applies) under the same limits. `plan` is the
/// plan tree (node types, relations, aliases, index names, join types and
/// order, conditions); `relations` and `indexes` name what it reads, in plan
/// order. Row estimates and costs come from statistics over every store, so
/// only a caller who sees every store (head office) gets them (`estimates`);
/// for everyone else they are left out (`COSTS OFF`).
///
/// Errors: those of `safe_query`'s gate (0A000, 42501, 54000, 53200, 42601),
/// 22004 for NULL.
#[pg_extern(volatile, parallel_unsafe)]
#[search_path(pg_catalog, retail, pg_temp)]
fn explain_query(sql: Option<&str>) -> pgrx::JsonB {
    let Some(sql) = sql else {
        raise(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, "sql must not be NULL");
    };
    let Ok(text) = CString::new(sql) else {
        raise(PgSqlErrorCode::ERRCODE_CHARACTER_NOT_IN_REPERTOIRE, "the query contains a NUL character");
    };
    // Through SQL: the security-definer function reads the identity tables
    // the caller may not.
    let estimates = Spi::get_one::<bool>("SELECT zava.sees_every_store()").ok().flatten().unwrap_or(false);
    let plan = crate::memory::with_budget(MEMORY_BUDGET_BYTES, || {
        // SAFETY: `text` outlives every use below; all pointers come from Postgres.
        unsafe {
            let query = analyze(&text);
            check_tree(query);
        }
        // The same text, behind EXPLAIN's options: the gate's statement parses
        // the same way inside it. The composed text is parsed again and must be
        // exactly one EXPLAIN, so nothing in the query can escape its place.
        let costs = if estimates { "on" } else { "off" };
        let explain = CString::new(format!("EXPLAIN (FORMAT JSON, COSTS {costs}) {sql}")).expect("no NUL");
        // SAFETY: a valid C string; inside a transaction.
        if !unsafe { only_our_explain(&explain) } {
            raise_hint(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, "the query cannot be explained", HINT);
        }
        // SAFETY: main thread, inside a transaction; SPI is connected for the
        // execution and the value is copied out before it closes.
        unsafe { with_limits(10_000, || Spi::connect(|_client| explain_json(&explain))) }
    });
    let mut relations = Vec::new();
    let mut indexes = Vec::new();
    let plan = plan
        .as_array()
        .and_then(|a| a.first())
        .and_then(|e| e.get("Plan"))
        .cloned()
        .unwrap_or_else(|| raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "EXPLAIN answered without a plan"));
    plan_names(&plan, &mut relations, &mut indexes);
    pgrx::JsonB(serde_json::json!({
        "plan": plan,
        "estimates": estimates,
        "relations": relations,
        "indexes": indexes,
    }))
}

/// Whether the text is exactly one EXPLAIN of one SELECT, with no option but
/// FORMAT and COSTS (never ANALYZE: nothing runs).
///
/// # Safety
/// Inside a transaction.
unsafe fn only_our_explain(explain: &CStr) -> bool {
    // SAFETY: raw_parser returns a list of valid RawStmt nodes; the tags say
    // which node types they are before any cast.
    unsafe {
        let list = pg_sys::raw_parser(explain.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        let statements = PgList::<pg_sys::RawStmt>::from_pg(list).iter_ptr().collect::<Vec<_>>();
        let [raw] = statements[..] else { return false };
        let stmt = (*raw).stmt;
        if (*stmt).type_ != NodeTag::T_ExplainStmt {
            return false;
        }
        let explain = stmt as *mut pg_sys::ExplainStmt;
        let query = (*explain).query;
        if query.is_null() || (*query).type_ != NodeTag::T_SelectStmt {
            return false;
        }
        PgList::<pg_sys::DefElem>::from_pg((*explain).options).iter_ptr().all(|d| {
            let name = CStr::from_ptr((*d).defname);
            name == c"format" || name == c"costs"
        })
    }
}

/// Runs the EXPLAIN and parses its one JSON value. SPI's read-only mode
/// refuses EXPLAIN itself; `only_our_explain` has checked that this one
/// plans a gated SELECT and runs nothing.
///
/// # Safety
/// Must run inside `Spi::connect`.
unsafe fn explain_json(explain: &CStr) -> serde_json::Value {
    // SAFETY: SPI is connected; the tuple table is SPI's and read before it is freed.
    unsafe {
        let rc = pg_sys::SPI_execute(explain.as_ptr(), false, 0);
        let table = pg_sys::SPI_tuptable;
        if rc != pg_sys::SPI_OK_UTILITY as c_int || table.is_null() || pg_sys::SPI_processed != 1 {
            raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("EXPLAIN failed (SPI code {rc})"));
        }
        let value = pg_sys::SPI_getvalue(*(*table).vals, (*table).tupdesc, 1);
        if value.is_null() {
            raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "EXPLAIN answered NULL");
        }
        let parsed = serde_json::from_slice(CStr::from_ptr(value).to_bytes());
        pg_sys::pfree(value.cast());
        parsed.unwrap_or_else(|e| raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("EXPLAIN's JSON: {e}")))
    }
}

/// The relations and indexes a plan reads, each once, in plan order.
fn plan_names(node: &serde_json::Value, relations: &mut Vec<String>, indexes: &mut Vec<String>) {
    for (key, list) in [("Relation Name", &mut *relations), ("Index Name", &mut *indexes)] {
        if let Some(name) = node.get(key).and_then(|v| v.as_str())
            && !list.iter().any(|n| n == name)
        {
            list.push(name.to_owned());
        }
    }
    for child in node.get("Plans").and_then(|p| p.as_array()).into_iter().flatten() {
        plan_names(child, relations, indexes);
    }
}

/// A `jsonb` result built as JSON text and handed to `jsonb_in` once (no
/// intermediate `serde_json::Value` of the whole answer).
pub struct JsonbText(Vec<u8>);

pgrx::impl_sql_translatable!(JsonbText, "jsonb");

impl From<String> for JsonbText {
    fn from(text: String) -> JsonbText {
        JsonbText(text.into_bytes())
    }
}

impl IntoDatum for JsonbText {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        let text = CString::new(self.0).expect("JSON text has no NUL bytes (they are escaped)");
        // SAFETY: jsonb_in takes one cstring argument and returns a jsonb datum.
        unsafe { pgrx::direct_function_call_as_datum(pg_sys::jsonb_in, &[Some(text.as_ptr().into())]) }
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::JSONBOID
    }
}

box_ret!(JsonbText);

thread_local! {
    static ERROR_POSITION: Cell<c_int> = const { Cell::new(0) };
}

/// Error-context callback: remembers the cursor position of a parser error
/// (pgrx's caught error does not carry it).
///
/// # Safety
/// Called by Postgres while it builds an error report; only reads the report.
#[pg_guard]
unsafe extern "C-unwind" fn remember_position(_arg: *mut c_void) {
    // SAFETY: an error report is being built, so geterrposition reads it.
    ERROR_POSITION.with(|p| p.set(unsafe { pg_sys::geterrposition() }));
}

/// Parses and analyses the text: exactly one SELECT statement.
///
/// # Safety
/// `text` must be a valid C string; must run inside a transaction.
unsafe fn analyze(text: &CStr) -> *mut pg_sys::Query {
    ERROR_POSITION.with(|p| p.set(0));
    let mut callback = pg_sys::ErrorContextCallback {
        // SAFETY: reading the backend's error context stack.
        previous: unsafe { pg_sys::error_context_stack },
        callback: Some(remember_position),
        arg: std::ptr::null_mut(),
    };
    let previous = callback.previous;
    // SAFETY: the callback lives on this frame until it is popped below, on
    // both the success and the error path.
    unsafe { pg_sys::error_context_stack = &mut callback };
    let raw = PgTryBuilder::new(|| unsafe {
        let list = pg_sys::raw_parser(text.as_ptr(), pg_sys::RawParseMode::RAW_PARSE_DEFAULT);
        PgList::<pg_sys::RawStmt>::from_pg(list).iter_ptr().collect::<Vec<_>>()
    })
    .catch_others(|e| {
        // SAFETY: restoring the stack as it was before we pushed.
        unsafe { pg_sys::error_context_stack = previous };
        match e {
            pg_sys::panic::CaughtError::PostgresError(ref r)
                if r.sql_error_code() == PgSqlErrorCode::ERRCODE_SYNTAX_ERROR =>
            {
                let pos = ERROR_POSITION.with(Cell::get);
                let message = format!("{} (at character {pos} of the query)", r.message());
                pgrx::pg_sys::panic::ErrorReport::new(PgSqlErrorCode::ERRCODE_SYNTAX_ERROR, message, "zava")
                    .set_detail(caret_line(text.to_str().unwrap_or(""), pos))
                    .set_hint(HINT)
                    .report(PgLogLevel::ERROR);
                unreachable!()
            }
            other => other.rethrow(),
        }
    })
    .execute();
    // SAFETY: as above.
    unsafe { pg_sys::error_context_stack = previous };

    if raw.len() != 1 {
        raise_hint(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("a safe query is exactly one statement (got {})", raw.len()),
            HINT,
        );
    }
    let raw = raw[0];
    // SAFETY: raw_parser returned a valid RawStmt.
    let stmt = unsafe { (*raw).stmt };
    // SAFETY: stmt is a valid node.
    let tag = unsafe { (*stmt).type_ };
    if tag != NodeTag::T_SelectStmt {
        raise_hint(
            PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED,
            format!("only SELECT statements are allowed (got {})", statement_kind(tag)),
            HINT,
        );
    }
    // SAFETY: the tag says it is a SelectStmt.
    if unsafe { !(*(stmt as *mut pg_sys::SelectStmt)).intoClause.is_null() } {
        raise_hint(PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, "SELECT INTO is not allowed", HINT);
    }
    // Casts to catalog-reference types run their input function during
    // analysis ('head_office'::regrole looks the role up): refuse them in the
    // raw tree, before analysis can answer "does not exist".
    let mut walk = Walk { refusal: None };
    // SAFETY: the raw tree is valid; raw_walker only reads it.
    unsafe { pg_sys::raw_expression_tree_walker(stmt, Some(raw_walker), (&mut walk as *mut Walk).cast()) };
    if let Some((code, message)) = walk.refusal {
        raise_hint(code, message, HINT);
    }
    // SAFETY: analysis of a SELECT; no parameters.
    unsafe { pg_sys::parse_analyze_fixedparams(raw, text.as_ptr(), std::ptr::null_mut(), 0, std::ptr::null_mut()) }
}

fn caret_line(text: &str, pos: c_int) -> String {
    if pos <= 0 {
        return String::new();
    }
    let chars: Vec<char> = text.chars().collect();
    let at = (pos as usize - 1).min(chars.len());
    let start = chars[..at].iter().rposition(|&c| c == '\n').map_or(0, |i| i + 1);
    let end = chars[at..].iter().position(|&c| c == '\n').map_or(chars.len(), |i| at + i);
    let line: String = chars[start..end].iter().collect();
    format!("{line}\n{}^", " ".repeat(at - start))
}

fn statement_kind(tag: NodeTag) -> String {
    let name = format!("{tag:?}");
    let name = name.trim_start_matches("T_").trim_end_matches("Stmt");
    // CamelCase → words: "TransactionStmt" → "transaction"
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    let article = if out.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    if out.is_empty() { "an unknown statement".into() } else { format!("{article} {out} statement") }
}

struct Walk {
    refusal: Option<(PgSqlErrorCode, String)>,
}

/// Walks the whole analysed tree; raises the first refusal.
///
/// # Safety
/// `query` must be an analysed query tree.
unsafe fn check_tree(query: *mut pg_sys::Query) {
    let mut walk = Walk { refusal: None };
    // SAFETY: walker only reads nodes (and fills opfuncid caches).
    unsafe { walker(query.cast(), (&mut walk as *mut Walk).cast()) };
    if let Some((code, message)) = walk.refusal {
        raise_hint(code, message, HINT);
    }
}

/// # Safety
/// Called by Postgres' tree walkers with nodes of an analysed tree and our `Walk`.
#[pg_guard]
unsafe extern "C-unwind" fn walker(node: *mut pg_sys::Node, context: *mut c_void) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: context is the Walk passed by check_tree; node is a valid node.
    unsafe {
        let walk = &mut *(context as *mut Walk);
        if let Err(refusal) = check_node(node) {
            walk.refusal = Some(refusal);
            return true; // stop walking
        }
        if (*node).type_ == NodeTag::T_Query {
            return pg_sys::query_tree_walker(node.cast(), Some(walker), context, 0);
        }
        pg_sys::expression_tree_walker(node, Some(walker), context)
    }
}

/// Walks a raw (unanalysed) parse tree: refuses type names and function-style
/// casts that name a catalog-reference type.
///
/// # Safety
/// Called by `raw_expression_tree_walker` with raw parse nodes and our `Walk`.
#[pg_guard]
unsafe extern "C-unwind" fn raw_walker(node: *mut pg_sys::Node, context: *mut c_void) -> bool {
    if node.is_null() {
        return false;
    }
    // SAFETY: context is the Walk passed by analyze; each arm casts to the
    // struct its tag names; name lists hold String nodes.
    unsafe {
        let names = match (*node).type_ {
            NodeTag::T_TypeName => (*(node as *mut pg_sys::TypeName)).names,
            NodeTag::T_FuncCall => (*(node as *mut pg_sys::FuncCall)).funcname,
            _ => std::ptr::null_mut(),
        };
        if let Some(last) = PgList::<pg_sys::Node>::from_pg(names).iter_ptr().last()
            && (*last).type_ == NodeTag::T_String
        {
            let name = CStr::from_ptr((*(last as *mut pg_sys::String)).sval).to_string_lossy();
            if let Err(message) = gate::check_value_type(&name) {
                (*(context as *mut Walk)).refusal = Some(not_allowed(message));
                return true;
            }
        }
        pg_sys::raw_expression_tree_walker(node, Some(raw_walker), context)
    }
}

type Refusal = (PgSqlErrorCode, String);

fn not_allowed(message: String) -> Refusal {
    (PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE, message)
}

fn not_supported(message: &str) -> Refusal {
    (PgSqlErrorCode::ERRCODE_FEATURE_NOT_SUPPORTED, message.to_string())
}

/// A memory amplifier, refused by its shape before anything runs.
fn too_big(message: String) -> Refusal {
    (PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED, message)
}

/// Refuses `char(n)`/`bit(n)` values padded past `gate::MAX_PADDED_LENGTH`.
///
/// # Safety
/// `node` must be an expression node of an analysed tree.
unsafe fn check_padding(node: *mut pg_sys::Node) -> Result<(), Refusal> {
    // SAFETY: exprType/exprTypmod accept any expression node.
    unsafe {
        let ty = pg_sys::exprType(node);
        if ![pg_sys::BPCHAROID, pg_sys::BITOID, pg_sys::BPCHARARRAYOID, pg_sys::BITARRAYOID].contains(&ty) {
            return Ok(());
        }
        let name = if ty == pg_sys::BPCHAROID {
            "bpchar"
        } else if ty == pg_sys::BITOID {
            "bit"
        } else if ty == pg_sys::BPCHARARRAYOID {
            "_bpchar"
        } else {
            "_bit"
        };
        gate::check_padded_length(name, pg_sys::exprTypmod(node)).map_err(too_big)
    }
}

/// Refuses calls of built-ins whose arguments make them memory amplifiers
/// (`zava_core::gate::check_call_shape`).
///
/// # Safety
/// `f` must be a FuncExpr of an analysed tree whose function passed the allow-list.
unsafe fn check_shape(f: *mut pg_sys::FuncExpr) -> Result<(), Refusal> {
    // SAFETY: catalog look-ups by a valid OID; reading the argument list.
    unsafe {
        let name = cstr_or(pg_sys::get_func_name((*f).funcid), "?");
        if !matches!(name.as_str(), "format" | "replace" | "regexp_replace" | "overlay" | "translate") {
            return Ok(());
        }
        let args: Vec<Arg> =
            PgList::<pg_sys::Node>::from_pg((*f).args).iter_ptr().map(|a| constant_argument(a)).collect();
        gate::check_call_shape(&name, &args).map_err(too_big)
    }
}

/// A call argument as the shape rules see it: a constant's text, or computed.
///
/// # Safety
/// `node` must be an expression node of an analysed tree.
unsafe fn constant_argument(node: *mut pg_sys::Node) -> Arg {
    // SAFETY: a Const's value is a valid datum of its type; the output
    // function of a built-in type returns a palloc'd C string.
    unsafe {
        let mut node = node;
        while (*node).type_ == NodeTag::T_RelabelType {
            node = (*(node as *mut pg_sys::RelabelType)).arg.cast();
        }
        if (*node).type_ != NodeTag::T_Const {
            return Arg::Computed;
        }
        let c = node as *mut pg_sys::Const;
        if (*c).constisnull {
            return Arg::Const(None);
        }
        let mut output = pg_sys::InvalidOid;
        let mut varlena = false;
        pg_sys::getTypeOutputInfo((*c).consttype, &mut output, &mut varlena);
        let text = pg_sys::OidOutputFunctionCall(output, (*c).constvalue);
        let value = CStr::from_ptr(text).to_string_lossy().into_owned();
        pg_sys::pfree(text.cast());
        Arg::Const(Some(value))
    }
}

/// # Safety
/// `node` must be a valid node of an analysed tree.
unsafe fn check_node(node: *mut pg_sys::Node) -> Result<(), Refusal> {
    use NodeTag::*;
    // SAFETY: each arm casts to the struct its tag names.
    unsafe {
        match (*node).type_ {
            T_Query => check_query(node.cast()),
            T_FuncExpr => {
                let f = node as *mut pg_sys::FuncExpr;
                let site = match (*f).funcformat {
                    pg_sys::CoercionForm::COERCE_EXPLICIT_CALL | pg_sys::CoercionForm::COERCE_SQL_SYNTAX => Site::Call,
                    _ => Site::Cast,
                };
                check_function(site, (*f).funcid)?;
                check_padding(node)?;
                check_shape(f)
            }
            T_Var => {
                let v = node as *mut pg_sys::Var;
                if (*v).varattno < 0 {
                    return Err(not_allowed(gate::system_column_refusal(system_column_name((*v).varattno))));
                }
                check_value(node)
            }
            T_Const | T_RelabelType => {
                check_value(node)?;
                check_padding(node)
            }
            T_OpExpr | T_DistinctExpr | T_NullIfExpr => {
                let op = node as *mut pg_sys::OpExpr;
                check_operator((*op).opno)?;
                pg_sys::set_opfuncid(op);
                check_function(Site::Operator, (*op).opfuncid)
            }
            T_ScalarArrayOpExpr => {
                let op = node as *mut pg_sys::ScalarArrayOpExpr;
                check_operator((*op).opno)?;
                pg_sys::set_sa_opfuncid(op);
                check_function(Site::Operator, (*op).opfuncid)
            }
            T_Aggref => {
                check_value(node)?;
                check_function(Site::Aggregate, (*(node as *mut pg_sys::Aggref)).aggfnoid)
            }
            T_WindowFunc => {
                check_value(node)?;
                check_function(Site::Window, (*(node as *mut pg_sys::WindowFunc)).winfnoid)
            }
            T_RowCompareExpr => {
                let r = node as *mut pg_sys::RowCompareExpr;
                for op in PgList::<c_void>::from_pg((*r).opnos).iter_oid() {
                    check_operator(op)?;
                    check_function(Site::Operator, pg_sys::get_opcode(op))?;
                }
                Ok(())
            }
            T_CoerceViaIO => {
                let c = node as *mut pg_sys::CoerceViaIO;
                check_value(node)?;
                check_type((*c).resulttype)?;
                check_type(pg_sys::exprType((*c).arg.cast()))?;
                check_padding(node)
            }
            T_ArrayCoerceExpr => {
                check_value(node)?;
                check_type((*(node as *mut pg_sys::ArrayCoerceExpr)).resulttype)?;
                check_padding(node)
            }
            T_SQLValueFunction => {
                use pg_sys::SQLValueFunctionOp::*;
                match (*(node as *mut pg_sys::SQLValueFunction)).op {
                    SVFOP_CURRENT_ROLE | SVFOP_CURRENT_USER | SVFOP_USER | SVFOP_SESSION_USER => {
                        Err(not_allowed(gate::USER_FUNCTION_REFUSAL.to_string()))
                    }
                    _ => Ok(()),
                }
            }
            T_SubscriptingRef => {
                check_value(node)?;
                check_type((*(node as *mut pg_sys::SubscriptingRef)).refcontainertype)
            }
            T_CaseExpr | T_CoalesceExpr | T_ArrayExpr | T_FieldSelect => check_value(node),
            T_MinMaxExpr => {
                check_value(node)?;
                check_type((*(node as *mut pg_sys::MinMaxExpr)).minmaxtype)
            }
            T_CoerceToDomain => Err(not_supported("domain types are not allowed in a safe query")),
            T_NextValueExpr => Err(not_supported("sequence values are not allowed in a safe query")),
            T_CurrentOfExpr => Err(not_supported("cursors are not allowed in a safe query")),
            T_XmlExpr | T_TableFunc => Err(not_supported("XML functions are not allowed in a safe query")),
            T_Param => Err(not_supported("parameters are not allowed in a safe query")),
            _ => Ok(()),
        }
    }
}

/// # Safety
/// `q` must be an analysed Query.
unsafe fn check_query(q: *mut pg_sys::Query) -> Result<(), Refusal> {
    // SAFETY: reading fields of a valid Query and its range table.
    unsafe {
        if (*q).commandType != pg_sys::CmdType::CMD_SELECT || !(*q).utilityStmt.is_null() {
            return Err(not_supported("only SELECT statements are allowed, also inside WITH"));
        }
        if (*q).hasModifyingCTE {
            return Err(not_supported("data-modifying statements in WITH are not allowed"));
        }
        if !(*q).rowMarks.is_null() || (*q).hasForUpdate {
            return Err(not_supported("locking clauses (FOR UPDATE/SHARE) are not allowed"));
        }
        for cte in PgList::<pg_sys::CommonTableExpr>::from_pg((*q).cteList).iter_ptr() {
            let body = (*cte).ctequery as *mut pg_sys::Query;
            if (*cte).cterecursive && !body.is_null() && (*body.cast::<pg_sys::Node>()).type_ == NodeTag::T_Query {
                let ops = (*body).setOperations as *mut pg_sys::SetOperationStmt;
                if !ops.is_null() && !(*ops).all {
                    return Err(too_big(
                        "WITH RECURSIVE … UNION keeps every row it has seen in memory (its hash table never \
                         spills); use UNION ALL, with a stop condition"
                            .into(),
                    ));
                }
            }
        }
        // Sort, group and DISTINCT operators are not expression nodes: the tree
        // walkers never visit them (`ORDER BY x USING <op>` names one).
        let clauses = [(*q).sortClause, (*q).groupClause, (*q).distinctClause];
        let windows = PgList::<pg_sys::WindowClause>::from_pg((*q).windowClause);
        let window_clauses = windows.iter_ptr().flat_map(|w| [(*w).partitionClause, (*w).orderClause]);
        for list in clauses.into_iter().chain(window_clauses) {
            for sgc in PgList::<pg_sys::SortGroupClause>::from_pg(list).iter_ptr() {
                for op in [(*sgc).sortop, (*sgc).eqop] {
                    if op != pg_sys::InvalidOid {
                        check_operator(op)?;
                        check_function(Site::Operator, pg_sys::get_opcode(op))?;
                    }
                }
            }
        }
        for rte in PgList::<pg_sys::RangeTblEntry>::from_pg((*q).rtable).iter_ptr() {
            match (*rte).rtekind {
                pg_sys::RTEKind::RTE_RELATION => {
                    if !(*rte).tablesample.is_null() {
                        return Err(not_supported("TABLESAMPLE is not allowed in a safe query"));
                    }
                    let relid = (*rte).relid;
                    let schema = cstr_or(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(relid)), "?");
                    let name = cstr_or(pg_sys::get_rel_name(relid), "?");
                    gate::check_relation(&schema, &name, pg_sys::get_rel_relkind(relid) as u8).map_err(not_allowed)?;
                }
                pg_sys::RTEKind::RTE_TABLEFUNC | pg_sys::RTEKind::RTE_NAMEDTUPLESTORE => {
                    return Err(not_supported("table functions (XMLTABLE) are not allowed in a safe query"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// # Safety
/// `oid` must name a function (it came out of parse analysis).
unsafe fn check_function(site: Site, oid: pg_sys::Oid) -> Result<(), Refusal> {
    // SAFETY: catalog look-ups by a valid OID.
    unsafe {
        let name = cstr_or(pg_sys::get_func_name(oid), "?");
        let schema = cstr_or(pg_sys::get_namespace_name(pg_sys::get_func_namespace(oid)), "?");
        let extension = extension_of(pg_sys::ProcedureRelationId, oid);
        let f = Function {
            name: &name,
            schema: &schema,
            volatility: pg_sys::func_volatile(oid) as u8,
            extension: extension.as_deref(),
        };
        gate::check_function(site, &f).map_err(not_allowed)
    }
}

/// Refuses catalog-reference values (`regclass`, `regrole`, …) by the type of
/// the expression: whatever produced them, their output is a catalog look-up.
///
/// # Safety
/// `node` must be an expression node that `exprType` understands.
unsafe fn check_value(node: *mut pg_sys::Node) -> Result<(), Refusal> {
    // SAFETY: exprType accepts the expression nodes check_node passes.
    let ty = unsafe { pg_sys::exprType(node) };
    // Every catalog-reference type (and its array) is built in: a type made
    // later (an OID at or past FirstNormalObjectId) never is one.
    if ty.to_u32() >= pg_sys::FirstNormalObjectId {
        return Ok(());
    }
    // SAFETY: syscache look-up by a valid type OID.
    let Some((name, _)) = (unsafe { type_identity(ty) }) else { return Ok(()) };
    gate::check_value_type(&name).map_err(not_allowed)
}

/// A type's name and schema (`pg_type.typname`, `typnamespace`), if it exists.
///
/// # Safety
/// Must run inside a transaction.
unsafe fn type_identity(oid: pg_sys::Oid) -> Option<(String, pg_sys::Oid)> {
    // SAFETY: syscache look-up by OID; the tuple is released before returning.
    unsafe {
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::TYPEOID as c_int, pg_sys::Datum::from(oid));
        if tuple.is_null() {
            return None;
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_type>(tuple);
        let name = CStr::from_ptr((*form).typname.data.as_ptr()).to_string_lossy().into_owned();
        let namespace = (*form).typnamespace;
        pg_sys::ReleaseSysCache(tuple);
        Some((name, namespace))
    }
}

/// Refuses operators outside `pg_catalog` and trusted extensions
/// (`zava_core::gate::check_operator`).
///
/// # Safety
/// `oid` must name an operator (it came out of parse analysis).
unsafe fn check_operator(oid: pg_sys::Oid) -> Result<(), Refusal> {
    // SAFETY: syscache look-up by OID; the tuple is released before returning.
    unsafe {
        let tuple = pg_sys::SearchSysCache1(pg_sys::SysCacheIdentifier::OPEROID as c_int, pg_sys::Datum::from(oid));
        if tuple.is_null() {
            return Err(not_allowed(format!("unknown operator {}", oid.to_u32())));
        }
        let form = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_operator>(tuple);
        let name = CStr::from_ptr((*form).oprname.data.as_ptr()).to_string_lossy().into_owned();
        let namespace = (*form).oprnamespace;
        pg_sys::ReleaseSysCache(tuple);
        let schema = cstr_or(pg_sys::get_namespace_name(namespace), "?");
        let extension = extension_of(pg_sys::OperatorRelationId, oid);
        gate::check_operator(&schema, extension.as_deref(), &name).map_err(not_allowed)
    }
}

/// The name a query uses for a system column (`Var.varattno` < 0).
fn system_column_name(attno: pg_sys::AttrNumber) -> &'static str {
    match attno {
        -1 => "ctid",
        -2 => "xmin",
        -3 => "cmin",
        -4 => "xmax",
        -5 => "cmax",
        -6 => "tableoid",
        _ => "(system column)",
    }
}

/// # Safety
/// `oid` must name a type.
unsafe fn check_type(oid: pg_sys::Oid) -> Result<(), Refusal> {
    // SAFETY: catalog look-ups by a valid OID.
    unsafe {
        let Some((name, namespace)) = type_identity(oid) else {
            return Err(not_allowed(format!("unknown type {}", oid.to_u32())));
        };
        let schema = cstr_or(pg_sys::get_namespace_name(namespace), "?");
        let extension = extension_of(pg_sys::TypeRelationId, oid);
        gate::check_type(&schema, extension.as_deref(), &name).map_err(not_allowed)
    }
}

/// # Safety
/// `class`/`oid` must identify a catalog object.
unsafe fn extension_of(class: pg_sys::Oid, oid: pg_sys::Oid) -> Option<String> {
    // SAFETY: dependency look-up; get_extension_name returns NULL for none.
    unsafe {
        let ext = pg_sys::getExtensionOfObject(class, oid);
        if ext == pg_sys::InvalidOid {
            return None;
        }
        let name = pg_sys::get_extension_name(ext);
        (!name.is_null()).then(|| CStr::from_ptr(name).to_string_lossy().into_owned())
    }
}

/// # Safety
/// `p` must be NULL or a valid C string.
unsafe fn cstr_or(p: *const std::ffi::c_char, fallback: &str) -> String {
    if p.is_null() {
        fallback.to_string()
    } else {
        // SAFETY: non-null C string from Postgres.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// Runs the gated text through a read-only cursor with the limits in place;
/// returns the answer as JSON text.
///
/// # Safety
/// Must run inside a transaction, after `analyze`/`check_tree` accepted `text`.
unsafe fn execute(text: &CStr, max_rows: usize, timeout_ms: i32) -> Vec<u8> {
    // SAFETY: as with_limits requires; read_rows runs inside Spi::connect.
    unsafe { with_limits(timeout_ms, || Spi::connect(|_client| read_rows(text, max_rows))) }
}

/// Runs `run` with a safe query's limits in force (work_mem, temp files, no
/// parallel workers or JIT, ISO dates, a deadline of `timeout_ms`), then puts
/// the caller's settings and deadline back.
///
/// # Safety
/// Main thread of a backend, inside a transaction.
unsafe fn with_limits<R>(timeout_ms: i32, run: impl FnOnce() -> R + std::panic::UnwindSafe) -> R {
    // SAFETY: GUC and timeout calls of the running backend; both are restored
    // below, and transaction abort restores them on error.
    unsafe {
        let nest = pg_sys::NewGUCNestLevel();
        // Never more than the session has: a principal's login may be held to
        // less (docs/security.md, "psql logins").
        let work_mem = CString::new(format!("{}kB", pg_sys::work_mem.min(WORK_MEM_KB))).expect("no NUL");
        for (name, value, context) in [
            (c"temp_file_limit", TEMP_FILE_LIMIT_KB, pg_sys::GucContext::PGC_SUSET),
            (c"work_mem", work_mem.as_c_str(), pg_sys::GucContext::PGC_USERSET),
            // Workers are other processes, outside this backend's memory budget.
            (c"max_parallel_workers_per_gather", c"0", pg_sys::GucContext::PGC_USERSET),
            (c"jit", c"off", pg_sys::GucContext::PGC_USERSET),
            // Answers are JSON: dates in ISO 8601 whatever the session's style.
            (c"DateStyle", c"ISO, YMD", pg_sys::GucContext::PGC_USERSET),
        ] {
            pg_sys::set_config_option(
                name.as_ptr(),
                value.as_ptr(),
                context,
                pg_sys::GucSource::PGC_S_SESSION,
                pg_sys::GucAction::GUC_ACTION_SAVE,
                true,
                0,
                false,
            );
        }
        // Our deadline, unless the statement already has an earlier one.
        let outer = timeout::statement_deadline();
        let ours = pg_sys::GetCurrentTimestamp() + timeout_ms as i64 * 1000;
        if outer.is_none_or(|o| ours < o) {
            timeout::set_statement_deadline(ours);
        }
        // The deadline is ours only while the query runs: put the outer one
        // back on every path, or a caller that catches our error (an exception
        // block) would be cancelled later by a timer it never set.
        let answer = PgTryBuilder::new(run)
            .finally(|| match outer {
                Some(o) => timeout::set_statement_deadline(o),
                None => timeout::clear_statement_deadline(),
            })
            .execute();
        pg_sys::AtEOXact_GUC(true, nest);
        answer
    }
}

/// How one column's values become JSON.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Bool,
    Integer,
    Float,
    Numeric,
    /// `json`/`jsonb`: their text is JSON already, embedded as it is.
    Json,
    Text,
}

struct Column {
    output: pg_sys::Oid,
    /// `typlen`: -1 for varlena types (whose size is checked before output).
    len: i16,
    shape: Shape,
}

/// Reads the cursor one row at a time into one JSON buffer:
/// `{"columns": […], "rows": [[…], …], "row_count": n, "truncated": b, "truncated_by": …}`.
/// Before a value is converted its stored size is compared with what is left of
/// `MAX_ANSWER_BYTES`, so no value larger than the answer is ever turned into text.
///
/// # Safety
/// Must run inside `Spi::connect`.
unsafe fn read_rows(text: &CStr, max_rows: usize) -> Vec<u8> {
    // SAFETY: SPI is connected; the portal and tuple tables are SPI's.
    unsafe {
        let portal = pg_sys::SPI_cursor_open_with_args(
            std::ptr::null(),
            text.as_ptr(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null(),
            true, // read_only
            0,
        );
        if portal.is_null() {
            raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, "could not open a cursor for the query");
        }
        let desc = (*portal).tupDesc;
        let natts = (*desc).natts as usize;
        let mut out: Vec<u8> = Vec::with_capacity(4096);
        out.extend_from_slice(b"{\"columns\":[");
        let mut columns = Vec::with_capacity(natts);
        for i in 0..natts {
            let att = (*desc).attrs.as_ptr().add(i);
            let name = CStr::from_ptr((*att).attname.data.as_ptr()).to_string_lossy();
            let ty = cstr_or(pg_sys::format_type_be((*att).atttypid), "?");
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"name\":");
            json_string(&mut out, &name);
            out.extend_from_slice(b",\"type\":");
            json_string(&mut out, &ty);
            out.push(b'}');
            let mut output = pg_sys::InvalidOid;
            let mut varlena = false;
            pg_sys::getTypeOutputInfo((*att).atttypid, &mut output, &mut varlena);
            columns.push(Column { output, len: (*att).attlen, shape: shape_of((*att).atttypid) });
        }
        out.extend_from_slice(b"],\"rows\":[");
        let rows_start = out.len();
        let mut rows = 0usize;
        let mut truncated_by: Option<&str> = None;
        'fetch: loop {
            pg_sys::SPI_cursor_fetch(portal, true, 1);
            let table = pg_sys::SPI_tuptable;
            if pg_sys::SPI_processed == 0 || table.is_null() {
                break;
            }
            // One row beyond the cap tells us whether the answer was cut.
            if rows == max_rows {
                truncated_by = Some("max_rows");
                break;
            }
            let tuple = *(*table).vals;
            let row_start = out.len();
            out.push(if rows > 0 { b',' } else { b'[' });
            if rows > 0 {
                out.push(b'[');
            }
            for (c, col) in columns.iter().enumerate() {
                if c > 0 {
                    out.push(b',');
                }
                let mut isnull = false;
                let datum = pg_sys::SPI_getbinval(tuple, (*table).tupdesc, (c + 1) as c_int, &mut isnull);
                if isnull {
                    out.extend_from_slice(b"null");
                    continue;
                }
                // The stored (detoasted) size, before anything is converted.
                let size = if col.len == -1 { pg_sys::toast_raw_datum_size(datum) } else { 16 };
                if out.len() - rows_start + size > MAX_ANSWER_BYTES {
                    out.truncate(row_start);
                    truncated_by = Some("max_bytes");
                    break 'fetch;
                }
                let value = pg_sys::OidOutputFunctionCall(col.output, datum);
                append_value(&mut out, col.shape, CStr::from_ptr(value).to_bytes());
                pg_sys::pfree(value.cast());
            }
            out.push(b']');
            pg_sys::SPI_freetuptable(table);
            if out.len() - rows_start > MAX_ANSWER_BYTES {
                out.truncate(row_start);
                truncated_by = Some("max_bytes");
                break;
            }
            rows += 1;
        }
        pg_sys::SPI_cursor_close(portal);
        out.extend_from_slice(format!("],\"row_count\":{rows},\"truncated\":{}", truncated_by.is_some()).as_bytes());
        out.extend_from_slice(b",\"truncated_by\":");
        match truncated_by {
            Some(t) => json_string(&mut out, t),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
        out
    }
}

fn shape_of(type_oid: pg_sys::Oid) -> Shape {
    match type_oid {
        pg_sys::BOOLOID => Shape::Bool,
        pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID | pg_sys::OIDOID => Shape::Integer,
        pg_sys::FLOAT4OID | pg_sys::FLOAT8OID => Shape::Float,
        pg_sys::NUMERICOID => Shape::Numeric,
        pg_sys::JSONOID | pg_sys::JSONBOID => Shape::Json,
        _ => Shape::Text,
    }
}

/// Appends a column value (its text form) as JSON: numbers as numbers where
/// exact, JSON as JSON, everything else as a string.
fn append_value(out: &mut Vec<u8>, shape: Shape, text: &[u8]) {
    let as_text = String::from_utf8_lossy(text);
    match shape {
        Shape::Bool => out.extend_from_slice(if text == b"t" { b"true" } else { b"false" }),
        // Postgres prints integers as JSON integers.
        Shape::Integer => out.extend_from_slice(text),
        Shape::Float => match as_text.parse::<f64>() {
            Ok(f) if f.is_finite() => out.extend_from_slice(serde_json::Value::from(f).to_string().as_bytes()),
            _ => json_string(out, &as_text),
        },
        Shape::Numeric => match gate::exact_decimal(&as_text) {
            Some(f) => out.extend_from_slice(serde_json::Value::from(f).to_string().as_bytes()),
            None => json_string(out, &as_text),
        },
        Shape::Json => out.extend_from_slice(text),
        Shape::Text => json_string(out, &as_text),
    }
}

/// Appends `s` as a JSON string literal.
fn json_string(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}
