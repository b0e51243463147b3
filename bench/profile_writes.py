"""Where a write request's time goes: create operation, authorise it, create CIA, edit CIA
(PATCH, If-Match), submit.

In one process, against a real authoring app (``create_app``) on a fresh
database (PostgreSQL when ``CIA_TEST_POSTGRES_URL`` is set, and SQLite), through
Flask's test client, ``--n`` requests per endpoint. Two passes per endpoint, on
separate CIAs:

* a **stack sampler** (a thread reading the request thread's stack every
  0.5 ms) gives each endpoint's time split into exclusive buckets: every sample
  goes to exactly one bucket, so the shares add up to 100 %. A sample counts for
  an application-level bucket (audit, outbox emit/contract validation, diff,
  content validation, rendering, auth) when any frame of its stack is in it (the
  innermost such frame wins: SQL the audit runs is audit time); otherwise for the
  library its innermost classified frame belongs to (SQLAlchemy, the database
  driver, marshmallow/webargs, JSON, Flask/Werkzeug, …);
  The same samples are also split by layer alone (the library of the innermost
  classified frame, whoever called it);
* **cProfile** gives the top functions by cumulative time, each tagged with its
  bucket (cumulative times nest, so they do not add up).

Only the measured requests are profiled: reading the ETag before an edit is not.
Each request's CPU time on its own thread (``time.thread_time``: what the
request computes, not what it waits for) is reported beside its wall time.

    python -m bench.profile_writes [--n 200] [--backend sqlite|postgresql|both]
                                   [--top 25] [--out FILE]
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

ENDPOINTS = ("create operation", "authorise", "create CIA", "edit CIA", "submit")

# Application-level buckets: (bucket, module prefixes, function names or None for any).
APP_RULES = [
    ("outbox emit + event contract check", ("cia_schemas.contracts",), None),
    ("outbox emit + event contract check", ("cia_common.db",), {"emit", "check_emitted"}),
    ("outbox emit + event contract check", ("cia_common.events",), None),
    ("CIA row lock + load (audit.lock_cia: SELECT … FOR UPDATE)", ("cia_authoring.cias.audit",),
     {"lock_cia"}),
    ("audit chain", ("cia_authoring.cias.audit",), None),
    ("diff", ("cia_schemas.diff",), None),
    ("diff", ("cia_authoring.domain",), {"diff"}),
    ("content validation (marshmallow)", ("cia_schemas.content", "cia_schemas.errors",
                                          "cia_schemas.operation"), None),
    ("rendering", ("cia_authoring.documents.service", "cia_authoring.documents", "docxtpl", "docx",
                   "jinja2"), None),
    ("auth (JWT)", ("cia_common.auth", "jwt"), None),
    ("content hash (canonical JSON)", ("cia_authoring.domain",), {"content_hash",
                                                                  "canonical_json"}),
]
# Library buckets, by module prefix, for the innermost classified frame.
DRIVER_CALLS = {"do_execute", "do_executemany", "do_execute_no_params", "do_commit",
                "do_rollback", "do_begin", "connect", "_exec_insertmany_context"}
LIB_RULES = [
    ("test client (not in production)", ("werkzeug.test",)),
    ("database driver (psycopg / sqlite3, round trips)", ("psycopg", "sqlite3", "_sqlite3")),
    ("SQLAlchemy ORM / core (flush, load, compile)", ("sqlalchemy",)),
    ("marshmallow / webargs / flask-smorest (request + response schemas)",
     ("marshmallow", "webargs", "flask_smorest", "apispec")),
    ("JSON encode / decode", ("json", "flask.json", "orjson", "simplejson")),
    ("HTTP / Flask / Werkzeug overhead", ("flask", "werkzeug", "cia_common.web",
                                          "cia_common.json_input", "cia_common.ratelimit",
                                          "cia_common.metrics", "prometheus_client")),
    ("tracing (OpenTelemetry)", ("opentelemetry", "cia_common.tracing")),
    ("logging", ("logging", "cia_common.logging_setup")),
]
OTHER_APP = "other application code"
UNCLASSIFIED = "other (stdlib, uncategorised)"


def _matches(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


FLUSH = "SQLAlchemy ORM flush (every pending write, with its SQL)"


def classify(stack: list[tuple[str, str]]) -> str:
    """By feature. ``stack``: (module, function) from the innermost frame outwards.

    A unit-of-work flush writes whatever is pending, whoever triggers it (the
    audit's explicit flush, the autoflush before the outbox INSERT or a query):
    it is a bucket of its own, before the application buckets."""
    for module, func in stack:
        if module == "sqlalchemy.orm.session" and func in ("flush", "_autoflush"):
            return FLUSH
    for module, func in stack:
        for bucket, prefixes, funcs in APP_RULES:
            if _matches(module, prefixes) and (funcs is None or func in funcs):
                return bucket
    return classify_layer(stack)


def classify_layer(stack: list[tuple[str, str]]) -> str:
    """By layer: the library of the innermost classified frame, whatever called it."""
    for module, func in stack:
        if module.startswith("sqlalchemy.engine") and func in DRIVER_CALLS:
            return "database driver (psycopg / sqlite3, round trips)"
        for bucket, prefixes in LIB_RULES:
            if _matches(module, prefixes):
                return bucket
        if module.startswith(("cia_", "bench", "tests")):
            return OTHER_APP
    return UNCLASSIFIED


def bucket_of_function(filename: str, func: str = "") -> str:
    """The bucket of a cProfile entry, from its file path (no stack: library rules only)."""
    path = filename.replace("\\", "/")
    module = path.split("site-packages/", 1)[-1].removesuffix(".py").replace("/", ".")
    for marker, name in (("/schemas/", "cia_schemas."), ("/cia_common/", "cia_common."),
                         ("/cia_authoring/", "cia_authoring.")):
        if marker in path and "site-packages" not in path:
            module = name + path.split(marker, 1)[1].removesuffix(".py").replace("/", ".")
    module = module.removesuffix(".__init__")
    if module == "sqlalchemy.orm.session" and func in ("flush", "_autoflush"):
        return FLUSH
    for bucket, prefixes, funcs in APP_RULES:
        if _matches(module, prefixes) and (funcs is None or func in funcs):
            return bucket
    for bucket, prefixes in LIB_RULES:
        if _matches(module, prefixes):
            return bucket
    if "python3" in path and "site-packages" not in path:
        return "stdlib"
    return OTHER_APP if "cia_" in module or "schemas" in path else ""


class Sampler:
    """Samples one thread's stack every ``interval`` s while ``active`` is set."""

    def __init__(self, thread_id: int, interval: float = 0.0005):
        self.thread_id = thread_id
        self.interval = interval
        self.active = threading.Event()
        self.stopping = threading.Event()
        self.counts: Counter = Counter()
        self.layers: Counter = Counter()
        self.samples = 0
        self.thread = threading.Thread(target=self._run, daemon=True, name="sampler")

    def _run(self) -> None:
        while not self.stopping.is_set():
            if not self.active.wait(0.05):
                continue
            frame = sys._current_frames().get(self.thread_id)
            stack = []
            while frame is not None:
                stack.append((frame.f_globals.get("__name__", ""), frame.f_code.co_name))
                frame = frame.f_back
            if self.active.is_set():
                self.counts[self.bucket(stack)] += 1
                self.layers[classify_layer(stack)] += 1
                self.samples += 1
            time.sleep(self.interval)

    def bucket(self, stack: list) -> str:
        return classify(stack)

    def __enter__(self) -> "Sampler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.active.set()
        self.thread.join()


# ------------------------------------------------------------------ the requests

def _requests(client, n: int, tag: str):
    """Yield (endpoint, callable) for every measured request, in order: all operations
    created, all authorised, then all CIAs created, then all edits (each after an
    unmeasured GET for its ETag), then all submits."""
    from tests.integration.test_authoring_support import PLANNER, content_for, example

    ops: list[dict] = []
    ids: list[str] = []

    def create_operation(i):
        def call():
            body = {**example("operation.json"), "reference": f"LFR-{2090 + int(tag)}-{i:04d}"}
            resp = client.post("/api/v1/operations", headers=PLANNER, json=body)
            assert resp.status_code == 201, resp.get_data(as_text=True)[:500]
            ops.append(resp.get_json())
        return call

    for i in range(n):
        yield "create operation", create_operation(i)
    for op in ops:
        def authorise(op=op):
            resp = client.post(f"/api/v1/operations/{op['id']}/authorisation", headers=PLANNER,
                               json=example("authorisation.json"))
            assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        yield "authorise", authorise

    def create(op):
        def call():
            resp = client.post("/api/v1/cias", headers=PLANNER,
                               json={"operation_id": op["id"],
                                     "content": content_for(op["reference"])})
            assert resp.status_code == 201, resp.get_data(as_text=True)[:500]
            ids.append(resp.get_json()["id"])
        return call

    for op in ops:
        yield "create CIA", create(op)
    for i, cia_id in enumerate(ids):
        etag = client.get(f"/api/v1/cias/{cia_id}", headers=PLANNER).headers["ETag"]

        def edit(cia_id=cia_id, etag=etag, i=i):
            resp = client.patch(f"/api/v1/cias/{cia_id}",
                                headers={**PLANNER, "If-Match": etag},
                                json={"content": {"header": {"title": f"Edited title {i}"}}})
            assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        yield "edit CIA", edit
    for cia_id in ids:
        def sub(cia_id=cia_id):
            resp = client.post(f"/api/v1/cias/{cia_id}/submit", headers=PLANNER, json={})
            assert resp.status_code in (200, 201, 202), resp.get_data(as_text=True)[:500]
        yield "submit", sub


def profile_backend(backend: str, n: int, top: int) -> dict:
    from cia_authoring.app import create_app
    from cia_common.web import db
    from tests.conftest import DatabaseFactory

    tmp = Path(tempfile.mkdtemp(prefix="cia-profile-"))
    factory = DatabaseFactory(backend, tmp)
    app = create_app({"DATABASE_URL": factory.new("authoring"), "TESTING": True})
    client = app.test_client()
    out: dict = {"backend": backend, "n": n, "endpoints": {}}
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # let the sampler in every 0.5 ms, not every 5 ms
    try:
        # pass 1: sampled, timed, SQL statements counted
        timings: dict[str, list[float]] = {e: [] for e in ENDPOINTS}
        cpu: dict[str, list[float]] = {e: [] for e in ENDPOINTS}
        samplers: dict[str, Sampler] = {}
        statements: dict[str, Counter] = {e: Counter() for e in ENDPOINTS}
        counting: list = [None]

        def count(_conn, _cursor, statement, _params, _context, _many):
            if counting[0] is not None:
                statements[counting[0]][_sql_shape(statement)] += 1

        import sqlalchemy as sa
        sa.event.listen(db(app).engine, "before_cursor_execute", count)
        for endpoint, call in _requests(client, n, "1"):
            counting[0] = endpoint
            sampler = samplers.get(endpoint)
            if sampler is None:
                sampler = samplers[endpoint] = Sampler(threading.get_ident()).__enter__()
            sampler.active.set()
            t0, c0 = time.perf_counter(), time.thread_time()
            call()
            cpu[endpoint].append(time.thread_time() - c0)
            timings[endpoint].append(time.perf_counter() - t0)
            sampler.active.clear()
            counting[0] = None
        sa.event.remove(db(app).engine, "before_cursor_execute", count)
        for s in samplers.values():
            s.__exit__()
        # pass 2: cProfile
        profiles = {e: cProfile.Profile() for e in ENDPOINTS}
        for endpoint, call in _requests(client, n, "2"):
            profiles[endpoint].enable()
            call()
            profiles[endpoint].disable()
        for endpoint in ENDPOINTS:
            counts = samplers[endpoint].counts
            total = sum(counts.values()) or 1
            ms = sorted(t * 1000 for t in timings[endpoint])
            cpu_ms = sorted(t * 1000 for t in cpu[endpoint])
            stats = pstats.Stats(profiles[endpoint])
            rows = []
            for (filename, line, func), (_cc, nc, tt, ct, _callers) in [
                    kv for kv in sorted(stats.stats.items(), key=lambda kv: -kv[1][3])
                    if not _wrapper(kv[0])][:top]:
                rows.append({"function": f"{_short(filename)}:{line}({func})", "calls": nc,
                             "cumulative_ms_per_request": round(ct * 1000 / n, 3),
                             "own_ms_per_request": round(tt * 1000 / n, 3),
                             "bucket": bucket_of_function(filename, func)})
            out["endpoints"][endpoint] = {
                "requests": len(ms),
                "ms_per_request": {"p50": round(ms[len(ms) // 2], 2),
                                   "mean": round(statistics.fmean(ms), 2)},
                "cpu_ms_per_request": {"p50": round(cpu_ms[len(cpu_ms) // 2], 2),
                                       "mean": round(statistics.fmean(cpu_ms), 2)},
                "samples": total,
                "sql_statements_per_request": round(sum(statements[endpoint].values()) / n, 2),
                "sql": [{"statement": k, "per_request": round(v / n, 2)}
                        for k, v in statements[endpoint].most_common()],
                "buckets": [{"bucket": b, "share": round(c / total, 3)}
                            for b, c in counts.most_common()],
                "layers": [{"bucket": b, "share": round(c / total, 3)}
                           for b, c in samplers[endpoint].layers.most_common()],
                "top_cumulative": rows,
            }
    finally:
        sys.setswitchinterval(switch)
        db(app).dispose()
        factory.cleanup()
    return out


WRAPPERS = ("werkzeug/test.py", "flask/testing.py", "flask/app.py", "flask/ctx.py",
            "bench/profile_writes.py", "cProfile", "werkzeug/wrappers/response.py")


def _wrapper(key) -> bool:
    """The test client and Flask's dispatch frames that enclose every request."""
    filename, _line, func = key
    return (any(w in filename for w in WRAPPERS) or func == "wrapper"  # decorators
            or func == "<method 'disable' of '_lsprof.Profiler' objects>")


def _sql_shape(statement: str) -> str:
    """A statement in a few words: verb, tables, locking."""
    import re
    text = " ".join(statement.split())
    verb = text.split(" ", 1)[0].upper()
    if verb == "SELECT":
        tables = re.findall(r"\b(?:FROM|JOIN) (\w+)", text)
        shape = "SELECT FROM " + ", ".join(dict.fromkeys(tables))
        if "FOR UPDATE" in text.upper():
            shape += " FOR UPDATE"
        return shape
    if verb in ("INSERT", "UPDATE", "DELETE"):
        m = re.match(r"(?:INSERT INTO|UPDATE|DELETE FROM) (\w+)", text)
        shape = f"{verb} {m.group(1) if m else ''}"
        if verb == "UPDATE":
            shape += " SET " + ", ".join(re.findall(r"(\w+)=", text.split(" WHERE ")[0])[:4])
        return shape
    return text[:60]


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/services/cia-authoring/", "/services/common/",
                   "/work/main/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def report(results: list[dict]) -> str:
    lines = []
    for res in results:
        for endpoint, e in res["endpoints"].items():
            lines.append(f"== {endpoint} — {res['backend']}, {e['requests']} requests, "
                         f"p50 {e['ms_per_request']['p50']} ms, mean "
                         f"{e['ms_per_request']['mean']} ms (sampler on), "
                         f"{e['samples']} samples; CPU on the request's thread p50 "
                         f"{e['cpu_ms_per_request']['p50']} ms")
            lines.append(f"  SQL statements per request: {e['sql_statements_per_request']}"
                         " (commit not counted)")
            for q in e["sql"]:
                lines.append(f"    {q['per_request']:5.2f} × {q['statement']}")
            lines.append("  by feature (sampled, exclusive):")
            for b in e["buckets"]:
                lines.append(f"  {b['share'] * 100:5.1f}%  {b['bucket']}")
            lines.append("  by layer (innermost library of each sample):")
            for b in e["layers"]:
                lines.append(f"  {b['share'] * 100:5.1f}%  {b['bucket']}")
            lines.append("  top cumulative (cProfile, ms per request: cumulative / own):")
            for r in e["top_cumulative"]:
                lines.append(f"    {r['cumulative_ms_per_request']:8.2f} "
                             f"{r['own_ms_per_request']:7.2f}  {r['function']}"
                             f"{'  [' + r['bucket'] + ']' if r['bucket'] else ''}")
            lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="requests per endpoint and pass")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"],
                        default="both" if os.environ.get("CIA_TEST_POSTGRES_URL") else "sqlite")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("CIA_ENV", "development")
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        print(f"profiling {' / '.join(ENDPOINTS)} × {args.n} on {backend} …", flush=True)
        results.append(profile_backend(backend, args.n, args.top))
    print(report(results))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "results": results}, indent=2))
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
