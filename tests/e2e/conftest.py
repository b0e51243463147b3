from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.system import REPO, System
from tests.receiver import WebhookReceiver
from tests.support import is_ci


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


@pytest.fixture
def broker_control():
    """Stop and start the run's shared broker (only when infra/test.sh manages it)."""
    if os.environ.get("CIA_TEST_KAFKA_LOCAL") != "1":
        if is_ci():
            pytest.fail("the test broker must be managed by infra/test.sh under CI")
        pytest.skip("the broker is not managed by infra/test.sh")

    def run(action: str) -> None:
        subprocess.run(["bash", str(REPO / "infra/kafka.sh"), action], check=True,
                       stdout=subprocess.DEVNULL, timeout=180)

    yield run
    run("start")  # leave it running for the rest of the suite


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
