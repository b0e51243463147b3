"""Request and response schemas of the legacy-document endpoints (they document the OpenAPI)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from cia_schemas.disclosure import EXEMPTIONS

from cia_common.fields import PersonSchema
from cia_redaction import rules as censor
from cia_authoring.disclosure.schemas import DisclosureSchema
from cia_authoring.legacy.models import FORMATS, STATES

_EXEMPTION_DOC = "s40: s.40(2) personal information; s31: s.31(1)(a)(b) law enforcement."


class LegacyDocumentSchema(Schema):
    id = fields.String()
    operation_id = fields.String()
    operation_reference = fields.String(allow_none=True)
    title = fields.String()
    dated = fields.Date(allow_none=True)
    format = fields.String(metadata={"enum": list(FORMATS)})
    filename = fields.String()
    sha256 = fields.String(metadata={"description": "SHA-256 of the file as brought in."})
    size = fields.Integer()
    source = fields.String(metadata={"description": "upload, or import:<manifest>."})
    state = fields.String(metadata={"enum": list(STATES)})
    pages = fields.Integer(allow_none=True, metadata={"description": "PDF: its pages."})
    scan_pages = fields.List(fields.Integer(), metadata={
        "description": "PDF pages without a text layer (scans): OCR'd and read by the same pass, "
                       "what it withholds boxed out (proposed_areas); add areas for what OCR "
                       "missed and confirm each page after looking at its preview."})
    needs_manual_review = fields.List(fields.Integer(), metadata={
        "description": "Scanned pages and review_pages not yet confirmed against the current redacted copy; the "
                       "document cannot be released while any are left."})
    progress = fields.Dict(allow_none=True, metadata={
        "description": "While processing: {done, pages}, the pages of the flattened copy made so far."})
    review_pages = fields.List(fields.Integer(), metadata={
        "description": "Pages where OCR of the page image found what the pass withholds and the "
                       "text layer did not: boxed out (proposed_areas), to be confirmed like scans."})
    proposed_areas = fields.List(fields.Dict(), metadata={
        "description": "Areas boxed out of pages (scans, review_pages) because their OCR reading "
                       "held what the pass withholds (page, rect in points from the top left, kind "
                       "of hit, exemption); never the value. In the copy from the start; the page "
                       "is confirmed by an FOI officer before release."})
    disclosure_formats = fields.List(fields.String(), metadata={
        "description": "The formats the disclosure copy is served in: a PDF, or a Word file that "
                       "cannot be made clean, as the flattened PDF only."})
    copy_note = fields.String(allow_none=True, metadata={
        "description": "Why a Word document is disclosed as a flattened PDF only."})
    redacted_sha256 = fields.String()
    redacted_size = fields.Integer()
    redacted_at = fields.DateTime()
    redactions = fields.Integer(metadata={"description": "Entries in the redaction log."})
    released_at = fields.DateTime(allow_none=True)
    released_by = fields.Nested(PersonSchema, allow_none=True)
    release_note = fields.String(allow_none=True)
    released_sha256 = fields.String(allow_none=True)
    published_url = fields.String(allow_none=True, metadata={
        "description": "Published elsewhere: bundles cite it under FOIA s.21 with this link."})
    created_at = fields.DateTime()


class DocumentListQuerySchema(Schema):
    operation_id = fields.String()
    state = fields.String(validate=validate.OneOf(STATES))


class LegacyRedactionCreateSchema(Schema):
    text = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=censor.MAX_PATTERN),
                         metadata={"description": "Text to withhold wherever it occurs in the document "
                                                  "(matched after Unicode normalisation, any case, "
                                                  "across runs and lines)."})
    page = fields.Integer(load_default=None, allow_none=True,
                          metadata={"description": "PDF only: the page of an area (1-based)."})
    rect = fields.List(fields.Float(allow_nan=False), load_default=None, allow_none=True,
                       validate=validate.Length(equal=4),
                       metadata={"description": "PDF only: [x0, y0, x1, y1] in points from the top "
                                                "left of the page: an area (a signature, a map)."})
    exemption = fields.String(required=True, validate=validate.OneOf(tuple(EXEMPTIONS)),
                              metadata={"description": _EXEMPTION_DOC})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=censor.MAX_REASON))


class LegacyRedactionSchema(Schema):
    id = fields.String()
    document_id = fields.String()
    text = fields.String(allow_none=True)
    page = fields.Integer(allow_none=True)
    rect = fields.List(fields.Float(), allow_none=True)
    exemption = fields.String()
    reason = fields.String()
    created_by = fields.Nested(PersonSchema)
    created_at = fields.DateTime()


class RedactionAddedSchema(Schema):
    redaction = fields.Nested(LegacyRedactionSchema)
    document = fields.Nested(LegacyDocumentSchema)


class LegacyReleaseSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))
    published_url = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(max=2000),
                                  metadata={"description": "The document is already published at this "
                                                           "address: bundles list it under s.21 with "
                                                           "the link instead of a file."})


class LegacyDisclosureSchema(DisclosureSchema):
    """A row of GET /api/v1/disclosures: a CIA's copy, or (kind legacy) a released
    legacy document."""
    kind = fields.String(metadata={"enum": ["cia", "legacy"]})
    document_id = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    dated = fields.Date(allow_none=True)
    source = fields.String(allow_none=True)
    published_url = fields.String(allow_none=True)
