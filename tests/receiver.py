"""A real webhook receiver for tests and local trials: an HTTP server on
127.0.0.1 in a thread that records what it receives and answers as scripted.

    with WebhookReceiver([500, 200]) as rx:   # first 500, then 200 from then on
        ... rx.url ... rx.requests ...
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]   # lower-case names
    body: bytes

    @property
    def webhook_id(self) -> str | None:
        return self.headers.get("webhook-id")

    def json(self):
        return json.loads(self.body)


class WebhookReceiver:
    """Answers the n-th request with ``script[n]`` (the last entry repeats).

    An entry is a status code, ``(status, {header: value})``, or
    ``(status, {header: value}, seconds)`` to answer that request only after a
    pause (beside ``delay``, which holds up every answer). With ``hold`` (an
    event), every answer waits until the test sets it: a slow receiver whose
    slowness does not depend on how fast the machine is.
    """

    def __init__(self, script=(200,), delay: float = 0.0, hold: threading.Event | None = None):
        self.script = list(script) or [200]
        self.delay = delay
        self.hold = hold
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver._lock:
                    n = len(receiver.requests)
                    receiver.requests.append(Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    entry = receiver.script[min(n, len(receiver.script) - 1)]
                status, headers, pause = (entry, {}, 0.0) if isinstance(entry, int) else \
                    (*entry, 0.0)[:3]
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                if receiver.delay or pause:
                    threading.Event().wait(receiver.delay + pause)
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a timeout test): nobody to answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="webhook-receiver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def received(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def __enter__(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def of_type(self, event_type: str) -> list[Received]:
        """Received CloudEvents of one type, in arrival order."""
        return [r for r in self.received() if r.json().get("type") == event_type]
