"""Schemathesis against each service's own OpenAPI, in-process. Every operation is
called, with valid and invalid inputs, by each role allowed to call it (a valid
token; public operations without one), and by one role it refuses, which must get
403 whatever it sends. No request gets a 5xx, and every answer conforms to what
the OpenAPI documents (status, content type, headers, body).

Bounded to fit CI: a few random examples per operation, role and mode (a 25th of
the Hypothesis profile's ``max_examples``: 8 in the suite, 80 with
``--hypothesis-profile=thorough``; ``CIA_FUZZ_EXAMPLES`` overrides), no deadline,
no shrinking (a failure names the request as a curl command). Runs on PostgreSQL
when the run has it (the production database, stricter about types and ranges),
else on SQLite.
"""
from __future__ import annotations

import os
import sys
import zlib
from urllib.parse import unquote

import pytest
import schemathesis
from hypothesis import Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)
from werkzeug.exceptions import HTTPException

from cia_authoring.app import create_app as authoring_app
from cia_common.auth import Principal, mint_token
from cia_common.config import LOCAL_JWT_SECRET
from cia_common.web import db
from cia_notifier.app import create_app as notifier_app
from cia_review.app import create_app as review_app
from tests.conftest import PG_URL, DatabaseFactory

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("CIA_FUZZ_EXAMPLES") or max(1, settings.default.max_examples // 25))
ROLES = ("planner", "reviewer", "foi", "admin")
ANONYMOUS = "anonymous"  # the caller of the public operations
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


def allowed_roles(app, operation) -> tuple[str, ...] | None:
    """The roles the operation's view lets in (as ``require_roles`` records them on
    it), None for a public operation."""
    path = operation.path.format(**{p.name: "1" for p in operation.path_parameters})
    endpoint, _ = app.url_map.bind("localhost").match(path, method=operation.method.upper())
    roles = getattr(app.view_functions[endpoint], "_cia_roles", None)
    documented = operation.definition.raw.get("x-roles")
    # Where the OpenAPI names the roles, it names the ones enforced.
    assert documented is None or tuple(documented) == roles, (operation.label, documented, roles)
    return roles


def refused_role(operation, allowed: tuple[str, ...]) -> str | None:
    """One role the operation refuses, the same in every test and every run (picked
    by the operation's label, so the roles refused are spread over the operations)."""
    refused = [r for r in ROLES if r not in allowed]
    return refused[zlib.crc32(operation.label.encode()) % len(refused)] if refused else None


def nothing_to_negate(operation) -> bool:
    """Whether no input of the operation can be invalid: public (no Authorization to
    spoil), no body, no query, header or cookie parameter, and every path parameter
    any non-empty string (the empty one, the only string outside ``minLength: 1``,
    cannot be put in a path). Hypothesis cannot draw an invalid request for it (every
    draw is filtered out), so it gets valid inputs only; any other operation that
    cannot be negated fails the test (``Unsatisfiable`` or a failed health check)."""
    raw = operation.definition.raw
    params = list(operation.path_parameters) + list(operation.query) + list(operation.headers) \
        + list(operation.cookies)
    return (raw.get("security") == [] and not list(operation.body)
            and len(params) == len(list(operation.path_parameters))
            and all(_any_string(p.definition.get("schema") or {})
                    for p in operation.path_parameters))


def _any_string(schema: dict) -> bool:
    rest = {k: v for k, v in schema.items() if k != "minLength"}
    return rest == {"type": "string"} and schema.get("minLength", 0) <= 1


def routed(app, case) -> bool:
    """Whether the request ``case`` makes matches a route of ``app`` (method included)."""
    try:
        app.url_map.bind("localhost").match(unquote(case.formatted_path),
                                            method=case.method.upper())
    except HTTPException:
        return False
    return True


def fuzz(app, role: str, only: set[str] | None = None) -> tuple[list[str], int]:
    """The operations ``role`` may call, valid and invalid inputs, and those it is
    the refused role of, valid inputs (refused before any input is read); the
    failures as text, and how many operations were exercised. ``only``: these
    operations' labels alone."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    failures: list[str] = []
    exercised = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if only is not None and operation.label not in only:
            continue
        allowed = allowed_roles(app, operation)
        if allowed is None:
            if role != ANONYMOUS:
                continue
            headers, refused = {}, False
        elif role in allowed:
            headers, refused = token(role), False
        elif role == refused_role(operation, allowed):
            headers, refused = token(role), True
        else:
            continue
        exercised += 1
        modes = [GenerationMode.POSITIVE]
        if not refused and not nothing_to_negate(operation):
            modes.append(GenerationMode.NEGATIVE)
        for mode in modes:
            statuses: list[int] = []

            @given(case=operation.as_strategy(generation_mode=mode))
            @_SETTINGS
            def run(case):
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                statuses.append(response.status_code)
                if refused:
                    # Refused before anything else, unless no route takes the path at all.
                    assert response.status_code == 403 or not routed(app, case), (
                        f"{role} was not refused: {response.status_code}\n"
                        f"{case.as_curl_command(headers=headers, base_url='http://localhost')}")

            # Each operation, mode and role has its own entries in the example
            # database (as schemathesis's own runner keys them), not one shared by
            # every ``run``.
            run.hypothesis.inner_test._hypothesis_internal_add_digest = (
                f"{operation.label} {mode.value} {role}".encode())
            try:
                run()
                if refused and 403 not in statuses:
                    raise AssertionError(f"never refused with 403: {sorted(set(statuses))}")
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report them together
                failures.append(f"{operation.label} [{mode.value}] as {role}: {_brief(exc)}")
    return failures, exercised


def _brief(exc: BaseException) -> str:
    """The check's own words and the reproducing curl, without the schema dumps, and
    what Hypothesis noted to replay the example (its ``@reproduce_failure`` blob)."""
    parts = [exc, *getattr(exc, "exceptions", ())]
    lines = []
    for part in parts:
        text = str(part)
        lines.append(text.split("\n\nSchema:")[0][:600])
        lines += [line for line in text.splitlines() if line.strip().startswith("curl ")][:1]
        lines += [note for note in getattr(part, "__notes__", ()) if "reproduce" in note]
    return "\n".join(dict.fromkeys(lines))


# Random inputs (the profile's derandomize=False), no health check suppressed; no
# shrinking, to stay within CI's time (the failure's curl command reproduces it).
_SETTINGS = settings(max_examples=MAX_EXAMPLES, deadline=None,
                     phases=[Phase.explicit, Phase.reuse, Phase.generate])


@pytest.mark.parametrize("role", [*ROLES, ANONYMOUS])
@pytest.mark.parametrize("service", list(FACTORIES))
def test_fuzz(apps, service, role):
    failures, exercised = fuzz(apps[service], role)
    assert not failures, "\n\n".join(failures)
    # Every role is allowed or refused somewhere in each service, and the review
    # service has public operations (the public log is a process of its own).
    assert exercised or (role == ANONYMOUS and service in ("authoring", "notifier"))


def test_the_fuzzing_explores_and_hides_no_health_check():
    assert MAX_EXAMPLES >= 1 and not _SETTINGS.derandomize
    assert list(_SETTINGS.suppress_health_check) == []


# Positive controls: what test_fuzz asserts absent, it does see when it is there.
SUBSCRIPTION = "DELETE /api/v1/subscriptions/{sub_id}"


def test_control_a_role_let_in_where_it_is_refused_is_reported(apps, monkeypatch):
    app = apps["notifier"]
    [operation] = [r.ok() for r in schemathesis.openapi.from_wsgi("/openapi.json", app)
                   .get_all_operations() if r.ok().label == SUBSCRIPTION]
    role = refused_role(operation, allowed_roles(app, operation))
    assert fuzz(app, role, only={SUBSCRIPTION}) == ([], 1)
    monkeypatch.setattr(Principal, "has_any", lambda self, roles: True)  # no role refused
    failures, exercised = fuzz(app, role, only={SUBSCRIPTION})
    assert exercised == 1 and len(failures) == 1
    assert f"as {role}" in failures[0] and "refused" in failures[0], failures


def test_control_an_operation_that_cannot_be_negated_is_reported(apps, monkeypatch):
    action_page = "GET /review/actions/{token}"
    assert fuzz(apps["review"], ANONYMOUS, only={action_page}) == ([], 1)
    # Claimed negatable: Hypothesis finds no invalid input, and that is a failure.
    monkeypatch.setattr(sys.modules[__name__], "nothing_to_negate", lambda operation: False)
    failures, _ = fuzz(apps["review"], ANONYMOUS, only={action_page})
    assert [f.split(":")[0] for f in failures] == [f"{action_page} [negative] as {ANONYMOUS}"]


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
