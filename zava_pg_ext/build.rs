//! Build-time checks against the PostgreSQL headers the extension is built for.
//!
//! `query_gate.rs` calls four functions of `utils/timeout.h`, which pgrx does
//! not bind. Their `TimeoutId` argument is a C enum; the value of
//! `STATEMENT_TIMEOUT` is read here from the header itself (never typed by
//! hand) and handed to the crate as `ZAVA_PG_STATEMENT_TIMEOUT`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PGRX_PG_CONFIG_PATH");
    println!("cargo:rerun-if-env-changed=PG_CONFIG");
    let pg_config = std::env::var("PGRX_PG_CONFIG_PATH")
        .or_else(|_| std::env::var("PG_CONFIG"))
        .unwrap_or_else(|_| "pg_config".into());
    let out = Command::new(&pg_config)
        .arg("--includedir-server")
        .output()
        .unwrap_or_else(|e| panic!("zava: cannot run {pg_config} --includedir-server: {e}"));
    assert!(out.status.success(), "zava: {pg_config} --includedir-server failed");
    let header = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("utils/timeout.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text =
        std::fs::read_to_string(&header).unwrap_or_else(|e| panic!("zava: cannot read {}: {e}", header.display()));
    let value = enum_value(&text, "TimeoutId", "STATEMENT_TIMEOUT")
        .unwrap_or_else(|e| panic!("zava: {}: {e}", header.display()));
    println!("cargo:rustc-env=ZAVA_PG_STATEMENT_TIMEOUT={value}");
}

/// The value of `member` in `typedef enum name { … }`, for enums whose members
/// up to `member` take implicit values (0, 1, 2, …).
fn enum_value(header: &str, name: &str, member: &str) -> Result<usize, String> {
    let start = header.find(&format!("typedef enum {name}")).ok_or(format!("no enum {name}"))?;
    let body = &header[start..];
    let open = body.find('{').ok_or("no enum body")?;
    let close = body.find('}').ok_or("no enum end")?;
    let mut body = body[open + 1..close].to_string();
    while let Some(c) = body.find("/*") {
        let end = body[c..].find("*/").ok_or("unterminated comment")? + c + 2;
        body.replace_range(c..end, "");
    }
    for (i, item) in body.split(',').map(str::trim).enumerate() {
        if item.contains('=') {
            return Err(format!("{name} member {item} has an explicit value before {member}"));
        }
        if item == member {
            return Ok(i);
        }
    }
    Err(format!("{member} is not a member of {name}"))
}
