"""Recovery and cold start: how soon the system works again, timed from the moment it
could.

- ``outage``: the broker stopped, five CIAs submitted meanwhile (their events held in
  the outbox), the broker started again; from the broker accepting connections to
  the last of the five ``review.requested`` webhooks (target ≤ 5 s).
- ``cold_start``: a system started on fresh databases and fresh topics; from every
  service's /readyz answering 200 to the first CIA's webhook (target ≤ 2 s), run
  ``--runs`` times.

Needs the broker managed by ``./infra/bench.sh`` (``CIA_TEST_KAFKA_LOCAL=1``), which
this stops and starts: ``CIA_BENCH_MODULE=bench.recovery ./infra/bench.sh``.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.conftest import DatabaseFactory
from tests.e2e.helpers import create_authorised_operation, create_cia, submit, subscribe
from tests.e2e.system import REPO, System
from tests.receiver import WebhookReceiver

OUTAGE_TARGET_S, COLD_START_TARGET_S = 5.0, 2.0


def _broker(action: str) -> None:
    subprocess.run(["bash", str(REPO / "infra/kafka.sh"), action], check=True,
                   stdout=subprocess.DEVNULL, timeout=180)


def _accepting(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, int(port))) == 0


def _system(bootstrap: str, backend: str, tmp: Path, label: str):
    factory = DatabaseFactory(backend, tmp / label)
    (tmp / label).mkdir(parents=True, exist_ok=True)
    system = System(kafka=bootstrap, log_dir=tmp / label / "logs",
                    database_urls={s: factory.new(s) for s in ("authoring", "review", "notifier")},
                    extra_env={"GUNICORN_ACCESSLOG": ""})
    return system, factory


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise RuntimeError(f"timed out waiting for {what}")


def outage(bootstrap: str, backend: str, tmp: Path, held: int = 5) -> dict:
    system, factory = _system(bootstrap, backend, tmp, "outage")
    try:
        with WebhookReceiver() as rx:
            system.start()
            subscribe(system, rx.url, ["review.requested"])
            cias = [create_cia(system, create_authorised_operation(system, f"LFR-2097-{i:04d}"))
                    for i in range(held)]
            _broker("stop")
            try:
                for cia in cias:
                    submit(system, cia["id"])
                time.sleep(12)  # past the clients' session and request timeouts
            finally:
                _broker("start")
            back = _wait(lambda: _accepting(bootstrap) and time.monotonic(), 120, "the broker")
            wanted = {c["id"] for c in cias}
            _wait(lambda: wanted <= {h.json()["data"]["cia_id"]
                                     for h in rx.of_type("review.requested")}, 300,
                  "the held submissions' webhooks")
            done = time.monotonic()
    finally:
        system.stop()
        factory.cleanup()
    seconds = round(done - back, 2)
    return {"held": held, "seconds_to_last_webhook": seconds, "target_s": OUTAGE_TARGET_S,
            "met": seconds <= OUTAGE_TARGET_S}


def cold_start(bootstrap: str, backend: str, tmp: Path, runs: int) -> dict:
    samples = []
    for n in range(runs):
        system, factory = _system(bootstrap, backend, tmp, f"cold{n}")
        try:
            with WebhookReceiver() as rx:
                system.start()  # returns once every /readyz answers 200
                ready = time.monotonic()
                subscribe(system, rx.url, ["review.requested"])
                cia = create_cia(system, create_authorised_operation(system, "LFR-2096-0001"))
                submit(system, cia["id"])
                _wait(lambda: rx.of_type("review.requested"), 120, "the first webhook")
                samples.append(round(time.monotonic() - ready, 2))
        finally:
            system.stop()
            factory.cleanup()
    return {"runs": samples, "worst_s": max(samples), "target_s": COLD_START_TARGET_S,
            "met": max(samples) <= COLD_START_TARGET_S}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="cold starts")
    parser.add_argument("--no-outage", action="store_true", help="cold starts only")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"],
                        default="postgresql" if os.environ.get("CIA_TEST_POSTGRES_URL")
                        else "sqlite")
    args = parser.parse_args(argv)
    if os.environ.get("CIA_TEST_KAFKA_LOCAL") != "1":
        print("the broker must be the one ./infra/bench.sh manages (it is stopped here)",
              file=sys.stderr)
        return 2
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    tmp = Path(tempfile.mkdtemp(prefix="cia-bench-recovery-"))
    results = {"cold_start": cold_start(bootstrap, args.backend, tmp, args.runs)}
    if not args.no_outage:
        results["outage"] = outage(bootstrap, args.backend, tmp)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
