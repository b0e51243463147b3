"""The post-deployment review (content section 13): carried by an amendment after
the deployment, its cross-field rules enforced on PATCH and submit with JSON
pointers, and its approval completing the operation (SQLite and PostgreSQL)."""
from __future__ import annotations

import copy

import pytest

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, PLANNER, PLANNER2, approved_cia,
                                                      authorise, content_for, create_cia,
                                                      create_operation, deliver, example, get_cia,
                                                      ok, outbox_events, problem,
                                                      review_completed, submit)

pytestmark = pytest.mark.integration

PDR = "/content/post_deployment_review"


def _patch(client, cia_id, content, etag):
    return client.patch(f"/api/v1/cias/{cia_id}", json={"content": content},
                        headers={**PLANNER2, "If-Match": etag})


def _status(client, op_id, status):
    return client.post(f"/api/v1/operations/{op_id}/status", json={"status": status},
                       headers=PLANNER)


def _pointers(body) -> dict:
    return {e["pointer"]: e["detail"] for e in body["errors"]}


def test_cross_field_rules_are_enforced_on_patch_with_pointers(app, client):
    _op, v1 = approved_cia(app, client)
    v2 = ok(client.post(f"/api/v1/cias/{v1['id']}/amendments",
                        json={"reason": "Post-deployment review"}, headers=PLANNER2), 201)
    good = example("post-deployment-review.json")

    def broken(change):
        pdr = copy.deepcopy(good)
        change(pdr)
        return problem(_patch(client, v1["id"], {"post_deployment_review": pdr}, v2["etag"]), 422)

    def total(p):
        p["total_alerts"] = 10  # 7 true + 2 false = 9

    body = broken(total)
    assert _pointers(body) == {f"{PDR}/total_alerts": "True alerts (7) + false alerts (2) must "
                                                      "equal total alerts (10)."}
    assert "nothing was saved" in body["detail"]

    def ic_sums(p):
        p["ic_breakdown"][0]["true_alerts"] = 3  # per-IC true alerts: 8, not 7
        p["ic_breakdown"][0]["true_alert_engagements"] = 3

    assert "True alerts per IC code add up to 8" in _pointers(broken(ic_sums))[f"{PDR}/ic_breakdown"]

    def engagements(p):
        p["ic_breakdown"][2]["true_alert_engagements"] = 4  # IC3 has 3 true alerts

    assert _pointers(broken(engagements)) == {
        f"{PDR}/ic_breakdown/2/true_alert_engagements": "Engagements (4) cannot exceed true "
                                                        "alerts (3)."}

    def end_first(p):
        p["actual_end"] = "2026-05-14T09:00:00+01:00"
        del p["duration_minutes"]

    assert _pointers(broken(end_first)) == {f"{PDR}/actual_end":
                                            "Actual end must be after actual start."}

    def derived(p):
        p["false_alert_rate"] = 0.5  # derived, never input

    assert f"{PDR}/false_alert_rate" in _pointers(broken(derived))

    # Nothing of it was saved: same ETag, no post-deployment review.
    now = get_cia(client, v1["id"])
    assert now["etag"] == v2["etag"] and "post_deployment_review" not in now["content"]


def test_an_amendment_after_deployment_completes_the_operation(app, client):
    op, v1 = approved_cia(app, client)
    cia_id = v1["id"]
    base = f"/api/v1/cias/{cia_id}"
    v2 = ok(client.post(f"{base}/amendments", json={"reason": "Post-deployment review"},
                        headers=PLANNER2), 201)
    # A draft may hold an incomplete outcome record...
    partial = {k: v for k, v in example("post-deployment-review.json").items() if k != "arrests"}
    v2 = ok(_patch(client, cia_id, {"post_deployment_review": partial}, v2["etag"]))

    # ...but it goes to review only after the deployment...
    body = problem(client.post(f"{base}/submit", headers=PLANNER), 409)
    assert "LFR-2026-0042 is authorised" in body["detail"]
    assert body["errors"][0]["pointer"] == PDR
    assert ok(_status(client, op["id"], "deployed"))["status"] == "deployed"

    # ...and complete.
    body = problem(client.post(f"{base}/submit", headers=PLANNER), 422)
    assert [e["pointer"] for e in body["errors"]] == [f"{PDR}/arrests"]
    v2 = ok(_patch(client, cia_id, {"post_deployment_review": {"arrests": 4}}, v2["etag"]))
    assert get_cia(client, cia_id)["status"] == "draft"
    assert submit(client, cia_id)["status"] == "submitted"
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["status"] == "deployed"

    assert deliver(app, review_completed(cia_id, 2, "approved"))
    versions = ok(client.get(f"{base}/versions", headers=ADMIN))
    assert [(v["version"], v["status"]) for v in versions] == [(1, "superseded"), (2, "approved")]
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["status"] == "completed"
    [event] = outbox_events(app, "operation.completed")
    assert event["_key"] == cia_id
    assert event["data"] == {"operation_id": op["id"], "operation_reference": "LFR-2026-0042",
                             "cia_id": cia_id, "version": 2}
    audit = ok(client.get(f"{base}/audit", headers=ADMIN))
    assert audit["chain_valid"] is True
    done = audit["entries"][-1]
    assert (done["action"], done["version"], done["actor"]["sub"]) == ("operation.completed", 2,
                                                                       "system")
    assert done["detail"]["from"] == "deployed" and done["content_sha256"] == versions[1]["content_hash"]
    problem(_status(client, op["id"], "deployed"), 409)  # completed is final

    # A correction of the outcome record is another amendment; the operation stays completed.
    v3 = ok(client.post(f"{base}/amendments", json={"reason": "Corrected complaints"},
                        headers=PLANNER), 201)
    ok(_patch(client, cia_id, {"post_deployment_review": {"complaints_received": 2}}, v3["etag"]))
    submit(client, cia_id)
    deliver(app, review_completed(cia_id, 3, "approved"))
    assert ok(client.get(f"/api/v1/operations/{op['id']}", headers=PLANNER))["status"] == "completed"
    assert len(outbox_events(app, "operation.completed")) == 1


def test_a_first_version_cannot_carry_the_outcome_record(client):
    op = create_operation(client)
    authorise(client, op["id"])
    content = content_for(op["reference"])
    content["post_deployment_review"] = example("post-deployment-review.json")
    cia = create_cia(client, op["id"], content=content)  # a draft may hold anything valid
    body = problem(client.post(f"/api/v1/cias/{cia['id']}/submit", headers=PLANNER), 409)
    assert "amendment" in body["detail"] and body["errors"][0]["pointer"] == PDR
    assert get_cia(client, cia["id"])["status"] == "draft"
    assert outbox_events(client.application, "cia.submitted") == []
