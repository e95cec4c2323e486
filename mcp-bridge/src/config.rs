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

/// Refuses to listen beyond loopback without tokens or OAuth sign-in (or with
/// the development header enabled).
pub fn check_listen(addr: &SocketAddr, tokens: &Tokens, oauth: bool, dev_header: bool) -> Result<(), String> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    if tokens.is_empty() && !oauth {
        return Err(format!(
            "refusing to listen on {addr} (beyond loopback) without bearer tokens or OAuth sign-in configured"
        ));
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
        assert!(check_listen(&lo, &none, false, true).is_ok());
        assert!(check_listen(&any, &none, false, false).is_err());
        assert!(check_listen(&any, &none, true, false).is_ok(), "OAuth sign-in is enough");
        assert!(check_listen(&any, &none, true, true).is_err());
        assert!(check_listen(&any, &some, false, true).is_err());
        assert!(check_listen(&any, &some, false, false).is_ok());
    }
}

/// Property tests: the token and header parsers take text from files, the
/// environment and every request.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// A valid token: 16–40 printable characters, no whitespace, no `,` (so it
    /// also fits ZAVA_TOKENS), possibly `=`.
    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9+/=:._~!-]{16,40}"
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        #[test]
        fn any_tokens_file_parses_or_names_its_line(text in "\\PC{0,200}|([ \\t]*[A-Za-z0-9=#-]{0,40}[ \\t]+[0-9a-f-]{0,40}[ \\t]*\\n){0,4}") {
            match Tokens::parse_file(&text) {
                Ok(t) => prop_assert!(t.len() <= text.lines().count()),
                Err(e) => prop_assert!(e.starts_with("tokens file, line "), "{e}"),
            }
        }

        #[test]
        fn any_tokens_env_parses_or_names_its_entry(text in "\\PC{0,200}") {
            if let Err(e) = Tokens::parse_env(&text) {
                prop_assert!(e.starts_with("ZAVA_TOKENS, entry "), "{e}");
            }
        }

        #[test]
        fn valid_tokens_map_to_their_principals(entries in prop::collection::btree_map(token(), any::<u128>(), 1..8)) {
            let file: String = entries.iter().map(|(t, p)| format!("{t}\t {}  label\n", Uuid::from_u128(*p))).collect();
            let env: Vec<String> = entries.iter().map(|(t, p)| format!("{t}={}", Uuid::from_u128(*p))).collect();
            for tokens in [Tokens::parse_file(&file).expect("valid file"), Tokens::parse_env(&env.join(",")).expect("valid env")] {
                prop_assert_eq!(tokens.len(), entries.len());
                for (t, p) in &entries {
                    prop_assert_eq!(tokens.principal(t), Some(Uuid::from_u128(*p)));
                    let mut other = t.clone();
                    other.push('x');
                    if !entries.contains_key(&other) {
                        prop_assert_eq!(tokens.principal(&other), None);
                    }
                }
            }
        }

        #[test]
        fn bearer_headers(header in "\\PC{0,60}", t in token()) {
            if let Some(found) = bearer(&header) {
                prop_assert!(!found.is_empty() && header.contains(found));
            }
            let header = format!("Bearer {t}");
            prop_assert_eq!(bearer(&header), Some(t.as_str()));
        }

        #[test]
        fn origins_are_allowed_only_for_listed_hosts(origin in "\\PC{0,40}|(https?|ftp)://[a-z.\\[\\]:0-9@/]{0,30}") {
            let hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            if origin_allowed(&origin, &hosts, &[]) {
                let rest = origin.trim().split_once("://").map(|(_, r)| r).unwrap_or("");
                let host = rest.rsplit_once(':').map_or(rest, |(h, _)| h);
                prop_assert!(hosts.iter().any(|h| h.eq_ignore_ascii_case(host)), "{origin:?}");
            }
        }
    }
}
