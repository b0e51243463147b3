"""GET /api/v1/cias pages: by ``page`` (X-Pagination, unchanged) and by keyset
(the ``cursor`` of ``Link: rel="next"``), in one stable order, with the total
kept by the database — on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa
from hypothesis import given, settings as hypothesis_settings, strategies as st

from cia_authoring.cias.models import Cia, CiaStatusCount, CiaVersion
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


# --------------------------------------------------------------------------
# The status filter (0019): the status on the CIA's row and the counts per status
# are kept by triggers, whoever writes and in whatever order; generated sequences
# of writes check them against the versions themselves.
# --------------------------------------------------------------------------

STATUSES = ("draft", "submitted", "changes_requested", "approved", "superseded", "withdrawn")
STATUS_EXAMPLES = max(1, hypothesis_settings.default.max_examples // 10)


def _expected(conn) -> tuple[dict, dict]:
    """Each CIA's latest version's status, and the CIAs per status, from the rows."""
    latest = dict(conn.execute(
        sa.select(Cia.id, CiaVersion.status).select_from(Cia).outerjoin(
            CiaVersion, sa.and_(CiaVersion.cia_id == Cia.id,
                                CiaVersion.number == Cia.latest_version))).all())
    per_status: dict[str, int] = {}
    for status in latest.values():
        if status is not None:
            per_status[status] = per_status.get(status, 0) + 1
    return latest, per_status


def _kept(conn) -> tuple[dict, dict]:
    on_rows = dict(conn.execute(sa.select(Cia.id, Cia.status)).all())
    counts = {s: n for s, n in conn.execute(
        sa.select(CiaStatusCount.status, sa.func.sum(CiaStatusCount.n))
        .group_by(CiaStatusCount.status)).all() if n}
    return on_rows, counts


def _insert_cias(conn, statuses: list[str]) -> list[str]:
    now = utcnow()
    ops, cias, versions = [], [], []
    for status in statuses:
        op_id, cia_id = str(uuid.uuid4()), str(uuid.uuid4())
        ops.append({"id": op_id, "reference": f"LFR-2040-{uuid.uuid4().hex[:8]}", "name": "P",
                    "borough": "Camden", "ward": "W", "location_name": "L",
                    "planned_start": now, "planned_end": now, "watchlist_categories": [],
                    "status": "planned", "created_by_sub": "s", "created_by_name": "S",
                    "created_at": now, "updated_at": now})
        cias.append({"id": cia_id, "operation_id": op_id, "latest_version": 1,
                     "created_by_sub": "s", "created_by_name": "S", "created_at": now,
                     "updated_at": now})
        versions.append(_version(cia_id, 1, status))
    conn.execute(Operation.__table__.insert(), ops)
    conn.execute(Cia.__table__.insert(), cias)
    conn.execute(CiaVersion.__table__.insert(), versions)  # several rows: one statement
    return [c["id"] for c in cias]


def _version(cia_id: str, number: int, status: str) -> dict:
    now = utcnow()
    return {"id": str(uuid.uuid4()), "cia_id": cia_id, "number": number, "status": status,
            "content": {}, "content_sha256": "0" * 64, "revision": 1, "author_sub": "s",
            "author_name": "S", "last_editor_sub": "s", "last_editor_name": "S",
            "created_at": now, "updated_at": now}


_WRITE = st.one_of(
    st.tuples(st.just("create"), st.lists(st.sampled_from(STATUSES), min_size=1, max_size=4)),
    st.tuples(st.just("set_status"), st.integers(0, 50), st.sampled_from(STATUSES),
              st.booleans()),  # the latest version, or an older one
    st.tuples(st.just("new_version"), st.integers(0, 50), st.sampled_from(STATUSES),
              st.booleans()),  # latest_version moved before or after the insert
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("delete_latest_version"), st.integers(0, 50)),
)


def _apply(conn, write, ids: list[str]) -> None:
    kind = write[0]
    if kind == "create":
        ids += _insert_cias(conn, write[1])
        return
    if not ids:
        return
    cia_id = ids[write[1] % len(ids)]
    latest = conn.execute(sa.select(Cia.latest_version).where(Cia.id == cia_id)).scalar_one()
    if kind == "set_status":
        _, _, status, older = write
        number = max(1, latest - 1) if older else latest
        conn.execute(sa.update(CiaVersion).where(CiaVersion.cia_id == cia_id,
                                                 CiaVersion.number == number)
                     .values(status=status))
    elif kind == "new_version":
        _, _, status, move_first = write
        bump = sa.update(Cia).where(Cia.id == cia_id).values(latest_version=latest + 1,
                                                             updated_at=utcnow())
        insert = CiaVersion.__table__.insert().values(_version(cia_id, latest + 1, status))
        for statement in ((bump, insert) if move_first else (insert, bump)):
            conn.execute(statement)
    elif kind == "delete":
        conn.execute(sa.delete(CiaVersion).where(CiaVersion.cia_id == cia_id))
        conn.execute(sa.delete(Cia).where(Cia.id == cia_id))
        ids.remove(cia_id)
    elif kind == "delete_latest_version":
        conn.execute(sa.delete(CiaVersion).where(CiaVersion.cia_id == cia_id,
                                                 CiaVersion.number == latest))


def test_the_status_and_its_counts_follow_every_write(app, client):
    engine = db(app).engine

    @hypothesis_settings(max_examples=STATUS_EXAMPLES, deadline=None)
    @given(writes=st.lists(_WRITE, min_size=1, max_size=12), rollback=st.booleans())
    def check(writes, rollback):
        ids: list[str] = []
        with engine.begin() as conn:
            before = _kept(conn)
        with engine.connect() as conn:
            trans = conn.begin()
            for write in writes:
                _apply(conn, write, ids)
                assert _kept(conn) == _expected(conn)  # within the transaction too
            if rollback:
                trans.rollback()
            else:
                trans.commit()
        with engine.connect() as conn:
            kept = _kept(conn)
            assert kept == _expected(conn)
            if rollback:  # a rolled-back transaction leaves no trace in the counts
                assert kept == before
        # The API's filtered list: the same CIAs, in list order, and the kept total
        # (asked once the test's own connection is closed: SQLite has one writer).
        with engine.connect() as conn:
            expected = {status: [r.id for r in conn.execute(
                sa.select(Cia.id).join(CiaVersion, sa.and_(
                    CiaVersion.cia_id == Cia.id, CiaVersion.number == Cia.latest_version))
                .where(CiaVersion.status == status)
                .order_by(Cia.updated_at.desc(), Cia.id))] for status in STATUSES}
        for status, ids_in_order in expected.items():
            resp = client.get(f"/api/v1/cias?status={status}&page_size=100", headers=ADMIN)
            assert [c["id"] for c in ok(resp)] == ids_in_order[:100]
            assert json.loads(resp.headers["X-Pagination"])["total"] == len(ids_in_order)

    check()
    # A positive control: the check sees a wrong count when there is one.
    with engine.begin() as conn:
        _insert_cias(conn, ["submitted"])
        conn.execute(sa.update(CiaStatusCount).where(CiaStatusCount.status == "submitted")
                     .values(n=CiaStatusCount.n + 1))
        assert _kept(conn) != _expected(conn)


def test_the_filtered_list_follows_the_api_writes(client):
    """Through the service's own writes (the ORM's insert of a CIA, then of its first
    version; a submission's conditional UPDATE)."""
    a, b = _new_cia(client, 1), _new_cia(client, 2)

    def listed(status):
        resp = client.get(f"/api/v1/cias?status={status}", headers=ADMIN)
        return [c["id"] for c in ok(resp)], json.loads(resp.headers["X-Pagination"])["total"]

    assert listed("draft") == ([b["id"], a["id"]], 2)
    assert listed("submitted") == ([], 0)
    for made, n in ((a, 1), (b, 2)):
        ok(client.patch(f"/api/v1/cias/{made['id']}", json={"content": content_for(f"LFR-2031-{n:04d}")},
                        headers={**PLANNER, "If-Match": made["etag"]}))
    submit(client, a["id"])
    assert listed("submitted") == ([a["id"]], 1)
    assert listed("draft") == ([b["id"]], 1)
    submit(client, b["id"])
    assert listed("submitted") == ([b["id"], a["id"]], 2)
    assert listed("draft") == ([], 0)
