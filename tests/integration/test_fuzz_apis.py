"""Schemathesis against each service's own OpenAPI, in-process, with a valid token
for each role: generated requests (valid and invalid) never get a 5xx, and every
answer conforms to what the OpenAPI documents (status, content type, headers, body).

Bounded to fit CI: a few examples per operation and mode (``CIA_FUZZ_EXAMPLES``,
default 6), derandomized so a run can be repeated, no deadline, no shrinking.
Runs on PostgreSQL when the run has it (the production database, stricter about
types and ranges), else on SQLite.
"""
from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from cia_authoring.app import create_app as authoring_app
from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET
from cia_common.web import db
from cia_notifier.app import create_app as notifier_app
from cia_review.app import create_app as review_app
from tests.conftest import PG_URL, DatabaseFactory

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("CIA_FUZZ_EXAMPLES", "6"))
ROLES = ("planner", "reviewer", "foi", "admin")
# Not negative_data_rejection: the services ignore query parameters they do not
# know (robustness), which that check counts as accepting invalid input.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]

FACTORIES = {"authoring": authoring_app, "review": review_app, "notifier": notifier_app}


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """One app per service for the whole module (fuzzing only adds rows)."""
    factory = DatabaseFactory("postgresql" if PG_URL else "sqlite",
                              tmp_path_factory.mktemp("fuzz"))
    built = {name: make({"DATABASE_URL": factory.new(f"fuzz_{name}"), "TESTING": True,
                         "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "RATE_LIMIT": "0"})
             for name, make in FACTORIES.items()}
    yield built
    for app in built.values():
        db(app).dispose()
    factory.cleanup()


def token(role: str) -> dict:
    return {"Authorization": "Bearer " + mint_token(LOCAL_JWT_SECRET, sub=f"fuzz-{role}",
                                                   name=f"Fuzz {role}", roles=[role])}


def fuzz(app, role: str) -> list[str]:
    """Every operation, valid and invalid inputs, as ``role``; the failures as text."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @_SETTINGS
            def run(case):
                case.call_and_validate(headers=token(role), checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing is invalid about this operation's inputs (e.g. any string)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report them together
                failures.append(f"{operation.label} [{mode.value}] as {role}: {_brief(exc)}")
    return failures


def _brief(exc: BaseException) -> str:
    """The check's own words and the reproducing curl, without the schema dumps."""
    parts = [exc, *getattr(exc, "exceptions", ())]
    lines = []
    for part in parts:
        text = str(part)
        lines.append(text.split("\n\nSchema:")[0][:600])
        lines += [line for line in text.splitlines() if line.strip().startswith("curl ")][:1]
    return "\n".join(dict.fromkeys(lines))


_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck), database=None,
                     phases=[Phase.explicit, Phase.generate])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", list(FACTORIES))
def test_fuzz(apps, service, role):
    failures = fuzz(apps[service], role)
    assert not failures, "\n\n".join(failures)


# Hostile input the generators do not reach: bodies nested thousands of levels,
# integers of thousands of digits, non-finite numbers, and date-time filters at the
# ends of the calendar. Each gets a documented 4xx problem, never a 5xx.
HOSTILE_BODIES = [b"[" * 3000 + b"]" * 3000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
                  b'{"n": ' + b"9" * 5000 + b"}", b'{"n": 1e999}', b'{"n": NaN}']
HOSTILE_DATETIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-23:59", "9999-12-31"]


def hostile_cases(app):
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = {p.name: "1" for p in operation.path_parameters}
        for body in operation.body:
            if body.media_type == "application/json" or body.media_type.endswith("+json"):
                for raw in HOSTILE_BODIES:
                    yield operation.Case(body=raw, media_type=body.media_type,
                                         path_parameters=path_parameters)
        if operation.method.upper() == "GET":
            for param in operation.query:
                fmt = (param.definition.get("schema") or {}).get("format")
                if param.name in ("from", "to") or fmt == "date-time":
                    for value in HOSTILE_DATETIMES:
                        yield operation.Case(query={param.name: value},
                                             path_parameters=path_parameters)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("service", list(FACTORIES))
def test_hostile_input_gets_a_4xx(apps, service, role):
    failures, tried = [], 0
    for case in hostile_cases(apps[service]):
        tried += 1
        try:
            response = case.call_and_validate(headers=token(role),
                                              checks=[not_a_server_error, content_type_conformance])
            assert 400 <= response.status_code < 500, response.status_code
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report them together
            failures.append(f"{case.operation.label} {case.query or ''}: {_brief(exc)}")
    assert tried
    assert not failures, "\n\n".join(failures)
