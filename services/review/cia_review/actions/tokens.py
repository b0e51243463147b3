"""Signed one-time action links and the CSRF token of the page behind them. Pure.

A link token is ``<base64url claims>.<base64url HMAC-SHA256>``; the claims bind
it to one reviewer, one review round and one version, with an expiry. The
database keeps only a SHA-256 of the token (plus when it was used or revoked),
so a leaked database cannot be turned into working links.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

_LINK_CONTEXT = b"cia-review/action-link/v1."
_CSRF_CONTEXT = b"cia-review/action-page-csrf/v1."
_DOCUMENT_CONTEXT = b"cia-review/document-link/v1."


class TokenError(Exception):
    """A link that cannot be used. ``reason`` is ``malformed`` or ``expired``."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class ActionClaims:
    token_id: str
    review_id: str
    reviewer_sub: str
    version: int
    round: int
    expires_at: int  # Unix seconds

    def to_compact(self) -> dict:
        return {"j": self.token_id, "r": self.review_id, "s": self.reviewer_sub,
                "v": self.version, "n": self.round, "x": self.expires_at}


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, context: bytes, message: str) -> bytes:
    return hmac.new(secret, context + message.encode(), hashlib.sha256).digest()


def new_claims(*, review_id: str, reviewer_sub: str, version: int, round: int,
               ttl_hours: float, now: float | None = None) -> ActionClaims:
    now = time.time() if now is None else now
    return ActionClaims(token_id=str(uuid.uuid4()), review_id=review_id,
                        reviewer_sub=reviewer_sub, version=version, round=round,
                        expires_at=int(now + ttl_hours * 3600))


def _seal(secret: bytes, context: bytes, compact: dict) -> str:
    body = _b64(json.dumps(compact, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(secret, context, body))}"


def _open(secret: bytes, context: bytes, token: str, altered: str) -> dict:
    """The claims document of a genuinely signed token; ``TokenError(altered)`` otherwise."""
    try:
        body, mac = token.split(".")
        given = _unb64(mac)
    except (ValueError, AttributeError):
        raise TokenError("malformed", altered) from None
    if not hmac.compare_digest(given, _mac(secret, context, body)):
        raise TokenError("malformed", altered)
    try:
        doc = json.loads(_unb64(body))
    except ValueError:
        raise TokenError("malformed", altered) from None
    if not isinstance(doc, dict):
        raise TokenError("malformed", altered)
    return doc


_LINK_ALTERED = "This link is incomplete or has been altered."


def sign(secret: bytes, claims: ActionClaims) -> str:
    return _seal(secret, _LINK_CONTEXT, claims.to_compact())


def read(secret: bytes, token: str, now: float | None = None) -> ActionClaims:
    """The claims of a genuine, unexpired token; ``TokenError`` otherwise."""
    now = time.time() if now is None else now
    doc = _open(secret, _LINK_CONTEXT, token, _LINK_ALTERED)
    try:
        claims = ActionClaims(token_id=str(doc["j"]), review_id=str(doc["r"]),
                              reviewer_sub=str(doc["s"]), version=int(doc["v"]),
                              round=int(doc["n"]), expires_at=int(doc["x"]))
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed", _LINK_ALTERED) from None
    if now >= claims.expires_at:
        raise TokenError("expired", "This link has expired.")
    return claims


# --------------------------------------------------------------------------
# Document links: the reviewed version's DOCX or PDF, signed for the holder of
# one action link. Bound to that link's row (so spending or revoking the link
# ends them), to the version and the format, with their own, shorter expiry.
# --------------------------------------------------------------------------

DOCUMENT_FORMATS = ("docx", "pdf")


@dataclass(frozen=True)
class DocumentClaims:
    token_id: str  # the action link's row
    review_id: str
    reviewer_sub: str
    cia_id: str
    version: int
    format: str
    expires_at: int  # Unix seconds

    def to_compact(self) -> dict:
        return {"j": self.token_id, "r": self.review_id, "s": self.reviewer_sub,
                "c": self.cia_id, "v": self.version, "f": self.format, "x": self.expires_at}


_DOCUMENT_ALTERED = "This download link is incomplete or has been altered."


def sign_document(secret: bytes, claims: DocumentClaims) -> str:
    return _seal(secret, _DOCUMENT_CONTEXT, claims.to_compact())


def read_document(secret: bytes, signed: str, now: float | None = None) -> DocumentClaims:
    """The claims of a genuine, unexpired document link; ``TokenError`` otherwise."""
    now = time.time() if now is None else now
    doc = _open(secret, _DOCUMENT_CONTEXT, signed, _DOCUMENT_ALTERED)
    try:
        claims = DocumentClaims(token_id=str(doc["j"]), review_id=str(doc["r"]),
                                reviewer_sub=str(doc["s"]), cia_id=str(doc["c"]),
                                version=int(doc["v"]), format=str(doc["f"]),
                                expires_at=int(doc["x"]))
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed", _DOCUMENT_ALTERED) from None
    if claims.format not in DOCUMENT_FORMATS:
        raise TokenError("malformed", _DOCUMENT_ALTERED)
    if now >= claims.expires_at:
        raise TokenError("expired", "This download link has expired.")
    return claims


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --------------------------------------------------------------------------
# CSRF for the page's form: an HMAC of the action token and a per-page nonce
# (which carries its issue time), so a form can neither be forged for another
# link nor replayed indefinitely.
# --------------------------------------------------------------------------

def new_nonce(now: float | None = None) -> str:
    now = time.time() if now is None else now
    return f"{int(now)}.{secrets.token_urlsafe(16)}"


def csrf_token(secret: bytes, action_token: str, nonce: str) -> str:
    return _b64(_mac(secret, _CSRF_CONTEXT, f"{action_token}|{nonce}"))


def check_csrf(secret: bytes, action_token: str, nonce: str | None, csrf: str | None, *,
               max_age_seconds: float = 3600, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    if not nonce or not csrf:
        return False
    try:
        issued = int(nonce.split(".", 1)[0])
    except ValueError:
        return False
    if not (issued - 60 <= now <= issued + max_age_seconds):
        return False
    return hmac.compare_digest(csrf.encode(), csrf_token(secret, action_token, nonce).encode())
