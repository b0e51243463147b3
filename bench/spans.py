"""Where the loop's time goes: the spans of each submission, hop by hop.

The services run as processes (as in the loop benchmark) with
``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at a small OTLP/HTTP receiver in this
process (protobuf ``ExportTraceServiceRequest`` on ``/v1/traces``, the protocol
``cia_common.tracing`` exports with). Each submission is sent with its own W3C
``traceparent``, so the bench knows every submission's trace id. Per trace the
boundaries are, in order:

  t_send   the bench sends ``POST …/submit``
  a0, a1   authoring's server span (before_request → teardown_request)
  k1       the ``cia.submitted`` record's Kafka CreateTime (the relay's send)
  r0, r1   review's ``cia.submitted process`` span (inbox claim → commit)
  k2       the ``review.requested`` record's Kafka CreateTime
  n0, n1   notifier's ``review.requested process`` span (deliveries committed)
  d0       notifier's ``webhook deliver`` span starts (the signed POST)
  t_seen   the bench sees the webhook at its receiver (polled every 1 ms)

so the segments add up exactly to the end-to-end time. There are no spans for
the relays or for the Kafka clients: the outbox wait and the Kafka transit are
told apart by the record's CreateTime (set by kafka-python at ``send()``, 1 ms
resolution), read back from the topics after the run; the outbox rows'
``published_at`` (after the broker's ack) is reported beside them. All clocks
are the same machine's wall clock.

    python -m bench.spans [--cias 100] [--backend sqlite|postgresql]

(with ``KAFKA_BOOTSTRAP_SERVERS`` and, for PostgreSQL, ``CIA_TEST_POSTGRES_URL``
set, as ``./infra/bench.sh`` sets them). ``bench.run`` runs it after the loop
benchmark (``--span-cias``) and writes it under ``loop_spans``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.kafka_substrate import raw_kafka_round_trip

SEGMENTS = [
    # (key, label, start boundary, end boundary)
    ("client_to_authoring", "client → authoring span start (gunicorn, routing)", "t_send", "a0"),
    ("authoring_request", "authoring submit request (span)", "a0", "a1"),
    ("authoring_outbox_wait", "authoring outbox wait (response → relay send)", "a1", "k1"),
    ("kafka_to_review", "Kafka transit → review consumer span start", "k1", "r0"),
    ("review_handling", "review handling (cia.submitted process)", "r0", "r1"),
    ("review_outbox_wait", "review outbox wait (commit → relay send)", "r1", "k2"),
    ("kafka_to_notifier", "Kafka transit → notifier consumer span start", "k2", "n0"),
    ("notifier_handling", "notifier handling (review.requested process)", "n0", "n1"),
    ("delivery_wait", "notifier delivery wait (commit → claim and send)", "n1", "d0"),
    ("webhook_http", "webhook POST → at the receiver (bench's 1 ms poll)", "d0", "t_seen"),
]

SUBMIT_SPAN = "POST /api/v1/cias/<string:cia_id>/submit"


# ------------------------------------------------------------------ OTLP receiver

class OtlpReceiver:
    """OTLP/HTTP (protobuf) trace receiver on 127.0.0.1 in a thread; keeps every span."""

    def __init__(self):
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
        self.spans: list[dict] = []
        self.requests = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver._add(request)
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                       name="otlp-receiver")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _add(self, request) -> None:
        out = []
        for rs in request.resource_spans:
            resource = {a.key: _value(a.value) for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    out.append({
                        "trace_id": s.trace_id.hex(), "span_id": s.span_id.hex(),
                        "parent_span_id": s.parent_span_id.hex(), "name": s.name,
                        "kind": s.kind, "start_ns": s.start_time_unix_nano,
                        "end_ns": s.end_time_unix_nano,
                        "service_name": resource.get("service.name"),
                        "attributes": {a.key: _value(a.value) for a in s.attributes},
                    })
        with self._lock:
            self.requests += 1
            self.spans.extend(out)

    def by_trace(self) -> dict[str, list[dict]]:
        with self._lock:
            spans = list(self.spans)
        traces: dict[str, list[dict]] = {}
        for s in spans:
            traces.setdefault(s["trace_id"], []).append(s)
        return traces

    def __enter__(self) -> "OtlpReceiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _value(v):
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


# ------------------------------------------------------------------ the services, traced

def traced_system(bootstrap: str, database_urls: dict, log_dir: Path, endpoint: str,
                  web_processes: int):
    from tests.e2e.system import System

    return System(
        kafka=bootstrap, log_dir=log_dir, web_processes=web_processes,
        database_urls=database_urls,
        extra_env={"GUNICORN_ACCESSLOG": "", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                   # export within 50 ms instead of 5 s, so nothing waits at the end
                   "OTEL_BSP_SCHEDULE_DELAY": "50"})


# ------------------------------------------------------------------ the loop, traced

def traced_loop(system, n: int) -> list[dict]:
    """Submit ``n`` CIAs one at a time, each with its own trace id; the bench's timestamps."""
    import requests

    from tests.e2e.helpers import PLANNER, create_authorised_operation, create_cia, ok, subscribe
    from tests.receiver import WebhookReceiver

    rows = []
    with WebhookReceiver() as hooks:
        subscribe(system, hooks.url, ["review.requested"])
        cias = [create_cia(system, create_authorised_operation(system,
                                                               reference=f"LFR-2097-{i:04d}"))
                for i in range(n)]
        session = requests.Session()
        for cia in cias:
            trace_id = secrets.token_hex(16)
            headers = {**PLANNER, "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
            seen = len(hooks.received())
            url = system.url("authoring") + f"/api/v1/cias/{cia['id']}/submit"
            t_send = time.time_ns()
            ok(session.post(url, headers=headers, json={}, timeout=10), 200, 201, 202)
            deadline = time.monotonic() + 60
            while True:
                fresh = hooks.received()[seen:]
                if any(trace_id in (r.headers.get("traceparent") or "") for r in fresh):
                    t_seen = time.time_ns()
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no webhook for CIA {cia['id']} within 60 s")
                time.sleep(0.001)
            rows.append({"cia_id": cia["id"], "trace_id": trace_id, "t_send": t_send,
                         "t_seen": t_seen})
        session.close()
    return rows


def _hops(spans: list[dict]) -> dict:
    def one(service_word: str, name: str):
        found = [s for s in spans if s["name"] == name
                 and s["attributes"].get("cia.service") == service_word]
        return min(found, key=lambda s: s["start_ns"]) if found else None

    return {"authoring": one("authoring", SUBMIT_SPAN),
            "review": one("review", "cia.submitted process"),
            "notifier": one("notifier", "review.requested process"),
            "deliver": one("notifier", "webhook deliver")}


def wait_for_spans(receiver: OtlpReceiver, rows: list[dict], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        traces = receiver.by_trace()
        if all(all(_hops(traces.get(r["trace_id"], [])).values()) for r in rows):
            return
        time.sleep(0.1)


def kafka_create_times(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """CloudEvent id → the record's CreateTime (ns), for every record of ``topics``."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             group_id=None, consumer_timeout_ms=2000)
    out: dict[str, int] = {}
    try:
        parts = [TopicPartition(t, p) for t in topics
                 for p in sorted(consumer.partitions_for_topic(t) or [])]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp]
                                                  for tp in parts):
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    try:
                        event_id = json.loads(r.value)["id"]
                    except (ValueError, KeyError, TypeError):
                        continue
                    out[event_id] = r.timestamp * 1_000_000
    finally:
        consumer.close()
    return out


def outbox_times(database_url: str) -> dict[str, tuple[int, int | None]]:
    """event id → (created_at, published_at) in ns, from a service's outbox."""
    import sqlalchemy as sa

    from cia_common.tables import outbox

    def ns(value):
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1_000_000) * 1000

    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(outbox.c.event_id, outbox.c.created_at,
                                          outbox.c.published_at)).all()
    finally:
        engine.dispose()
    return {r.event_id: (ns(r.created_at), ns(r.published_at)) for r in rows}


def _stats(values_ms: list[float]) -> dict:
    ordered = sorted(values_ms)

    def pct(p):
        return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)

    return {"p50_ms": pct(50), "p95_ms": pct(95), "mean_ms": round(statistics.fmean(ordered), 2)}


def breakdown(rows: list[dict], traces: dict, create_times: dict, outboxes: dict) -> dict:
    per_trace = []
    incomplete = 0
    for row in rows:
        hops = _hops(traces.get(row["trace_id"], []))
        if not all(hops.values()):
            incomplete += 1
            continue
        review_event = hops["review"]["attributes"].get("messaging.message.id")
        notify_event = hops["notifier"]["attributes"].get("messaging.message.id")
        k1, k2 = create_times.get(review_event), create_times.get(notify_event)
        if k1 is None or k2 is None:
            incomplete += 1
            continue
        b = {"t_send": row["t_send"], "t_seen": row["t_seen"],
             "a0": hops["authoring"]["start_ns"], "a1": hops["authoring"]["end_ns"],
             "k1": k1, "r0": hops["review"]["start_ns"], "r1": hops["review"]["end_ns"],
             "k2": k2, "n0": hops["notifier"]["start_ns"], "n1": hops["notifier"]["end_ns"],
             "d0": hops["deliver"]["start_ns"], "d1": hops["deliver"]["end_ns"]}
        seg = {key: (b[end] - b[start]) / 1e6 for key, _label, start, end in SEGMENTS}
        seg["end_to_end"] = (b["t_seen"] - b["t_send"]) / 1e6
        # beside the path: the deliver span's whole length (it ends after the
        # receiver's answer, which the receiver sends after recording the request),
        # and the relays' send → ack-and-mark, from the outbox rows
        seg["webhook_deliver_span"] = (b["d1"] - b["d0"]) / 1e6
        for key, event_id, k in (("authoring_relay_ack", review_event, k1),
                                 ("review_relay_ack", notify_event, k2)):
            created, published = outboxes.get(event_id, (None, None))
            if published is not None:
                seg[key] = (published - k) / 1e6
        per_trace.append(seg)
    if not per_trace:
        raise RuntimeError(f"no complete trace among {len(rows)} submissions")
    e2e = _stats([t["end_to_end"] for t in per_trace])
    segments = []
    for key, label, start, end in SEGMENTS:
        s = _stats([t[key] for t in per_trace])
        segments.append({"segment": key, "label": label, "from": start, "to": end, **s,
                         "share_of_p50": round(s["p50_ms"] / e2e["p50_ms"], 3),
                         "share_of_mean": round(s["mean_ms"] / e2e["mean_ms"], 3)})
    beside = {key: _stats(vals) for key in ("webhook_deliver_span", "authoring_relay_ack",
                                            "review_relay_ack")
              if (vals := [t[key] for t in per_trace if key in t])}
    return {"traces": len(per_trace), "incomplete": incomplete, "end_to_end": e2e,
            "segments": segments,
            "sum_of_segment_p50_ms": round(sum(s["p50_ms"] for s in segments), 2),
            "beside_the_path": beside}


def print_table(result: dict) -> None:
    e2e = result["end_to_end"]
    print(f"\nloop spans — {result['traces']} traces ({result['incomplete']} incomplete), "
          f"{result.get('backend', '')}; end to end p50 {e2e['p50_ms']} ms, "
          f"p95 {e2e['p95_ms']} ms, mean {e2e['mean_ms']} ms")
    print(f"{'segment':<58}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}{'p50 share':>11}")
    for s in result["segments"]:
        print(f"{s['label']:<58}{s['p50_ms']:>9.2f}{s['p95_ms']:>9.2f}{s['mean_ms']:>9.2f}"
              f"{s['share_of_p50'] * 100:>10.1f}%")
    print(f"{'sum of segment p50s':<58}{result['sum_of_segment_p50_ms']:>9.2f}")
    if "raw_kafka_round_trip" in result:
        raw = result["raw_kafka_round_trip"]
        print(f"  reference: raw Kafka produce → consume round trip p50 {raw['p50_ms']} ms, "
              f"p95 {raw['p95_ms']} ms (same run)")
    for key, s in result.get("beside_the_path", {}).items():
        print(f"  beside the path: {key} p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms")


# ------------------------------------------------------------------ entry points

def loop_span_breakdown(bootstrap: str, backend: str, n: int, web_processes: int = 2) -> dict:
    """Start the services traced, run ``n`` submissions through the loop, break them down."""
    from cia_common.config import EVENT_TOPICS
    from tests.conftest import DatabaseFactory

    tmp = Path(tempfile.mkdtemp(prefix="cia-spans-"))
    factory = DatabaseFactory(backend, tmp)
    with OtlpReceiver() as receiver:
        urls = {s: factory.new(s) for s in ("authoring", "review", "notifier")}
        system = traced_system(bootstrap, urls, tmp / "logs", receiver.endpoint, web_processes)
        try:
            system.start()
            raw = raw_kafka_round_trip(bootstrap, min(n, 50))
            rows = traced_loop(system, n)
            wait_for_spans(receiver, rows)
            traces = receiver.by_trace()
            create_times = kafka_create_times(
                bootstrap, [system.prefix + EVENT_TOPICS[s] for s in ("authoring", "review")])
            outboxes = {**outbox_times(urls["authoring"]), **outbox_times(urls["review"])}
        finally:
            system.stop()
            factory.cleanup()
    result = breakdown(rows, traces, create_times, outboxes)
    result.update({"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   "backend": backend, "cias": n, "web_processes": web_processes,
                   "raw_kafka_round_trip": raw,
                   "spans_received": sum(len(v) for v in traces.values()),
                   "how": "per-trace boundaries from the services' OTLP spans, the Kafka "
                          "records' CreateTime and the bench's own clock; shares are each "
                          "segment's p50 over the end-to-end p50 (p50s do not add up "
                          "exactly); span export is on during this run"})
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cias", type=int, default=100)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        default=("postgresql" if os.environ.get("CIA_TEST_POSTGRES_URL")
                                 else "sqlite"))
    parser.add_argument("--out", type=Path, default=None,
                        help="also merge the result into this JSON file under loop_spans "
                             "(e.g. bench/results/latest.json)")
    args = parser.parse_args(argv)
    result = loop_span_breakdown(os.environ["KAFKA_BOOTSTRAP_SERVERS"], args.backend, args.cias,
                                 args.web_workers)
    print_table(result)
    if args.out:
        existing = json.loads(args.out.read_text()) if args.out.exists() else {}
        existing["loop_spans"] = result
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(existing, indent=2))
        print(f"written to {args.out} (loop_spans)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
