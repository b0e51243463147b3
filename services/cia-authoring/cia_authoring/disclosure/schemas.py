"""Request and response schemas of the disclosure endpoints: copies, their
release, bundles, censor rules and release terms (they document the OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from cia_schemas.disclosure import EXEMPTIONS

from cia_common.fields import DateOrDateTime, PersonSchema
from cia_redaction import rules as censor
from cia_authoring.disclosure.models import STATES

_EXEMPTION_DOC = "s40: s.40(2) personal information; s31: s.31(1)(a)(b) law enforcement."


# --------------------------------------------------------------------------
# Censor rules
# --------------------------------------------------------------------------


class CensorRuleCreateSchema(Schema):
    cia_id = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "The CIA the rule applies to; omit or null for "
                                                    "a global rule (every CIA)."})
    kind = fields.String(required=True, validate=validate.OneOf(censor.KINDS),
                         metadata={"description": "literal: the text itself (case-insensitive unless "
                                                  "case_sensitive, any run of whitespace matches a "
                                                  "space); regex: a Python regular expression."})
    pattern = fields.String(required=True, validate=validate.Length(min=1, max=censor.MAX_PATTERN),
                            metadata={"description": "The text or expression to withhold."})
    case_sensitive = fields.Boolean(load_default=False)
    replacement = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=censor.MAX_REPLACEMENT),
                                metadata={"description": "Shown instead of each match (literal text); "
                                                         "default: the exemption's marker, e.g. "
                                                         "[Redacted — s.40(2)]."})
    exemption = fields.String(required=True, validate=validate.OneOf(tuple(EXEMPTIONS)),
                              metadata={"description": _EXEMPTION_DOC})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=censor.MAX_REASON),
                           metadata={"description": "Why it is withheld; printed in the redaction log, "
                                                    "so it must not contain the withheld text."})


class CensorRulePatchSchema(Schema):
    kind = fields.String(validate=validate.OneOf(censor.KINDS))
    pattern = fields.String(validate=validate.Length(min=1, max=censor.MAX_PATTERN))
    case_sensitive = fields.Boolean()
    replacement = fields.String(allow_none=True, validate=validate.Length(max=censor.MAX_REPLACEMENT))
    exemption = fields.String(validate=validate.OneOf(tuple(EXEMPTIONS)),
                              metadata={"description": _EXEMPTION_DOC})
    reason = fields.String(validate=validate.Length(min=1, max=censor.MAX_REASON))
    active = fields.Boolean(metadata={"description": "false withdraws the rule; true restores it."})


class RuleHistorySchema(Schema):
    at = fields.String()
    by = fields.Nested(PersonSchema)
    action = fields.String(metadata={"enum": ["created", "changed", "withdrawn", "restored"]})
    revision = fields.Integer()
    changed = fields.List(fields.String())


class _RevisedSchema(Schema):
    """What a censor rule and a release term show alike (``views._scoped``)."""
    id = fields.String()
    cia_id = fields.String(allow_none=True)
    scope = fields.String(metadata={"enum": ["global", "cia"]})
    active = fields.Boolean()
    revision = fields.Integer()
    created_by = fields.Nested(PersonSchema)
    created_at = fields.DateTime()
    updated_by = fields.Nested(PersonSchema)
    updated_at = fields.DateTime()


class CensorRuleSchema(_RevisedSchema):
    kind = fields.String(metadata={"enum": list(censor.KINDS)})
    pattern = fields.String()
    case_sensitive = fields.Boolean()
    replacement = fields.String(allow_none=True)
    shown_as = fields.String(metadata={"description": "What a match becomes in the disclosure copy."})
    exemption = fields.String(metadata={"enum": list(EXEMPTIONS)})
    exemption_cited = fields.String(metadata={"description": "s.40(2) or s.31(1)(a)(b)."})
    reason = fields.String()
    history = fields.List(fields.Nested(RuleHistorySchema))
    copies_to_rerender = fields.Integer(
        metadata={"description": "On a change: disclosure copies the worker will check and "
                                 "re-render where the rule changes them."})


class RuleQuerySchema(Schema):
    cia_id = fields.String(metadata={"description": "Only the rules of this CIA."})
    scope = fields.String(validate=validate.OneOf(["global", "cia"]))
    include_inactive = fields.Boolean(load_default=False,
                                      metadata={"description": "Withdrawn rules too."})


# --------------------------------------------------------------------------
# Release terms
# --------------------------------------------------------------------------


class ReleaseTermCreateSchema(Schema):
    cia_id = fields.String(load_default=None, allow_none=True,
                           metadata={"description": "The CIA whose copies the term releases in; "
                                                    "omit or null: every CIA (force-wide)."})
    term = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "The term as the redaction log's review entry "
                                                  "gives it (its `term`): a shop, a place, an "
                                                  "operation the name model took for a person. "
                                                  "Matched whole, after the one normalisation."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=censor.MAX_REASON),
                           metadata={"description": "Why it is not personal data; kept with "
                                                    "the term and in its history."})


class ReleaseTermHistorySchema(Schema):
    at = fields.String()
    by = fields.Nested(PersonSchema)
    action = fields.String(metadata={"enum": ["created", "withdrawn"]})
    revision = fields.Integer()


class ReleaseTermSchema(_RevisedSchema):
    term = fields.String()
    reason = fields.String()
    history = fields.List(fields.Nested(ReleaseTermHistorySchema))
    copies_to_rerender = fields.Integer(
        metadata={"description": "On a change: disclosure copies the worker will check and "
                                 "render again where the term changes them."})


class ReleaseTermQuerySchema(Schema):
    cia_id = fields.String(metadata={"description": "Only the terms of this CIA."})
    scope = fields.String(validate=validate.OneOf(["global", "cia"]))
    include_inactive = fields.Boolean(load_default=False,
                                      metadata={"description": "Withdrawn terms too."})


# --------------------------------------------------------------------------
# Disclosure copies, release, bundles
# --------------------------------------------------------------------------


class DisclosureQuerySchema(Schema):
    state = fields.String(validate=validate.OneOf(STATES))
    from_ = DateOrDateTime(data_key="from", metadata={"description": "Approved on or after."})
    to = DateOrDateTime(upper=True, metadata={"description": "Approved before (a date: that day included)."})
    borough = fields.String(metadata={"description": "Borough (case-insensitive)."})


class SightProgressSchema(Schema):
    done = fields.Integer(metadata={"description": "Pages read so far."})
    pages = fields.Integer(allow_none=True, metadata={"description": "Pages of the rendering."})


class SightFindingSchema(Schema):
    page = fields.Integer()
    kind = fields.String(metadata={"description": "What found it: a detector (phone, email, "
                                                  "person_model, …), withheld_value, censor_rule "
                                                  "or ocr_tolerance. Never the value."})
    exemption = fields.String(metadata={"enum": ["s40", "s31"]})


class SightCheckSchema(Schema):
    state = fields.String(metadata={
        "enum": ["checking", "clean", "hits", "failed"],
        "description": "checking: the worker has not finished reading the file by sight (its "
                       "pages rendered, as LibreOffice renders the DOCX, and read back by OCR); "
                       "clean: the redaction found nothing in that reading; hits: it found what "
                       "it withholds, on the pages listed in needs_manual_review until an FOI "
                       "officer confirms each after looking at its preview; failed: the worker "
                       "tries again."})
    progress = fields.Nested(SightProgressSchema)
    needs_manual_review = fields.List(fields.Integer(), metadata={
        "description": "Pages with a hit not yet confirmed: the copy cannot be released."})
    findings = fields.List(fields.Nested(SightFindingSchema))
    checked_at = fields.DateTime(allow_none=True)


class DisclosureSchema(Schema):
    cia_id = fields.String()
    version = fields.Integer()
    operation_id = fields.String()
    operation_reference = fields.String()
    borough = fields.String()
    planned_start = fields.DateTime()
    planned_end = fields.DateTime()
    approved_at = fields.DateTime()
    version_status = fields.String(metadata={"description": "approved, or superseded by a later version."})
    sha256 = fields.String(metadata={"description": "SHA-256 of the stored disclosure DOCX."})
    size = fields.Integer()
    pdf_sha256 = fields.String(allow_none=True, metadata={"description": "SHA-256 of the stored PDF."})
    pdf_size = fields.Integer(allow_none=True)
    formats = fields.List(fields.String(), metadata={"description": "docx, and pdf once converted."})
    state = fields.String(metadata={"enum": list(STATES)})
    rerender_pending = fields.Boolean(
        metadata={"description": "Censor rules changed and the worker has not re-rendered the copy "
                                 "yet: it cannot be released and is left out of bundles."})
    rendered_at = fields.DateTime()
    released_at = fields.DateTime(allow_none=True)
    released_by = fields.Nested(PersonSchema, allow_none=True)
    release_note = fields.String(allow_none=True)
    sight_check = fields.Nested(SightCheckSchema, metadata={
        "description": "The check by sight before release (one copy's reading; not in lists)."})


class ReleaseSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000),
                         metadata={"description": "E.g. the FOI request reference."})
    confirm_superseded = fields.Boolean(
        load_default=False, metadata={"description": "Required to release the copy of a version "
                                                     "superseded by an amendment."})


class FormatQuerySchema(Schema):
    format = fields.String(validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: the same as Accept: text/csv."})


class DocumentQuerySchema(Schema):
    format = fields.String(validate=validate.OneOf(["docx", "pdf"]),
                           metadata={"description": "pdf: the same as Accept: application/pdf."})


class RangeQuerySchema(Schema):
    from_ = DateOrDateTime(data_key="from", metadata={"description": "Operations planned to start on or after."})
    to = DateOrDateTime(upper=True, metadata={"description": "Operations planned to start before (a date: "
                                                             "that day included)."})


class RedactionSchema(Schema):
    pointer = fields.String(metadata={"description": "RFC 6901 pointer of the withheld field (content), "
                                                     "or /operation/<field>."})
    rule_id = fields.String(allow_none=True, metadata={"description": "The censor rule; null: the "
                                                                      "schema's disclosure class or "
                                                                      "the free-text scan."})
    detector = fields.String(metadata={"description": (
        "What found it: disclosure_class (the field's class), censor_rule, withheld_value "
        "(a value withheld elsewhere in the copy, or a name in the register), withheld_part (a "
        "place, call sign, count or time of an s.31 value said in other words), or a personal-data "
        "detector: phone, email, postcode, vehicle_registration, ni_number, date_of_birth, "
        "ip_address, collar_number, name_after_rank, address, child, or the name model "
        "(person_model); for a legacy document also ocr:<kind> (found in the OCR reading of a "
        "page image; ocr:ocr_tolerance within OCR's edit tolerance) and allowlist (a part of a "
        "Word file left behind: the reason says what, 'removed: ...').")})
    exemption = fields.String(metadata={"description": "s.40(2) or s.31(1)(a)(b)."})
    reason = fields.String()
    score = fields.Float(metadata={"description": "The name model's confidence (0-1), on its "
                                                  "findings only."})
    review = fields.Boolean(metadata={"description": "True: the model was unsure (score below "
                                                     "CIA_DISCLOSURE_NAME_REVIEW_BELOW); still "
                                                     "withheld, for the FOI officer to look at."})
    term = fields.String(metadata={"description": "What an unsure finding withheld, for the FOI "
                                                  "officer to release if it is not personal data "
                                                  "(never in a copy, a bundle or a CSV)."})


# --------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------
