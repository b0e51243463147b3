"""The worker's own counters: the watchdog's replacements of a stalled consumer."""
from __future__ import annotations

import threading

import pytest

from cia_common import worker as worker_module
from cia_common.metrics import CONSUMER_RESTARTS
from cia_common.worker import Worker, WorkerSpec
from tests.support import wait_for


class StalledConsumer:
    """Never heartbeats its group: the watchdog must replace it."""
    made = 0

    def __init__(self, **_kwargs):
        StalledConsumer.made += 1

    def heartbeat_age(self) -> float:
        return float("inf")

    def poll_once(self, timeout_ms: int = 200) -> int:
        return 0

    def consuming(self) -> bool:
        return False

    def group_state(self) -> str:
        return "coordinator unknown"

    def close(self) -> None:
        pass


# The counters are process-wide: other tests' workers may have counted before this
# one runs ("earlier" plays that), so the test asserts increases, never totals.
@pytest.mark.parametrize("earlier", [0, 3], ids=["first", "after-other-workers"])
def test_the_watchdog_counts_each_stalled_consumer_it_replaces(monkeypatch, tmp_path, earlier):
    monkeypatch.setattr(worker_module, "EventConsumer", StalledConsumer)
    monkeypatch.setattr(worker_module, "ensure_topics", lambda *a, **k: None)
    monkeypatch.setattr(worker_module, "make_consumer", lambda *a, **k: object())
    # The broker answers: the member, not the broker, is what is missing.
    monkeypatch.setattr(worker_module, "broker_reachable", lambda *a, **k: True)
    cfg = {"SERVICE_NAME": "review", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}",
           "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "CONSUMER_STALL_SECONDS": 0.05,
           "CONSUMER_MAX_ATTEMPTS": 1}
    spec = WorkerSpec(service="review", migrations="", handlers={"x": lambda uow, e: None},
                      subscribe_to=["t"])
    worker = Worker(spec, cfg)
    stalled = CONSUMER_RESTARTS.labels("review", "stalled")
    errors = CONSUMER_RESTARTS.labels("review", "error")
    stalled.inc(earlier)
    errors.inc(earlier)
    before, errors_before = stalled._value.get(), errors._value.get()
    StalledConsumer.made = 0
    thread = threading.Thread(target=worker.run_consumer, daemon=True)
    thread.start()
    try:
        wait_for(lambda: stalled._value.get() >= before + 2, 10,
                 message="two stalled consumers replaced")
    finally:
        worker.stop()
        thread.join(5)
    assert StalledConsumer.made >= 2  # a new consumer after each replacement
    assert errors._value.get() == errors_before  # replaced as stalled, not as failing
