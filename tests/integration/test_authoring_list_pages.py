"""GET /api/v1/cias pages: by ``page`` (X-Pagination, unchanged) and by keyset
(the ``cursor`` of ``Link: rel="next"``), in one stable order, with the total
kept by the database — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow
from cia_common.web import db
from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import (ADMIN, PLANNER, create_cia, create_operation,
                                                      ok, problem, submit, content_for)

# What differs by backend (pagination): on SQLite and PostgreSQL both.
pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]


def _new_cia(client, n: int) -> dict:
    ref = f"LFR-2031-{n:04d}"
    op = create_operation(client, reference=ref, borough="Croydon" if n % 2 else "Hackney")
    return create_cia(client, op["id"], content={"header": {"operation_reference": ref}})


def _next(resp) -> str | None:
    link = resp.headers.get("Link")
    if not link:
        return None
    url, rel = link.split(";")
    assert rel.strip() == 'rel="next"'
    return url.strip().strip("<>")


def _walk(client, url: str, between=None) -> list[str]:
    """Every id by following rel="next" from ``url``; ``between`` runs after each page."""
    seen = []
    while url:
        resp = client.get(url, headers=ADMIN)
        seen += [c["id"] for c in ok(resp)]
        url = _next(resp)
        if between:
            between()
    return seen


def test_pages_by_offset_and_by_keyset_agree(app, client):
    made = [_new_cia(client, n) for n in range(7)]
    with db(app).sessions() as session:
        expected = [r.id for r in session.execute(
            sa.select(Cia.id).order_by(Cia.updated_at.desc(), Cia.id))]
    assert sorted(expected) == sorted(c["id"] for c in made)

    by_page = []
    for page in (1, 2, 3):
        resp = client.get(f"/api/v1/cias?page_size=3&page={page}", headers=ADMIN)
        by_page += [c["id"] for c in ok(resp)]
        meta = json.loads(resp.headers["X-Pagination"])
        assert meta["total"] == 7 and meta["total_pages"] == 3 and meta["page"] == page
        # A full page links the next one; the last (short) page does not.
        assert (_next(resp) is not None) == (page < 3)
    assert by_page == expected  # last changed first, then id

    by_cursor = _walk(client, "/api/v1/cias?page_size=3")
    assert by_cursor == expected
    # The link keeps the filters and the page size, and drops the page number.
    resp = client.get("/api/v1/cias?page_size=2&page=1&borough=croydon", headers=ADMIN)
    query = parse_qs(urlparse(_next(resp)).query)
    assert query["borough"] == ["croydon"] and query["page_size"] == ["2"] and "page" not in query
    croydon = _walk(client, "/api/v1/cias?page_size=2&borough=croydon")
    assert croydon == [i for i in expected if i in {c["id"] for n, c in enumerate(made) if n % 2}]


def test_keyset_pages_neither_repeat_nor_miss_while_cias_are_created(app, client):
    made = {_new_cia(client, n)["id"] for n in range(6)}
    counter = iter(range(100, 200))
    seen = _walk(client, "/api/v1/cias?page_size=2", between=lambda: _new_cia(client, next(counter)))
    assert len(seen) == len(set(seen))  # no CIA twice
    assert set(seen) == made  # every CIA there at the start; the new ones come first, not later


def test_a_changed_cia_moves_to_the_front(client):
    first, second = _new_cia(client, 1), _new_cia(client, 2)
    assert [c["id"] for c in ok(client.get("/api/v1/cias", headers=ADMIN))] == [second["id"], first["id"]]
    ok(client.patch(f"/api/v1/cias/{first['id']}", json={"content": content_for("LFR-2031-0001")},
                    headers={**PLANNER, "If-Match": first["etag"]}))
    assert [c["id"] for c in ok(client.get("/api/v1/cias", headers=ADMIN))] == [first["id"], second["id"]]
    submit(client, first["id"])
    resp = client.get("/api/v1/cias?status=submitted", headers=ADMIN)
    assert [c["id"] for c in ok(resp)] == [first["id"]]
    assert json.loads(resp.headers["X-Pagination"])["total"] == 1


def test_a_cursor_that_is_not_one_is_refused(client):
    for cursor in ("x", "!!", "WyJub3QgYSBkYXRlIiwiYSJd", "bnVsbA", "WzEsMl0"):
        body = problem(client.get(f"/api/v1/cias?cursor={cursor}", headers=ADMIN), 422)
        assert any(e.get("pointer") == "/cursor" for e in body.get("errors", [])), body


def test_list_items_are_the_single_reads(client):
    made = [_new_cia(client, n) for n in range(3)]
    listed = ok(client.get("/api/v1/cias", headers=ADMIN))
    for item in listed:
        assert item == ok(client.get(f"/api/v1/cias/{item['id']}", headers=ADMIN))
    assert {c["id"] for c in listed} == {c["id"] for c in made}


def test_the_total_is_kept_by_the_database_whoever_writes(app, client):
    _new_cia(client, 1)
    engine = db(app).engine
    now = utcnow()
    ops, cias, versions = [], [], []
    for n in range(25):  # a bulk load straight into the tables, as an import would
        op_id, cia_id = str(uuid.uuid4()), str(uuid.uuid4())
        ops.append({"id": op_id, "reference": f"LFR-2032-{n:04d}", "name": "Bulk", "borough": "Camden",
                    "ward": "W", "location_name": "L", "planned_start": now, "planned_end": now,
                    "watchlist_categories": [], "status": "planned", "created_by_sub": "s",
                    "created_by_name": "S", "created_at": now, "updated_at": now})
        cias.append({"id": cia_id, "operation_id": op_id, "latest_version": 1,
                     "created_by_sub": "s", "created_by_name": "S", "created_at": now,
                     "updated_at": now})
        versions.append({"id": str(uuid.uuid4()), "cia_id": cia_id, "number": 1, "status": "draft",
                         "content": {}, "content_sha256": "0" * 64, "revision": 1,
                         "author_sub": "s", "author_name": "S", "last_editor_sub": "s",
                         "last_editor_name": "S", "created_at": now, "updated_at": now})
    with engine.begin() as conn:
        conn.execute(Operation.__table__.insert(), ops)
        conn.execute(Cia.__table__.insert(), cias)
        conn.execute(CiaVersion.__table__.insert(), versions)

    def total():
        resp = client.get("/api/v1/cias?page_size=1", headers=ADMIN)
        ok(resp)
        return json.loads(resp.headers["X-Pagination"])["total"]

    assert total() == 26
    with engine.begin() as conn:
        gone = [c["id"] for c in cias[:5]]
        conn.execute(sa.delete(CiaVersion).where(CiaVersion.cia_id.in_(gone)))
        conn.execute(sa.delete(Cia).where(Cia.id.in_(gone)))
    assert total() == 21
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(Cia)).scalar_one() == 21
    # A rolled-back insert counts nothing.
    with engine.connect() as conn:
        trans = conn.begin()
        conn.execute(Operation.__table__.insert(), [{**ops[0], "id": "x-op", "reference": "LFR-2033-0001"}])
        conn.execute(Cia.__table__.insert(), [{**cias[0], "id": "x-cia", "operation_id": "x-op"}])
        trans.rollback()
    assert total() == 21
    # The filtered totals count the rows themselves.
    resp = client.get("/api/v1/cias?borough=camden&page_size=1", headers=ADMIN)
    assert json.loads(resp.headers["X-Pagination"])["total"] == 20
