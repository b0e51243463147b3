"""The response letter checked by sight before it is sent (``disclosure.sight_checks``).

Once a response is approved, the worker (``CheckLetters``) makes the approved letter
again (the same bytes: ``letter.settled``), has LibreOffice render it and reads every
page back by OCR under the letter's own redactor (the public redactor with the
requester and the legacy documents' terms): a template that draws a withheld value
as a picture, or prints one by a field, is found there. ``gate`` refuses the send
(409) until the letter is read and clean, or its pages with a hit confirmed by an FOI
officer after their preview; the attached disclosure copies must have passed their
own check (they were released after it).
"""
from __future__ import annotations

import hashlib
import logging
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import Database
from cia_common.errors import Conflict, NotFound
from cia_redaction import docx as docx_pass

from cia_authoring.disclosure import censor_rules, sight_checks
from cia_authoring.disclosure.models import CHECKING, CLEAN, FAILED, HITS, SightCheck
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf
from cia_authoring.foi_requests import letter
from cia_authoring.foi_requests.models import APPROVED, FoiAnswer, FoiRequest
from cia_authoring.legacy import service as legacy

log = logging.getLogger(__name__)


def inputs(session: Session, cfg: dict) -> str:
    """What a letter's check is read under: every active censor rule and term."""
    return sight_checks.fingerprint([*censor_rules.active(session), *legacy.all_terms(session)],
                                    cfg)


def preview_url(request_id: str) -> str:
    return f"/api/v1/foi-requests/{request_id}/response/pages/{{n}}.png"


def subject(session: Session, req: FoiRequest, cfg: dict) -> sight_checks.Subject:
    return sight_checks.Subject(sight_checks.LETTER, req.id, req.approved_letter_sha256,
                                inputs(session, cfg))


def check_of(session: Session, req: FoiRequest, cfg: dict) -> SightCheck | None:
    if not req.approved_letter_sha256:
        return None
    return sight_checks.current(session, req.approved_letter_sha256, inputs(session, cfg))


def gate(session: Session, req: FoiRequest, resolved, cfg: dict) -> None:
    """409 unless the approved letter and every attached copy passed the check by sight."""
    sight_checks.gate(session, req.approved_letter_sha256, inputs(session, cfg),
                      "The response letter", preview_url(req.id))
    for c in resolved.attached_copies:
        sight_checks.gate(session, c.item.docx_sha256,
                          sight_checks.copy_inputs(session, c.item.cia_id, cfg),
                          f"The attached disclosure copy {c.item.folder}",
                          sight_checks.copy_preview_url(c.item.cia_id, c.item.version))


def approved_letter(session: Session, req: FoiRequest, cfg: dict) -> bytes | None:
    """The approved letter made again; None if it is no longer the one approved."""
    answers = list(session.scalars(sa.select(FoiAnswer).where(FoiAnswer.request_id == req.id)
                                   .order_by(FoiAnswer.number)))
    try:
        made = letter.make(session, req, letter.resolve(session, req, answers, cfg), cfg,
                           req.approved_on)
    except (letter.TemplateError, OSError):
        return None
    if hashlib.sha256(made.docx).hexdigest() != req.approved_letter_sha256:
        return None
    return made.docx


def unchecked(session: Session, cfg: dict, limit: int = 10) -> list[sight_checks.Subject]:
    # Every approved letter not yet sent is looked at (they are few: the requests
    # between approval and sending); the limit applies to those due, so letters
    # checked and waiting to be sent never hide one that is not.
    rows = session.execute(sa.select(FoiRequest).where(
        FoiRequest.state == APPROVED, FoiRequest.approved_letter_sha256.is_not(None))
        .order_by(FoiRequest.approved_at)).scalars()
    out = []
    for req in rows:
        row = check_of(session, req, cfg)
        if row is None or row.state in (CHECKING, FAILED):
            out.append(subject(session, req, cfg))
            if len(out) >= limit:
                break
    return out


def check_letter(db: Database, cfg: dict, wanted: sight_checks.Subject) -> SightCheck | None:
    with db.sessions() as session:
        req = session.get(FoiRequest, wanted.subject_id)
        if req is None or req.state != APPROVED or req.approved_letter_sha256 != wanted.sha256:
            return None
        docx = approved_letter(session, req, cfg)
        if docx is None:
            return None  # changed since the approval: send refuses it anyway
        redactor = letter.redactor_for(session, req, cfg)
    pdf = docx_to_pdf(docx, timeout_s=float(cfg.get("PDF_TIMEOUT_SECONDS") or 120),
                      soffice=cfg.get("SOFFICE"))
    return sight_checks.check_file(db, cfg, wanted, pdf, docx_pass.said(docx), redactor)


class CheckLetters:
    """The worker's periodic job: read one approved letter by sight per call."""
    IDLE_S = 2.0
    RETRY_S = 60.0

    def __init__(self) -> None:
        self.__name__ = "check_letters_by_sight"
        self.failed: dict[str, float] = {}

    def __call__(self, db: Database, cfg: dict) -> float:
        now = time.monotonic()
        with db.sessions() as session:
            due = [s for s in unchecked(session, cfg) if self.failed.get(s.sha256, 0) <= now]
        if not due:
            return self.IDLE_S
        wanted = due[0]
        try:
            row = check_letter(db, cfg, wanted)
        except PdfConversionError as exc:
            log.warning("FOI request %s: the letter could not be rendered (%s)", wanted.subject_id,
                        exc)
            row = None
        if row is None or row.state not in (CLEAN, HITS):
            self.failed[wanted.sha256] = now + self.RETRY_S
        return 0.01 if len(due) > 1 else self.IDLE_S


def preview(unit_of_work, request_id: str, page: int, cfg: dict) -> bytes:
    """A page of the approved letter as LibreOffice renders it, its hits boxed."""
    with unit_of_work() as uow:
        req = uow.session.get(FoiRequest, request_id)
        if req is None:
            raise NotFound(f"FOI request {request_id}")
        if req.state != APPROVED:
            raise Conflict("Only an approved letter is checked by sight before it is sent.",
                           state=req.state)
        row = check_of(uow.session, req, cfg)
        found = list(row.findings or []) if row is not None else []
        docx = approved_letter(uow.session, req, cfg)
        sha = req.approved_letter_sha256
    if docx is None:
        raise Conflict("The letter changed since the approval: approve it again.")
    pdf = docx_to_pdf(docx, timeout_s=float(cfg.get("PDF_TIMEOUT_SECONDS") or 120),
                      soffice=cfg.get("SOFFICE"))
    try:
        png = sight_checks.preview_of(pdf, found, page, cfg)
    except IndexError:
        raise NotFound(f"Page {page} of the letter") from None
    with unit_of_work() as uow:
        sight_checks.record_preview(uow.session, sha, page)
        uow.commit()
    return png


def confirm(uow, request_id: str, page: int, cfg: dict) -> FoiRequest:
    session = uow.session
    req = session.get(FoiRequest, request_id)
    if req is None:
        raise NotFound(f"FOI request {request_id}")
    if req.state != APPROVED:
        raise Conflict("Only an approved letter's pages are confirmed.", state=req.state)
    sight_checks.confirm(session, req.approved_letter_sha256, inputs(session, cfg), page,
                         preview_url(req.id))
    return req
