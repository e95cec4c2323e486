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

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Parses `token principal-uuid [label]` lines (blank lines and `#`
    /// comments ignored) or `token=uuid` pairs separated by commas.
    pub fn parse(text: &str) -> Result<Tokens, String> {
        let mut tokens = Tokens::default();
        let entries: Vec<&str> =
            if text.contains('\n') || !text.contains('=') { text.lines().collect() } else { text.split(',').collect() };
        for (i, raw) in entries.iter().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, |c: char| c == '=' || c.is_whitespace()).filter(|p| !p.is_empty());
            let (Some(token), Some(principal)) = (parts.next(), parts.next()) else {
                return Err(format!("token entry {} is not `token principal-uuid`", i + 1));
            };
            if token.len() < 16 {
                return Err(format!("token entry {} is shorter than 16 characters", i + 1));
            }
            let principal = Uuid::parse_str(principal)
                .map_err(|_| format!("token entry {}: `{principal}` is not a UUID", i + 1))?;
            let label = parts.next().unwrap_or("").trim().to_string();
            if tokens.by_digest.insert(digest(token), (principal, label)).is_some() {
                return Err(format!("token entry {} repeats an earlier token", i + 1));
            }
        }
        Ok(tokens)
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
        let t = Tokens::parse(&file).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.principal("0123456789abcdef0123").unwrap().to_string(), P1);
        assert_eq!(t.principal("nope"), None);
        let env = format!("0123456789abcdef0123={P1},fedcba9876543210fedc={P2}");
        assert_eq!(Tokens::parse(&env).unwrap().principal("fedcba9876543210fedc").unwrap().to_string(), P2);
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(Tokens::parse("short 7a0a0000-0000-4000-8000-000000000011").unwrap_err().contains("shorter"));
        assert!(Tokens::parse("0123456789abcdef0123 not-a-uuid").unwrap_err().contains("not a UUID"));
        assert!(Tokens::parse("0123456789abcdef0123").unwrap_err().contains("token principal-uuid"));
        let twice = format!("0123456789abcdef0123 {P1}\n0123456789abcdef0123 {P2}\n");
        assert!(Tokens::parse(&twice).unwrap_err().contains("repeats"));
    }

    #[test]
    fn file_and_environment_tokens_merge() {
        let mut file = Tokens::parse(&format!("0123456789abcdef0123 {P1} seattle\n")).unwrap();
        file.merge(Tokens::parse(&format!("fedcba9876543210fedc={P2}")).unwrap()).unwrap();
        assert_eq!(file.len(), 2);
        assert_eq!(file.principal("fedcba9876543210fedc").unwrap().to_string(), P2);
        let again = Tokens::parse(&format!("0123456789abcdef0123={P2}")).unwrap();
        assert!(file.merge(again).unwrap_err().contains("twice"));
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
        let some = Tokens::parse(&format!("0123456789abcdef0123 {P1}")).unwrap();
        let lo: SocketAddr = "127.0.0.1:8765".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8765".parse().unwrap();
        assert!(check_listen(&lo, &none, true).is_ok());
        assert!(check_listen(&any, &none, false).is_err());
        assert!(check_listen(&any, &some, true).is_err());
        assert!(check_listen(&any, &some, false).is_ok());
    }
}
