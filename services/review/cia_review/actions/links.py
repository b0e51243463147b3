"""Deciding through a signed one-time link: checking the link, then applying the
decision through the same service function as the API."""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy.orm import Session

from cia_common.db import UnitOfWork
from cia_common.errors import DomainError

from ..reviewers import service as reviewers
from ..reviews.models import Review
from ..reviews.policy import ReviewState
from ..reviews.service import Actor, load_review, record_decision
from ..settings import ReviewSettings
from . import tokens
from .models import ActionToken


class LinkRefused(DomainError):
    """A link that cannot be used: its kind of refusal and the words the page shows."""

    def __init__(self, kind: str, title: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.title = title


_NOT_RECOGNISED = ("invalid", "Link not valid",
                   "This link is incomplete or has been altered. Open it again from the "
                   "notification, or decide through the review API.")
_REVOKED = {
    "decided": ("gone", "Already decided",
                "You have already recorded a decision on this review round."),
    "closed": ("gone", "Review closed",
               "This review has been completed; no more decisions are needed."),
    "reassigned": ("forbidden", "Link superseded",
                   "This review has been reassigned, and this link no longer works."),
    "deactivated": ("forbidden", "Link withdrawn",
                    "You are no longer an active reviewer in the reviewer register, so this "
                    "link no longer works."),
    "cancelled": ("gone", "Review cancelled",
                  "This review was cancelled: the version under review was withdrawn (for "
                  "example, its operation was cancelled). Nothing more is needed from you."),
    "superseded": ("forbidden", "Link superseded",
                   "A newer submission of this CIA replaced this review round; use the link "
                   "in the newer notification."),
}


def resolve(session: Session, token: str, settings: ReviewSettings, now: datetime, *,
            lock: bool = False) -> tuple[ActionToken, Review, tokens.ActionClaims]:
    """The token row, review and claims of a usable link; ``LinkRefused`` otherwise."""
    try:
        claims = tokens.read(settings.action_link_secret, token, now.timestamp())
    except tokens.TokenError as exc:
        if exc.reason == "expired":
            raise LinkRefused("gone", "Link expired",
                              "This link has expired. Decide through the review API, or ask "
                              "for the review to be reassigned to you.") from None
        raise LinkRefused(*_NOT_RECOGNISED) from None
    row = session.get(ActionToken, claims.token_id, with_for_update=lock)
    if row is None or not hmac.compare_digest(row.token_hash, tokens.digest(token)):
        raise LinkRefused(*_NOT_RECOGNISED)
    return row, check_row(session, row, claims.reviewer_sub, settings, lock=lock), claims


def check_row(session: Session, row: ActionToken, reviewer_sub: str, settings: ReviewSettings,
              *, lock: bool = False) -> Review:
    """The open review behind a link row that is neither spent nor revoked, and whose
    holder still reviews it; ``LinkRefused`` otherwise."""
    if row.used_at is not None:
        raise LinkRefused("gone", "Link already used",
                          "This link has already been used; each link works once.")
    if row.revoked_at is not None:
        raise LinkRefused(*_REVOKED.get(row.revoked_reason or "", _REVOKED["closed"]))
    try:
        review = load_review(session, row.review_id, lock=lock)
    except Exception:  # noqa: BLE001 - a vanished review reads as an unusable link
        raise LinkRefused(*_NOT_RECOGNISED) from None
    if review.state != ReviewState.OPEN:
        raise LinkRefused(*_REVOKED.get(review.state, _REVOKED["closed"]))
    if review.reviewers and reviewer_sub not in review.reviewers:
        raise LinkRefused(*_REVOKED["reassigned"])
    if reviewer_sub not in reviewers.active_subs(session, [reviewer_sub], settings):
        raise LinkRefused(*_REVOKED["deactivated"])
    return review


def decide_by_link(uow: UnitOfWork, token: str, decision: str, comment: str | None, *,
                   settings: ReviewSettings, now: datetime,
                   section_comments: list[dict] | None = None) -> Review:
    """Apply the link holder's decision; the link is spent in the same transaction."""
    row, review, claims = resolve(uow.session, token, settings, now, lock=True)
    review = record_decision(uow, review.id, Actor(sub=claims.reviewer_sub, name=claims.reviewer_sub),
                             decision, comment, section_comments or [], channel="link",
                             settings=settings, now=now)
    row.used_at = now
    return review
