"""A worker lowers its CPU priority before it starts a thread: what it starts after
(its consumer, relay and periodic threads, LibreOffice, Tesseract, limited children)
runs below the web processes, which answer people."""
from __future__ import annotations

import os
import threading

from cia_common import config
from cia_common.limits import run_limited
from cia_common.settings import ServiceSettings
from cia_common.worker import lower_priority


def _priorities_after(nice: int) -> tuple[int, int, int]:
    before = os.getpriority(os.PRIO_PROCESS, 0)
    now = lower_priority(nice)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(os.getpriority(os.PRIO_PROCESS, 0)))
    thread.start()
    thread.join()
    return before, now, seen[0]


def test_a_worker_and_the_threads_it_starts_run_lowered():
    # In a forked child: the suite's own process keeps its priority.
    before, now, thread = run_limited(_priorities_after, 5)
    assert now == min(before + 5, 19) and thread == now


def test_zero_leaves_the_priority_as_it_is():
    # Positive control for the test above: the same steps with 0 change nothing.
    before, now, thread = run_limited(_priorities_after, 0)
    assert now == before == thread


def test_deployed_workers_are_niced_unless_configured_otherwise(monkeypatch):
    monkeypatch.delenv("CIA_WORKER_NICE", raising=False)
    assert ServiceSettings.of(config.load_config("authoring")).worker_nice == 10
    monkeypatch.setenv("CIA_WORKER_NICE", "0")
    assert ServiceSettings.of(config.load_config("authoring")).worker_nice == 0
    assert ServiceSettings.of({}).worker_nice == 0  # a worker built in-process (tests)
