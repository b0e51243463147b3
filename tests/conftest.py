"""Fixtures shared by every test layer.

One Kafka broker and one PostgreSQL server per run (started by infra/test.sh);
every test gets fresh topics (a unique prefix) and fresh databases.
"""
from __future__ import annotations

import atexit
import importlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from cia_common.config import LOCAL_JWT_SECRET
from cia_common.migrate import upgrade

from tests.support import free_ports, is_ci

REPO = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("CIA_TEST_POSTGRES_URL")
KAFKA = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")

BACKENDS = ["sqlite", "postgresql"]

# The suite runs the services in development mode with the secret its tests mint
# tokens with (cia_common.config.LOCAL_JWT_SECRET, refused outside development).
os.environ.setdefault("CIA_ENV", "development")
os.environ.setdefault("CIA_JWT_SECRET", LOCAL_JWT_SECRET)

# The reviewers the scenarios name are in the review service's register from the
# start (a test of the register itself sets REVIEWERS in its own config).
os.environ.setdefault("CIA_REVIEWERS", ",".join(f"reviewer-{n}" for n in range(1, 10)))


# Hypothesis profiles, registered once for every layer; ``--hypothesis-profile=NAME``
# picks one ("thorough" is what bench/properties.py runs). Random inputs on every run
# (never derandomize) and, on a failure, the blob that reproduces it. Property tests
# take their budget from ``max_examples`` (the PDF one and the fuzzing a fraction of
# it), so "thorough" is ten times every one of them. Locally the failing examples are
# kept in .state/hypothesis (ignored by git) and replayed first on the next run; CI
# is a fresh clone with nothing to replay, so there the printed blob is the way back.
from hypothesis import settings as _hypothesis_settings  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

# Hypothesis loads a "ci" profile of its own when it sees CI set (derandomised, the
# too_slow health check off), and a profile registered later inherits from the one
# loaded: every setting that matters is therefore named here.
_HYPOTHESIS_COMMON = dict(derandomize=False, print_blob=True, deadline=None,
                          suppress_health_check=())
_HYPOTHESIS_LOCAL_DB = DirectoryBasedExampleDatabase(str(REPO / ".state" / "hypothesis"))
_hypothesis_settings.register_profile("default", max_examples=200, database=_HYPOTHESIS_LOCAL_DB,
                                      **_HYPOTHESIS_COMMON)
_hypothesis_settings.register_profile("ci", max_examples=200, database=None, **_HYPOTHESIS_COMMON)
_hypothesis_settings.register_profile("thorough", max_examples=2000,
                                      database=None if is_ci() else _HYPOTHESIS_LOCAL_DB,
                                      **_HYPOTHESIS_COMMON)
_hypothesis_settings.load_profile("ci" if is_ci() else "default")


# Each test gets databases of its own, cloned from one migrated template per service
# (PostgreSQL's CREATE DATABASE … TEMPLATE, a copied SQLite file) instead of running
# every migration again: the migrations themselves are tested from scratch where a
# test asks for an empty database (``migrated=False``) and in test_migrations.
SERVICE_MIGRATIONS = {
    "authoring": "cia_authoring.spec",
    "review": "cia_review.spec",
    "notifier": "cia_notifier.spec",
}
_RUN = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
_TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="cia-db-templates-"))
_templates: dict[tuple[str, str], str] = {}


def _migrations(service: str) -> str:
    return importlib.import_module(SERVICE_MIGRATIONS[service]).MIGRATIONS


def _admin() -> sa.Engine:
    return sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _new_pg_database(name: str, template: str | None = None) -> str:
    admin = _admin()
    with admin.connect() as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{clause}'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg_database(name: str) -> None:
    admin = _admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _template(backend: str, service: str) -> str:
    """The migrated template of ``service`` (a database name or a file path), made
    once per test process."""
    key = (backend, service)
    if key not in _templates:
        if backend == "sqlite":
            path = _TEMPLATE_DIR / f"{service}.db"
            upgrade(f"sqlite:///{path}", _migrations(service))
            _templates[key] = str(path)
        else:
            name = f"tpl_{service}_{_RUN}"
            upgrade(_new_pg_database(name), _migrations(service))
            _templates[key] = name  # the upgrade's engine is disposed: no connection left
    return _templates[key]


@atexit.register
def _drop_templates() -> None:
    for (backend, _service), name in _templates.items():
        if backend == "postgresql":
            try:
                _drop_pg_database(name)
            except Exception:  # noqa: BLE001 - best effort; the test cluster is throwaway
                pass
    shutil.rmtree(_TEMPLATE_DIR, ignore_errors=True)


def _service_of(label: str) -> str | None:
    return next((s for s in SERVICE_MIGRATIONS if label.endswith(s)), None)


class DatabaseFactory:
    """Makes fresh databases of one backend for a test: migrated for the service
    ``label`` names (or ``service``), empty when none or ``migrated=False``."""

    def __init__(self, backend: str, tmp_path: Path):
        self.backend = backend
        self.tmp_path = tmp_path
        self.created: list[str] = []

    def new(self, label: str, *, service: str | None = None, migrated: bool = True) -> str:
        service = service or _service_of(label)
        template = _template(self.backend, service) if service and migrated else None
        if self.backend == "sqlite":
            path = self.tmp_path / (label + ".db")
            if template:
                shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        name = f"t_{label}_{uuid.uuid4().hex[:10]}"
        url = _new_pg_database(name, template)
        self.created.append(name)
        return url

    def cleanup(self) -> None:
        for name in self.created:
            try:
                _drop_pg_database(name)
            except Exception:  # noqa: BLE001 - best effort; the cluster is wiped per run
                pass


# A test runs on PostgreSQL, the production database; what differs by backend (claims,
# pagination, counts, concurrency, migrations) and the loop test run on both, marked
# ``@pytest.mark.backends("sqlite", "postgresql")``. Without PostgreSQL (a local run
# without infra/test.sh) the default is SQLite.
DEFAULT_BACKENDS = ["postgresql"] if PG_URL or is_ci() else ["sqlite"]


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        names = list(marker.args) if marker else DEFAULT_BACKENDS
        unknown = set(names) - set(BACKENDS)
        assert not unknown, f"unknown backends {unknown}"
        metafunc.parametrize("backend", names, indirect=True)


@pytest.fixture
def backend(request) -> str:
    if request.param == "postgresql" and not PG_URL:
        if is_ci():
            pytest.fail("CIA_TEST_POSTGRES_URL is not set: PostgreSQL is mandatory under CI")
        pytest.skip("PostgreSQL not available (run through infra/test.sh)")
    return request.param


@pytest.fixture
def databases(backend, tmp_path):
    factory = DatabaseFactory(backend, tmp_path)
    yield factory
    factory.cleanup()


@pytest.fixture
def pg_databases(tmp_path):
    """PostgreSQL only, for tests that exercise what SQLite cannot (locks, scale-out)."""
    if not PG_URL:
        if is_ci():
            pytest.fail("CIA_TEST_POSTGRES_URL is not set: PostgreSQL is mandatory under CI")
        pytest.skip("PostgreSQL not available (run through infra/test.sh)")
    factory = DatabaseFactory("postgresql", tmp_path)
    yield factory
    factory.cleanup()


@pytest.fixture
def kafka_bootstrap(request) -> str:
    if "broker_control" in request.fixturenames:
        return request.getfixturevalue("broker_control").address
    if not KAFKA:
        if is_ci():
            pytest.fail("KAFKA_BOOTSTRAP_SERVERS is not set: the broker is mandatory under CI")
        pytest.skip("KAFKA_BOOTSTRAP_SERVERS not set (run through infra/test.sh)")
    return KAFKA


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."


# Under CI a skipped test is a failed one: CI installs everything the suite needs
# (LibreOffice, Chromium, PostgreSQL, Kafka), so a skip there means a test that did
# not run while the run looked green.
def _skip_fails_under_ci(report) -> None:
    if report.skipped and is_ci() and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which counts as a failure: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    _skip_fails_under_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    report = yield
    _skip_fails_under_ci(report)  # a module skipped as a whole
    return report


class PrivateBroker:
    """A broker of one test's own (infra/kafka.sh on free ports, state under the
    test's tmp_path), which the test may stop and start: the shared broker of the run
    is never stopped, so these tests run in parallel with the rest."""

    def __init__(self, state: Path):
        port, controller = free_ports(2)
        self.address = f"127.0.0.1:{port}"
        self.env = {**os.environ, "KAFKA_PORT": str(port), "KAFKA_CONTROLLER_PORT": str(controller),
                    "KAFKA_STATE_DIR": str(state), "KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m"}

    def __call__(self, action: str) -> None:
        subprocess.run(["bash", str(REPO / "infra/kafka.sh"), action], check=True, env=self.env,
                       stdout=subprocess.DEVNULL, timeout=180)

    def kill(self) -> None:
        """Gone at once: its state is thrown away with the test's tmp_path."""
        pid_file = Path(self.env["KAFKA_STATE_DIR"]) / "kafka.pid"
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (OSError, ValueError):
            pass  # not running


@pytest.fixture
def broker_control(tmp_path):
    """Stop and start a broker of this test's own; ``kafka_bootstrap`` is its address."""
    broker = PrivateBroker(tmp_path / "kafka")
    broker("start")
    try:
        yield broker
    finally:
        broker.kill()
