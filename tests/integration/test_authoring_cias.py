"""/api/v1/cias: create, read, list, merge-patch with If-Match, submit — on SQLite
and PostgreSQL."""
from __future__ import annotations

import threading

import pytest

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, PLANNER2, REVIEWER,
                                                      authorise, content_for, create_cia,
                                                      create_operation, get_cia, ok,
                                                      outbox_events, problem, submit)

pytestmark = pytest.mark.integration

PARTIAL = {"header": {"operation_reference": "LFR-2026-0042", "title": "Draft CIA",
                      "protective_marking": "OFFICIAL"},
           "deployment": {"use_case": "crime_hotspot", "camera_positions": ["north"]}}


def _patch(client, cia_id, content, etag=None, headers=PLANNER, **kw):
    hdrs = dict(headers)
    if etag is not None:
        hdrs["If-Match"] = etag
    return client.patch(f"/api/v1/cias/{cia_id}", json={"content": content}, headers=hdrs, **kw)


def test_create_a_draft_cia(client):
    op = create_operation(client)
    resp = client.post("/api/v1/cias", json={"operation_id": op["id"], "content": PARTIAL},
                       headers=PLANNER)
    cia = ok(resp, 201)
    assert (cia["operation_id"], cia["version"], cia["status"]) == (op["id"], 1, "draft")
    assert cia["content"] == PARTIAL and cia["operation_reference"] == "LFR-2026-0042"
    assert cia["author"] == cia["last_editor"] == {"sub": "planner-1", "name": "Pat Planner"}
    assert cia["created_at"] and cia["updated_at"] and len(cia["content_hash"]) == 64
    assert resp.headers["ETag"] == cia["etag"] and resp.headers["Location"].endswith(cia["id"])
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["cia_id"] == cia["id"]

    got = client.get(f"/api/v1/cias/{cia['id']}", headers=REVIEWER)
    assert ok(got) == cia and got.headers["ETag"] == cia["etag"]
    same = client.get(f"/api/v1/cias/{cia['id']}", headers={**REVIEWER, "If-None-Match": cia["etag"]})
    assert same.status_code == 304 and same.headers["ETag"] == cia["etag"] and not same.data
    other = client.get(f"/api/v1/cias/{cia['id']}/versions/1",
                       headers={**REVIEWER, "If-None-Match": '"something-else"'})
    assert ok(other) == cia

    # One CIA per operation.
    body = problem(client.post("/api/v1/cias", json={"operation_id": op["id"], "content": {}},
                               headers=PLANNER), 409)
    assert body["cia_id"] == cia["id"]

    [created] = outbox_events(client.application, "cia.created")
    assert created["data"] == {"cia_id": cia["id"], "version": 1,
                               "operation_reference": "LFR-2026-0042"}
    assert created["_key"] == cia["id"] and created["_topic"] == "cia.authoring.events"


def test_invalid_content_is_refused_field_by_field_and_nothing_saved(client):
    op = create_operation(client)
    bad = {"header": {"operation_reference": "LFR-2026-9999", "protective_marking": "SECRET"},
           "deployment": {"start": "2026-05-14T10:00:00", "camera_positions": "north"},
           "engagement_log": [{"date": "2026-04-22", "body": "pub"}],
           "surprise": 1}
    body = problem(client.post("/api/v1/cias", json={"operation_id": op["id"], "content": bad},
                               headers=PLANNER), 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/content/header/protective_marking", "/content/header/operation_reference",
            "/content/deployment/start", "/content/deployment/camera_positions",
            "/content/engagement_log/0/body", "/content/surprise"} <= pointers
    assert all(e["detail"] for e in body["errors"])
    assert ok(client.get("/api/v1/cias", headers=PLANNER)) == []

    missing = problem(client.post("/api/v1/cias", json={"operation_id": "nope", "content": {}},
                                  headers=PLANNER), 422)
    assert missing["errors"][0]["pointer"] == "/operation_id"
    shape = problem(client.post("/api/v1/cias", json={"operation_id": op["id"], "content": [1]},
                                headers=PLANNER), 422)
    assert shape["errors"][0]["pointer"] == "/content"
    assert problem(client.post("/api/v1/cias", json={"content": {}}, headers=PLANNER),
                   422)["errors"][0]["pointer"] == "/operation_id"
    assert outbox_events(client.application) == []
    problem(client.get("/api/v1/cias/nope", headers=PLANNER), 404)


@pytest.mark.backends("sqlite", "postgresql")  # pagination differs by backend
def test_list_cias_with_filters_and_pages(client):
    ids = {}
    for n, borough in [(42, "Croydon"), (43, "Hackney"), (44, "Croydon")]:
        ref = f"LFR-2026-00{n}"
        op = create_operation(client, reference=ref, borough=borough)
        ids[ref] = create_cia(client, op["id"], content={"header": {"operation_reference": ref}})
    authorise_ref = "LFR-2026-0043"
    ok(client.patch(f"/api/v1/cias/{ids[authorise_ref]['id']}",
                    json={"content": content_for(authorise_ref)},
                    headers={**PLANNER, "If-Match": ids[authorise_ref]["etag"]}))
    submit(client, ids[authorise_ref]["id"])

    def refs(query=""):
        resp = client.get(f"/api/v1/cias{query}", headers=ADMIN)
        return sorted(c["operation_reference"] for c in ok(resp)), resp

    assert refs()[0] == ["LFR-2026-0042", "LFR-2026-0043", "LFR-2026-0044"]
    assert refs("?status=submitted")[0] == ["LFR-2026-0043"]
    assert refs("?status=draft&borough=CROYDON")[0] == ["LFR-2026-0042", "LFR-2026-0044"]
    assert refs(f"?operation_id={ids['LFR-2026-0044']['operation_id']}")[0] == ["LFR-2026-0044"]
    page, resp = refs("?page_size=2&page=2")
    assert len(page) == 1 and '"total": 3' in resp.headers["X-Pagination"]
    problem(client.get("/api/v1/cias?status=lost", headers=ADMIN), 422)


def test_merge_patch_needs_a_current_etag(client):
    op = create_operation(client)
    cia = create_cia(client, op["id"], content=PARTIAL)

    assert problem(_patch(client, cia["id"], {"header": {"title": "New"}}), 428)["title"] == \
        "Precondition Required"
    stale = '"%s.v1.r0"' % cia["id"]
    body = problem(_patch(client, cia["id"], {"header": {"title": "New"}}, stale), 412)
    assert body["current_etag"] == cia["etag"]
    problem(_patch(client, cia["id"], {"header": {"title": "New"}}, "W/" + cia["etag"]), 412)

    # RFC 7396: objects merge, null removes, arrays replace.
    resp = _patch(client, cia["id"], {"header": {"title": "New", "protective_marking": None},
                                      "deployment": {"camera_positions": ["south", "east"]},
                                      "risks": []},
                  cia["etag"], headers=PLANNER2, content_type="application/merge-patch+json")
    edited = ok(resp)
    assert edited["content"]["header"] == {"operation_reference": "LFR-2026-0042", "title": "New"}
    assert edited["content"]["deployment"] == {"use_case": "crime_hotspot",
                                               "camera_positions": ["south", "east"]}
    assert edited["content"]["risks"] == []
    assert edited["last_editor"] == {"sub": "planner-2", "name": "Sam Second"}
    assert edited["author"]["sub"] == "planner-1"
    assert resp.headers["ETag"] == edited["etag"] != cia["etag"]
    assert edited["content_hash"] != cia["content_hash"]

    # The old ETag is now stale; nothing else changed.
    problem(_patch(client, cia["id"], {"header": {"title": "Lost update"}}, cia["etag"]), 412)
    assert get_cia(client, cia["id"])["content"]["header"]["title"] == "New"

    # A patch that changes nothing keeps the ETag and records nothing.
    same = ok(_patch(client, cia["id"], {"header": {"title": "New"}}, edited["etag"]))
    assert same["etag"] == edited["etag"]
    assert len(outbox_events(client.application, "cia.updated")) == 1

    # Invalid values: 422 by pointer, nothing saved.
    body = problem(_patch(client, cia["id"], {"deployment": {"use_case": "fishing"}},
                          edited["etag"]), 422)
    assert [e["pointer"] for e in body["errors"]] == ["/content/deployment/use_case"]
    assert get_cia(client, cia["id"])["etag"] == edited["etag"]
    # Only content is writable.
    body = problem(client.patch(f"/api/v1/cias/{cia['id']}", json={"status": "approved"},
                                headers={**PLANNER, "If-Match": edited["etag"]}), 422)
    assert {e["pointer"] for e in body["errors"]} == {"/status", "/content"}
    problem(_patch(client, "nope", {}, edited["etag"]), 404)


@pytest.mark.backends("sqlite", "postgresql")  # concurrency differs by backend
def test_concurrent_patches_with_the_same_etag_one_wins(app):
    client = app.test_client()
    op = create_operation(client)
    cia = create_cia(client, op["id"], content=PARTIAL)
    barrier = threading.Barrier(2)
    results = {}

    def writer(name):
        c = app.test_client()
        barrier.wait()
        results[name] = _patch(c, cia["id"], {"header": {"title": f"By {name}"}}, cia["etag"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 412], {k: r.get_data(as_text=True) for k, r in results.items()}
    winner = next(n for n, r in results.items() if r.status_code == 200)
    final = get_cia(client, cia["id"])
    assert final["content"]["header"]["title"] == f"By {winner}"
    assert final["revision"] == 2
    assert len(outbox_events(app, "cia.updated")) == 1


def test_submit_validates_everything_a_reviewer_needs(client):
    op = create_operation(client)
    cia = create_cia(client, op["id"], content=PARTIAL)
    body = problem(client.post(f"/api/v1/cias/{cia['id']}/submit", headers=PLANNER), 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert {"/content/legal_basis", "/content/sign_off", "/content/engagement_log",
            "/content/deployment/site_description", "/content/deployment/start"} <= pointers
    assert "/content/post_deployment_review" not in pointers  # after deployment only
    assert get_cia(client, cia["id"])["status"] == "draft"
    assert outbox_events(client.application, "cia.submitted") == []

    full = content_for("LFR-2026-0042")
    edited = ok(_patch(client, cia["id"], full, cia["etag"], headers=PLANNER2))
    # If-Match is optional on submit, but checked when given.
    problem(client.post(f"/api/v1/cias/{cia['id']}/submit", json={},
                        headers={**PLANNER, "If-Match": cia["etag"]}), 412)
    resp = client.post(f"/api/v1/cias/{cia['id']}/submit",
                       json={"requested_reviewers": ["reviewer-1", "reviewer-2", "reviewer-1"]},
                       headers={**PLANNER, "If-Match": edited["etag"]})
    done = ok(resp)
    assert done["status"] == "submitted" and done["submitted_by"]["sub"] == "planner-1"
    assert done["requested_reviewers"] == ["reviewer-1", "reviewer-2"]
    assert done["etag"] != edited["etag"]

    [event] = outbox_events(client.application, "cia.submitted")
    assert event["type"] == "cia.submitted" and event["subject"] == cia["id"]
    assert event["_key"] == cia["id"]
    assert event["data"] == {
        "cia_id": cia["id"], "version": 1, "operation_id": op["id"],
        "operation_reference": "LFR-2026-0042", "operation_name": op["name"],
        "title": full["header"]["title"], "borough": "Croydon", "use_case": "crime_hotspot",
        "planned_start": "2026-05-14T09:00:00Z", "planned_end": "2026-05-14T17:00:00Z",
        "ward": op["ward"], "location_name": op["location_name"],
        "author": {"sub": "planner-1", "name": "Pat Planner"},
        "last_editor": {"sub": "planner-2", "name": "Sam Second"},
        "submitted_by": {"sub": "planner-1", "name": "Pat Planner"},
        "requested_reviewers": ["reviewer-1", "reviewer-2"],
        "content_hash": done["content_hash"],
        "content": edited["content"],  # the reviewer's action page shows it
    }

    # Under review: neither editable nor submittable again.
    problem(_patch(client, cia["id"], {"header": {"title": "x"}}, done["etag"]), 409)
    problem(client.post(f"/api/v1/cias/{cia['id']}/submit", headers=PLANNER), 409)
    # Nothing to amend yet.
    problem(client.post(f"/api/v1/cias/{cia['id']}/amendments", json={"reason": "r"},
                        headers=PLANNER), 409)


def test_cia_roles(client):
    op = create_operation(client)
    authorise(client, op["id"])
    cia = create_cia(client, op["id"], content=PARTIAL)
    base = f"/api/v1/cias/{cia['id']}"
    reads = ["/api/v1/cias", base, f"{base}/versions", f"{base}/versions/1",
             f"{base}/versions/1/diff?against=1", f"{base}/versions/1/document", f"{base}/audit"]
    writes = [("post", "/api/v1/cias", {"operation_id": op["id"], "content": {}}),
              ("patch", base, {"content": {}}), ("post", f"{base}/submit", {}),
              ("post", f"{base}/amendments", {"reason": "r"})]
    for path in reads:
        problem(client.get(path), 401)
        problem(client.get(path, headers=FOI), 403)  # never unredacted content for FOI
        assert client.get(path, headers=REVIEWER).status_code == 200, path
        assert client.get(path, headers=ADMIN).status_code == 200, path
    for method, path, body in writes:
        call = getattr(client, method)
        headers = {"If-Match": cia["etag"]}
        problem(call(path, json=body, headers=headers), 401)
        for who in (FOI, REVIEWER, ADMIN):
            problem(call(path, json=body, headers={**who, **headers}), 403)
    assert get_cia(client, cia["id"])["etag"] == cia["etag"]
