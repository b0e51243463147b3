"""Reading the processes' /metrics in tests: every sample, summed by labels."""
from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.system import System

Samples = dict[tuple[str, frozenset], float]


def scrape(url: str) -> Samples:
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200, resp.text[:300]
    return {(s.name, frozenset(s.labels.items())): s.value
            for f in text_string_to_metric_families(resp.text) for s in f.samples}


def value(samples: Samples, name: str, **labels) -> float:
    """The sum of ``name``'s samples that carry ``labels`` (0 if there are none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


def has(samples: Samples, name: str) -> bool:
    return any(n == name for n, _ in samples)


def web(system: System, service: str) -> Samples:
    """The service's web process's /metrics (its database and Kafka gauges)."""
    return scrape(system.url(service) + "/metrics")


def worker(system: System, service: str, index: int = 0) -> Samples:
    """The service's worker's /metrics (what that worker did since it started)."""
    return scrape(system.worker_metrics_url(service, index) + "/metrics")
