//! `zava-mcp http` as an OAuth 2.1 resource server (the MCP authorization
//! spec): access tokens are JWTs from one issuer, checked here, and the
//! principal they act as is what the database granted the token's issuer and
//! subject (or one of its groups) — `zava.principal_for_subject`.
//!
//! * **Metadata** (RFC 9728) at `/.well-known/oauth-protected-resource` and
//!   `/.well-known/oauth-protected-resource/mcp`: the resource, the issuer as
//!   its authorization server, the scopes.
//! * **Checks**: the signature against the issuer's JWKS (a URL, refreshed
//!   every `--oauth-jwks-refresh-s`, or a file, read again then), only
//!   RS256, ES256 and EdDSA, the key's type and `alg` matching the token's;
//!   `iss` exactly; `aud` must name this resource (no token passthrough);
//!   `exp` required and `nbf` honoured with `--oauth-leeway-s`; `sub`
//!   required; every `--oauth-scopes` scope in `scope` or `scp`.
//! * **Unknown `kid`**: the keys are fetched again at once — at most once per
//!   `--oauth-jwks-min-refresh-s`, so tokens with made-up key ids cannot make
//!   the bridge hammer the issuer — and the token is refused if the key is
//!   still unknown.
//! * **Checked once**: a token that passed is remembered (by its SHA-256)
//!   until its `exp`, for at most a minute, and until the keys are fetched
//!   again; its next requests skip the signature check.
//! * **Refusals** (RFC 6750): no token → 401 with `resource_metadata`; a bad
//!   token → 401 `error="invalid_token"`; a missing scope → 403
//!   `error="insufficient_scope"`; a valid token whose identity was granted no
//!   principal → 403. Never a default principal.

use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use moka::future::Cache;
use prometheus_client::metrics::counter::Counter;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

/// Where the issuer's public keys come from.
#[derive(Debug, Clone)]
pub enum JwksSource {
    Url(String),
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The `iss` every token must carry, and the authorization server the
    /// metadata names.
    pub issuer: String,
    /// The `aud` every token must name.
    pub audience: String,
    /// The resource identifier the metadata gives (default: the audience).
    pub resource: String,
    pub jwks: JwksSource,
    /// Scopes every token must hold.
    pub scopes: Vec<String>,
    /// A claim listing the caller's groups (e.g. `groups`, `roles`).
    pub groups_claim: Option<String>,
    pub leeway: Duration,
    pub jwks_refresh: Duration,
    pub jwks_min_refresh: Duration,
}

/// A JWKS URL must be https, so nobody on the way can hand the bridge their
/// own keys; plain http only on loopback (a test issuer).
pub fn check_jwks_url(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--oauth-jwks-url {url}: {e}"))?;
    let host = parsed.host_str().unwrap_or("");
    let loopback = host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme() {
        "https" => Ok(url.to_owned()),
        "http" if loopback => Ok(url.to_owned()),
        _ => Err(format!("--oauth-jwks-url {url}: the issuer's keys must come over https (http only on loopback)")),
    }
}

/// A token's checked identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub groups: Vec<String>,
}

/// Why a request is refused, and how (status and `WWW-Authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No credentials: 401, no error code (RFC 6750 §3.1).
    Missing,
    /// 401 `invalid_token`, with what is wrong.
    InvalidToken(String),
    /// 403 `insufficient_scope`: the scopes that are missing.
    InsufficientScope(Vec<String>),
    /// 403: a valid token whose identity acts as no principal.
    NotGranted(String),
    /// 503: the issuer's keys or the database cannot be reached now.
    Unavailable(String),
}

impl Refusal {
    /// The metric label of a refusal.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::InvalidToken(_) => "invalid_token",
            Refusal::InsufficientScope(_) => "insufficient_scope",
            Refusal::NotGranted(_) => "not_granted",
            Refusal::Unavailable(_) => "unavailable",
        }
    }
}

/// One usable verification key.
struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// A token that passed every check, kept so its next requests skip the
/// signature check (RSA verification costs more than the rest of a trivial
/// call): until its `exp`, for at most [`VERIFIED_FOR`], and only until the
/// issuer's keys are fetched again (a retired key's tokens are checked anew).
#[derive(Clone)]
struct Verified {
    identity: Identity,
    exp: f64,
}

const VERIFIED_FOR: Duration = Duration::from_secs(60);
const VERIFIED_MAX: u64 = 10_000;

pub struct OAuth {
    cfg: OAuthConfig,
    keys: RwLock<Option<Vec<Key>>>,
    /// SHA-256 of a token → what its check found (for [`VERIFIED_FOR`]).
    verified: Cache<[u8; 32], Verified>,
    /// When the keys were last fetched (successfully or not): the rate limit
    /// of refreshes asked for by unknown key ids.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    http: reqwest::Client,
    /// Fetches of the JWKS (a metric).
    fetches: Counter,
}

/// The algorithms accepted, and the key type each needs.
fn accepted(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA)
}

/// The algorithm a JWK is used with: its `alg` if given, else the one its
/// type implies; `None` for keys this server never uses (HMAC secrets,
/// encryption keys, other curves).
fn key_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
        _ => return None,
    };
    if matches!(jwk.common.public_key_use, Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)) {
        return None;
    }
    match jwk.common.key_algorithm {
        None => Some(implied),
        Some(KeyAlgorithm::RS256) if implied == Algorithm::RS256 => Some(implied),
        Some(KeyAlgorithm::ES256) if implied == Algorithm::ES256 => Some(implied),
        Some(KeyAlgorithm::EdDSA) if implied == Algorithm::EdDSA => Some(implied),
        Some(_) => None,
    }
}

/// The keys of a JWKS document this server can use (the others are skipped).
fn usable_keys(text: &str) -> Result<Vec<Key>, String> {
    // Parsed key by key: one key of a type this library does not know must
    // not make the whole set unusable.
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("the JWKS is not JSON: {e}"))?;
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return Err("the JWKS has no \"keys\" array".into());
    };
    let mut usable = Vec::new();
    for k in keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(k.clone()) else { continue };
        let Some(alg) = key_algorithm(&jwk) else { continue };
        let Ok(key) = DecodingKey::from_jwk(&jwk) else { continue };
        usable.push(Key { kid: jwk.common.key_id.clone(), alg, key });
    }
    Ok(usable)
}

/// The scopes a token holds: `scope` (RFC 9068, space-separated) and `scp`
/// (Microsoft Entra ID: a space-separated string, or an array).
fn token_scopes(claims: &Map<String, Value>) -> Vec<String> {
    let mut scopes = Vec::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
            Some(Value::Array(a)) => scopes.extend(a.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
    }
    scopes
}

/// What a token's check failed on, for the `error_description`.
fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::ExpiredSignature => "the token has expired".into(),
        K::ImmatureSignature => "the token is not valid yet (nbf)".into(),
        K::InvalidAudience => "the token is not for this resource (aud)".into(),
        K::InvalidIssuer => "the token is from another issuer (iss)".into(),
        K::InvalidSignature => "the token's signature does not verify".into(),
        K::InvalidAlgorithm | K::InvalidKeyFormat => "the token's algorithm does not match its key".into(),
        K::MissingRequiredClaim(c) => format!("the token has no \"{c}\" claim"),
        K::InvalidClaimFormat(c) => format!("the token's \"{c}\" claim is malformed"),
        _ => "the token is malformed".into(),
    }
}

impl OAuth {
    pub fn new(cfg: OAuthConfig, fetches: Counter) -> Result<OAuth, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("HTTP client for the JWKS: {e}"))?;
        Ok(OAuth {
            cfg,
            keys: RwLock::new(None),
            verified: Cache::builder().max_capacity(VERIFIED_MAX).time_to_live(VERIFIED_FOR).build(),
            last_fetch: tokio::sync::Mutex::new(None),
            http,
            fetches,
        })
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.cfg
    }

    /// Fetches the issuer's keys (the URL, or the file read again) and keeps
    /// them; the keys kept so far stay when this fails.
    pub async fn refresh(&self) -> Result<usize, String> {
        *self.last_fetch.lock().await = Some(Instant::now());
        self.fetch().await
    }

    async fn fetch(&self) -> Result<usize, String> {
        self.fetches.inc();
        let text = match &self.cfg.jwks {
            JwksSource::Url(url) => {
                let r = self.http.get(url).send().await.map_err(|e| format!("cannot fetch the JWKS {url}: {e}"))?;
                if !r.status().is_success() {
                    return Err(format!("the JWKS {url} answered HTTP {}", r.status()));
                }
                r.text().await.map_err(|e| format!("cannot read the JWKS {url}: {e}"))?
            }
            // A few kilobytes, read rarely: no need for a blocking-pool thread.
            JwksSource::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the JWKS file {}: {e}", path.display()))?,
        };
        let keys = usable_keys(&text)?;
        let n = keys.len();
        *self.keys.write().expect("JWKS lock") = Some(keys);
        self.verified.invalidate_all();
        Ok(n)
    }

    /// Fetches the keys now and every `--oauth-jwks-refresh-s` until `stop`
    /// (every 2 s until the first fetch succeeds).
    pub async fn watch(&self, stop: CancellationToken) {
        loop {
            let wait = match self.refresh().await {
                Ok(n) => {
                    tracing::info!(keys = n, "OAuth: issuer keys loaded");
                    self.cfg.jwks_refresh
                }
                Err(e) => {
                    tracing::warn!(error = %e, "OAuth: cannot load the issuer's keys");
                    if self.keys.read().expect("JWKS lock").is_some() {
                        self.cfg.jwks_refresh.min(Duration::from_secs(30))
                    } else {
                        Duration::from_secs(2)
                    }
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.cancelled() => return,
            }
        }
    }

    /// The key for a token's header: by `kid`, or the only key of the
    /// token's algorithm when the token names none. `Err` when no keys were
    /// ever loaded.
    fn find_key<T>(&self, kid: Option<&str>, alg: Algorithm, with: impl FnOnce(&Key) -> T) -> Result<Option<T>, ()> {
        let keys = self.keys.read().expect("JWKS lock");
        let Some(keys) = keys.as_ref() else { return Err(()) };
        let mut candidates = keys.iter().filter(|k| match kid {
            Some(kid) => k.kid.as_deref() == Some(kid),
            None => k.alg == alg,
        });
        let first = candidates.next();
        if kid.is_none() && candidates.next().is_some() {
            return Ok(None); // several keys and no kid: which one is unknown
        }
        Ok(first.map(with))
    }

    /// Checks a bearer token: its identity, or why it is refused.
    pub async fn verify(&self, token: &str) -> Result<Identity, Refusal> {
        match self.recall(&crate::config::digest(token)).await {
            Some(identity) => Ok(identity),
            None => self.check(token).await,
        }
    }

    /// A token checked before, still within its `exp` and [`VERIFIED_FOR`].
    async fn recall(&self, digest: &[u8; 32]) -> Option<Identity> {
        let v = self.verified.get(digest).await?;
        (unix_now() <= v.exp + self.cfg.leeway.as_secs_f64()).then_some(v.identity)
    }

    /// Every check of a token (see the module comment).
    async fn check(&self, token: &str) -> Result<Identity, Refusal> {
        let invalid = |m: &str| Refusal::InvalidToken(m.to_owned());
        // Algorithm::from_str knows no "none": such a header is malformed here.
        let header = jsonwebtoken::decode_header(token).map_err(|e| Refusal::InvalidToken(describe(&e)))?;
        if !accepted(header.alg) {
            return Err(Refusal::InvalidToken(format!(
                "the algorithm {:?} is not accepted (RS256, ES256 or EdDSA)",
                header.alg
            )));
        }
        let kid = header.kid.as_deref();
        let check = |k: &Key| {
            if k.alg != header.alg {
                return Err(invalid("the token's algorithm does not match its key"));
            }
            let mut v = Validation::new(header.alg);
            v.set_issuer(&[&self.cfg.issuer]);
            v.set_audience(&[&self.cfg.audience]);
            v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            v.validate_nbf = true;
            v.leeway = self.cfg.leeway.as_secs();
            jsonwebtoken::decode::<Map<String, Value>>(token, &k.key, &v)
                .map(|data| data.claims)
                .map_err(|e| Refusal::InvalidToken(describe(&e)))
        };
        let claims = match self.find_key(kid, header.alg, check) {
            Ok(Some(checked)) => checked?,
            Err(()) => return Err(Refusal::Unavailable("the issuer's keys are not loaded yet".into())),
            Ok(None) => {
                // An unknown key: perhaps the issuer rotated its keys. Fetch
                // them again, unless that was done within the minimum interval.
                {
                    let mut last = self.last_fetch.lock().await;
                    if last.is_none_or(|t| t.elapsed() >= self.cfg.jwks_min_refresh) {
                        *last = Some(Instant::now());
                        if let Err(e) = self.fetch().await {
                            tracing::warn!(error = %e, "OAuth: refreshing the issuer's keys failed");
                        } else {
                            tracing::info!(kid, "OAuth: issuer keys fetched again for an unknown key id");
                        }
                    }
                }
                match self.find_key(kid, header.alg, check) {
                    Ok(Some(checked)) => checked?,
                    _ => {
                        return Err(Refusal::InvalidToken(match kid {
                            Some(kid) => format!("the token's key \"{kid}\" is not one of the issuer's keys"),
                            None => "the token names no key (kid) and the issuer has several".into(),
                        }));
                    }
                }
            }
        };
        let held = token_scopes(&claims);
        let missing: Vec<String> = self.cfg.scopes.iter().filter(|s| !held.contains(s)).cloned().collect();
        if !missing.is_empty() {
            return Err(Refusal::InsufficientScope(missing));
        }
        let subject = claims.get("sub").and_then(Value::as_str).filter(|s| !s.is_empty());
        let Some(subject) = subject else { return Err(invalid("the token's \"sub\" claim is not a string")) };
        let groups = match self.cfg.groups_claim.as_deref().and_then(|c| claims.get(c)) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let identity = Identity { issuer: self.cfg.issuer.clone(), subject: subject.to_owned(), groups };
        // `exp` is required and was checked: a number.
        if let Some(exp) = claims.get("exp").and_then(Value::as_f64) {
            let remembered = Verified { identity: identity.clone(), exp };
            self.verified.insert(crate::config::digest(token), remembered).await;
        }
        Ok(identity)
    }

    /// The Protected Resource Metadata document (RFC 9728 §2).
    pub fn metadata(&self) -> Value {
        let mut doc = json!({
            "resource": self.cfg.resource,
            "authorization_servers": [self.cfg.issuer],
            "bearer_methods_supported": ["header"],
            "resource_name": "Zava retail analytics (zava-mcp)",
        });
        if !self.cfg.scopes.is_empty() {
            doc["scopes_supported"] = json!(self.cfg.scopes);
        }
        doc
    }

    /// The metadata document's URL, for `resource_metadata`: from the
    /// resource identifier when it is an http(s) URL (its origin, then the
    /// well-known path, then the resource's path), else from the request's
    /// `Host`.
    pub fn metadata_url(&self, host: Option<&str>) -> String {
        const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";
        if let Ok(url) = reqwest::Url::parse(&self.cfg.resource)
            && matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some()
        {
            let path = url.path().trim_end_matches('/');
            return format!("{}{WELL_KNOWN}{path}", url.origin().ascii_serialization());
        }
        format!("http://{}{WELL_KNOWN}/mcp", host.unwrap_or("localhost"))
    }

    /// The `WWW-Authenticate` value of a refusal (RFC 6750 §3, RFC 9728 §5.1).
    pub fn challenge(&self, refusal: &Refusal, host: Option<&str>) -> String {
        let quote = |s: &str| s.replace(['"', '\\'], "'");
        let mut v = format!("Bearer resource_metadata=\"{}\"", self.metadata_url(host));
        if !self.cfg.scopes.is_empty() {
            v.push_str(&format!(", scope=\"{}\"", self.cfg.scopes.join(" ")));
        }
        match refusal {
            Refusal::InvalidToken(why) => {
                v.push_str(&format!(", error=\"invalid_token\", error_description=\"{}\"", quote(why)));
            }
            Refusal::InsufficientScope(missing) => v.push_str(&format!(
                ", error=\"insufficient_scope\", error_description=\"missing scope(s): {}\"",
                quote(&missing.join(" "))
            )),
            _ => {}
        }
        v
    }
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Identity → principal answers, kept for `ttl` (0: not kept), so a revoked
/// grant stops working within `ttl`; at most 100,000 of them.
pub struct MappingCache(Option<Cache<Identity, Option<uuid::Uuid>>>);

impl MappingCache {
    pub fn new(ttl: Duration) -> MappingCache {
        MappingCache((!ttl.is_zero()).then(|| Cache::builder().max_capacity(100_000).time_to_live(ttl).build()))
    }

    pub async fn get(&self, id: &Identity) -> Option<Option<uuid::Uuid>> {
        self.0.as_ref()?.get(id).await
    }

    pub async fn put(&self, id: Identity, principal: Option<uuid::Uuid>) {
        if let Some(cache) = &self.0 {
            cache.insert(id, principal).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_urls_are_https_except_on_loopback() {
        assert!(check_jwks_url("https://login.microsoftonline.com/t/discovery/v2.0/keys").is_ok());
        assert!(check_jwks_url("http://127.0.0.1:8788/jwks").is_ok());
        assert!(check_jwks_url("http://localhost/jwks").is_ok());
        assert!(check_jwks_url("http://[::1]:1/jwks").is_ok());
        assert!(check_jwks_url("http://sso.zava.example/certs").unwrap_err().contains("https"));
        assert!(check_jwks_url("http://127.0.0.1.evil.example/certs").is_err());
        assert!(check_jwks_url("file:///etc/jwks.json").is_err());
        assert!(check_jwks_url("not a url").is_err());
    }

    #[test]
    fn scopes_come_from_scope_and_scp() {
        let claims = json!({"scope": "zava.read  openid", "scp": ["a", 1]});
        assert_eq!(token_scopes(claims.as_object().unwrap()), ["zava.read", "openid", "a"]);
        let entra = json!({"scp": "zava.read"});
        assert_eq!(token_scopes(entra.as_object().unwrap()), ["zava.read"]);
    }

    #[test]
    fn only_signing_keys_of_the_accepted_algorithms_are_kept() {
        let jwks = r#"{"keys": [
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB", "kid": "rsa", "alg": "RS256"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB", "kid": "rsa-enc", "use": "enc"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB", "kid": "rsa-384", "alg": "RS384"},
            {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"},
            {"kty": "weird", "kid": "unknown"}
        ]}"#;
        let keys = usable_keys(jwks).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
        assert_eq!(kids, ["rsa"]);
        assert!(usable_keys("[]").is_err());
        assert!(usable_keys("{").is_err());
    }

    fn oauth(resource: &str) -> OAuth {
        OAuth::new(
            OAuthConfig {
                issuer: "https://issuer.example".into(),
                audience: "api://zava".into(),
                resource: resource.into(),
                jwks: JwksSource::File("/nonexistent".into()),
                scopes: vec!["zava.read".into()],
                groups_claim: None,
                leeway: Duration::from_secs(30),
                jwks_refresh: Duration::from_secs(300),
                jwks_min_refresh: Duration::from_secs(10),
            },
            Counter::default(),
        )
        .unwrap()
    }

    #[test]
    fn metadata_url_follows_the_resource_or_the_host() {
        let o = oauth("https://mcp.zava.example/mcp");
        assert_eq!(o.metadata_url(Some("x")), "https://mcp.zava.example/.well-known/oauth-protected-resource/mcp");
        let o = oauth("api://zava");
        assert_eq!(
            o.metadata_url(Some("127.0.0.1:8765")),
            "http://127.0.0.1:8765/.well-known/oauth-protected-resource/mcp"
        );
        let c = o.challenge(&Refusal::InvalidToken("a \"quoted\" reason".into()), Some("h"));
        assert!(c.starts_with("Bearer resource_metadata=\"http://h/.well-known/oauth-protected-resource/mcp\""));
        assert!(c.contains("error=\"invalid_token\", error_description=\"a 'quoted' reason\""), "{c}");
        assert!(!o.challenge(&Refusal::Missing, None).contains("error="), "no error code without credentials");
    }

    /// A throwaway Ed25519 key made for this test (never used elsewhere), PKCS#8 DER.
    const TEST_KEY: [u8; 48] = [
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20, 0xe4, 0x88,
        0xf5, 0x9a, 0x93, 0xa1, 0x41, 0x12, 0x11, 0xf2, 0xaf, 0x4b, 0xa9, 0x1e, 0x51, 0xf8, 0x79, 0xab, 0x8a, 0x2a,
        0xe9, 0x46, 0x66, 0x2f, 0xff, 0xf3, 0x9f, 0x11, 0x3b, 0x17, 0xf6, 0x92,
    ];
    const TEST_KEY_X: &str = "0BiSfsYneNo0y_yozcxebdPtqUDcb-oynHoDL5jSuSQ";

    fn test_token(exp_in: i64) -> String {
        let now = unix_now() as i64;
        let claims = json!({"iss": "https://issuer.example", "aud": "api://zava", "sub": "alice",
                            "exp": now + exp_in, "scope": "zava.read"});
        let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
        header.kid = Some("ed".into());
        let key = jsonwebtoken::EncodingKey::from_ed_der(&TEST_KEY);
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }

    #[tokio::test]
    async fn a_checked_token_is_remembered_until_the_keys_change_or_it_expires() {
        let dir = std::env::temp_dir().join(format!("zava-oauth-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let jwks = dir.join("jwks.json");
        let with_key = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": TEST_KEY_X, "kid": "ed"}]});
        std::fs::write(&jwks, with_key.to_string()).unwrap();
        let mut o = oauth("api://zava");
        o.cfg.jwks = JwksSource::File(jwks.clone());
        assert_eq!(o.refresh().await, Ok(1));
        let token = test_token(300);
        assert_eq!(o.verify(&token).await.unwrap().subject, "alice");
        // The key is gone from the file: the token is still remembered…
        std::fs::write(&jwks, r#"{"keys": []}"#).unwrap();
        assert!(o.verify(&token).await.is_ok(), "remembered until the keys are fetched again");
        // …until the keys are fetched again.
        assert_eq!(o.refresh().await, Ok(0));
        assert!(matches!(o.verify(&token).await, Err(Refusal::InvalidToken(_))));
        // A remembered token past its exp (and the leeway) is checked again, and refused.
        std::fs::write(&jwks, with_key.to_string()).unwrap();
        o.refresh().await.unwrap();
        o.cfg.leeway = Duration::ZERO;
        let short = test_token(1);
        assert!(o.verify(&short).await.is_ok());
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert!(matches!(o.verify(&short).await, Err(Refusal::InvalidToken(m)) if m.contains("expired")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn no_keys_yet_is_unavailable_and_bad_headers_are_invalid() {
        let o = oauth("api://zava");
        // {"alg":"none"} . {} . (no signature)
        assert!(matches!(o.verify("eyJhbGciOiJub25lIn0.e30.").await, Err(Refusal::InvalidToken(_))));
        // {"alg":"HS256","typ":"JWT"}
        let hs = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln";
        assert!(matches!(o.verify(hs).await, Err(Refusal::InvalidToken(m)) if m.contains("not accepted")));
        // {"alg":"RS256"}: a valid header, but no keys were loaded.
        let rs = "eyJhbGciOiJSUzI1NiJ9.e30.c2ln";
        assert!(matches!(o.verify(rs).await, Err(Refusal::Unavailable(_))));
        assert!(matches!(o.verify("not a token").await, Err(Refusal::InvalidToken(_))));
    }
}
