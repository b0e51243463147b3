"""JWT bearer tokens: HS256 with a shared secret locally, RS256 against a JWKS URL in production."""
from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import unicodedata
from dataclasses import dataclass

import jwt

from .lru import LRU

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


# How long a JWKS client keeps the key set.
JWKS_LIFESPAN_S = 300
_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per URL and process: it caches the key set (5 minutes) and
    # refetches it when a token names a key id it has not seen (key rotation).
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = _jwks_clients[url] = jwt.PyJWKClient(url, cache_jwk_set=True,
                                                          lifespan=JWKS_LIFESPAN_S,
                                                          timeout=5)
        return client


class InvalidClaims(jwt.InvalidTokenError):
    """A genuinely signed token whose claims are not of the shape the services read."""


# The narrowest column an actor's sub or name is written to (String(200)): a longer
# one would fail the write, after the work, rather than at the door.
MAX_IDENTITY_LENGTH = 200
TIME_CLAIMS = ("exp", "iat", "nbf")


def _identity(value) -> bool:
    # No control characters (PostgreSQL refuses NUL) and no lone surrogates (not
    # encodable): either would turn the caller's first write into a 500.
    return (isinstance(value, str) and 0 < len(value) <= MAX_IDENTITY_LENGTH
            and value.strip() != ""
            and not any(unicodedata.category(c) in ("Cc", "Cs") for c in value))


def principal_from_claims(claims: dict) -> Principal:
    """The caller a verified token names; ``InvalidClaims`` unless every claim read has its shape.

    - ``sub``: a non-blank string of at most 200 characters, no control characters.
    - ``name``: absent, or such a string ("" reads as absent: the sub stands in).
    - ``roles``: absent (no roles), a list of strings, or one string (one role:
      some identity providers flatten a single-valued claim). Strings that are not
      roles of this system are ignored; anything else (a number, ``true``, an
      object, ``null``, a list holding a non-string) refuses the token.
    - ``exp``, ``iat``, ``nbf``: finite numbers when present. PyJWT refuses
      strings, lists and non-finite values but reads ``true`` as 1.
    """
    for key in TIME_CLAIMS:
        if key in claims:
            value = claims[key]
            # (an int of any size is finite; math.isfinite would overflow on it)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or (isinstance(value, float) and not math.isfinite(value)):
                raise InvalidClaims(f"The {key} claim must be a number.")
    sub = claims.get("sub")
    if not _identity(sub):
        raise InvalidClaims("The sub claim must be a non-empty string of at most "
                            f"{MAX_IDENTITY_LENGTH} characters, without control characters.")
    name = claims.get("name", "")
    if name != "" and not _identity(name):
        raise InvalidClaims("The name claim must be a string of at most "
                            f"{MAX_IDENTITY_LENGTH} characters, without control characters.")
    roles = claims.get("roles", [])
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidClaims("The roles claim must be a list of strings.")
    return Principal(sub=sub, name=name or sub, roles=tuple(r for r in roles if r in ROLES))


class VerifiedTokens(LRU[tuple, tuple[Principal, float]]):
    """Tokens already verified, by SHA-256, each until its ``exp``: a bearer sends the
    same token with every request, and checking its signature and claims again is
    most of what a cached read costs. Bounded (least recently used go first); keyed
    by the settings that verified it too, so a changed secret, issuer or audience
    verifies afresh."""

    def __init__(self, size: int = 4096):
        super().__init__(size)

    def get(self, key: tuple) -> Principal | None:  # type: ignore[override]
        entry = super().get(key)
        if entry is None:
            return None
        principal, expires = entry
        if time.time() >= expires:
            self.pop(key)
            return None
        return principal

    def put(self, key: tuple, principal: Principal, expires: float) -> None:  # type: ignore[override]
        super().put(key, (principal, expires))


VERIFIED = VerifiedTokens()
VERIFIED_FOR_S = JWKS_LIFESPAN_S


def decode_token(token: str, cfg: dict) -> Principal:
    """The principal a valid token names; raises PyJWT's errors (or ``InvalidClaims``,
    ``KeySetUnavailable``) otherwise. A token verified before is not verified again
    until it expires (:class:`VerifiedTokens`)."""
    key = (hashlib.sha256(token.encode()).digest(), cfg.get("JWKS_URL"), cfg.get("JWT_SECRET"),
           cfg.get("JWT_AUDIENCE"), cfg.get("JWT_ISSUER"))
    known = VERIFIED.get(key)
    if known is not None:
        return known
    principal, exp = _verify(token, cfg)
    # Until it expires, but no longer than the key set is kept (a key withdrawn from
    # the identity provider's JWKS stops verifying within that time). Compared before
    # float(): exp may be an int too large for a float.
    VERIFIED.put(key, principal, float(min(exp, time.time() + VERIFIED_FOR_S)))
    return principal


def _verify(token: str, cfg: dict) -> tuple[Principal, int | float]:
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
    return principal_from_claims(claims), claims["exp"]
