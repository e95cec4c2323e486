"""End-to-end: zava-mcp as an OAuth 2.1 resource server against a test-side
issuer on loopback (keys made here, a JWKS endpoint served here). Prints
"ok - ..." / "not ok - ..." lines (scripts/test.sh counts them).

    oauth_client.py keygen DIR        RSA key DIR/key.pem and its JWKS DIR/jwks.json
    oauth_client.py mint DIR SUBJECT  a valid RS256 token of that key (stdout)
    oauth_client.py run               the checks; the bridge is started here, once
                                      the JWKS endpoint is up: BRIDGE_CMD (JSON argv),
                                      BRIDGE_URL, JWKS_PORT, ISSUER, AUDIENCE,
                                      ADMIN_URL (psql), SEATTLE_TOKEN (an opaque token)
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

import mcp_http
from mcp_http import PER_REQUEST_META, check, per_request, post

SCOPE = "zava.read"


def public_jwk(key, kid, alg):
    pub = key.public_key()
    if alg == "RS256":
        jwk = json.loads(RSAAlgorithm.to_jwk(pub))
    elif alg == "ES256":
        jwk = json.loads(ECAlgorithm.to_jwk(pub))
    else:
        jwk = json.loads(OKPAlgorithm.to_jwk(pub))
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    return jwk


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(sub, **over):
    now = int(time.time())
    c = {"iss": os.environ.get("ISSUER", ""), "aud": os.environ.get("AUDIENCE", ""), "sub": sub,
         "iat": now, "nbf": now - 5, "exp": now + 300, "scope": f"openid {SCOPE}"}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def sign(key, alg, kid, body):
    return jwt.encode(body, key, algorithm=alg, headers={"kid": kid} if kid else None)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


STORES_SQL = "SELECT DISTINCT store_id::text FROM retail.orders ORDER BY 1"


def stores_call(url, token, session=None):
    """execute_sales_query as a per-request (2026-07-28) client, or in a session: (status, headers, answer, rows)."""
    params = {"name": "execute_sales_query", "arguments": {"postgresql_query": STORES_SQL}}
    headers = None
    if not session:
        params["_meta"] = PER_REQUEST_META
        headers = per_request("tools/call", "execute_sales_query")
    status, h, answer = post(url, token, {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params},
                             session, headers)
    rows = None
    if isinstance(answer, dict):
        rows = answer.get("result", {}).get("structuredContent", {}).get("rows")
    return status, h, answer, sorted(r[0] for r in rows) if rows is not None else None


def www(h):
    return h.get("www-authenticate", "")


def psql(sql):
    out = subprocess.run(["psql", os.environ["ADMIN_URL"], "-XqAt", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Issuer:
    """The test issuer's JWKS endpoint: what it serves, and how often it was asked."""

    def __init__(self, port):
        self.keys = []
        self.hits = 0
        self.last_hit = 0.0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.hits += 1
                issuer.last_hit = time.time()
                body = json.dumps({"keys": issuer.keys}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def wait_ready(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if get(url)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def run():
    url = os.environ["BRIDGE_URL"]
    base = url.rsplit("/mcp", 1)[0]
    issuer_url, audience = os.environ["ISSUER"], os.environ["AUDIENCE"]
    issuer = Issuer(int(os.environ["JWKS_PORT"]))
    rsa1 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa2 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec1 = ec.generate_private_key(ec.SECP256R1())
    ed1 = ed25519.Ed25519PrivateKey.generate()
    issuer.keys = [public_jwk(rsa1, "rsa-1", "RS256"), public_jwk(ec1, "ec-1", "ES256"),
                   public_jwk(ed1, "ed-1", "EdDSA")]

    # Principals and their grants, as an administrator would make them.
    principal = {r.split("|")[0]: r.split("|")[1] for r in
                 psql("SELECT role_name || '|' || principal_id FROM zava.demo_principals()").splitlines()}
    stores_of = lambda login: sorted(psql(  # noqa: E731
        f"SELECT s.store_id FROM retail.stores s WHERE EXISTS (SELECT FROM zava.principals p WHERE "
        f"p.principal_id = '{principal[login]}' AND p.kind = 'head_office') OR s.store_id IN (SELECT store_id "
        f"FROM zava.principal_stores WHERE principal_id = '{principal[login]}')").splitlines())
    regional = psql("SELECT d.role_name FROM zava.demo_principals() d JOIN zava.principals p USING (principal_id) "
                    "WHERE p.kind = 'regional_manager' ORDER BY 1 LIMIT 1")
    psql(f"SELECT zava.grant_principal_subject('{issuer_url}', 'alice', '{principal['seattle_manager']}'),"
         f" zava.grant_principal_subject('{issuer_url}', 'bob', '{principal['head_office']}'),"
         f" zava.grant_principal_group('{issuer_url}', 'zava-west', '{principal[regional]}'),"
         f" zava.grant_principal_group('{issuer_url}', 'zava-hq', '{principal['head_office']}')")

    bridge = subprocess.Popen(json.loads(os.environ["BRIDGE_CMD"]))
    try:
        check("the bridge starts with OAuth sign-in and reaches the database", wait_ready(f"{base}/readyz"))
        checks(url, base, issuer, issuer_url, audience, (rsa1, rsa2, rogue, ec1, ed1), stores_of, regional)
    finally:
        bridge.terminate()
        bridge.wait(timeout=20)
    return 1 if mcp_http.FAILED else 0


def checks(url, base, issuer, issuer_url, audience, keys, stores_of, regional):
    rsa1, rsa2, rogue, ec1, ed1 = keys
    seattle, everyone, west = stores_of("seattle_manager"), stores_of("head_office"), stores_of(regional)

    # --- the metadata (RFC 9728 §2, §3) ---------------------------------------
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        status, h, text = get(base + path)
        doc = json.loads(text) if status == 200 else {}
        check(f"metadata {path}: JSON with resource, authorization_servers, scopes_supported, bearer_methods_supported",
              status == 200 and h.get("content-type", h.get("Content-Type", "")).startswith("application/json")
              and doc.get("resource") == audience and doc.get("authorization_servers") == [issuer_url]
              and doc.get("scopes_supported") == [SCOPE] and "header" in doc.get("bearer_methods_supported", [])
              and all(isinstance(v, (str, list)) for v in doc.values()), f"{status} {text}")

    # --- no token: 401 pointing at the metadata --------------------------------
    status, h, answer = post(url, None, {"jsonrpc": "2.0", "id": 1, "method": "ping"})
    challenge = www(h)
    meta_url = challenge.split('resource_metadata="', 1)[-1].split('"', 1)[0] if "resource_metadata" in challenge else ""
    check("no token: 401, WWW-Authenticate: Bearer resource_metadata=… without an error code (RFC 6750 §3.1)",
          status == 401 and challenge.startswith("Bearer ") and meta_url and "error=" not in challenge, challenge)
    check("… and resource_metadata is the metadata document's URL",
          meta_url.endswith("/.well-known/oauth-protected-resource/mcp") and get(meta_url.replace(
              meta_url.split("/.well-known")[0], base))[0] == 200, meta_url)

    # --- valid tokens: the mapped principal's rows only -------------------------
    status, _, answer, rows = stores_call(url, sign(rsa1, "RS256", "rsa-1", claims("alice")))
    check("RS256 token of subject alice (granted Seattle's store manager): Seattle's rows only",
          status == 200 and rows == seattle and len(seattle) == 1, f"{status} {answer}")
    status, _, answer, rows = stores_call(url, sign(ec1, "ES256", "ec-1", claims("bob")))
    check("ES256 token of subject bob (granted head office): every store", status == 200 and rows == everyone
          and len(everyone) > 1, f"{status} {answer}")
    status, _, answer, rows = stores_call(url, sign(ed1, "EdDSA", "ed-1", claims("carol", groups=["zava-west"])))
    check(f"EdDSA token of carol, no grant of her own, in group zava-west (granted {regional}): that region's rows",
          status == 200 and rows == west and 1 < len(west) < len(everyone), f"{status} {answer}")

    # A session client: the session belongs to the principal that opened it.
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "oauth-test", "version": "1"}}}
    alice = sign(rsa1, "RS256", "rsa-1", claims("alice"))
    status, h, _ = post(url, alice, init)
    session = h.get("mcp-session-id")
    post(url, alice, {"jsonrpc": "2.0", "method": "notifications/initialized"}, session)
    status, _, answer, rows = stores_call(url, alice, session=session)
    check("a session opened with alice's token: her rows", status == 200 and rows == seattle, f"{status} {answer}")
    status, _, _, rows = stores_call(url, sign(ec1, "ES256", "ec-1", claims("bob")), session=session)
    check("… bob's token naming alice's session: 404, as if it did not exist", status == 404 and rows is None,
          str(status))

    # --- refused tokens: 401 invalid_token --------------------------------------
    now = int(time.time())
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    none_token = f"{header}.{b64(json.dumps(claims('bob')).encode())}."
    pem = rsa1.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hs_head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    hs_body = b64(json.dumps(claims("bob")).encode())
    hs_sig = b64(hmac.new(pem, f"{hs_head}.{hs_body}".encode(), hashlib.sha256).digest())
    bad = {
        "wrong audience": (sign(rsa1, "RS256", "rsa-1", claims("bob", aud="https://other.example/mcp")), "aud"),
        "wrong issuer": (sign(rsa1, "RS256", "rsa-1", claims("bob", iss="https://evil.example")), "issuer"),
        "expired (past the 30 s leeway)": (sign(rsa1, "RS256", "rsa-1", claims("bob", exp=now - 120)), "expired"),
        "not yet valid (nbf)": (sign(rsa1, "RS256", "rsa-1", claims("bob", nbf=now + 120)), "not valid yet"),
        "bad signature (another key, same kid)": (sign(rogue, "RS256", "rsa-1", claims("bob")), "signature"),
        "alg none": (none_token, "malformed"),
        "HS256 with the public key as the secret": (f"{hs_head}.{hs_body}.{hs_sig}", "not accepted"),
        "no exp": (sign(rsa1, "RS256", "rsa-1", claims("bob", exp=None)), "exp"),
        "no sub": (sign(rsa1, "RS256", "rsa-1", claims(None)), "sub"),
        "ES256 header on an RSA key's kid": (sign(ec1, "ES256", "rsa-1", claims("bob")), "algorithm"),
        "not a JWT": ("0123456789abcdef-not-a-jwt", "malformed"),
    }
    for what, (token, why) in bad.items():
        status, h, answer, rows = stores_call(url, token)
        challenge = www(h)
        check(f"refused, {what}: 401 error=\"invalid_token\" saying why, no rows",
              status == 401 and 'error="invalid_token"' in challenge and why in challenge and rows is None
              and "resource_metadata=" in challenge, f"{status} {challenge} {answer}")

    # --- an unknown kid: one JWKS fetch, then 401; at once again: no fetch ------
    # (past --oauth-jwks-min-refresh-s 2 since the bridge last fetched the keys)
    time.sleep(max(0.0, 2.2 - (time.time() - issuer.last_hit)))
    before = issuer.hits
    status, h, _, _ = stores_call(url, sign(rsa2, "RS256", "rsa-9", claims("bob")))
    first = issuer.hits - before
    status2, h2, _, _ = stores_call(url, sign(rsa2, "RS256", "rsa-8", claims("bob")))
    second = issuer.hits - before - first
    check(f"unknown kid: the JWKS is fetched once ({first}), then 401 invalid_token",
          first == 1 and status == 401 and 'error="invalid_token"' in www(h), f"{status} {www(h)}")
    check(f"another unknown kid at once: no fetch ({second}, rate limited), 401", second == 0 and status2 == 401)

    # --- scope, grants ------------------------------------------------------------
    status, h, answer, rows = stores_call(url, sign(rsa1, "RS256", "rsa-1", claims("alice", scope="openid")))
    challenge = www(h)
    check("missing scope zava.read: 403 error=\"insufficient_scope\" scope=\"zava.read\", no rows",
          status == 403 and 'error="insufficient_scope"' in challenge and f'scope="{SCOPE}"' in challenge
          and rows is None, f"{status} {challenge}")
    status, _, answer, rows = stores_call(url, sign(rsa1, "RS256", "rsa-1", claims("mallory")))
    message = answer.get("error", {}).get("message", "") if isinstance(answer, dict) else str(answer)
    check("a valid token of a subject granted nothing: 403 naming zava.grant_principal_subject, no rows",
          status == 403 and "grant_principal_subject" in message and rows is None, f"{status} {answer}")
    status, _, answer, rows = stores_call(url, sign(rsa1, "RS256", "rsa-1", claims("dave", groups=["nobody"])))
    check("… also with groups that are granted nothing (never a default principal)", status == 403 and rows is None)
    status, _, answer, rows = stores_call(url, sign(ed1, "EdDSA", "ed-1",
                                                    claims("carol", groups=["zava-west", "zava-hq"])))
    message = answer.get("error", {}).get("message", "") if isinstance(answer, dict) else str(answer)
    check("groups granted two different principals: 403, refused rather than guessed",
          status == 403 and "different principals" in message and rows is None, f"{status} {answer}")

    psql(f"SELECT zava.revoke_principal_subject('{issuer_url}', 'alice')")
    time.sleep(1.5)  # the bridge runs with --oauth-mapping-cache-s 1
    status, _, answer, rows = stores_call(url, sign(rsa1, "RS256", "rsa-1", claims("alice")))
    check("alice's grant revoked: within the mapping cache time (1 s) her token gets 403, no rows",
          status == 403 and rows is None, f"{status} {answer}")
    status, _, answer, rows = stores_call(url, alice, session=session)
    check("… also in the session she opened before", status in (403, 404) and rows is None, f"{status} {answer}")

    # --- key rotation mid-run -----------------------------------------------------
    time.sleep(max(0.0, 2.2 - (time.time() - issuer.last_hit)))  # past the minimum interval again
    issuer.keys = [public_jwk(rsa2, "rsa-2", "RS256"), public_jwk(ec1, "ec-1", "ES256"),
                   public_jwk(ed1, "ed-1", "EdDSA")]
    before = issuer.hits
    status, _, answer, rows = stores_call(url, sign(rsa2, "RS256", "rsa-2", claims("bob")))
    check(f"key rotation: a token of the issuer's new key rsa-2 is accepted (keys fetched {issuer.hits - before}×)",
          status == 200 and rows == everyone and issuer.hits - before == 1, f"{status} {answer}")
    status, h, _, rows = stores_call(url, sign(rsa1, "RS256", "rsa-1", claims("bob")))
    check("… and one of the retired key rsa-1 is refused (401 invalid_token)",
          status == 401 and 'error="invalid_token"' in www(h) and rows is None, f"{status} {www(h)}")

    # --- the grants are not readable through the gate, even by head office --------
    params = {"name": "execute_sales_query", "arguments": {"postgresql_query": "SELECT * FROM zava.identity_principals"},
              "_meta": PER_REQUEST_META}
    status, _, answer = post(url, sign(ec1, "ES256", "ec-1", claims("bob")),
                             {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": params},
                             headers=per_request("tools/call", "execute_sales_query"))
    result = answer.get("result", {}) if isinstance(answer, dict) else {}
    check("head office's execute_sales_query of zava.identity_principals is refused (a tool error, no rows)",
          status == 200 and result.get("isError") is True and "rows" not in result.get("structuredContent", {}),
          f"{status} {answer}")

    # --- opaque tokens still work beside OAuth ------------------------------------
    status, _, answer, rows = stores_call(url, os.environ["SEATTLE_TOKEN"])
    check("an opaque token from the tokens file still works beside OAuth", status == 200 and rows == seattle,
          f"{status} {answer}")

    status, _, text = get(f"{base}/metrics")
    refusals = {line.split("reason=\"")[1].split("\"")[0]: float(line.split()[-1])
                for line in text.splitlines() if line.startswith("zava_mcp_auth_refusals_total{")}
    check(f"/metrics counts the refusals by reason ({refusals})",
          refusals.get("invalid_token", 0) >= len(bad) and refusals.get("not_granted", 0) >= 3
          and refusals.get("insufficient_scope", 0) >= 1 and refusals.get("missing", 0) >= 1, text[-400:])


def keygen(directory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(directory, "key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(directory, "jwks.json"), "w") as f:
        json.dump({"keys": [public_jwk(key, "file-1", "RS256")]}, f)


def mint(directory, subject):
    with open(os.path.join(directory, "key.pem"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    print(sign(key, "RS256", "file-1", claims(subject)))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "keygen":
        keygen(sys.argv[2])
    elif command == "mint":
        mint(sys.argv[2], sys.argv[3])
    else:
        sys.exit(run())
