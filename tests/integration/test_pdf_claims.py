"""PDF conversions claimed in the database: of several workers (or a worker and
a request) one converts a document and the others skip it; a claim whose
holder died is taken over once its lease expired (SQLite and PostgreSQL; a
stand-in converter counts the conversions)."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from cia_authoring.documents import pdfs
from cia_authoring.cias.models import Document
from cia_authoring.documents.models import PdfClaim
from cia_common.web import db

from tests.integration.test_authoring_support import *  # noqa: F401,F403
from tests.integration.test_authoring_support import PLANNER, approved_cia, make_app, problem

# What differs by backend (claims): on SQLite and PostgreSQL both.
pytestmark = [pytest.mark.integration, pytest.mark.backends("sqlite", "postgresql")]

PDF = "application/pdf"
FAKE_PDF = b"%PDF-1.7 stand-in"


class Converter:
    """Stands in for LibreOffice: records who (the thread's name) converted;
    the conversions of ``held`` wait until ``go_on`` is set."""

    def __init__(self):
        self.calls: list[str] = []
        self.held: str | None = None
        self.entered = threading.Event()
        self.go_on = threading.Event()

    def __call__(self, docx: bytes, cfg: dict) -> bytes:
        name = threading.current_thread().name
        self.calls.append(name)
        if name == self.held:
            self.entered.set()
            assert self.go_on.wait(60), "the test never let the conversion finish"
        return FAKE_PDF


@pytest.fixture
def converter(monkeypatch) -> Converter:
    fake = Converter()
    monkeypatch.setattr(pdfs, "convert", fake)
    return fake


def _run_as(name: str, job, app) -> float:
    """Run a worker's job in a thread of that name (the converter records it)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(job(db(app), dict(app.config))),
                              name=name)
    thread.start()
    thread.join(60)
    return result[0]


def _pdf_kinds(app, cia_id) -> set[str]:
    with db(app).sessions() as s:
        return set(s.execute(sa.select(Document.kind).where(
            Document.cia_id == cia_id, Document.format == "pdf")).scalars())


def _claims(app) -> list[tuple]:
    with db(app).sessions() as s:
        return [(c.kind, c.claimed_by) for c in s.execute(sa.select(PdfClaim)).scalars()]


def test_a_document_claimed_by_one_worker_is_skipped_by_the_other(app, client, converter):
    _op, cia = approved_cia(app, client)
    cfg = dict(app.config)
    worker_a, worker_b = pdfs.RenderAhead(owner="worker-a"), pdfs.RenderAhead(owner="worker-b")

    # Worker A is in the middle of converting the first document (its claim held).
    converter.held = "worker-a"
    thread_a = threading.Thread(target=worker_a, args=(db(app), cfg), name="worker-a")
    thread_a.start()
    try:
        assert converter.entered.wait(30)
        [(claimed_kind, holder)] = _claims(app)
        assert holder == "worker-a"

        # Worker B takes the other document, then finds nothing it may convert.
        assert _run_as("worker-b", worker_b, app) == 1.0
        assert _run_as("worker-b", worker_b, app) == 2.0
        assert converter.calls == ["worker-a", "worker-b"]
        assert _pdf_kinds(app, cia["id"]) == {"full", "disclosure"} - {claimed_kind}
    finally:
        converter.go_on.set()
        thread_a.join(30)

    assert converter.calls == ["worker-a", "worker-b"]  # each document converted once
    assert _pdf_kinds(app, cia["id"]) == {"full", "disclosure"}
    assert _claims(app) == []  # released once stored


def test_a_request_for_a_pdf_another_process_is_converting_is_told_to_retry(
        app, client, converter):
    app.config["PDF_WAIT_SECONDS"] = 0  # ask once, wait for nobody
    _op, cia = approved_cia(app, client)
    key = pdfs.DocKey(cia["id"], 1, "full")
    assert pdfs.claim(db(app).sessions, key, "worker-a", lease_s=300)

    url = f"/api/v1/cias/{cia['id']}/versions/1/document"
    resp = client.get(url, headers={**PLANNER, "Accept": PDF})
    problem(resp, 503)
    assert resp.headers["Retry-After"] == "30"
    assert converter.calls == []  # left to the claimer

    pdfs.release(db(app).sessions, key, "worker-a")  # e.g. its conversion failed
    resp = client.get(url, headers={**PLANNER, "Accept": PDF})
    assert resp.status_code == 200 and resp.data == FAKE_PDF
    assert len(converter.calls) == 1
    assert _claims(app) == []


def test_a_request_waits_for_a_conversion_that_ends_soon(app, client, converter):
    app.config["PDF_WAIT_SECONDS"] = 60
    _op, cia = approved_cia(app, client)
    key = pdfs.DocKey(cia["id"], 1, "full")
    assert pdfs.claim(db(app).sessions, key, "worker-a", lease_s=300)
    # The other claimer lets go while the request waits (its conversion failed).
    let_go = threading.Timer(0.5, pdfs.release, (db(app).sessions, key, "worker-a"))
    let_go.start()
    try:
        resp = client.get(f"/api/v1/cias/{cia['id']}/versions/1/document",
                          headers={**PLANNER, "Accept": PDF})
    finally:
        let_go.join(10)
    assert resp.status_code == 200 and resp.data == FAKE_PDF
    assert len(converter.calls) == 1 and _claims(app) == []


def test_an_expired_claim_is_taken_over_and_a_live_one_is_not(app, client, converter):
    _op, cia = approved_cia(app, client)
    sessions = db(app).sessions
    full, disclosure = (pdfs.DocKey(cia["id"], 1, kind) for kind in ("full", "disclosure"))
    # A worker that crashed while converting both: one lease has run out, one not.
    assert pdfs.claim(sessions, full, "crashed", lease_s=-1)
    assert pdfs.claim(sessions, disclosure, "crashed", lease_s=300)

    job = pdfs.RenderAhead(owner="worker-b")
    assert job(db(app), dict(app.config)) == 1.0
    assert job(db(app), dict(app.config)) == 2.0  # the live claim is respected
    assert _pdf_kinds(app, cia["id"]) == {"full"}
    assert len(converter.calls) == 1
    assert _claims(app) == [("disclosure", "crashed")]


def test_claims_are_exclusive_until_released_or_expired(databases):
    app = make_app(databases.new("authoring"))
    try:
        sessions = db(app).sessions
        key = pdfs.DocKey("cia-1", 1, "full")

        # Several workers at once: exactly one wins.
        barrier = threading.Barrier(4)
        results: dict[str, bool] = {}

        def attempt(owner: str) -> None:
            barrier.wait(30)
            results[owner] = pdfs.claim(sessions, key, owner, lease_s=300)

        threads = [threading.Thread(target=attempt, args=(f"w{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        winners = [owner for owner, won in results.items() if won]
        assert len(results) == 4 and len(winners) == 1
        [winner] = winners
        loser = next(o for o in results if o != winner)

        assert pdfs.claim(sessions, key, winner, lease_s=300)  # its own: renewed
        assert not pdfs.claim(sessions, key, loser, lease_s=300)
        pdfs.release(sessions, key, loser)  # not its claim: nothing happens
        assert not pdfs.claim(sessions, key, loser, lease_s=300)
        pdfs.release(sessions, key, winner)
        assert pdfs.claim(sessions, key, loser, lease_s=-1)  # free again; taken, expired
        assert pdfs.claim(sessions, key, winner, lease_s=300)  # the expired lease is taken over
        with sessions() as s:
            assert s.execute(sa.select(PdfClaim.claimed_by)).scalars().all() == [winner]
    finally:
        db(app).dispose()
