//! The `zava` extension: retail schema, tenant isolation and demo data inside
//! PostgreSQL. Pure logic lives in the `zava-core` crate; this crate is the glue.
//!
//! Load order of the extension script: `sql/schema.sql` (roles, tables) first,
//! then the Rust functions, then `sql/security.sql` (RLS policies that call the
//! Rust identity helpers, and function privileges).

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

/// Lets a pg_extern return a type whose `IntoDatum` builds the datum itself.
macro_rules! box_ret {
    ($t:ty) => {
        // SAFETY: returns the datum `into_datum` built in the call's memory
        // context, exactly as pgrx does for its own types.
        unsafe impl pgrx::callconv::BoxRet for $t {
            unsafe fn box_into<'fcx>(self, fcinfo: &mut pgrx::callconv::FcInfo<'fcx>) -> pgrx::datum::Datum<'fcx> {
                match self.into_datum() {
                    // SAFETY: a valid datum of the declared return type.
                    Some(datum) => unsafe { fcinfo.return_raw_datum(datum) },
                    None => fcinfo.return_null(),
                }
            }
        }
    };
}

mod analytics;
mod demo;
mod embed;
mod errors;
mod identity;
mod memory;
mod merger;
mod query_gate;
mod rollups;
mod session_guard;

/// Rust allocations never fail under a query's memory budget (see `memory.rs`).
#[global_allocator]
static ALLOCATOR: memory::BudgetAwareAllocator = memory::BudgetAwareAllocator;

pgrx::extension_sql_file!("../../sql/schema.sql", name = "schema", bootstrap);
pgrx::extension_sql_file!(
    "../../sql/rollups.sql",
    name = "rollups",
    requires = [
        "schema",
        rollups::rollups_paused,
        merger::merge_wanted,
        rollups::customer_set,
        rollups::customer_set_union,
        rollups::customer_set_union_count,
        rollups::customer_set_union_all,
        rollups::customer_set_members,
        rollups::buyers,
        rollups::buyers_merge,
        rollups::buyers_members
    ]
);
pgrx::extension_sql_file!(
    "../../sql/analytics.sql",
    name = "analytics",
    requires = ["rollups", analytics::period_range, analytics::performance_insights, identity::current_store_ids]
);
pgrx::extension_sql_file!(
    "../../sql/search.sql",
    name = "search",
    requires = ["analytics", embed::embed, embed::embed_batch, identity::whoami]
);
pgrx::extension_sql_file!(
    "../../sql/mcp.sql",
    name = "mcp",
    requires = [
        "search",
        analytics::sales_trend,
        analytics::top_products,
        analytics::category_breakdown,
        analytics::inventory_alerts,
        identity::current_store_ids
    ]
);
pgrx::extension_sql_file!("../../sql/signin.sql", name = "signin", requires = ["mcp"]);
pgrx::extension_sql_file!("../../sql/security.sql", name = "security", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    identity::init();
    embed::init();
    session_guard::init();
    merger::init();
}

#[cfg(any(test, feature = "pg_test"))]
mod pg_tests;

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec!["timezone = 'UTC'"]
    }
}
