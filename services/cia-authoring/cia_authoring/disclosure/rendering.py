"""Rendering a CIA version's disclosure copy.

The copy is rendered from the redacted model of the whole copy
(``disclosure.model``): withheld values are replaced before the template sees
them, so they never enter the file; the rendered file then goes through the same
pass once more (``cia_redaction.docx``, run by the render over the parts it made),
whatever the template prints.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from cia_common.events import utcnow
from cia_redaction.rules import Rule
from cia_redaction.rules import fingerprint as rules_fingerprint

from cia_authoring.cias.models import CiaVersion, Document
from cia_authoring.disclosure import model as disclosure_model
from cia_authoring.disclosure import register, withheld_index
from cia_authoring.disclosure.models import PENDING_RELEASE, DisclosureCopy
from cia_authoring.documents import service as documents
from cia_authoring.documents.render import render_docx, render_limits
from cia_authoring.operations.models import Operation


def disclosure_context(op: Operation, version, cfg: dict, rules: list[Rule],
                       names: list[str]) -> tuple[dict, disclosure_model.CopyModel]:
    """The render context of a disclosure copy, every text of it redacted."""
    model = disclosure_model.build(version.content, documents.operation_context(op), cfg,
                                   rules, names)
    # An unsure finding's term is for the FOI officer's view of the stored log only:
    # no template may print it.
    printed = [{k: v for k, v in e.items() if k != "term"} for e in model.log]
    ctx = documents.context(op, version, model.content, cfg["FORCE_NAME"], printed)
    ctx["operation"] = model.operation
    return ctx, model


def render_disclosure_context(op: Operation, version, ctx: dict, model, cfg: dict,
                              template=None) -> bytes:
    template = documents.template_for(op, template)
    # The whole-document pass runs on every copy (the redactor given), so no template
    # can print a withheld value, not even one it writes into its own fixed text.
    return render_docx(ctx, title=model.redactor.text(documents.title(op, version, True), "/title"),
                       author_label=model.redactor.text(cfg["FORCE_NAME"], "/author"),
                       template=template.data, limits=render_limits(cfg),
                       redactor=model.redactor)


def render_disclosure(session: Session, op: Operation, version: CiaVersion, cfg: dict,
                      rules: list[Rule], template=None) -> tuple[bytes, list, str]:
    """The disclosure DOCX, its log and its context's hash; the names it withholds
    join the register, every form it withholds the index of withheld values."""
    ctx, model = disclosure_context(op, version, cfg, rules, register.names(session))
    data = render_disclosure_context(op, version, ctx, model, cfg, template)
    register.add(session, version.cia_id, model.withheld_names)
    withheld_index.replace(session, version.cia_id, version.number, model.redactor.withheld)
    return data, model.stored_log(), documents.context_hash(ctx)


def store_copy(session: Session, op: Operation, version: CiaVersion, cfg: dict,
               rules: list[Rule], template) -> Document:
    """Render and keep the disclosure copy of an approved version, with the row that
    records what it was rendered from, so that a later change (rules, the name
    register) can tell whether it changes the copy."""
    data, log, ctx_hash = render_disclosure(session, op, version, cfg, rules, template)
    now = utcnow()
    session.merge(DisclosureCopy(
        cia_id=version.cia_id, version=version.number, state=PENDING_RELEASE,
        rules_fingerprint=rules_fingerprint(rules), context_sha256=ctx_hash,
        rendered_at=now, render_count=1, updated_at=now))
    return documents.store(session, version, documents.DISCLOSURE, data, template, log)
