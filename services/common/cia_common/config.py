"""Configuration from defaults, then environment, then explicit overrides.

Services read a plain dict (Flask style) so tests can inject whatever they need
through ``create_app(config)`` without touching the environment.
"""
from __future__ import annotations

import os
from pathlib import Path

from cia_schemas.contracts.base import SOURCES, TOPICS

from .secret import TEST_SUITE_SECRET as LOCAL_JWT_SECRET  # noqa: F401 - what tests mint with
from .secret import environment, jwt_secret
from .settings import ServiceSettings

SERVICE_PORTS = {"authoring": 8001, "review": 8002, "notifier": 8003}

# Endpoints reached without a bearer token, so rate limited per client address.
RATE_LIMITED_PATHS = {"review": "/review/actions/,/api/v1/inbound/"}


def _env_bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def data_dir() -> Path:
    path = Path(os.environ.get("CIA_DATA_DIR", Path.cwd() / ".state" / "data"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def base_url(service: str) -> str:
    env = os.environ.get(f"CIA_{service.upper()}_URL")
    return env or f"http://127.0.0.1:{SERVICE_PORTS[service]}"


def load_config(service: str, overrides: dict | None = None) -> dict:
    """Build the configuration of one service (``authoring``, ``review``, ``notifier``)."""
    env = os.environ
    overrides = dict(overrides or {})
    prefix = env.get("CIA_TOPIC_PREFIX", "")
    cfg: dict = {
        "SERVICE_NAME": service,
        "DATABASE_URL": env.get(f"CIA_{service.upper()}_DATABASE_URL"),
        "KAFKA_BOOTSTRAP_SERVERS": env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        "TOPIC_PREFIX": prefix,
        "ENV": environment(env),
        "JWT_ISSUER": env.get("CIA_JWT_ISSUER"),
        "JWT_AUDIENCE": env.get("CIA_JWT_AUDIENCE"),
        "JWKS_URL": env.get("CIA_JWKS_URL"),
        "FORCE_NAME": env.get("CIA_FORCE_NAME", "Metropolitan Police Service"),
        "AUTHORING_URL": base_url("authoring"),
        "REVIEW_URL": base_url("review"),
        "NOTIFIER_URL": base_url("notifier"),
        "RELAY_POLL_SECONDS": float(env.get("CIA_RELAY_POLL_SECONDS", "0.05")),
        # While PostgreSQL's NOTIFY wakes the relay, polling is only the safety net.
        "RELAY_FALLBACK_POLL_SECONDS": float(env.get("CIA_RELAY_FALLBACK_POLL_SECONDS", "1.0")),
        "CONSUMER_MAX_ATTEMPTS": int(env.get("CIA_CONSUMER_MAX_ATTEMPTS", "3")),
        # A consumer that has not heartbeated its group for this long (twice the
        # session timeout) is replaced.
        "CONSUMER_STALL_SECONDS": float(env.get("CIA_CONSUMER_STALL_SECONDS", "20")),
        # A new consumer that has not joined its group in this long is replaced
        # (unset: three times the stall time).
        "CONSUMER_JOIN_SECONDS": env.get("CIA_CONSUMER_JOIN_SECONDS") or None,
        # How much lower than the web processes a worker's CPU priority is (nice; 0
        # keeps it equal): when the CPUs are all busy, a person's request goes first and
        # the rendering, checks and deliveries that nobody waits on at that moment after.
        "WORKER_NICE": int(env.get("CIA_WORKER_NICE", "10")),
        "RUN_MIGRATIONS": _env_bool(env.get("CIA_RUN_MIGRATIONS"), True),
        # /readyz answers 200 only once the service's worker consumes its topics (off
        # for a web process run on its own, as the tests of one app do).
        "READY_NEEDS_WORKER": _env_bool(env.get("CIA_READY_NEEDS_WORKER"), True),
        # Hardening of the web processes (see cia_common.web).
        "MAX_CONTENT_LENGTH": int(env.get("CIA_MAX_CONTENT_LENGTH", str(2 * 1024 * 1024))),
        "RATE_LIMIT": env.get("CIA_RATE_LIMIT", "60/60"),
        "RATE_LIMITED_PATHS": env.get("CIA_RATE_LIMITED_PATHS",
                                      RATE_LIMITED_PATHS.get(service, "")),
        "TRUSTED_PROXIES": int(env.get("CIA_TRUSTED_PROXIES", "0")),
        "BEHIND_TLS": _env_bool(env.get("CIA_BEHIND_TLS"), False),
        "HSTS_MAX_AGE": int(env.get("CIA_HSTS_MAX_AGE", "31536000")),
        "TESTING": False,
    }
    cfg.update(overrides)
    if not cfg.get("JWT_SECRET"):
        # Refuses to start without one, outside development; not needed for
        # tokens verified against an identity provider's JWKS.
        cfg["JWT_SECRET"] = jwt_secret(env, required=not cfg.get("JWKS_URL"))
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{data_dir() / (service + '.db')}"
    return cfg


def topic(cfg: dict, name: str) -> str:
    """Topic names carry an optional prefix so that test runs use fresh topics."""
    return ServiceSettings.of(cfg).topic(name)


# One events topic per producing service; the key of every message is the CIA id.
# Each service's events topic and source address are part of the event contracts.
EVENT_TOPICS = TOPICS


def events_topic(cfg: dict, service: str | None = None) -> str:
    settings = ServiceSettings.of(cfg)
    return settings.events_topic_of(service or settings.service)


def event_source(service: str) -> str:
    """The CloudEvents ``source`` of everything ``service`` emits."""
    return SOURCES[service]
