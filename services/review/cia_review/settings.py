"""The review service's own settings, read from the service config dict.

A key set in the config (``create_app(config)`` overrides) wins; otherwise the
environment variable ``CIA_<KEY>``; otherwise the default.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field

DEFAULTS = {
    "REVIEWER_POOL": "",
    "REVIEWERS": "",
    "APPROVALS_REQUIRED": 1,
    "REVIEW_LEAD_HOURS": 24.0,
    "REVIEW_MIN_HOURS": 2.0,
    "REVIEW_REMINDER_HOURS": 12.0,
    "ACTION_LINK_SECRET": None,  # derived from JWT_SECRET when unset; never a constant
    "ACTION_LINK_TTL_HOURS": 72.0,
    "INBOUND_SECRETS": "{}",
    "INBOUND_TOLERANCE_SECONDS": 300,
    # How long a document link on the action page works (never past the action link).
    "DOCUMENT_LINK_TTL_MINUTES": 30.0,
}


class SettingsError(ValueError):
    """A review setting has a value the service cannot run with."""


@dataclass(frozen=True)
class ReviewSettings:
    reviewer_pool: tuple[str, ...]  # asked when a submission names nobody, if active in the register
    approvals_required: int
    lead_hours: float
    min_hours: float
    reminder_hours: float
    action_link_secret: bytes
    action_link_ttl_hours: float
    inbound_secrets: dict[str, str] = field(default_factory=dict)
    inbound_tolerance_seconds: int = 300
    document_link_ttl_minutes: float = 30.0
    review_url: str = "http://127.0.0.1:8002"
    authoring_url: str = "http://127.0.0.1:8001"
    # Registered as active reviewers when first needed (local run, tests); the
    # register itself is kept through /api/v1/reviewers.
    reviewers: tuple[str, ...] = ()

    @property
    def seeded_reviewers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.reviewers + self.reviewer_pool))


def _raw(cfg: dict, key: str):
    if cfg.get(key) is not None:
        return cfg[key]
    env = os.environ.get(f"CIA_{key}")
    return env if env is not None else DEFAULTS[key]


def _subs(value) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    seen: list[str] = []
    for item in (str(i).strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return tuple(seen)


def _number(cfg: dict, key: str, kind, minimum) -> float | int:
    value = _raw(cfg, key)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a number, not {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{key} must be at least {minimum}, not {number}")
    return number


def _inbound_secrets(cfg: dict) -> dict[str, str]:
    value = _raw(cfg, "INBOUND_SECRETS")
    if isinstance(value, str):
        try:
            value = json.loads(value or "{}")
        except ValueError:
            raise SettingsError("INBOUND_SECRETS must be a JSON object {integration: whsec_...}") from None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.startswith("whsec_")
            for k, v in value.items()):
        raise SettingsError("INBOUND_SECRETS must map integration names to whsec_ secrets")
    return dict(value)


def derive_action_link_secret(jwt_secret: str) -> bytes:
    # A separate key per purpose: a leaked link key must not mint API tokens.
    return hmac.new(jwt_secret.encode(), b"cia-review/action-links/v1", hashlib.sha256).digest()


def review_settings(cfg: dict) -> ReviewSettings:
    secret = _raw(cfg, "ACTION_LINK_SECRET")
    if not secret and not cfg.get("JWT_SECRET"):
        raise SettingsError("CIA_ACTION_LINK_SECRET must be set when there is no CIA_JWT_SECRET "
                            "to derive the action-link key from.")
    return ReviewSettings(
        reviewer_pool=_subs(_raw(cfg, "REVIEWER_POOL")),
        reviewers=_subs(_raw(cfg, "REVIEWERS")),
        approvals_required=_number(cfg, "APPROVALS_REQUIRED", int, 1),
        lead_hours=_number(cfg, "REVIEW_LEAD_HOURS", float, 0),
        min_hours=_number(cfg, "REVIEW_MIN_HOURS", float, 0),
        reminder_hours=_number(cfg, "REVIEW_REMINDER_HOURS", float, 0),
        action_link_secret=(secret.encode() if isinstance(secret, str) else secret)
        if secret else derive_action_link_secret(cfg["JWT_SECRET"]),
        action_link_ttl_hours=_number(cfg, "ACTION_LINK_TTL_HOURS", float, 0.01),
        inbound_secrets=_inbound_secrets(cfg),
        inbound_tolerance_seconds=_number(cfg, "INBOUND_TOLERANCE_SECONDS", int, 1),
        document_link_ttl_minutes=_number(cfg, "DOCUMENT_LINK_TTL_MINUTES", float, 0.01),
        review_url=str(cfg.get("REVIEW_URL") or "http://127.0.0.1:8002").rstrip("/"),
        authoring_url=str(cfg.get("AUTHORING_URL") or "http://127.0.0.1:8001").rstrip("/"),
    )
