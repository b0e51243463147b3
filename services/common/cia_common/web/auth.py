"""Bearer tokens on a request: who is asking, and may they."""
from __future__ import annotations

import functools
import logging

import jwt
from flask import current_app, g, request

from ..auth import KeySetUnavailable, Principal, decode_token
from ..errors import Forbidden, Unauthenticated, Unavailable

log = logging.getLogger(__name__)


def current_principal() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthenticated("A bearer token is required.")
    try:
        return decode_token(header[len("Bearer "):].strip(), current_app.config)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The token has expired.") from None
    except KeySetUnavailable as exc:
        log.error("JWKS unavailable: %s", exc)
        raise Unavailable("The identity provider's signing keys cannot be fetched; "
                          "try again shortly.") from None
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthenticated(f"The token is not valid: {exc}") from None


def require_roles(*roles: str):
    """Allow the request only for a token holding one of ``roles``."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if not principal.has_any(roles):
                raise Forbidden(f"This needs one of the roles: {', '.join(roles)}.")
            g.principal = principal
            return view(*args, **kwargs)
        wrapper._cia_roles = roles  # read by the OpenAPI security decoration
        return wrapper
    return decorator
