"""The public disclosure log's process can read the published snapshots and nothing
else: on PostgreSQL its role is refused every other table (and any write), on SQLite
it reads a copy holding that table alone, opened read-only. What it serves was
written once: a snapshot cannot be changed afterwards, even by the authoring service.
Each refusal has its control beside it (the same connection reads the snapshots)."""
from __future__ import annotations

import sqlite3
from datetime import date

import pytest
import sqlalchemy as sa

from cia_authoring import published
from cia_common.web import db

from tests.integration.test_authoring_support import FOI, make_app, ok
from tests.integration.test_foi_requests import BASE, FOI2, new_request
from tests.integration.test_foi_support import at, checked, public_log

pytestmark = pytest.mark.integration

REFERENCE = "01.FOI.26.077001"


def sent(client) -> None:
    req = new_request(client, reference=REFERENCE, received_on="2026-11-02")
    url = f"{BASE}/{req['id']}"
    for n in (1, 2, 3):
        ok(client.put(f"{url}/questions/{n}/answer", headers=FOI,
                      json={"kind": "not_held", "reason": "Not recorded."}))
    ok(client.post(f"{url}/submit-for-approval", headers=FOI))
    ok(client.post(f"{url}/approve", headers=FOI2))
    checked(client.application)  # the worker reads the letter by sight before it is sent
    ok(client.post(f"{url}/send", headers=FOI2, json={}))


@pytest.mark.backends("sqlite", "postgresql")
def test_the_public_log_reads_the_snapshots_and_nothing_else(databases, monkeypatch):
    at(monkeypatch, "2026-11-20T10:00:00")
    app = make_app(databases.new("authoring"))
    try:
        client = app.test_client()
        sent(client)
        with public_log(app) as public:
            entry = ok(public.get(f"/public/disclosure-log/{REFERENCE}"))
            assert entry["sent_on"] == "2026-11-20"
            engine = public.application.extensions["public_snapshots"].engine
            with engine.connect() as conn:  # control: the snapshots are in reach
                assert conn.scalar(sa.text("SELECT count(*) FROM published_snapshots")) == 3
            for statement in ("SELECT count(*) FROM foi_requests", "SELECT count(*) FROM cias",
                              "SELECT count(*) FROM cia_versions",
                              "DELETE FROM published_snapshots"):
                with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as refused:
                    conn.execute(sa.text(statement))
                if app.config["DATABASE_URL"].startswith("postgresql"):
                    assert refused.value.orig.sqlstate == "42501", statement  # no privilege
                else:  # a copy of the one table, opened read-only
                    assert isinstance(refused.value.orig, sqlite3.OperationalError)
                    assert ("no such table" in str(refused.value.orig)
                            or "readonly" in str(refused.value.orig)), statement
        # Written once: not even the authoring service changes a published snapshot.
        if app.config["DATABASE_URL"].startswith("postgresql"):
            with db(app).engine.begin() as conn, pytest.raises(sa.exc.DBAPIError):
                conn.execute(sa.update(published.PublishedSnapshot).values(data=b"changed"))
    finally:
        db(app).dispose()


def test_the_sqlite_copy_holds_the_snapshot_table_alone(databases, tmp_path):
    target = f"sqlite:///{tmp_path / 'public.db'}"
    app = make_app(databases.new("authoring"))
    try:
        with db(app).sessions() as session:
            session.add(published.snapshot("R-1", published.ENTRY, date(2026, 1, 5),
                                           b'{"reference": "R-1"}'))
            session.commit()
        assert published.mirror(db(app).engine, target) == 1
        assert published.mirror(db(app).engine, target) == 0  # copied once
    finally:
        db(app).dispose()
    with sqlite3.connect(tmp_path / "public.db") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert tables == ["published_snapshots"]
