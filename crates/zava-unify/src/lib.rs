//! No code. Depending on this crate gives every build of the workspace the
//! same features of the dependencies the builds share (see Cargo.toml).
