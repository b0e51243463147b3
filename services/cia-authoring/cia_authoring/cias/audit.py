"""The audit trail: one hash chain per CIA, appended in the same transaction as
the change it records."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.actors import Actor  # noqa: F401 - callers import it from here
from cia_common.db import DomainEvent
from cia_common.events import isoformat

from cia_authoring.domain import GENESIS_HASH, ChainBreak, audit_entry_hash, verify_chain
from cia_authoring.cias.models import AuditEntry, Cia
from cia_common.events import utcnow

# The changes a CIA's chain records, by the domain event that states each one,
# with the action name the chain keeps for it (stored and served, so never
# renamed). An event not named here is published without an audit entry; a
# name here without a contract (``document.rendered``, ``cia.imported``) is
# recorded only.
ACTIONS = {
    "cia.created": "cia.created",
    "cia.updated": "cia.edited",
    "cia.submitted": "cia.submitted",
    "cia.changes_requested": "review.decision_applied",
    "cia.rejected": "review.decision_applied",
    "cia.approved": "review.decision_applied",
    "cia.approval_blocked": "review.approval_blocked",
    "cia.amended": "cia.amended",
    "cia.revised": "cia.revised",
    "cia.withdrawn": "cia.withdrawn",
    "cia.imported": "cia.imported",
    "document.rendered": "document.rendered",
    "operation.completed": "operation.completed",
    "disclosure.released": "disclosure.released",
    "disclosure.rerendered": "disclosure.rerendered",
}
DOCUMENT_RENDERED = "document.rendered"
IMPORTED = "cia.imported"


SYSTEM = Actor(sub="system", name="CIA Workflow")


def lock_cia(session: Session, cia_id: str) -> Cia | None:
    """Take the CIA row lock: every write to a CIA (and its chain) goes through it,
    always first, so writers of one CIA queue up instead of deadlocking."""
    return session.execute(
        sa.select(Cia).where(Cia.id == cia_id).with_for_update(of=Cia)
        .execution_options(populate_existing=True)
    ).unique().scalar_one_or_none()


def record(uow, event: DomainEvent) -> None:
    """The unit of work's recorder: the audit entry of a change to a CIA, from the
    one domain event that states it (the caller holds ``lock_cia``)."""
    action = ACTIONS.get(event.type)
    if action is None:
        return
    append(uow, event.subject, actor=event.actor, action=action, version=event.version,
           content_sha256=event.content_sha256, detail=event.detail)


def append(uow, cia_id: str, *, actor, action: str, version: int | None,
           content_sha256: str | None, detail: dict | None = None) -> dict:
    """Append an entry to the CIA's chain. The caller holds ``lock_cia``: the head it
    read with the lock (``cias.audit_seq``, ``audit_hash``) is the head, and moves
    with the entry in the same transaction.

    The entry and the moved head are written with the unit of work's other queued
    rows (its outbox rows): one statement on PostgreSQL."""
    cia = _in_session(uow.session, cia_id)
    seq, prev = (cia.audit_seq or 0) + 1, cia.audit_hash or GENESIS_HASH
    entry = {"cia_id": cia_id, "seq": seq, "actor_sub": actor.sub, "actor_name": actor.name,
             "action": action, "version": version, "at": isoformat(utcnow()),
             "content_sha256": content_sha256, "detail": detail or None, "prev_hash": prev}
    entry["entry_hash"] = audit_entry_hash(prev, entry)
    uow.insert_later(AuditEntry.__table__, entry)
    cia.audit_seq, cia.audit_hash = seq, entry["entry_hash"]
    # With the entry, in the commit's statement (a new CIA's INSERT carries its head).
    uow.update_later(cia)
    return entry


def _in_session(session: Session, cia_id: str) -> Cia:
    """The CIA row the caller locked (or is creating), from the session, not the database."""
    for obj in session.new:
        if isinstance(obj, Cia) and obj.id == cia_id:
            return obj
    return session.get(Cia, cia_id)


def entries(session: Session, cia_id: str) -> list[AuditEntry]:
    return list(session.execute(
        sa.select(AuditEntry).where(AuditEntry.cia_id == cia_id).order_by(AuditEntry.seq)
    ).scalars())


@dataclass(frozen=True)
class BrokenChain:
    cia_id: str
    brk: ChainBreak
    entry: dict | None


def verify_all(session: Session) -> tuple[int, int, BrokenChain | None]:
    """Check every chain; ``(chains, entries, first break or None)``."""
    cia_ids = list(session.execute(
        sa.select(AuditEntry.cia_id).distinct().order_by(AuditEntry.cia_id)).scalars())
    total = 0
    for cia_id in cia_ids:
        chain = [e.as_chain_dict() for e in entries(session, cia_id)]
        total += len(chain)
        brk = verify_chain(chain)
        if brk is not None:
            return len(cia_ids), total, BrokenChain(cia_id, brk, chain[brk.index])
    return len(cia_ids), total, None
