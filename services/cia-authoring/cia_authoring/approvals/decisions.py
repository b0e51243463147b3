"""Applying review decisions (``review.completed``) to CIA versions.

An approval stores the version's documents (full and disclosure copy) in the same
transaction, or waits for the operation's authorisation. Runs in the worker's
consumer, inside the unit of work the consumer commits together with its inbox
row; nothing here commits.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from cia_common.db import DomainEvent, UnitOfWork
from cia_common.events import CloudEvent
from cia_schemas import contracts

from cia_authoring import domain
from cia_authoring.cias import audit
from cia_authoring.disclosure import rendering as copies
from cia_authoring.documents import service as rendering
from cia_authoring.cias.audit import Actor
from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow

log = logging.getLogger(__name__)


def on_review_completed(uow: UnitOfWork, event: CloudEvent, cfg: dict) -> None:
    data = contracts.load("review.completed", event.data)  # unknown outcome: retried, then DLQ
    cia_id, number, outcome = data["cia_id"], data["version"], data["outcome"]
    new_status = domain.review_outcome_status(outcome)
    cia = audit.lock_cia(uow.session, cia_id)
    if cia is None:
        log.warning("review.completed %s names unknown CIA %s; ignored", event.id, cia_id)
        return
    version = uow.session.execute(
        sa.select(CiaVersion).where(CiaVersion.cia_id == cia_id, CiaVersion.number == number)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if version is None:
        log.warning("review.completed %s names unknown version %s of %s; ignored",
                    event.id, number, cia_id)
        return
    if not domain.review_applies_to(version.status):
        # A replay, or a decision overtaken by events: the first one counted.
        log.info("review.completed %s for %s v%s ignored: version is %s",
                 event.id, cia_id, number, version.status)
        return

    decided = data.get("decided_by") or {}
    actor = Actor(sub=str(decided.get("sub") or "review"),
                  name=str(decided.get("name") or decided.get("sub") or "Reviewer"))
    _record_decision(version, data, outcome, actor)
    op = uow.session.execute(
        sa.select(Operation).where(Operation.id == cia.operation_id)
        .execution_options(populate_existing=True)
    ).unique().scalar_one()

    if new_status == domain.APPROVED:
        reason = domain.approval_blocker(op.status, op.reference)
        if reason:
            _block(uow, cia, version, op, actor, reason, data.get("review_id"))
        else:
            apply_approval(uow, cia, version, op, actor, cfg)
        return

    version.status = new_status
    version.revision += 1
    if new_status == domain.WITHDRAWN:
        version.status_reason = domain.REJECTED_REASON
    cia.updated_at = version.updated_at = utcnow()
    uow.session.flush()
    event_type = "cia.changes_requested" if new_status == domain.CHANGES_REQUESTED else "cia.rejected"
    uow.record(DomainEvent(
        event_type, cia_id, {"cia_id": cia_id, "version": number,
                             "operation_reference": op.reference,
                             "review_id": data.get("review_id")},
        actor=actor, version=number, content_sha256=version.content_sha256,
        detail={"outcome": outcome, "review_id": data.get("review_id"), "status": new_status}))


def _record_decision(version: CiaVersion, data: dict, outcome: str, actor: Actor) -> None:
    version.review_id = str(data.get("review_id")) if data.get("review_id") else None
    version.decision = outcome
    version.decided_at = utcnow()
    version.decided_by_sub = actor.sub
    version.decided_by_name = actor.name
    version.decision_comment = data.get("comment")
    version.section_comments = [
        {"section": str(c.get("section")), "comment": str(c.get("comment"))}
        for c in (data.get("section_comments") or []) if isinstance(c, dict)
    ]


def _block(uow: UnitOfWork, cia: Cia, version: CiaVersion, op: Operation, actor: Actor,
           reason: str, review_id) -> None:
    """Approved by review but the operation is not authorised: hold it as submitted."""
    version.approval_blocked_reason = reason
    version.revision += 1
    version.updated_at = utcnow()
    uow.session.flush()
    uow.record(DomainEvent(
        "cia.approval_blocked", cia.id, {
            "cia_id": cia.id, "version": version.number, "operation_reference": op.reference,
            "review_id": review_id, "reason": reason},
        actor=actor, version=version.number, content_sha256=version.content_sha256,
        detail={"reason": reason, "review_id": review_id}))


def apply_approval(uow: UnitOfWork, cia: Cia, version: CiaVersion, op: Operation, actor: Actor,
                   cfg: dict) -> None:
    """Approve ``version``: supersede the previous approval, render and store the
    documents once, record it all and emit ``cia.approved``. Caller holds the CIA lock."""
    now = utcnow()
    earlier = uow.session.execute(
        sa.select(CiaVersion).where(CiaVersion.cia_id == cia.id,
                                    CiaVersion.status == domain.APPROVED,
                                    CiaVersion.number != version.number)
    ).scalars().all()
    for old in earlier:
        old.status = domain.SUPERSEDED
        old.superseded_at = now
        old.revision += 1
        old.updated_at = now
    version.status = domain.APPROVED
    version.approved_at = now
    version.approval_blocked_reason = None
    version.revision += 1
    version.updated_at = cia.updated_at = now
    # The status changes are written with the commit's statement, after the documents
    # are rendered: their UPDATE moves the counts per status (0019), rows that the
    # writers' submissions update too, and that must not stay locked while the
    # documents render.
    for row in (*earlier, version):
        uow.update_later(row)
    uow.session.flush()
    docs = store_approved_documents(uow.session, op, version, cfg)
    uow.record(DomainEvent(
        "cia.approved", cia.id, {
            "cia_id": cia.id, "version": version.number, "operation_reference": op.reference,
            "review_id": version.review_id,
            "documents": [{"kind": d.kind, "format": d.format, "sha256": d.sha256}
                          for d in docs]},
        actor=actor, version=version.number, content_sha256=version.content_sha256,
        detail={"outcome": "approved", "review_id": version.review_id,
                "status": domain.APPROVED, "superseded": [o.number for o in earlier] or None}))
    for doc in docs:
        uow.record(DomainEvent(
            audit.DOCUMENT_RENDERED, cia.id, actor=audit.SYSTEM, version=version.number,
            content_sha256=version.content_sha256,
            detail={"kind": doc.kind, "format": doc.format, "sha256": doc.sha256,
                    "stored": True, **rendering.provenance(doc)}))
    if domain.approval_completes_operation(version.content, op.status):
        _complete_operation(uow, cia, version, op, now)


def store_approved_documents(session, op: Operation, version: CiaVersion, cfg: dict,
                             rules: list | None = None) -> list:
    """Render the full and disclosure DOCX of an approved version, once.

    Their PDFs are made later from these stored files (see ``documents.pdfs``): LibreOffice
    is slow and may fail, and neither may hold up or undo an approval. Both are
    rendered with the CIA template in force, which each records."""
    docs = []
    template = None
    for kind in (rendering.FULL, rendering.DISCLOSURE):
        existing = rendering.stored(session, version.cia_id, version.number, kind)
        if existing is not None:
            docs.append(existing)
            continue
        template = template or rendering.template_for(op)
        if kind == rendering.FULL:
            docs.append(rendering.store(session, version, kind,
                                        rendering.render_full(op, version, cfg, template), template))
        else:
            docs.append(copies.store_copy(session, op, version, cfg, rules or [], template))
    session.flush()
    return docs


def _complete_operation(uow: UnitOfWork, cia: Cia, version: CiaVersion, op: Operation,
                        now) -> None:
    """The approved outcome record closes the deployment: the operation is completed."""
    previous = op.status
    op.status = domain.COMPLETED
    op.updated_at = now
    uow.session.flush()
    uow.record(DomainEvent(
        "operation.completed", cia.id, {
            "operation_id": op.id, "operation_reference": op.reference, "cia_id": cia.id,
            "version": version.number},
        actor=audit.SYSTEM, version=version.number, content_sha256=version.content_sha256,
        detail={"operation_id": op.id, "operation_reference": op.reference,
                "from": previous, "status": domain.COMPLETED}))


def release_blocked_approval(uow: UnitOfWork, op: Operation, cfg: dict) -> CiaVersion | None:
    """After authorisation: a review approval held back for it now takes effect."""
    # The operation's CIA, locked (``audit.lock_cia``'s lock), with its latest version:
    # one statement.
    row = uow.session.execute(
        sa.select(Cia, CiaVersion)
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == Cia.id,
                                  CiaVersion.number == Cia.latest_version))
        .where(Cia.operation_id == op.id).with_for_update(of=Cia)
        .execution_options(populate_existing=True)
    ).unique().first()
    # Known now, so the operation's representation does not look its CIA up again.
    set_committed_value(op, "cia", row[0] if row else None)
    if row is None:
        return None
    cia, version = row
    if not (version.status == domain.SUBMITTED and version.decision == "approved"
            and version.approval_blocked_reason):
        return None
    actor = Actor(sub=version.decided_by_sub or "review",
                  name=version.decided_by_name or "Reviewer")
    apply_approval(uow, cia, version, op, actor, cfg)
    return version
