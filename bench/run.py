"""Benchmarks, printed and written as JSON, each beside its bare substrate:

loop      submit → review.requested webhook received, vs a raw kafka-python
          produce → consume round trip measured in the same run
loop_spans the same loop traced (the services export OTLP to the bench): each
          submission's time per hop, p50 and share of the end-to-end p50
          (bench/spans.py)
http      GET /api/v1/cias/{id} requests per second, vs a bare Flask endpoint on
          the same gunicorn settings
documents DOCX and PDF render time per CIA, vs docxtpl rendering a one-line
          template (bench/documents.py)
bundle    disclosure bundle of 1,000 released CIAs: export time and peak memory,
          vs zipfile writing the same files from memory (bench/bundle.py)
legacy_pdf a 20-page legacy PDF's flattened copy (redaction, rendering, OCR), vs
          bare tesseract on the same page images (bench/legacy_pdf.py)
load      50 planners create, edit and submit 1,000 CIAs while reviewers approve:
          throughput and latency percentiles, vs a bare Flask endpoint under the
          same concurrency (bench/load.py)
list_scale GET /api/v1/cias (first page, a deep page by offset and by keyset
          cursor, a filtered page) at 100,000 CIAs, vs the same at 10,000, both
          seeded in bulk and timed in interleaved rounds (bench/list_scale.py)
names     the name model: recall and precision on the labelled corpus, detection
          over the example CIA's full text vs the same pass without the model and
          beside the disclosure render, a worker's memory growth; in a process of
          its own, printed against the issue's bars (bench/names.py)

Run through ``./infra/bench.sh`` (sets up the venv, the broker and PostgreSQL).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

from bench.bundle import bundle_benchmark
from bench.documents import document_benchmarks
from bench.legacy_pdf import legacy_pdf_benchmark
from bench.list_scale import list_scale_benchmark
from bench.kafka_substrate import raw_kafka_round_trip
from bench.load import failures as load_failures, load_benchmark
from bench.names import in_fresh_process as name_benchmarks, print_targets as print_name_targets
from bench.targets import print_targets
from bench.spans import loop_span_breakdown, print_table
from bench.stats import percentiles, requests_per_second
from tests.conftest import DatabaseFactory
from tests.e2e.helpers import PLANNER, create_authorised_operation, create_cia, submit, subscribe
from tests.e2e.system import REPO, System, listening_socket
from tests.receiver import WebhookReceiver

RESULTS = REPO / "bench" / "results"
# What --only can name, in the order they run.
PARTS = ("loop", "http", "spans", "documents", "bundle", "legacy_pdf", "names", "list_scale", "load")


def loop_latency(system: System, n: int) -> dict:
    with WebhookReceiver() as receiver:
        subscribe(system, receiver.url, ["review.requested"])
        cias = []
        for i in range(n):
            op = create_authorised_operation(system, reference=f"LFR-2099-{i:04d}")
            cias.append(create_cia(system, op))
        samples = []
        for cia in cias:
            seen = len(receiver.received())
            t0 = time.perf_counter()
            submit(system, cia["id"])
            deadline = time.monotonic() + 60
            while True:
                fresh = receiver.received()[seen:]
                if any(cia["id"] in r.body.decode() for r in fresh):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no webhook for CIA {cia['id']} within 60 s")
                time.sleep(0.002)
            samples.append(time.perf_counter() - t0)
        return percentiles(samples)


def bare_flask_rps(seconds: float, concurrency: int, workers: int) -> dict:
    sock = listening_socket()
    port = sock.getsockname()[1]
    env = dict(os.environ, GUNICORN_ACCESSLOG="")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO / "infra/gunicorn.conf.py"),
         "--bind", f"fd://{sock.fileno()}", "--workers", str(workers), "--access-logfile",
         "/dev/null", "bench.bare_app:app"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, pass_fds=(sock.fileno(),))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"http://127.0.0.1:{port}/ping", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        requests_per_second(f"http://127.0.0.1:{port}/ping", {}, seconds=1, concurrency=concurrency)
        return requests_per_second(f"http://127.0.0.1:{port}/ping", {}, seconds=seconds,
                                   concurrency=concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def cia_get_rps(system: System, seconds: float, concurrency: int) -> dict:
    cia = create_cia(system, create_authorised_operation(system, reference="LFR-2098-0001"))
    url = system.url("authoring") + f"/api/v1/cias/{cia['id']}"
    requests_per_second(url, PLANNER, seconds=1, concurrency=concurrency)
    return requests_per_second(url, PLANNER, seconds=seconds, concurrency=concurrency)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cias", type=int, default=200, help="CIAs through the loop")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each HTTP load")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        default="postgresql" if os.environ.get("CIA_TEST_POSTGRES_URL") else "sqlite")
    parser.add_argument("--load-cias", type=int, default=1000,
                        help="CIAs through the load benchmark (0 skips it)")
    parser.add_argument("--span-cias", type=int, default=100,
                        help="CIAs through the traced loop (bench/spans.py; 0 skips it)")
    parser.add_argument("--list-cias", type=int, default=100_000,
                        help="CIAs of the larger list database (the smaller one holds a "
                             "tenth; 0 skips the list_scale benchmark)")
    parser.add_argument("--names-runs", type=int, default=15,
                        help="interleaved runs of the names benchmark (0 skips it)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help="comma-separated parts to run, of: " + ", ".join(PARTS))
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    only = {p.strip() for p in args.only.split(",") if p.strip()}
    if only - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(only - set(PARTS)))}")

    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    tmp = Path(tempfile.mkdtemp(prefix="cia-bench-"))
    factory = DatabaseFactory(args.backend, tmp)
    system = System(kafka=bootstrap, log_dir=tmp / "logs", web_processes=args.web_workers,
                    database_urls={s: factory.new(s) for s in ("authoring", "review", "notifier")},
                    extra_env={"GUNICORN_ACCESSLOG": ""})
    results: dict = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "backend": args.backend,
    }
    try:
        if only & {"loop", "http"}:
            system.start()
        if "loop" in only:
            print(f"raw kafka round trip × {args.cias} …", flush=True)
            raw = raw_kafka_round_trip(bootstrap, args.cias)
            print(f"submit → webhook × {args.cias} …", flush=True)
            loop = loop_latency(system, args.cias)
            results["loop"] = {"submit_to_webhook": loop, "raw_kafka_round_trip": raw,
                               "ratio_p50": round(loop["p50_ms"] / raw["p50_ms"], 1),
                               "ratio_p95": round(loop["p95_ms"] / raw["p95_ms"], 1),
                               "ratio_p99": round(loop["p99_ms"] / raw["p99_ms"], 1)}
        if "http" in only:
            print("GET /api/v1/cias/{id} load …", flush=True)
            cia_rps = cia_get_rps(system, args.seconds, args.concurrency)
    finally:
        system.stop()
        factory.cleanup()
    if args.span_cias and "spans" in only:
        print(f"submit → webhook traced × {args.span_cias} (span breakdown) …", flush=True)
        results["loop_spans"] = loop_span_breakdown(bootstrap, args.backend, args.span_cias,
                                                    args.web_workers)
        print_table(results["loop_spans"])
    if "http" in only:
        print("bare Flask load …", flush=True)
        bare = bare_flask_rps(args.seconds, args.concurrency, args.web_workers)
        results["http"] = {"get_cia": cia_rps, "bare_flask": bare,
                           "ratio_rps": round(cia_rps["rps"] / bare["rps"], 3),
                           "gunicorn": {"workers": args.web_workers, "threads": 4,
                                        "worker_class": "gthread"}}
    if "documents" in only:
        results["documents"] = document_benchmarks()
    if "bundle" in only:
        results["bundle"] = bundle_benchmark()
    if "legacy_pdf" in only:
        results["legacy_pdf"] = legacy_pdf_benchmark()
    if args.names_runs and "names" in only:
        print(f"names × {args.names_runs} (a process of its own) …", flush=True)
        results["names"] = name_benchmarks(args.names_runs)
    if args.list_cias and "list_scale" in only:
        print(f"list at {args.list_cias // 10} and {args.list_cias} CIAs …", flush=True)
        results["list_scale"] = list_scale_benchmark(args.list_cias // 10, args.list_cias,
                                                     backend=args.backend)
    if args.load_cias and "load" in only:
        results["load"] = load_benchmark(bootstrap, args.backend, args.load_cias,
                                         args.web_workers)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print(f"written to {args.out}")
    print_targets(results)  # reported; a missed speed target does not fail the run
    problems = [f"(load): {p}" for p in (load_failures(results["load"]) if "load" in results else [])]
    if "names" in results:
        problems += [f"(names): {p}" for p in print_name_targets(results["names"])]
    for problem in problems:
        print(f"FAILED {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
