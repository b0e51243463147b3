"""A worker's Kafka consumer rejoins its group by itself after the broker restarts.

The worker's watchdog (``cia_common.worker``: replace a consumer that has not
heartbeated its group for ``CONSUMER_STALL_SECONDS``) is turned off here, so what
is measured is kafka-python alone, configured as ``cia_common.kafka_clients``
configures it: a real group member (the worker's own consumer loop, real
``EventConsumer``), the run's broker stopped for longer than the group session
timeout and the watchdog's threshold, started again, then one more event.

With kafka-python's default ``reconnect_backoff_max_ms`` (30 s, +-20 % jitter,
shared by the metadata refresh) the member sat with its coordinator unknown and
its fetches fenced (FENCED_LEADER_EPOCH) for 15-50 s after the broker was back;
with the 1 s bound ``make_consumer`` sets it consumes and heartbeats again within
a few seconds. docs/latency.md ("After a broker restart") has the measurements.
"""
from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from cia_common import worker as worker_module
from cia_common.consumer import EventConsumer
from cia_common.events import CloudEvent
from cia_common.kafka_clients import ensure_topics, make_producer
from cia_common.metrics import CONSUMER_RESTARTS
from cia_common.settings import ServiceSettings
from cia_common.tables import platform_metadata
from cia_common.worker import Worker, WorkerSpec
from tests.support import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.faults]

SERVICE = "review"          # any service name: only the metrics' label and the group id
EVENT_TYPE = "test.ping"
OUTAGE_S = 25               # > session timeout (10 s) and > the watchdog's 20 s
RECOVERY_BOUND_S = 15       # kafka-python's default backoff alone can exceed this
HEARTBEAT_INTERVAL_S = 3    # make_consumer's heartbeat_interval_ms


class RecordingConsumer(EventConsumer):
    """The worker's consumer class, remembered so the test can read its group state."""
    made: list["RecordingConsumer"] = []

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        RecordingConsumer.made.append(self)


def restarts() -> tuple[float, float]:
    return tuple(CONSUMER_RESTARTS.labels(SERVICE, reason)._value.get()
                 for reason in ("stalled", "error"))


def test_the_consumer_rejoins_and_consumes_after_a_broker_restart_without_the_watchdog(
        kafka_bootstrap, topic_prefix, tmp_path, monkeypatch, broker_control):
    monkeypatch.setattr(worker_module, "EventConsumer", RecordingConsumer)
    RecordingConsumer.made = []
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    engine = sa.create_engine(url)
    platform_metadata.create_all(engine)  # the inbox the consumer claims events in
    engine.dispose()

    handled: dict[str, float] = {}

    def handler(uow, event: CloudEvent) -> None:
        handled[event.subject] = time.monotonic()

    cfg = {"SERVICE_NAME": SERVICE, "DATABASE_URL": url,
           "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "TOPIC_PREFIX": topic_prefix,
           "CONSUMER_MAX_ATTEMPTS": 1,
           "CONSUMER_STALL_SECONDS": 0}  # the watchdog off: kafka-python on its own
    spec = WorkerSpec(service=SERVICE, migrations="", handlers={EVENT_TYPE: handler},
                      subscribe_to=["probe"])
    probe_topic = topic_prefix + "probe"
    ensure_topics(kafka_bootstrap, [probe_topic])

    def send(subject: str) -> None:
        producer = make_producer(kafka_bootstrap)
        try:
            event = CloudEvent(type=EVENT_TYPE, source="/test", subject=subject, data={})
            producer.send(probe_topic, key=subject.encode(),
                          value=event.to_json().encode()).get(timeout=30)
        finally:
            producer.close(timeout=2)

    worker = Worker(spec, cfg)
    before = restarts()
    thread = threading.Thread(target=worker.run_consumer, name="consumer", daemon=True)
    thread.start()
    try:
        send("before")
        wait_for(lambda: "before" in handled, 60, 0.1, message="the first event consumed")
        consumer = RecordingConsumer.made[0]
        wait_for(lambda: (consumer.heartbeat_age() or 99) < 2 * HEARTBEAT_INTERVAL_S, 30, 0.2,
                 message="the member heartbeating its group")

        broker_control("stop")
        try:
            # Longer than the session timeout and the watchdog's default threshold:
            # with the watchdog on, this consumer would have been replaced by now.
            time.sleep(OUTAGE_S)
            assert consumer.heartbeat_age() > 10, consumer.group_state()
            assert "before" in handled and len(handled) == 1
        finally:
            broker_control("start")
        back = time.monotonic()

        send("after")
        wait_for(lambda: "after" in handled, RECOVERY_BOUND_S, 0.1,
                 message=f"the event sent after the restart consumed "
                         f"({consumer.group_state()}, heartbeat age "
                         f"{consumer.heartbeat_age():.0f} s)")
        # It takes part in its group again: the coordinator is known, the member
        # is stable and heartbeats (not merely fetching from partitions it held).
        wait_for(lambda: consumer.heartbeat_age() < 2 * HEARTBEAT_INTERVAL_S,
                 RECOVERY_BOUND_S, 0.2,
                 message=f"the member heartbeating again ({consumer.group_state()})")
        assert not consumer.consumer._coordinator.coordinator_unknown()
        assert consumer.consumer.assignment(), "no partitions assigned after the restart"
        print(f"consumed {handled['after'] - back:.1f} s after the broker was ready; "
              f"{consumer.group_state()}")

        # The same member did it: the worker replaced no consumer, for any reason.
        assert len(RecordingConsumer.made) == 1
        assert restarts() == before
    finally:
        worker.stop()
        thread.join(timeout=30)
        worker.db.dispose()


class NeverHeartbeats:
    """A consumer the watchdog would call stalled (needs no broker)."""
    made = 0
    polls = 0

    def __init__(self, **_kwargs):
        NeverHeartbeats.made += 1

    def heartbeat_age(self) -> float:
        return float("inf")

    def poll_once(self, timeout_ms: int = 200) -> int:
        NeverHeartbeats.polls += 1
        time.sleep(timeout_ms / 1000)
        return 0

    def consuming(self) -> bool:
        return False

    def group_state(self) -> str:
        return "coordinator unknown"

    def close(self) -> None:
        pass


# The worker's loop asks the watchdog before every poll, and each poll lasts 0.2 s:
# after POLLS polls of its first consumer, a threshold as small as 0.05 s has had
# its chance several times over. The same count with the watchdog on (the positive
# control) sees the consumer replaced.
POLLS = 5


def watch_a_consumer_that_never_heartbeats(monkeypatch, tmp_path, settings: dict,
                                           replaced: bool, broker_reachable: bool = True) -> None:
    """Run the worker's consumer loop over ``NeverHeartbeats`` under ``settings`` until
    the first consumer is replaced (``replaced``) or has polled POLLS times; the
    watchdog finds the broker reachable or not as ``broker_reachable`` says."""
    monkeypatch.setattr(worker_module, "EventConsumer", NeverHeartbeats)
    monkeypatch.setattr(worker_module, "broker_reachable", lambda *a, **k: broker_reachable)
    monkeypatch.setattr(worker_module, "ensure_topics", lambda *a, **k: None)
    monkeypatch.setattr(worker_module, "make_consumer", lambda *a, **k: object())
    NeverHeartbeats.made = NeverHeartbeats.polls = 0
    cfg = {"SERVICE_NAME": SERVICE, "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "CONSUMER_MAX_ATTEMPTS": 1, **settings}
    worker = Worker(WorkerSpec(service=SERVICE, migrations="", handlers={"x": lambda u, e: None},
                               subscribe_to=["t"]), cfg)
    thread = threading.Thread(target=worker.run_consumer, daemon=True)
    thread.start()
    try:
        if replaced:
            wait_for(lambda: NeverHeartbeats.made >= 2, 30, 0.05,
                     message="the first consumer replaced")
        else:
            wait_for(lambda: NeverHeartbeats.polls >= POLLS, 30, 0.05,
                     message=f"{POLLS} polls of the first consumer")
    finally:
        worker.stop()
        thread.join(5)


@pytest.mark.parametrize("threshold, replaced", [(0, False), (0.05, True)],
                         ids=["zero-turns-it-off", "control-a-small-threshold-fires"])
def test_a_stall_threshold_of_zero_turns_the_watchdog_off(monkeypatch, tmp_path, threshold,
                                                          replaced):
    before = restarts()
    watch_a_consumer_that_never_heartbeats(
        monkeypatch, tmp_path, {"CONSUMER_STALL_SECONDS": threshold}, replaced)
    if replaced:
        assert restarts()[0] > before[0] and restarts()[1] == before[1]
    else:
        assert NeverHeartbeats.made == 1 and restarts() == before
    assert ServiceSettings.of({"CONSUMER_STALL_SECONDS": 0}).consumer_stall_seconds == 0
    assert ServiceSettings.of({}).consumer_stall_seconds == 20.0  # unset: the default


@pytest.mark.parametrize("join, replaced", [(None, False), (0.05, True)],
                         ids=["unset-three-gaps", "control-a-short-join-time-fires"])
def test_a_consumer_that_never_joins_is_replaced_after_the_join_time(monkeypatch, tmp_path,
                                                                      join, replaced):
    """A consumer that never heartbeated (still in its first join) is given
    CONSUMER_JOIN_SECONDS, not the stall time; unset, three stall times (here a
    minute and a half, so it is not replaced in POLLS polls)."""
    watch_a_consumer_that_never_heartbeats(
        monkeypatch, tmp_path, {"CONSUMER_STALL_SECONDS": 30, "CONSUMER_JOIN_SECONDS": join},
        replaced)
    assert (NeverHeartbeats.made >= 2) is replaced
    assert ServiceSettings.of({}).consumer_join_seconds is None
    assert ServiceSettings.of({"CONSUMER_JOIN_SECONDS": "10"}).consumer_join_seconds == 10.0


@pytest.mark.parametrize("reachable, replaced", [(False, False), (True, True)],
                         ids=["broker-away-member-kept", "control-broker-there-replaced"])
def test_a_member_is_not_replaced_while_the_broker_is_away(monkeypatch, tmp_path, reachable,
                                                           replaced):
    """Without a broker no member heartbeats, and a replacement would only wait, once the
    broker is back, for the abandoned member's session to expire; the member itself
    rejoins (the test above without the watchdog)."""
    before = restarts()
    watch_a_consumer_that_never_heartbeats(
        monkeypatch, tmp_path, {"CONSUMER_STALL_SECONDS": 0.05, "CONSUMER_JOIN_SECONDS": 0.05},
        replaced, broker_reachable=reachable)
    assert (NeverHeartbeats.made >= 2) is replaced
    assert (restarts()[0] > before[0]) is replaced
