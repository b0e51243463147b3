"""RS256 bearer tokens checked against an identity provider's JWKS URL, served by
a real local HTTP server with a freshly generated RSA key."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cia_authoring.app import create_app
from cia_common.config import LOCAL_JWT_SECRET
from cia_common.web import db

pytestmark = pytest.mark.integration

ISSUER = "https://idp.example.test/"
AUDIENCE = "cia-workflow"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class JwksServer:
    """Serves ``{"keys": [...]}`` at /jwks.json; the key list can change while it runs."""

    def __init__(self):
        self.keys: list[dict] = []
        self.hits = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.hits += 1
                body = json.dumps({"keys": server.keys}).encode()
                self.send_response(200 if self.path == "/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def rs256(key, kid: str, *, roles=("planner",), exp_in: int = 600, **claims) -> str:
    now = int(time.time())
    body = {"sub": "planner-9", "name": "Idp Planner", "roles": list(roles), "iat": now,
            "exp": now + exp_in, "iss": ISSUER, "aud": AUDIENCE, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.fixture
def idp():
    with JwksServer() as server:
        yield server


@pytest.fixture
def client(idp, tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'authoring.db'}", "TESTING": True,
                      "JWKS_URL": idp.url, "JWT_ISSUER": ISSUER, "JWT_AUDIENCE": AUDIENCE})
    yield app.test_client()
    db(app).dispose()


def status(client, token: str) -> int:
    resp = client.get("/api/v1/operations", headers=bearer(token))
    if resp.status_code >= 400:
        assert resp.mimetype == "application/problem+json"
    return resp.status_code


def test_a_token_signed_by_the_identity_providers_key_is_accepted(idp, client):
    key = new_key()
    idp.keys = [public_jwk(key, "k1")]
    assert status(client, rs256(key, "k1")) == 200
    # Role checks apply as for local tokens.
    assert status(client, rs256(key, "k1", roles=("foi",))) == 403


def test_forged_expired_and_misaddressed_tokens_are_refused(idp, client):
    key, stranger = new_key(), new_key()
    idp.keys = [public_jwk(key, "k1")]
    assert status(client, rs256(stranger, "k1")) == 401            # not the provider's key
    assert status(client, rs256(key, "k1", exp_in=-60)) == 401     # expired
    assert status(client, rs256(key, "k1", iss="https://evil.test/")) == 401
    assert status(client, rs256(key, "k1", aud="another-app")) == 401
    assert status(client, rs256(key, "unknown-kid")) == 401
    # A locally minted HS256 token is not accepted once an identity provider is configured,
    # nor an HS256 token keyed with the provider's public key (algorithm confusion).
    local = jwt.encode({"sub": "x", "roles": ["admin"], "exp": int(time.time()) + 60},
                       LOCAL_JWT_SECRET, algorithm="HS256")
    assert status(client, local) == 401
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    confused = b64({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + "." + b64(
        {"sub": "x", "roles": ["admin"], "exp": int(time.time()) + 60, "iss": ISSUER,
         "aud": AUDIENCE})
    sig = hmac.new(pem, confused.encode(), hashlib.sha256).digest()
    confused += "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
    assert status(client, confused) == 401
    unsigned = b64({"alg": "none", "typ": "JWT", "kid": "k1"}) + "." + b64(
        {"sub": "x", "roles": ["admin"], "exp": int(time.time()) + 60, "iss": ISSUER,
         "aud": AUDIENCE}) + "."
    assert status(client, unsigned) == 401


def test_the_key_set_is_fetched_once_and_unknown_key_ids_cannot_hammer_it(idp, client):
    old, new = new_key(), new_key()
    idp.keys = [public_jwk(old, "2025"), public_jwk(new, "2026")]  # mid-rotation: both published
    assert status(client, rs256(old, "2025")) == 200
    assert status(client, rs256(new, "2026")) == 200
    assert idp.hits == 1
    # Tokens naming key ids nobody published: refused, without a fetch per request.
    assert [status(client, rs256(new_key(), f"bogus-{i}")) for i in range(5)] == [401] * 5
    assert idp.hits <= 2


def test_an_unreachable_jwks_is_a_503_not_a_bad_token(tmp_path):
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    url = f"http://127.0.0.1:{closed.server_address[1]}/jwks.json"
    closed.server_close()  # nothing listens there any more
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", "TESTING": True,
                      "JWKS_URL": url})
    try:
        resp = app.test_client().get("/api/v1/operations", headers=bearer(rs256(new_key(), "k")))
        assert resp.status_code == 503
        assert resp.mimetype == "application/problem+json"
        assert resp.headers["Retry-After"]
    finally:
        db(app).dispose()
