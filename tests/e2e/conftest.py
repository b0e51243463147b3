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
