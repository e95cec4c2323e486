//! Empty: the build-dependencies in Cargo.toml unify host-side features
//! (proc macros, build scripts) across the workspace's builds.
fn main() {}
