"""Webhook delivery against real HTTP receivers on 127.0.0.1, on SQLite and PostgreSQL."""
import functools
import json
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from cia_common.consumer import handle_event
from cia_common.db import Database
from cia_common.events import CloudEvent, utcnow
from cia_common.migrate import upgrade
from cia_common.tables import outbox
from cia_notifier.app import MIGRATIONS
from cia_notifier.deliveries.consumers import fan_out
from cia_notifier.deliveries.handoff import Sender
from cia_notifier.deliveries.loop import DeliveryLoop, claim_due
from cia_notifier.deliveries.models import Delivery
from cia_notifier.subscriptions import service as subscriptions
from cia_notifier.subscriptions.models import Subscription
from cia_notifier.settings import Settings, notifier_config
from tests.receiver import WebhookReceiver
from tests.support import refusing_url, wait_for

# What differs by backend (claims and leases): on SQLite and PostgreSQL both.
pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]


class Env:
    def __init__(self, url: str, **overrides):
        self.cfg = notifier_config({"DATABASE_URL": url, "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                                    "RETRY_SCHEDULE_SECONDS": "0.2,0.4",
                                    "DELIVERY_TIMEOUT_SECONDS": "5", **overrides})
        self.db = Database(url)
        self.loop = DeliveryLoop()

    def uow(self):
        return self.db.unit_of_work(source="/cia-workflow/notifier", topic="cia.notifier.events")

    def subscribe(self, url, event_types=("*",), **kw):
        with self.uow() as uow:
            sub, secret = subscriptions.create_subscription(
                uow.session, Settings.from_config(self.cfg), url=url,
                event_types=list(event_types), **kw)
            uow.commit()
        return sub.id, secret

    def update(self, sub_id, **changes):
        with self.uow() as uow:
            _, secret = subscriptions.update_subscription(uow, Settings.from_config(self.cfg),
                                                     sub_id, changes)
            uow.commit()
        return secret

    def publish(self, event):
        return handle_event(self.db, "notifier", fan_out, event,
                            source="/cia-workflow/notifier", topic="cia.notifier.events")

    def run_until(self, predicate, timeout=10.0, message="condition"):
        """Drive the real periodic job, as the worker does, until ``predicate`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(self.loop(self.db, self.cfg) or 0.05)
        raise AssertionError(f"timed out waiting for {message}")

    def deliveries(self, sub_id=None):
        with self.db.sessions() as s:
            q = sa.select(Delivery).order_by(Delivery.created_at)
            if sub_id:
                q = q.where(Delivery.subscription_id == sub_id)
            rows = s.scalars(q).all()
            for d in rows:
                d.attempt_log = [(a.attempt_no, a.status_code, a.error) for a in d.attempts]
            return rows

    def subscription(self, sub_id):
        with self.db.sessions() as s:
            return s.get(Subscription, sub_id)

    def outbox_events(self):
        with self.db.engine.connect() as conn:
            return [json.loads(p) for (p,) in conn.execute(
                sa.select(outbox.c.payload).order_by(outbox.c.seq))]

    def close(self):
        self.loop.close()
        self.db.dispose()


@pytest.fixture
def make_env(databases):
    made = []

    def make(**overrides):
        url = databases.new("notifier")
        upgrade(url, MIGRATIONS)
        env = Env(url, **overrides)
        made.append(env)
        return env
    yield make
    for env in made:
        env.close()


@pytest.fixture
def env(make_env):
    return make_env()


@pytest.fixture
def dead_url():
    with refusing_url("/hook") as url:
        yield url


def review_requested(reviewers=("rev-1",), **extra):
    return CloudEvent(type="review.requested", source="/cia-workflow/review", subject="cia-1",
                      data={"review_id": "r-1", "cia_id": "cia-1", "version": 1, "round": 1,
                            "operation_reference": "LFR-2026-0042", "title": "CIA",
                            "due_at": "2026-03-05T09:00:00Z", "reviewers": list(reviewers),
                            "action_links": {r: f"https://review.example/a/{r}" for r in reviewers},
                            **extra})


def status_of(env, sub_id):
    return lambda: [d.status for d in env.deliveries(sub_id)]


def test_a_delivery_is_signed_and_its_body_is_the_cloudevent(env):
    with WebhookReceiver([204]) as rx:
        sid, secret = env.subscribe(rx.url, ["review.*"], reviewer_sub="rev-1")
        event = review_requested()
        env.publish(event)
        env.run_until(lambda: status_of(env, sid)() == ["succeeded"], message="success")
    (req,) = rx.received()
    assert req.headers["content-type"] == "application/json"
    assert req.webhook_id == event.id
    # Bound to the event's only reviewer: the CloudEvent as published, their link included.
    assert Webhook(secret).verify(req.body, req.headers) == event.to_dict()
    (delivery,) = env.deliveries(sid)
    assert delivery.attempt_log == [(1, 204, None)]
    assert delivery.attempts[0].latency_ms >= 0
    sub = env.subscription(sid)
    assert sub.consecutive_failures == 0 and sub.last_success_at is not None


def test_500_then_200_retries_with_the_same_webhook_id(env):
    with WebhookReceiver([500, 200]) as rx:
        sid, secret = env.subscribe(rx.url)
        event = review_requested()
        env.publish(event)
        env.run_until(lambda: status_of(env, sid)() == ["succeeded"], message="retry success")
    first, second = rx.received()
    assert first.webhook_id == second.webhook_id == event.id
    for req in (first, second):
        Webhook(secret).verify(req.body, req.headers)
    assert first.body == second.body
    (delivery,) = env.deliveries(sid)
    assert delivery.attempt_log == [(1, 500, "HTTP 500"), (2, 200, None)]
    gap = (delivery.attempts[1].at - delivery.attempts[0].at).total_seconds()
    assert gap >= 0.18  # 0.2 s first retry, -10 % jitter at most
    assert env.subscription(sid).consecutive_failures == 0


def test_retry_after_longer_than_the_schedule_is_honoured(env):
    with WebhookReceiver([(429, {"Retry-After": "1"}), 200]) as rx:
        sid, _ = env.subscribe(rx.url)
        env.publish(review_requested())
        env.run_until(lambda: status_of(env, sid)() == ["succeeded"], message="after 429")
    (delivery,) = env.deliveries(sid)
    assert [a[1] for a in delivery.attempt_log] == [429, 200]
    gap = (delivery.attempts[1].at - delivery.attempts[0].at).total_seconds()
    assert gap >= 0.95  # Retry-After 1 s, not the 0.2 s schedule


def test_410_disables_the_subscription_and_announces_it(env, dead_url):
    with WebhookReceiver([410]) as rx:
        sid, _ = env.subscribe(rx.url)
        watcher, _ = env.subscribe(dead_url, ["subscription.disabled"])
        env.publish(review_requested())
        env.run_until(lambda: status_of(env, sid)() == ["failed"], message="410")
        env.publish(review_requested())  # a later event is not delivered to it
        env.loop.drain(env.db, env.cfg)
    assert len(rx.received()) == 1
    sub = env.subscription(sid)
    assert sub.active is False and "410" in sub.disabled_reason
    (announcement,) = [e for e in env.outbox_events() if e["type"] == "subscription.disabled"]
    assert announcement["data"] == {"subscription_id": sid, "reason": sub.disabled_reason}
    assert announcement["source"] == "/cia-workflow/notifier"
    # Whoever subscribed to the announcement gets it as a webhook too.
    assert [d.event_type for d in env.deliveries(watcher)] == ["subscription.disabled"]
    assert len(env.deliveries(sid)) == 1


def test_a_delivery_that_exhausts_the_schedule_fails(make_env):
    env = make_env(RETRY_SCHEDULE_SECONDS="0.05,0.05")
    with WebhookReceiver([500]) as rx:
        sid, _ = env.subscribe(rx.url)
        env.publish(review_requested())
        env.run_until(lambda: status_of(env, sid)() == ["failed"], message="exhausted")
    assert len(rx.received()) == 3
    (delivery,) = env.deliveries(sid)
    assert [a[1] for a in delivery.attempt_log] == [500, 500, 500]
    assert delivery.next_attempt_at is None and delivery.last_error == "HTTP 500"
    assert env.subscription(sid).active is True  # under MAX_CONSECUTIVE_FAILURES


def test_consecutive_failures_disable_then_reenabling_resumes(make_env):
    env = make_env(RETRY_SCHEDULE_SECONDS="0.05,0.05,0.05,0.05", MAX_CONSECUTIVE_FAILURES="3")
    with WebhookReceiver([500, 500, 500, 200]) as rx:
        sid, _ = env.subscribe(rx.url)
        env.publish(review_requested())
        env.run_until(lambda: not env.subscription(sid).active, message="disabled")
        # Its retry is due: only the disabled subscription keeps it from being sent.
        wait_for(lambda: (lambda at: at is not None and at <= utcnow())(
            env.deliveries(sid)[0].next_attempt_at), 10, 0.02, message="the retry due")
        assert env.loop.drain(env.db, env.cfg) == []
        assert len(rx.received()) == 3  # paused while disabled
        sub = env.subscription(sid)
        assert sub.consecutive_failures == 3 and "3 consecutive" in sub.disabled_reason
        assert [e["data"]["subscription_id"] for e in env.outbox_events()
                if e["type"] == "subscription.disabled"] == [sid]
        assert status_of(env, sid)() == ["pending"]
        env.update(sid, active=True)
        env.run_until(lambda: status_of(env, sid)() == ["succeeded"], message="resumed")
    assert len(rx.received()) == 4
    assert env.subscription(sid).consecutive_failures == 0


def test_during_a_secret_rotation_both_secrets_sign(env):
    with WebhookReceiver([200]) as rx:
        sid, old = env.subscribe(rx.url)
        new = env.update(sid, rotate_secret=True)
        assert new and new != old
        env.publish(review_requested())
        env.run_until(lambda: status_of(env, sid)() == ["succeeded"], message="rotation")
    (req,) = rx.received()
    assert len(req.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(req.body, req.headers)
    Webhook(old).verify(req.body, req.headers)


def test_filters_recipients_and_teams_format(env):
    with WebhookReceiver([200]) as teams, WebhookReceiver([200]) as personal:
        env.subscribe(teams.url, ["review.requested"], format="teams", reviewer_sub="rev-1")
        env.subscribe(personal.url, ["review.*", "cia.approved"], recipient="rev-2",
                      reviewer_sub="rev-2")
        env.publish(review_requested(reviewers=["rev-1"]))
        env.publish(review_requested(reviewers=["rev-1", "rev-2"]))
        env.publish(CloudEvent(type="cia.created", source="/a", subject="cia-1",
                               data={"cia_id": "cia-1"}))
        env.run_until(lambda: len(teams.received()) == 2 and len(personal.received()) == 1,
                      message="filtered deliveries")
        env.loop.drain(env.db, env.cfg)
    assert len(teams.received()) == 2 and len(personal.received()) == 1
    cards = [r.json()["attachments"][0]["content"] for r in teams.received()]
    # Sent concurrently: either order. Bound to rev-1: rev-1's button only, each time.
    assert [[a["url"] for a in c["actions"]] for c in cards] == [
        ["https://review.example/a/rev-1"]] * 2
    body = personal.received()[0].json()
    assert body["data"]["action_links"] == {"rev-2": "https://review.example/a/rev-2"}


def test_redirects_are_not_followed(env):
    with WebhookReceiver([(302, {"Location": "/elsewhere"})]) as rx:
        sid, _ = env.subscribe(rx.url)
        env.publish(review_requested())
        env.run_until(lambda: env.deliveries(sid)[0].attempt_count >= 1, message="attempt")
    assert [r.path for r in rx.received()] == ["/hook"]
    (delivery,) = env.deliveries(sid)
    assert delivery.status == "pending" and delivery.last_status_code == 302


def test_the_destination_is_checked_again_when_delivering(env, make_env):
    with WebhookReceiver([200]) as rx:
        sid, _ = env.subscribe(rx.url)
        env.publish(review_requested())
        strict = dict(env.cfg, WEBHOOK_ALLOWED_HOSTS="")
        assert env.loop.drain(env.db, strict) == ["pending"]
    assert rx.received() == []
    (delivery,) = env.deliveries(sid)
    assert delivery.attempts[0].status_code is None
    assert delivery.last_error.startswith("destination refused")


def test_a_slow_receiver_does_not_hold_up_the_others(env):
    # The slow receiver answers only when released: slow for as long as the test needs.
    release = threading.Event()
    with WebhookReceiver([200], hold=release) as slow, WebhookReceiver([200]) as fast:
        slow_id, _ = env.subscribe(slow.url, ["cia.submitted"])
        fast_id, _ = env.subscribe(fast.url, ["review.requested"])
        env.publish(CloudEvent(type="cia.submitted", source="/a", subject="c", data={}))
        env.run_until(lambda: slow.received(), message="slow receiver reached")
        env.publish(review_requested())
        env.run_until(lambda: status_of(env, fast_id)() == ["succeeded"],
                      message="fast receiver served")
        # ... while the slow receiver is still answering its request.
        (slow_delivery,) = env.deliveries(slow_id)
        assert slow_delivery.status == "pending" and slow_delivery.attempt_count == 0
        release.set()
        env.run_until(lambda: status_of(env, slow_id)() == ["succeeded"], message="slow done")


def test_a_claim_is_a_lease_and_concurrent_claims_do_not_overlap(env, dead_url):
    sid, _ = env.subscribe(dead_url)
    for _ in range(30):
        env.publish(review_requested())
    settings = Settings.from_config(env.cfg)
    claimed, errors = [], []

    def claimer():
        try:
            claimed.append(claim_due(env.db, settings, 20))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=claimer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    ids = [job.delivery_id for batch in claimed for job in batch]
    assert len(ids) == len(set(ids)) == 30
    assert claim_due(env.db, settings, 50) == []  # leased, not due
    # A worker that died mid-send: once the lease has passed the delivery is due again.
    later = utcnow() + timedelta(seconds=settings.lease_seconds + 1)
    assert len(claim_due(env.db, settings, 50, now=later)) == 30


def test_a_receiver_that_times_out_is_retried_with_the_same_webhook_id(make_env):
    # The 15 s default, compressed by configuration: the first answer comes too late.
    env = make_env(DELIVERY_TIMEOUT_SECONDS="0.5", RETRY_SCHEDULE_SECONDS="0.2")
    with WebhookReceiver([(200, {}, 3.0), 200]) as rx:
        sid, secret = env.subscribe(rx.url)
        event = review_requested()
        env.publish(event)
        env.run_until(lambda: status_of(env, sid)() == ["succeeded"], message="retry after timeout")
        first, second = rx.received()
    assert first.webhook_id == second.webhook_id == event.id
    assert first.body == second.body
    Webhook(secret).verify(second.body, second.headers)
    (delivery,) = env.deliveries(sid)
    assert delivery.attempt_log == [(1, None, "timed out after 0.5s"), (2, 200, None)]
    assert delivery.delivered_at == delivery.attempts[1].at


# ------------------------------------------------------------ hand-off at the consumer's commit

class Recorder:
    """A sender's pool that records what it is handed and sends nothing (a process
    that dies between its commit and the send)."""

    def __init__(self, slots: int):
        self.slots = slots
        self.handed: list = []

    def free_slots(self, settings):
        return self.slots

    def start(self, db, cfg, settings, jobs):
        self.handed.extend(jobs)


def test_the_consumer_hands_its_deliveries_to_the_sender_at_commit(env):
    sender = env.loop.sender(env.cfg)
    with WebhookReceiver([204]) as rx:
        sid, _ = env.subscribe(rx.url, ["review.*"])
        event = review_requested()
        assert handle_event(env.db, "notifier", functools.partial(fan_out, sender=sender), event,
                            source="/cia-workflow/notifier", topic="cia.notifier.events")
        # Sent without the delivery loop ever running: no poll, no claiming transaction.
        wait_for(lambda: status_of(env, sid)() == ["succeeded"], timeout=10,
                 message="the delivery sent from the hand-off")
    [req] = rx.received()
    assert req.webhook_id == event.id
    [delivery] = env.deliveries(sid)
    assert delivery.attempt_log == [(1, 204, None)] and delivery.claim_token is None


def test_a_rolled_back_fan_out_hands_nothing_over(env):
    pool = Recorder(slots=5)
    sender = Sender(pool, env.cfg)
    sid, _ = env.subscribe("http://127.0.0.1:9/hook")
    with env.uow() as uow:
        fan_out(uow, review_requested(), sender=sender)
        uow.rollback()
    assert pool.handed == [] and env.deliveries(sid) == []
    # Positive control: the same fan-out committed is handed over.
    with env.uow() as uow:
        fan_out(uow, review_requested(), sender=sender)
        assert pool.handed == []  # not before the commit
        uow.commit()
    assert [job.delivery_id for job in pool.handed] == [d.id for d in env.deliveries(sid)]


def test_deliveries_handed_over_but_never_sent_are_due_once_their_lease_passes(env):
    pool = Recorder(slots=2)
    sender = Sender(pool, env.cfg)
    subs = [env.subscribe(f"http://127.0.0.1:9/hook{i}")[0] for i in range(3)]
    with env.uow() as uow:
        fan_out(uow, review_requested(), sender=sender)
        uow.commit()
    # Two free slots: two deliveries written claimed and handed over, the third left
    # due for the delivery loop.
    assert len(pool.handed) == 2
    settings = Settings.from_config(env.cfg)
    [due] = claim_due(env.db, settings, 10)
    assert due.delivery_id not in {job.delivery_id for job in pool.handed}
    assert {d.subscription_id for d in env.deliveries()} == set(subs)
    # The process died before sending: the lease runs out and the loop claims them.
    later = utcnow() + timedelta(seconds=settings.lease_seconds + 1)
    again = claim_due(env.db, settings, 10, now=later)
    assert {job.delivery_id for job in pool.handed} <= {job.delivery_id for job in again}


def test_an_event_fanned_out_twice_keeps_its_first_deliveries(env):
    pool = Recorder(slots=5)
    sender = Sender(pool, env.cfg)
    sid, _ = env.subscribe("http://127.0.0.1:9/hook")
    event = review_requested()
    for _ in range(2):  # past the inbox (a replay tool, say): the unique pair still holds
        with env.uow() as uow:
            fan_out(uow, event, sender=sender)
            uow.commit()
    [delivery] = env.deliveries(sid)
    assert [job.delivery_id for job in pool.handed] == [delivery.id]
