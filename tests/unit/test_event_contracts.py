"""Event contracts (cia_schemas.contracts): every event type a service emits has one;
what its producer builds passes it and loads in every consumer; emit refuses data
that breaks it, before the outbox row is written."""
from __future__ import annotations

import ast
import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from cia_common.config import EVENT_TOPICS
from cia_common.db import Database
from cia_common.events import CloudEvent
from cia_common.tables import outbox, platform_metadata
from cia_notifier.deliveries.teams import teams_message
from cia_notifier.subscriptions.rules import names_recipient, wants
from cia_review.reviews import payloads
from cia_review.reviews.models import Reassignment, Review, ReviewAssignee, ReviewDecision
from cia_schemas import contracts
from cia_schemas.asyncapi import READS, receivers
from cia_schemas.contracts import CONTRACTS, EventDataError, UnregisteredEvent

from tests.asyncapi_events import problems

REPO = Path(__file__).resolve().parents[2]
SERVICES = REPO / "services"
CIA, OP, REF, SHA = str(uuid.uuid4()), str(uuid.uuid4()), "LFR-2026-0042", "ab" * 32
PLANNER = {"sub": "planner-1", "name": "Pat Planner"}
FOI = {"sub": "foi-1", "name": "Frances FOI"}
NOW = datetime(2026, 5, 1, 9, 30, tzinfo=timezone.utc)


# ------------------------------------------------------------------ producer-built data

def _review(**extra) -> Review:
    values = dict(
        id=str(uuid.uuid4()), cia_id=CIA, version=2, round=1, state="open",
        operation_reference=REF, operation_name="Oxford Street LFR", title="CIA — Oxford Street",
        author_sub="planner-1", last_editor_sub="planner-1", approvals_required=2,
        due_at=NOW + timedelta(days=2), opened_at=NOW, decisions=[], reassignments=[],
        assignees=[ReviewAssignee(reviewer_sub="reviewer-1", position=0),
                   ReviewAssignee(reviewer_sub="reviewer-2", position=1)])
    return Review(**{**values, **extra})


def _decision(decision: str, comment: str = "Reviewed.") -> ReviewDecision:
    return ReviewDecision(id=str(uuid.uuid4()), reviewer_sub="reviewer-1",
                          reviewer_name="Robin Reviewer", decision=decision, comment=comment,
                          section_comments=[{"section": "risks", "comment": "Add protest."}],
                          channel="api", decided_at=NOW)


def review_events() -> dict[str, dict]:
    """Built by the review service's own payload functions."""
    settings = SimpleNamespace(review_url="http://127.0.0.1:8002",
                               authoring_url="http://127.0.0.1:8001")
    links = {"reviewer-1": "http://127.0.0.1:8002/review/actions/t1"}
    open_ = _review()
    decided = _review()
    first = _decision("approve")
    decided.decisions.append(first)
    completed = _review(state="changes_requested", closed_at=NOW)
    last = _decision("request_changes")
    completed.decisions.append(last)
    cancelled = _review(state="cancelled", closed_at=NOW,
                        closed_reason="The operation was cancelled.")
    moved = Reassignment(id="m", previous_reviewers=["reviewer-3"], reviewers=["reviewer-1"],
                         reason="On leave.", by_sub="admin-1", by_name="Alex Admin", at=NOW)
    return {
        "review.requested": payloads.review_requested(open_, settings, links),
        "review.reminder": payloads.review_reminder(open_, settings, links),
        "review.overdue": payloads.review_overdue(open_, settings),
        "review.reassigned": payloads.review_reassigned(open_, settings, moved, links),
        "review.superseded": payloads.review_superseded(open_, str(uuid.uuid4())),
        "review.cancelled": payloads.review_cancelled(cancelled, settings),
        "review.decided": payloads.review_decided(decided, first),
        "review.completed": payloads.review_completed(completed, last),
    }


def authoring_events() -> dict[str, dict]:
    """As the authoring service builds them (cias, decisions, foi, legacy, foi_requests)."""
    content = json.loads((REPO / "examples" / "cia-content.json").read_text())
    brief = {"cia_id": CIA, "version": 1, "operation_reference": REF}
    foi = {"request_id": str(uuid.uuid4()), "reference": "01.FOI.26.000123", "state": "open",
           "received_on": "2026-05-01", "due_on": "2026-05-30", "questions": 3}
    template = {"template": {"kind": "cia", "version": 2, "sha256": SHA}}
    return {
        "cia.created": brief,
        "cia.updated": brief,
        "cia.submitted": {
            **brief, "operation_id": OP, "operation_name": "Oxford Street LFR",
            "title": "Community Impact Assessment — Oxford Street", "borough": "Westminster",
            "use_case": "crime_hotspot", "planned_start": "2026-06-01T10:00:00Z",
            "planned_end": "2026-06-01T18:00:00Z", "ward": "West End",
            "location_name": "Oxford Circus", "author": PLANNER, "last_editor": PLANNER,
            "submitted_by": PLANNER, "requested_reviewers": ["reviewer-1"],
            "content_hash": SHA, "content": content},
        "cia.amended": {**brief, "version": 2, "amended_from": 1, "reason": "New intelligence."},
        "cia.revised": {**brief, "version": 2, "revised_from": 1, "reason": "As asked."},
        "cia.withdrawn": {**brief, "operation_id": OP, "previous_status": "submitted",
                          "reason": f"Operation {REF} was cancelled."},
        "cia.changes_requested": {**brief, "review_id": str(uuid.uuid4())},
        "cia.rejected": {**brief, "review_id": None},
        "cia.approval_blocked": {**brief, "review_id": "r-1", "reason": "Not authorised."},
        "cia.approved": {**brief, "review_id": "r-1", "documents": [
            {"kind": "full", "format": "docx", "sha256": SHA},
            {"kind": "disclosure", "format": "docx", "sha256": SHA}]},
        "operation.completed": {"operation_id": OP, "operation_reference": REF, "cia_id": CIA,
                                "version": 2},
        "disclosure.released": {**brief, "released_by": FOI, "docx_sha256": SHA,
                                "pdf_sha256": None, "note": None},
        "disclosure.rerendered": {**brief, "kind": "disclosure", "format": "docx",
                                  "reason": "censor rule r-1 changed", "docx_sha256": SHA,
                                  "previous": {"docx": SHA, "template": None, "pdf": SHA},
                                  "rules": ["r-1"], "release_withdrawn": True, **template},
        "disclosure.needs_review": {**brief, "docx_sha256": SHA, "reason": "rule r-1 changed"},
        "disclosure.rules_changed": {"rule_id": "r-1", "cia_id": None, "action": "created",
                                     "revision": 1, "by": FOI},
        "disclosure.release_terms_changed": {"term_id": "t-1", "cia_id": CIA, "action": "created",
                                             "revision": 1, "by": FOI},
        "disclosure.rerender_requested": {"cia_id": CIA, "version": 1, "rule_id": None,
                                          "force": True, "cause": "the name register"},
        "legacy_document.added": {"document_id": "d-1", "operation_id": OP,
                                  "operation_reference": REF, "format": "pdf", "sha256": SHA,
                                  "size": 48213, "source": "upload", "added_by": FOI},
        "legacy_document.redacted": {"document_id": "d-1", "redaction_id": "x-1", "kind": "area",
                                     "exemption": "s.31(1)(a)(b)", "redacted_sha256": SHA,
                                     "by": FOI},
        "legacy_document.page_confirmed": {"document_id": "d-1", "page": 2,
                                           "redacted_sha256": SHA, "by": FOI},
        "legacy_document.released": {"document_id": "d-1", "operation_id": OP,
                                     "operation_reference": REF, "format": "pdf",
                                     "released_sha256": None,
                                     "published_url": "https://example.org/foi/d-1",
                                     "note": None, "released_by": FOI},
        "foi.request.received": foi,
        "foi.request.due_soon": {**foi, "working_days_left": 3},
        "foi.request.overdue": {**foi, "working_days_late": 1},
        "foi.request.sent": {**foi, "state": "sent", "sent_on": "2026-05-28",
                             "within_deadline": True},
    }


def produced() -> dict[str, dict]:
    return {**authoring_events(), **review_events(),
            "subscription.disabled": {"subscription_id": "s-1", "reason": "kept failing"}}


PRODUCED = produced()


def event_of(event_type: str, data: dict) -> CloudEvent:
    return CloudEvent(type=event_type, source=CONTRACTS[event_type].source, subject=CIA,
                      data=data)


# ------------------------------------------------------------------ the registry

def _publishes(node: ast.Call) -> bool:
    """``.emit(type, ...)``, or a ``DomainEvent(type, subject, data)`` recorded with data."""
    if isinstance(node.func, ast.Attribute) and node.func.attr == "emit":
        return bool(node.args)
    if isinstance(node.func, ast.Name) and node.func.id == "DomainEvent":
        data = node.args[2] if len(node.args) > 2 else next(
            (k.value for k in node.keywords if k.arg == "data"), None)
        return data is not None and not (isinstance(data, ast.Constant) and data.value is None)
    return False


def _emitted_literals() -> set[str]:
    """Event types the services publish (see ``_publishes``): literals, and names of
    module constants holding one."""
    found = set()
    for path in SERVICES.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                     for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _publishes(node):
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    found.add(arg.value)
                elif isinstance(arg, ast.Name) and arg.id in constants:
                    found.add(constants[arg.id])
    return found


def test_every_event_type_the_services_emit_has_a_contract():
    emitted = _emitted_literals()
    assert {"cia.submitted", "review.completed", "subscription.disabled"} <= emitted
    assert emitted - set(CONTRACTS) == set()


def test_every_contract_names_a_type_some_service_emits():
    source = "\n".join(p.read_text(encoding="utf-8") for p in SERVICES.rglob("*.py"))
    assert [t for t in CONTRACTS if f'"{t}"' not in source] == []


def test_topics_and_sources_are_the_services_own():
    from cia_authoring import settings as authoring_settings
    from cia_notifier.deliveries.loop import SOURCE as NOTIFIER_SOURCE
    from cia_review.reviews.service import SOURCE as REVIEW_SOURCE
    assert contracts.TOPICS == EVENT_TOPICS
    assert contracts.SOURCES == {"authoring": authoring_settings.SOURCE,
                                 "review": REVIEW_SOURCE, "notifier": NOTIFIER_SOURCE}


def test_declared_consumers_are_the_workers_handlers():
    from cia_authoring.worker import worker_spec
    from cia_notifier.worker import SUBSCRIBED_TOPICS
    from cia_review.worker import build_spec
    from cia_common.config import load_config
    authoring = worker_spec({})
    review = build_spec(load_config("review", {"DATABASE_URL": "sqlite://", "CIA_ENV": "test"}))
    for service, spec in (("authoring", authoring), ("review", review)):
        assert {t for t, c in CONTRACTS.items() if service in c.consumers} == set(spec.handlers)
        assert sorted(spec.subscribe_to) == sorted(EVENT_TOPICS[p] for p in READS[service])
    assert sorted(SUBSCRIBED_TOPICS) == sorted(EVENT_TOPICS[p] for p in READS["notifier"])


# ------------------------------------------------------------------ producer → consumers

@pytest.mark.parametrize("event_type", sorted(CONTRACTS))
def test_what_the_producer_builds_meets_the_contract_and_the_asyncapi(event_type):
    assert set(PRODUCED) == set(CONTRACTS)
    data = PRODUCED[event_type]
    assert CONTRACTS[event_type].errors(data) == {}
    assert problems(event_of(event_type, data).to_dict()) == []


@pytest.mark.parametrize("event_type", sorted(CONTRACTS))
def test_what_the_producer_builds_loads_in_every_consumer(event_type):
    data = PRODUCED[event_type]
    contract = CONTRACTS[event_type]
    for consumer in receivers(contract):
        if consumer == "notifier":
            # The notifier reads it raw: recipients by subject, and a Teams card.
            event = event_of(event_type, data).to_dict()
            assert wants(["*"], None, event_type, data)
            card = teams_message(event)
            assert card["attachments"][0]["content"]["type"] == "AdaptiveCard"
            if "reviewers" in data:
                assert names_recipient(data, data["reviewers"][0])
        else:
            loaded = contract.load(data)
            assert set(loaded) >= set(contract.schema().fields)
            for name in contract.schema.consumer_requires:
                assert loaded[name] is not None


def test_review_reads_cia_submitted_as_typed_data():
    loaded = contracts.load("cia.submitted", {**PRODUCED["cia.submitted"], "added_later": 1})
    assert "added_later" not in loaded
    assert loaded["planned_start"] == datetime(2026, 6, 1, 10, tzinfo=timezone.utc)
    assert loaded["author"]["sub"] == "planner-1" and loaded["version"] == 1
    # The content reaches the action page exactly as written (dates stay text).
    assert loaded["content"] == PRODUCED["cia.submitted"]["content"]


def test_authoring_reads_review_completed_as_typed_data():
    loaded = contracts.load("review.completed", PRODUCED["review.completed"])
    assert loaded["outcome"] == "changes_requested"
    assert loaded["decided_by"] == {"sub": "reviewer-1", "name": "Robin Reviewer"}
    assert loaded["section_comments"] == [{"section": "risks", "comment": "Add protest."}]


def test_consumers_take_events_from_before_a_field_existed_but_not_without_their_keys():
    old = {"cia_id": CIA, "version": "2", "planned_start": "2026-06-01T10:00:00"}
    loaded = contracts.load("cia.submitted", old)
    assert loaded["version"] == 2 and loaded["content"] is None
    assert loaded["planned_start"].tzinfo == timezone.utc  # the contract says UTC
    with pytest.raises(ValidationError) as missing:
        contracts.load("cia.submitted", {"version": 1})
    assert "cia_id" in missing.value.messages
    with pytest.raises(ValidationError) as unknown:
        contracts.load("review.completed", {"cia_id": CIA, "version": 1, "outcome": "maybe"})
    assert "outcome" in unknown.value.messages


# ------------------------------------------------------------------ emit refuses broken data

@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'events.db'}")
    platform_metadata.create_all(database.engine)
    yield database
    database.dispose()


def _outbox_rows(db) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one()


def test_emit_writes_data_that_meets_the_contract(db):
    with db.unit_of_work(source="/cia-workflow/review", topic="cia.review.events") as uow:
        uow.emit("review.completed", CIA, PRODUCED["review.completed"])
        uow.commit()
    assert _outbox_rows(db) == 1


@pytest.mark.parametrize("source,event_type,data,error", [
    # A field renamed on the producer's side.
    ("/cia-workflow/review", "review.completed",
     {**{k: v for k, v in PRODUCED["review.completed"].items() if k != "outcome"},
      "result": "approved"}, EventDataError),
    ("/cia-workflow/authoring", "cia.submitted",
     {**PRODUCED["cia.submitted"], "version": "first"}, EventDataError),
    # The content travels whole, and valid.
    ("/cia-workflow/authoring", "cia.submitted",
     {**PRODUCED["cia.submitted"], "content": {"header": {"title": ""}}}, EventDataError),
    ("/cia-workflow/authoring", "cia.approval_granted", {"cia_id": CIA}, UnregisteredEvent),
    # Only review speaks for review.
    ("/cia-workflow/authoring", "review.completed", PRODUCED["review.completed"],
     UnregisteredEvent),
])
def test_emit_refuses_data_that_breaks_the_contract_and_writes_nothing(db, source, event_type,
                                                                       data, error):
    with db.unit_of_work(source=source, topic="t") as uow:
        with pytest.raises(error) as refused:
            uow.emit(event_type, CIA, data)
        uow.commit()
    assert refused.value.event_type == event_type
    assert _outbox_rows(db) == 0
