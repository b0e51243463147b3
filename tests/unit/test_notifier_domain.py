"""Pure delivery rules: retry schedule and jitter, Retry-After, verdicts, matching, signing."""
import base64
import random
from datetime import datetime, timedelta, timezone

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from cia_notifier.deliveries import retries, shaping, signing
from cia_notifier.subscriptions import rules
from cia_notifier.settings import DEFAULTS, Settings

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
SCHEDULE = retries.parse_schedule(DEFAULTS["RETRY_SCHEDULE_SECONDS"])


# ---------------------------------------------------------------- schedule and jitter

def test_default_schedule_is_the_documented_one():
    assert SCHEDULE == (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)


def test_schedule_parses_strings_and_lists_and_refuses_negatives():
    assert retries.parse_schedule(" 0.2, 0.4 ,") == (0.2, 0.4)
    assert retries.parse_schedule([1, "2"]) == (1.0, 2.0)
    with pytest.raises(ValueError):
        retries.parse_schedule("5,-1")


@pytest.mark.parametrize("n", range(1, len(SCHEDULE) + 1))
def test_retry_delay_stays_within_ten_percent_of_the_schedule(n):
    rng = random.Random(n)
    base = SCHEDULE[n - 1]
    delays = [retries.retry_delay(n, SCHEDULE, rng) for _ in range(200)]
    assert all(base * 0.9 <= d <= base * 1.1 for d in delays)
    # Jitter actually spreads the retries out.
    assert max(delays) - min(delays) > base * 0.1


def test_retry_delay_is_none_once_the_schedule_is_exhausted():
    assert retries.retry_delay(len(SCHEDULE) + 1, SCHEDULE) is None
    assert retries.retry_delay(3, (0.2, 0.4)) is None
    assert retries.retry_delay(0, SCHEDULE) is None


def test_retry_after_as_seconds_and_http_date():
    assert retries.parse_retry_after("120", NOW) == 120
    assert retries.parse_retry_after("Sun, 01 Mar 2026 12:10:00 GMT", NOW) == 600
    assert retries.parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", NOW) == 0
    assert retries.parse_retry_after("soon", NOW) is None
    assert retries.parse_retry_after(None, NOW) is None
    assert retries.parse_retry_after("9999999", NOW) == retries.MAX_RETRY_AFTER_SECONDS


# ---------------------------------------------------------------- verdicts

def judge(**kw):
    args = dict(status_code=500, retry_after=None, round_failures=1, consecutive_failures=1,
                schedule=(10.0, 20.0), max_consecutive_failures=5, rng=random.Random(1))
    args.update(kw)
    return retries.judge_attempt(**args)


@pytest.mark.parametrize("code", [200, 201, 204, 299])
def test_any_2xx_succeeds_and_resets_the_failure_count(code):
    v = judge(status_code=code, round_failures=0, consecutive_failures=0)
    assert (v.status, v.reset_failures, v.disable_subscription) == ("succeeded", True, None)


@pytest.mark.parametrize("code", [None, 301, 400, 404, 429, 500, 503])
def test_other_answers_and_network_errors_retry_on_schedule(code):
    v = judge(status_code=code)
    assert v.status == "pending"
    assert 9.0 <= v.retry_in <= 11.0


def test_410_fails_the_delivery_and_disables_the_subscription_at_once():
    v = judge(status_code=410, consecutive_failures=1)
    assert v.status == "failed"
    assert "410" in v.disable_subscription


def test_retry_after_is_honoured_only_when_longer_than_the_schedule():
    assert judge(status_code=429, retry_after=3600).retry_in == 3600
    assert 9.0 <= judge(status_code=429, retry_after=1).retry_in <= 11.0


def test_exhausting_the_schedule_fails_the_delivery():
    assert judge(round_failures=2).status == "pending"
    v = judge(round_failures=3)
    assert v.status == "failed" and v.retry_in is None and v.disable_subscription is None


def test_too_many_consecutive_failures_disable_the_subscription():
    assert judge(consecutive_failures=4).disable_subscription is None
    v = judge(consecutive_failures=5)
    assert v.status == "pending"
    assert "5 consecutive" in v.disable_subscription


# ---------------------------------------------------------------- matching

@pytest.mark.parametrize("patterns,etype,expected", [
    (["review.requested"], "review.requested", True),
    (["review.requested"], "review.completed", False),
    (["review.*"], "review.completed", True),
    (["review.*"], "reviewx.completed", False),
    (["cia.*"], "review.requested", False),
    (["*"], "anything.at_all", True),
    (["cia.approved", "review.*"], "cia.approved", True),
    ([], "cia.approved", False),
])
def test_type_matching(patterns, etype, expected):
    assert rules.type_matches(patterns, etype) is expected


@pytest.mark.parametrize("pattern,ok", [
    ("*", True), ("review.*", True), ("review.requested", True), ("cia.changes_requested", True),
    ("review", False), ("review.", False), ("*.requested", False), ("Review.Requested", False),
    ("review.**", False), ("", False),
])
def test_filter_validation(pattern, ok):
    assert rules.is_valid_filter(pattern) is ok


REVIEW_REQUESTED = {"reviewers": ["rev-1", "rev-2"], "action_links": {"rev-1": "u1", "rev-2": "u2"}}
SUBMITTED = {"requested_reviewers": ["rev-3"], "author": {"sub": "plan-1", "name": "P"}}
COMPLETED = {"decided_by": {"sub": "rev-1", "name": "R"}}


@pytest.mark.parametrize("data,sub,expected", [
    (REVIEW_REQUESTED, "rev-2", True),
    (REVIEW_REQUESTED, "rev-9", False),
    (SUBMITTED, "rev-3", True),
    (SUBMITTED, "plan-1", True),
    (COMPLETED, "rev-1", True),
    (COMPLETED, "rev-2", False),
    ({}, "rev-1", False),
    ({"reviewers": "rev-1"}, "rev-1", False),  # malformed data names nobody
])
def test_recipient_matching(data, sub, expected):
    assert rules.names_recipient(data, sub) is expected


def test_wants_combines_type_and_recipient_filters():
    assert rules.wants(["review.*"], None, "review.requested", {})
    assert rules.wants(["review.*"], "rev-1", "review.requested", REVIEW_REQUESTED)
    assert not rules.wants(["review.*"], "rev-9", "review.requested", REVIEW_REQUESTED)
    assert not rules.wants(["cia.*"], "rev-1", "review.requested", REVIEW_REQUESTED)


def test_a_personal_subscription_gets_only_its_own_action_link():
    event = {"type": "review.requested", "data": dict(REVIEW_REQUESTED)}
    shaped = shaping.shape_for_recipient(event, "rev-2")
    assert shaped["data"]["action_links"] == {"rev-2": "u2"}
    assert shaped["data"]["reviewers"] == ["rev-1", "rev-2"]
    assert event["data"]["action_links"] == {"rev-1": "u1", "rev-2": "u2"}  # not mutated
    assert shaping.shape_for_recipient(event, None) is event


# ---------------------------------------------------------------- secrets and signatures

def test_new_secret_is_whsec_with_32_random_bytes():
    a, b = rules.new_secret(), rules.new_secret()
    assert a.startswith("whsec_") and a != b
    assert len(base64.b64decode(a[len("whsec_"):])) == 32


def test_headers_verify_with_the_standard_webhooks_library():
    secret = rules.new_secret()
    body = '{"id":"e-1","type":"cia.approved"}'
    at = datetime.now(timezone.utc)
    headers = signing.webhook_headers("e-1", at, body, [secret])
    assert headers["webhook-id"] == "e-1"
    assert headers["webhook-timestamp"] == str(int(at.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers) == {"id": "e-1", "type": "cia.approved"}
    with pytest.raises(WebhookVerificationError):
        Webhook(rules.new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + " ", headers)


def test_during_rotation_both_secrets_verify():
    new, old = rules.new_secret(), rules.new_secret()
    body = "{}"
    headers = signing.webhook_headers("e-2", datetime.now(timezone.utc), body, [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(body, headers)
    Webhook(old).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(rules.new_secret()).verify(body, headers)


def test_an_old_timestamp_is_rejected_by_receivers_and_naive_times_refused():
    secret = rules.new_secret()
    stale = signing.webhook_headers("e-3", datetime.now(timezone.utc) - timedelta(minutes=10),
                                   "{}", [secret])
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify("{}", stale)
    with pytest.raises(ValueError):
        signing.webhook_headers("e-3", datetime.now(), "{}", [secret])


# ---------------------------------------------------------------- settings

def test_settings_from_config_with_defaults_and_overrides():
    s = Settings.from_config({"RETRY_SCHEDULE_SECONDS": "0.2,0.4",
                              "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1, localhost",
                              "DELIVERY_CONCURRENCY": 2})
    assert s.retry_schedule == (0.2, 0.4)
    assert s.allowed_hosts == ("127.0.0.1", "localhost")
    assert s.concurrency == 2
    assert s.timeout_seconds == 15 and s.max_consecutive_failures == 20
    assert s.secret_rotation_hours == 24


def test_a_reviewer_taken_off_a_review_hears_of_it_without_the_new_links():
    reassigned = {"reviewers": ["rev-3"], "previous_reviewers": ["rev-1", "rev-2"],
                  "action_links": {"rev-3": "u3"}}
    assert rules.wants(["review.reassigned"], "rev-1", "review.reassigned", reassigned)
    assert not rules.wants(["review.reassigned"], "rev-9", "review.reassigned", reassigned)
    shaped = shaping.shape_for_recipient({"type": "review.reassigned", "data": reassigned}, "rev-1")
    assert shaped["data"]["action_links"] == {}
