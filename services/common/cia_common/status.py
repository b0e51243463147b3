"""``cia status``: the whole system on one screen, from what the services publish
(``/readyz`` and ``/metrics`` of each web app, ``/metrics`` of each worker).

Exits 1 when something needs attention, so it serves as a health check in scripts:
a service or worker unreachable or not ready, an outbox row older than the limit,
consumer lag above the limit, a dead letter not dealt with, a review overdue, a
subscription failing or disabled, a PDF waiting longer than the limit.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

import click
import requests
from prometheus_client.parser import text_string_to_metric_families

from .config import SERVICE_PORTS, base_url
from .metrics import WORKER_METRICS_PORTS

SERVICES = tuple(SERVICE_PORTS)


@dataclass
class Limits:
    outbox_age_s: float = 60.0
    lag: int = 100
    pdf_age_s: float = 600.0


@dataclass
class ServiceStatus:
    service: str
    web: str = "unreachable"
    worker: str = "not checked"
    figures: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def worker_metrics_url(service: str, env=None) -> str | None:
    """Where the worker's metrics are: $CIA_<SERVICE>_WORKER_METRICS_URL, else where
    $CIA_<SERVICE>_WORKER_METRICS_BIND or the default port puts them; None = off."""
    env = os.environ if env is None else env
    url = env.get(f"CIA_{service.upper()}_WORKER_METRICS_URL")
    if url:
        return None if url.strip().lower() == "off" else url
    bind = env.get(f"CIA_{service.upper()}_WORKER_METRICS_BIND") \
        or f"127.0.0.1:{WORKER_METRICS_PORTS[service]}"
    if bind.strip().lower() in {"off", "none", "0", ""} or bind.startswith("fd://"):
        return None
    return f"http://{bind}/metrics"


def scrape(url: str, timeout: float) -> dict[str, float]:
    """Every sample of a /metrics page summed by name (labels dropped)."""
    resp = requests.get(url, timeout=timeout)
    resp.raise_for_status()
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


FIGURES = {  # name on /metrics -> name on the screen
    "cia_outbox_pending": "outbox",
    "cia_outbox_oldest_age_seconds": "outbox_oldest_s",
    "cia_consumer_lag": "lag",
    "cia_dlq_messages": "dlq",
    "cia_reviews_open": "reviews_open",
    "cia_reviews_overdue": "reviews_overdue",
    "cia_webhook_pending": "webhooks_pending",
    "cia_subscriptions_failing": "subscriptions_failing",
    "cia_subscriptions_disabled": "subscriptions_disabled",
    "cia_documents_pending_pdf": "pdf_queue",
    "cia_documents_pending_pdf_oldest_age_seconds": "pdf_oldest_s",
}


def check_service(service: str, web_url: str, worker_url: str | None, limits: Limits,
                  timeout: float = 5.0) -> ServiceStatus:
    st = ServiceStatus(service)
    metrics: dict[str, float] = {}
    try:
        ready = requests.get(web_url + "/readyz", timeout=timeout)
        checks = ready.json().get("checks", {}) if ready.content else {}
        st.web = "ready" if ready.status_code == 200 else \
            "not-ready (" + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok") + ")"
        metrics = scrape(web_url + "/metrics", timeout)
    except (requests.RequestException, ValueError) as exc:
        if st.web == "unreachable":
            st.web = f"unreachable ({exc.__class__.__name__})"
        else:
            st.problems.append(f"/metrics unreadable ({exc.__class__.__name__})")
    if st.web != "ready":
        st.problems.append(f"web {st.web}")
    if metrics.get("cia_database_up", 1) == 0:
        st.problems.append("database unreachable from /metrics")
    if worker_url:
        try:
            scrape(worker_url, timeout)
            st.worker = "up"
        except (requests.RequestException, ValueError) as exc:
            st.worker = f"unreachable ({exc.__class__.__name__})"
            st.problems.append(f"worker {st.worker}")
    for name, label in FIGURES.items():
        if name in metrics:
            st.figures[label] = metrics[name]
    f = st.figures
    if f.get("outbox_oldest_s", 0) > limits.outbox_age_s:
        st.problems.append(f"outbox backlog of {f['outbox']:.0f}, oldest "
                           f"{f['outbox_oldest_s']:.0f} s (limit {limits.outbox_age_s:.0f} s)")
    if f.get("lag", 0) > limits.lag:
        st.problems.append(f"consumer lag {f['lag']:.0f} (limit {limits.lag})")
    if f.get("dlq", 0) > 0:
        st.problems.append(f"{f['dlq']:.0f} dead letter(s) pending (cia dlq list)")
    if f.get("reviews_overdue", 0) > 0:
        st.problems.append(f"{f['reviews_overdue']:.0f} review(s) overdue")
    if f.get("subscriptions_failing", 0) > 0:
        st.problems.append(f"{f['subscriptions_failing']:.0f} subscription(s) failing")
    if f.get("subscriptions_disabled", 0) > 0:
        st.problems.append(f"{f['subscriptions_disabled']:.0f} subscription(s) disabled")
    if f.get("pdf_oldest_s", 0) > limits.pdf_age_s:
        st.problems.append(f"{f['pdf_queue']:.0f} PDF(s) waiting, oldest "
                           f"{f['pdf_oldest_s']:.0f} s (limit {limits.pdf_age_s:.0f} s)")
    return st


def system_status(limits: Limits, timeout: float = 5.0, env=None) -> list[ServiceStatus]:
    return [check_service(s, base_url(s), worker_metrics_url(s, env), limits, timeout)
            for s in SERVICES]


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render(statuses: list[ServiceStatus]) -> str:
    head = (f"{'SERVICE':10} {'WEB':12} {'WORKER':12} {'OUTBOX':>6} {'OLDEST':>7} {'LAG':>5} "
            f"{'DLQ':>4}  OTHER")
    lines = [head]
    for st in statuses:
        f = st.figures
        other = {
            "review": [("reviews open", "reviews_open"), ("overdue", "reviews_overdue")],
            "notifier": [("webhooks pending", "webhooks_pending"),
                         ("subscriptions failing", "subscriptions_failing"),
                         ("disabled", "subscriptions_disabled")],
            "authoring": [("PDF queue", "pdf_queue")],
        }.get(st.service, [])
        oldest = f.get("outbox_oldest_s")
        oldest_text = "-" if oldest is None else _figure(oldest) + "s"
        lines.append(
            f"{st.service:10} {st.web.split(' ')[0]:12} {st.worker.split(' ')[0]:12} "
            f"{_figure(f.get('outbox')):>6} {oldest_text:>7} "
            f"{_figure(f.get('lag')):>5} {_figure(f.get('dlq')):>4}  "
            + ", ".join(f"{label} {_figure(f.get(key))}" for label, key in other))
    problems = [(st.service, p) for st in statuses for p in st.problems]
    lines.append("")
    if problems:
        lines.append("NEEDS ATTENTION (runbook: docs/operations.md):")
        lines.extend(f"  {service}: {p}" for service, p in problems)
    else:
        lines.append("OK: nothing needs attention.")
    return "\n".join(lines)


@click.command("status")
@click.option("--max-outbox-age", default=Limits.outbox_age_s, show_default=True,
              help="Seconds an outbox row may wait for the broker.")
@click.option("--max-lag", default=Limits.lag, show_default=True,
              help="Messages a consumer group may be behind.")
@click.option("--max-pdf-age", default=Limits.pdf_age_s, show_default=True,
              help="Seconds an approved document may wait for its PDF.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds per HTTP request.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of the table.")
def status(max_outbox_age: float, max_lag: int, max_pdf_age: float, timeout: float,
           as_json: bool) -> None:
    """The whole system on one screen; exit code 1 if anything needs attention.

    Services are found at $CIA_AUTHORING_URL, $CIA_REVIEW_URL, $CIA_NOTIFIER_URL
    (default 127.0.0.1:8001-8003), workers' metrics at $CIA_<SERVICE>_WORKER_METRICS_URL
    (default: where $CIA_WORKER_METRICS_BIND or the default port puts them).
    """
    statuses = system_status(Limits(max_outbox_age, max_lag, max_pdf_age), timeout)
    if as_json:
        click.echo(json.dumps([asdict(s) for s in statuses], indent=2))
    else:
        click.echo(render(statuses))
    if any(st.problems for st in statuses):
        raise SystemExit(1)


commands = [status]
