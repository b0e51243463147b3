"""FOI request cases: plain functions over a unit of work (no HTTP).

States: ``open`` (the clock runs, answers are written) ⇄ ``awaiting_clarification``
(s.1(3): paused; the clarification's date restarts the clock) → ``awaiting_approval``
(every question answered) → ``approved`` (by a second FOI officer, never one who
drafted it) → ``sent`` (the letter stored as sent; within the deadline or not).

The record stays true:

- a date of receipt, of a clarification asked for or received, or of an extension
  lies between the receipt and today; a response is sent on or after the day it
  was approved and not after today (otherwise 422 naming the field);
- any change after submission (an answer, an extension, a clarification) sends a
  submitted or approved draft back to ``open``: it is approved again;
- approving records the SHA-256 of the letter (dated the day of approval) and of
  the attachments' manifest; ``send`` makes both again and refuses (409) if either
  differs — a copy re-rendered, a name registered — until it is approved again;
- ``send`` also refuses (409) a letter the worker has not yet read by sight, or whose
  reading found what the redaction withholds on a page no FOI officer confirmed
  (``letter_checks``).

At ``send`` the public entry, the letter and the attachments are stored as
published snapshots (``cia_authoring.published``), all through the public redactor:
the public log's process serves those and nothing else.

Events (through the outbox, subject and key the request id): ``foi.request.received``,
``foi.request.sent``; ``foi.request.due_soon`` and ``foi.request.overdue`` come
from the worker (``jobs``). No event carries the requester's details.
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import Conflict, Forbidden, InvalidContent, NotFound, Unavailable

from cia_common.events import utcnow
from cia_authoring.foi_requests import answers as kinds
from cia_authoring.foi_requests import clock, disclosure_log, letter, letter_checks
from cia_authoring.foi_requests.models import (APPROVED, AWAITING_APPROVAL, AWAITING_CLARIFICATION, OPEN, SENT, FoiAnswer,
                     FoiRequest, FoiRequestDocument)

RECEIVED = "foi.request.received"
DUE_SOON = "foi.request.due_soon"
OVERDUE = "foi.request.overdue"
SENT_EVENT = "foi.request.sent"
EVENT_TYPES = (RECEIVED, DUE_SOON, OVERDUE, SENT_EVENT)


def now() -> datetime:
    """The case's clock (one place, so a test can set it)."""
    return utcnow()


def today() -> date:
    return now().astimezone(kinds.LONDON).date()


def _within(pointer: str, day: date, earliest: date, what: str, earliest_is: str) -> None:
    """422 naming ``pointer`` unless ``earliest`` ≤ ``day`` ≤ today."""
    if day > today():
        raise InvalidContent([{"pointer": pointer,
                               "detail": f"{what} cannot be after today ({today()})."}])
    if day < earliest:
        raise InvalidContent([{"pointer": pointer, "detail": f"{what} cannot be before "
                                                             f"{earliest_is} ({earliest})."}])


def _reopen(req: FoiRequest) -> bool:
    """A submitted or approved draft that changed goes back to ``open``."""
    if req.state not in (AWAITING_APPROVAL, APPROVED):
        return False
    req.state = OPEN
    req.submitted_at = None
    req.approved_at = req.approved_on = req.approved_by_sub = req.approved_by_name = None
    req.approved_letter_sha256 = req.approved_attachments_sha256 = None
    return True


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
    if received > today():
        raise InvalidContent([{"pointer": "/received_on",
                               "detail": f"A request cannot be received after today ({today()})."}])
    due = clock.due_on(received)
    requester = data["requester"]
    req = FoiRequest(reference=data["reference"], received_on=received,
                     requester_name=requester["name"], requester_email=requester["email"],
                     requester_address=requester.get("address"),
                     requester_phone=requester.get("phone"),
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
    if req.state not in (OPEN, AWAITING_APPROVAL, APPROVED):
        raise Conflict(f"Clarification can be asked of a request not yet sent nor already "
                       f"awaiting one; this one is {req.state}.", state=req.state)
    on = on or today()
    _within("/requested_on", on, req.received_on, "A clarification", "the request was received")
    reopened = _reopen(req)
    req.state = AWAITING_CLARIFICATION
    req.clarification_requested_on = on
    req.clarification_note = note
    _log(req, actor, "clarification_requested", on=on.isoformat(), reopened=reopened)
    return req


def clarified(uow: UnitOfWork, request_id: str, received_on: date, actor) -> FoiRequest:
    """The clarification arrived on ``received_on``: the clock starts again from it."""
    req = _lock(uow.session, request_id)
    if req.state != AWAITING_CLARIFICATION:
        raise Conflict(f"The request is not awaiting clarification; it is {req.state}.",
                       state=req.state)
    _within("/received_on", received_on, req.clarification_requested_on,
            "A clarification's arrival", "it was asked for")
    req.state = OPEN
    req.clarified_on = req.clock_started_on = received_on
    req.statutory_due_on = clock.due_on(received_on)
    req.due_on = clock.due_on(received_on, req.extension_working_days)
    _log(req, actor, "clarified", on=received_on.isoformat(), due_on=req.due_on.isoformat())
    return req


def extend(uow: UnitOfWork, request_id: str, working_days: int, reason: str, actor,
           on: date | None = None) -> FoiRequest:
    """s.10(3): a public-interest extension, at most 20 working days in all, granted
    ``on`` (default today)."""
    req = _lock(uow.session, request_id)
    if req.state in (SENT, AWAITING_CLARIFICATION):
        raise Conflict(f"A {req.state} request cannot be extended.", state=req.state)
    on = on or today()
    _within("/granted_on", on, req.received_on, "An extension", "the request was received")
    total = req.extension_working_days + working_days
    if total > clock.MAX_EXTENSION_WORKING_DAYS:
        raise InvalidContent([{"pointer": "/working_days", "detail": (
            f"An extension under s.10(3) is at most {clock.MAX_EXTENSION_WORKING_DAYS} working "
            f"days in all; {req.extension_working_days} already granted.")}])
    req.extension_working_days = total
    req.extension_reason = "\n".join(filter(None, [req.extension_reason, reason]))
    req.due_on = clock.due_on(req.clock_started_on, total)
    reopened = _reopen(req)
    _log(req, actor, "extended", working_days=working_days, on=on.isoformat(),
         due_on=req.due_on.isoformat(), reopened=reopened)
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
    reopened = _reopen(req)  # a changed answer needs a fresh approval
    _log(req, actor, "answered", question=number, kind=body["kind"], reopened=reopened)
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


def approve(uow: UnitOfWork, request_id: str, actor, cfg: dict) -> FoiRequest:
    """Approve the letter (dated today) and the attachments as they are now: their
    SHA-256 are recorded. An approved response may be approved again, by a second
    officer too, after ``send`` refused it as changed."""
    session = uow.session
    req = _lock(session, request_id)
    if req.state not in (AWAITING_APPROVAL, APPROVED):
        raise Conflict(f"The request is not awaiting approval; it is {req.state}.", state=req.state)
    if actor.sub in req.drafters:
        raise Forbidden("A response is approved by a second FOI officer, not by one who drafted it.")
    approved_on = today()
    resolved = letter.resolve(session, req, get_answers(session, req.id), cfg)
    made = make_letter(session, req, resolved, cfg, approved_on)
    req.state = APPROVED
    req.approved_at, req.approved_on = now(), approved_on
    req.approved_by_sub, req.approved_by_name = actor.sub, actor.name
    req.approved_letter_sha256 = hashlib.sha256(made.docx).hexdigest()
    req.approved_attachments_sha256 = attachments_sha256(resolved)
    _log(req, actor, "approved", letter_sha256=req.approved_letter_sha256,
         attachments_sha256=req.approved_attachments_sha256)
    return req


def attachment_manifest(resolved: letter.Resolved) -> list[dict]:
    """What is attached: each copy and legacy document by the SHA-256 of its files."""
    return [*({"cia_id": c.item.cia_id, "version": c.item.version,
               "docx_sha256": c.item.docx_sha256, "pdf_sha256": c.item.pdf_sha256}
              for c in resolved.attached_copies),
            *({"legacy_document_id": d.item.document.id, "sha256": d.item.document.sha256}
              for d in resolved.attached_legacy)]


def attachments_sha256(resolved: letter.Resolved) -> str:
    return hashlib.sha256(json.dumps(attachment_manifest(resolved), sort_keys=True)
                          .encode("utf-8")).hexdigest()


def send(uow: UnitOfWork, request_id: str, actor, cfg: dict, sent_on: date | None = None) -> FoiRequest:
    """Record the response as sent: the letter approved is stored as sent with the
    copies attached, and the public entry, letter and attachments are published,
    in the same transaction."""
    session = uow.session
    req = _lock(session, request_id)
    if req.state != APPROVED:
        raise Conflict(f"Only an approved response is sent; this one is {req.state}.",
                       state=req.state)
    sent_on = sent_on or today()
    _within("/sent_on", sent_on, max(req.approved_on, req.received_on), "A response",
            "the day it was approved")
    resolved = letter.resolve(session, req, get_answers(session, req.id), cfg)
    made = make_letter(session, req, resolved, cfg, req.approved_on)
    docx = made.docx
    changed = [what for what, now_, then in (
        ("letter", hashlib.sha256(docx).hexdigest(), req.approved_letter_sha256),
        ("attachments", attachments_sha256(resolved), req.approved_attachments_sha256))
        if now_ != then]
    if changed:
        raise Conflict(f"The {' and the '.join(changed)} changed since the approval (a copy "
                       "rendered again, a name or rule added): look at the redactions and "
                       "approve again.", changed=changed)
    # Read by sight (the worker's letter_checks.CheckLetters) and found clean, or its
    # pages with a hit confirmed; the attached copies passed their own check.
    letter_checks.gate(session, req, resolved, cfg)
    session.merge(FoiRequestDocument(request_id=req.id, format="docx", data=docx, size=len(docx),
                                     sha256=hashlib.sha256(docx).hexdigest(), created_at=utcnow()))
    req.sent_attachments = attachment_manifest(resolved)
    req.state = SENT
    req.sent_on, req.sent_at = sent_on, now()
    req.sent_by_sub, req.sent_by_name = actor.sub, actor.name
    req.within_deadline = sent_on <= req.due_on
    req.within_statutory_period = sent_on <= req.statutory_due_on
    _log(req, actor, "sent", on=sent_on.isoformat(), within_deadline=req.within_deadline,
         exemptions=resolved.exemptions())
    disclosure_log.publish(session, req, resolved, docx, cfg)
    session.flush()
    uow.emit(SENT_EVENT, req.id, event_data(req, sent_on=sent_on.isoformat(),
                                            within_deadline=req.within_deadline))
    return req


def make_letter(session: Session, req: FoiRequest, resolved, cfg: dict,
                letter_date: date | None = None) -> letter.Letter:
    """The letter dated ``letter_date`` (default: the day it was approved, else today)."""
    try:
        return letter.make(session, req, resolved, cfg,
                           letter_date or req.approved_on or today())
    except (letter.TemplateError, OSError) as exc:
        # The force's template, not the request, is at fault: nothing is stored.
        raise Unavailable(f"The response letter cannot be made: {exc}", retry_after=300) from None


def render_letter(session: Session, req: FoiRequest, resolved, cfg: dict,
                  letter_date: date | None = None) -> bytes:
    return make_letter(session, req, resolved, cfg, letter_date).docx


def redactions(session: Session, request_id: str, cfg: dict) -> dict:
    """What the letter (as it would be approved today, or as approved) and the
    attachments withhold: each redaction with the redacted form of its text, never
    the value, the detector that found it and the exemption."""
    req = get(session, request_id)
    resolved = letter.resolve(session, req, get_answers(session, req.id), cfg)
    made = make_letter(session, req, resolved, cfg)
    letter_entries = [{"where": "letter", "pointer": e["pointer"], "detector": e["detector"],
                       "exemption": e["exemption"], "rule_id": e.get("rule_id"),
                       "reason": e["reason"], "context": made.redacted.get(e["pointer"])}
                      for e in made.log]
    attached = []
    for c in resolved.attached_copies:
        attached.append({"file": c.item.folder, "kind": "cia", "cia_id": c.item.cia_id,
                         "version": c.item.version, "redactions": c.redactions,
                         "log": kinds.copy_log(session, c.item.cia_id, c.item.version)})
    for d in resolved.attached_legacy:
        attached.append({"file": d.item.folder, "kind": "legacy",
                         "legacy_document_id": d.item.document.id, "redactions": d.redactions,
                         "log": kinds.legacy_log(session, d.item.document.id)})
    return {"request_id": req.id, "state": req.state,
            "letter_sha256": hashlib.sha256(made.docx).hexdigest(),
            "attachments_sha256": attachments_sha256(resolved),
            "approved_letter_sha256": req.approved_letter_sha256,
            "approved_attachments_sha256": req.approved_attachments_sha256,
            "letter": letter_entries, "attachments": attached}


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
        "requester": {"name": req.requester_name, "email": req.requester_email,
                      "address": req.requester_address, "phone": req.requester_phone},
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
        "approved_at": req.approved_at, "approved_on": req.approved_on,
        "approved_letter_sha256": req.approved_letter_sha256,
        "approved_attachments_sha256": req.approved_attachments_sha256,
        "sent_on": req.sent_on, "within_deadline": req.within_deadline,
        "within_statutory_period": req.within_statutory_period,
        "history": req.history, "created_at": req.created_at, "updated_at": req.updated_at,
    }
