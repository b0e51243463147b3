"""The Flask app every service is built on: config, database, OpenAPI,
problem+json errors, health, readiness and Prometheus metrics."""
from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask_smorest import Api
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from cia_schemas.errors import to_json_pointers

from .config import load_config
from .db import Database
from .errors import Problem, from_problem, problem_response
from .kafka_clients import broker_reachable
from .migrate import upgrade

log = logging.getLogger(__name__)


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error as problem+json."""

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


def _handle_db_down(exc: OperationalError):
    log.error("database unavailable: %s", exc.__class__.__name__)
    return problem_response(503, "Service Unavailable",
                            "The database is unavailable; nothing was saved. Try again shortly.",
                            headers={"Retry-After": "5"})


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
        self.service = service


class _ReadinessCache:
    """Broker checks are not free; one per few seconds is plenty for a probe."""

    def __init__(self, ttl: float = 3.0):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.at = 0.0
        self.value = False

    def kafka_ok(self, bootstrap: str) -> bool:
        with self.lock:
            if time.monotonic() - self.at > self.ttl:
                self.value = broker_reachable(bootstrap)
                self.at = time.monotonic()
            return self.value


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
        checks["kafka"] = "ok" if readiness.kafka_ok(current_app.config["KAFKA_BOOTSTRAP_SERVERS"]) \
            else "unreachable"
        ready = all(v == "ok" for v in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503

    @bp.get("/metrics")
    def metrics():
        m = current_app.extensions["cia_metrics"]
        return Response(generate_latest(m.registry), mimetype=CONTENT_TYPE_LATEST)

    return bp


def db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["cia_db"]


def create_service_app(service: str, import_name: str, *, title: str, description: str,
                       migrations: str, config: dict | None = None) -> tuple[Flask, Api]:
    app = Flask(import_name)
    app.config.update(load_config(service, config))
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="https://cdn.jsdelivr.net/npm/swagger-ui-dist/",
        OPENAPI_REDOC_PATH="/redoc",
        OPENAPI_REDOC_URL="https://cdn.jsdelivr.net/npm/redoc/bundles/redoc.standalone.js",
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
    api = ProblemApi(app)
    app.register_error_handler(Problem, _handle_problem)
    app.register_error_handler(OperationalError, _handle_db_down)
    app.register_error_handler(Exception, _handle_unexpected)
    app.register_blueprint(_health_blueprint())

    metrics = _Metrics(service)
    app.extensions["cia_metrics"] = metrics

    @app.before_request
    def _start_timer():
        g._t0 = time.perf_counter()

    @app.after_request
    def _observe(resp):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        metrics.requests.labels(service, request.method, endpoint, resp.status_code).inc()
        if hasattr(g, "_t0"):
            metrics.latency.labels(service, endpoint).observe(time.perf_counter() - g._t0)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    return app, api
