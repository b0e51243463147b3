"""Disclosure copies: rendering them with the censor rules, keeping them current.

The copy stored at approval is rendered from the schema redaction alone. Once
censor rules apply to a CIA (its own or global ones), ``ensure_current``
renders its DOCX again from the schema redaction plus the rules, in the worker,
stores it in place and deletes the PDF made from the old DOCX in the same
transaction; the worker's PDF job (``cia_authoring.documents.pdfs``) then converts the
new DOCX outside any transaction, as it does after an approval. So a stored
PDF is always the conversion of the stored DOCX. A copy whose stored files were
rendered with other rules than the ones that apply now is *stale*: it cannot be
released and bundles leave it out until the worker has caught up.

When the new rendering differs from the stored one, a released copy goes back
to ``pending_release``: what the FOI officer released is no longer what is
stored, so they decide again (the audit trail keeps both).

A re-rendered copy uses the template version its stored file was rendered with,
so that a censor rule changes only what it withholds; the FOI officer may ask
for the template in force instead (``template=ACTIVE``).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import DomainEvent, UnitOfWork

from cia_authoring import domain
from cia_authoring.cias import audit
from cia_authoring.documents import service as rendering
from cia_authoring.documents import templates
from cia_authoring.disclosure import rendering as copy_rendering
from cia_authoring.disclosure import register, withheld_index
from cia_redaction import rules as censor
from cia_authoring.cias.models import CiaVersion
from cia_authoring.cias.models import Document
from cia_authoring.operations.models import Operation
from cia_common.events import utcnow
from cia_authoring.disclosure import censor_rules as rules_service
from cia_authoring.disclosure.models import NEEDS_REVIEW, PENDING_RELEASE, RELEASED, DisclosureCopy

log = logging.getLogger(__name__)

RERENDERED = "disclosure.rerendered"
NEEDS_REVIEW_EVENT = "disclosure.needs_review"
# The columns of a redaction log written as CSV (the copies', legacy documents', bundles').
LOG_COLUMNS = ("pointer", "rule_id", "detector", "exemption", "reason")
PDF = rendering.PDF_FORMAT
DOCX = rendering.DOCX_FORMAT


def _as_approved(version: CiaVersion):
    # A disclosure copy always shows the version as it was approved, whatever
    # became of it later (superseded), so that re-rendering changes only what
    # the rules change.
    return SimpleNamespace(number=version.number, status=domain.APPROVED, content=version.content,
                           cia_id=version.cia_id)


def build(op: Operation, version: CiaVersion, cfg: dict, rules: list[censor.Rule],
          names: list[str]):
    """The render context of the disclosure copy and its redacted model."""
    return copy_rendering.disclosure_context(op, _as_approved(version), cfg, rules, names)


context_hash = rendering.context_hash


def render(op: Operation, version: CiaVersion, ctx: dict, model, cfg: dict,
           template=None) -> bytes:
    return copy_rendering.render_disclosure_context(op, _as_approved(version), ctx, model, cfg,
                                                    template)


# Which template a re-render uses.
ORIGINAL, ACTIVE = "original", "active"


def template_of(session: Session, doc: Document, which: str = ORIGINAL):
    """The template to re-render ``doc`` with: the version that produced it (the
    shipped default for a copy stored before templates were recorded), or the
    one in force."""
    if which == ACTIVE:
        return templates.active(session, templates.CIA)
    if doc.template_kind is None or doc.template_version is None:
        return templates.default_template(templates.CIA)
    return templates.template_version(session, doc.template_kind, doc.template_version)


# A copy without a row was rendered before copies recorded what they were
# rendered with: by an earlier pass, so it is rendered again.
UNRECORDED = "unrecorded"


def effective_fingerprint(copy: DisclosureCopy | None) -> str:
    return copy.rules_fingerprint if copy is not None else UNRECORDED


def state_of(copy: DisclosureCopy | None) -> str:
    return copy.state if copy is not None else PENDING_RELEASE


def is_stale(copy: DisclosureCopy | None, fingerprints: dict[str | None, str], cia_id: str) -> bool:
    wanted = fingerprints.get(cia_id, fingerprints[None])
    return effective_fingerprint(copy) != wanted


def copy_row(session: Session, cia_id: str, number: int) -> DisclosureCopy | None:
    return session.get(DisclosureCopy, (cia_id, number), populate_existing=True)


@dataclass(frozen=True)
class Outcome:
    status: str  # missing | current | unchanged | rerendered
    docx_sha256: str | None = None


def _upsert(session: Session, cia_id: str, number: int, fmt: str, data: bytes,
            redaction_log: list, template) -> Document:
    doc = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, fmt)
    if doc is None:
        doc = Document(cia_id=cia_id, version=number, kind=rendering.DISCLOSURE, format=fmt)
        session.add(doc)
    doc.data, doc.sha256, doc.size = data, domain.sha256_hex(data), len(data)
    doc.redaction_log = redaction_log
    doc.template_kind, doc.template_version = template.kind, template.version
    doc.template_sha256 = template.sha256
    doc.created_at = utcnow()
    return doc


def ensure_current(uow: UnitOfWork, cia_id: str, number: int, cfg: dict, *,
                   reason: str, force: bool = False, template: str = ORIGINAL) -> Outcome:
    """Make the stored disclosure copy of (CIA, version) match the rules that apply now
    (and, with ``force``, the name register as it is now), rendered with the template
    version of the stored copy, or with ``template=ACTIVE`` the one in force."""
    session = uow.session
    cia = audit.lock_cia(session, cia_id)
    if cia is None:
        return Outcome("missing")
    docx = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, DOCX)
    if docx is None:
        return Outcome("missing")
    rules = rules_service.applicable(session, cia_id)
    wanted = censor.fingerprint(rules)
    copy = copy_row(session, cia_id, number)
    if effective_fingerprint(copy) == wanted and not force:
        return Outcome("current", docx.sha256)

    version = session.execute(sa.select(CiaVersion).where(
        CiaVersion.cia_id == cia_id, CiaVersion.number == number)).scalar_one()
    op = cia.operation
    names = register.names(session)
    if copy is not None and copy.context_sha256:
        before = copy.context_sha256
    else:
        # Still the file rendered at approval, without censor rules.
        before = context_hash(build(op, version, cfg, [], names)[0])
    ctx, model = build(op, version, cfg, rules, names)
    after = context_hash(ctx)
    chosen = template_of(session, docx, template)
    same_template = chosen.sha256 == docx.template_sha256 or (
        template == ORIGINAL and docx.template_sha256 is None)
    now = utcnow()
    if copy is None:
        copy = DisclosureCopy(cia_id=cia_id, version=number, state=PENDING_RELEASE,
                              render_count=0, updated_at=now)
        session.add(copy)
    copy.rules_fingerprint = wanted
    copy.context_sha256 = after
    if after == before and same_template:
        # The rules change nothing in this copy: the stored files stay as they are.
        copy.updated_at = now
        withheld_index.replace(session, cia_id, number, model.redactor.withheld)
        session.flush()
        return Outcome("unchanged", docx.sha256)

    previous = {"docx": docx.sha256, **rendering.provenance(docx)}
    old_pdf = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, PDF)
    if old_pdf is not None:
        previous["pdf"] = old_pdf.sha256
    data = render(op, version, ctx, model, cfg, chosen)
    register.add(session, cia_id, model.withheld_names)
    withheld_index.replace(session, cia_id, number, model.redactor.withheld)
    new_docx = _upsert(session, cia_id, number, DOCX, data, model.stored_log(), chosen)
    if old_pdf is not None:
        # Never leave a PDF behind that lacks the new redactions; the PDF job
        # converts the new DOCX.
        session.delete(old_pdf)
    was_released = copy.state in (RELEASED, NEEDS_REVIEW)
    # A released copy is never changed silently: it is listed for review.
    copy.state = NEEDS_REVIEW if was_released else PENDING_RELEASE
    copy.released_at = copy.released_by_sub = copy.released_by_name = None
    copy.release_note = copy.released_docx_sha256 = copy.released_pdf_sha256 = None
    copy.rendered_at = copy.updated_at = now
    copy.render_count += 1
    session.flush()
    detail = {"kind": rendering.DISCLOSURE, "format": DOCX, "reason": reason,
              "docx_sha256": new_docx.sha256, "previous": previous,
              "rules": [r.id for r in rules], "release_withdrawn": was_released,
              **rendering.provenance(new_docx)}
    uow.record(DomainEvent(RERENDERED, cia_id, {"cia_id": cia_id, "version": number,
                                                "operation_reference": op.reference, **detail},
                           actor=audit.SYSTEM, version=number,
                           content_sha256=version.content_sha256, detail=detail))
    if was_released:
        uow.emit(NEEDS_REVIEW_EVENT, cia_id, {"cia_id": cia_id, "version": number,
                                              "operation_reference": op.reference,
                                              "docx_sha256": new_docx.sha256, "reason": reason})
    log.info("disclosure copy %s v%s re-rendered (%s)", cia_id, number, reason)
    return Outcome("rerendered", new_docx.sha256)


def stale_copies(session: Session, limit: int = 20) -> list[tuple[str, int]]:
    """Copies rendered with other rules, or another pass, than apply now."""
    fingerprints = rules_service.fingerprints(session)
    # Only rows that may be stale leave the database (see sight_checks.unchecked_copies):
    # a CIA without rules of its own is stale exactly when its copy's fingerprint is
    # not the global set's; a CIA with its own is compared below.
    may_be_stale = sa.or_(DisclosureCopy.rules_fingerprint.is_(None),
                          DisclosureCopy.rules_fingerprint != fingerprints[None])
    owners = [cia_id for cia_id in fingerprints if cia_id is not None]
    if owners:
        may_be_stale = sa.or_(may_be_stale, Document.cia_id.in_(owners))
    rows = session.execute(
        sa.select(Document.cia_id, Document.version, DisclosureCopy.rules_fingerprint)
        .outerjoin(DisclosureCopy, sa.and_(DisclosureCopy.cia_id == Document.cia_id,
                                           DisclosureCopy.version == Document.version))
        .where(Document.kind == rendering.DISCLOSURE, Document.format == DOCX, may_be_stale)
        .order_by(Document.created_at))
    out = []
    for r in rows:
        if (r.rules_fingerprint or UNRECORDED) != fingerprints.get(r.cia_id, fingerprints[None]):
            out.append((r.cia_id, r.version))
            if len(out) >= limit:
                break
    return out


def disclosure_copies_in_scope(session: Session, cia_id: str | None) -> list[tuple[str, int]]:
    query = (sa.select(Document.cia_id, Document.version)
             .where(Document.kind == rendering.DISCLOSURE, Document.format == DOCX)
             .order_by(Document.cia_id, Document.version))
    if cia_id:
        query = query.where(Document.cia_id == cia_id)
    return [(r.cia_id, r.version) for r in session.execute(query)]


def log_rows(redaction_log: list | None, *, findings: bool = False) -> list[dict]:
    """The stored log, each entry with ``rule_id`` (``None``: not a censor rule) and the
    ``detector`` that found it (``disclosure_class``: the field's class). With
    ``findings`` (the FOI officer's own view, never a file that leaves the force), a
    model finding's ``score``, and for one it is unsure of ``review`` and its ``term``,
    which a release term can release."""
    return [{"pointer": e.get("pointer"), "rule_id": e.get("rule_id"),
             "detector": e.get("detector") or ("censor_rule" if e.get("rule_id") else "disclosure_class"),
             "exemption": e.get("exemption"), "reason": e.get("reason"),
             **({k: e[k] for k in ("score", "review", "term") if k in e} if findings else {})}
            for e in (redaction_log or []) if isinstance(e, dict)]


def dumps_log(redaction_log: list | None) -> str:
    return json.dumps(log_rows(redaction_log), indent=2, ensure_ascii=False)
