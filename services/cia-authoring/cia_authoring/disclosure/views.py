"""/api/v1/disclosures — redacted disclosure copies for the FOI team: list, one
copy, its DOCX or PDF, its redaction log (JSON or CSV), release, bundles; censor
rules and release terms."""
from __future__ import annotations

import io
import logging

from flask import Response
from flask_smorest import Blueprint

from cia_common.errors import Conflict
from cia_common.web.problems import Problem
from cia_schemas.disclosure import EXEMPTIONS, MARKERS

from cia_authoring import cells
from cia_authoring.disclosure import service as disclosures
from cia_authoring.documents import pdfs
from cia_authoring.documents import service as rendering
from cia_authoring.documents.libreoffice import PdfConversionError
from cia_authoring.documents.pdfs import ConversionInProgress
from cia_authoring.disclosure import copies
from cia_authoring.disclosure import release, sight_checks
from cia_authoring.disclosure import censor_rules as rules
from cia_authoring.disclosure import release_terms
from cia_authoring.disclosure.schemas import (CensorRuleCreateSchema, CensorRulePatchSchema,
                                              CensorRuleSchema, DisclosureSchema,
                                              DocumentQuerySchema, FormatQuerySchema,
                                              RedactionSchema, ReleaseSchema,
                                              ReleaseTermCreateSchema, ReleaseTermQuerySchema,
                                              ReleaseTermSchema, RuleQuerySchema)
from cia_common.web.kit import BINARY, CSV, REF, inline_png, ok_doc
from cia_authoring.roles import DISCLOSURE_READERS
from cia_common.web import db
from cia_common.web.kit import DOCX, actor, cfg, guarded, negotiate, unit_of_work
from cia_common.web.problems import PROBLEM_JSON
from cia_schemas.errors import ProblemSchema

log = logging.getLogger(__name__)

PDF = rendering.PDF
PNG = "image/png"
ZIP = "application/zip"
RELEASERS = ("foi",)

blp = Blueprint("disclosures", __name__, url_prefix="/api/v1/disclosures",
                description="Disclosure copies of approved CIA versions, redacted under FOIA "
                            "s.40(2) and s.31(1)(a)(b) and by the FOI team's censor rules. A copy "
                            "starts pending_release; role foi releases it. Roles foi and admin "
                            "read; neither ever gets unredacted content here.")


@blp.route("/<string:cia_id>/versions/<int:number>", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.response(200, DisclosureSchema)
def get_disclosure(cia_id, number):
    """One disclosure copy: its files, state and release."""
    with unit_of_work() as uow:
        return disclosures.get(uow.session, cia_id, number, cfg())


@blp.route("/<string:cia_id>/versions/<int:number>/document", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(DocumentQuerySchema, location="query")
@blp.doc(**ok_doc("The redacted DOCX; the PDF with Accept: application/pdf or format=pdf.",
                  {DOCX: BINARY, PDF: BINARY}, headers={
                      "X-Content-SHA256": {"schema": {"type": "string"},
                                           "description": "SHA-256 of the stored file."},
                      "ETag": {"schema": {"type": "string"}}}))
@blp.alt_response(406, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Neither DOCX nor PDF is acceptable (a format that does not exist).")
@blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The PDF is still being produced, or converting it failed just "
                              "now: retry after the Retry-After delay (seconds); the DOCX is "
                              "available meanwhile.",
                  headers={"Retry-After": {"description": "Seconds to wait before asking again.",
                                           "schema": {"type": "integer"}}})
def get_disclosure_document(query, cia_id, number):
    """The disclosure copy of an approved version, as stored: DOCX, or PDF.

    The PDF is converted from the stored DOCX by the worker soon after approval or
    after a censor rule re-rendered the copy; until then a PDF request gets 503
    with ``Retry-After`` (with ``PDF_RENDER_AHEAD`` off, the request converts it).
    """
    media = negotiate([DOCX, PDF], query.get("format"), {"docx": DOCX, "pdf": PDF})
    fmt = "pdf" if media == PDF else "docx"
    with unit_of_work() as uow:
        doc, op = disclosures.document(uow.session, cia_id, number)  # 404: no such copy
        reference = op.reference
        if fmt == "pdf":
            doc = disclosures.pdf(uow.session, cia_id, number)
        data, sha = (doc.data, doc.sha256) if doc is not None else (None, None)
    if data is None:
        if cfg().get("PDF_RENDER_AHEAD", True):
            raise Problem(503, "Service Unavailable",
                          "The PDF of this disclosure copy is not ready yet; retry shortly, or "
                          f"take the DOCX ({DOCX}).", headers={"Retry-After": "10"})
        try:
            stored = pdfs.ensure(unit_of_work, pdfs.DocKey(cia_id, number, rendering.DISCLOSURE),
                                 actor(), cfg())
        except PdfConversionError as exc:
            # Another worker converting it now is no failure.
            log.log(logging.INFO if isinstance(exc, ConversionInProgress) else logging.ERROR,
                    "PDF of the disclosure copy %s v%s failed: %s", cia_id, number, exc)
            raise Problem(503, "Service Unavailable", "The PDF could not be produced right now; "
                          f"try again shortly, or take the DOCX ({DOCX}).",
                          headers={"Retry-After": "30"}) from None
        except ValueError:  # a censor rule re-rendered the DOCX while it was converted
            raise Problem(503, "Service Unavailable", "The disclosure copy changed while its "
                          "PDF was made; ask again.", headers={"Retry-After": "5"}) from None
        if stored is None:
            raise Problem(404, "Not Found", f"A disclosure copy of version {number} of CIA "
                                            f"{cia_id} does not exist")
        data, sha = stored.data, stored.sha256
    return Response(data, mimetype=media, headers={
        "ETag": f'"{sha}"', "X-Content-SHA256": sha, "Vary": "Accept",
        "Content-Disposition": f'attachment; filename="{reference}-v{number}-disclosure.{fmt}"'})


@blp.route("/<string:cia_id>/versions/<int:number>/redaction-log", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.arguments(FormatQuerySchema, location="query")
@blp.response(200, RedactionSchema(many=True))
@blp.doc(**ok_doc("The redaction log: JSON, or CSV (pointer, rule_id, exemption, reason).",
                  {"application/json": {"type": "array", "items": {"$ref": REF + "Redaction"}},
                   CSV: {"type": "string"}}))
def get_redaction_log(query, cia_id, number):
    """What was withheld from the disclosure copy, where (field pointer), by which censor rule
    if any, under which exemption and why. JSON, or CSV (Accept: text/csv or format=csv)."""
    media = negotiate(["application/json", CSV], query.get("format"),
                      {"json": "application/json", "csv": CSV})
    with unit_of_work() as uow:
        doc, op = disclosures.document(uow.session, cia_id, number)
        rows, reference = copies.log_rows(doc.redaction_log), op.reference
        findings = copies.log_rows(doc.redaction_log, findings=True)
    if media != CSV:
        return findings
    buf = io.StringIO()
    writer = cells.DictWriter(buf, fieldnames=list(copies.LOG_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return Response(buf.getvalue(), mimetype=CSV, headers={
        "Content-Disposition": f'attachment; filename="{reference}-v{number}-redaction-log.csv"'})


@blp.route("/<string:cia_id>/versions/<int:number>/release", methods=["POST"])
@guarded(blp, *RELEASERS)
@blp.arguments(ReleaseSchema, required=False)
@blp.response(200, DisclosureSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Already released; being re-rendered after a censor-rule change; "
                              "not yet checked by sight (state checking, with progress); or its "
                              "reading by sight found what the redaction withholds (state "
                              "needs_manual_review, naming each page and the kinds of hit, never "
                              "the value) on pages not yet confirmed.")
def release_disclosure(data, cia_id, number):
    """Release a disclosure copy (pending_release → released), recorded in the CIA's audit
    trail with the SHA-256 of the files released. The worker must have read the copy by
    sight first; a release asked for meanwhile waits a few seconds for it."""
    def attempt():
        with unit_of_work() as uow:
            release.release(uow, cia_id, number, actor(), (data or {}).get("note"),
                            bool((data or {}).get("confirm_superseded")), cfg=cfg())
            uow.commit()

    try:
        attempt()
    except Conflict as exc:
        if exc.extra.get("state") != sight_checks.CHECKING:
            raise
        # Released right after the copy was made: the worker is reading it now (or,
        # with SIGHT_AHEAD off, from now on).
        sight_checks.want(db().sessions, cia_id, number)
        if not sight_checks.wait_for_copy(db().sessions, cia_id, number, cfg()):
            raise
        attempt()
    with unit_of_work() as uow:
        return disclosures.get(uow.session, cia_id, number, cfg())


@blp.route("/<string:cia_id>/versions/<int:number>/pages/<int:page>.png", methods=["GET"])
@guarded(blp, *DISCLOSURE_READERS)
@blp.doc(**ok_doc("Page n (1-based) of the copy as LibreOffice renders it (its PDF), as a PNG, "
                  "with what its reading by sight found boxed in red.", {PNG: BINARY}))
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="The copy's PDF is not made yet.")
def get_copy_page(cia_id, number, page):
    """A preview of one page of the disclosure copy, its hits boxed (looking at it lets an
    FOI officer confirm the page)."""
    png = sight_checks.copy_preview(unit_of_work, cia_id, number, page, cfg())
    return inline_png(png, f"{cia_id[:8]}-v{number}-page-{page}.png")


@blp.route("/<string:cia_id>/versions/<int:number>/pages/<int:page>/confirm", methods=["POST"])
@guarded(blp, *RELEASERS)
@blp.response(200, DisclosureSchema)
@blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON,
                  description="Not a page with a hit, still being checked, or its preview was "
                              "not looked at.")
def confirm_copy_page(cia_id, number, page):
    """Confirm a page whose reading by sight found a hit, after looking at its preview."""
    with unit_of_work() as uow:
        sight_checks.confirm_copy_page(uow.session, cia_id, number, page, cfg())
        uow.commit()
    with unit_of_work() as uow:
        return disclosures.get(uow.session, cia_id, number, cfg())


# -- censor rules: /api/v1/disclosures/rules ---------------------------------------

FOI = ("foi",)
FOI_READERS = ("foi", "admin")

rules_blp = Blueprint(
    "censor_rules", __name__, url_prefix="/api/v1/disclosures/rules",
    description="Censor rules: text the FOI team withholds from disclosure copies on top of the "
                "schema's redactions, for one CIA or globally. Adding or changing a rule makes the "
                "authoring worker re-render the affected copies (DOCX and PDF). Role foi writes; "
                "foi and admin read.")

def present_rule(rule, copies_to_rerender: int | None = None) -> dict:
    out = {k: getattr(rule, k) for k in (
        "id", "cia_id", "kind", "pattern", "case_sensitive", "replacement", "exemption", "reason",
        "active", "revision", "created_at", "updated_at", "history")}
    out["shown_as"] = rule.replacement or MARKERS[rule.exemption]
    out["exemption_cited"] = EXEMPTIONS[rule.exemption]
    return _scoped(rule, out, copies_to_rerender)


def _scoped(row, out: dict, copies_to_rerender: int | None) -> dict:
    """What a censor rule and a release term show alike: their scope, who made and
    changed them, and the copies a change renders again."""
    out["scope"] = "cia" if row.cia_id else "global"
    out["created_by"] = {"sub": row.created_by_sub, "name": row.created_by_name}
    out["updated_by"] = {"sub": row.updated_by_sub, "name": row.updated_by_name}
    if copies_to_rerender is not None:
        out["copies_to_rerender"] = copies_to_rerender
    return out


@rules_blp.route("", methods=["POST"])
@guarded(rules_blp, *FOI)
@rules_blp.arguments(CensorRuleCreateSchema)
@rules_blp.response(201, CensorRuleSchema)
def create_rule(data):
    """Add a censor rule; the worker re-renders the copies it changes."""
    with unit_of_work() as uow:
        rule = rules.create(uow, data, actor())
        affected = rules.affected_copies(uow.session, rule.cia_id)
        uow.commit()
        return (present_rule(rule, affected), 201,
                {"Location": f"/api/v1/disclosures/rules/{rule.id}"})


@rules_blp.route("", methods=["GET"])
@guarded(rules_blp, *FOI_READERS)
@rules_blp.arguments(RuleQuerySchema, location="query")
@rules_blp.response(200, CensorRuleSchema(many=True))
def list_rules(query):
    """Censor rules, oldest first (the order they apply in)."""
    with unit_of_work() as uow:
        return [present_rule(r) for r in rules.list_(uow.session, **query)]


@rules_blp.route("/<string:rule_id>", methods=["GET"])
@guarded(rules_blp, *FOI_READERS)
@rules_blp.response(200, CensorRuleSchema)
def get_rule(rule_id):
    """One censor rule, with its history (who changed what, when)."""
    with unit_of_work() as uow:
        return present_rule(rules.get(uow.session, rule_id))


@rules_blp.route("/<string:rule_id>", methods=["PATCH"])
@guarded(rules_blp, *FOI)
@rules_blp.arguments(CensorRulePatchSchema)
@rules_blp.response(200, CensorRuleSchema)
def change_rule(data, rule_id):
    """Change a censor rule (``active: false`` withdraws it); the worker re-renders."""
    with unit_of_work() as uow:
        rule = rules.update(uow, rule_id, data, actor())
        affected = rules.affected_copies(uow.session, rule.cia_id)
        uow.commit()
        return present_rule(rule, affected)


@rules_blp.route("/<string:rule_id>", methods=["DELETE"])
@guarded(rules_blp, *FOI)
@rules_blp.response(200, CensorRuleSchema)
def withdraw_rule(rule_id):
    """Withdraw a censor rule: kept with its history, no longer applied; the worker re-renders."""
    with unit_of_work() as uow:
        rule = rules.withdraw(uow, rule_id, actor())
        affected = rules.affected_copies(uow.session, rule.cia_id)
        uow.commit()
        return present_rule(rule, affected)


# -- release terms: /api/v1/disclosures/release-terms ------------------------------

terms_blp = Blueprint(
    "release_terms", __name__, url_prefix="/api/v1/disclosures/release-terms",
    description="Release terms: a term the redaction pass withheld as personal data that is not "
                "(a shop, a town, an operation the name model took for a person; the redaction "
                "log lists the findings it was unsure of with review: true and their term), "
                "released by an FOI officer with a reason, for one CIA or force-wide. A term "
                "never releases a value withheld by its field, the name register, a child or a "
                "censor rule (422, withheld_by says which). The worker renders the copies in "
                "its scope again. Role foi writes; foi and admin read.")


def present_term(term, copies_to_rerender: int | None = None) -> dict:
    out = {k: getattr(term, k) for k in (
        "id", "cia_id", "term", "reason", "active", "revision", "created_at", "updated_at",
        "history")}
    return _scoped(term, out, copies_to_rerender)


@terms_blp.route("", methods=["POST"])
@guarded(terms_blp, *FOI)
@terms_blp.arguments(ReleaseTermCreateSchema)
@terms_blp.response(201, ReleaseTermSchema)
def create_term(data):
    """Release a term the pass withheld; the worker renders the copies it changes again."""
    with unit_of_work() as uow:
        term = release_terms.create(uow, data, actor())
        affected = rules.affected_copies(uow.session, term.cia_id)
        uow.commit()
        return (present_term(term, affected), 201,
                {"Location": f"/api/v1/disclosures/release-terms/{term.id}"})


@terms_blp.route("", methods=["GET"])
@guarded(terms_blp, *FOI_READERS)
@terms_blp.arguments(ReleaseTermQuerySchema, location="query")
@terms_blp.response(200, ReleaseTermSchema(many=True))
def list_terms(query):
    """Release terms, oldest first."""
    with unit_of_work() as uow:
        return [present_term(t) for t in release_terms.list_(uow.session, **query)]


@terms_blp.route("/<string:term_id>", methods=["GET"])
@guarded(terms_blp, *FOI_READERS)
@terms_blp.response(200, ReleaseTermSchema)
def get_term(term_id):
    """One release term, with its history (who released and withdrew it, when)."""
    with unit_of_work() as uow:
        return present_term(release_terms.get(uow.session, term_id))


@terms_blp.route("/<string:term_id>", methods=["DELETE"])
@guarded(terms_blp, *FOI)
@terms_blp.response(200, ReleaseTermSchema)
def withdraw_term(term_id):
    """Withdraw a release term: kept with its history, no longer applied; the worker
    renders the copies again, withholding the term as before."""
    with unit_of_work() as uow:
        term = release_terms.withdraw(uow, term_id, actor())
        affected = rules.affected_copies(uow.session, term.cia_id)
        uow.commit()
        return present_term(term, affected)
