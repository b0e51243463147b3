"""Tables of FOI request cases (migrations 0008_foi_requests and 0013_published_snapshots),
on the authoring ``Base``.

- ``foi_requests``: one case: the reference, the date of receipt, the requester
  (personal data: shown to FOI officers only, never in a letter, attachment or
  the disclosure log), the questions, the statutory clock, approval and sending;
- ``foi_answers``: the answer to one question (a kind and its parameters);
- ``foi_request_documents``: the response letter as sent (the published copy
  the disclosure log serves), stored once with its SHA-256.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from cia_authoring.base import Base
from cia_common.events import new_id, utcnow

OPEN = "open"
AWAITING_CLARIFICATION = "awaiting_clarification"
AWAITING_APPROVAL = "awaiting_approval"
APPROVED = "approved"
SENT = "sent"
STATES = (OPEN, AWAITING_CLARIFICATION, AWAITING_APPROVAL, APPROVED, SENT)


class FoiRequest(Base):
    __tablename__ = "foi_requests"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(sa.String(64), unique=True)
    received_on: Mapped[date] = mapped_column(sa.Date)
    requester_name: Mapped[str] = mapped_column(sa.String(200))
    requester_email: Mapped[str] = mapped_column(sa.String(320))
    requester_address: Mapped[str | None] = mapped_column(sa.Text)
    requester_phone: Mapped[str | None] = mapped_column(sa.String(50))
    questions: Mapped[list] = mapped_column(sa.JSON)  # [{"number", "text"}]
    state: Mapped[str] = mapped_column(sa.String(32), index=True, default=OPEN)

    # The clock: it runs from clock_started_on (receipt, or the clarification).
    clock_started_on: Mapped[date] = mapped_column(sa.Date)
    statutory_due_on: Mapped[date] = mapped_column(sa.Date)
    extension_working_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(sa.Text)
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    clarification_requested_on: Mapped[date | None] = mapped_column(sa.Date)
    clarification_note: Mapped[str | None] = mapped_column(sa.Text)
    clarified_on: Mapped[date | None] = mapped_column(sa.Date)

    # Everyone who wrote an answer or submitted the draft: none of them may approve it.
    drafters: Mapped[list] = mapped_column(sa.JSON, default=list)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    approved_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    approved_on: Mapped[date | None] = mapped_column(sa.Date)
    # What was approved: ``send`` refuses a letter or attachments that differ.
    approved_letter_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    approved_attachments_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    sent_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    sent_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    within_deadline: Mapped[bool | None] = mapped_column(sa.Boolean)
    within_statutory_period: Mapped[bool | None] = mapped_column(sa.Boolean)
    # The disclosure copies attached when sent: [{"cia_id", "version", "docx_sha256"}].
    sent_attachments: Mapped[list | None] = mapped_column(sa.JSON)

    # The due_on each notice was sent for: a moved deadline is announced again,
    # the same one never twice (the worker may restart at any point).
    due_soon_notified_for: Mapped[date | None] = mapped_column(sa.Date)
    overdue_notified_for: Mapped[date | None] = mapped_column(sa.Date)

    history: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{at, by, action, ...}]
    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FoiAnswer(Base):
    __tablename__ = "foi_answers"

    request_id: Mapped[str] = mapped_column(sa.ForeignKey("foi_requests.id"), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[dict] = mapped_column(sa.JSON)
    answered_by_sub: Mapped[str] = mapped_column(sa.String(200))
    answered_by_name: Mapped[str] = mapped_column(sa.String(200))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FoiRequestDocument(Base):
    __tablename__ = "foi_request_documents"

    request_id: Mapped[str] = mapped_column(sa.ForeignKey("foi_requests.id"), primary_key=True)
    format: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # docx | pdf
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.Integer)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
