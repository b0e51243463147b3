"""Where the loop's two event handlers spend their time: review's ``cia.submitted``
(a review round opened, ``review.requested`` emitted) and the notifier's
``review.requested`` (deliveries written and handed to the sender).

In one process, as ``bench/profile_writes.py`` profiles the authoring writes: the
review and notifier apps (``create_app``) on fresh databases (PostgreSQL when
``CIA_TEST_POSTGRES_URL`` is set, else SQLite), each event through the worker's
own path (``cia_common.consumer.handle_event``: inbox claim, handler, commit).
The ``cia.submitted`` events carry the example CIA's full content; the notifier
handles the ``review.requested`` events review emitted, with one subscription to
them. Per handler: the p50, the SQL statements per event, and the stack
sampler's exclusive buckets (feature, then layer), as in ``profile_writes``.

    python -m bench.profile_handlers [--n 200] [--backend sqlite|postgresql] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.profile_writes import Sampler, _sql_shape, classify_layer

HANDLERS = ("review: cia.submitted", "notifier: review.requested")

# Application-level buckets, innermost frame first (as profile_writes.APP_RULES).
APP_RULES = [
    ("inbox claim (INSERT … ON CONFLICT)", ("cia_common.consumer",), {"_claim"}),
    ("outbox emit + event contract check", ("cia_common.db",), {"emit"}),
    ("outbox emit + event contract check", ("cia_schemas.contracts", "cia_common.events"), None),
    ("action links (tokens, reviewer register)", ("cia_review.actions", "cia_review.reviewers"),
     None),
    ("review policy and payloads", ("cia_review.reviews.policy", "cia_review.reviews.payloads"),
     None),
    ("subscriptions (matching, secrets)", ("cia_notifier.subscriptions",), None),
    ("delivery claim / hand-off", ("cia_notifier.deliveries.loop",), None),
    ("commit", ("cia_common.db",), {"commit"}),
]
FLUSH = "SQLAlchemy ORM flush (every pending write, with its SQL)"


def _matches(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def classify(stack) -> str:
    for module, func in stack:
        if module == "sqlalchemy.orm.session" and func in ("flush", "_autoflush"):
            return FLUSH
    for module, func in stack:
        for bucket, prefixes, funcs in APP_RULES:
            if _matches(module, prefixes) and (funcs is None or func in funcs):
                return bucket
    return classify_layer(stack)


class HandlerSampler(Sampler):
    """profile_writes' sampler with the handlers' buckets."""

    def bucket(self, stack: list) -> str:
        return classify(stack)


def _submitted_events(n: int) -> list:
    from cia_common.events import isoformat
    from tests.integration.test_authoring_support import content_for
    from tests.review_events import submitted_event
    start = isoformat(datetime.now(timezone.utc) + timedelta(days=30))
    return [submitted_event(version=1, planned_start=start, content=content_for(f"LFR-2097-{i:04d}"),
                            requested_reviewers=["reviewer-1"]) for i in range(n)]


def _measure(name: str, engine, calls) -> dict:
    import sqlalchemy as sa
    statements: Counter = Counter()
    counting = [False]
    me = threading.get_ident()

    def count(_conn, _cursor, statement, _params, _context, _many):
        # This thread's only: the sending pool records its attempts meanwhile.
        if counting[0] and threading.get_ident() == me:
            statements[_sql_shape(statement)] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    sampler = HandlerSampler(threading.get_ident()).__enter__()
    timings = []
    try:
        for call in calls:
            counting[0] = True
            sampler.active.set()
            t0 = time.perf_counter()
            call()
            timings.append(time.perf_counter() - t0)
            sampler.active.clear()
            counting[0] = False
    finally:
        sampler.__exit__()
        sa.event.remove(engine, "before_cursor_execute", count)
    n = len(timings)
    ms = sorted(t * 1000 for t in timings)
    total = sum(sampler.counts.values()) or 1
    return {"handler": name, "events": n,
            "ms_per_event": {"p50": round(ms[n // 2], 2), "mean": round(statistics.fmean(ms), 2)},
            "sql_statements_per_event": round(sum(statements.values()) / n, 2),
            "sql": [{"statement": k, "per_event": round(v / n, 2)}
                    for k, v in statements.most_common()],
            "buckets": [{"bucket": b, "share": round(c / total, 3)}
                        for b, c in sampler.counts.most_common()],
            "layers": [{"bucket": b, "share": round(c / total, 3)}
                       for b, c in sampler.layers.most_common()]}


def profile_backend(backend: str, n: int) -> dict:
    import sqlalchemy as sa
    from cia_common.config import events_topic
    from cia_common.consumer import handle_event
    from cia_common.events import CloudEvent
    from cia_common.tables import outbox
    from cia_common.web import db
    from cia_notifier.app import create_app as notifier_app
    from cia_notifier.settings import Settings
    from cia_notifier.spec import build_spec
    from cia_notifier.subscriptions.service import create_subscription
    from cia_review.app import create_app as review_app
    from cia_review.reviews.service import SOURCE as REVIEW_SOURCE
    from cia_review.spec import build_spec as review_spec
    from tests.conftest import DatabaseFactory
    from tests.receiver import WebhookReceiver

    tmp = Path(tempfile.mkdtemp(prefix="cia-profile-handlers-"))
    factory = DatabaseFactory(backend, tmp)
    review = review_app({"DATABASE_URL": factory.new("review"), "REVIEW_URL": "http://review.test",
                         "AUTHORING_URL": "http://authoring.test",
                         "REVIEWER_POOL": "reviewer-1,reviewer-2"})
    notifier = notifier_app({"DATABASE_URL": factory.new("notifier"),
                             "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"})
    receiver = WebhookReceiver().__enter__()  # the sends (not timed) succeed
    switch = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    out = {"backend": backend, "n": n, "handlers": []}
    try:
        rdb, ndb = db(review), db(notifier)
        handlers = review_spec(review.config).handlers
        events = _submitted_events(n + 20)

        def review_call(event):
            return lambda: handle_event(rdb, "review", handlers["cia.submitted"], event,
                                        source=REVIEW_SOURCE,
                                        topic=events_topic(review.config, "review"))

        for event in events[:20]:  # warm-up: prepared statements, caches
            review_call(event)()
        out["handlers"].append(_measure(HANDLERS[0], rdb.engine,
                                        [review_call(e) for e in events[20:]]))
        with rdb.engine.connect() as conn:
            requested = [CloudEvent.from_json(p) for p in conn.execute(
                sa.select(outbox.c.payload).where(outbox.c.event_type == "review.requested")
                .order_by(outbox.c.seq)).scalars()]

        with ndb.sessions.begin() as session:
            create_subscription(session, Settings.from_config(notifier.config),
                                url=receiver.url, event_types=["review.requested"])
        spec = build_spec(notifier.config)
        fan_out = spec.handlers["*"]

        def notifier_call(event):
            return lambda: handle_event(ndb, "notifier", fan_out, event,
                                        source="/cia-workflow/notifier",
                                        topic=events_topic(notifier.config, "notifier"))

        for event in requested[:20]:
            notifier_call(event)()
        out["handlers"].append(_measure(HANDLERS[1], ndb.engine,
                                        [notifier_call(e) for e in requested[20:]]))
        spec.periodic[0].close()
    finally:
        sys.setswitchinterval(switch)
        receiver.__exit__(None, None, None)
        db(review).dispose()
        db(notifier).dispose()
        factory.cleanup()
    return out


def report(result: dict) -> str:
    lines = []
    for h in result["handlers"]:
        lines.append(f"== {h['handler']} — {result['backend']}, {h['events']} events, p50 "
                     f"{h['ms_per_event']['p50']} ms, mean {h['ms_per_event']['mean']} ms "
                     "(sampler on)")
        lines.append(f"  SQL statements per event: {h['sql_statements_per_event']} "
                     "(BEGIN and COMMIT not counted)")
        for q in h["sql"]:
            lines.append(f"    {q['per_event']:5.2f} × {q['statement']}")
        lines.append("  by feature (sampled, exclusive):")
        for b in h["buckets"]:
            lines.append(f"  {b['share'] * 100:5.1f}%  {b['bucket']}")
        lines.append("  by layer:")
        for b in h["layers"]:
            lines.append(f"  {b['share'] * 100:5.1f}%  {b['bucket']}")
        lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200, help="events per handler")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        default="postgresql" if os.environ.get("CIA_TEST_POSTGRES_URL")
                        else "sqlite")
    parser.add_argument("--out", type=Path, default=None, help="write the result as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("CIA_ENV", "development")
    result = profile_backend(args.backend, args.n)
    print(report(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"), **result}, indent=2))
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
