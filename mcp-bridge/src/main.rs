//! `zava-mcp`: the MCP server in front of the `zava` extension.
//!
//! Not built yet: this binary only reports its version and says so. The design
//! (one SQL function call per tool, under the caller's asserted identity) is in
//! docs/design.md.

use std::process::ExitCode;

const HELP: &str = "\
zava-mcp — MCP server for the Zava retail extension (not implemented yet)

This build only prints its version. The server (stdio and Streamable HTTP
transports, each tool one SQL call under the caller's principal) is planned;
see docs/design.md.

USAGE:
    zava-mcp --version    print the version
    zava-mcp --help       print this help
";

/// What to print, and the exit status, for the given arguments.
fn respond(args: &[String]) -> (u8, String) {
    match args {
        [] => (2, format!("zava-mcp: no command given\n\n{HELP}")),
        [a] if a == "--version" || a == "-V" => (0, format!("zava-mcp {}\n", env!("CARGO_PKG_VERSION"))),
        [a] if a == "--help" || a == "-h" => (0, HELP.to_string()),
        _ => (2, format!("zava-mcp: the server is not implemented yet; unsupported arguments {args:?}\n\n{HELP}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (code, text) = respond(&args);
    if code == 0 { print!("{text}") } else { eprint!("{text}") }
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> (u8, String) {
        respond(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn version_and_help_succeed_and_say_what_this_is() {
        assert_eq!(run(&["--version"]), (0, format!("zava-mcp {}\n", env!("CARGO_PKG_VERSION"))));
        let (code, help) = run(&["--help"]);
        assert_eq!(code, 0);
        assert!(help.contains("not implemented yet"));
    }

    #[test]
    fn anything_else_is_a_usage_error() {
        assert_eq!(run(&[]).0, 2);
        let (code, text) = run(&["http", "--listen", "127.0.0.1:8765"]);
        assert_eq!(code, 2);
        assert!(text.contains("not implemented yet"));
    }
}
