"""JWT bearer tokens: HS256 with a shared secret locally, RS256 against a JWKS URL in production."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import jwt

log = logging.getLogger(__name__)

ROLES = ("planner", "reviewer", "foi", "admin")


@dataclass(frozen=True)
class Principal:
    sub: str
    name: str
    roles: tuple[str, ...]

    def has_any(self, roles) -> bool:
        return any(r in self.roles for r in roles)


def mint_token(secret: str, *, sub: str, name: str, roles: list[str], ttl_seconds: int = 8 * 3600,
               issuer: str | None = None, audience: str | None = None) -> str:
    now = int(time.time())
    claims = {"sub": sub, "name": name, "roles": list(roles), "iat": now, "exp": now + ttl_seconds}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


class KeySetUnavailable(Exception):
    """The identity provider's JWKS could not be fetched: our fault, not the token's."""


_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL and process: it caches the key set (5 minutes) and
    # refetches it when a token names a key id it has not seen (key rotation).
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = _jwks_clients[url] = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=300,
                                                          timeout=5)
        return client


def decode_token(token: str, cfg: dict) -> Principal:
    options = {"require": ["exp", "sub"]}
    kwargs = {}
    if cfg.get("JWT_AUDIENCE"):
        kwargs["audience"] = cfg["JWT_AUDIENCE"]
    if cfg.get("JWT_ISSUER"):
        kwargs["issuer"] = cfg["JWT_ISSUER"]
    if cfg.get("JWKS_URL"):
        # The algorithm is pinned before the key is looked up: a token's own
        # header never chooses it (no "none", no HS256 keyed with the public key).
        if jwt.get_unverified_header(token).get("alg") != "RS256":
            raise jwt.InvalidAlgorithmError("Only RS256 tokens are accepted.")
        try:
            key = _jwks_client(cfg["JWKS_URL"]).get_signing_key_from_jwt(token).key
        except jwt.PyJWKClientConnectionError as exc:
            raise KeySetUnavailable(str(exc)) from None
        claims = jwt.decode(token, key, algorithms=["RS256"], options=options, **kwargs)
    else:
        claims = jwt.decode(token, cfg["JWT_SECRET"], algorithms=["HS256"], options=options,
                            **kwargs)
    roles = claims.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    return Principal(sub=str(claims["sub"]), name=str(claims.get("name") or claims["sub"]),
                     roles=tuple(r for r in roles if r in ROLES))
