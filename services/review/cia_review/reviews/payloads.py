"""Event payloads the review service writes (``review.*``); their contracts, and those
of the ``cia.*`` events it reads, are in :mod:`cia_schemas.contracts`."""
from __future__ import annotations

from datetime import datetime

from cia_common.events import isoformat

from ..settings import ReviewSettings
from .models import Reassignment, Review, ReviewDecision

# --------------------------------------------------------------------------
# Out: review.*
# --------------------------------------------------------------------------

def _iso(moment: datetime | None) -> str | None:
    return isoformat(moment) if moment else None


def links(review: Review, settings: ReviewSettings) -> dict:
    return {
        "review_api": f"{settings.review_url}/api/v1/reviews/{review.id}",
        "cia_api": f"{settings.authoring_url}/api/v1/cias/{review.cia_id}",
    }


def document_url(review: Review, settings: ReviewSettings) -> str:
    """The reviewed version as a document (DOCX, or PDF by ``Accept``) in the authoring API."""
    return (f"{settings.authoring_url}/api/v1/cias/{review.cia_id}/versions/{review.version}"
            "/document")


def action_url(settings: ReviewSettings, token: str) -> str:
    return f"{settings.review_url}/review/actions/{token}"


def _base(review: Review) -> dict:
    return {"review_id": review.id, "cia_id": review.cia_id, "version": review.version,
            "round": review.round}


def _summary(review: Review, settings: ReviewSettings) -> dict:
    return {
        **_base(review),
        "operation_reference": review.operation_reference,
        "operation_name": review.operation_name,
        "title": review.title,
        "due_at": _iso(review.due_at),
        "reviewers": review.reviewers,
        "links": links(review, settings),
    }


def review_requested(review: Review, settings: ReviewSettings, action_links: dict) -> dict:
    return {**_summary(review, settings), "approvals_required": review.approvals_required,
            "action_links": action_links}


def review_reminder(review: Review, settings: ReviewSettings, action_links: dict) -> dict:
    return {**_summary(review, settings), "action_links": action_links,
            "undecided_reviewers": undecided(review)}


def review_overdue(review: Review, settings: ReviewSettings) -> dict:
    return {**_summary(review, settings), "undecided_reviewers": undecided(review),
            "approvals": approvals(review), "approvals_required": review.approvals_required}


def review_reassigned(review: Review, settings: ReviewSettings, reassignment: Reassignment,
                      action_links: dict) -> dict:
    return {**_summary(review, settings),
            "previous_reviewers": list(reassignment.previous_reviewers),
            "reason": reassignment.reason,
            "reassigned_by": {"sub": reassignment.by_sub, "name": reassignment.by_name},
            "action_links": action_links}


def review_superseded(review: Review, superseded_by: str) -> dict:
    return {**_base(review), "superseded_by": superseded_by}


def review_cancelled(review: Review, settings: ReviewSettings) -> dict:
    """Everyone asked to review is told the work is gone; their links no longer work."""
    return {**_summary(review, settings), "reason": review.closed_reason,
            "cancelled_at": _iso(review.closed_at), "undecided_reviewers": undecided(review)}


def _decision_entry(d: ReviewDecision) -> dict:
    return {"reviewer": {"sub": d.reviewer_sub, "name": d.reviewer_name}, "decision": d.decision,
            "comment": d.comment, "decided_at": _iso(d.decided_at)}


def review_decided(review: Review, decision: ReviewDecision) -> dict:
    """A decision that did not (yet) close the review, e.g. the first of two approvals."""
    return {**_base(review), "decision": decision.decision,
            "decided_by": {"sub": decision.reviewer_sub, "name": decision.reviewer_name},
            "approvals": approvals(review), "approvals_required": review.approvals_required}


def review_completed(review: Review, decision: ReviewDecision) -> dict:
    return {
        **_base(review),
        "outcome": review.state,
        "decided_by": {"sub": decision.reviewer_sub, "name": decision.reviewer_name},
        "comment": decision.comment,
        "section_comments": list(decision.section_comments or []),
        "decisions": [_decision_entry(d) for d in review.decisions],
    }


def approvals(review: Review) -> int:
    return sum(1 for d in review.decisions if d.decision == "approve")


def undecided(review: Review) -> list[str]:
    """Assigned reviewers who may still decide (the author and last editor never may)."""
    done = {d.reviewer_sub for d in review.decisions} | {review.author_sub, review.last_editor_sub}
    return [sub for sub in review.reviewers if sub not in done]
