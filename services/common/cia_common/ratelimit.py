"""A small token bucket per client address, for the endpoints a stranger can
reach without a bearer token (action links, signed inbound decisions, the public
disclosure log): it bounds guessing and flooding.

``TokenBucketLimiter`` keeps its buckets in the process, so with N processes
behind one address a client gets at most N times the limit; a proxy in front
enforces a global one. ``SharedTokenBucketLimiter`` keeps them in an SQLite file
that every worker of a gunicorn on one machine opens, so they share one budget.
"""
from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from apispec import BasePlugin


class RateLimitSettingError(ValueError):
    """``RATE_LIMIT`` is not ``<requests>/<seconds>``."""


@dataclass(frozen=True)
class Rate:
    """``capacity`` requests at once, refilled evenly over ``period`` seconds."""
    capacity: int
    period: float

    @property
    def per_second(self) -> float:
        return self.capacity / self.period


def parse_rate(value) -> Rate | None:
    """``"30/60"`` → 30 requests per 60 s; ``""``, ``"0"`` or ``None`` → no limit."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in {"", "0", "off", "none"}:
        return None
    try:
        count, _, period = text.partition("/")
        rate = Rate(int(count), float(period or 1))
    except ValueError:
        raise RateLimitSettingError(f"RATE_LIMIT must be <requests>/<seconds>, not {value!r}") \
            from None
    if rate.capacity < 1 or rate.period <= 0:
        raise RateLimitSettingError(f"RATE_LIMIT must be positive, not {value!r}")
    return rate


def parse_prefixes(value) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return tuple(p.strip() for p in items if p and p.strip())


class TokenBucketLimiter:
    """``allow(key)`` → ``(True, 0)`` or ``(False, seconds until a token is back)``."""

    def __init__(self, rate: Rate, *, max_keys: int = 10_000, clock=time.monotonic):
        self.rate = rate
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        # key -> (tokens, at); least recently seen first, so the oldest go when full.
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()

    def allow(self, key) -> tuple[bool, float]:
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.rate.capacity), now))
            tokens = min(float(self.rate.capacity), tokens + (now - at) * self.rate.per_second)
            if tokens >= 1.0:
                allowed, wait = True, 0.0
                tokens -= 1.0
            else:
                allowed, wait = False, (1.0 - tokens) / self.rate.per_second
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_keys:
                # A forgotten client starts again with a full bucket: the cap
                # bounds memory under a spray of addresses, at worst it is lenient.
                self._buckets.popitem(last=False)
        return allowed, wait

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)


class SharedTokenBucketLimiter:
    """``TokenBucketLimiter``'s buckets in an SQLite file at ``path``: the processes
    that open the same file share each client's budget. One short write transaction
    per request (``BEGIN IMMEDIATE``: one process at a time reads and refills a
    bucket); buckets untouched for ten periods are dropped now and then."""

    def __init__(self, rate: Rate, path: str, *, clock=time.time):
        self.rate = rate
        self.path = path
        self.clock = clock
        self._local = threading.local()
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS buckets "
                         "(key TEXT PRIMARY KEY, tokens REAL NOT NULL, at REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def allow(self, key) -> tuple[bool, float]:
        key, now = repr(key), self.clock()
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT tokens, at FROM buckets WHERE key = ?", (key,)).fetchone()
            tokens, at = row if row else (float(self.rate.capacity), now)
            tokens = min(float(self.rate.capacity), tokens + max(now - at, 0.0) * self.rate.per_second)
            if tokens >= 1.0:
                allowed, wait = True, 0.0
                tokens -= 1.0
            else:
                allowed, wait = False, (1.0 - tokens) / self.rate.per_second
            conn.execute("INSERT INTO buckets (key, tokens, at) VALUES (?, ?, ?) ON CONFLICT(key) "
                         "DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
                         (key, tokens, now))
            if hash(key) % 100 == 0:  # a full bucket forgotten is a full bucket again
                conn.execute("DELETE FROM buckets WHERE at < ?", (now - 10 * self.rate.period,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return allowed, wait


def retry_after_header(wait_seconds: float) -> str:
    return str(max(1, math.ceil(wait_seconds)))


class RateLimitDocPlugin(BasePlugin):
    """Adds the 429 answer to the OpenAPI operations under the limited paths."""

    def __init__(self, prefixes: tuple[str, ...]):
        super().__init__()
        self.prefixes = prefixes

    def operation_helper(self, path=None, operations=None, **kwargs):
        if not path or not operations or not any(path.startswith(p) for p in self.prefixes):
            return
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            operation.setdefault("responses", {}).setdefault("429", {
                "description": "Too many requests from this client; try again after "
                               "Retry-After seconds (problem+json).",
                "headers": {"Retry-After": {"schema": {"type": "integer"},
                                            "description": "Seconds to wait."}},
                "content": {"application/problem+json": {"schema": {"type": "object"}}},
            })
