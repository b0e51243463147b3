"""SQLAlchemy 2 mappings of the review rounds' tables: reviews, their assignees, decisions
and reassignments (created by the Alembic migrations)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cia_common.db import UTCDateTime

from ..base import Base


class Review(Base):
    """One round of review of one submitted CIA version."""
    __tablename__ = "reviews"
    __table_args__ = (
        sa.UniqueConstraint("cia_id", "version", "round", name="uq_reviews_cia_version_round"),
        sa.Index("ix_reviews_state_due", "state", "due_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    cia_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    version: Mapped[int]
    round: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(32))
    operation_id: Mapped[str | None] = mapped_column(sa.String(64))
    operation_reference: Mapped[str | None] = mapped_column(sa.String(64))
    operation_name: Mapped[str | None] = mapped_column(sa.String(300))
    title: Mapped[str | None] = mapped_column(sa.String(500))
    borough: Mapped[str | None] = mapped_column(sa.String(200))
    use_case: Mapped[str | None] = mapped_column(sa.String(64))
    planned_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_sub: Mapped[str | None] = mapped_column(sa.String(200))
    author_name: Mapped[str | None] = mapped_column(sa.String(300))
    last_editor_sub: Mapped[str | None] = mapped_column(sa.String(200))
    last_editor_name: Mapped[str | None] = mapped_column(sa.String(300))
    submitted_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    submitted_by_name: Mapped[str | None] = mapped_column(sa.String(300))
    reviewers_source: Mapped[str] = mapped_column(sa.String(16))
    approvals_required: Mapped[int]
    content_hash: Mapped[str | None] = mapped_column(sa.String(128))
    submission: Mapped[dict] = mapped_column(sa.JSON)  # the cia.submitted data, for the link page
    # The reviewed version's content (from cia.submitted; kept out of ``submission``).
    # Deferred: only the action page reads it, and lists of reviews must not load it.
    content: Mapped[dict | None] = mapped_column(sa.JSON, deferred=True)
    submitted_event_id: Mapped[str] = mapped_column(sa.String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a review was cancelled, quoted to anyone who tries to decide on it later.
    closed_reason: Mapped[str | None] = mapped_column(sa.Text)

    assignees: Mapped[list[ReviewAssignee]] = relationship(
        back_populates="review", cascade="all, delete-orphan", order_by="ReviewAssignee.position")
    decisions: Mapped[list[ReviewDecision]] = relationship(
        back_populates="review", cascade="all, delete-orphan",
        order_by="(ReviewDecision.decided_at, ReviewDecision.id)")
    reassignments: Mapped[list[Reassignment]] = relationship(
        back_populates="review", cascade="all, delete-orphan",
        order_by="(Reassignment.at, Reassignment.id)")

    @property
    def reviewers(self) -> list[str]:
        return [a.reviewer_sub for a in self.assignees]


class ReviewAssignee(Base):
    """A reviewer assigned to a review round (a table, so ``assigned_to`` filters by index)."""
    __tablename__ = "review_assignees"

    review_id: Mapped[str] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                                           primary_key=True)
    reviewer_sub: Mapped[str] = mapped_column(sa.String(200), primary_key=True, index=True)
    position: Mapped[int]

    review: Mapped[Review] = relationship(back_populates="assignees")


class ReviewDecision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        # One decision per reviewer per round, whatever the entry point.
        sa.UniqueConstraint("review_id", "reviewer_sub", name="uq_decisions_review_reviewer"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"))
    reviewer_sub: Mapped[str] = mapped_column(sa.String(200))
    reviewer_name: Mapped[str] = mapped_column(sa.String(300))
    decision: Mapped[str] = mapped_column(sa.String(32))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    section_comments: Mapped[list] = mapped_column(sa.JSON, default=list)
    channel: Mapped[str] = mapped_column(sa.String(100))  # api | link | inbound:<integration>
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)

    review: Mapped[Review] = relationship(back_populates="decisions")


class Reassignment(Base):
    __tablename__ = "reassignments"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    review_id: Mapped[str] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                                           index=True)
    previous_reviewers: Mapped[list] = mapped_column(sa.JSON)
    reviewers: Mapped[list] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text)
    by_sub: Mapped[str] = mapped_column(sa.String(200))
    by_name: Mapped[str] = mapped_column(sa.String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    review: Mapped[Review] = relationship(back_populates="reassignments")
