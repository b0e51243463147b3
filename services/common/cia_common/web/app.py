"""The Flask app every service is built on: config, database, OpenAPI,
problem+json errors, health, readiness and Prometheus metrics."""
from __future__ import annotations

import http
import logging
import threading
import time
import types
from datetime import timedelta
from urllib.parse import urlsplit

import marshmallow as ma
import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_smorest.arguments import ArgumentsMixin
from flask_smorest import pagination as fs_pagination
from flask_smorest.pagination import PaginationMetadataSchema
from flask_smorest.utils import prepare_response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request

from cia_schemas.asyncapi import document as asyncapi_document
from cia_schemas.errors import to_json_pointers

from .. import json_input, tracing
from . import docs_assets
from ..config import load_config
from ..db import Database, Recorder
from ..errors import DomainError, InvalidContent
from ..events import utcnow
from .problems import PROBLEM_JSON, Problem, from_domain_error, from_problem, problem_response
from ..kafka_clients import broker_reachable, group_not_ready
from ..metrics import DatabaseGauges, include_process_metrics
from ..migrate import upgrade
from ..settings import ServiceSettings
from ..tables import worker_heartbeats
from ..ratelimit import (RateLimitDocPlugin, TokenBucketLimiter, parse_prefixes, parse_rate,
                        retry_after_header)

log = logging.getLogger(__name__)

# Highest page number a list endpoint accepts: beyond it the offset overflows the
# database's integer (a 500 on PostgreSQL) long before any list is that long.
MAX_PAGE = 1_000_000


def _bounded_pagination_schema(factory):
    def make(def_page, def_page_size, def_max_page_size):
        base = factory(def_page, def_page_size, def_max_page_size)

        class PaginationParametersSchema(base):
            page = ma.fields.Integer(load_default=def_page,
                                     validate=ma.validate.Range(min=1, max=MAX_PAGE))

        return PaginationParametersSchema

    make.bounded = True
    return make


# flask-smorest builds each endpoint's pagination schema when the view module is
# decorated; every view module imports this one first, so the bound applies to all.
if not getattr(fs_pagination._pagination_parameters_schema_factory, "bounded", False):
    fs_pagination._pagination_parameters_schema_factory = _bounded_pagination_schema(
        fs_pagination._pagination_parameters_schema_factory)


class LimitedJSONProvider(DefaultJSONProvider):
    """``request.get_json()`` within the limits of :mod:`cia_common.json_input`."""

    def loads(self, s, **kwargs):
        return json_input.loads(s)


class LimitedArgumentsParser(FlaskParser):
    """webargs' parser for every flask-smorest blueprint: bodies are parsed within
    the JSON limits, and loaded date-times outside the representable range are
    refused (422) before a view shifts or compares them."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return webargs_core.missing
        data = req.get_data(cache=True)
        if not data.strip():
            return webargs_core.missing
        try:
            return json_input.loads(data)
        except ValueError as exc:  # not JSON, or not UTF-8
            self._handle_invalid_json_error(exc, req)

    def parse(self, argmap, req=None, *, location=None, **kwargs):
        data = super().parse(argmap, req, location=location, **kwargs)
        errors = json_input.datetime_errors(_by_data_key(argmap, data))
        if errors:
            where = location or self.location
            if where != "json":
                errors = [{**e, "location": where} for e in errors]
            raise InvalidContent(errors, "The request has date-times out of range.")
        return data


def _by_data_key(argmap, data):
    """Loaded arguments keyed as the client wrote them, for the pointers."""
    fields = getattr(argmap, "fields", None)
    if not isinstance(data, dict) or not fields:
        return data
    return {(fields[k].data_key or k) if k in fields else k: v for k, v in data.items()}


# Every blueprint shares flask-smorest's one parser instance, bound when its views
# are decorated; changing that instance's class reaches them all, whatever the
# import order.
if type(ArgumentsMixin.ARGUMENTS_PARSER) is FlaskParser:
    ArgumentsMixin.ARGUMENTS_PARSER.__class__ = LimitedArgumentsParser


class ProblemDocSchema(ma.Schema):
    """RFC 9457 problem details, as every error is answered (members may be added)."""
    type = ma.fields.String(metadata={"description": "A URI naming the problem type."})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong, for a person."})
    errors = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "Invalid fields: {pointer (RFC 6901), detail, location}."})


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error as problem+json."""

    def _register_responses(self):
        # The error responses flask-smorest documents by itself (422 for invalid
        # arguments, ...) are documented as the problem+json they are answered with.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = ProblemDocSchema
                prepare_response(response, self.spec, PROBLEM_JSON)
            else:
                if not (100 <= status < 200) and status not in (204, 304):
                    response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": ProblemDocSchema}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_pagination_header(self):
        # X-Pagination carries a JSON object: document it as a JSON-valued header
        # (OpenAPI "content"), not as an object in the comma-separated "simple" style.
        if self.spec.openapi_version.major >= 3:
            self.spec.components.header("PAGINATION", {
                "description": "Pagination metadata, as JSON.",
                "content": {"application/json": {"schema": PaginationMetadataSchema}}}, lazy=True)

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        messages = data.get("messages")
        if error.code == 422 and messages:
            # webargs nests by location ("json", "query"): drop that level.
            errors = []
            for location, msgs in messages.items():
                for item in to_json_pointers(msgs):
                    if location != "json":
                        item["location"] = location
                    errors.append(item)
            return problem_response(422, "Unprocessable Content",
                                    "The request has invalid fields.", errors=errors)
        return problem_response(error.code or 500, error.name, data.get("message") or error.description)


def _handle_problem(p: Problem):
    return from_problem(p)


def _handle_db_down(exc: Exception):
    log.error("database unavailable: %s", exc.__class__.__name__)
    return problem_response(503, "Service Unavailable",
                            "The database is unavailable; nothing was saved. Try again shortly.",
                            headers={"Retry-After": "5"})


def _handle_bad_value(exc: DataError):
    # The database refused a value (a number beyond its column, say): the input's
    # fault, and nothing was saved.
    log.warning("database refused a value: %s", exc.orig.__class__.__name__ if exc.orig else exc)
    return problem_response(422, "Unprocessable Content",
                            "A value is outside what can be stored; nothing was saved.")


def _handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return current_app.extensions["smorest_api"].handle_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem_response(500, "Internal Server Error",
                            "Something went wrong on our side; nothing was half-saved.")


class _Metrics:
    def __init__(self, service: str):
        self.registry = CollectorRegistry()
        self.requests = Counter("http_requests_total", "HTTP requests",
                                ["service", "method", "endpoint", "status"], registry=self.registry)
        self.latency = Histogram("http_request_duration_seconds", "HTTP request latency",
                                 ["service", "endpoint"], registry=self.registry)
        self.rate_limited = Counter("http_rate_limited_total",
                                    "Requests refused with 429 by the per-client rate limit",
                                    ["service", "endpoint"], registry=self.registry)
        self.service = service
        # Each labelled child once: prometheus_client's labels() takes a lock and
        # builds its key on every call, a measurable share of a cached read.
        self._counted: dict[tuple, object] = {}
        self._timed: dict[str, object] = {}
        include_process_metrics(self.registry)

    def observe(self, method: str, endpoint: str, status: int, seconds: float | None) -> None:
        """Count one answered request and, when timed, its latency."""
        counter = self._counted.get((method, endpoint, status))
        if counter is None:
            counter = self._counted.setdefault(
                (method, endpoint, status),
                self.requests.labels(self.service, method, endpoint, status))
        counter.inc()
        if seconds is not None:
            histogram = self._timed.get(endpoint)
            if histogram is None:
                histogram = self._timed.setdefault(
                    endpoint, self.latency.labels(self.service, endpoint))
            histogram.observe(seconds)

    def register(self, collector) -> None:
        """Add a collector read at scrape time (a service's database gauges, Kafka lag)."""
        self.registry.register(collector)


WORKER_REPORT_S = 10.0


def worker_consuming(database: Database) -> bool:
    """Whether a worker of this service said, in the last few seconds, that its
    consumer takes part in its group (cia_common.worker reports it every second)."""
    since = utcnow() - timedelta(seconds=WORKER_REPORT_S)
    with database.engine.connect() as conn:
        return conn.execute(
            sa.select(worker_heartbeats.c.instance)
            .where(worker_heartbeats.c.consuming.is_(True), worker_heartbeats.c.seen_at > since)
            .limit(1)).first() is not None


class _ReadinessCache:
    """Broker checks are not free: the broker's answer is kept a few seconds, the
    worker's while it is ready (until then it is asked again at every probe, so that
    "ready" comes as soon as it is true)."""

    def __init__(self, ttl: float = 3.0):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.at = 0.0
        self.value = False
        self.worker_at = 0.0
        self.worker: str | None = "not asked yet"

    def kafka_ok(self, bootstrap: str) -> bool:
        with self.lock:
            if time.monotonic() - self.at > self.ttl:
                self.value = broker_reachable(bootstrap)
                self.at = time.monotonic()
            return self.value

    def worker_not_ready(self, bootstrap: str, groups: dict[str, list[str]]) -> str | None:
        with self.lock:
            if self.worker is not None or time.monotonic() - self.worker_at > self.ttl:
                try:
                    self.worker = next((f"{group}: {why}" for group, topics in groups.items()
                                        if (why := group_not_ready(bootstrap, group, topics))),
                                       None)
                except Exception as exc:  # noqa: BLE001 - the broker answers no more
                    self.worker = f"unknown ({exc.__class__.__name__})"
                self.worker_at = time.monotonic()
            return self.worker


def _health_blueprint() -> Blueprint:
    bp = Blueprint("health", __name__)
    readiness = _ReadinessCache()

    @bp.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=current_app.config["SERVICE_NAME"])

    @bp.get("/readyz")
    def readyz():
        checks = {}
        try:
            db(current_app).ping()
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["database"] = f"unavailable: {exc.__class__.__name__}"
        bootstrap = current_app.config["KAFKA_BOOTSTRAP_SERVERS"]
        checks["kafka"] = "ok" if readiness.kafka_ok(bootstrap) else "unreachable"
        # A service with a worker is ready once that worker's consumer has joined its
        # group and holds its partitions: before that, events would wait unread.
        groups = current_app.extensions.get("cia_worker_group")
        if groups is not None and current_app.config.get("READY_NEEDS_WORKER", True) \
                and checks["kafka"] == "ok" and checks["database"] == "ok":
            # The worker's own word (it takes part in its group and heartbeats), then
            # the broker's (every partition of its topics held by a member).
            if not worker_consuming(db(current_app)):
                why = f"no worker said it consumes in the last {WORKER_REPORT_S:g} s"
            else:
                why = readiness.worker_not_ready(bootstrap, groups())
            checks["worker"] = "ok" if why is None else f"not consuming: {why}"
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

    @bp.get("/asyncapi.json")
    def asyncapi():
        # The channels this service sends to and reads from (docs/asyncapi.json: all).
        return jsonify(asyncapi_document(current_app.config["SERVICE_NAME"]))

    @bp.get("/metrics")
    def metrics():
        m = current_app.extensions["cia_metrics"]
        return Response(generate_latest(m.registry), mimetype=CONTENT_TYPE_LATEST)

    return bp


# API answers are data, never a page to render: nothing may load or frame them.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# HTML that sets no policy of its own: no scripts, inline styles only.
HTML_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _docs_csp(cfg: dict) -> str:
    """The API docs pages load Swagger UI / ReDoc (from the service itself unless
    configured otherwise) and run inline set-up."""
    urls = (urlsplit(cfg.get(key) or "") for key in ("OPENAPI_SWAGGER_UI_URL", "OPENAPI_REDOC_URL"))
    origins = sorted({f"{u.scheme}://{u.netloc}" for u in urls if u.scheme and u.netloc})
    cdn = "".join(f" {o}" for o in origins)
    return (f"default-src 'none'; script-src 'self' 'unsafe-inline'{cdn}; "
            f"style-src 'self' 'unsafe-inline'{cdn}; img-src 'self' data:{cdn}; "
            f"font-src 'self' data:{cdn}; connect-src 'self'; worker-src blob:; "
            "frame-ancestors 'none'; base-uri 'none'")


def _secure_headers(app: Flask):
    docs_paths = {app.config.get("OPENAPI_URL_PREFIX", "/").rstrip("/") + p
                  for p in (app.config.get("OPENAPI_SWAGGER_UI_PATH") or "",
                            app.config.get("OPENAPI_REDOC_PATH") or "") if p}
    docs_csp = _docs_csp(app.config)
    hsts = f"max-age={int(app.config.get('HSTS_MAX_AGE') or 0)}; includeSubDomains"

    fixed = (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
             ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"),
             ("Cross-Origin-Opener-Policy", "same-origin"))

    def apply(resp: Response) -> Response:
        # Each header only where the view set none; the names the answer has are
        # read once (werkzeug's setdefault scans them all for every header).
        headers = resp.headers
        have = {name.lower() for name in headers.keys()}
        add = [(name, value) for name, value in fixed if name.lower() not in have]
        if "content-security-policy" not in have:
            if request.path in docs_paths:
                add.append(("Content-Security-Policy", docs_csp))
            elif resp.mimetype == "text/html":
                add.append(("Content-Security-Policy", HTML_CSP))
            else:
                add.append(("Content-Security-Policy", API_CSP))
        # Only over TLS: HSTS on plain HTTP is ignored by browsers, and wrong locally.
        if "strict-transport-security" not in have and app.config.get("HSTS_MAX_AGE") \
                and (app.config.get("BEHIND_TLS") or request.is_secure):
            add.append(("Strict-Transport-Security", hsts))
        headers.extend(add)
        return resp

    return apply


def _rate_limiter(app: Flask, metrics: "_Metrics"):
    """A before-request hook limiting the configured path prefixes per client address."""
    rate = parse_rate(app.config.get("RATE_LIMIT"))
    prefixes = parse_prefixes(app.config.get("RATE_LIMITED_PATHS"))
    if rate is None or not prefixes:
        return None
    limiter = TokenBucketLimiter(rate)
    app.extensions["cia_rate_limiter"] = limiter

    def check():
        prefix = next((p for p in prefixes if request.path.startswith(p)), None)
        if prefix is None:
            return None
        # One bucket per client and prefix: browsing links does not use up decisions.
        allowed, wait = limiter.allow((prefix, request.remote_addr))
        if allowed:
            return None
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.rate_limited.labels(metrics.service, endpoint).inc()
        log.warning("rate limit: %s %s from %s refused", request.method, prefix,
                    request.remote_addr)
        return problem_response(429, "Too Many Requests",
                                f"Too many requests from this client; try again in "
                                f"{retry_after_header(wait)} s.",
                                headers={"Retry-After": retry_after_header(wait)})

    return check


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` in a path is a number stored as a 32-bit integer (a version
    number): a larger one cannot exist, so it does not match (404) instead of
    overflowing the query (500 on PostgreSQL). The OpenAPI shows the maximum."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class ServiceFlask(Flask):
    """Flask that asks once per function whether it is a coroutine function: Flask
    asks for every hook and every layer of flask-smorest's view decorators on every
    request, and ``inspect`` answering it was a measurable share of a cached read.
    Plain functions only: a bound method is made afresh for each call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync_of: dict = {}

    def ensure_sync(self, func):
        if type(func) is not types.FunctionType:
            return super().ensure_sync(func)
        sync = self._sync_of.get(func)
        if sync is None:
            sync = self._sync_of[func] = super().ensure_sync(func)
        return sync


def db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["cia_db"]


def create_service_app(service: str, import_name: str, *, title: str, description: str,
                       migrations: str, config: dict | None = None,
                       recorder: Recorder | None = None) -> tuple[Flask, Api]:
    app = ServiceFlask(import_name)
    app.json = LimitedJSONProvider(app)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.update(load_config(service, config))
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        # Served by the service itself (docs_assets): nothing loads from the internet.
        OPENAPI_SWAGGER_UI_URL=docs_assets.SWAGGER_UI_URL,
        # No validity badge: Swagger UI would fetch it from validator.swagger.io.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        OPENAPI_REDOC_PATH="/redoc",
        OPENAPI_REDOC_URL=docs_assets.REDOC_URL,
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearerAuth": []}],
        },
        MAX_CONTENT_LENGTH=app.config.get("MAX_CONTENT_LENGTH") or 2 * 1024 * 1024,
    )
    if app.config.get("RUN_MIGRATIONS", True):
        upgrade(app.config["DATABASE_URL"], migrations)
    app.extensions["cia_db"] = Database(app.config["DATABASE_URL"])
    app.extensions["cia_settings"] = ServiceSettings.of(app.config, recorder=recorder)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N proxies: the client address and scheme come from their X-Forwarded-* headers.
        n = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    limited = parse_prefixes(app.config.get("RATE_LIMITED_PATHS")) \
        if parse_rate(app.config.get("RATE_LIMIT")) else ()
    api = ProblemApi(app, spec_kwargs={"extra_plugins": [RateLimitDocPlugin(limited)]})
    app.register_error_handler(Problem, _handle_problem)
    app.register_error_handler(DomainError, from_domain_error)
    # Connection refused or lost, or no pooled connection free in time: the
    # transaction never committed, so "nothing was saved" holds.
    for db_down in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(db_down, _handle_db_down)
    app.register_error_handler(DataError, _handle_bad_value)
    app.register_error_handler(Exception, _handle_unexpected)
    app.register_blueprint(_health_blueprint())
    app.register_blueprint(docs_assets.blueprint())

    metrics = _Metrics(service)
    app.extensions["cia_metrics"] = metrics
    # The outbox backlog here; each service adds its own readers (cia_*.metrics).
    app.extensions["cia_db_gauges"] = DatabaseGauges(db(app).engine, service)
    metrics.register(app.extensions["cia_db_gauges"])

    tracing.configure(service)

    @app.before_request
    def _start_timer():
        # The request and g once each: every access through their proxies has its cost.
        req, ctx = request._get_current_object(), g._get_current_object()
        ctx._t0 = time.perf_counter()
        rule = req.url_rule
        endpoint = rule.rule if rule else "unmatched"
        # No span to start when nothing records one and no trace came in (looked up
        # in the environ: a missing header costs werkzeug an exception).
        ctx._span = tracing.start_request_span(
            f"{req.method} {endpoint}", req.headers, service,
            {"http.request.method": req.method, "http.route": endpoint}) \
            if "HTTP_TRACEPARENT" in req.environ or tracing.recording() else None

    @app.teardown_request
    def _end_span(error):
        ctx = g._get_current_object()
        handle = ctx.pop("_span", None)
        if handle is not None:
            tracing.end_request_span(handle, ctx.pop("_status", None), error)

    limit = _rate_limiter(app, metrics)
    if limit is not None:
        app.before_request(limit)
    secure_headers = _secure_headers(app)

    @app.after_request
    def _observe(resp):
        req, ctx = request._get_current_object(), g._get_current_object()
        rule = req.url_rule
        t0 = ctx.get("_t0")
        metrics.observe(req.method, rule.rule if rule else "unmatched", resp.status_code,
                        None if t0 is None else time.perf_counter() - t0)
        ctx._status = resp.status_code
        return secure_headers(resp)

    return app, api
