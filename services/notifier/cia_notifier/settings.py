"""The notifier's own configuration keys, on top of ``cia_common.config``.

Each key comes from the explicit config dict first, then the environment
(``CIA_<KEY>``), then the default below.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from cia_common.config import load_config

from .deliveries.retries import parse_schedule

DEFAULTS: dict[str, str] = {
    # Receivers accept a rotated-out secret for this long.
    "SECRET_ROTATION_HOURS": "24",
    # Hosts or CIDRs that may be private/loopback destinations, e.g. "127.0.0.1,localhost".
    "WEBHOOK_ALLOWED_HOSTS": "",
    "DELIVERY_TIMEOUT_SECONDS": "15",
    # Delay after the 1st, 2nd, ... failed attempt; one more attempt than entries.
    "RETRY_SCHEDULE_SECONDS": "5,300,1800,7200,18000,36000,50400,72000,86400",
    "MAX_CONSECUTIVE_FAILURES": "20",
    "DELIVERY_CONCURRENCY": "8",
}


def notifier_config(overrides: dict | None = None) -> dict:
    """``load_config("notifier")`` plus the notifier's keys."""
    cfg = load_config("notifier", overrides)
    for key, default in DEFAULTS.items():
        if cfg.get(key) is None:
            cfg[key] = os.environ.get(f"CIA_{key}", default)
    return cfg


def _split(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(",")
    return tuple(str(v).strip() for v in value if str(v).strip())


@dataclass(frozen=True)
class Settings:
    secret_rotation_hours: float
    allowed_hosts: tuple[str, ...]
    timeout_seconds: float
    retry_schedule: tuple[float, ...]
    max_consecutive_failures: int
    concurrency: int

    @property
    def lease_seconds(self) -> float:
        # A claimed delivery whose worker died is retried once this has passed.
        return self.timeout_seconds + 30.0

    @classmethod
    def from_config(cls, cfg: dict) -> "Settings":
        def get(key):
            value = cfg.get(key)
            return os.environ.get(f"CIA_{key}", DEFAULTS[key]) if value is None else value

        return cls(
            secret_rotation_hours=float(get("SECRET_ROTATION_HOURS")),
            allowed_hosts=_split(get("WEBHOOK_ALLOWED_HOSTS")),
            timeout_seconds=float(get("DELIVERY_TIMEOUT_SECONDS")),
            retry_schedule=parse_schedule(get("RETRY_SCHEDULE_SECONDS")),
            max_consecutive_failures=int(get("MAX_CONSECUTIVE_FAILURES")),
            concurrency=max(1, int(get("DELIVERY_CONCURRENCY"))),
        )
