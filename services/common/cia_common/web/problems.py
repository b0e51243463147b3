"""RFC 9457 problem details: the one mapping from refusals to HTTP answers."""
from __future__ import annotations

import json

from flask import Response

from ..errors import DomainError

PROBLEM_JSON = "application/problem+json"

# kind -> (status, title): the only place a domain refusal meets HTTP.
STATUS = {
    "invalid": (400, "Bad Request"),
    "unauthenticated": (401, "Unauthorized"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not Found"),
    "conflict": (409, "Conflict"),
    "gone": (410, "Gone"),
    "precondition_failed": (412, "Precondition Failed"),
    "too_large": (413, "Content Too Large"),
    "unprocessable": (422, "Unprocessable Content"),
    "precondition_required": (428, "Precondition Required"),
    "unavailable": (503, "Service Unavailable"),
}


class Problem(Exception):
    """Raise from a view to answer with a problem document of any status."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 type: str = "about:blank", headers: dict | None = None, **extra):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers or {}
        self.extra = extra


def problem_response(status: int, title: str, detail: str | None = None, *,
                     type: str = "about:blank", headers: dict | None = None, **extra) -> Response:
    body = {"type": type, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def from_problem(p: Problem) -> Response:
    return problem_response(p.status, p.title, p.detail, type=p.type, headers=p.headers, **p.extra)


def status_of(exc: DomainError) -> int:
    return STATUS[exc.kind][0]


def from_domain_error(exc: DomainError) -> Response:
    status, title = STATUS[exc.kind]
    extra = dict(exc.extra)
    if exc.errors:
        extra["errors"] = exc.errors
    elif exc.kind == "unprocessable":
        extra["errors"] = [{"pointer": exc.pointer or "", "detail": exc.detail}]
    headers = {}
    if exc.kind == "unauthenticated":
        headers["WWW-Authenticate"] = 'Bearer realm="cia"'
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return problem_response(status, title, exc.detail, headers=headers, **extra)
