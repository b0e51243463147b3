from __future__ import annotations

import pytest

from tests.e2e.system import System
from tests.receiver import WebhookReceiver


@pytest.fixture
def make_system(kafka_bootstrap, tmp_path, request):
    """Start the whole system on fresh databases of the test's backend and fresh topics."""
    started: list[System] = []

    def _make(databases, **kwargs) -> System:
        urls = {s: databases.new(s) for s in ("authoring", "review", "notifier")}
        # Workers at the web processes' priority: here the other CPU users are the
        # suite's other tests, which a lower-priority worker would wait for (the
        # benchmarks run the system as deployed, its workers niced).
        kwargs["extra_env"] = {"CIA_WORKER_NICE": "0", **kwargs.get("extra_env", {})}
        system = System(kafka=kafka_bootstrap, database_urls=urls,
                        log_dir=tmp_path / f"logs{len(started)}", **kwargs)
        started.append(system)
        return system.start()

    yield _make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for system in started:
        if failed:
            print(system.logs())
        system.stop()


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
