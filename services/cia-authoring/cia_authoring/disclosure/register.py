"""The force-wide name register (service layer): read it, add to it, and find
the disclosure copies a newly registered name may appear in."""
from __future__ import annotations

import json
import re
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_authoring.cias.models import Cia, CiaVersion
from cia_authoring.cias.models import Document
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow
from cia_authoring.disclosure.models import RegisteredName
from cia_redaction.normalise import fold

_WORD = re.compile(r"[^\W_]+")


def names(session: Session) -> list[str]:
    return list(session.execute(sa.select(RegisteredName.name).order_by(RegisteredName.key)).scalars())


def add(session: Session, cia_id: str, new_names: Iterable[str]) -> list[str]:
    """Register names not yet known; returns those that were new."""
    wanted = {fold(n)[:300]: n[:300] for n in new_names if fold(n)}
    if not wanted:
        return []
    known = set(session.execute(sa.select(RegisteredName.key)
                                .where(RegisteredName.key.in_(list(wanted)))).scalars())
    added = []
    for key, name in wanted.items():
        if key not in known:
            # A savepoint: two workers registering the same name at once must
            # not fail the copy being rendered.
            try:
                with session.begin_nested():
                    session.add(RegisteredName(key=key, name=name, first_cia_id=cia_id))
                    session.flush()
                added.append(name)
            except sa.exc.IntegrityError:
                pass
    return added


def unpropagated(session: Session, limit: int = 50) -> list[RegisteredName]:
    return list(session.execute(
        sa.select(RegisteredName).where(RegisteredName.propagated_at.is_(None))
        .order_by(RegisteredName.created_at).limit(limit).with_for_update(skip_locked=True)
    ).scalars())


def mark_propagated(entries: Iterable[RegisteredName]) -> None:
    now = utcnow()
    for entry in entries:
        entry.propagated_at = now


def copies_naming(session: Session, name: str, kind: str) -> list[tuple[str, int]]:
    """Disclosure copies (CIA, version) whose CIA content or operation holds the
    name's surname: the only ones the register's new name can change."""
    words = _WORD.findall(name)
    if not words:
        return []
    surname = words[-1].lower()
    # Content is stored as JSON text, non-ASCII escaped: look for both forms.
    escaped = json.dumps(surname)[1:-1]
    terms = {surname, escaped}
    text = sa.func.lower(sa.cast(CiaVersion.content, sa.Text))
    op_text = sa.func.lower(sa.func.coalesce(Operation.name, "") + " " +
                            sa.func.coalesce(Operation.location_name, "") + " " +
                            sa.func.coalesce(Operation.borough, "") + " " +
                            sa.func.coalesce(Operation.ward, ""))
    matches = sa.or_(*(t.like(f"%{term}%") for term in terms for t in (text, op_text)))
    rows = session.execute(
        sa.select(Document.cia_id, Document.version)
        .join(CiaVersion, sa.and_(CiaVersion.cia_id == Document.cia_id,
                                  CiaVersion.number == Document.version))
        .join(Cia, Cia.id == Document.cia_id)
        .join(Operation, Operation.id == Cia.operation_id)
        .where(Document.kind == kind, Document.format == "docx", matches)
        .order_by(Document.cia_id, Document.version))
    return [(r.cia_id, r.version) for r in rows]
