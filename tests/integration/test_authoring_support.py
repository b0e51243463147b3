"""Fixtures and helpers shared by the authoring integration tests (no tests here).

Imported as ``from tests.integration.test_authoring_support import *``.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from cia_authoring.app import create_app
from cia_authoring.documents.libreoffice import soffice_binary
from cia_authoring.worker import worker_spec
from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET
from cia_common.consumer import handle_event
from cia_common.events import CloudEvent
from cia_common.tables import outbox
from cia_common.web import db
from tests.support import is_ci, planted_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


def bearer(sub: str, name: str, *roles: str) -> dict:
    return {"Authorization": "Bearer " + mint_token(LOCAL_JWT_SECRET, sub=sub, name=name,
                                                    roles=list(roles))}


PLANNER = bearer("planner-1", "Pat Planner", "planner")
PLANNER2 = bearer("planner-2", "Sam Second", "planner")
REVIEWER = bearer("reviewer-1", "Robin Reviewer", "reviewer")
FOI = bearer("foi-1", "Frances FOI", "foi")
ADMIN = bearer("admin-1", "Alex Admin", "admin")


def make_app(url: str, **config):
    return create_app({"DATABASE_URL": url, "TESTING": True, **config})


@pytest.fixture
def app(databases):
    application = make_app(databases.new("authoring"))
    yield application
    db(application).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def libreoffice() -> str:
    """The LibreOffice binary; mandatory under CI (infra/lib.sh installs it)."""
    binary = soffice_binary()
    if not (binary and shutil.which(binary)):
        if is_ci():
            pytest.fail("LibreOffice is mandatory under CI (infra/lib.sh installs it)")
        pytest.skip("LibreOffice (soffice) is not installed")
    return binary


def problem(resp, status: int) -> dict:
    assert resp.status_code == status, f"{resp.status_code}: {resp.get_data(as_text=True)[:1500]}"
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    body = resp.get_json()
    assert body["status"] == status
    return body


def ok(resp, status: int = 200) -> dict:
    assert resp.status_code == status, f"{resp.status_code}: {resp.get_data(as_text=True)[:1500]}"
    return resp.get_json()


def create_operation(client, **overrides) -> dict:
    body = {**example("operation.json"), **overrides}
    return ok(client.post("/api/v1/operations", json=body, headers=PLANNER), 201)


def authorise(client, operation_id: str) -> dict:
    return ok(client.post(f"/api/v1/operations/{operation_id}/authorisation",
                          json=example("authorisation.json"), headers=PLANNER))


def content_for(reference: str) -> dict:
    """The planted content (tests/fixtures), naming operation ``reference`` (the service
    checks it)."""
    content = planted_content()
    content["header"]["operation_reference"] = reference
    return content


def create_cia(client, operation_id: str, content: dict | None = None, headers=PLANNER) -> dict:
    if content is None:
        reference = ok(client.get(f"/api/v1/operations/{operation_id}", headers=PLANNER))["reference"]
        content = content_for(reference)
    body = {"operation_id": operation_id, "content": content}
    return ok(client.post("/api/v1/cias", json=body, headers=headers), 201)


def submit(client, cia_id: str, **body) -> dict:
    return ok(client.post(f"/api/v1/cias/{cia_id}/submit", json=body, headers=PLANNER))


def get_cia(client, cia_id: str, headers=PLANNER) -> dict:
    return ok(client.get(f"/api/v1/cias/{cia_id}", headers=headers))


def review_completed(cia_id: str, version: int, outcome: str, *, event_id: str | None = None,
                     comment: str = "Reviewed.", section_comments=None) -> CloudEvent:
    kwargs = {"id": event_id} if event_id else {}
    return CloudEvent(type="review.completed", source="/cia-workflow/review", subject=cia_id,
                      data={"review_id": f"review-{cia_id[:8]}-{version}", "cia_id": cia_id,
                            "version": version, "round": 1, "outcome": outcome,
                            "decided_by": {"sub": "reviewer-1", "name": "Robin Reviewer"},
                            "comment": comment, "section_comments": section_comments or []},
                      **kwargs)


def deliver(app, event: CloudEvent) -> bool:
    """Run the worker's handler for ``event`` the way the consumer does (inbox included)."""
    spec = worker_spec(dict(app.config))
    return handle_event(db(app), "authoring", spec.handlers[event.type], event,
                        source="/cia-workflow/authoring", topic="cia.authoring.events",
                        recorder=spec.recorder)


def outbox_events(app, event_type: str | None = None) -> list[dict]:
    with db(app).engine.connect() as conn:
        query = sa.select(outbox.c.payload, outbox.c.key, outbox.c.topic).order_by(outbox.c.seq)
        if event_type:
            query = query.where(outbox.c.event_type == event_type)
        return [{**json.loads(r.payload), "_key": r.key, "_topic": r.topic}
                for r in conn.execute(query)]


def approved_cia(app, client, *, reference: str | None = None) -> tuple[dict, dict]:
    """An authorised operation whose CIA version 1 is approved (documents stored)."""
    op = create_operation(client, **({"reference": reference} if reference else {}))
    authorise(client, op["id"])
    cia = create_cia(client, op["id"])
    submit(client, cia["id"])
    assert deliver(app, review_completed(cia["id"], 1, "approved"))
    return op, get_cia(client, cia["id"])


__all__ = [
    "ADMIN", "FOI", "PLANNER", "PLANNER2", "REVIEWER", "app", "approved_cia", "authorise",
    "bearer", "client", "libreoffice", "content_for", "create_cia", "create_operation", "deliver", "example", "get_cia",
    "make_app", "ok", "outbox_events", "problem", "review_completed", "submit",
]
