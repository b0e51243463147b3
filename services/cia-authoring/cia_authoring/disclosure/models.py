"""Tables of the disclosure feature (migrations 0002_foi, 0003_name_register,
0013_published_snapshots and 0017_release_terms).

- ``censor_rules``: the FOI team's censor rules, for one CIA or global;
- ``release_terms``: terms the pass withheld as personal data that an FOI officer
  released (a shop, a town taken for a person), for one CIA or global;
- ``disclosure_copies``: per disclosure copy (CIA, version), its release state
  and which censor rules its stored files were rendered with. A copy without a
  row was rendered at approval without censor rules and is pending release;
- ``name_register``: every person's name a disclosure copy of this force has
  withheld, so that it is withheld in every other copy too (unless the rank
  rule releases it there). Keyed by the name's folded form;
- ``withheld_values``: the index of what each disclosure copy withholds, every
  written form of it, for the outputs that quote CIAs without being one (letters).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cia_common.db import UTCDateTime

from cia_authoring.base import Base
from cia_common.events import new_id, utcnow

PENDING_RELEASE = "pending_release"
RELEASED = "released"
# Was released; the rules, detectors or name register now redact more, so the
# stored copy was rendered again and a person must look at it and release it.
NEEDS_REVIEW = "needs_review"
STATES = (PENDING_RELEASE, RELEASED, NEEDS_REVIEW)


class _Revised:
    """The columns a censor rule and a release term share: withdrawn rather than
    deleted, revised, and who made and last changed it, when."""
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, index=True)
    revision: Mapped[int] = mapped_column(sa.Integer, default=1)
    created_by_sub: Mapped[str] = mapped_column(sa.String(200))
    created_by_name: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_sub: Mapped[str] = mapped_column(sa.String(200))
    updated_by_name: Mapped[str] = mapped_column(sa.String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CensorRule(_Revised, Base):
    __tablename__ = "censor_rules"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    cia_id: Mapped[str | None] = mapped_column(sa.ForeignKey("cias.id"), index=True)  # None: global
    kind: Mapped[str] = mapped_column(sa.String(8))  # literal | regex
    pattern: Mapped[str] = mapped_column(sa.Text)
    case_sensitive: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    replacement: Mapped[str | None] = mapped_column(sa.Text)
    exemption: Mapped[str] = mapped_column(sa.String(8))  # s40 | s31
    reason: Mapped[str] = mapped_column(sa.Text)
    # [{at, by: {sub, name}, action, changed: [field names]}]: who changed what, when.
    history: Mapped[list] = mapped_column(sa.JSON, default=list)


class ReleaseTerm(_Revised, Base):
    __tablename__ = "release_terms"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    cia_id: Mapped[str | None] = mapped_column(sa.ForeignKey("cias.id"), index=True)  # None: global
    term: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.Text)
    # [{at, by: {sub, name}, action, revision}]: who released or withdrew it, when.
    history: Mapped[list] = mapped_column(sa.JSON, default=list)


class DisclosureCopy(Base):
    __tablename__ = "disclosure_copies"

    cia_id: Mapped[str] = mapped_column(sa.ForeignKey("cias.id"), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(24), index=True, default=PENDING_RELEASE)
    # sha256 of the censor rules (id, revision) the stored files were rendered with.
    rules_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # sha256 of the redacted render context: equal means an identical document.
    context_sha256: Mapped[str] = mapped_column(sa.String(64))
    rendered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    render_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    released_by_sub: Mapped[str | None] = mapped_column(sa.String(200))
    released_by_name: Mapped[str | None] = mapped_column(sa.String(200))
    release_note: Mapped[str | None] = mapped_column(sa.Text)
    released_docx_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    released_pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegisteredName(Base):
    __tablename__ = "name_register"

    key: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    first_cia_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the copies that may name this person were asked to render again;
    # None: not yet (the worker's handlers do it after the render that added it).
    propagated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class WithheldValue(Base):
    """One written form a disclosure copy withholds (``disclosure.withheld_index``),
    so that what the public reads elsewhere — letters, the disclosure log — withholds
    it too. Replaced whenever the copy is rendered."""
    __tablename__ = "withheld_values"

    cia_id: Mapped[str] = mapped_column(sa.ForeignKey("cias.id"), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    key_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    key: Mapped[str] = mapped_column(sa.Text)
    exemption: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(64))


# The check by sight of an FOI-facing file (``disclosure.sight``).
CHECKING = "checking"
CLEAN = "clean"
HITS = "hits"
FAILED = "failed"
SIGHT_STATES = (CHECKING, CLEAN, HITS, FAILED)


class SightCheck(Base):
    """One FOI-facing file read back by OCR as its reader sees it, keyed by the
    SHA-256 of the file checked (a disclosure copy's DOCX, a letter's DOCX, a legacy
    document's rebuilt copy), with the fingerprint of what its redactor was made
    from: a check under other inputs is made again."""
    __tablename__ = "sight_checks"

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(16))  # cia_copy | letter | legacy
    subject_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    inputs_sha256: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16), default=CHECKING)
    pages: Mapped[int | None] = mapped_column(sa.Integer)
    pages_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # the rendering read
    # [{page, kind, exemption, rects}]: kinds and boxes, never the value.
    findings: Mapped[list] = mapped_column(sa.JSON, default=list)
    # {page: sha256 of the file}: looked at (preview) and confirmed by an FOI officer.
    previewed_pages: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    confirmed_pages: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def hit_pages(self) -> list[int]:
        return sorted({int(f["page"]) for f in self.findings or []})

    @property
    def needs_manual_review(self) -> list[int]:
        confirmed = self.confirmed_pages or {}
        return [p for p in self.hit_pages if confirmed.get(str(p)) != self.sha256]


class SightBand(Base):
    """What OCR read of one band of a page image (``cia_redaction.bands``), by the hash
    of its pixels: a line read once is never read again (each process's cache in front of it)."""
    __tablename__ = "sight_bands"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    words: Mapped[list] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
