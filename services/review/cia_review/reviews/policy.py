"""The rules of a review: who may decide, what a decision does, when a review is
due and when it needs a reminder. Pure: no Flask, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from cia_common.errors import DomainError


class ReviewState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer submission replaced this round before it was decided
    CANCELLED = "cancelled"    # the version was withdrawn (e.g. its operation was cancelled)


class Decision(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


class ReviewersSource(StrEnum):
    REQUESTED = "requested"    # named by the submitter
    POOL = "pool"              # REVIEWER_POOL, because nobody was named
    ANY = "any"                # no names and no pool: any reviewer may decide
    REASSIGNED = "reassigned"  # changed after opening


OUTCOMES = (ReviewState.APPROVED, ReviewState.CHANGES_REQUESTED, ReviewState.REJECTED)


# --------------------------------------------------------------------------
# Refusals. Each names its kind (cia_common.errors); the web layer maps a kind to
# one status, so every entry point (API, action link, inbound webhook) answers
# the same refusal the same way.
# --------------------------------------------------------------------------

class PolicyError(DomainError):
    """A request the review rules refuse (``pointer``/``errors`` name the fields)."""
    kind = "invalid"


class UnknownReview(PolicyError):
    kind = "not_found"


class NotPermitted(PolicyError):
    kind = "forbidden"


class DecisionConflict(PolicyError):
    kind = "conflict"


class InvalidRequest(PolicyError):
    kind = "unprocessable"


# --------------------------------------------------------------------------
# Deciding
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewSnapshot:
    """What the rules need to know about one round of a review."""
    state: str
    author_sub: str | None
    last_editor_sub: str | None
    reviewers: tuple[str, ...]  # empty: any reviewer may decide
    approvals_required: int
    decided_by: frozenset[str] = frozenset()
    approvals: int = 0
    closed_reason: str | None = None


def conflict_of_interest(snapshot: ReviewSnapshot, sub: str) -> str | None:
    """Why ``sub`` may not decide on this version, or None."""
    if sub and sub == snapshot.author_sub:
        return "You are the author of this version of the CIA; its author may not review it."
    if sub and sub == snapshot.last_editor_sub:
        return "You last edited this version of the CIA; its last editor may not review it."
    return None


def check_may_decide(snapshot: ReviewSnapshot, actor_sub: str, decision: str,
                     comment: str | None) -> None:
    """Raise the refusal for this decision, or return if it may be recorded."""
    if snapshot.state != ReviewState.OPEN:
        raise DecisionConflict(closed_refusal(snapshot))
    reason = conflict_of_interest(snapshot, actor_sub)
    if reason:
        raise NotPermitted(reason)
    if snapshot.reviewers and actor_sub not in snapshot.reviewers:
        raise NotPermitted("This review is assigned to named reviewers and you are not one of "
                           "them; an admin or an assigned reviewer can reassign it.")
    if actor_sub in snapshot.decided_by:
        raise DecisionConflict("You have already decided on this round of the review; "
                               "one decision per reviewer per round.")
    if decision not in set(Decision):
        raise InvalidRequest(f"Unknown decision {decision!r}.", pointer="/decision")
    if decision == Decision.REQUEST_CHANGES and not (comment or "").strip():
        raise InvalidRequest("A request for changes needs a comment saying what to change.",
                             pointer="/comment")


def closed_refusal(snapshot: ReviewSnapshot) -> str:
    """Why a closed review takes no decision, in the words of what closed it."""
    if snapshot.state == ReviewState.CANCELLED:
        why = f": {snapshot.closed_reason}" if snapshot.closed_reason else ""
        return (f"The review was cancelled{why}. The version under review was withdrawn, so "
                "there is nothing left to decide.")
    if snapshot.state == ReviewState.SUPERSEDED:
        return ("The review was superseded by a newer submission of the CIA; decide on the "
                "newer review instead.")
    return f"The review is {snapshot.state}; it takes no more decisions."


def cancellation_reason(operation_reference: str | None, authoring_reason: str | None) -> str:
    if authoring_reason:
        return authoring_reason
    return f"operation {operation_reference} cancelled" if operation_reference else "withdrawn"


def state_after(snapshot: ReviewSnapshot, decision: str) -> ReviewState:
    """The review's state once ``decision`` is recorded (OPEN while approvals are short)."""
    if decision == Decision.REJECT:
        return ReviewState.REJECTED
    if decision == Decision.REQUEST_CHANGES:
        return ReviewState.CHANGES_REQUESTED
    if snapshot.approvals + 1 >= snapshot.approvals_required:
        return ReviewState.APPROVED
    return ReviewState.OPEN


# --------------------------------------------------------------------------
# Opening and reassigning
# --------------------------------------------------------------------------

def normalise_subs(subs) -> tuple[str, ...]:
    """Trimmed, non-empty, first occurrence kept."""
    out: list[str] = []
    for sub in subs or ():
        sub = str(sub).strip()
        if sub and sub not in out:
            out.append(sub)
    return tuple(out)


def choose_reviewers(requested, pool) -> tuple[tuple[str, ...], ReviewersSource]:
    requested = normalise_subs(requested)
    if requested:
        return requested, ReviewersSource.REQUESTED
    pool = normalise_subs(pool)
    if pool:
        return pool, ReviewersSource.POOL
    return (), ReviewersSource.ANY


class SubmissionAction(StrEnum):
    OPEN_FIRST_ROUND = "open_first_round"
    OPEN_NEW_ROUND = "open_new_round"          # after changes were requested
    SUPERSEDE_AND_REOPEN = "supersede_and_reopen"  # content changed while open: approvals void
    DUPLICATE = "duplicate"                    # same content already under review
    IGNORE = "ignore"                          # the version is already final


def on_submission(latest_state: str | None, same_content: bool) -> SubmissionAction:
    """What a ``cia.submitted`` for a version does, given that version's latest round."""
    if latest_state is None:
        return SubmissionAction.OPEN_FIRST_ROUND
    if latest_state == ReviewState.OPEN:
        return SubmissionAction.DUPLICATE if same_content else SubmissionAction.SUPERSEDE_AND_REOPEN
    if latest_state in (ReviewState.CHANGES_REQUESTED, ReviewState.SUPERSEDED):
        return SubmissionAction.OPEN_NEW_ROUND
    return SubmissionAction.IGNORE


def check_reassignment(snapshot: ReviewSnapshot, actor_sub: str, actor_is_admin: bool,
                       reviewers, reason: str | None) -> tuple[str, ...]:
    """Validate a reassignment; return the new reviewer list."""
    if snapshot.state != ReviewState.OPEN:
        raise DecisionConflict(f"The review is {snapshot.state}; only open reviews can be reassigned.")
    if not actor_is_admin and snapshot.reviewers and actor_sub not in snapshot.reviewers:
        raise NotPermitted("Only an admin or one of the assigned reviewers can reassign this review.")
    if not (reason or "").strip():
        raise InvalidRequest("A reassignment needs a reason.", pointer="/reason")
    new = normalise_subs(reviewers)
    if not new:
        raise InvalidRequest("Name at least one reviewer.", pointer="/reviewers")
    for index, sub in enumerate(reviewers or ()):
        sub = str(sub).strip()
        if conflict_of_interest(snapshot, sub):
            raise InvalidRequest(f"{sub} wrote or last edited this version and may not review it.",
                                 pointer=f"/reviewers/{index}")
    return new


# --------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------

def due_time(planned_start: datetime | None, now: datetime, *, lead_hours: float,
             min_hours: float) -> datetime:
    """planned start minus the lead time, but never sooner than ``min_hours`` from now.

    Without a planned start the review gets the standard lead time from now.
    """
    earliest = now + timedelta(hours=min_hours)
    wanted = (planned_start - timedelta(hours=lead_hours)) if planned_start \
        else now + timedelta(hours=lead_hours)
    return max(wanted, earliest)


def reminder_time(due_at: datetime, reminder_hours: float) -> datetime:
    return due_at - timedelta(hours=reminder_hours)


def notifications_due(now: datetime, due_at: datetime, reminded_at: datetime | None,
                      escalated_at: datetime | None, reminder_hours: float) -> list[str]:
    """Which of ``reminder`` / ``overdue`` an open review needs now (each at most once)."""
    due: list[str] = []
    if reminded_at is None and now >= reminder_time(due_at, reminder_hours):
        due.append("reminder")
    if escalated_at is None and now >= due_at:
        due.append("overdue")
    return due


def next_notification_at(due_at: datetime, reminded_at: datetime | None,
                         escalated_at: datetime | None, reminder_hours: float) -> datetime | None:
    pending = []
    if reminded_at is None:
        pending.append(reminder_time(due_at, reminder_hours))
    if escalated_at is None:
        pending.append(due_at)
    return min(pending) if pending else None
