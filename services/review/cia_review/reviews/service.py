"""The review service layer: plain functions over a unit of work.

They apply the rules of :mod:`cia_review.reviews.policy`, change the rows and emit the
events in the caller's transaction; the caller (consumer, view) commits.
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from cia_common.actors import Actor  # noqa: F401 - callers import it from here
from cia_common.config import event_source
from cia_common.settings import ServiceSettings
from cia_common.db import Database, UnitOfWork
from cia_common.events import CloudEvent, utcnow
from cia_schemas import contracts

from ..actions import tokens
from ..actions.models import ActionToken, DocumentDownload
from ..reviewers import service as register
from ..settings import ReviewSettings, review_settings
from . import payloads
from .policy import (
    InvalidRequest,
    ReviewersSource,
    ReviewSnapshot,
    ReviewState,
    SubmissionAction,
    UnknownReview,
    cancellation_reason,
    check_may_decide,
    check_reassignment,
    choose_reviewers,
    conflict_of_interest,
    due_time,
    normalise_subs,
    notifications_due,
    on_submission,
    reminder_time,
    state_after,
)
from .models import Reassignment, Review, ReviewAssignee, ReviewDecision

log = logging.getLogger(__name__)

SOURCE = event_source("review")


def unit_of_work(db: Database, cfg: dict) -> UnitOfWork:
    return ServiceSettings.of(cfg).unit_of_work(db)


def snapshot(review: Review) -> ReviewSnapshot:
    return ReviewSnapshot(
        state=review.state,
        author_sub=review.author_sub,
        last_editor_sub=review.last_editor_sub,
        reviewers=tuple(review.reviewers),
        approvals_required=review.approvals_required,
        decided_by=frozenset(d.reviewer_sub for d in review.decisions),
        approvals=payloads.approvals(review),
        closed_reason=review.closed_reason,
    )


def load_review(session: Session, review_id: str, *, lock: bool = False) -> Review:
    stmt = sa.select(Review).where(Review.id == str(review_id))
    if lock:
        stmt = stmt.with_for_update()  # serialises decisions on one review (PostgreSQL)
    review = session.scalars(stmt).first()
    if review is None:
        raise UnknownReview(f"Review {review_id} does not exist.")
    return review


# --------------------------------------------------------------------------
# Action tokens (issued and revoked here; read by cia_review.actions.links)
# --------------------------------------------------------------------------

def issue_action_links(session: Session, review: Review, subs, settings: ReviewSettings,
                       now: datetime, active: set[str] | None = None) -> dict[str, str]:
    """One fresh one-time link per reviewer who may still decide; {sub: url}.

    Only active registered reviewers get one: a link is a credential to decide.
    ``active``: the register's active subs already read for at least ``subs``."""
    snap = snapshot(review)
    out: dict[str, str] = {}
    subs = list(subs)
    if active is None:
        active = register.active_subs(session, subs, settings)
    for sub in subs:
        if sub not in active or conflict_of_interest(snap, sub) or sub in snap.decided_by:
            continue
        claims = tokens.new_claims(review_id=review.id, reviewer_sub=sub, version=review.version,
                                   round=review.round, ttl_hours=settings.action_link_ttl_hours,
                                   now=now.timestamp())
        token = tokens.sign(settings.action_link_secret, claims)
        session.add(ActionToken(
            id=claims.token_id, review=review, reviewer_sub=sub, version=review.version,
            round=review.round, token_hash=tokens.digest(token), created_at=now,
            expires_at=datetime.fromtimestamp(claims.expires_at, timezone.utc)))
        out[sub] = payloads.action_url(settings, token)
    return out


def revoke_action_links(session: Session, review_id: str, reason: str, now: datetime,
                        subs=None) -> None:
    stmt = (sa.update(ActionToken)
            .where(ActionToken.review_id == review_id, ActionToken.used_at.is_(None),
                   ActionToken.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason))
    if subs is not None:
        stmt = stmt.where(ActionToken.reviewer_sub.in_(list(subs)))
    session.execute(stmt, execution_options={"synchronize_session": "fetch"})


# --------------------------------------------------------------------------
# cia.submitted → a review round
# --------------------------------------------------------------------------

def handle_cia_submitted(uow: UnitOfWork, event: CloudEvent, *, settings: ReviewSettings,
                         now: datetime | None = None) -> Review | None:
    """Open a review round for the submitted version; None when nothing was opened."""
    now = now or utcnow()
    data = contracts.load("cia.submitted", event.data)
    data["requested_reviewers"] = data["requested_reviewers"] or []
    session = uow.session
    # One locked read for both questions: this version's latest round, and the rounds
    # still open for this or an older version (a new round voids them).
    rounds = session.scalars(
        sa.select(Review)
        .where(Review.cia_id == data["cia_id"],
               (Review.version == data["version"])
               | ((Review.state == ReviewState.OPEN) & (Review.version <= data["version"])))
        .order_by(Review.version, Review.round).with_for_update()
    ).all()
    latest = next((r for r in reversed(rounds) if r.version == data["version"]), None)
    if latest is not None and latest.submitted_event_id == event.id:
        return None
    action = on_submission(latest.state if latest else None,
                           latest is not None and latest.content_hash == data["content_hash"])
    if action in (SubmissionAction.DUPLICATE, SubmissionAction.IGNORE):
        log.info("cia.submitted %s for %s v%s: %s (latest round is %s)", event.id,
                 data["cia_id"], data["version"], action, latest.state)
        return None

    # The register read once for the pool and the requested reviewers alike.
    active = register.active_subs(
        session, [*settings.reviewer_pool, *normalise_subs(data["requested_reviewers"])], settings)
    reviewers, source = choose_reviewers(data["requested_reviewers"],
                                         register.pool(session, settings, active))
    person = {k: data.get(k) or {} for k in ("author", "last_editor", "submitted_by")}
    review = Review(
        id=str(uuid.uuid4()),
        cia_id=data["cia_id"],
        version=data["version"],
        round=1 if latest is None else latest.round + 1,
        state=ReviewState.OPEN.value,
        operation_id=data["operation_id"],
        operation_reference=data["operation_reference"],
        operation_name=data["operation_name"],
        title=data["title"],
        borough=data["borough"],
        use_case=data["use_case"],
        planned_start=data["planned_start"],
        author_sub=person["author"].get("sub"),
        author_name=person["author"].get("name"),
        last_editor_sub=person["last_editor"].get("sub"),
        last_editor_name=person["last_editor"].get("name"),
        submitted_by_sub=person["submitted_by"].get("sub"),
        submitted_by_name=person["submitted_by"].get("name"),
        reviewers_source=source.value,
        approvals_required=settings.approvals_required,
        content_hash=data["content_hash"],
        submission={k: v for k, v in dict(event.data).items() if k != "content"},
        content=data["content"],
        submitted_event_id=event.id,
        opened_at=now,
        due_at=due_time(data["planned_start"], now, lead_hours=settings.lead_hours,
                        min_hours=settings.min_hours),
        assignees=[ReviewAssignee(reviewer_sub=sub, position=i) for i, sub in enumerate(reviewers)],
        decisions=[],
        reassignments=[],
    )

    # A new round (changed content) or a newer version voids whatever was still open.
    stale = [r for r in rounds if r.state == ReviewState.OPEN and r.version <= review.version]
    for old in stale:
        _supersede(uow, old, review.id, now)

    session.add(review)
    action_links = issue_action_links(session, review, review.reviewers, settings, now, active)
    uow.emit("review.requested", review.cia_id,
             payloads.review_requested(review, settings, action_links))
    log.info("opened review %s for CIA %s v%s round %s (%s reviewers)", review.id, review.cia_id,
             review.version, review.round, source.value)
    return review


def _supersede(uow: UnitOfWork, old: Review, by_id: str, now: datetime) -> None:
    old.state = ReviewState.SUPERSEDED.value
    old.closed_at = now
    revoke_action_links(uow.session, old.id, "superseded", now)
    uow.emit("review.superseded", old.cia_id, payloads.review_superseded(old, by_id))


# --------------------------------------------------------------------------
# cia.withdrawn → the open review is cancelled
# --------------------------------------------------------------------------

def handle_cia_withdrawn(uow: UnitOfWork, event: CloudEvent, *, settings: ReviewSettings,
                         now: datetime | None = None) -> list[Review]:
    """Close the withdrawn version's open review as cancelled: its links are revoked,
    reminders and escalations stop (they only look at open reviews), and a later
    decision is refused with the reason. A replay finds nothing open and does nothing."""
    now = now or utcnow()
    data = contracts.load("cia.withdrawn", event.data)
    reason = cancellation_reason(data.get("operation_reference"), data.get("reason"))
    open_reviews = uow.session.scalars(
        sa.select(Review).where(Review.cia_id == data["cia_id"], Review.state == ReviewState.OPEN,
                                Review.version <= data["version"]).with_for_update()
    ).all()
    for review in open_reviews:
        review.state = ReviewState.CANCELLED.value
        review.closed_at = now
        review.closed_reason = reason
        revoke_action_links(uow.session, review.id, "cancelled", now)
        uow.emit("review.cancelled", review.cia_id, payloads.review_cancelled(review, settings))
        log.info("cancelled review %s of CIA %s v%s: %s", review.id, review.cia_id,
                 review.version, reason)
    return list(open_reviews)


# --------------------------------------------------------------------------
# Decisions and reassignment
# --------------------------------------------------------------------------

def record_decision(uow: UnitOfWork, review_id: str, actor: Actor, decision: str,
                    comment: str | None, section_comments: list[dict] | None, *, channel: str,
                    settings: ReviewSettings, now: datetime | None = None) -> Review:
    """Record one reviewer's decision; close the review when it settles the outcome."""
    now = now or utcnow()
    session = uow.session
    review = load_review(session, review_id, lock=True)
    snap = snapshot(review)
    check_may_decide(snap, actor.sub, decision, comment)
    register.check_active(session, actor.sub, settings)
    new_state = state_after(snap, decision)

    row = ReviewDecision(
        id=str(uuid.uuid4()), reviewer_sub=actor.sub, reviewer_name=actor.name or actor.sub,
        decision=decision, comment=(comment or "").strip(),
        section_comments=[{"section": c["section"], "comment": c["comment"]}
                          for c in (section_comments or [])],
        channel=channel, decided_at=now)
    review.decisions.append(row)
    revoke_action_links(session, review.id, "decided", now, subs=[actor.sub])
    if new_state == ReviewState.OPEN:
        uow.emit("review.decided", review.cia_id, payloads.review_decided(review, row))
    else:
        review.state = new_state.value
        review.closed_at = now
        revoke_action_links(session, review.id, "closed", now)
        uow.emit("review.completed", review.cia_id, payloads.review_completed(review, row))
    return review


def reassign(uow: UnitOfWork, review_id: str, actor: Actor, *, actor_is_admin: bool,
             reviewers: list[str], reason: str, settings: ReviewSettings,
             now: datetime | None = None) -> Review:
    now = now or utcnow()
    session = uow.session
    review = load_review(session, review_id, lock=True)
    new = check_reassignment(snapshot(review), actor.sub, actor_is_admin, reviewers, reason)
    active = register.active_subs(session, new, settings)
    unknown = [(i, sub) for i, sub in enumerate(new) if sub not in active]
    if unknown:
        names = ", ".join(sub for _i, sub in unknown)
        raise InvalidRequest(
            f"Not active reviewers in the reviewer register: {names}. Reviews are reassigned "
            "only to registered reviewers.",
            errors=[{"pointer": f"/reviewers/{i}", "detail": f"{sub} is not an active "
                     "registered reviewer."} for i, sub in unknown])
    previous = review.reviewers

    # Change the assignee rows in place: deleting and re-inserting the same
    # (review, sub) in one flush would trip the primary key.
    keep = {a.reviewer_sub: a for a in review.assignees if a.reviewer_sub in new}
    for assignee in [a for a in review.assignees if a.reviewer_sub not in new]:
        review.assignees.remove(assignee)
    session.flush()
    for position, sub in enumerate(new):
        if sub in keep:
            keep[sub].position = position
        else:
            review.assignees.append(ReviewAssignee(reviewer_sub=sub, position=position))
    review.assignees.sort(key=lambda a: a.position)
    review.reviewers_source = ReviewersSource.REASSIGNED.value

    record = Reassignment(id=str(uuid.uuid4()), previous_reviewers=list(previous),
                          reviewers=list(new), reason=reason.strip(), by_sub=actor.sub,
                          by_name=actor.name or actor.sub, at=now)
    review.reassignments.append(record)
    removed = [s for s in previous if s not in new]
    if removed:
        revoke_action_links(session, review.id, "reassigned", now, subs=removed)
    added = [s for s in new if s not in previous]
    action_links = issue_action_links(session, review, added, settings, now)
    uow.emit("review.reassigned", review.cia_id,
             payloads.review_reassigned(review, settings, record, action_links))
    return review


# --------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------

def _person(sub, name) -> dict | None:
    return {"sub": sub, "name": name or sub} if sub else None


def describe(review: Review, settings: ReviewSettings) -> dict:
    """The API representation of a review."""
    return {
        "id": review.id,
        "cia_id": review.cia_id,
        "version": review.version,
        "round": review.round,
        "state": review.state,
        "due_at": review.due_at,
        "reviewers": review.reviewers,
        "reviewers_source": review.reviewers_source,
        "approvals_required": review.approvals_required,
        "approvals": payloads.approvals(review),
        "undecided_reviewers": payloads.undecided(review) if review.state == ReviewState.OPEN else [],
        "operation_id": review.operation_id,
        "operation_reference": review.operation_reference,
        "operation_name": review.operation_name,
        "title": review.title,
        "borough": review.borough,
        "use_case": review.use_case,
        "planned_start": review.planned_start,
        "author": _person(review.author_sub, review.author_name),
        "last_editor": _person(review.last_editor_sub, review.last_editor_name),
        "submitted_by": _person(review.submitted_by_sub, review.submitted_by_name),
        "content_hash": review.content_hash,
        "opened_at": review.opened_at,
        "closed_at": review.closed_at,
        "closed_reason": review.closed_reason,
        "reminded_at": review.reminded_at,
        "escalated_at": review.escalated_at,
        "decisions": [{
            "id": d.id,
            "reviewer": _person(d.reviewer_sub, d.reviewer_name),
            "decision": d.decision,
            "comment": d.comment,
            "section_comments": list(d.section_comments or []),
            "channel": d.channel,
            "decided_at": d.decided_at,
        } for d in review.decisions],
        "reassignments": [{
            "previous_reviewers": list(r.previous_reviewers),
            "reviewers": list(r.reviewers),
            "reason": r.reason,
            "by": _person(r.by_sub, r.by_name),
            "at": r.at,
        } for r in review.reassignments],
        "links": payloads.links(review, settings),
    }


def get_review(session: Session, review_id: str, settings: ReviewSettings) -> dict:
    downloads = session.scalars(sa.select(DocumentDownload)
                                .where(DocumentDownload.review_id == review_id)
                                .order_by(DocumentDownload.at)).all()
    return {**describe(load_review(session, review_id), settings),
            "document_downloads": [{"reviewer": d.reviewer_sub, "version": d.version,
                                    "format": d.format, "sha256": d.sha256, "size": d.size,
                                    "at": d.at} for d in downloads]}


def earlier_rounds(session: Session, review: Review) -> list[Review]:
    """The decided rounds of the same version before ``review``, oldest first."""
    return list(session.scalars(
        sa.select(Review)
        .where(Review.cia_id == review.cia_id, Review.version == review.version,
               Review.round < review.round)
        .options(selectinload(Review.decisions))
        .order_by(Review.round)
    ).all())


def baseline(session: Session, review: Review) -> Review | None:
    """The round whose content ``review`` is compared with: the previous round of the same
    version (a resubmission), else the last approved earlier version (an amendment).

    Rounds opened before content was kept have none and give no baseline."""
    if review.round > 1:
        stmt = (sa.select(Review)
                .where(Review.cia_id == review.cia_id, Review.version == review.version,
                       Review.round < review.round)
                .order_by(Review.round.desc()))
    else:
        stmt = (sa.select(Review)
                .where(Review.cia_id == review.cia_id, Review.version < review.version,
                       Review.state == ReviewState.APPROVED.value)
                .order_by(Review.version.desc(), Review.round.desc()))
    base = session.scalars(stmt.limit(1)).first()
    return base if base is not None and base.content is not None else None


def list_reviews(session: Session, settings: ReviewSettings, *, cia_id: str | None = None,
                 state: str | None = None, assigned_to: str | None = None,
                 offset: int = 0, limit: int = 20) -> tuple[list[dict], int]:
    where = []
    if cia_id:
        where.append(Review.cia_id == cia_id)
    if state:
        where.append(Review.state == state)
    if assigned_to:
        where.append(Review.id.in_(sa.select(ReviewAssignee.review_id)
                                   .where(ReviewAssignee.reviewer_sub == assigned_to)))
    total = session.scalar(sa.select(sa.func.count()).select_from(Review).where(*where))
    rows = session.scalars(
        sa.select(Review).where(*where)
        .options(selectinload(Review.assignees), selectinload(Review.decisions),
                 selectinload(Review.reassignments))
        .order_by(Review.opened_at.desc(), Review.id).offset(offset).limit(limit)
    ).all()
    return [describe(r, settings) for r in rows], total


# --------------------------------------------------------------------------
# Reminders and escalation (the worker's periodic job)
# --------------------------------------------------------------------------

def send_due_notifications(db: Database, cfg: dict, now: datetime | None = None,
                           batch: int = 100) -> float | None:
    """Emit ``review.reminder`` / ``review.overdue`` for open reviews that reached
    their time, each once: the column recording it is set in the same transaction
    as the outbox row. Returns the seconds until the next one is due (or None)."""
    now = now or utcnow()
    settings = review_settings(cfg)
    reminder_bound = now + timedelta(hours=settings.reminder_hours)
    with unit_of_work(db, cfg) as uow:
        stmt = (
            sa.select(Review)
            .where(Review.state == ReviewState.OPEN,
                   sa.or_(sa.and_(Review.reminded_at.is_(None), Review.due_at <= reminder_bound),
                          sa.and_(Review.escalated_at.is_(None), Review.due_at <= now)))
            .options(selectinload(Review.assignees), selectinload(Review.decisions))
            .order_by(Review.due_at).limit(batch)
        )
        if db.dialect == "postgresql":
            # Several workers may run; each review is handled by whichever locks it first.
            stmt = stmt.with_for_update(skip_locked=True, of=Review)
        reviews = uow.session.scalars(stmt).all()
        for review in reviews:
            for kind in notifications_due(now, review.due_at, review.reminded_at,
                                          review.escalated_at, settings.reminder_hours):
                if kind == "reminder":
                    action_links = issue_action_links(uow.session, review,
                                                      payloads.undecided(review), settings, now)
                    uow.emit("review.reminder", review.cia_id,
                             payloads.review_reminder(review, settings, action_links))
                    review.reminded_at = now
                else:
                    uow.emit("review.overdue", review.cia_id,
                             payloads.review_overdue(review, settings))
                    review.escalated_at = now
        if reviews:
            uow.commit()
        if len(reviews) == batch:
            return 0.0  # more are waiting
        upcoming = _next_due(uow.session, settings)
    if upcoming is None:
        return None
    return max((upcoming - now).total_seconds(), 0.05)


def _next_due(session: Session, settings: ReviewSettings) -> datetime | None:
    open_ = Review.state == ReviewState.OPEN
    first_unreminded = session.scalar(
        sa.select(sa.func.min(Review.due_at)).where(open_, Review.reminded_at.is_(None)))
    first_unescalated = session.scalar(
        sa.select(sa.func.min(Review.due_at)).where(open_, Review.escalated_at.is_(None)))
    # func.min loses the column type on SQLite; put the zone back.
    times = []
    if first_unreminded is not None:
        times.append(reminder_time(_aware(first_unreminded), settings.reminder_hours))
    if first_unescalated is not None:
        times.append(_aware(first_unescalated))
    return min(times) if times else None


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

