"""``cia status``: healthy and unhealthy systems, read from fake services."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from cia_common.status import Limits, check_service, status

HEALTHY = {
    "authoring": {"cia_outbox_pending": 0, "cia_outbox_oldest_age_seconds": 0,
                  "cia_documents_pending_pdf": 1,
                  "cia_documents_pending_pdf_oldest_age_seconds": 20},
    "review": {"cia_outbox_pending": 1, "cia_outbox_oldest_age_seconds": 0.2,
               "cia_reviews_open": 4, "cia_reviews_overdue": 0},
    "notifier": {"cia_outbox_pending": 0, "cia_outbox_oldest_age_seconds": 0,
                 "cia_webhook_pending": 2, "cia_subscriptions_failing": 0,
                 "cia_subscriptions_disabled": 0},
}
LAG = ('cia_consumer_lag{service="%s",group="g",topic="t",partition="0"} %d\n'
       'cia_consumer_lag{service="%s",group="g",topic="t",partition="1"} %d\n')


class FakeService:
    """A web process (/readyz, /metrics) or a worker (/metrics) with settable answers."""

    def __init__(self, service: str):
        self.service = service
        self.ready = True
        self.figures = dict(HEALTHY.get(service, {}))
        self.lag = (0, 0)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                if self.path == "/readyz":
                    body = json.dumps({"checks": {"database": "ok", "kafka": "ok" if fake.ready
                                                  else "unreachable"}})
                    code = 200 if fake.ready else 503
                else:
                    body = "".join(f'{k}{{service="{fake.service}"}} {v}\n'
                                   for k, v in fake.figures.items())
                    body += LAG % (fake.service, fake.lag[0], fake.service, fake.lag[1])
                    code = 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def system(monkeypatch):
    services = {s: FakeService(s) for s in HEALTHY}
    workers = {s: FakeService(s) for s in HEALTHY}
    for s in services:
        monkeypatch.setenv(f"CIA_{s.upper()}_URL", services[s].url)
        monkeypatch.setenv(f"CIA_{s.upper()}_WORKER_METRICS_URL", workers[s].url + "/metrics")
    yield services, workers
    for fake in [*services.values(), *workers.values()]:
        fake.close()


def run_status(*args):
    return CliRunner().invoke(status, list(args))


def test_a_healthy_system_exits_0(system):
    result = run_status()
    assert result.exit_code == 0, result.output
    assert "OK: nothing needs attention." in result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()[1:4]}
    assert lines["review"].split()[1:3] == ["ready", "up"]
    assert "reviews open 4, overdue 0" in lines["review"]
    assert "webhooks pending 2" in lines["notifier"]


@pytest.mark.parametrize("fault, expected", [
    (lambda s, w: setattr(s["review"], "ready", False),
     "review: web not-ready (kafka unreachable)"),
    (lambda s, w: w["notifier"].close(), "notifier: worker unreachable"),
    (lambda s, w: s["authoring"].close(), "authoring: web unreachable"),
    (lambda s, w: s["authoring"].figures.update(cia_outbox_pending=7,
                                                cia_outbox_oldest_age_seconds=400),
     "authoring: outbox backlog of 7, oldest 400 s"),
    (lambda s, w: setattr(s["review"], "lag", (80, 70)), "review: consumer lag 150"),
    (lambda s, w: s["notifier"].figures.update(cia_dlq_messages=1),
     "notifier: 1 dead letter(s) pending"),
    (lambda s, w: s["review"].figures.update(cia_reviews_overdue=2), "review: 2 review(s) overdue"),
    (lambda s, w: s["notifier"].figures.update(cia_subscriptions_disabled=1),
     "notifier: 1 subscription(s) disabled"),
    (lambda s, w: s["notifier"].figures.update(cia_subscriptions_failing=3),
     "notifier: 3 subscription(s) failing"),
    (lambda s, w: s["authoring"].figures.update(cia_documents_pending_pdf_oldest_age_seconds=900),
     "authoring: 1 PDF(s) waiting, oldest 900 s"),
])
def test_something_needing_attention_exits_1_and_says_what(system, fault, expected):
    fault(*system)
    result = run_status("--timeout", "2")
    assert result.exit_code == 1, result.output
    assert "NEEDS ATTENTION" in result.output and expected in result.output
    problems = result.output.split("NEEDS ATTENTION")[1].strip().splitlines()[1:]
    assert len(problems) == 1, problems  # only what is wrong


def test_the_limits_are_options(system):
    services, _ = system
    services["authoring"].figures.update(cia_outbox_oldest_age_seconds=90)
    assert run_status().exit_code == 1
    assert run_status("--max-outbox-age", "120").exit_code == 0


def test_json_output(system):
    result = run_status("--json")
    body = json.loads(result.output)
    assert [s["service"] for s in body] == ["authoring", "review", "notifier"]
    assert body[1]["figures"]["reviews_open"] == 4 and body[1]["problems"] == []


def test_check_service_without_a_worker_url(system):
    services, _ = system
    st = check_service("review", services["review"].url, None, Limits())
    assert st.worker == "not checked" and st.problems == []
