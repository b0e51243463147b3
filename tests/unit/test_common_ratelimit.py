"""The per-client token bucket behind the rate limits (cia_common.ratelimit)."""
from __future__ import annotations

import pytest

from cia_common.ratelimit import (Rate, RateLimitDocPlugin, RateLimitSettingError,
                                  TokenBucketLimiter, parse_prefixes, parse_rate,
                                  retry_after_header)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("text,expected", [
    ("30/60", Rate(30, 60.0)),
    ("5/1", Rate(5, 1.0)),
    (" 10/0.5 ", Rate(10, 0.5)),
    ("7", Rate(7, 1.0)),
])
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("off", [None, "", "0", "off", "none"])
def test_a_rate_can_be_switched_off(off):
    assert parse_rate(off) is None


@pytest.mark.parametrize("bad", ["ten/60", "-3/60", "3/0", "3/x"])
def test_a_bad_rate_is_refused(bad):
    with pytest.raises(RateLimitSettingError):
        parse_rate(bad)


def test_parse_prefixes():
    assert parse_prefixes(" /a/, ,/b ") == ("/a/", "/b")
    assert parse_prefixes(["/x"]) == ("/x",)
    assert parse_prefixes(None) == ()


def test_a_burst_up_to_capacity_then_refusal_with_the_wait():
    clock = Clock()
    limiter = TokenBucketLimiter(Rate(3, 30.0), clock=clock)  # one token per 10 s
    assert [limiter.allow("ip")[0] for _ in range(3)] == [True, True, True]
    allowed, wait = limiter.allow("ip")
    assert not allowed
    assert wait == pytest.approx(10.0)
    clock.now += 4.0
    allowed, wait = limiter.allow("ip")
    assert not allowed and wait == pytest.approx(6.0)
    clock.now += 6.0
    assert limiter.allow("ip") == (True, 0.0)
    assert limiter.allow("ip")[0] is False


def test_buckets_are_per_client():
    limiter = TokenBucketLimiter(Rate(1, 60.0), clock=Clock())
    assert limiter.allow("a")[0]
    assert not limiter.allow("a")[0]
    assert limiter.allow("b")[0]


def test_refill_never_exceeds_capacity():
    clock = Clock()
    limiter = TokenBucketLimiter(Rate(2, 2.0), clock=clock)
    limiter.allow("ip")
    clock.now += 3600
    assert [limiter.allow("ip")[0] for _ in range(3)] == [True, True, False]


def test_memory_is_bounded_by_forgetting_the_oldest_client():
    clock = Clock()
    limiter = TokenBucketLimiter(Rate(1, 60.0), max_keys=3, clock=clock)
    for key in "abcd":
        assert limiter.allow(key)[0]
    assert len(limiter) == 3
    assert limiter.allow("a")[0]       # forgotten, so it starts afresh
    assert not limiter.allow("d")[0]   # still remembered


@pytest.mark.parametrize("wait,header", [(0.01, "1"), (1.0, "1"), (1.2, "2"), (59.5, "60")])
def test_retry_after_is_whole_seconds_rounded_up(wait, header):
    assert retry_after_header(wait) == header


def test_the_doc_plugin_adds_429_under_the_limited_paths_only():
    plugin = RateLimitDocPlugin(("/review/actions/",))
    limited = {"get": {"responses": {"200": {}}}, "post": {}}
    plugin.operation_helper(path="/review/actions/{token}", operations=limited)
    assert set(limited["get"]["responses"]) == {"200", "429"}
    assert "Retry-After" in limited["post"]["responses"]["429"]["headers"]
    other = {"get": {"responses": {"200": {}}}}
    plugin.operation_helper(path="/api/v1/reviews", operations=other)
    assert set(other["get"]["responses"]) == {"200"}


def test_workers_sharing_a_file_share_one_budget(tmp_path):
    from multiprocessing import get_context

    from cia_common.ratelimit import SharedTokenBucketLimiter

    path = str(tmp_path / "limit.db")
    clock = Clock()
    first = SharedTokenBucketLimiter(Rate(3, 60), path, clock=clock)
    second = SharedTokenBucketLimiter(Rate(3, 60), path, clock=clock)
    assert [first.allow("a")[0], second.allow("a")[0], first.allow("a")[0]] == [True] * 3
    allowed, wait = second.allow("a")
    assert not allowed and wait == pytest.approx(20.0)
    assert second.allow("b") == (True, 0.0)  # another client has its own budget
    # A process of its own (a gunicorn worker) meets the same empty bucket.
    with get_context("spawn").Pool(1) as pool:
        assert pool.apply(_allowed_elsewhere, (path, clock.now)) is False
    clock.now += 20.0
    assert first.allow("a") == (True, 0.0)


def _allowed_elsewhere(path: str, now: float) -> bool:
    from cia_common.ratelimit import SharedTokenBucketLimiter

    return SharedTokenBucketLimiter(Rate(3, 60), path, clock=lambda: now).allow("a")[0]
