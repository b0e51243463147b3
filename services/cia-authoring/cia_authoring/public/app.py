"""The public disclosure log's Flask app: what was sent, from the published
snapshots only (``reader``), to anyone, rate-limited per client address.

Configuration (``create_app(config)`` keys, else the environment):

``PUBLIC_DATABASE_URL`` (env ``CIA_PUBLIC_DATABASE_URL``)
    See ``reader``: the snapshot table's only reader.
``PUBLIC_RATE_LIMIT`` (env ``CIA_PUBLIC_RATE_LIMIT``, default ``60/60``)
    Requests per client address and period, shared by the app's workers on one
    machine through ``PUBLIC_RATE_LIMIT_FILE`` (env ``CIA_PUBLIC_RATE_LIMIT_FILE``,
    default ``$CIA_DATA_DIR/public-rate-limit.db``); ``0`` turns it off.
"""
from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from werkzeug.exceptions import HTTPException

from cia_common.ratelimit import SharedTokenBucketLimiter, parse_rate, retry_after_header

from cia_authoring.published import ATTACHMENTS, LETTER_DOCX, LETTER_PDF, MEDIA_TYPES
from cia_authoring.public.openapi import DOCUMENT as OPENAPI, PREFIX
from cia_authoring.public.reader import Snapshots, default_url

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
MAX_PAGE_SIZE = 100


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON, headers=headers)


def _setting(config: dict, key: str, default=None):
    value = config.get(key)
    return value if value not in (None, "") else os.environ.get(f"CIA_{key}", default)


def _links(reference: str) -> dict:
    return {"self": f"{PREFIX}/{reference}", "letter": f"{PREFIX}/{reference}/letter",
            "attachments": f"{PREFIX}/{reference}/attachments"}


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}.")
    return int(raw)


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    app = Flask(__name__, static_folder=None)
    snapshots = Snapshots(_setting(config, "PUBLIC_DATABASE_URL") or default_url())
    app.extensions["public_snapshots"] = snapshots
    registry = CollectorRegistry()
    requests_total = Counter("cia_public_requests_total", "Requests to the public log.",
                             ["status"], registry=registry)
    _limiter(app, config)

    @app.after_request
    def _count(response):
        requests_total.labels(str(response.status_code)).inc()
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error", "Something went wrong on our side.")

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        try:
            snapshots.ping()
        except Exception as exc:  # noqa: BLE001 - any failure is "not ready"
            log.warning("public log not ready: %s", exc.__class__.__name__)
            return problem(503, "Service Unavailable", "The published snapshots cannot be read.")
        return {"status": "ready"}

    @app.get("/openapi.json")
    def openapi():
        return OPENAPI

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    @app.get(PREFIX)
    def log_list():
        """Sent responses, newest first (``page``, ``page_size``; ``X-Pagination``)."""
        try:
            page = _int("page", 1, 1, 1_000_000)
            page_size = _int("page_size", 10, 1, MAX_PAGE_SIZE)
        except ValueError as exc:
            return problem(422, "Unprocessable Content", str(exc))
        entries, total = snapshots.entries(page, page_size)
        pages = max(1, math.ceil(total / page_size))
        pagination = {"total": total, "total_pages": pages, "first_page": 1,
                      "last_page": pages, "page": page}
        if page > 1:
            pagination["previous_page"] = page - 1
        if page < pages:
            pagination["next_page"] = page + 1
        body = [{**e, "links": _links(e["reference"])} for e in entries]
        return Response(json.dumps(body), mimetype="application/json",
                        headers={"X-Pagination": json.dumps(pagination)})

    @app.get(f"{PREFIX}/<string:reference>")
    def log_entry(reference: str):
        found = snapshots.file(reference, "entry")
        if found is None:
            return problem(404, "Not Found", f"No published response to {reference}.")
        return {**json.loads(found.data), "links": _links(reference)}

    @app.get(f"{PREFIX}/<string:reference>/letter")
    def letter(reference: str):
        fmt = request.args.get("format")
        if fmt not in (None, "docx", "pdf"):
            return problem(422, "Unprocessable Content", "format is docx or pdf.")
        if fmt is None:
            fmt = "pdf" if request.accept_mimetypes.best_match(
                [MEDIA_TYPES[LETTER_DOCX], MEDIA_TYPES[LETTER_PDF]]) == MEDIA_TYPES[LETTER_PDF] \
                else "docx"
        kind = LETTER_PDF if fmt == "pdf" else LETTER_DOCX
        found = snapshots.file(reference, kind)
        if found is None:
            if kind == LETTER_PDF and snapshots.file(reference, LETTER_DOCX) is not None:
                return problem(503, "Service Unavailable", "The PDF of this letter is being "
                               "made; try again shortly, or take the DOCX.",
                               headers={"Retry-After": "30"})
            return problem(404, "Not Found", f"No published response to {reference}.")
        return _file(found, f"{reference}-response.{fmt}", vary=True)

    @app.get(f"{PREFIX}/<string:reference>/attachments")
    def attachments(reference: str):
        found = snapshots.file(reference, ATTACHMENTS)
        if found is None:
            return problem(404, "Not Found", f"No published response to {reference}.")
        return _file(found, f"{reference}-attachments.zip")

    return app


def _file(found, name: str, vary: bool = False) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}"',
               "ETag": f'"{found.sha256}"', "Cache-Control": "public, max-age=300"}
    if vary:
        headers["Vary"] = "Accept"
    return Response(found.data, mimetype=found.media_type, headers=headers)


def _limiter(app: Flask, config: dict) -> None:
    rate = parse_rate(_setting(config, "PUBLIC_RATE_LIMIT", "60/60"))
    if rate is None:
        return
    path = _setting(config, "PUBLIC_RATE_LIMIT_FILE") or str(
        Path(os.environ.get("CIA_DATA_DIR") or Path.cwd() / ".state" / "data")
        / "public-rate-limit.db")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    limiter = SharedTokenBucketLimiter(rate, path)

    @app.before_request
    def _limit():
        if not request.path.startswith(PREFIX):
            return None
        allowed, wait = limiter.allow(request.remote_addr)
        if allowed:
            return None
        log.warning("rate limit: %s %s from %s refused", request.method, request.path,
                    request.remote_addr)
        return problem(429, "Too Many Requests", "Too many requests from this client; try "
                       f"again in {retry_after_header(wait)} s.",
                       headers={"Retry-After": retry_after_header(wait)})
