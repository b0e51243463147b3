"""GET /api/v1/cias/{id} served from the bytes kept for the CIA's current state:
after every kind of write it answers exactly what a fresh marshmallow
serialisation of the CIA says, with the same ETag and If-None-Match behaviour —
on SQLite and PostgreSQL.

Which reads the cache served is told by the statements they send to the database
(a SQLAlchemy event listener): a hit is the one key statement and nothing else, a
miss loads the version's content."""
from __future__ import annotations

import contextlib
import json

import pytest
import sqlalchemy as sa
from flask import json as flask_json

from cia_authoring.cias import service as cias
from cia_authoring.cias import present
from cia_authoring.cias.schemas import CiaSchema
from cia_authoring.cias.models import Document
from cia_common.events import utcnow
from cia_common.web import db
from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, FOI, PLANNER, REVIEWER, authorise,
                                                      content_for, create_cia, create_operation,
                                                      deliver, ok, problem, review_completed,
                                                      submit)

pytestmark = pytest.mark.integration


def fresh(app, cia_id: str) -> tuple[dict, str]:
    """What the code before the cache answered: the view dumped by CiaSchema and
    serialised by Flask, and the version's ETag."""
    with db(app).sessions() as session:
        view = cias.latest(session, cia_id)
        body = flask_json.dumps(CiaSchema().dump(present.cia(view)))
        return json.loads(body), view.etag


@contextlib.contextmanager
def statements(app):
    """The SQL statements the app sends to its database meanwhile."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = db(app).engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def loads_content(sent: list[str]) -> bool:
    return any("cia_versions.content" in statement for statement in sent)


def is_hit(sent: list[str]) -> bool:
    """Only the key query (the version's state and documents, no content). Not
    counted: the BEGIN the SQLite engine sends for every connection it uses."""
    queries = [q for q in sent if not q.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    return len(queries) == 1 and queries[0].lstrip().startswith("SELECT cias.latest_version") \
        and not loads_content(queries)


def served(app, client, cia_id: str, headers=PLANNER, *, changed: bool = True) -> dict:
    """GET twice, both equal to the fresh serialisation: the first a miss when the
    CIA ``changed`` since it was last read or written through the API (the change
    made the kept bytes unusable), else a hit; the second a hit."""
    expected, etag = fresh(app, cia_id)
    for attempt in range(2):
        with statements(app) as sent:
            resp = client.get(f"/api/v1/cias/{cia_id}", headers=headers)
        if attempt == 0 and changed:
            assert loads_content(sent) and not is_hit(sent), sent
        else:
            assert is_hit(sent), sent
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        assert resp.headers["Content-Type"] == "application/json"
        assert resp.headers["ETag"] == etag
        assert resp.get_json() == expected
        assert resp.get_json()["etag"] == etag
        # If-None-Match: the current ETag (strong or weak) → 304; another → 200.
        for tag in (etag, "W/" + etag, f'"other", {etag}'):
            not_modified = client.get(f"/api/v1/cias/{cia_id}",
                                      headers={**headers, "If-None-Match": tag})
            assert not_modified.status_code == 304 and not_modified.headers["ETag"] == etag
            assert not_modified.get_data() == b""
        stale = client.get(f"/api/v1/cias/{cia_id}", headers={**headers, "If-None-Match": '"x.v1.r1"'})
        assert stale.status_code == 200 and stale.get_json() == expected
    # The second round was served from the bytes kept under the state's key.
    with db(app).sessions() as session:
        key = cias.latest_read_key(session, cia_id)
    kept = present.representations(app).get(key)
    assert kept is not None and json.loads(kept) == expected
    # Unwatched, the view reads the key on the driver's own cursor (PostgreSQL): the
    # same values, types and zones, so the same kept bytes; and the same answer.
    assert repr(cias.latest_read_key(db(app).engine, cia_id)) == repr(key)
    unwatched = client.get(f"/api/v1/cias/{cia_id}", headers=headers)
    assert unwatched.status_code == 200 and unwatched.headers["ETag"] == etag
    assert unwatched.get_data() == kept
    return expected


def test_cached_read_matches_a_fresh_serialisation_after_every_write(app, client):
    op = create_operation(client)
    ref = op["reference"]
    created = create_cia(client, op["id"], content={"header": {"operation_reference": ref}})
    cia_id = created["id"]
    # A write through the API keeps its own answer: the next GET of that state is a hit.
    assert served(app, client, cia_id, changed=False) == created

    # Edit (a new revision).
    edited = ok(client.patch(f"/api/v1/cias/{cia_id}", json={"content": content_for(ref)},
                             headers={**PLANNER, "If-Match": created["etag"]}))
    assert served(app, client, cia_id, changed=False)["content"] == edited["content"]
    # An edit that changes nothing changes nothing.
    same = ok(client.patch(f"/api/v1/cias/{cia_id}", json={"content": {}},
                           headers={**PLANNER, "If-Match": edited["etag"]}))
    assert same["etag"] == edited["etag"]
    served(app, client, cia_id, changed=False)

    # Submit; review approves before the operation is authorised: held back.
    submit(client, cia_id, requested_reviewers=["reviewer-1"])
    assert served(app, client, cia_id, headers=REVIEWER, changed=False)["status"] == "submitted"
    assert deliver(app, review_completed(cia_id, 1, "approved"))
    assert served(app, client, cia_id)["review"]["approval_blocked_reason"]

    # Authorising the operation releases the approval: documents stored.
    authorise(client, op["id"])
    approved = served(app, client, cia_id, headers=ADMIN)
    assert approved["status"] == "approved"
    assert {(d["kind"], d["format"]) for d in approved["documents"]} == {
        ("full", "docx"), ("disclosure", "docx")}

    # A PDF stored later, then a disclosure copy re-rendered, then a PDF dropped:
    # no new revision, but the representation changes and so must the answer.
    with db(app).sessions() as session:
        session.add(Document(cia_id=cia_id, version=1, kind="full", format="pdf", sha256="a" * 64,
                             size=3, data=b"pdf"))
        session.commit()
    assert len(served(app, client, cia_id)["documents"]) == 3
    with db(app).sessions() as session:
        session.execute(sa.update(Document).where(
            Document.cia_id == cia_id, Document.kind == "disclosure", Document.format == "docx"
        ).values(sha256="b" * 64, size=4, created_at=utcnow()))
        session.commit()
    assert "b" * 64 in {d["sha256"] for d in served(app, client, cia_id)["documents"]}
    with db(app).sessions() as session:
        session.execute(sa.delete(Document).where(Document.cia_id == cia_id,
                                                  Document.format == "pdf"))
        session.commit()
    assert len(served(app, client, cia_id)["documents"]) == 2

    # Amend (version 2), changes requested, edit, resubmit, rejected, revised.
    amended = ok(client.post(f"/api/v1/cias/{cia_id}/amendments", json={"reason": "New site."},
                             headers=PLANNER), 201)
    assert served(app, client, cia_id, changed=False)["version"] == amended["version"] == 2
    submit(client, cia_id)
    assert deliver(app, review_completed(cia_id, 2, "changes_requested",
                                         section_comments=[{"section": "risks",
                                                            "comment": "More."}]))
    assert served(app, client, cia_id)["status"] == "changes_requested"
    current = served(app, client, cia_id, changed=False)
    ok(client.patch(f"/api/v1/cias/{cia_id}", json={"content": {"header": {"title": "Amended"}}},
                    headers={**PLANNER, "If-Match": current["etag"]}))
    served(app, client, cia_id, changed=False)
    submit(client, cia_id)
    assert deliver(app, review_completed(cia_id, 2, "rejected", comment="No."))
    assert served(app, client, cia_id)["status"] == "withdrawn"
    revised = ok(client.post(f"/api/v1/cias/{cia_id}/revisions", json={"reason": "Answered."},
                             headers=PLANNER), 201)
    assert served(app, client, cia_id, changed=False)["rejection"] == revised["rejection"]

    # Cancelling the operation withdraws the open version.
    ok(client.post(f"/api/v1/operations/{op['id']}/status", json={"status": "cancelled"},
                   headers=PLANNER))
    assert served(app, client, cia_id)["status"] == "withdrawn"


def test_cached_read_keeps_roles_and_errors(app, client):
    op = create_operation(client)
    cia = create_cia(client, op["id"])
    assert ok(client.get(f"/api/v1/cias/{cia['id']}", headers=PLANNER))["id"] == cia["id"]
    # Cached now; a reader without the role is still refused, anonymous too.
    problem(client.get(f"/api/v1/cias/{cia['id']}", headers=FOI), 403)
    problem(client.get(f"/api/v1/cias/{cia['id']}"), 401)
    problem(client.get("/api/v1/cias/no-such-cia", headers=PLANNER), 404)
    # The Accept header is not negotiated on this resource: JSON whatever is asked.
    resp = client.get(f"/api/v1/cias/{cia['id']}", headers={**PLANNER, "Accept": "application/pdf"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/json"


def test_a_write_answers_the_new_state_after_a_cached_read(app, client):
    """The bytes kept for one state are never answered for the next."""
    op = create_operation(client)
    cia = create_cia(client, op["id"])
    before = ok(client.get(f"/api/v1/cias/{cia['id']}", headers=PLANNER))
    with statements(app) as sent:
        assert ok(client.get(f"/api/v1/cias/{cia['id']}", headers=PLANNER)) == before
    assert is_hit(sent), sent  # kept
    patched = ok(client.patch(f"/api/v1/cias/{cia['id']}",
                              json={"content": {"header": {"title": "Changed"}}},
                              headers={**PLANNER, "If-Match": before["etag"]}))
    with statements(app) as sent:
        after = client.get(f"/api/v1/cias/{cia['id']}", headers=PLANNER)
    # Served from what the PATCH kept of the new state, not the bytes of the one before.
    assert is_hit(sent), sent
    with db(app).engine.connect() as conn:
        key = cias.latest_read_key(conn, cia["id"])
    assert json.loads(present.representations(app).get(key)) == patched
    assert after.headers["ETag"] == patched["etag"] != before["etag"]
    assert after.get_json()["content"]["header"]["title"] == "Changed"
    assert after.get_json() == fresh(app, cia["id"])[0]
