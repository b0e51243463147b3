"""The signed one-time action links and the HTML page behind them, on both backends."""
from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from cia_common.auth import mint_token
from cia_common.events import utcnow
from cia_common.tables import outbox
from cia_common.web import db
from cia_review.actions import tokens
from cia_review.actions.models import ActionToken
from cia_review.app import create_app
from cia_review.reviews.models import Review
from cia_review.settings import review_settings
from tests.review_events import deliver, submitted_event

pytestmark = pytest.mark.integration


@pytest.fixture
def app(databases):
    app = create_app({"DATABASE_URL": databases.new("review"), "REVIEW_URL": "http://review.test"})
    yield app
    db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def emitted(app, event_type) -> list[dict]:
    with db(app).engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.payload).where(outbox.c.event_type == event_type)
                            .order_by(outbox.c.seq)).scalars().all()
    return [json.loads(p)["data"] for p in rows]


def open_with_links(app, **data) -> tuple[str, dict[str, str]]:
    """Open a review; return its id and {sub: path of the action link}."""
    deliver(db(app), app.config, submitted_event(**data))
    requested = emitted(app, "review.requested")[-1]
    return requested["review_id"], {sub: url.replace("http://review.test", "")
                                    for sub, url in requested["action_links"].items()}


def form_fields(page: str) -> dict:
    return {name: value for name, value in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page)}


def post(client, path, decision, comment="", fields=None):
    page = client.get(path)
    data = dict(fields if fields is not None else form_fields(page.get_data(as_text=True)))
    data.update(decision=decision, comment=comment)
    return client.post(path, data=data)


def assert_html(resp, status, *words):
    text = resp.get_data(as_text=True)
    assert resp.status_code == status, text
    assert resp.mimetype == "text/html"
    assert "Traceback" not in text
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    for word in words:
        assert word in text, text
    return text


def review_state(client, app, review_id):
    token = mint_token(app.config["JWT_SECRET"], sub="admin-1", name="A", roles=["admin"])
    return client.get(f"/api/v1/reviews/{review_id}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()


def test_page_summarises_the_cia_and_opening_it_does_not_spend_the_link(app, client):
    _rid, links = open_with_links(app, requested_reviewers=["reviewer-1"],
                                  title="Oxford <script>alert(1)</script> Street")
    page = assert_html(client.get(links["reviewer-1"]), 200, "LFR-2026-0042", "Westminster",
                       "Approve", "Request changes", "reviewer-1")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert set(form_fields(page)) == {"nonce", "csrf"}
    assert_html(client.get(links["reviewer-1"]), 200, "Approve")


def test_approve_through_the_link_then_the_link_is_spent(app, client):
    review_id, links = open_with_links(app, requested_reviewers=["reviewer-1"])
    resp = post(client, links["reviewer-1"], "approve")
    assert_html(resp, 200, "Decision recorded", "approved")
    body = review_state(client, app, review_id)
    assert body["state"] == "approved"
    assert body["decisions"][0]["channel"] == "link"
    assert body["decisions"][0]["reviewer"]["sub"] == "reviewer-1"
    [completed] = emitted(app, "review.completed")
    assert completed["outcome"] == "approved" and completed["decided_by"]["sub"] == "reviewer-1"
    assert_html(client.get(links["reviewer-1"]), 410, "already been used")
    assert_html(client.post(links["reviewer-1"], data={"decision": "reject"}), 410)


def test_request_changes_needs_a_comment_on_the_page_too(app, client):
    review_id, links = open_with_links(app, requested_reviewers=["reviewer-1"])
    assert_html(post(client, links["reviewer-1"], "request_changes", "  "), 422, "needs a comment")
    assert review_state(client, app, review_id)["state"] == "open"
    assert_html(post(client, links["reviewer-1"], "request_changes", "Add the IAG minutes"), 200,
                "requested changes")
    assert emitted(app, "review.completed")[0]["comment"] == "Add the IAG minutes"


def test_form_without_a_valid_csrf_token_is_refused(app, client):
    review_id, links = open_with_links(app, requested_reviewers=["reviewer-1", "reviewer-2"])
    path = links["reviewer-1"]
    assert_html(client.post(path, data={"decision": "approve"}), 400, "Form expired")
    fields = form_fields(client.get(path).get_data(as_text=True))
    assert_html(post(client, path, "approve", fields={**fields, "csrf": "forged"}), 400)
    # A form from another reviewer's link does not fit this one.
    other = form_fields(client.get(links["reviewer-2"]).get_data(as_text=True))
    assert_html(post(client, path, "approve", fields=other), 400, "Form expired")
    assert review_state(client, app, review_id)["decisions"] == []
    assert_html(post(client, path, "maybe"), 400, "Choose Approve")


def test_tampered_and_unknown_links(app, client):
    _rid, links = open_with_links(app, requested_reviewers=["reviewer-1"])
    path = links["reviewer-1"]
    assert_html(client.get(path[:-3] + "abc"), 400, "altered")
    assert_html(client.get("/review/actions/not-a-token"), 400, "altered")
    # Genuinely signed, but never issued (so no row): refused as well.
    settings = review_settings(app.config)
    stray = tokens.sign(settings.action_link_secret, tokens.new_claims(
        review_id="x", reviewer_sub="reviewer-1", version=1, round=1, ttl_hours=1))
    assert_html(client.get(f"/review/actions/{stray}"), 400)


def test_expired_link(app, client):
    settings = review_settings(app.config)
    old = tokens.sign(settings.action_link_secret, tokens.new_claims(
        review_id="x", reviewer_sub="reviewer-1", version=1, round=1, ttl_hours=1,
        now=time.time() - 7200))
    assert_html(client.get(f"/review/actions/{old}"), 410, "expired")


def test_link_superseded_by_reassignment(app, client):
    review_id, links = open_with_links(app, requested_reviewers=["reviewer-1", "reviewer-2"])
    token = mint_token(app.config["JWT_SECRET"], sub="admin-1", name="A", roles=["admin"])
    resp = client.post(f"/api/v1/reviews/{review_id}/reassign",
                       json={"reviewers": ["reviewer-2", "reviewer-3"], "reason": "Leave"},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    assert_html(client.get(links["reviewer-1"]), 403, "reassigned")
    assert_html(client.get(links["reviewer-2"]), 200, "Approve")
    new_link = emitted(app, "review.reassigned")[0]["action_links"]["reviewer-3"]
    assert_html(post(client, new_link.replace("http://review.test", ""), "reject", "No"), 200,
                "rejected")


def test_link_after_a_decision_through_the_api_or_a_closed_review(app, client):
    review_id, links = open_with_links(app, requested_reviewers=["reviewer-1", "reviewer-2"])
    token = mint_token(app.config["JWT_SECRET"], sub="reviewer-1", name="R", roles=["reviewer"])
    resp = client.post(f"/api/v1/reviews/{review_id}/decisions", json={"decision": "approve"},
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201 and resp.get_json()["state"] == "approved"
    assert_html(client.get(links["reviewer-1"]), 410, "already recorded")
    assert_html(client.get(links["reviewer-2"]), 410, "completed")


def test_link_of_a_superseded_round(app, client):
    event = submitted_event(requested_reviewers=["reviewer-1"])
    deliver(db(app), app.config, event)
    old = emitted(app, "review.requested")[0]["action_links"]["reviewer-1"]
    deliver(db(app), app.config, submitted_event(cia_id=event.data["cia_id"],
                                                 content_hash="sha256:new"))
    assert_html(client.get(old.replace("http://review.test", "")), 403, "newer submission")


def mint_link(app, review_id: str, sub: str) -> str:
    """A genuinely signed link for ``sub``, stored as the service stores the links it
    issues (a row with the token's hash): what a link issued in error would be."""
    settings = review_settings(app.config)
    with db(app).sessions() as session:
        review = session.get(Review, review_id)
        claims = tokens.new_claims(review_id=review_id, reviewer_sub=sub, version=review.version,
                                   round=review.round, ttl_hours=1)
        token = tokens.sign(settings.action_link_secret, claims)
        session.add(ActionToken(id=claims.token_id, review_id=review_id, reviewer_sub=sub,
                                version=review.version, round=review.round,
                                token_hash=tokens.digest(token), created_at=utcnow(),
                                expires_at=datetime.fromtimestamp(claims.expires_at, timezone.utc)))
        session.commit()
    return f"/review/actions/{token}"


@pytest.mark.parametrize("conflicted", ["planner-1", "planner-2"], ids=["author", "last-editor"])
def test_author_gets_no_link_and_author_decision_by_link_is_impossible(app, client, conflicted):
    # The author (planner-1) and the last editor (planner-2) of the version are
    # registered reviewers too, and named: only the conflict keeps them out.
    admin = {"Authorization": "Bearer " + mint_token(app.config["JWT_SECRET"], sub="admin-1",
                                                     name="A", roles=["admin"])}
    for sub in ("planner-1", "planner-2"):
        assert client.post("/api/v1/reviewers", headers=admin,
                           json={"sub": sub, "name": sub}).status_code == 201
    review_id, links = open_with_links(app, requested_reviewers=[conflicted, "reviewer-1"])
    assert set(links) == {"reviewer-1"}
    # A signed, stored link for them all the same: the decision is still refused.
    path = mint_link(app, review_id, conflicted)
    text = assert_html(post(client, path, "approve"), 403)
    assert ("author" if conflicted == "planner-1" else "last edited") in text, text
    assert review_state(client, app, review_id)["decisions"] == []
    # Positive control: the same kind of link minted for the other reviewer decides.
    assert_html(post(client, mint_link(app, review_id, "reviewer-1"), "approve"), 200,
                "Decision recorded")
    assert review_state(client, app, review_id)["state"] == "approved"


def test_a_form_posted_from_another_site_is_refused(app, client):
    review_id, links = open_with_links(app, requested_reviewers=["reviewer-1"])
    path = links["reviewer-1"]
    fields = form_fields(client.get(path).get_data(as_text=True))
    form = {**fields, "decision": "approve", "comment": ""}
    # A valid form, but the browser says another site sent it.
    assert_html(client.post(path, data=form, headers={"Origin": "https://evil.example"}), 403,
                "another website")
    assert_html(client.post(path, data=form, headers={"Sec-Fetch-Site": "cross-site"}), 403,
                "another website")
    assert review_state(client, app, review_id)["decisions"] == []
    # Our own origin, or the "null" origin a no-referrer page sends, is accepted.
    assert_html(client.post(path, data=form, headers={"Origin": "null",
                                                      "Sec-Fetch-Site": "same-origin"}),
                200, "Decision recorded")
    assert review_state(client, app, review_id)["state"] == "approved"
    other_id, others = open_with_links(app, requested_reviewers=["reviewer-1"])
    fields = form_fields(client.get(others["reviewer-1"]).get_data(as_text=True))
    assert_html(client.post(others["reviewer-1"], headers={"Origin": "http://review.test"},
                            data={**fields, "decision": "approve"}), 200, "Decision recorded")


def test_page_shows_what_a_reviewer_needs_and_the_earlier_rounds(app, client):
    # planned_end, ward and location_name: shown when the submission carries them.
    extra = dict(requested_reviewers=["reviewer-1"], use_case="event_pso",
                 planned_start="2026-07-04T09:30:00Z", planned_end="2026-07-04T17:00:00Z",
                 ward="Fairfield", location_name="North End, Croydon")
    event = submitted_event(**extra)
    deliver(db(app), app.config, event)
    first = emitted(app, "review.requested")[-1]
    token = mint_token(app.config["JWT_SECRET"], sub="reviewer-1", name="Robin Reviewer",
                       roles=["reviewer"])
    resp = client.post(f"/api/v1/reviews/{first['review_id']}/decisions",
                       headers={"Authorization": f"Bearer {token}"},
                       json={"decision": "request_changes", "comment": "Two gaps.",
                             "section_comments": [{"section": "engagement_log",
                                                   "comment": "No IAG meeting <recorded>."}]})
    assert resp.status_code == 201
    deliver(db(app), app.config, submitted_event(cia_id=event.data["cia_id"], **extra))
    second = emitted(app, "review.requested")[-1]
    assert second["round"] == 2
    path = second["action_links"]["reviewer-1"].replace("http://review.test", "")
    page = assert_html(
        client.get(path), 200,
        "LFR-2026-0042 — Oxford Street LFR", "Westminster (ward: Fairfield)",
        "North End, Croydon",
        "Event (public safety operation)",
        "Sat 04 Jul 2026, 10:30 BST (09:30 UTC)", "Sat 04 Jul 2026, 18:00 BST (17:00 UTC)",
        "Pat Planner (planner-1)", "Lee Editor (planner-2)", "review round 2", "0 of 1 needed",
        "Earlier review rounds", "Round 1: changes requested",
        "Robin Reviewer (reviewer-1) — requested changes", "Two gaps.",
        "Engagement log:", "No IAG meeting &lt;recorded&gt;.")
    cia_api = f'{review_settings(app.config).authoring_url}/api/v1/cias/{event.data["cia_id"]}'
    assert f'href="{cia_api}"' in page
    # The document itself through signed links for this reviewer, not the token-only API.
    assert f'href="{cia_api}/versions/1/document"' not in page
    assert page.count('href="http://review.test/review/documents/') == 2
    assert f'href="http://review.test/api/v1/reviews/{second["review_id"]}"' in page
    assert '<meta name="referrer" content="no-referrer">' in page
