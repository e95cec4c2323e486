//! Zava's pure logic: everything that does not need a running Postgres.
//!
//! The pgrx crate (`zava_pg_ext`) is glue around these modules; keeping them
//! here means `cargo test -p zava-core` covers them in seconds, without a server.

pub mod analytics;
pub mod buyers;
pub mod calendar;
pub mod catalog;
pub mod customer_sets;
pub mod decimal;
pub mod demo;
pub mod gate;
pub mod json;
pub mod login_limits;
pub mod principals;
pub mod report;
pub mod rng;
