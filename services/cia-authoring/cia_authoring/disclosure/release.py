"""The release gate: an FOI officer releases a disclosure copy.

Releasing records who, when and the SHA-256 of exactly the files released, in
the copy's row and in the CIA's audit trail, and emits ``disclosure.released``.
A copy still waiting for the worker to apply changed censor rules cannot be
released (409); nor can one already released; a superseded version's copy is
released only with ``confirm_superseded``. A copy in ``needs_review`` (released,
then rendered again because it now redacts more) is released again by a person.
A copy is released only once the worker has read it by sight
(``disclosure.sight_checks``): not yet read, 409 ``checking`` with the progress;
read and found holding what the redaction withholds, 409 naming the pages and the
kinds of hit until an FOI officer has confirmed each page after its preview.
"""
from __future__ import annotations

import sqlalchemy as sa

from cia_common.db import DomainEvent, UnitOfWork
from cia_common.errors import Conflict, NotFound

from cia_authoring.cias import audit
from cia_authoring.documents import service as rendering
from cia_authoring.domain import SUPERSEDED
from cia_authoring.cias.models import CiaVersion
from cia_common.events import utcnow
from cia_authoring.disclosure import copies, sight_checks
from cia_redaction import rules as censor
from cia_authoring.disclosure import censor_rules as rules_service
from cia_authoring.disclosure.models import PENDING_RELEASE, RELEASED, DisclosureCopy

RELEASED_ACTION = "disclosure.released"


def release(uow: UnitOfWork, cia_id: str, number: int, actor, note: str | None = None,
            confirm_superseded: bool = False, *, cfg: dict) -> None:
    session = uow.session
    cia = audit.lock_cia(session, cia_id)
    docx = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, copies.DOCX) \
        if cia is not None else None
    if docx is None:
        raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
    pdf = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, copies.PDF)
    copy = copies.copy_row(session, cia_id, number)
    wanted = censor.fingerprint(rules_service.applicable(session, cia_id))
    if copies.effective_fingerprint(copy) != wanted:
        raise Conflict("The censor rules of this copy changed and it is being rendered again; "
                       "release it once rerender_pending is false.", state=copies.state_of(copy),
                       rerender_pending=True)
    if copies.state_of(copy) == RELEASED:
        raise Conflict(f"Version {number} of CIA {cia_id} is already released.", state=RELEASED,
                       released_at=copy.released_at.isoformat())
    version = session.execute(sa.select(CiaVersion).where(
        CiaVersion.cia_id == cia_id, CiaVersion.number == number)).scalar_one()
    if version.status == SUPERSEDED and not confirm_superseded:
        raise Conflict(f"Version {number} of CIA {cia_id} was superseded by an amendment; release it "
                       "only on purpose, with confirm_superseded: true.", version_status=SUPERSEDED)
    sight_checks.gate(session, docx.sha256, sight_checks.copy_inputs(session, cia_id, cfg),
                      f"The disclosure copy of version {number}",
                      sight_checks.copy_preview_url(cia_id, number))
    now = utcnow()
    if copy is None:
        # context_sha256 "": still the file rendered at approval (see copies.ensure_current).
        copy = DisclosureCopy(cia_id=cia_id, version=number, state=PENDING_RELEASE,
                              rules_fingerprint=wanted, context_sha256="", render_count=0)
        session.add(copy)
    copy.state = RELEASED
    copy.released_at = copy.updated_at = now
    copy.released_by_sub, copy.released_by_name = actor.sub, actor.name
    copy.release_note = note or None
    copy.released_docx_sha256 = docx.sha256
    copy.released_pdf_sha256 = pdf.sha256 if pdf is not None else None
    session.flush()
    detail = {"docx_sha256": docx.sha256, "pdf_sha256": copy.released_pdf_sha256,
              "note": copy.release_note}
    uow.record(DomainEvent(
        RELEASED_ACTION, cia_id, {
            "cia_id": cia_id, "version": number, "operation_reference": cia.operation.reference,
            "released_by": {"sub": actor.sub, "name": actor.name}, **detail},
        actor=actor, version=number, content_sha256=version.content_sha256, detail=detail))
