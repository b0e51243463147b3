"""RFC 9457 problem details for every error a client can see; never a stack trace."""
from __future__ import annotations

import json
import logging

from flask import Response

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise from anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str | None = None, *,
                 type: str = "about:blank", headers: dict | None = None, **extra):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.headers = headers or {}
        self.extra = extra


class NotFound(Problem):
    def __init__(self, what: str):
        super().__init__(404, "Not Found", f"{what} does not exist")


class Conflict(Problem):
    def __init__(self, detail: str, **extra):
        super().__init__(409, "Conflict", detail, **extra)


class Forbidden(Problem):
    def __init__(self, detail: str):
        super().__init__(403, "Forbidden", detail)


class InvalidContent(Problem):
    """422 with one entry per failing field, each named by JSON pointer."""

    def __init__(self, errors: list[dict], detail: str = "The request has invalid fields."):
        super().__init__(422, "Unprocessable Content", detail, errors=errors)


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
