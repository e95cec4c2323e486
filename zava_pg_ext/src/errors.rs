//! Raising Postgres errors with a real SQLSTATE, a message and a hint.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Raises `ERROR` with `code` and `message`; never returns.
#[track_caller]
pub fn raise(code: PgSqlErrorCode, message: impl Into<String>) -> ! {
    ErrorReport::new(code, message.into(), "zava").report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}

/// Raises `ERROR` with a hint telling the caller what to do instead.
#[track_caller]
pub fn raise_hint(code: PgSqlErrorCode, message: impl Into<String>, hint: impl Into<String>) -> ! {
    ErrorReport::new(code, message.into(), "zava").set_hint(hint.into()).report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return")
}
