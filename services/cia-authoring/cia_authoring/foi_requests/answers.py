"""The answer to one question of an FOI request: its kinds, and what each
resolves to when the letter and the attachments are made.

Kinds (``body`` is what the officer sent, kept as given):

- ``disclosed``: CIAs by operation start date range (``from``, ``to``) and/or by
  ``operation_references``: the released, current disclosure copies and released
  legacy documents (``releases.bundle``), attached to the response; copies listed in
  ``published`` (``[{"operation_reference", "url"}]``) and legacy documents
  released with a ``published_url`` are already published, cited under s.21
  with their link and not attached again;
- ``statistics``: true and false alerts and their engagements by IC code for a
  period (``from``, ``to``), as ``statistics.service.alerts`` releases them (small
  numbers suppressed). With no deployment in the period recorded by IC code the
  answer proposes ``not_held``;
- ``published``: s.21, the information is reasonably accessible at ``url``;
- ``not_held``: with the ``reason``;
- ``exempt``: ``exemptions`` (s21, s31, s40) and the ``reasoning``;
- ``text``: free ``text``.

Nothing here reads an unredacted CIA: copies come from the released disclosure
copies, figures from the statistics that suppress small numbers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_authoring.documents import service as rendering
from cia_authoring.releases import bundle
from cia_authoring.disclosure import copies
from cia_authoring.statistics import service as statistics
from cia_authoring.legacy import released as legacy_released
from cia_authoring.cias.models import Cia
from cia_authoring.cias.models import Document
from cia_authoring.operations.models import Operation

DISCLOSED = "disclosed"
STATISTICS = "statistics"
PUBLISHED = "published"
NOT_HELD = "not_held"
EXEMPT = "exempt"
TEXT = "text"
KINDS = (DISCLOSED, STATISTICS, PUBLISHED, NOT_HELD, EXEMPT, TEXT)

S21, S31, S40 = "s21", "s31", "s40"
EXEMPTION_KEYS = (S21, S31, S40)

LONDON = ZoneInfo("Europe/London")
NO_IC_FIGURES = ("No deployment in the period {period} has outcome figures recorded by IC code, "
                 "so the information is not held in a recorded form.")


def day_start(day: date) -> datetime:
    """Midnight in London: operations are dated as the force dates them."""
    return datetime.combine(day, time(0), tzinfo=LONDON)


def period_bounds(body: dict) -> tuple[datetime | None, datetime | None]:
    start = body.get("from")
    end = body.get("to")
    return (day_start(date.fromisoformat(start)) if start else None,
            day_start(date.fromisoformat(end) + timedelta(days=1)) if end else None)


def period_text(body: dict) -> str:
    start, end = body.get("from"), body.get("to")
    if start and end:
        return f"{_day(start)} to {_day(end)}"
    if start:
        return f"from {_day(start)}"
    if end:
        return f"up to {_day(end)}"
    return "on record"


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day} {d:%B %Y}"


@dataclass
class Copy:
    item: bundle.BundleItem
    operation_reference: str
    redactions: int
    exemptions: set[str]
    published_url: str | None = None


@dataclass
class Legacy:
    """A released legacy document (written before the system, redacted the same way)."""
    item: bundle.LegacyItem
    operation_reference: str
    redactions: int
    exemptions: set[str]

    @property
    def published_url(self) -> str | None:
        return self.item.document.published_url


@dataclass
class Disclosed:
    copies: list[Copy] = field(default_factory=list)
    legacy: list[Legacy] = field(default_factory=list)
    left_out: int = 0  # released copies being rendered again

    @property
    def located(self) -> int:
        return len(self.copies) + len(self.legacy)

    @property
    def attached(self) -> list[Copy]:
        return [c for c in self.copies if not c.published_url]

    @property
    def published(self) -> list[Copy]:
        return [c for c in self.copies if c.published_url]

    @property
    def attached_legacy(self) -> list[Legacy]:
        return [d for d in self.legacy if not d.published_url]

    @property
    def published_legacy(self) -> list[Legacy]:
        return [d for d in self.legacy if d.published_url]


def _exemption_of(value) -> str | None:
    text = str(value or "")
    if "40" in text:
        return S40
    if "31" in text:
        return S31
    return None


def resolve_disclosed(session: Session, body: dict, cfg: dict) -> Disclosed:
    start, end = period_bounds(body)
    items, left_out = bundle.released_copies(session, start, end, cfg)
    refs_of = dict(session.execute(
        sa.select(Cia.id, Operation.reference).join(Operation, Operation.id == Cia.operation_id)
        .where(Cia.id.in_(sorted({i.cia_id for i in items})))).all()) if items else {}
    wanted = {r.strip().casefold() for r in body.get("operation_references") or []}
    published = {p["operation_reference"].strip().casefold(): p["url"]
                 for p in body.get("published") or []}
    out = Disclosed(left_out=left_out)
    for item in items:
        ref = refs_of.get(item.cia_id, "")
        if wanted and ref.casefold() not in wanted:
            continue
        rows = copy_log(session, item.cia_id, item.version)
        out.copies.append(Copy(item=item, operation_reference=ref, redactions=len(rows),
                               exemptions={e for e in (_exemption_of(r["exemption"]) for r in rows)
                                           if e},
                               published_url=published.get(ref.casefold())))
    for legacy in bundle.released_legacy(session, start, end, cfg):
        ref = legacy.document.operation_reference
        if wanted and ref.casefold() not in wanted:
            continue
        rows = legacy_log(session, legacy.document.id)
        out.legacy.append(Legacy(item=legacy, operation_reference=ref, redactions=len(rows),
                                 exemptions={e for e in (_exemption_of(r["exemption"])
                                                         for r in rows) if e}))
    return out


def copy_log(session: Session, cia_id: str, version: int) -> list[dict]:
    """The redaction log of a disclosure copy, as stored with its DOCX."""
    log = session.execute(
        sa.select(Document.redaction_log).where(
            Document.cia_id == cia_id, Document.version == version,
            Document.kind == rendering.DISCLOSURE, Document.format == copies.DOCX)
    ).scalar() or []
    return copies.log_rows(log)


def legacy_log(session: Session, document_id: str) -> list[dict]:
    return copies.log_rows(legacy_released.released_log(session, document_id))


def resolve_statistics(session: Session, body: dict, cfg: dict) -> dict:
    start, end = period_bounds(body)
    return statistics.alerts(session, group_by="ic_code", threshold_=statistics.threshold(cfg),
                             start_from=start, start_to=end)


def not_held_proposal(result: dict, body: dict) -> dict | None:
    """``not_held`` with its reason when no deployment of the period has IC-coded figures."""
    if result.get("deployments"):
        return None
    return {"kind": NOT_HELD, "reason": NO_IC_FIGURES.format(period=period_text(body))}


def unknown_references(session: Session, body: dict) -> list[str]:
    """Operation references named in a ``disclosed`` answer that match no operation."""
    named = [*(body.get("operation_references") or []),
             *(p["operation_reference"] for p in body.get("published") or [])]
    if not named:
        return []
    known = {r.casefold() for r in session.scalars(
        sa.select(Operation.reference).where(
            sa.func.lower(Operation.reference).in_(sorted({n.casefold() for n in named}))))}
    return [n for n in named if n.casefold() not in known]
