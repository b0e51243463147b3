"""Helpers for integration tests: run a service worker in a thread, wait for conditions."""
from __future__ import annotations

import contextlib
import threading
import time

from cia_common.worker import Worker, WorkerSpec


@contextlib.contextmanager
def running_worker(spec: WorkerSpec, cfg: dict):
    """A real worker (relay, consumer, periodic jobs) in a background thread."""
    worker = Worker(spec, cfg)
    thread = threading.Thread(target=worker.run, name=f"{spec.service}-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=30)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, message: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {last!r})")
