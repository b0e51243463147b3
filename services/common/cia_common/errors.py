"""Refusals the services' domain code raises: plain exceptions, no HTTP.

Each names its kind; ``cia_common.web.problems`` maps every kind to a status and
a problem+json answer once, so the API, the action pages and the inbound hooks
answer the same refusal the same way.
"""
from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse; ``detail`` is written for a person."""

    kind = "invalid"

    def __init__(self, detail: str, *, pointer: str | None = None,
                 errors: list[dict] | None = None, retry_after: int | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.errors = errors  # several invalid fields, each {pointer, detail}
        self.retry_after = retry_after
        self.extra = extra  # more members for the answer (the current version, ...)


class Invalid(DomainError):
    """The request cannot be understood (malformed JSON, a bad header)."""
    kind = "invalid"


class Unauthenticated(DomainError):
    kind = "unauthenticated"


class Forbidden(DomainError):
    kind = "forbidden"


class NotFound(DomainError):
    kind = "not_found"

    def __init__(self, what: str, **kwargs):
        super().__init__(f"{what} does not exist", **kwargs)


class Conflict(DomainError):
    kind = "conflict"


class PreconditionFailed(DomainError):
    """The client's copy is out of date."""
    kind = "precondition_failed"


class PreconditionRequired(DomainError):
    """A change needs the version the client last read."""
    kind = "precondition_required"


class TooLarge(DomainError):
    kind = "too_large"


class InvalidContent(DomainError):
    """Invalid fields, one entry each, named by JSON pointer."""
    kind = "unprocessable"

    def __init__(self, errors: list[dict], detail: str = "The request has invalid fields.",
                 **kwargs):
        super().__init__(detail, errors=errors, **kwargs)


class Unavailable(DomainError):
    """Something we depend on is down; nothing was changed, try again."""
    kind = "unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5, **kwargs):
        super().__init__(detail, retry_after=retry_after, **kwargs)
