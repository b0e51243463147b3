"""Load: 50 planners at once create, edit (PATCH with If-Match, two writers per
CIA) and submit 1,000 CIAs while reviewers approve, on gunicorn and PostgreSQL
(tests/faults/load.py drives it; tests/e2e/test_load.py checks the
correctness of the same run).

Reports throughput (CIAs and requests per second, and the time until the last
approval is applied) and per-operation latency percentiles, beside the
substrate: a bare Flask endpoint on the same gunicorn settings under the same
number of concurrent clients, measured in the same run.

Run alone with ``python -m bench.load [--cias N]`` (needs KAFKA_BOOTSTRAP_SERVERS
and CIA_TEST_POSTGRES_URL, as ./infra/bench.sh sets them). Exits non-zero on any
5xx, lost write, unexpected stale-write count or unapproved CIA: the correctness
checks of tests/e2e/test_load.py (100 CIAs in the suite) at the full 1,000.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.stats import concurrently, percentiles
from tests.conftest import DatabaseFactory
from tests.e2e.helpers import subscribe
from tests.e2e.system import REPO, System, listening_socket
from tests.faults.load import ROUNDS, SYSTEM_OPTIONS, lost_lines, run_load
from tests.faults.loop import Invariants, Loop
from tests.receiver import WebhookReceiver

PLANNERS = 50


def bare_flask_latency(concurrency: int, requests_per_client: int, workers: int) -> dict:
    """GET /ping of a bare Flask app on the same gunicorn settings, ``concurrency`` clients."""
    sock = listening_socket()
    port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO / "infra/gunicorn.conf.py"),
         "--bind", f"fd://{sock.fileno()}", "--workers", str(workers), "--access-logfile",
         "/dev/null", "bench.bare_app:app"], cwd=REPO, env=dict(os.environ, GUNICORN_ACCESSLOG=""),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(sock.fileno(),))
    samples: list[float] = []
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(requests_per_client):
            t0 = time.perf_counter()
            conn.request("GET", "/ping")
            conn.getresponse().read()
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            samples.extend(mine)

    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/ping")
                break
            except OSError:
                time.sleep(0.1)
        elapsed = concurrently(client, concurrency)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return {**percentiles(samples), "rps": round(len(samples) / elapsed, 1)}


def load_benchmark(bootstrap: str, backend: str, cias: int, web_workers: int = 2) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="cia-bench-load-"))
    factory = DatabaseFactory(backend, tmp)
    system = System(kafka=bootstrap, log_dir=tmp / "logs",
                    database_urls={s: factory.new(s) for s in ("authoring", "review", "notifier")},
                    **{**SYSTEM_OPTIONS, "web_processes": web_workers})
    try:
        with WebhookReceiver() as rx:
            system.start()
            sub = subscribe(system, rx.url, ["review.requested"])["id"]
            print(f"load: {PLANNERS} planners, {cias} CIAs …", flush=True)
            started = time.perf_counter()
            result = run_load(system, cias, planners=PLANNERS, reviewers=4)
            loop = Loop(system)
            loop.submitted = set(result.cias)
            invariants = Invariants(system, loop, {sub: rx})
            try:
                invariants.settle(timeout=1800)
                loop.approve_open()
                invariants.wait_approvals_applied(timeout=1800)
                all_done = time.perf_counter() - started
                approved = len(invariants.approved_cias())
                lost = lost_lines(invariants, result)
            finally:
                invariants.close()
    finally:
        system.stop()
        factory.cleanup()
    requests_made = sum(result.statuses.values())
    operations = {op: percentiles(samples) for op, samples in sorted(result.latencies.items())}
    print("bare Flask latency at the same concurrency …", flush=True)
    bare = bare_flask_latency(PLANNERS, max(20, requests_made // (2 * PLANNERS)), web_workers)
    return {
        "cias": cias, "planners": PLANNERS, "reviewers": 4, "web_workers": web_workers,
        "backend": backend,
        "load_seconds": round(result.seconds, 1),
        "all_approved_seconds": round(all_done, 1),
        "cias_per_second": round(cias / result.seconds, 2),
        "requests": requests_made,
        "requests_per_second": round(requests_made / result.seconds, 1),
        "server_errors": sum(n for (_, status), n in result.statuses.items() if status >= 500),
        "stale_writes_retried": result.stale_writes,
        "expected_stale_writes": cias * ROUNDS,
        "approved": approved,
        "lost_writes": sum(len(v) for v in lost.values()),
        "errors": result.errors[:10],
        "latency": operations,
        "bare_flask": bare,
        "ratio_p50_vs_bare": {op: round(p["p50_ms"] / bare["p50_ms"], 1)
                              for op, p in operations.items()},
        "ratio_p95_vs_bare": {op: round(p["p95_ms"] / bare["p95_ms"], 1)
                              for op, p in operations.items()},
    }


def failures(results: dict) -> list[str]:
    """What makes the run a failure, whatever its speed."""
    out = []
    if results["server_errors"]:
        out.append(f"{results['server_errors']} server errors (5xx)")
    if results["lost_writes"]:
        out.append(f"{results['lost_writes']} lost writes")
    if results["approved"] != results["cias"]:
        out.append(f"{results['cias'] - results['approved']} CIAs not approved")
    if results["stale_writes_retried"] != results["expected_stale_writes"]:
        out.append(f"{results['stale_writes_retried']} stale writes retried, "
                   f"{results['expected_stale_writes']} expected")
    if results["errors"]:
        out.append(f"client errors: {results['errors']}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cias", type=int, default=1000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        default="postgresql" if os.environ.get("CIA_TEST_POSTGRES_URL")
                        else "sqlite")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    results = load_benchmark(os.environ["KAFKA_BOOTSTRAP_SERVERS"], args.backend, args.cias,
                             args.web_workers)
    print(json.dumps(results, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    problems = failures(results)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
