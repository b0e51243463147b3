"""/api/v1/operations against a real database (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

from cia_common.web import db

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, REVIEWER, approved_cia,
                                                      authorise, create_operation, example,
                                                      make_app, ok, problem)

pytestmark = pytest.mark.integration


def test_create_read_and_list_operations(client):
    op = create_operation(client)
    assert op["status"] == "planned" and op["authorisation"] is None and op["cia_id"] is None
    assert op["reference"] == "LFR-2026-0042" and op["watchlist_categories"][0] == "wanted_by_courts"
    assert op["created_by"] == {"sub": "planner-1", "name": "Pat Planner"}

    got = ok(client.get(f"/api/v1/operations/{op['id']}", headers=REVIEWER))
    assert got == op

    # Same reference again: 409, with the field named.
    dup = problem(client.post("/api/v1/operations", json=example("operation.json"),
                              headers=PLANNER), 409)
    assert dup["errors"][0]["pointer"] == "/reference"

    create_operation(client, reference="LFR-2026-0043", borough="Hackney",
                     planned_start="2026-07-01T10:00:00+01:00",
                     planned_end="2026-07-01T16:00:00+01:00")
    create_operation(client, reference="LFR-2026-0044", borough="Croydon",
                     planned_start="2026-08-01T10:00:00+01:00",
                     planned_end="2026-08-01T16:00:00+01:00")

    def refs(query="", headers=ADMIN):
        resp = client.get(f"/api/v1/operations{query}", headers=headers)
        return [o["reference"] for o in ok(resp)], resp

    everything, resp = refs()
    assert everything == ["LFR-2026-0044", "LFR-2026-0043", "LFR-2026-0042"]  # latest start first
    assert '"total": 3' in resp.headers["X-Pagination"]
    assert refs("?borough=croydon")[0] == ["LFR-2026-0044", "LFR-2026-0042"]
    assert refs("?from=2026-06-01")[0] == ["LFR-2026-0044", "LFR-2026-0043"]
    assert refs("?from=2026-06-01&to=2026-07-01")[0] == ["LFR-2026-0043"]  # 'to' date inclusive
    assert refs("?to=2026-05-14T08:59:59Z")[0] == []  # 10:00+01:00 is 09:00Z
    assert refs("?to=2026-05-14T09:00:01Z")[0] == ["LFR-2026-0042"]
    page2, resp = refs("?page=2&page_size=2")
    assert page2 == ["LFR-2026-0042"] and '"page": 2' in resp.headers["X-Pagination"]
    authorise(client, op["id"])
    assert refs("?status=authorised", headers=PLANNER)[0] == ["LFR-2026-0042"]


def test_operation_validation_and_not_found(client):
    body = {**example("operation.json"), "reference": "LFR-42"}
    del body["ward"]
    errors = problem(client.post("/api/v1/operations", json=body, headers=PLANNER), 422)["errors"]
    assert {e["pointer"] for e in errors} == {"/reference", "/ward"}
    body = {**example("operation.json"), "planned_end": "2026-05-14T09:00:00+01:00"}
    errors = problem(client.post("/api/v1/operations", json=body, headers=PLANNER), 422)["errors"]
    assert [e["pointer"] for e in errors] == ["/planned_end"]
    assert ok(client.get("/api/v1/operations", headers=PLANNER)) == []  # nothing saved

    problem(client.get("/api/v1/operations/nope", headers=PLANNER), 404)
    problem(client.post("/api/v1/operations/nope/authorisation", json=example("authorisation.json"),
                        headers=PLANNER), 404)
    bad = problem(client.get("/api/v1/operations?status=lost", headers=PLANNER), 422)
    assert bad["errors"][0]["pointer"] == "/status"


def test_operation_roles(client):
    op = create_operation(client)
    for method, path, body in [
        ("get", "/api/v1/operations", None),
        ("get", f"/api/v1/operations/{op['id']}", None),
        ("post", "/api/v1/operations", example("operation.json")),
        ("post", f"/api/v1/operations/{op['id']}/authorisation", example("authorisation.json")),
        ("post", f"/api/v1/operations/{op['id']}/status", {"status": "cancelled"}),
    ]:
        call = getattr(client, method)
        assert problem(call(path, json=body), 401)["title"] == "Unauthorized"
        problem(call(path, json=body, headers=FOI), 403)  # FOI never sees operations
        if method == "post":
            problem(call(path, json=body, headers=REVIEWER), 403)
            problem(call(path, json=body, headers=ADMIN), 403)
        else:
            ok(call(path, headers=REVIEWER))
            ok(call(path, headers=ADMIN))
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["status"] == "planned"


def test_authorisation_needs_the_minimum_rank(client):
    op = create_operation(client)
    low = {**example("authorisation.json"), "officer_rank": "chief_inspector"}
    body = problem(client.post(f"/api/v1/operations/{op['id']}/authorisation", json=low,
                               headers=PLANNER), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/officer_rank"]
    assert "superintendent" in body["errors"][0]["detail"]
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["status"] == "planned"

    done = authorise(client, op["id"])
    assert done["status"] == "authorised"
    assert done["authorisation"]["officer_rank"] == "chief_superintendent"
    assert done["authorisation"]["authority_reference"] == "AUTH-LFR-2026-0042-01"
    assert done["authorisation"]["recorded_by"]["sub"] == "planner-1"
    # Only once.
    problem(client.post(f"/api/v1/operations/{op['id']}/authorisation",
                        json=example("authorisation.json"), headers=PLANNER), 409)


def test_minimum_rank_is_configurable(databases):
    app = make_app(databases.new("authoring"), MIN_AUTHORISING_RANK="commander")
    try:
        client = app.test_client()
        op = create_operation(client)
        body = problem(client.post(f"/api/v1/operations/{op['id']}/authorisation",
                                   json=example("authorisation.json"), headers=PLANNER), 422)
        assert "commander" in body["errors"][0]["detail"]
        ok(client.post(f"/api/v1/operations/{op['id']}/authorisation",
                       json={**example("authorisation.json"), "officer_rank": "assistant_chief_constable"},
                       headers=PLANNER))
    finally:
        db(app).dispose()


def test_status_transitions(app, client):
    def move(op_id, status):
        return client.post(f"/api/v1/operations/{op_id}/status", json={"status": status},
                           headers=PLANNER)

    op = create_operation(client)
    assert "authorisation" in problem(move(op["id"], "authorised"), 409)["detail"]
    problem(move(op["id"], "deployed"), 409)
    authorise(client, op["id"])
    # Not without an approved CIA.
    assert "approved" in problem(move(op["id"], "deployed"), 409)["detail"]
    assert ok(move(op["id"], "cancelled"))["status"] == "cancelled"
    problem(move(op["id"], "planned"), 409)  # cancelled is final
    assert problem(move(op["id"], "lost"), 422)["errors"][0]["pointer"] == "/status"
    problem(move(op["id"], "authorised"), 409)

    op2, _cia = approved_cia(app, client, reference="LFR-2026-0050")
    assert ok(move(op2["id"], "deployed"))["status"] == "deployed"
    problem(move(op2["id"], "cancelled"), 409)
    assert ok(move(op2["id"], "completed"))["status"] == "completed"
    problem(move(op2["id"], "deployed"), 409)
