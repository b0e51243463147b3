"""Helpers for tests: run a service worker in a thread, wait for conditions, sign
Standard Webhooks requests, give a URL that refuses connections."""
from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from standardwebhooks import Webhook

from cia_common.worker import Worker, WorkerSpec

PLANTED_CONTENT = Path(__file__).resolve().parent / "fixtures" / "planted-cia-content.json"


def planted_content() -> dict:
    """CIA content whose personal (``…-S40``, ``s40.…``, phone numbers) and tactical
    (``S31-…``) values are planted to be easy to find: the tests that prove none of
    them reaches a disclosure copy, a log or a bundle use it. ``examples/`` holds a
    realistic CIA for people to read instead."""
    return json.loads(PLANTED_CONTENT.read_text(encoding="utf-8"))


@contextlib.contextmanager
def running_worker(spec: WorkerSpec, cfg: dict):
    """A real worker (relay, consumer, periodic jobs) in a background thread. Its stall
    watchdog acts sooner than the default unless ``cfg`` says otherwise: a consumer
    that a busy machine leaves stuck in its first group join (never heartbeating) is
    replaced after 10 s, not a minute."""
    worker = Worker(spec, {"CONSUMER_STALL_SECONDS": 10, "CONSUMER_JOIN_SECONDS": 10, **cfg})
    thread = threading.Thread(target=worker.run, name=f"{spec.service}-worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=30)


@contextlib.contextmanager
def refusing_url(path: str = "/"):
    """A URL on 127.0.0.1 where a connection is refused at once: its port is bound
    for the duration (so nothing else can take it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{path}"


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


def signed_webhook_headers(secret: str, msg_id: str, body: str, at: float | None = None) -> dict:
    """Standard Webhooks headers for ``body``: one clock reading serves both the
    ``webhook-timestamp`` header and the signature, so a second ticking over
    between two readings cannot make them disagree."""
    at = time.time() if at is None else at
    stamp = datetime.fromtimestamp(int(at), timezone.utc)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at)),
            "webhook-signature": Webhook(secret).sign(msg_id, stamp, body)}


# The values infra/lib.sh's cia_is_ci accepts (tests/unit/test_ci_flag.py holds them equal).
CI_TRUE = ("true", "TRUE", "True", "1", "yes")


def is_ci(env=None) -> bool:
    """Whether the run is under CI, by the same truth table as ``cia_is_ci``: there a
    missing tool or service fails the run instead of skipping the tests that need it."""
    import os

    env = os.environ if env is None else env
    return env.get("CI", "") in CI_TRUE


def free_ports(n: int) -> list[int]:
    """``n`` distinct local ports free a moment ago (bound together, then released
    for the process that will listen on them)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def recorded_spans():
    """The spans this process records while inside, kept in memory for the test; the
    process records none again after."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from cia_common import tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use_provider(provider)
    try:
        yield exporter
    finally:
        tracing.use_provider(None)
        provider.shutdown()
