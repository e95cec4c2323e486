//! Bearer tokens → principals, and listen-address rules. Pure.

use std::collections::HashMap;
use std::net::SocketAddr;

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Token → principal. Tokens are kept only as SHA-256 digests, so a lookup
/// never compares secrets byte by byte and a memory dump shows no token.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    by_digest: HashMap<[u8; 32], (Uuid, String)>,
}

/// The SHA-256 digest tokens are kept and compared as.
pub fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Parses a tokens file: one `token principal-uuid [login-name]` per line,
    /// fields separated by any whitespace; blank lines and `#` comments are
    /// ignored. A token is any run of printable characters without whitespace
    /// (base64 with `=` padding, `:`, `/` …), at least 16 of them. Anything else
    /// — a fourth field, a control character, a short token, a bad UUID, a
    /// token given twice — is an error naming the line, never a silent cut.
    pub fn parse_file(text: &str) -> Result<Tokens, String> {
        let mut tokens = Tokens::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = |what: String| format!("tokens file, line {}: {what}", i + 1);
            let (token, principal, label) = match fields.as_slice() {
                [t, p] => (*t, *p, ""),
                [t, p, l] => (*t, *p, *l),
                _ => {
                    return Err(at(format!(
                        "expected `token principal-uuid [login-name]`, found {} field(s)",
                        fields.len()
                    )));
                }
            };
            tokens.add(token, principal, label).map_err(at)?;
        }
        Ok(tokens)
    }

    /// Parses `ZAVA_TOKENS`: `token=principal-uuid` pairs separated by commas.
    /// The UUID follows the last `=`, so a token may itself contain `=`.
    pub fn parse_env(text: &str) -> Result<Tokens, String> {
        let mut tokens = Tokens::default();
        for (i, pair) in text.split(',').map(str::trim).enumerate() {
            if pair.is_empty() {
                continue;
            }
            let at = |what: String| format!("ZAVA_TOKENS, entry {}: {what}", i + 1);
            let Some((token, principal)) = pair.rsplit_once('=') else {
                return Err(at("expected `token=principal-uuid`".into()));
            };
            tokens.add(token, principal, "").map_err(at)?;
        }
        Ok(tokens)
    }

    fn add(&mut self, token: &str, principal: &str, label: &str) -> Result<(), String> {
        if let Some(c) = token.chars().find(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!("the token contains the non-printable character {c:?}"));
        }
        if token.chars().count() < 16 {
            return Err("the token is shorter than 16 characters".into());
        }
        let principal = Uuid::parse_str(principal).map_err(|_| format!("`{principal}` is not a UUID"))?;
        if self.by_digest.insert(digest(token), (principal, label.to_string())).is_some() {
            return Err("the token repeats an earlier one".into());
        }
        Ok(())
    }

    /// Adds the tokens of another source (file and environment); a token given
    /// twice is refused, as within one source.
    pub fn merge(&mut self, other: Tokens) -> Result<(), String> {
        for (digest, entry) in other.by_digest {
            if self.by_digest.insert(digest, entry).is_some() {
                return Err("a token is given twice (in the tokens file and in ZAVA_TOKENS)".into());
            }
        }
        Ok(())
    }

    pub fn principal(&self, token: &str) -> Option<Uuid> {
        self.by_digest.get(&digest(token)).map(|(p, _)| *p)
    }

    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
}

/// Whether a request's `Origin` header may be served (DNS-rebinding and
/// cross-site protection): its host is one of `hosts` (the names accepted in
/// `Host`), or the whole origin is one of `origins` (`https://app.example`).
/// `null` and anything that is not `scheme://host[:port]` are refused.
pub fn origin_allowed(origin: &str, hosts: &[String], origins: &[String]) -> bool {
    let origin = origin.trim();
    if origins.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") || rest.contains(['/', '@', '?', '#']) {
        return false;
    }
    // Host without the port; IPv6 literals come in brackets.
    let host = match rest.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, tail)) if tail.is_empty() || tail.starts_with(':') => h,
            _ => return false,
        },
        None => rest.rsplit_once(':').map_or(rest, |(h, _)| h),
    };
    !host.is_empty() && hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
}

/// Refuses to listen beyond loopback without tokens (or with the development
/// header enabled).
pub fn check_listen(addr: &SocketAddr, tokens: &Tokens, dev_header: bool) -> Result<(), String> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if tokens.is_empty() {
        return Err(format!("refusing to listen on {addr} (beyond loopback) without bearer tokens configured"));
    }
    if dev_header {
        return Err(format!(
            "refusing to listen on {addr} (beyond loopback) with the x-rls-user-id development header enabled"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const P1: &str = "7a0a0000-0000-4000-8000-000000000011";
    const P2: &str = "7a0a0000-0000-4000-8000-000000000001";

    #[test]
    fn parses_files_and_env_pairs() {
        let file = format!("# demo tokens\n0123456789abcdef0123 {P1} seattle\n\nfedcba9876543210fedc {P2}\n");
        let t = Tokens::parse_file(&file).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.principal("0123456789abcdef0123").unwrap().to_string(), P1);
        assert_eq!(t.principal("nope"), None);
        let env = format!("0123456789abcdef0123={P1},fedcba9876543210fedc={P2}");
        assert_eq!(Tokens::parse_env(&env).unwrap().principal("fedcba9876543210fedc").unwrap().to_string(), P2);
    }

    #[test]
    fn tokens_are_any_printable_text() {
        // base64 with padding, and a label after two spaces or a tab.
        let file = format!("dGhpcyBpcyBhIHRva2VuIQ==  {P1}  seattle_manager\nab:cd/ef+gh=ij.kl\t{P2}\n");
        let t = Tokens::parse_file(&file).unwrap();
        assert_eq!(t.principal("dGhpcyBpcyBhIHRva2VuIQ==").unwrap().to_string(), P1);
        assert_eq!(t.principal("ab:cd/ef+gh=ij.kl").unwrap().to_string(), P2);
        assert_eq!(t.principal("dGhpcyBpcyBhIHRva2VuIQ"), None, "never cut short at '='");
        let env = Tokens::parse_env(&format!("dGhpcyBpcyBhIHRva2VuIQ=={P1}")).unwrap();
        assert_eq!(env.principal("dGhpcyBpcyBhIHRva2VuIQ=").unwrap().to_string(), P1, "the UUID follows the last '='");
    }

    #[test]
    fn rejects_bad_entries_naming_the_line() {
        let err = |text: &str| Tokens::parse_file(text).unwrap_err();
        assert_eq!(err(&format!("# c\nshort {P1}")), "tokens file, line 2: the token is shorter than 16 characters");
        assert!(err("0123456789abcdef0123 not-a-uuid").starts_with("tokens file, line 1: `not-a-uuid` is not a UUID"));
        assert!(err("0123456789abcdef0123").contains("line 1: expected `token principal-uuid [login-name]`"));
        assert!(err(&format!("0123456789abcdef0123 {P1} seattle extra")).contains("found 4 field(s)"));
        assert!(err(&format!("0123456789abc\u{7}def0123 {P1}")).contains("non-printable"));
        let twice = format!("0123456789abcdef0123 {P1}\n\n0123456789abcdef0123 {P2}\n");
        assert_eq!(err(&twice), "tokens file, line 3: the token repeats an earlier one");
        assert!(
            Tokens::parse_env(&format!("0123456789abcdef0123={P1},oops"))
                .unwrap_err()
                .starts_with("ZAVA_TOKENS, entry 2")
        );
    }

    #[test]
    fn file_and_environment_tokens_merge() {
        let mut file = Tokens::parse_file(&format!("0123456789abcdef0123 {P1} seattle\n")).unwrap();
        file.merge(Tokens::parse_env(&format!("fedcba9876543210fedc={P2}")).unwrap()).unwrap();
        assert_eq!(file.len(), 2);
        assert_eq!(file.principal("fedcba9876543210fedc").unwrap().to_string(), P2);
        let again = Tokens::parse_env(&format!("0123456789abcdef0123={P2}")).unwrap();
        assert!(file.merge(again).unwrap_err().contains("twice"));
    }

    #[test]
    fn origins() {
        let hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].iter().map(|s| s.to_string()).collect();
        let origins = vec!["https://app.example".to_string()];
        for ok in [
            "http://localhost:8765",
            "http://127.0.0.1",
            "https://LOCALHOST",
            "http://[::1]:8765",
            "https://app.example",
        ] {
            assert!(origin_allowed(ok, &hosts, &origins), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.nip.io:8765",
            "null",
            "file://localhost",
            "http://evil.example/localhost",
            "http://localhost@evil.example",
            "https://app.example.evil",
            "http://[::1]evil",
            "",
        ] {
            assert!(!origin_allowed(bad, &hosts, &origins), "{bad}");
        }
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }

    #[test]
    fn listening_beyond_loopback_needs_tokens() {
        let none = Tokens::default();
        let some = Tokens::parse_file(&format!("0123456789abcdef0123 {P1}")).unwrap();
        let lo: SocketAddr = "127.0.0.1:8765".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8765".parse().unwrap();
        assert!(check_listen(&lo, &none, true).is_ok());
        assert!(check_listen(&any, &none, false).is_err());
        assert!(check_listen(&any, &some, true).is_err());
        assert!(check_listen(&any, &some, false).is_ok());
    }
}
