"""FOI request cases: plain functions over a unit of work (no HTTP).

States: ``open`` (the clock runs, answers are written) ⇄ ``awaiting_clarification``
(s.1(3): paused; the clarification's date restarts the clock) → ``awaiting_approval``
(every question answered) → ``approved`` (by a second FOI officer, never one who
drafted it) → ``sent`` (the letter stored as sent; within the deadline or not).
An approved or submitted draft goes back to ``open`` when an answer changes.

Events (through the outbox, subject and key the request id): ``foi.request.received``,
``foi.request.sent``; ``foi.request.due_soon`` and ``foi.request.overdue`` come
from the worker (``jobs``). No event carries the requester's details.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import Conflict, Forbidden, InvalidContent, NotFound, Unavailable

from cia_common.events import utcnow
from cia_authoring.foi_requests import answers as kinds
from cia_authoring.foi_requests import clock, letter
from cia_authoring.foi_requests.models import (APPROVED, AWAITING_APPROVAL, AWAITING_CLARIFICATION, OPEN, SENT, FoiAnswer,
                     FoiRequest, FoiRequestDocument)

RECEIVED = "foi.request.received"
DUE_SOON = "foi.request.due_soon"
OVERDUE = "foi.request.overdue"
SENT_EVENT = "foi.request.sent"
EVENT_TYPES = (RECEIVED, DUE_SOON, OVERDUE, SENT_EVENT)


def today() -> date:
    return datetime.now(kinds.LONDON).date()


def event_data(req: FoiRequest, **extra) -> dict:
    """What every foi.request.* event says: the case, never the requester."""
    return {"request_id": req.id, "reference": req.reference, "state": req.state,
            "received_on": req.received_on.isoformat(), "due_on": req.due_on.isoformat(),
            "questions": len(req.questions), **extra}


def _log(req: FoiRequest, actor, action: str, **extra) -> None:
    req.history = [*(req.history or []), {"at": utcnow().isoformat(), "action": action,
                                          "by": {"sub": actor.sub, "name": actor.name}, **extra}]
    req.updated_at = utcnow()


def _lock(session: Session, request_id: str) -> FoiRequest:
    req = session.execute(sa.select(FoiRequest).where(FoiRequest.id == request_id)
                          .with_for_update()).scalar_one_or_none()
    if req is None:
        raise NotFound(f"FOI request {request_id}")
    return req


def get(session: Session, request_id: str) -> FoiRequest:
    req = session.get(FoiRequest, request_id)
    if req is None:
        raise NotFound(f"FOI request {request_id}")
    return req


def get_answers(session: Session, request_id: str) -> list[FoiAnswer]:
    return list(session.scalars(sa.select(FoiAnswer).where(FoiAnswer.request_id == request_id)
                                .order_by(FoiAnswer.number)))


def list_(session: Session, *, state: str | None = None, due_before: date | None = None,
          page: int = 1, page_size: int = 50) -> tuple[list[FoiRequest], int]:
    where = []
    if state:
        where.append(FoiRequest.state == state)
    if due_before:
        where.append(FoiRequest.due_on < due_before)
    total = session.scalar(sa.select(sa.func.count()).select_from(FoiRequest).where(*where))
    rows = session.scalars(sa.select(FoiRequest).where(*where)
                           .order_by(FoiRequest.due_on, FoiRequest.reference)
                           .offset((page - 1) * page_size).limit(page_size))
    return list(rows), total


def due_within(session: Session, working_days: int, on: date | None = None) -> list[FoiRequest]:
    """Unsent cases whose clock runs and whose due date is at most ``working_days`` away."""
    on = on or today()
    limit = clock.add_working_days(on, working_days)
    return list(session.scalars(
        sa.select(FoiRequest).where(FoiRequest.state.in_((OPEN, AWAITING_APPROVAL, APPROVED)),
                                    FoiRequest.due_on <= limit)
        .order_by(FoiRequest.due_on, FoiRequest.reference)))


def create(uow: UnitOfWork, data: dict, actor) -> FoiRequest:
    session = uow.session
    numbers = [q["number"] for q in data["questions"]]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    if dupes:
        raise InvalidContent([{"pointer": f"/questions/{numbers.index(n, numbers.index(n) + 1)}/number",
                               "detail": f"Question {n} is numbered twice."} for n in dupes])
    if session.scalar(sa.select(FoiRequest.id).where(FoiRequest.reference == data["reference"])):
        raise Conflict(f"An FOI request with reference {data['reference']} already exists.")
    received = data["received_on"]
    due = clock.due_on(received)
    req = FoiRequest(reference=data["reference"], received_on=received,
                     requester_name=data["requester"]["name"],
                     requester_email=data["requester"]["email"],
                     questions=sorted(({"number": q["number"], "text": q["text"]}
                                       for q in data["questions"]), key=lambda q: q["number"]),
                     state=OPEN, clock_started_on=received, statutory_due_on=due,
                     extension_working_days=0, due_on=due, drafters=[], history=[],
                     created_by_sub=actor.sub, created_by_name=actor.name)
    session.add(req)
    _log(req, actor, "received")
    session.flush()
    uow.emit(RECEIVED, req.id, event_data(req))
    return req


def request_clarification(uow: UnitOfWork, request_id: str, note: str, on: date | None,
                          actor) -> FoiRequest:
    req = _lock(uow.session, request_id)
    if req.state != OPEN:
        raise Conflict(f"Clarification can be asked of an open request; this one is {req.state}.",
                       state=req.state)
    req.state = AWAITING_CLARIFICATION
    req.clarification_requested_on = on or today()
    req.clarification_note = note
    _log(req, actor, "clarification_requested", on=req.clarification_requested_on.isoformat())
    return req


def clarified(uow: UnitOfWork, request_id: str, received_on: date, actor) -> FoiRequest:
    """The clarification arrived on ``received_on``: the clock starts again from it."""
    req = _lock(uow.session, request_id)
    if req.state != AWAITING_CLARIFICATION:
        raise Conflict(f"The request is not awaiting clarification; it is {req.state}.",
                       state=req.state)
    if received_on < req.clarification_requested_on:
        raise InvalidContent([{"pointer": "/received_on",
                               "detail": "The clarification cannot arrive before it was asked for."}])
    req.state = OPEN
    req.clarified_on = req.clock_started_on = received_on
    req.statutory_due_on = clock.due_on(received_on)
    req.due_on = clock.due_on(received_on, req.extension_working_days)
    _log(req, actor, "clarified", on=received_on.isoformat(), due_on=req.due_on.isoformat())
    return req


def extend(uow: UnitOfWork, request_id: str, working_days: int, reason: str, actor) -> FoiRequest:
    """s.10(3): a public-interest extension, at most 20 working days in all."""
    req = _lock(uow.session, request_id)
    if req.state in (SENT, AWAITING_CLARIFICATION):
        raise Conflict(f"A {req.state} request cannot be extended.", state=req.state)
    total = req.extension_working_days + working_days
    if total > clock.MAX_EXTENSION_WORKING_DAYS:
        raise InvalidContent([{"pointer": "/working_days", "detail": (
            f"An extension under s.10(3) is at most {clock.MAX_EXTENSION_WORKING_DAYS} working "
            f"days in all; {req.extension_working_days} already granted.")}])
    req.extension_working_days = total
    req.extension_reason = "\n".join(filter(None, [req.extension_reason, reason]))
    req.due_on = clock.due_on(req.clock_started_on, total)
    _log(req, actor, "extended", working_days=working_days, due_on=req.due_on.isoformat())
    return req


def answer(uow: UnitOfWork, request_id: str, number: int, body: dict, actor,
           cfg: dict) -> tuple[FoiRequest, FoiAnswer, dict | None]:
    """Record the answer to question ``number``; returns a proposal (``not_held``)
    where a statistics answer finds no figures by IC code for its period."""
    session = uow.session
    req = _lock(session, request_id)
    if number not in {q["number"] for q in req.questions}:
        raise NotFound(f"Question {number} of FOI request {request_id}")
    if req.state in (SENT, AWAITING_CLARIFICATION):
        raise Conflict(f"A {req.state} request takes no answers.", state=req.state)
    if body["kind"] == kinds.DISCLOSED:
        unknown = kinds.unknown_references(session, body)
        if unknown:
            raise InvalidContent([{"pointer": "/operation_references",
                                   "detail": f"No operation has the reference {r}."}
                                  for r in unknown])
    proposal = None
    if body["kind"] == kinds.STATISTICS:
        proposal = kinds.not_held_proposal(kinds.resolve_statistics(session, body, cfg), body)
    row = session.get(FoiAnswer, (req.id, number))
    if row is None:
        row = FoiAnswer(request_id=req.id, number=number)
        session.add(row)
    row.kind = body["kind"]
    row.body = {k: v for k, v in body.items() if k != "kind"}
    row.answered_by_sub, row.answered_by_name, row.answered_at = actor.sub, actor.name, utcnow()
    if actor.sub not in req.drafters:
        req.drafters = [*req.drafters, actor.sub]
    if req.state in (AWAITING_APPROVAL, APPROVED):
        req.state = OPEN  # a changed answer needs a fresh approval
        req.approved_at = req.approved_by_sub = req.approved_by_name = None
    _log(req, actor, "answered", question=number, kind=body["kind"])
    session.flush()
    return req, row, proposal


def submit(uow: UnitOfWork, request_id: str, actor) -> FoiRequest:
    session = uow.session
    req = _lock(session, request_id)
    if req.state != OPEN:
        raise Conflict(f"Only an open request is submitted for approval; this one is {req.state}.",
                       state=req.state)
    answered = {a.number for a in get_answers(session, req.id)}
    missing = [i for i, q in enumerate(req.questions) if q["number"] not in answered]
    if missing:
        raise InvalidContent([{"pointer": f"/questions/{i}",
                               "detail": f"Question {req.questions[i]['number']} has no answer."}
                              for i in missing], detail="Every question needs an answer first.")
    req.state = AWAITING_APPROVAL
    req.submitted_at = utcnow()
    if actor.sub not in req.drafters:
        req.drafters = [*req.drafters, actor.sub]
    _log(req, actor, "submitted_for_approval")
    return req


def approve(uow: UnitOfWork, request_id: str, actor) -> FoiRequest:
    req = _lock(uow.session, request_id)
    if req.state != AWAITING_APPROVAL:
        raise Conflict(f"The request is not awaiting approval; it is {req.state}.", state=req.state)
    if actor.sub in req.drafters:
        raise Forbidden("A response is approved by a second FOI officer, not by one who drafted it.")
    req.state = APPROVED
    req.approved_at = utcnow()
    req.approved_by_sub, req.approved_by_name = actor.sub, actor.name
    _log(req, actor, "approved")
    return req


def send(uow: UnitOfWork, request_id: str, actor, cfg: dict, sent_on: date | None = None) -> FoiRequest:
    """Record the response as sent: the letter is stored as sent (the copy the
    disclosure log publishes) with the copies attached, in the same transaction."""
    session = uow.session
    req = _lock(session, request_id)
    if req.state != APPROVED:
        raise Conflict(f"Only an approved response is sent; this one is {req.state}.",
                       state=req.state)
    sent_on = sent_on or today()
    if sent_on < req.received_on:
        raise InvalidContent([{"pointer": "/sent_on", "detail": "A response is not sent before "
                                                                "the request was received."}])
    resolved = letter.resolve(session, req, get_answers(session, req.id), cfg)
    docx = render_letter(session, req, resolved, cfg, sent_on)
    session.merge(FoiRequestDocument(request_id=req.id, format="docx", data=docx, size=len(docx),
                                     sha256=hashlib.sha256(docx).hexdigest(), created_at=utcnow()))
    req.sent_attachments = [
        *({"cia_id": c.item.cia_id, "version": c.item.version,
           "docx_sha256": c.item.docx_sha256} for c in resolved.attached_copies),
        *({"legacy_document_id": d.item.document.id, "sha256": d.item.document.sha256}
          for d in resolved.attached_legacy)]
    req.state = SENT
    req.sent_on, req.sent_at = sent_on, utcnow()
    req.sent_by_sub, req.sent_by_name = actor.sub, actor.name
    req.within_deadline = sent_on <= req.due_on
    req.within_statutory_period = sent_on <= req.statutory_due_on
    _log(req, actor, "sent", on=sent_on.isoformat(), within_deadline=req.within_deadline,
         exemptions=resolved.exemptions())
    session.flush()
    uow.emit(SENT_EVENT, req.id, event_data(req, sent_on=sent_on.isoformat(),
                                            within_deadline=req.within_deadline))
    return req


def render_letter(session: Session, req: FoiRequest, resolved, cfg: dict,
                  letter_date: date | None = None) -> bytes:
    ctx = letter.context(req, resolved, cfg, letter_date or req.sent_on or today())
    try:
        return letter.render(letter.template_bytes(session, cfg), ctx,
                             force_name=cfg.get("FORCE_NAME") or "", reference=req.reference,
                             cfg=cfg)
    except (letter.TemplateError, OSError) as exc:
        # The force's template, not the request, is at fault: nothing is stored.
        raise Unavailable(f"The response letter cannot be made: {exc}", retry_after=300) from None


def stored_letter(session: Session, request_id: str, fmt: str) -> FoiRequestDocument | None:
    return session.get(FoiRequestDocument, (request_id, fmt))


def store_letter_pdf(uow: UnitOfWork, request_id: str, pdf: bytes) -> None:
    uow.session.merge(FoiRequestDocument(request_id=request_id, format="pdf", data=pdf,
                                         size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
                                         created_at=utcnow()))


def _answer_out(row: FoiAnswer | None) -> dict | None:
    if row is None:
        return None
    return {"kind": row.kind, **row.body, "answered_at": row.answered_at,
            "answered_by": {"sub": row.answered_by_sub, "name": row.answered_by_name}}


def present(req: FoiRequest, answers: list[FoiAnswer]) -> dict:
    by_number = {a.number: a for a in answers}
    on = today()
    return {
        "id": req.id, "reference": req.reference, "state": req.state,
        "received_on": req.received_on, "due_on": req.due_on,
        "statutory_due_on": req.statutory_due_on,
        "working_days_left": (clock.working_days_between(on, req.due_on)
                              if req.state != SENT else 0),
        "requester": {"name": req.requester_name, "email": req.requester_email},
        "questions": [{**q, "answer": _answer_out(by_number.get(q["number"]))}
                      for q in req.questions],
        "clock": {"started_on": req.clock_started_on,
                  "extension_working_days": req.extension_working_days,
                  "extension_reason": req.extension_reason,
                  "clarification_requested_on": req.clarification_requested_on,
                  "clarification_note": req.clarification_note,
                  "clarified_on": req.clarified_on},
        "approved_by": ({"sub": req.approved_by_sub, "name": req.approved_by_name}
                        if req.approved_by_sub else None),
        "approved_at": req.approved_at,
        "sent_on": req.sent_on, "within_deadline": req.within_deadline,
        "within_statutory_period": req.within_statutory_period,
        "history": req.history, "created_at": req.created_at, "updated_at": req.updated_at,
    }
