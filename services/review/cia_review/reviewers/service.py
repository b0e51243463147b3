"""The reviewer register: plain functions over a session.

Only an active registered reviewer is assigned a review by reassignment, receives
a one-time action link, or may be named by an integration's signed decision; a
bearer token's reviewer role registers its holder when they first act. Subs
named in the settings (``REVIEWERS``, ``REVIEWER_POOL``) are registered the first
time they are needed, so the local run works without an admin step.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cia_common.events import utcnow

from ..actions.models import ActionToken
from ..reviews.policy import NotPermitted, PolicyError
from ..settings import ReviewSettings
from .models import Reviewer


class UnknownReviewer(PolicyError):
    kind = "not_found"


class ReviewerExists(PolicyError):
    kind = "conflict"


def _insert_missing(session: Session, rows: list[dict]) -> None:
    """Insert rows whose sub is not yet registered; a concurrent insert of the same
    sub is not an error (several processes may register the same reviewer)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(Reviewer).values(rows).on_conflict_do_nothing(index_elements=["sub"]))


def _row(sub: str, name: str | None, source: str, now: datetime, email: str | None = None,
         active: bool = True) -> dict:
    return {"sub": sub, "name": name or sub, "email": email, "active": active, "source": source,
            "created_at": now, "updated_at": now}


def seed(session: Session, settings: ReviewSettings, subs=None) -> None:
    """Register the subs the settings name (all of them, or those among ``subs``)."""
    wanted = [s for s in settings.seeded_reviewers if subs is None or s in subs]
    if not wanted:
        return
    known = set(session.scalars(sa.select(Reviewer.sub).where(Reviewer.sub.in_(wanted))))
    now = utcnow()
    _insert_missing(session, [_row(s, s, "settings", now) for s in wanted if s not in known])


def active_subs(session: Session, subs, settings: ReviewSettings) -> set[str]:
    """Those of ``subs`` that are active registered reviewers."""
    subs = [s for s in dict.fromkeys(subs or ()) if s]
    if not subs:
        return set()
    # One SELECT in the usual case (every seeded sub already registered); seeding
    # reads again, so a row a concurrent process inserted first is taken as it is.
    query = sa.select(Reviewer.sub, Reviewer.active).where(Reviewer.sub.in_(subs))
    known = dict(session.execute(query).tuples().all())
    if any(s in subs and s not in known for s in settings.seeded_reviewers):
        seed(session, settings, subs)
        known = dict(session.execute(query).tuples().all())
    return {s for s, active in known.items() if active}


def check_active(session: Session, sub: str, settings: ReviewSettings) -> None:
    """Refuse a decision from anyone but an active registered reviewer."""
    if sub not in active_subs(session, [sub], settings):
        raise NotPermitted(f"{sub} is not an active reviewer in the reviewer register; only "
                           "registered reviewers decide.")


def enrol(session: Session, sub: str, name: str) -> bool:
    """Register the holder of a reviewer token on their first act; True if added.
    A reviewer an admin deactivated stays deactivated."""
    if session.get(Reviewer, sub) is not None:
        return False
    _insert_missing(session, [_row(sub, name, "token", utcnow())])
    return True


def pool(session: Session, settings: ReviewSettings,
         active: set[str] | None = None) -> tuple[str, ...]:
    """REVIEWER_POOL as a view of the register: its active members, in the configured order.
    ``active``: the active subs already read (``active_subs``) for the pool and more."""
    if active is None:
        active = active_subs(session, settings.reviewer_pool, settings)
    return tuple(s for s in settings.reviewer_pool if s in active)


def describe(reviewer: Reviewer) -> dict:
    return {"sub": reviewer.sub, "name": reviewer.name, "email": reviewer.email,
            "active": reviewer.active, "source": reviewer.source,
            "created_at": reviewer.created_at, "updated_at": reviewer.updated_at}


def get(session: Session, sub: str) -> Reviewer:
    reviewer = session.get(Reviewer, sub)
    if reviewer is None:
        raise UnknownReviewer(f"Reviewer {sub} is not in the register.")
    return reviewer


def list_reviewers(session: Session, *, active: bool | None = None, offset: int = 0,
                   limit: int = 20) -> tuple[list[Reviewer], int]:
    where = [] if active is None else [Reviewer.active.is_(active)]
    total = session.scalar(sa.select(sa.func.count()).select_from(Reviewer).where(*where))
    rows = session.scalars(sa.select(Reviewer).where(*where).order_by(Reviewer.sub)
                           .offset(offset).limit(limit)).all()
    return list(rows), total


def create(session: Session, *, sub: str, name: str, email: str | None = None,
           active: bool = True) -> Reviewer:
    if session.get(Reviewer, sub) is not None:
        raise ReviewerExists(f"Reviewer {sub} is already registered; change it with PATCH.",
                             pointer="/sub")
    now = utcnow()
    reviewer = Reviewer(**_row(sub, name, "admin", now, email=email, active=active))
    session.add(reviewer)
    return reviewer


def update(session: Session, sub: str, changes: dict) -> Reviewer:
    reviewer = get(session, sub)
    now = utcnow()
    if reviewer.active and changes.get("active") is False:
        # A deactivated reviewer's outstanding links stop working at once.
        session.execute(sa.update(ActionToken)
                        .where(ActionToken.reviewer_sub == sub, ActionToken.used_at.is_(None),
                               ActionToken.revoked_at.is_(None))
                        .values(revoked_at=now, revoked_reason="deactivated"),
                        execution_options={"synchronize_session": False})
    for key in ("name", "email", "active"):
        if key in changes:
            setattr(reviewer, key, changes[key])
    reviewer.updated_at = now
    return reviewer
