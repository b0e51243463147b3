"""The force-wide name register (service layer): read it, add to it."""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .models import RegisteredName
from .normalise import fold


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
