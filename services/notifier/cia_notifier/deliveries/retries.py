"""Pure rules of retrying a delivery: the retry schedule, what a receiver's answer
means, and what to do after each attempt.

No Flask, no SQLAlchemy, no network: everything here is a plain function.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import Enum


def parse_schedule(value) -> tuple[float, ...]:
    """``"5,300,1800"`` (or a list of numbers) → delays in seconds."""
    if isinstance(value, str):
        items = [v for v in (p.strip() for p in value.split(",")) if v]
    else:
        items = list(value)
    delays = tuple(float(v) for v in items)
    if any(d < 0 or math.isnan(d) for d in delays):
        raise ValueError(f"retry delays must be non-negative: {value!r}")
    return delays


JITTER = 0.10
MAX_RETRY_AFTER_SECONDS = 86400.0  # a receiver cannot park a delivery for longer than a day


def retry_delay(failed_attempts: int, schedule, rng: random.Random | None = None) -> float | None:
    """Seconds to wait after the ``failed_attempts``-th consecutive failure of a
    delivery, ±10 % jitter so that receivers coming back are not stampeded;
    ``None`` once the schedule is exhausted."""
    if failed_attempts < 1 or failed_attempts > len(schedule):
        return None
    base = schedule[failed_attempts - 1]
    factor = 1.0 + (rng or random).uniform(-JITTER, JITTER)
    return base * factor


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header (delay-seconds or HTTP-date) as seconds from ``now``."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


class Outcome(str, Enum):
    SUCCEEDED = "succeeded"   # 2xx
    RETRY = "retry"           # anything else, including timeouts and refused connections
    GONE = "gone"             # 410: the receiver says the endpoint no longer exists


def classify(status_code: int | None) -> Outcome:
    if status_code is not None and 200 <= status_code < 300:
        return Outcome.SUCCEEDED
    if status_code == 410:
        return Outcome.GONE
    return Outcome.RETRY


@dataclass(frozen=True)
class Verdict:
    """What to do with a delivery after one attempt."""
    status: str                    # pending | succeeded | failed
    retry_in: float | None         # seconds until the next attempt, when pending
    disable_subscription: str | None  # reason, when the subscription must be disabled
    reset_failures: bool


def judge_attempt(*, status_code: int | None, retry_after: float | None, round_failures: int,
                  consecutive_failures: int, schedule, max_consecutive_failures: int,
                  rng: random.Random | None = None) -> Verdict:
    """Decide after an attempt.

    ``round_failures`` counts this delivery's failed attempts including this one;
    ``consecutive_failures`` the subscription's, including this one.
    """
    outcome = classify(status_code)
    if outcome is Outcome.SUCCEEDED:
        return Verdict("succeeded", None, None, True)
    if outcome is Outcome.GONE:
        return Verdict("failed", None, "the receiver answered 410 Gone", False)
    disable = None
    if consecutive_failures >= max_consecutive_failures:
        disable = f"{consecutive_failures} consecutive failed deliveries"
    delay = retry_delay(round_failures, schedule, rng)
    if delay is None:
        return Verdict("failed", None, disable, False)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return Verdict("pending", delay, disable, False)
