"""Hostile input from an authenticated client gets a 4xx problem, never a 500, on
every JSON endpoint of the three services: JSON nested thousands of levels deep,
integers of thousands of digits, non-finite numbers, date-times at the ends of
the calendar; and ``If-Match: *`` does not pass for a specific ETag."""
from __future__ import annotations

import base64
import json
import re

import pytest

from cia_authoring.app import create_app as authoring_app
from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET
from cia_common.web import db
from cia_notifier.app import create_app as notifier_app
from cia_review.app import create_app as review_app
from tests.support import signed_webhook_headers

pytestmark = pytest.mark.integration

INBOUND_SECRET = "whsec_" + base64.b64encode(b"hostile-input-integration-key!!").decode()
EVERY_ROLE = {"Authorization": "Bearer " + mint_token(
    LOCAL_JWT_SECRET, sub="reviewer-1", name="All Roles",
    roles=["planner", "reviewer", "foi", "admin"])}
FACTORIES = {"authoring": authoring_app, "review": review_app, "notifier": notifier_app}

DEEP = "[" * 3000 + "]" * 3000
DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
HUGE_INT = "9" * 5000
# Each body, and the statuses it may get; the problem must say what is wrong.
BODIES = {
    "nested 3,000 deep": (DEEP, {400}, "nested"),
    "object nested 3,000 deep": (DEEP_OBJECT, {400}, "nested"),
    "5,000-digit integer": ('{"reviewers": [%s], "n": %s}' % (HUGE_INT, HUGE_INT), {422}, "range"),
    "integer beyond 64 bits": ('{"n": 18446744073709551616}', {422}, "range"),
    "1e999": ('{"n": 1e999}', {422}, "range"),
    "NaN": ('{"n": NaN}', {422}, "NaN"),
}
LIMITS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
]


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    from tests.conftest import PG_URL, DatabaseFactory
    factory = DatabaseFactory("postgresql" if PG_URL else "sqlite",
                              tmp_path_factory.mktemp("hostile"))
    built = {name: make({"DATABASE_URL": factory.new(f"hostile_{name}"), "TESTING": True,
                         "RATE_LIMIT": "0", "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
                         "INBOUND_SECRETS": json.dumps({"tooling": INBOUND_SECRET})})
             for name, make in FACTORIES.items()}
    yield built
    for app in built.values():
        db(app).dispose()
    factory.cleanup()


def json_operations(app) -> list[tuple[str, str]]:
    """(method, path) of every operation that takes a JSON body, ids filled with nonsense."""
    spec = app.test_client().get("/openapi.json").get_json()
    out = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            content = (op.get("requestBody") or {}).get("content") or {}
            if any(t == "application/json" or t.endswith("+json") for t in content):
                numbers = {p["name"] for p in (item.get("parameters") or []) + (op.get("parameters") or [])
                           if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"}
                filled = re.sub(r"\{([^}]+)\}",
                                lambda m: "1" if m.group(1) in numbers else "no-such-id", path)
                out.append((method.upper(), filled, next(t for t in content if t.endswith("json"))))
    assert out
    return out


def datetime_query_parameters(app) -> list[tuple[str, str]]:
    """(path, parameter) of every GET parameter that takes a date-time."""
    spec = app.test_client().get("/openapi.json").get_json()
    out = []
    for path, item in spec["paths"].items():
        for param in (item.get("get") or {}).get("parameters") or []:
            if param.get("in") == "query" and (param["name"] in ("from", "to") or
                                               param.get("schema", {}).get("format") == "date-time"):
                out.append((path, param["name"]))
    return out


def send(client, method, path, content_type, body: str):
    headers = {**EVERY_ROLE, "Content-Type": content_type, "If-Match": '"x"'}
    if path == "/api/v1/inbound/decisions":
        headers.update(signed_webhook_headers(INBOUND_SECRET, f"msg_{hash(body)}", body))
    return client.open(path, method=method, data=body, headers=headers)


@pytest.mark.parametrize("service", sorted(FACTORIES))
@pytest.mark.parametrize("case", sorted(BODIES))
def test_hostile_bodies_get_a_problem_on_every_json_endpoint(apps, service, case):
    app = apps[service]
    client = app.test_client()
    body, statuses, word = BODIES[case]
    wrong = []
    for method, path, content_type in json_operations(app):
        resp = send(client, method, path, content_type, body)
        problem = resp.get_json(silent=True) or {}
        if resp.status_code not in statuses or resp.mimetype != "application/problem+json" \
                or word.lower() not in json.dumps(problem).lower():
            wrong.append(f"{method} {path}: {resp.status_code} {resp.get_data(as_text=True)[:160]}")
    assert wrong == []


def test_out_of_range_numbers_are_named_by_pointer(apps):
    client = apps["review"].test_client()
    resp = send(client, "POST", "/api/v1/reviews/no-such-id/reassign", "application/json",
                '{"reviewers": ["reviewer-1"], "reason": "x", "n": [1, %s]}' % HUGE_INT)
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == [
        {"pointer": "/n/1", "detail": "The integer is out of range (64-bit at most)."}]


@pytest.mark.parametrize("value", LIMITS)
def test_date_time_bounds_get_422_on_every_query(apps, value):
    wrong, tried = [], 0
    for service, app in apps.items():
        client = app.test_client()
        for path, name in datetime_query_parameters(app):
            tried += 1
            resp = client.get(path, query_string={name: value}, headers=EVERY_ROLE)
            errors = (resp.get_json(silent=True) or {}).get("errors") or []
            if resp.status_code != 422 or not any(e.get("pointer") == f"/{name}" for e in errors):
                wrong.append(f"{service} {path}?{name}={value}: {resp.status_code} "
                             f"{resp.get_data(as_text=True)[:160]}")
    assert tried >= 4  # list, bundle and statistics filters
    assert wrong == []


def test_date_times_in_bodies_are_bounded_too(apps):
    client = apps["authoring"].test_client()
    for value in LIMITS[:2]:
        resp = client.post("/api/v1/operations", headers=EVERY_ROLE,
                           json={"planned_start": value, "planned_end": value})
        assert resp.status_code == 422, resp.get_data(as_text=True)
        pointers = {e["pointer"] for e in resp.get_json()["errors"]}
        assert "/planned_start" in pointers


def test_if_match_star_is_not_an_etag(apps):
    client = apps["authoring"].test_client()
    resp = client.patch("/api/v1/cias/no-such-id", data='{"content": {}}',
                        headers={**EVERY_ROLE, "If-Match": "*",
                                 "Content-Type": "application/merge-patch+json"})
    assert resp.status_code == 428 and "*" in resp.get_json()["detail"]
