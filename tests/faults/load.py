"""Many planners and reviewers at once, over HTTP: the driver behind
tests/e2e/test_load.py (correctness) and bench/load.py (throughput, latency).

Each CIA is written by two planners at once, read-modify-write on the same
list (``communications.press_lines``), each with the ETag of its own read: the
second write of every round is stale by construction and must get 412, re-read
and reapply. Nothing may be lost, so every CIA ends with all of its lines.
Meanwhile reviewers approve whatever is open.
"""
from __future__ import annotations

import http.client
import json
import queue
import threading
import time
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.e2e.helpers import example
from tests.support import planted_content
from tests.e2e.system import System, token

ROUNDS = 1  # edit rounds per CIA, each by both planners at once (one stale write each)

# How the system runs under load, in the test and the benchmark alike.
SYSTEM_OPTIONS = {
    "web_processes": 2,
    # Approvals render two documents each: a second authoring worker keeps them
    # from queueing behind the planners (the README's scale-out, in small).
    "workers": {"authoring": 2},
    "extra_env": {
        "CIA_PDF_RENDER_AHEAD": "false",  # PDFs are made on request; not under load here
        "GUNICORN_ACCESSLOG": "",         # ~15 requests per CIA: keep the logs readable
    },
}


@dataclass
class LoadResult:
    cias: list[str] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)  # CIA id -> lines written to it
    statuses: Counter = field(default_factory=Counter)           # (operation, status) -> count
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    stale_writes: int = 0                                        # 412s answered and retried
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def server_errors(self) -> dict:
        return {k: n for k, n in self.statuses.items() if k[1] >= 500}


class Client:
    """One keep-alive connection per service and thread, timing every call."""

    def __init__(self, system: System, result: LoadResult, lock: threading.Lock):
        self.system = system
        self.result = result
        self.lock = lock
        self.conns: dict[str, http.client.HTTPConnection] = {}

    def call(self, op: str, service: str, method: str, path: str, headers: dict,
             body=None, content_type: str = "application/json") -> tuple[int, dict, dict]:
        data = None if body is None else json.dumps(body).encode()
        hdrs = dict(headers)
        if data is not None:
            hdrs["Content-Type"] = content_type
        for attempt in (1, 2):
            conn = self.conns.get(service)
            if conn is None:
                parts = urlsplit(self.system.url(service))
                conn = self.conns[service] = http.client.HTTPConnection(parts.hostname, parts.port,
                                                                       timeout=60)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.HTTPException, ConnectionError):
                # The server closed an idle keep-alive connection: reconnect once.
                conn.close()
                self.conns.pop(service, None)
                if attempt == 2:
                    raise
                continue
            elapsed = time.perf_counter() - started
            with self.lock:
                self.result.statuses[(op, resp.status)] += 1
                self.result.latencies[op].append(elapsed)
            ctype = resp.getheader("Content-Type") or ""
            payload = json.loads(raw) if raw and "json" in ctype else {}
            return resp.status, dict(resp.getheaders()), payload
        raise AssertionError("unreachable")

    def close(self):
        for conn in self.conns.values():
            conn.close()


def _expect(status: int, payload, *wanted: int) -> None:
    assert status in wanted, f"{status}: {json.dumps(payload)[:500]}"


def run_load(system: System, cias: int, *, planners: int = 50, reviewers: int = 4,
             year: int = 2036) -> LoadResult:
    result = LoadResult()
    lock = threading.Lock()
    jobs: queue.Queue[int] = queue.Queue()
    for n in range(cias):
        jobs.put(n)
    planner_headers = [(f"planner-{i:02d}", token(f"planner-{i:02d}", f"Planner {i:02d}",
                                                  "planner")) for i in range(planners)]
    writing_done = threading.Event()

    def planner(i: int) -> None:
        client = Client(system, result, lock)
        me, partner = planner_headers[i], planner_headers[(i + 1) % planners]
        try:
            while True:
                try:
                    n = jobs.get_nowait()
                except queue.Empty:
                    return
                one_cia(client, n, me, partner)
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            with lock:
                result.errors.append(f"planner {i}: {type(exc).__name__}: {exc}")
        finally:
            client.close()

    def one_cia(client: Client, n: int, me_named: tuple, partner_named: tuple) -> None:
        me = me_named[1]
        reference = f"LFR-{year}-{n:04d}"
        op = {**example("operation.json"), "reference": reference}
        status, _, body = client.call("create operation", "authoring", "POST", "/api/v1/operations",
                                      me, op)
        _expect(status, body, 201)
        op_id = body["id"]
        status, _, body = client.call("authorise operation", "authoring", "POST",
                                      f"/api/v1/operations/{op_id}/authorisation", me,
                                      example("authorisation.json"))
        _expect(status, body, 200, 201)
        content = planted_content()
        content["header"]["operation_reference"] = reference
        status, _, body = client.call("create CIA", "authoring", "POST", "/api/v1/cias", me,
                                      {"operation_id": op_id, "content": content})
        _expect(status, body, 201)
        cia_id = body["id"]
        path = f"/api/v1/cias/{cia_id}"
        written = []
        for rnd in range(ROUNDS):
            # Both read, then both write: the second write is stale and must be retried.
            reads = [(name, who, *read(client, path, who))
                     for name, who in (me_named, partner_named)]
            for name, who, etag, lines in reads:
                line = f"Press line {n}.{rnd} from {name}"
                while True:
                    status, headers, body = client.call(
                        "edit CIA (PATCH)", "authoring", "PATCH", path,
                        {**who, "If-Match": etag},
                        {"content": {"communications": {"press_lines": [*lines, line]}}},
                        "application/merge-patch+json")
                    if status != 412:
                        _expect(status, body, 200)
                        break
                    with lock:
                        result.stale_writes += 1
                    etag, lines = read(client, path, who)
                written.append(line)
        status, _, body = client.call("submit", "authoring", "POST", f"{path}/submit", me, {})
        _expect(status, body, 200)
        with lock:
            result.cias.append(cia_id)
            result.lines[cia_id] = written

    def read(client: Client, path: str, who: dict) -> tuple[str, list[str]]:
        status, headers, body = client.call("read CIA (GET)", "authoring", "GET", path, who)
        _expect(status, body, 200)
        return headers["ETag"], list(body["content"]["communications"]["press_lines"])

    def reviewer(i: int) -> None:
        client = Client(system, result, lock)
        me = token(f"reviewer-{i:02d}", f"Reviewer {i:02d}", "reviewer")
        try:
            while True:
                status, _, body = client.call("list open reviews", "review", "GET",
                                              "/api/v1/reviews?state=open&page_size=100", me)
                _expect(status, body, 200)
                if not body:
                    if writing_done.is_set():
                        return
                    time.sleep(0.2)
                    continue
                # A team shares the work: each reviewer takes their own share of
                # the queue (by review id), so they do not race for the same one.
                mine = [r for r in body if zlib.crc32(r["id"].encode()) % reviewers == i]
                if not mine:
                    time.sleep(0.2)
                    continue
                for review in mine:
                    status, _, reply = client.call(
                        "approve", "review", "POST", f"/api/v1/reviews/{review['id']}/decisions",
                        me, {"decision": "approve", "comment": "Proportionate."})
                    _expect(status, reply, 201, 409)  # 409: another reviewer closed it first
        except Exception as exc:  # noqa: BLE001
            with lock:
                result.errors.append(f"reviewer {i}: {type(exc).__name__}: {exc}")
        finally:
            client.close()

    started = time.perf_counter()
    writers = [threading.Thread(target=planner, args=(i,), name=f"planner-{i}")
               for i in range(planners)]
    readers = [threading.Thread(target=reviewer, args=(i,), name=f"reviewer-{i}")
               for i in range(reviewers)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join()
    writing_done.set()
    for t in readers:
        t.join()
    result.seconds = time.perf_counter() - started
    return result


def lost_lines(invariants, result: LoadResult) -> dict[str, set[str]]:
    """No lost update: the lines each approved CIA should hold and does not (by CIA)."""
    rows = invariants.db.rows("authoring", "SELECT cia_id, content FROM cia_versions "
                                           "WHERE status = 'approved'")
    lost = {}
    for row in rows:
        content = row.content if isinstance(row.content, dict) else json.loads(row.content)
        missing = set(result.lines[row.cia_id]) - set(content["communications"]["press_lines"])
        if missing:
            lost[row.cia_id] = missing
    missing_cias = set(result.cias) - {row.cia_id for row in rows}
    for cia_id in missing_cias:
        lost[cia_id] = set(result.lines.get(cia_id, [])) or {"(no approved version)"}
    return lost
